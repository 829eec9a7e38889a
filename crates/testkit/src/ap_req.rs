//! AP-REQ as a GSS initiator sends it (RFC 4120 5.5.1, RFC 4121 4.1): the
//! Authenticator encrypted with the session key at key usage 11, and the
//! RFC 2743 3.1 initial-context-token framing.

use core::fmt;

use kerbgate_crypto::{ChecksumType, Enctype, Key};
use kerbgate_keytab::Principal;

use crate::consts::{
    app, token_id, CKSUMTYPE_GSSAPI, KU_AP_REQ_AUTH, KU_AP_REQ_AUTH_CKSUM, MSG_AP_REQ, PVNO,
};
use crate::der::{self, Fields};
use crate::error::Error;
use crate::gss_checksum::GssChecksum;
use crate::rng::Rng;
use crate::ticket::{Ticket, FIXED_TIME};
use crate::time::KerberosTime;
use crate::types::{self, AuthData};

/// The Authenticator's `cksum` field.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum AuthChecksum {
    /// No checksum field.
    None,
    /// RFC 4121 4.1.1: type 0x8003 carrying flags, bindings and delegation.
    Gss(GssChecksum),
    /// A keyed checksum over `data` with the session key (or subkey), as
    /// non-GSS clients and Samba send: the key's mandatory checksum type
    /// unless `cksumtype` is given, at key usage 10 unless `usage` is given.
    Keyed {
        /// Checksum type; `None` for the key's mandatory type.
        cksumtype: Option<ChecksumType>,
        /// Key usage; `None` for 10 (RFC 4120 7.5.1).
        usage: Option<u32>,
        /// Use the subkey instead of the session key.
        with_subkey: bool,
        /// The checksummed data.
        data: Vec<u8>,
    },
    /// An arbitrary type number and octets.
    Raw {
        /// cksumtype.
        cksumtype: i32,
        /// checksum.
        bytes: Vec<u8>,
    },
}

/// How the Authenticator's `seq-number` (UInt32) is encoded.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqEncoding {
    /// Strict DER: values of 2^31 and above take five octets.
    Der,
    /// As MIT krb5 writes it: the signed 32-bit reinterpretation, so values of
    /// 2^31 and above are negative.
    MitNegative,
}

/// Builds an AP-REQ for a ticket.
#[derive(Clone, Debug)]
pub struct ApReqBuilder<'t> {
    ticket: &'t Ticket,
    client: Principal,
    ctime: KerberosTime,
    cusec: u32,
    subkey: Option<Key>,
    subkey_enctype: Option<Enctype>,
    seq_number: Option<u32>,
    seq_encoding: SeqEncoding,
    ap_options: u32,
    auth_data: Option<Vec<AuthData>>,
    checksum: AuthChecksum,
    authenticator_key: Option<Key>,
    rng: Rng,
}

impl<'t> ApReqBuilder<'t> {
    /// An AP-REQ for `ticket` from its client; defaults: ctime [`FIXED_TIME`]
    /// plus one minute, cusec 0, no subkey, no sequence number, mutual-required,
    /// a default [`GssChecksum`] (mutual, replay, sequence, conf, integ),
    /// OS randomness.
    #[must_use]
    pub fn new(ticket: &'t Ticket) -> Self {
        Self {
            ticket,
            client: ticket.client.clone(),
            ctime: FIXED_TIME.plus(60),
            cusec: 0,
            subkey: None,
            subkey_enctype: None,
            seq_number: None,
            seq_encoding: SeqEncoding::MitNegative,
            ap_options: crate::consts::ap_options::MUTUAL_REQUIRED,
            auth_data: None,
            checksum: AuthChecksum::Gss(GssChecksum::default()),
            authenticator_key: None,
            rng: Rng::os(),
        }
    }

    /// Names another client in the Authenticator than the ticket's.
    #[must_use]
    pub fn client(mut self, client: Principal) -> Self {
        self.client = client;
        self
    }

    /// Sets ctime and cusec.
    #[must_use]
    pub fn time(mut self, ctime: KerberosTime, cusec: u32) -> Self {
        self.ctime = ctime;
        self.cusec = cusec;
        self
    }

    /// Sends this initiator subkey.
    #[must_use]
    pub fn subkey(mut self, key: Option<Key>) -> Self {
        self.subkey = key;
        self
    }

