//! The crate's error type.

use std::fmt;

use kerbgate::{AcceptError, WrapError};

/// Why a SASL GSSAPI exchange, authorization or security-layer operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SaslError {
    /// The Kerberos acceptor refused the client's initial context token.
    ContextRefused {
        /// The acceptor's reason.
        source: Box<AcceptError>,
    },
    /// A client response arrived in a state that wants none, or a non-empty one where
    /// RFC 4752 3.1 wants an empty one.
    UnexpectedResponse {
        /// The state the exchange was in.
        state: &'static str,
        /// Length of the response.
        len: usize,
    },
    /// The client sent too many empty responses before its first token.
    TooManyEmptyResponses {
        /// How many arrived.
        count: u32,
    },
    /// The exchange already ended (successfully or not).
    Finished,
    /// GSS_Unwrap failed on the client's security-layer reply or a protected buffer.
    Unwrap {
        /// What was being unwrapped.
        what: &'static str,
        /// The per-message error.
        source: WrapError,
    },
    /// GSS_Wrap failed on our offer or a protected buffer.
    Wrap {
        /// What was being wrapped.
        what: &'static str,
        /// The per-message error.
        source: WrapError,
    },
    /// The unwrapped reply is shorter than the 4 octets RFC 4752 3.1 requires.
    ReplyTooShort {
        /// Its length.
        len: usize,
    },
    /// The reply selects no layer or several layers at once.
    NotExactlyOneLayer {
        /// The client's bitmask.
        mask: u8,
    },
    /// The reply selects a layer the server did not offer.
    LayerNotOffered {
        /// The client's bitmask.
        chosen: u8,
        /// The server's bitmask.
        offered: u8,
    },
    /// The client's maximum buffer size contradicts its chosen layer.
    ImpossibleSize {
        /// The chosen layer bitmask.
        layer: u8,
        /// The size the client sent.
        size: u32,
    },
    /// The authorization identity is not UTF-8 or contains NUL.
    AuthzidNotUtf8 {
        /// Its length in octets.
        len: usize,
    },
    /// The authenticated principal may not log in as the requested user.
    NotAuthorized {
        /// The authenticated client principal.
        principal: String,
        /// The requested authorization identity (empty: none).
        authzid: String,
    },
    /// A group rule (Active Directory group SIDs in the PAC) refused the principal.
    GroupRule {
        /// The authenticated client principal.
        principal: String,
        /// Why the rule refused.
        source: kerbgate::AuthzError,
    },
    /// A security-layer frame is longer than the receiver's maximum buffer size.
    FrameTooLarge {
        /// The frame length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A buffer is too large to be protected within the peer's maximum buffer size.
    MessageTooLarge {
        /// The message length.
        len: usize,
        /// The largest message that fits one frame.
        max: usize,
    },
    /// An integrity-only buffer arrived where confidentiality was negotiated.
    NotConfidential,
    /// A configuration value is invalid.
    Config {
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for SaslError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ContextRefused { source } => {
                write!(f, "gssapi context refused: {source}")
            }
            Self::UnexpectedResponse { state, len } => write!(
                f,
                "unexpected {len}-octet client response while {state} (RFC 4752 3.1); \
                 check the client's SASL GSSAPI implementation"
            ),
            Self::TooManyEmptyResponses { count } => write!(
                f,
                "{count} empty client responses before the first context token; \
                 the client sent no Kerberos token"
            ),
            Self::Finished => write!(f, "sasl exchange already finished; start a new one"),
            Self::Unwrap { what, source } => write!(f, "cannot unwrap {what}: {source}"),
            Self::Wrap { what, source } => write!(f, "cannot wrap {what}: {source}"),
            Self::ReplyTooShort { len } => write!(
                f,
                "security-layer reply has {len} octets, at least 4 required (RFC 4752 3.1)"
            ),
            Self::NotExactlyOneLayer { mask } => write!(
                f,
                "security-layer reply selects layer mask {mask:#04x}, exactly one layer \
                 required (RFC 4752 3.1)"
            ),
            Self::LayerNotOffered { chosen, offered } => write!(
                f,
                "client chose security layer {chosen:#04x}, server offered only {offered:#04x}; \
                 check the server's --security-layers"
            ),
            Self::ImpossibleSize { layer, size } => write!(
                f,
                "client maximum buffer size {size} impossible with layer {layer:#04x} \
                 (0 required for no layer, non-zero otherwise; RFC 4752 3.1)"
            ),
            Self::AuthzidNotUtf8 { len } => write!(
                f,
                "authorization identity ({len} octets) is not UTF-8 without NUL (RFC 4752 3.1)"
            ),
            Self::NotAuthorized { principal, authzid } => write!(
                f,
                "principal {principal} may not log in as {authzid:?}; check the user's \
                 k5principals and the accepted realms"
            ),
            Self::GroupRule { principal, source } => {
                write!(f, "principal {principal} refused by group rule: {source}")
            }
            Self::FrameTooLarge { len, max } => write!(
                f,
                "security-layer frame of {len} octets exceeds maximum buffer size {max}"
            ),
            Self::MessageTooLarge { len, max } => write!(
                f,
                "message of {len} octets exceeds {max}, the most one frame can carry"
            ),
            Self::NotConfidential => write!(
                f,
                "protected buffer is not encrypted although confidentiality was negotiated"
            ),
            Self::Config { reason } => write!(f, "invalid sasl configuration: {reason}"),
        }
    }
}

impl std::error::Error for SaslError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::ContextRefused { source } => Some(source.as_ref()),
            Self::Unwrap { source, .. } | Self::Wrap { source, .. } => Some(source),
            Self::GroupRule { source, .. } => Some(source),
            _ => None,
        }
    }
}
