//! The crate's errors. [`Error`] is the one type for callers that combine steps with
//! `?`; each variant nests the enum of one step, by cause ([`AcceptError`] for a
//! refused initial token, [`WrapError`] for a per-message token, and so on). Every
//! refusal names its Kerberos and GSS condition, the values involved and what the
//! operator should check.

use std::fmt;

use kerbgate_keytab::Principal;

use crate::acceptor::Rejected;
use crate::authz::AuthzError;
use crate::consts::{GssMajor, KrbErrorCode};
use crate::der::{DecodeError, DecodeErrorKind};
use crate::negotiate::HeaderError;
use crate::pac::PacError;
use crate::replay::ReplayCacheError;
use crate::spnego::{SpnegoError, SpnegoRejected};
use crate::time_fmt::Utc;
use crate::wrap::WrapError;

/// Any kerbgate failure, by the step that failed.
///
/// Each step's functions return their own enum; this one takes them all through
/// `From`, so a server that accepts a token, checks group rules and unwraps messages
/// can use one error type. [`Error::krb_error_code`], [`Error::gss_major`] and
/// [`Error::code_name`] give the same answers as the inner error's.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An initial context token (AP-REQ) was refused.
    Accept(Box<AcceptError>),
    /// A SPNEGO exchange failed.
    Spnego(Box<SpnegoError>),
    /// A per-message token (RFC 4121 wrap or MIC) was refused or could not be made.
    Wrap(WrapError),
    /// A message could not be decoded.
    Decode(DecodeError),
    /// A PAC was malformed or badly signed.
    Pac(PacError),
    /// A group rule refused the client.
    Authz(Box<AuthzError>),
    /// The replay cache could not answer.
    ReplayCache(ReplayCacheError),
    /// An HTTP `Authorization: Negotiate` header could not be read.
    NegotiateHeader(HeaderError),
}

impl Error {
    /// The Kerberos error code (RFC 4120 7.5.9), where one applies.
    #[must_use]
    pub fn krb_error_code(&self) -> Option<KrbErrorCode> {
        match self {
            Self::Accept(e) => e.krb_error_code(),
            Self::Spnego(e) => match e.as_ref() {
                SpnegoError::Accept(a) => a.krb_error_code(),
                _ => None,
            },
            Self::Decode(d) => defective_krb_error_code(d),
            Self::Pac(_) => Some(KrbErrorCode::KRB_AP_ERR_MODIFIED),
            Self::ReplayCache(_) => Some(KrbErrorCode::KRB_ERR_GENERIC),
            Self::Wrap(_) | Self::Authz(_) | Self::NegotiateHeader(_) => None,
        }
    }

    /// The GSS-API major status (RFC 2743 1.2.1.1). A group rule's refusal is
    /// `GSS_S_UNAUTHORIZED` (the context was established; the name is not allowed); an
    /// HTTP header of another scheme (Basic, NTLM) is `GSS_S_BAD_MECH`.
    #[must_use]
    pub fn gss_major(&self) -> GssMajor {
        match self {
            Self::Accept(e) => e.gss_major(),
            Self::Spnego(e) => e.gss_major(),
            Self::Wrap(e) => e.gss_major(),
            Self::Decode(d) => d.gss_major(),
            Self::Pac(_) => GssMajor::DefectiveCredential,
            Self::Authz(_) => GssMajor::Unauthorized,
            Self::ReplayCache(_) => GssMajor::Failure,
            Self::NegotiateHeader(HeaderError::OtherScheme { .. }) => GssMajor::BadMech,
            Self::NegotiateHeader(_) => GssMajor::DefectiveToken,
        }
    }

