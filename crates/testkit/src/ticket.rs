//! Tickets as a KDC issues them (RFC 4120 5.3): EncTicketPart encrypted with
//! the service key at key usage 2.

use core::fmt;

use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::Principal;

use crate::consts::{app, ticket_flags, KU_TICKET, TR_DOMAIN_X500_COMPRESS};
use crate::der::{self, Fields};
use crate::error::Error;
use crate::rng::Rng;
use crate::time::KerberosTime;
use crate::types::{self, AuthData, HostAddress};

/// The fixed instant the testkit uses by default: 2023-11-14T22:13:20Z.
pub const FIXED_TIME: KerberosTime = KerberosTime(1_700_000_000);

/// Default ticket lifetime, ten hours as MIT's default `ticket_lifetime`.
pub const DEFAULT_LIFETIME: i64 = 10 * 3600;

/// What goes in the outer Ticket's `enc-part.kvno` field.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvnoField {
    /// The service key's kvno (the normal case).
    Key,
    /// Omitted, as some KDCs do (the acceptor must then try every kvno).
    Absent,
    /// An arbitrary, e.g. wrong, value.
    Value(u32),
}

/// Builds a [`Ticket`].
#[derive(Clone, Debug)]
pub struct TicketBuilder {
    service: Principal,
    service_key: Key,
    service_kvno: u32,
    kvno_field: KvnoField,
    etype_field: Option<i32>,
    client: Principal,
    session_key: Option<Key>,
    session_enctype: Enctype,
    flags: u32,
    authtime: KerberosTime,
    starttime: Option<KerberosTime>,
    endtime: KerberosTime,
    renew_till: Option<KerberosTime>,
    caddr: Option<Vec<HostAddress>>,
    transited: (i32, Vec<u8>),
    auth_data: Option<Vec<AuthData>>,
    rng: Rng,
}

impl TicketBuilder {
    /// A ticket for `client` to `service`, encrypted with `service_key` of
    /// version `kvno`; defaults: session key of the service key's enctype,
    /// flags forwardable+renewable+initial+pre-authent, authtime
    /// [`FIXED_TIME`], ten hours' lifetime, no addresses, empty transited,
    /// OS randomness.
    #[must_use]
    pub fn new(service: Principal, service_key: Key, kvno: u32, client: Principal) -> Self {
        let session_enctype = service_key.enctype();
        Self {
            service,
            service_key,
            service_kvno: kvno,
            kvno_field: KvnoField::Key,
            etype_field: None,
            client,
            session_key: None,
            session_enctype,
            flags: ticket_flags::FORWARDABLE
                | ticket_flags::RENEWABLE
                | ticket_flags::INITIAL
                | ticket_flags::PRE_AUTHENT,
            authtime: FIXED_TIME,
            starttime: None,
            endtime: FIXED_TIME.plus(DEFAULT_LIFETIME),
            renew_till: None,
            caddr: None,
            transited: (TR_DOMAIN_X500_COMPRESS, Vec::new()),
            auth_data: None,
            rng: Rng::os(),
        }
    }

    /// Uses this session key instead of a fresh one.
    #[must_use]
    pub fn session_key(mut self, key: Key) -> Self {
        self.session_key = Some(key);
        self
    }

    /// Generates the session key with this enctype (independent of the ticket's).
    #[must_use]
    pub fn session_enctype(mut self, enctype: Enctype) -> Self {
        self.session_enctype = enctype;
        self
    }

    /// Sets the TicketFlags (masks from [`crate::consts::ticket_flags`]).
    #[must_use]
    pub fn flags(mut self, flags: u32) -> Self {
        self.flags = flags;
        self
    }

    /// Sets authtime and moves endtime to authtime plus the default lifetime.
    #[must_use]
    pub fn authtime(mut self, t: KerberosTime) -> Self {
        self.authtime = t;
        self.endtime = t.plus(DEFAULT_LIFETIME);
        self
    }

    /// Sets starttime (absent by default, meaning authtime).
    #[must_use]
    pub fn starttime(mut self, t: Option<KerberosTime>) -> Self {
        self.starttime = t;
        self
    }

    /// Sets endtime.
    #[must_use]
    pub fn endtime(mut self, t: KerberosTime) -> Self {
        self.endtime = t;
        self
    }

    /// Sets renew-till.
    #[must_use]
    pub fn renew_till(mut self, t: Option<KerberosTime>) -> Self {
        self.renew_till = t;
        self
    }

    /// Sets the client addresses (caddr); `None` omits the field.
    #[must_use]
    pub fn caddr(mut self, addrs: Option<Vec<HostAddress>>) -> Self {
        self.caddr = addrs;
        self
    }

    /// Sets the transited encoding (type and contents).
    #[must_use]
    pub fn transited(mut self, tr_type: i32, contents: &[u8]) -> Self {
        self.transited = (tr_type, contents.to_vec());
        self
    }

    /// Sets the ticket's authorization data; `None` omits the field.
    #[must_use]
    pub fn authorization_data(mut self, ad: Option<Vec<AuthData>>) -> Self {
        self.auth_data = ad;
        self
    }

    /// Chooses what the outer `enc-part.kvno` says.
    #[must_use]
    pub fn kvno_field(mut self, field: KvnoField) -> Self {
        self.kvno_field = field;
        self
    }

    /// Overrides the outer `enc-part.etype` number (the ciphertext still uses
    /// the service key's enctype).
    #[must_use]
    pub fn etype_field(mut self, etype: i32) -> Self {
        self.etype_field = Some(etype);
        self
    }