    /// Sends a fresh subkey of this enctype (ignored if a subkey is set).
    #[must_use]
    pub fn subkey_enctype(mut self, enctype: Enctype) -> Self {
        self.subkey_enctype = Some(enctype);
        self
    }

    /// Sets the initiator's sequence number.
    #[must_use]
    pub fn seq_number(mut self, seq: Option<u32>) -> Self {
        self.seq_number = seq;
        self
    }

    /// Chooses how the sequence number is encoded (MIT's negative form by default).
    #[must_use]
    pub fn seq_encoding(mut self, enc: SeqEncoding) -> Self {
        self.seq_encoding = enc;
        self
    }

    /// Sets APOptions (masks from [`crate::consts::ap_options`]).
    #[must_use]
    pub fn ap_options(mut self, options: u32) -> Self {
        self.ap_options = options;
        self
    }

    /// Sets the Authenticator's authorization data, e.g.
    /// [`AuthData::enctype_negotiation`].
    #[must_use]
    pub fn authorization_data(mut self, ad: Option<Vec<AuthData>>) -> Self {
        self.auth_data = ad;
        self
    }

    /// Sets the checksum field.
    #[must_use]
    pub fn checksum(mut self, cksum: AuthChecksum) -> Self {
        self.checksum = cksum;
        self
    }

    /// Encrypts the Authenticator with this key instead of the session key
    /// (for tests of a wrong key).
    #[must_use]
    pub fn authenticator_key(mut self, key: Key) -> Self {
        self.authenticator_key = Some(key);
        self
    }

    /// Sets the randomness for the subkey and confounder.
    #[must_use]
    pub fn rng(mut self, rng: Rng) -> Self {
        self.rng = rng;
        self
    }

    /// Encodes the Authenticator and the AP-REQ.
    ///
    /// # Errors
    /// [`Error::Crypto`] or [`Error::Random`].
    pub fn build(&self) -> Result<ApReq, Error> {
        let mut rng = self.rng.clone();
        let subkey = match (&self.subkey, self.subkey_enctype) {
            (Some(k), _) => Some(k.clone()),
            (None, Some(e)) => Some(types::fresh_key(e, &mut rng)?),
            (None, None) => None,
        };
        let cksum = self.checksum_field(subkey.as_ref())?;
        let parts = AuthenticatorParts {
            client: &self.client,
            cksum: cksum.as_deref(),
            ctime: self.ctime,
            cusec: self.cusec,
            subkey: subkey.as_ref(),
            seq_number: self.seq_number,
            seq_encoding: self.seq_encoding,
            auth_data: self.auth_data.as_deref(),
        };
        let authenticator = parts.encode();
        let key = self
            .authenticator_key
            .as_ref()
            .unwrap_or(&self.ticket.session_key);
        let der = encode_ap_req(
            self.ap_options,
            &self.ticket.der,
            key,
            &authenticator,
            &mut rng,
        )?;
        Ok(ApReq {
            der,
            ctime: self.ctime,
            cusec: self.cusec,
            subkey,
            seq_number: self.seq_number,
            session_key: self.ticket.session_key.clone(),
            authenticator,
        })
    }

    fn checksum_field(&self, subkey: Option<&Key>) -> Result<Option<Vec<u8>>, Error> {
        let (ctype, bytes) = match &self.checksum {
            AuthChecksum::None => return Ok(None),
            AuthChecksum::Gss(g) => (CKSUMTYPE_GSSAPI, g.to_bytes()),
            AuthChecksum::Keyed {
                cksumtype,
                usage,
                with_subkey,
                data,
            } => {
                let key = match (with_subkey, subkey) {
                    (true, Some(k)) => k,
                    (true, None) => {
                        return Err(Error::Missing {
                            what: "subkey for keyed checksum",
                        })
                    }
                    (false, _) => &self.ticket.session_key,
                };
                let ctype = cksumtype.unwrap_or(key.enctype().checksum_type());
                let usage = usage.unwrap_or(KU_AP_REQ_AUTH_CKSUM);
                (ctype.to_i32(), key.checksum_with(ctype, usage, data)?)
            }
            AuthChecksum::Raw { cksumtype, bytes } => (*cksumtype, bytes.clone()),
        };
        Ok(Some(checksum(ctype, &bytes)))
    }
}

/// Checksum (RFC 4120 5.2.9).
#[must_use]
pub fn checksum(cksumtype: i32, bytes: &[u8]) -> Vec<u8> {
    Fields::new()
        .field(0, &der::integer(i64::from(cksumtype)))
        .field(1, &der::octet_string(bytes))
        .sequence()
}