    /// The condition's name for machines: the Kerberos code name where there is one,
    /// else the GSS major status name.
    #[must_use]
    pub fn code_name(&self) -> String {
        match self.krb_error_code() {
            Some(code) => code.to_string(),
            None => self.gss_major().name().to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Accept(e) => e.fmt(f),
            Self::Spnego(e) => e.fmt(f),
            Self::Wrap(e) => e.fmt(f),
            Self::Decode(e) => e.fmt(f),
            Self::Pac(e) => e.fmt(f),
            Self::Authz(e) => e.fmt(f),
            Self::ReplayCache(e) => e.fmt(f),
            Self::NegotiateHeader(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(match self {
            Self::Accept(e) => e.as_ref(),
            Self::Spnego(e) => e.as_ref(),
            Self::Wrap(e) => e,
            Self::Decode(e) => e,
            Self::Pac(e) => e,
            Self::Authz(e) => e.as_ref(),
            Self::ReplayCache(e) => e,
            Self::NegotiateHeader(e) => e,
        })
    }
}

impl From<AcceptError> for Error {
    fn from(e: AcceptError) -> Self {
        Self::Accept(Box::new(e))
    }
}

/// Keeps the error; a KRB-ERROR token the rejection carried is dropped, so send it to
/// the client before converting.
impl From<Rejected> for Error {
    fn from(r: Rejected) -> Self {
        Self::Accept(r.error)
    }
}

impl From<SpnegoError> for Error {
    fn from(e: SpnegoError) -> Self {
        Self::Spnego(Box::new(e))
    }
}

/// Keeps the error; a token the rejection carried (a KRB-ERROR inside a SPNEGO reject)
/// is dropped, so send it to the client before converting.
impl From<SpnegoRejected> for Error {
    fn from(r: SpnegoRejected) -> Self {
        Self::Spnego(Box::new(r.error))
    }
}

impl From<WrapError> for Error {
    fn from(e: WrapError) -> Self {
        Self::Wrap(e)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

impl From<PacError> for Error {
    fn from(e: PacError) -> Self {
        Self::Pac(e)
    }
}

impl From<AuthzError> for Error {
    fn from(e: AuthzError) -> Self {
        Self::Authz(Box::new(e))
    }
}

impl From<ReplayCacheError> for Error {
    fn from(e: ReplayCacheError) -> Self {
        Self::ReplayCache(e)
    }
}

impl From<HeaderError> for Error {
    fn from(e: HeaderError) -> Self {
        Self::NegotiateHeader(e)
    }
}

/// The Kerberos code a malformed message carries: only a wrong protocol version or
/// message type has one (KRB_AP_ERR_BADVERSION, KRB_AP_ERR_MSG_TYPE).
fn defective_krb_error_code(d: &DecodeError) -> Option<KrbErrorCode> {
    match d.kind() {
        DecodeErrorKind::BadValue {
            field: "pvno" | "tkt-vno" | "msg-type",
            ..
        } => Some(d.krb_error_code()),
        _ => None,
    }
}

/// Why an initial context token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcceptError {
    /// The token's framing or DER is malformed.
    Defective(DecodeError),
    /// The token is framed for a mechanism this acceptor does not speak.
    UnsupportedMechanism {
        /// The mechanism OID in dotted form.
        oid: String,
    },
    /// A well-formed token that is not an AP-REQ (e.g. an AP-REP or KRB-ERROR).
    UnexpectedToken {
        /// What arrived.
        what: &'static str,
    },
    /// The AP-REQ asked for a protocol option kerbgate does not implement.
    Unsupported {
        /// The option, e.g. "user-to-user (use-session-key)".
        what: &'static str,
    },
    /// The ticket names a service this acceptor does not answer for.
    NotUs {
        /// The service principal in the ticket.
        ticket_service: Principal,
        /// The names the acceptor answers for, for the message.
        accepted: String,
    },
    /// The keytab holds no key of the ticket's enctype for its service.
    NoKey {
        /// The service principal in the ticket.
        service: Principal,
        /// The ticket's enctype number.
        enctype: i32,
        /// What the keytab holds for that principal: (kvno, enctype) pairs.
        held: Vec<(u32, i32)>,
    },
    /// The keytab holds keys for the service, but not the ticket's key version.
    BadKeyVersion {
        /// The service principal in the ticket.
        service: Principal,
        /// The ticket's kvno.
        kvno: u32,
        /// The kvnos the keytab holds for that principal and enctype.
        held: Vec<u32>,
    },
    /// An enctype in the exchange is not supported or not allowed here.
    EnctypeNotSupported {
        /// Which key: "ticket", "session key", "authenticator subkey", ...
        what: &'static str,
        /// The enctype number.
        enctype: i32,
        /// Why: unknown, deprecated, feature off, or refused by configuration.
        reason: String,
    },
    /// No keytab key decrypted the ticket.
    TicketIntegrity {
        /// The service principal in the ticket.
        service: Principal,
        /// The ticket's enctype number.
        enctype: i32,
        /// The kvnos tried.
        kvnos_tried: Vec<u32>,
    },
    /// The ticket carries the INVALID flag (a postdated ticket not yet validated).
    TicketInvalidFlag,
    /// The ticket's start time is in the future beyond the allowed skew.
    TicketNotYetValid {
        /// starttime (or authtime) of the ticket, Unix seconds.
        starttime: i64,
        /// The acceptor's clock.
        now: i64,
        /// Allowed skew, seconds.
        skew: u32,
    },
    /// The ticket's end time has passed beyond the allowed skew.
    TicketExpired {
        /// endtime of the ticket, Unix seconds.
        endtime: i64,
        /// The acceptor's clock.
        now: i64,
        /// Allowed skew, seconds.
        skew: u32,
    },
    /// The authenticator did not decrypt with the ticket's session key.
    AuthenticatorIntegrity,
    /// The authenticator names another client than the ticket.
    ClientMismatch {
        /// Client in the ticket.
        ticket_client: Principal,
        /// Client in the authenticator.
        authenticator_client: Principal,
    },
    /// The authenticator's time is outside the allowed clock skew.
    Skew {
        /// The authenticator's ctime, Unix seconds.
        ctime: i64,
        /// The acceptor's clock.
        now: i64,
        /// Allowed skew, seconds.
        skew: u32,
    },
    /// The authenticator was seen before.
    Replay {
        /// The client principal of the replayed authenticator.
        client: Principal,
    },
    /// The replay cache could not answer; the login is refused to be safe.
    ReplayCache(ReplayCacheError),
    /// The authenticator's checksum is of a type not allowed here.
    InappropriateChecksum {
        /// The checksum type number.
        cksumtype: i32,
    },
    /// A keyed authenticator checksum did not verify.
    ChecksumMismatch,
    /// Channel bindings did not match.
    ChannelBindings {
        /// What was wrong.
        reason: BindingsMismatch,
    },
    /// Delegated credentials (KRB-CRED) could not be read.
    Delegation {
        /// What was wrong.
        reason: String,
    },
    /// The acceptor's configuration is not usable.
    Config {
        /// What is wrong.
        reason: String,
    },
    /// The ticket's PAC is malformed, its server signature fails, or it names another
    /// client (or a PAC is required and absent).
    Pac(crate::pac::PacError),
    /// The key source (keytab) could not be read.
    KeySource {
        /// What failed.
        reason: String,
    },
    /// The operating system's random number generator failed while making the AP-REP's
    /// subkey and sequence number.
    Randomness {
        /// What the generator reported.
        reason: String,
    },
}

/// How channel bindings failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindingsMismatch {
    /// Both sides had bindings and their hashes differ.
    Different,
    /// Strict mode: the acceptor has bindings but the initiator sent none (all-zero hash).
    MissingFromInitiator,
    /// Strict mode: the initiator sent bindings but the acceptor has none.
    MissingFromAcceptor,
}

impl AcceptError {
    /// The Kerberos error code for this failure (RFC 4120 7.5.9), where one applies.
    pub fn krb_error_code(&self) -> Option<KrbErrorCode> {
        use AcceptError as E;
        Some(match self {
            E::Defective(d) => return defective_krb_error_code(d),
            E::UnsupportedMechanism { .. } | E::UnexpectedToken { .. } => return None,
            E::Unsupported { .. } => KrbErrorCode::KRB_AP_ERR_METHOD,
            E::NotUs { .. } => KrbErrorCode::KRB_AP_ERR_NOT_US,
            E::NoKey { .. } => KrbErrorCode::KRB_AP_ERR_NOKEY,
            E::BadKeyVersion { .. } => KrbErrorCode::KRB_AP_ERR_BADKEYVER,
            E::EnctypeNotSupported { .. } => KrbErrorCode::KDC_ERR_ETYPE_NOSUPP,
            E::TicketIntegrity { .. } | E::AuthenticatorIntegrity => {
                KrbErrorCode::KRB_AP_ERR_BAD_INTEGRITY
            }
            E::TicketInvalidFlag | E::TicketNotYetValid { .. } => KrbErrorCode::KRB_AP_ERR_TKT_NYV,
            E::TicketExpired { .. } => KrbErrorCode::KRB_AP_ERR_TKT_EXPIRED,
            E::ClientMismatch { .. } => KrbErrorCode::KRB_AP_ERR_BADMATCH,
            E::Skew { .. } => KrbErrorCode::KRB_AP_ERR_SKEW,
            E::Replay { .. } => KrbErrorCode::KRB_AP_ERR_REPEAT,
            E::InappropriateChecksum { .. } => KrbErrorCode::KRB_AP_ERR_INAPP_CKSUM,
            E::ChecksumMismatch | E::Pac(_) => KrbErrorCode::KRB_AP_ERR_MODIFIED,
            E::ChannelBindings { .. } | E::Delegation { .. } => return None,
            E::ReplayCache(_) | E::Config { .. } | E::KeySource { .. } | E::Randomness { .. } => {
                KrbErrorCode::KRB_ERR_GENERIC
            }
        })
    }

    /// The GSS-API major status for this failure (RFC 2743 1.2.1.1).
    pub fn gss_major(&self) -> GssMajor {
        use AcceptError as E;
        match self {
            E::Defective(d) => d.gss_major(),
            E::UnsupportedMechanism { .. } => GssMajor::BadMech,
            E::UnexpectedToken { .. } => GssMajor::DefectiveToken,
            E::ChannelBindings { .. } => GssMajor::BadBindings,
            E::TicketExpired { .. } => GssMajor::CredentialsExpired,
            E::Delegation { .. } | E::Pac(_) => GssMajor::DefectiveCredential,
            E::Replay { .. } => GssMajor::DuplicateToken,
            E::NotUs { .. } | E::NoKey { .. } | E::BadKeyVersion { .. } => GssMajor::NoCred,
            E::KeySource { .. } | E::Config { .. } => GssMajor::NoCred,
            _ => GssMajor::Failure,
        }
    }

    /// The condition's name for machines: the Kerberos code name where there is one,
    /// else the GSS major status name (e.g. `KRB_AP_ERR_SKEW`, `GSS_S_BAD_BINDINGS`).
    pub fn code_name(&self) -> String {
        match self.krb_error_code() {
            Some(code) => code.to_string(),
            None => self.gss_major().name().to_string(),
        }
    }
}

impl From<DecodeError> for AcceptError {
    fn from(e: DecodeError) -> Self {
        AcceptError::Defective(e)
    }
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn enctype(n: i32) -> String {
    match kerbgate_crypto::enctype_name(n) {
        Some(name) => name.to_string(),
        None => format!("enctype {n}"),
    }
}

impl fmt::Display for AcceptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AcceptError as E;
        match self {
            E::Defective(d) => write!(f, "{d}"),
            E::UnsupportedMechanism { oid } => write!(
                f,
                "unsupported mechanism (GSS_S_BAD_MECH): token is for {oid}; kerbgate accepts \
                 Kerberos V5 (1.2.840.113554.1.2.2) and its Microsoft OID (1.2.840.48018.1.2.2)"
            ),
            E::UnexpectedToken { what } => write!(
                f,
                "defective token (GSS_S_DEFECTIVE_TOKEN): expected an AP-REQ, got {what}; is the \
                 peer acting as a server?"
            ),
            E::Unsupported { what } => write!(
                f,
                "unsupported option (KRB_AP_ERR_METHOD): the client asked for {what}, which \
                 kerbgate does not implement"
            ),
            E::NotUs {
                ticket_service,
                accepted,
            } => write!(
                f,
                "ticket is for another service (KRB_AP_ERR_NOT_US): ticket names \
                 {ticket_service}, this acceptor answers for {accepted}; check the service \
                 name the client asked for and the acceptor's --service setting"
            ),
            E::NoKey {
                service,
                enctype: et,
                held,
            } => {
                write!(
                    f,
                    "no key for the ticket (KRB_AP_ERR_NOKEY): ticket for {service} is "
                )?;
                write!(f, "encrypted with {}", enctype(*et))?;
                if held.is_empty() {
                    write!(f, " and the keytab holds no key for that principal")?;
                } else {
                    let held: Vec<String> = held
                        .iter()
                        .map(|(k, e)| format!("kvno {k} {}", enctype(*e)))
                        .collect();
                    write!(f, " but the keytab holds only {}", held.join(", "))?;
                }
                write!(
                    f,
                    "; export the key of that enctype into the keytab (kadmin ktadd -e)"
                )
            }
            E::BadKeyVersion {
                service,
                kvno,
                held,
            } => write!(
                f,
                "key version not in keytab (KRB_AP_ERR_BADKEYVER): ticket for {service} is \
                 under kvno {kvno}, the keytab holds kvno {}; the service was rekeyed: update \
                 the keytab, keep old keys in it, or have the client get a new ticket",
                list(held)
            ),
            E::EnctypeNotSupported {
                what,
                enctype: et,
                reason,
            } => write!(
                f,
                "enctype not supported (KDC_ERR_ETYPE_NOSUPP): {what} uses {}: {reason}",
                enctype(*et)
            ),
            E::TicketIntegrity {
                service,
                enctype: et,
                kvnos_tried,
            } => write!(
                f,
                "ticket does not decrypt (KRB_AP_ERR_BAD_INTEGRITY): ticket for {service} \
                 ({}) failed its integrity check with keytab kvno {}; the keytab key differs \
                 from the KDC's: was it made with the wrong password or salt, or re-exported \
                 without -norandkey?",
                enctype(*et),
                list(kvnos_tried)
            ),
            E::TicketInvalidFlag => write!(
                f,
                "ticket not yet valid (KRB_AP_ERR_TKT_NYV): the ticket has the INVALID flag \
                 (postdated and not validated); the client must validate it at the KDC"
            ),
            E::TicketNotYetValid {
                starttime,
                now,
                skew,
            } => write!(
                f,
                "ticket not yet valid (KRB_AP_ERR_TKT_NYV): starts {} ({} s from now, skew \
                 limit {skew} s); check time sync on client, KDC and server",
                Utc(*starttime),
                starttime.saturating_sub(*now)
            ),
            E::TicketExpired { endtime, now, skew } => write!(
                f,
                "ticket expired (KRB_AP_ERR_TKT_EXPIRED): ended {} ({} s ago, skew limit \
                 {skew} s); the client must get a new ticket (kinit); check clocks if unexpected",
                Utc(*endtime),
                now.saturating_sub(*endtime)
            ),
            E::AuthenticatorIntegrity => write!(
                f,
                "authenticator does not decrypt (KRB_AP_ERR_BAD_INTEGRITY): it failed its \
                 integrity check with the ticket's session key; the token was altered or built \
                 for another ticket"
            ),
            E::ClientMismatch {
                ticket_client,
                authenticator_client,
            } => write!(
                f,
                "client name mismatch (KRB_AP_ERR_BADMATCH): ticket is for {ticket_client}, \
                 authenticator names {authenticator_client}"
            ),
            E::Skew { ctime, now, skew } => write!(
                f,
                "clock skew too great (KRB_AP_ERR_SKEW): {} s, limit {skew} s (client time {}, \
                 server time {}); check time sync on client and server",
                ctime.saturating_sub(*now).unsigned_abs(),
                Utc(*ctime),
                Utc(*now)
            ),
            E::Replay { client } => write!(
                f,
                "request is a replay (KRB_AP_ERR_REPEAT): this authenticator from {client} was \
                 already accepted; a captured token was sent again, or a client retried with \
                 the same token"
            ),
            E::ReplayCache(e) => write!(f, "replay cache failure (KRB_ERR_GENERIC): {e}"),
            E::InappropriateChecksum { cksumtype } => write!(
                f,
                "inappropriate checksum type (KRB_AP_ERR_INAPP_CKSUM): authenticator checksum \
                 type {cksumtype} is not a keyed checksum allowed here"
            ),
            E::ChecksumMismatch => write!(
                f,
                "authenticator checksum does not verify (KRB_AP_ERR_MODIFIED): the request was \
                 altered"
            ),
            E::ChannelBindings { reason } => match reason {
                BindingsMismatch::Different => write!(
                    f,
                    "channel bindings do not match (GSS_S_BAD_BINDINGS): the client bound the \
                     login to another channel; check TLS termination or a proxy between client \
                     and server"
                ),
                BindingsMismatch::MissingFromInitiator => write!(
                    f,
                    "channel bindings missing (GSS_S_BAD_BINDINGS): strict mode requires them \
                     and the client sent none; upgrade the client or turn strict mode off"
                ),
                BindingsMismatch::MissingFromAcceptor => write!(
                    f,
                    "channel bindings unexpected (GSS_S_BAD_BINDINGS): the client sent bindings \
                     and strict mode requires the acceptor to have matching ones"
                ),
            },
            E::Delegation { reason } => write!(
                f,
                "delegated credentials unusable (GSS_S_DEFECTIVE_CREDENTIAL): {reason}"
            ),
            E::Pac(e) => write!(
                f,
                "PAC refused (KRB_AP_ERR_MODIFIED): {e}; check that the keytab key matches the \
                 KDC's and that nothing rewrote the ticket"
            ),
            E::Config { reason } => write!(f, "acceptor misconfigured (GSS_S_NO_CRED): {reason}"),
            E::KeySource { reason } => write!(f, "keytab unusable (GSS_S_NO_CRED): {reason}"),
            E::Randomness { reason } => write!(
                f,
                "no randomness for the AP-REP (KRB_ERR_GENERIC): {reason}; check that \
                 getrandom(2) or /dev/urandom is available to this process (seccomp or \
                 sandbox rules)"
            ),
        }
    }
}

impl std::error::Error for AcceptError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_side_failures_name_their_condition_and_what_to_check() {
        let rng = AcceptError::Randomness {
            reason: "the operating system random number generator failed".into(),
        };
        assert_eq!(rng.krb_error_code(), Some(KrbErrorCode::KRB_ERR_GENERIC));
        assert_eq!(rng.gss_major(), GssMajor::Failure);
        let text = rng.to_string();
        assert!(
            text.starts_with("no randomness for the AP-REP (KRB_ERR_GENERIC)"),
            "{text}"
        );
        assert!(
            text.contains("generator failed; check") && text.contains("seccomp"),
            "{text}"
        );

        let config = AcceptError::Config {
            reason: "no key source".into(),
        };
        assert_eq!(config.gss_major(), GssMajor::NoCred);
        assert_eq!(config.code_name(), "KRB_ERR_GENERIC");
    }
}
