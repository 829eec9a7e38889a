//! Why a per-message operation failed, mapped to its GSS-API major status.

use std::fmt;

use crate::consts::GssMajor;

/// Which kind of per-message token an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenKind {
    /// A Wrap token (RFC 4121 05 04, RFC 4757 02 01).
    Wrap,
    /// A MIC token (RFC 4121 04 04, RFC 4757 01 01).
    Mic,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Wrap => "wrap",
            Self::Mic => "MIC",
        })
    }
}

/// What is malformed in a token (GSS_S_DEFECTIVE_TOKEN).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Defect {
    /// The token is shorter than its fixed fields need.
    TooShort {
        /// Bytes present.
        len: usize,
        /// Bytes needed.
        min: usize,
    },
    /// The token is longer than this implementation accepts.
    TooLong {
        /// Bytes present.
        len: usize,
        /// Largest accepted.
        max: usize,
    },
    /// The TOK_ID is not the one expected here.
    TokenId {
        /// The two bytes found.
        found: [u8; 2],
        /// The two bytes expected.
        expected: [u8; 2],
    },
    /// A filler byte is not 0xFF.
    Filler,
    /// The extra count (EC) does not fit the token.
    ExtraCount {
        /// EC from the header.
        ec: u16,
        /// What fits or is required.
        limit: usize,
    },
    /// The encrypted copy of the header differs from the header.
    HeaderCopy,
    /// The AcceptorSubkey flag disagrees with the context.
    SubkeyFlag {
        /// Whether the token had the flag set.
        set: bool,
    },
    /// The RFC 2743 framing (0x60, length, OID) around a legacy token is wrong.
    Framing,
    /// Unknown SGN_ALG or SEAL_ALG in a legacy token.
    Algorithm {
        /// SGN_ALG bytes.
        sgn: [u8; 2],
        /// SEAL_ALG bytes.
        seal: [u8; 2],
    },
    /// The padding of a legacy Wrap token is invalid.
    Padding {
        /// The last byte (the pad length).
        pad: u8,
    },
    /// The checksum has the wrong length.
    ChecksumLength {
        /// Bytes present.
        len: usize,
        /// Bytes expected.
        expected: usize,
    },
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len, min } => write!(f, "{len} bytes, at least {min} needed"),
            Self::TooLong { len, max } => write!(f, "{len} bytes, at most {max} accepted"),
            Self::TokenId { found, expected } => write!(
                f,
                "token ID {:02x} {:02x}, expected {:02x} {:02x}",
                found[0], found[1], expected[0], expected[1]
            ),
            Self::Filler => write!(f, "filler bytes are not 0xff"),
            Self::ExtraCount { ec, limit } => write!(f, "extra count {ec} does not fit ({limit})"),
            Self::HeaderCopy => write!(f, "the encrypted header copy differs from the header"),
            Self::SubkeyFlag { set } => write!(
                f,
                "AcceptorSubkey flag is {} but the context {} an acceptor subkey",
                if *set { "set" } else { "clear" },
                if *set { "has no" } else { "has" }
            ),
            Self::Framing => write!(f, "bad GSS framing (0x60, length, Kerberos OID)"),
            Self::Algorithm { sgn, seal } => write!(
                f,
                "unknown SGN_ALG {:02x}{:02x} or SEAL_ALG {:02x}{:02x}",
                sgn[0], sgn[1], seal[0], seal[1]
            ),
            Self::Padding { pad } => write!(f, "bad padding length {pad}"),
            Self::ChecksumLength { len, expected } => {
                write!(f, "checksum of {len} bytes, expected {expected}")
            }
        }
    }
}