/// The fields of an Authenticator (RFC 4120 5.5.1).
struct AuthenticatorParts<'a> {
    client: &'a Principal,
    cksum: Option<&'a [u8]>,
    ctime: KerberosTime,
    cusec: u32,
    subkey: Option<&'a Key>,
    seq_number: Option<u32>,
    seq_encoding: SeqEncoding,
    auth_data: Option<&'a [AuthData]>,
}

impl AuthenticatorParts<'_> {
    fn encode(&self) -> Vec<u8> {
        let subkey = self.subkey.map(types::encryption_key);
        let seq = self.seq_number.map(|s| match self.seq_encoding {
            SeqEncoding::Der => der::uint32(s),
            SeqEncoding::MitNegative => der::uint32_as_negative(s),
        });
        let ad = self.auth_data.map(types::authorization_data);
        Fields::new()
            .field(0, &der::integer(5))
            .field(1, &der::general_string(self.client.realm()))
            .field(2, &types::principal_name(self.client))
            .optional(3, self.cksum)
            .field(4, &der::uint32(self.cusec))
            .field(5, &der::kerberos_time(self.ctime))
            .optional(6, subkey.as_deref())
            .optional(7, seq.as_deref())
            .optional(8, ad.as_deref())
            .application(app::AUTHENTICATOR)
    }
}

/// Encrypts `authenticator` at usage 11 and wraps it with the ticket in an AP-REQ.
fn encode_ap_req(
    ap_options: u32,
    ticket_der: &[u8],
    key: &Key,
    authenticator: &[u8],
    rng: &mut Rng,
) -> Result<Vec<u8>, Error> {
    // RFC 4120 5.5.1: the Authenticator is encrypted in the session key, usage 11.
    let cipher = types::encrypt(key, KU_AP_REQ_AUTH, authenticator, rng)?;
    Ok(Fields::new()
        .field(0, &der::integer(PVNO))
        .field(1, &der::integer(MSG_AP_REQ))
        .field(2, &der::kerberos_flags(ap_options))
        .field(3, ticket_der)
        .field(
            4,
            &types::encrypted_data(key.enctype().to_i32(), None, &cipher),
        )
        .application(app::AP_REQ))
}

/// A minted AP-REQ and what the initiator remembers to check the AP-REP.
#[derive(Clone)]
pub struct ApReq {
    /// The raw AP-REQ DER (`[APPLICATION 14]`).
    pub der: Vec<u8>,
    /// ctime sent.
    pub ctime: KerberosTime,
    /// cusec sent.
    pub cusec: u32,
    /// The initiator subkey sent, if any.
    pub subkey: Option<Key>,
    /// The initiator sequence number sent, if any.
    pub seq_number: Option<u32>,
    /// The ticket's session key.
    pub session_key: Key,
    /// The plaintext Authenticator DER (holds the subkey: tests only).
    pub authenticator: Vec<u8>,
}

impl ApReq {
    /// The RFC 2743 3.1 initial context token for the Kerberos V5 mechanism.
    #[must_use]
    pub fn gss_token(&self) -> Vec<u8> {
        gss_initial_token(crate::consts::KRB5_OID, &self.der)
    }
}

impl fmt::Debug for ApReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApReq")
            .field("der_len", &self.der.len())
            .field("ctime", &self.ctime)
            .field("cusec", &self.cusec)
            .field("subkey", &self.subkey)
            .field("seq_number", &self.seq_number)
            .finish_non_exhaustive()
    }
}

/// Frames a Kerberos AP-REQ as an RFC 2743 3.1 InitialContextToken: 0x60,
/// DER length, the mechanism OID (`oid` is its content octets, e.g.
/// [`crate::consts::KRB5_OID`]), then token ID 01 00 (RFC 4121 4.1) and the AP-REQ.
#[must_use]
pub fn gss_initial_token(oid: &[u8], ap_req: &[u8]) -> Vec<u8> {
    gss_framed(oid, token_id::AP_REQ, ap_req)
}

/// RFC 2743 3.1 framing with any token ID (AP-REP 02 00, KRB-ERROR 03 00).
#[must_use]
pub fn gss_framed(oid: &[u8], token_id: [u8; 2], inner: &[u8]) -> Vec<u8> {
    let mut content = der::tlv(der::TAG_OID, oid);
    content.extend_from_slice(&token_id);
    content.extend_from_slice(inner);
    der::application(0, &content)
}

