//! The testkit's error type.

use core::fmt;

/// Why minting or checking failed.
#[non_exhaustive]
#[derive(Debug)]
pub enum Error {
    /// A kerbgate-crypto operation failed (bad key length, unsupported enctype,
    /// failed integrity check on decryption).
    Crypto(kerbgate_crypto::Error),
    /// A kerbgate-keytab operation failed.
    Keytab(kerbgate_keytab::Error),
    /// The operating system random generator failed.
    Random,
    /// DER input ended early or broke a DER rule.
    Malformed {
        /// What was being read.
        what: &'static str,
        /// Byte offset in the input.
        offset: usize,
    },
    /// A TLV had another tag than the structure requires.
    UnexpectedTag {
        /// What was being read.
        what: &'static str,
        /// The tag the structure requires.
        expected: u8,
        /// The tag found.
        found: u8,
        /// Byte offset in the input.
        offset: usize,
    },
    /// A field had a value other than the protocol fixes (pvno, msg-type, OID).
    UnexpectedValue {
        /// Which field.
        what: &'static str,
        /// The value required.
        expected: i64,
        /// The value found.
        found: i64,
    },
    /// The GSS token had another token ID than expected (RFC 4121 4.1).
    BadTokenId {
        /// The token ID required.
        expected: [u8; 2],
        /// The token ID found.
        found: [u8; 2],
    },
    /// The GSS token's mechanism OID is not Kerberos V5.
    UnknownMechanism,
    /// The acceptor answered with a KRB-ERROR.
    KrbError {
        /// The Kerberos error code (RFC 4120 7.5.9).
        code: i32,
        /// The e-text, if any.
        e_text: Option<String>,
    },
    /// The AP-REP's ctime/cusec differ from the authenticator's (RFC 4120 3.2.5).
    TimeMismatch {
        /// ctime sent in the authenticator.
        expected_ctime: i64,
        /// cusec sent in the authenticator.
        expected_cusec: u32,
        /// ctime in the AP-REP.
        found_ctime: i64,
        /// cusec in the AP-REP.
        found_cusec: u32,
    },
    /// The fixture holds no key for the named service principal.
    NoServiceKey {
        /// The principal as text.
        principal: String,
    },
    /// A builder lacks a value it needs.
    Missing {
        /// Which value.
        what: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Crypto(e) => write!(f, "kerberos crypto failed: {e}"),
            Self::Keytab(e) => write!(f, "keytab operation failed: {e}"),
            Self::Random => {
                write!(
                    f,
                    "operating system random generator failed; check getrandom support"
                )
            }
            Self::Malformed { what, offset } => {
                write!(f, "malformed DER at offset {offset}: {what}")
            }
            Self::UnexpectedTag {
                what,
                expected,
                found,
                offset,
            } => write!(
                f,
                "unexpected DER tag at offset {offset} reading {what}: \
                 0x{found:02x}, expected 0x{expected:02x}"
            ),
            Self::UnexpectedValue {
                what,
                expected,
                found,
            } => {
                write!(f, "unexpected {what}: {found}, expected {expected}")
            }
            Self::BadTokenId { expected, found } => write!(
                f,
                "unexpected GSS token id {:02x} {:02x}, expected {:02x} {:02x} (RFC 4121 4.1)",
                found[0], found[1], expected[0], expected[1]
            ),
            Self::UnknownMechanism => {
                write!(
                    f,
                    "GSS token mechanism is not Kerberos V5; check the peer's mechanism"
                )
            }
            Self::KrbError { code, e_text } => match e_text {
                Some(t) => write!(f, "acceptor returned KRB-ERROR code {code}: {t}"),
                None => write!(f, "acceptor returned KRB-ERROR code {code}"),
            },
            Self::TimeMismatch {
                expected_ctime,
                expected_cusec,
                found_ctime,
                found_cusec,
            } => write!(
                f,
                "AP-REP ctime/cusec {found_ctime}/{found_cusec} differ from the authenticator's \
                 {expected_ctime}/{expected_cusec} (RFC 4120 3.2.5); \
                 the reply is not for this request"
            ),
            Self::NoServiceKey { principal } => {
                write!(
                    f,
                    "no key for service principal {principal}; add it with Kdc::add_service"
                )
            }
            Self::Missing { what } => write!(f, "builder lacks {what}; set it before build"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Crypto(e) => Some(e),
            Self::Keytab(e) => Some(e),
            _ => None,
        }
    }
}

impl From<kerbgate_crypto::Error> for Error {
    fn from(e: kerbgate_crypto::Error) -> Self {
        Self::Crypto(e)
    }
}

impl From<kerbgate_keytab::Error> for Error {
    fn from(e: kerbgate_keytab::Error) -> Self {
        Self::Keytab(e)
    }
}
