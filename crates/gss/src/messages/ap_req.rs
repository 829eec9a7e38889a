//! AP-REQ ([APPLICATION 14]) and Authenticator ([APPLICATION 2]),
//! RFC 4120 section 5.5.1.

use kerbgate_keytab::Principal;

use crate::consts::{ap_options, app_tag, msg_type, PVNO};
use crate::der::DecodeError;
use crate::messages::authz::AuthorizationData;
use crate::messages::common::{
    decode_top, Checksum, Element, EncryptedData, EncryptionKey, KerberosFlags, PrincipalName,
};
use crate::messages::ticket::Ticket;

/// An AP-REQ, borrowing from the token.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ApReq<'a> {
    /// ap-options (see [`crate::consts::ap_options`]).
    pub ap_options: KerberosFlags,
    /// ticket: the service ticket.
    pub ticket: Ticket<'a>,
    /// authenticator: encrypted in the ticket's session key (usage 11).
    pub authenticator: EncryptedData<'a>,
}

impl<'a> ApReq<'a> {
    /// Decodes a DER AP-REQ filling `data` exactly.
    ///
    /// # Errors
    /// When malformed, pvno is not 5, msg-type is not 14, or bytes follow.
    pub fn from_der(data: &'a [u8]) -> Result<Self, DecodeError> {
        decode_top(data, "AP-REQ", app_tag::AP_REQ, |s| {
            // RFC 4120 5.5.1: pvno 5, msg-type KRB_AP_REQ (14).
            s.explicit(0, "pvno", |r| r.read_fixed("pvno", PVNO))?;
            s.explicit(1, "msg-type", |r| {
                r.read_fixed("msg-type", msg_type::AP_REQ)
            })?;
            let opts = s.explicit(2, "ap-options", |r| r.read_kerberos_flags("ap-options"))?;
            let ticket = s.explicit(3, "ticket", Ticket::decode)?;
            let authenticator = s.explicit(4, "authenticator", EncryptedData::decode)?;
            s.skip_extensions(4, "AP-REQ")?;
            Ok(Self {
                ap_options: KerberosFlags(opts),
                ticket,
                authenticator,
            })
        })
    }

    /// ap-options use-session-key: the ticket is encrypted in the session
    /// key of the server's TGT (user-to-user).
    #[must_use]
    pub fn use_session_key(&self) -> bool {
        self.ap_options.bit(ap_options::USE_SESSION_KEY)
    }

    /// ap-options mutual-required: the client expects an AP-REP.
    #[must_use]
    pub fn mutual_required(&self) -> bool {
        self.ap_options.bit(ap_options::MUTUAL_REQUIRED)
    }
}

/// A decrypted Authenticator. Borrows the plaintext, which may hold the
/// subkey: zeroize it once done.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Authenticator<'a> {
    /// crealm: the client's realm.
    pub crealm: &'a str,
    /// cname: the client's name.
    pub cname: PrincipalName<'a>,
    /// cksum: for GSS, type 0x8003 (RFC 4121 4.1.1).
    pub cksum: Option<Checksum<'a>>,
    /// cusec: microseconds of the client time.
    pub cusec: u32,
    /// ctime: client time, Unix seconds.
    pub ctime: i64,
    /// subkey: the client's choice of session subkey.
    pub subkey: Option<EncryptionKey<'a>>,
    /// seq-number: the initiator's first sequence number.
    pub seq_number: Option<u32>,
    /// authorization-data.
    pub authorization_data: Option<AuthorizationData<'a>>,
}

impl<'a> Authenticator<'a> {
    /// Decodes a decrypted Authenticator filling `data` exactly.
    ///
    /// # Errors
    /// When malformed, authenticator-vno is not 5, or bytes follow.
    pub fn from_der(data: &'a [u8]) -> Result<Self, DecodeError> {
        decode_top(data, "Authenticator", app_tag::AUTHENTICATOR, |s| {
            // RFC 4120 5.5.1: authenticator-vno MUST be 5.
            s.explicit(0, "authenticator-vno", |r| r.read_fixed("pvno", PVNO))?;
            let crealm = s.explicit(1, "crealm", |r| r.read_kerberos_string("crealm"))?;
            let cname = s.explicit(2, "cname", PrincipalName::decode)?;
            let cksum = s.optional(3, "cksum", Checksum::decode)?;
            let cusec = s.explicit(4, "cusec", |r| r.read_microseconds("cusec"))?;
            let ctime = s.explicit(5, "ctime", |r| r.read_kerberos_time("ctime"))?;
            let subkey = s.optional(6, "subkey", EncryptionKey::decode)?;
            let seq_number = s.optional(7, "seq-number", |r| r.read_u32("seq-number"))?;
            let authorization_data =
                s.optional(8, "authorization-data", AuthorizationData::decode)?;
            s.skip_extensions(8, "Authenticator")?;
            Ok(Self {
                crealm,
                cname,
                cksum,
                cusec,
                ctime,
                subkey,
                seq_number,
                authorization_data,
            })
        })
    }

    /// The client principal: cname with crealm.
    #[must_use]
    pub fn client_principal(&self) -> Principal {
        self.cname.to_principal(self.crealm)
    }
}