/// Mints many AP-REQs for one ticket cheaply: the ticket, the fixed
/// Authenticator fields (client, GSS checksum) and the fixed AP-REQ fields
/// are encoded once; each call encodes only ctime, cusec, sequence number and
/// subkey, with confounders and subkeys from a seeded generator. For
/// throughput benches and fuzz seeds.
#[derive(Clone, Debug)]
pub struct ApReqMinter {
    ticket: Ticket,
    /// Authenticator fields `[0]` to `[3]`, encoded.
    auth_prefix: Vec<u8>,
    /// AP-REQ fields `[0]` to `[3]`, encoded.
    req_prefix: Vec<u8>,
    subkey_enctype: Option<Enctype>,
    rng: Rng,
}

impl ApReqMinter {
    /// A minter for `ticket` with a default GSS checksum, mutual-required,
    /// and randomness seeded with `seed`.
    #[must_use]
    pub fn new(ticket: Ticket, seed: u64) -> Self {
        Self::with_options(
            ticket,
            seed,
            crate::consts::ap_options::MUTUAL_REQUIRED,
            GssChecksum::default(),
        )
    }

    /// A minter with chosen ap-options and RFC 4121 checksum (e.g. without mutual
    /// authentication: ap-options 0 and checksum flags without the mutual bit).
    #[must_use]
    pub fn with_options(ticket: Ticket, seed: u64, ap_options: u32, gss: GssChecksum) -> Self {
        let cksum = checksum(CKSUMTYPE_GSSAPI, &gss.to_bytes());
        let auth_prefix = Fields::new()
            .field(0, &der::integer(5))
            .field(1, &der::general_string(ticket.client.realm()))
            .field(2, &types::principal_name(&ticket.client))
            .field(3, &cksum)
            .content()
            .to_vec();
        let req_prefix = Fields::new()
            .field(0, &der::integer(PVNO))
            .field(1, &der::integer(MSG_AP_REQ))
            .field(2, &der::kerberos_flags(ap_options))
            .field(3, &ticket.der)
            .content()
            .to_vec();
        Self {
            ticket,
            auth_prefix,
            req_prefix,
            subkey_enctype: None,
            rng: Rng::seeded(seed),
        }
    }

    /// Sends a fresh subkey of this enctype in every AP-REQ.
    #[must_use]
    pub fn with_subkeys(mut self, enctype: Enctype) -> Self {
        self.subkey_enctype = Some(enctype);
        self
    }

    /// The ticket used.
    #[must_use]
    pub fn ticket(&self) -> &Ticket {
        &self.ticket
    }

    /// Mints one AP-REQ; the output equals what [`ApReqBuilder`] makes with
    /// the same fields and confounder.
    ///
    /// # Errors
    /// [`Error::Crypto`] or [`Error::Random`].
    pub fn mint(
        &mut self,
        ctime: KerberosTime,
        cusec: u32,
        seq: Option<u32>,
    ) -> Result<ApReq, Error> {
        let subkey = match self.subkey_enctype {
            Some(e) => Some(types::fresh_key(e, &mut self.rng)?),
            None => None,
        };
        let subkey_der = subkey.as_ref().map(types::encryption_key);
        let seq_der = seq.map(der::uint32_as_negative);
        let authenticator = Fields::with_prefix(&self.auth_prefix, 96)
            .field(4, &der::uint32(cusec))
            .field(5, &der::kerberos_time(ctime))
            .optional(6, subkey_der.as_deref())
            .optional(7, seq_der.as_deref())
            .application(app::AUTHENTICATOR);

        // RFC 4120 5.5.1: the Authenticator is encrypted in the session key, usage 11.
        let key = &self.ticket.session_key;
        let cipher = types::encrypt(key, KU_AP_REQ_AUTH, &authenticator, &mut self.rng)?;
        let enc = types::encrypted_data(key.enctype().to_i32(), None, &cipher);
        let der = Fields::with_prefix(&self.req_prefix, enc.len() + 8)
            .field(4, &enc)
            .application(app::AP_REQ);
        Ok(ApReq {
            der,
            ctime,
            cusec,
            subkey,
            seq_number: seq,
            session_key: key.clone(),
            authenticator,
        })
    }
}