    /// Sets the randomness used for the session key and confounder.
    #[must_use]
    pub fn rng(mut self, rng: Rng) -> Self {
        self.rng = rng;
        self
    }

    /// Encodes EncTicketPart and the Ticket.
    ///
    /// # Errors
    /// [`Error::Crypto`] if encryption fails, [`Error::Random`] if randomness does.
    pub fn build(&self) -> Result<Ticket, Error> {
        let mut rng = self.rng.clone();
        let session_key = match &self.session_key {
            Some(k) => k.clone(),
            None => types::fresh_key(self.session_enctype, &mut rng)?,
        };

        // RFC 4120 5.3: EncTicketPart.
        let transited = Fields::new()
            .field(0, &der::integer(i64::from(self.transited.0)))
            .field(1, &der::octet_string(&self.transited.1))
            .sequence();
        let starttime = self.starttime.map(der::kerberos_time);
        let renew_till = self.renew_till.map(der::kerberos_time);
        let caddr = self.caddr.as_deref().map(types::host_addresses);
        let auth_data = self.auth_data.as_deref().map(types::authorization_data);
        let enc_part = Fields::new()
            .field(0, &der::kerberos_flags(self.flags))
            .field(1, &types::encryption_key(&session_key))
            .field(2, &der::general_string(self.client.realm()))
            .field(3, &types::principal_name(&self.client))
            .field(4, &transited)
            .field(5, &der::kerberos_time(self.authtime))
            .optional(6, starttime.as_deref())
            .field(7, &der::kerberos_time(self.endtime))
            .optional(8, renew_till.as_deref())
            .optional(9, caddr.as_deref())
            .optional(10, auth_data.as_deref())
            .application(app::ENC_TICKET_PART);

        // RFC 4120 5.3: the service key encrypts EncTicketPart at usage 2.
        let cipher = types::encrypt(&self.service_key, KU_TICKET, &enc_part, &mut rng)?;
        let etype = self
            .etype_field
            .unwrap_or(self.service_key.enctype().to_i32());
        let kvno = match self.kvno_field {
            KvnoField::Key => Some(self.service_kvno),
            KvnoField::Absent => None,
            KvnoField::Value(v) => Some(v),
        };
        let der = Fields::new()
            .field(0, &der::integer(5))
            .field(1, &der::general_string(self.service.realm()))
            .field(2, &types::principal_name(&self.service))
            .field(3, &types::encrypted_data(etype, kvno, &cipher))
            .application(app::TICKET);

        Ok(Ticket {
            der,
            session_key,
            client: self.client.clone(),
            service: self.service.clone(),
            flags: self.flags,
            authtime: self.authtime,
            starttime: self.starttime,
            endtime: self.endtime,
            renew_till: self.renew_till,
            enc_ticket_part: enc_part,
        })
    }
}

/// A minted ticket and what its holder knows about it.
#[derive(Clone)]
pub struct Ticket {
    /// The DER of the Ticket (`[APPLICATION 1]`).
    pub der: Vec<u8>,
    /// The session key inside it.
    pub session_key: Key,
    /// The client principal (cname@crealm).
    pub client: Principal,
    /// The service principal (sname@realm).
    pub service: Principal,
    /// TicketFlags.
    pub flags: u32,
    /// authtime.
    pub authtime: KerberosTime,
    /// starttime.
    pub starttime: Option<KerberosTime>,
    /// endtime.
    pub endtime: KerberosTime,
    /// renew-till.
    pub renew_till: Option<KerberosTime>,
    /// The plaintext EncTicketPart DER (holds the session key: tests only).
    pub enc_ticket_part: Vec<u8>,
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("der_len", &self.der.len())
            .field("session_key", &self.session_key)
            .field("client", &self.client)
            .field("service", &self.service)
            .field("flags", &format_args!("{:#010x}", self.flags))
            .finish_non_exhaustive()
    }
}

/// The parts of a Ticket readable without the service key.
#[derive(Clone, Debug)]
pub struct TicketOuter<'a> {
    /// realm.
    pub realm: String,
    /// sname: name-type and components.
    pub sname: (i32, Vec<String>),
    /// enc-part.
    pub enc_part: types::EncryptedData<'a>,
}

/// Reads a Ticket's outer fields (RFC 4120 5.3).
///
/// # Errors
/// DER errors, or [`Error::UnexpectedValue`] if tkt-vno is not 5.
pub fn read_ticket<'a>(r: &mut der::Reader<'a>) -> Result<TicketOuter<'a>, Error> {
    let outer = r.expect(0x60 | app::TICKET, "Ticket")?;
    let seq = der::Reader::inside(&outer).expect(der::TAG_SEQUENCE, "Ticket")?;
    let mut f = der::Reader::inside(&seq);
    let vno = f.field(0, "tkt-vno")?.integer()?;
    if vno != 5 {
        return Err(Error::UnexpectedValue {
            what: "tkt-vno",
            expected: 5,
            found: vno,
        });
    }
    let realm = f.field(1, "realm")?.general_string()?;
    let sname = types::read_principal_name(&mut f.field(2, "sname")?)?;
    let enc_part = types::read_encrypted_data(&mut f.field(3, "enc-part")?)?;
    f.finish("Ticket trailing data")?;
    Ok(TicketOuter {
        realm,
        sname,
        enc_part,
    })
}
