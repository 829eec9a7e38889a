//! What tests ask the MIT GSS driver for and what it answers.

use serde_json::{json, Value};

/// GSS mechanism the initiator asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mech {
    /// Kerberos V5, 1.2.840.113554.1.2.2.
    Krb5,
    /// The Microsoft Kerberos OID, 1.2.840.48018.1.2.2.
    MsKrb5,
    /// SPNEGO, 1.3.6.1.5.5.2, negotiating Kerberos.
    Spnego,
}

impl Mech {
    /// The driver's name for it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Krb5 => "krb5",
            Self::MsKrb5 => "mskrb5",
            Self::Spnego => "spnego",
        }
    }

    /// The dotted OID.
    #[must_use]
    pub fn oid(self) -> &'static str {
        match self {
            Self::Krb5 => "1.2.840.113554.1.2.2",
            Self::MsKrb5 => "1.2.840.48018.1.2.2",
            Self::Spnego => "1.3.6.1.5.5.2",
        }
    }
}

/// GSS request flags (RFC 2743 1.2.1), by the driver's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GssFlag {
    /// GSS_C_MUTUAL_FLAG.
    Mutual,
    /// GSS_C_DELEG_FLAG.
    Deleg,
    /// GSS_C_CONF_FLAG.
    Conf,
    /// GSS_C_INTEG_FLAG.
    Integ,
    /// GSS_C_REPLAY_FLAG.
    Replay,
    /// GSS_C_SEQUENCE_FLAG.
    Sequence,
}

impl GssFlag {
    /// The driver's name for it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mutual => "mutual",
            Self::Deleg => "deleg",
            Self::Conf => "conf",
            Self::Integ => "integ",
            Self::Replay => "replay",
            Self::Sequence => "sequence",
        }
    }
}

/// RFC 2744 3.11 channel bindings; empty fields are absent.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelBindings {
    /// Initiator address type (GSS_C_AF_*, e.g. 2 for INET) and bytes.
    pub initiator_address: Option<(u32, Vec<u8>)>,
    /// Acceptor address type and bytes.
    pub acceptor_address: Option<(u32, Vec<u8>)>,
    /// Application data, e.g. a TLS channel binding.
    pub application_data: Option<Vec<u8>>,
}

impl ChannelBindings {
    /// Bindings with only application data.
    #[must_use]
    pub fn with_application_data(data: &[u8]) -> Self {
        Self {
            application_data: Some(data.to_vec()),
            ..Self::default()
        }
    }

    /// Sets the initiator address.
    #[must_use]
    pub fn initiator_address(mut self, addr_type: u32, addr: &[u8]) -> Self {
        self.initiator_address = Some((addr_type, addr.to_vec()));
        self
    }

    /// Sets the acceptor address.
    #[must_use]
    pub fn acceptor_address(mut self, addr_type: u32, addr: &[u8]) -> Self {
        self.acceptor_address = Some((addr_type, addr.to_vec()));
        self
    }

    /// The JSON object the driver takes, also used as the recorded form.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut obj = serde_json::Map::new();
        if let Some((t, a)) = &self.initiator_address {
            obj.insert("initiator_address_type".into(), json!(t));
            obj.insert("initiator_address".into(), json!(hex::encode(a)));
        }
        if let Some((t, a)) = &self.acceptor_address {
            obj.insert("acceptor_address_type".into(), json!(t));
            obj.insert("acceptor_address".into(), json!(hex::encode(a)));
        }
        if let Some(d) = &self.application_data {
            obj.insert("application_data".into(), json!(hex::encode(d)));
        }
        Value::Object(obj)
    }
}

/// What to ask `gss_init_sec_context` for.
#[derive(Clone, Debug)]
pub struct InitRequest {
    /// `service@host` (host-based) or a full principal (contains `/`).
    pub target: String,
    /// Mechanism OID to request.
    pub mech: Mech,
    /// Request flags.
    pub flags: Vec<GssFlag>,
    /// Channel bindings, if any.
    pub channel_bindings: Option<ChannelBindings>,
}

impl InitRequest {
    /// Kerberos, no flags, no bindings.
    #[must_use]
    pub fn new(target: &str) -> Self {
        Self {
            target: target.to_owned(),
            mech: Mech::Krb5,
            flags: Vec::new(),
            channel_bindings: None,
        }
    }

    /// Sets the mechanism.
    #[must_use]
    pub fn mech(mut self, mech: Mech) -> Self {
        self.mech = mech;
        self
    }

    /// Sets the flags.
    #[must_use]
    pub fn flags(mut self, flags: &[GssFlag]) -> Self {
        self.flags = flags.to_vec();
        self
    }

    /// Sets channel bindings.
    #[must_use]
    pub fn channel_bindings(mut self, cb: ChannelBindings) -> Self {
        self.channel_bindings = Some(cb);
        self
    }

    /// Flag names joined by commas, as recorded in captures.
    #[must_use]
    pub fn flag_list(&self) -> String {
        let names: Vec<&str> = self.flags.iter().map(|f| f.as_str()).collect();
        names.join(",")
    }
}

/// One context-establishment step's result.
#[derive(Clone, Debug, Default)]
pub struct StepResult {
    /// The token to send to the peer, if any.
    pub token: Option<Vec<u8>>,
    /// Whether the context is established on this side.
    pub complete: bool,
    /// Acceptor only: the authenticated client principal once complete.
    pub initiator: Option<String>,
    /// Acceptor only: whether credentials were delegated.
    pub delegated: bool,
}

/// State of an established context as MIT reports it.
#[derive(Clone, Debug, Default)]
pub struct ContextInfo {
    /// Granted flags by driver name, sorted.
    pub flags: Vec<String>,
    /// Dotted mechanism OID.
    pub mech: Option<String>,
    /// Remaining lifetime in seconds.
    pub lifetime: Option<u64>,
    /// Session key enctype (GSS_C_INQ_SSPI_SESSION_KEY), if MIT answers.
    pub session_enctype: Option<i32>,
    /// Initiator principal.
    pub initiator: Option<String>,
    /// Target principal.
    pub target: Option<String>,
}