/// A per-message operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WrapError {
    /// The token is malformed (GSS_S_DEFECTIVE_TOKEN).
    Defective {
        /// Which token.
        token: TokenKind,
        /// What is wrong.
        defect: Defect,
    },
    /// The integrity check failed (GSS_S_BAD_MIC).
    BadMic {
        /// Which token.
        token: TokenKind,
    },
    /// The token claims to come from our own side: a reflected token (GSS_S_BAD_MIC).
    WrongDirection {
        /// Which token.
        token: TokenKind,
    },
    /// The sequence number was already received (GSS_S_DUPLICATE_TOKEN).
    Duplicate {
        /// The token's sequence number.
        seq: u64,
    },
    /// The sequence number is too old to check for duplicates (GSS_S_OLD_TOKEN).
    Old {
        /// The token's sequence number.
        seq: u64,
        /// The oldest sequence number still checked.
        oldest: u64,
    },
    /// The context's ticket has expired (GSS_S_CONTEXT_EXPIRED).
    Expired {
        /// When the context ended, Unix seconds.
        expired_at: i64,
        /// The caller's clock, Unix seconds.
        now: i64,
    },
    /// The context needs something this build lacks (GSS_S_UNAVAILABLE).
    Unsupported {
        /// What is missing.
        what: &'static str,
    },
    /// The message to protect is too long (GSS_S_FAILURE).
    TooLong {
        /// Its length.
        len: usize,
        /// Largest accepted.
        max: usize,
    },
    /// The cryptographic layer failed on our own input (GSS_S_FAILURE).
    Crypto {
        /// The crypto error.
        reason: kerbgate_crypto::Error,
    },
}

impl WrapError {
    /// The GSS-API major status for this failure (RFC 2743 1.2.1.1).
    #[must_use]
    pub fn gss_major(&self) -> GssMajor {
        match self {
            Self::Defective { .. } => GssMajor::DefectiveToken,
            Self::BadMic { .. } | Self::WrongDirection { .. } => GssMajor::BadMic,
            Self::Duplicate { .. } => GssMajor::DuplicateToken,
            Self::Old { .. } => GssMajor::OldToken,
            Self::Expired { .. } => GssMajor::ContextExpired,
            Self::Unsupported { .. } => GssMajor::Unavailable,
            Self::TooLong { .. } | Self::Crypto { .. } => GssMajor::Failure,
        }
    }

    pub(crate) fn defective(token: TokenKind, defect: Defect) -> Self {
        Self::Defective { token, defect }
    }
}

impl fmt::Display for WrapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Defective { token, defect } => write!(
                f,
                "defective token (GSS_S_DEFECTIVE_TOKEN): {token} token: {defect}; the peer \
                 sent a malformed or truncated token, or a token for another mechanism"
            ),
            Self::BadMic { token } => write!(
                f,
                "integrity check failed (GSS_S_BAD_MIC): {token} token does not verify with \
                 the context key; it was altered, or belongs to another context"
            ),
            Self::WrongDirection { token } => write!(
                f,
                "token from the wrong direction (GSS_S_BAD_MIC): {token} token claims to come \
                 from this side of the context; it was reflected back to us"
            ),
            Self::Duplicate { seq } => write!(
                f,
                "duplicate token (GSS_S_DUPLICATE_TOKEN): sequence number {seq} was already \
                 received; the token was replayed or sent twice"
            ),
            Self::Old { seq, oldest } => write!(
                f,
                "old token (GSS_S_OLD_TOKEN): sequence number {seq} is older than {oldest}, \
                 the oldest still checked for replays; it was delayed or replayed"
            ),
            Self::Expired { expired_at, now } => write!(
                f,
                "context expired (GSS_S_CONTEXT_EXPIRED): the ticket ended {} s ago; the \
                 client must authenticate again with a new ticket",
                now.saturating_sub(*expired_at)
            ),
            Self::Unsupported { what } => {
                write!(f, "unavailable (GSS_S_UNAVAILABLE): {what}")
            }
            Self::TooLong { len, max } => write!(
                f,
                "message too long (GSS_S_FAILURE): {len} bytes, at most {max}; split it"
            ),
            Self::Crypto { reason } => write!(f, "cryptographic failure (GSS_S_FAILURE): {reason}"),
        }
    }
}

impl std::error::Error for WrapError {}
