//! The established security context: who logged in, with which keys and flags.

use std::fmt;
use std::sync::Arc;

use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::Principal;

use crate::consts::gss_flags;
use crate::delegation::DelegatedCredentials;
use crate::token::{Framing, Mech};

/// GSS context flags (RFC 2744 section 5.1 bit values).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GssFlags(pub u32);

const FLAG_NAMES: &[(u32, &str)] = &[
    (gss_flags::DELEG, "deleg"),
    (gss_flags::MUTUAL, "mutual"),
    (gss_flags::REPLAY, "replay"),
    (gss_flags::SEQUENCE, "sequence"),
    (gss_flags::CONF, "conf"),
    (gss_flags::INTEG, "integ"),
    (gss_flags::ANON, "anon"),
    (gss_flags::DCE_STYLE, "dce-style"),
    (gss_flags::IDENTIFY, "identify"),
    (gss_flags::EXTENDED_ERROR, "extended-error"),
];

impl GssFlags {
    /// Whether every bit of `flag` is set.
    pub fn contains(self, flag: u32) -> bool {
        self.0 & flag == flag
    }

    /// The names of the set flags, in RFC 2744 bit order (`mutual`, `replay`, ...).
    pub fn names(self) -> Vec<&'static str> {
        FLAG_NAMES
            .iter()
            .filter(|(bit, _)| self.0 & bit != 0)
            .map(|(_, n)| *n)
            .collect()
    }
}

impl fmt::Debug for GssFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GssFlags({})", self.names().join("|"))
    }
}

/// One authorization-data element, copied out of the ticket or authenticator.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthzElement {
    /// The ad-type (e.g. 128 for a Windows PAC).
    pub ad_type: i32,
    /// The element's data.
    pub data: Vec<u8>,
    /// Whether it came from the ticket (issued by the KDC) rather than the authenticator
    /// (chosen by the client).
    pub from_ticket: bool,
    /// Whether it was found inside AD-IF-RELEVANT.
    pub if_relevant: bool,
}

impl fmt::Debug for AuthzElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthzElement")
            .field("ad_type", &self.ad_type)
            .field("len", &self.data.len())
            .field("from_ticket", &self.from_ticket)
            .field("if_relevant", &self.if_relevant)
            .finish()
    }
}

/// An established Kerberos GSS security context on the acceptor side.
///
/// Only the acceptor constructs it, after every check of RFC 4120 section 3.2.3 and
/// RFC 4121 section 4.1 passed.
pub struct SecurityContext {
    pub(crate) mech: Mech,
    pub(crate) framing: Framing,
    pub(crate) client: Principal,
    pub(crate) service: Arc<Principal>,
    pub(crate) ticket_enctype: Enctype,
    pub(crate) ticket_kvno: u32,
    pub(crate) session_key: Key,
    pub(crate) initiator_subkey: Option<Key>,
    pub(crate) acceptor_subkey: Option<Key>,
    pub(crate) flags: GssFlags,
    pub(crate) ticket_flags: u32,
    pub(crate) authtime: i64,
    pub(crate) endtime: i64,
    pub(crate) initiator_seq: u32,
    pub(crate) acceptor_seq: u32,
    pub(crate) authz: Vec<AuthzElement>,
    // Boxed: both are rare or large, and an established context should stay small.
    pub(crate) pac: Option<Box<crate::pac::Pac>>,
    pub(crate) delegated: Option<Box<DelegatedCredentials>>,
}

impl SecurityContext {
    /// The mechanism the initiator used (Kerberos V5 or its Microsoft OID).
    pub fn mech(&self) -> Mech {
        self.mech
    }

    /// Whether the token had RFC 2743 framing or was a bare AP-REQ.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The authenticated client principal.
    pub fn client(&self) -> &Principal {
        &self.client
    }

    /// The service principal the ticket named.
    pub fn service(&self) -> &Principal {
        &self.service
    }

    /// The enctype of the ticket (of the service key).
    pub fn ticket_enctype(&self) -> Enctype {
        self.ticket_enctype
    }

    /// The key version of the service key that decrypted the ticket.
    pub fn ticket_kvno(&self) -> u32 {
        self.ticket_kvno
    }

    /// The enctype of the ticket's session key.
    pub fn session_enctype(&self) -> Enctype {
        self.session_key.enctype()
    }

    /// The negotiated GSS flags.
    pub fn flags(&self) -> GssFlags {
        self.flags
    }

    /// The ticket's flags (KerberosFlags, bit 0 the most significant).
    pub fn ticket_flags(&self) -> u32 {
        self.ticket_flags
    }

    /// The ticket's authtime, Unix seconds.
    pub fn authtime(&self) -> i64 {
        self.authtime
    }

    /// When the context expires: the ticket's endtime, Unix seconds.
    pub fn expires(&self) -> i64 {
        self.endtime
    }

    /// The session key from the ticket.
    pub fn session_key(&self) -> &Key {
        &self.session_key
    }

    /// The initiator's subkey from the authenticator, if any.
    pub fn initiator_subkey(&self) -> Option<&Key> {
        self.initiator_subkey.as_ref()
    }

    /// The acceptor's subkey sent in the AP-REP, if any.
    pub fn acceptor_subkey(&self) -> Option<&Key> {
        self.acceptor_subkey.as_ref()
    }

    /// The key protecting per-message tokens (RFC 4121 section 2): the acceptor subkey,
    /// else the initiator subkey, else the session key.
    pub fn context_key(&self) -> &Key {
        self.acceptor_subkey
            .as_ref()
            .or(self.initiator_subkey.as_ref())
            .unwrap_or(&self.session_key)
    }

    /// The initiator's initial sequence number (from the authenticator, else 0).
    pub fn initiator_seq(&self) -> u32 {
        self.initiator_seq
    }

    /// The acceptor's initial sequence number (sent in the AP-REP; without mutual
    /// authentication equal to the initiator's).
    pub fn acceptor_seq(&self) -> u32 {
        self.acceptor_seq
    }

    /// Authorization data from the ticket and the authenticator, AD-IF-RELEVANT unpacked.
    pub fn authorization_data(&self) -> &[AuthzElement] {
        &self.authz
    }

    /// The ticket's verified PAC (MS-PAC), when it carried one: user and group SIDs,
    /// UPN, logon domain.
    pub fn pac(&self) -> Option<&crate::pac::Pac> {
        self.pac.as_deref()
    }

    /// Credentials the client delegated (forwarded TGT), when the deleg flag was set.
    pub fn delegated(&self) -> Option<&DelegatedCredentials> {
        self.delegated.as_deref()
    }

    /// Takes the delegated credentials out of the context.
    pub fn take_delegated(&mut self) -> Option<DelegatedCredentials> {
        self.delegated.take().map(|d| *d)
    }
}

impl fmt::Debug for SecurityContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityContext")
            .field("mech", &self.mech)
            .field("client", &self.client.to_string())
            .field("service", &self.service.to_string())
            .field("ticket_enctype", &self.ticket_enctype)
            .field("ticket_kvno", &self.ticket_kvno)
            .field("session_enctype", &self.session_key.enctype())
            .field("flags", &self.flags)
            .field("expires", &self.endtime)
            .field("acceptor_subkey", &self.acceptor_subkey.is_some())
            .field("delegated", &self.delegated.is_some())
            .finish_non_exhaustive()
    }
}
