//! The crate's error type.

use core::fmt;

use crate::enctype::{ChecksumType, Enctype};

/// Why an enctype or checksum type number is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unsupported {
    /// The number is not a Kerberos enctype or checksum type this crate knows.
    Unknown,
    /// A known but deprecated type: single DES (RFC 6649), triple DES (RFC 8429),
    /// or the export-weakened RC4 variant.
    Deprecated,
    /// Supported by this crate, but the named cargo feature (`"rc4"` or
    /// `"camellia"`) is not enabled in this build.
    FeatureDisabled(&'static str),
}

/// Errors from Kerberos cryptographic operations.
///
/// No variant carries key bytes, plaintext or ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The enctype number is unknown, deprecated, or not enabled in this build.
    UnsupportedEnctype {
        /// The enctype number as it appeared on the wire or in a keytab.
        enctype: i32,
        /// Why it is refused.
        reason: Unsupported,
    },
    /// The checksum type number is unknown, deprecated, or not enabled in this build.
    UnsupportedChecksumType {
        /// The checksum type number.
        cksumtype: i32,
        /// Why it is refused.
        reason: Unsupported,
    },
    /// The integrity check on decryption or checksum verification failed.
    IntegrityCheckFailed,
    /// The ciphertext is shorter than the enctype's confounder plus checksum.
    CiphertextTooShort {
        /// Length received.
        len: usize,
        /// Smallest valid length for the enctype.
        min: usize,
    },
    /// Key material of the wrong length for the enctype.
    BadKeyLength {
        /// The enctype the key was meant for.
        enctype: Enctype,
        /// Length received.
        len: usize,
        /// Length the enctype requires.
        expected: usize,
    },
    /// A confounder of the wrong length was supplied.
    BadConfounderLength {
        /// Length received.
        len: usize,
        /// Length the enctype requires.
        expected: usize,
    },
    /// A checksum of the wrong length was supplied for verification.
    BadChecksumLength {
        /// The checksum type.
        cksumtype: ChecksumType,
        /// Length received.
        len: usize,
        /// Length of that checksum type.
        expected: usize,
    },
    /// A keyed checksum type was requested with a key of another enctype.
    ChecksumTypeMismatch {
        /// The checksum type requested.
        cksumtype: ChecksumType,
        /// The enctype of the key supplied.
        enctype: Enctype,
    },
    /// The string-to-key parameters (s2kparams) are malformed or out of range.
    BadStringToKeyParams {
        /// The enctype whose string-to-key was requested.
        enctype: Enctype,
        /// Length of the parameter string received.
        len: usize,
        /// The iteration count, when the parameters could be read.
        iterations: Option<u32>,
    },
    /// The password could not be converted as the enctype requires (RC4 needs UTF-8).
    BadPassword {
        /// The enctype whose string-to-key was requested.
        enctype: Enctype,
    },
    /// The message is too long to encrypt.
    MessageTooLong {
        /// Length received.
        len: usize,
    },
    /// The operating system's random number generator failed.
    RandomUnavailable,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedEnctype { enctype, reason } => {
                let name = crate::enctype::enctype_name(*enctype).unwrap_or("unknown");
                write!(
                    f,
                    "unsupported enctype {enctype} ({name}) (KDC_ERR_ETYPE_NOSUPP): "
                )?;
                reason_text(f, *reason, "enctype")
            }
            Self::UnsupportedChecksumType { cksumtype, reason } => {
                write!(
                    f,
                    "unsupported checksum type {cksumtype} (KDC_ERR_SUMTYPE_NOSUPP): "
                )?;
                reason_text(f, *reason, "checksum type")
            }
            Self::IntegrityCheckFailed => f.write_str(
                "integrity check failed (KRB_AP_ERR_BAD_INTEGRITY); check that the key \
                 (keytab entry, kvno, enctype) matches the one the peer used",
            ),
            Self::CiphertextTooShort { len, min } => write!(
                f,
                "ciphertext too short (KRB_AP_ERR_BAD_INTEGRITY): {len} bytes, minimum {min}; \
                 the message is truncated or malformed"
            ),
            Self::BadKeyLength {
                enctype,
                len,
                expected,
            } => write!(
                f,
                "bad key length for {}: {len} bytes, expected {expected}; \
                 check the keytab entry's enctype",
                enctype.name()
            ),
            Self::BadConfounderLength { len, expected } => {
                write!(f, "bad confounder length: {len} bytes, expected {expected}")
            }
            Self::BadChecksumLength {
                cksumtype,
                len,
                expected,
            } => write!(
                f,
                "bad checksum length for {}: {len} bytes, expected {expected} \
                 (KRB_AP_ERR_MODIFIED)",
                cksumtype.name()
            ),
            Self::ChecksumTypeMismatch { cksumtype, enctype } => write!(
                f,
                "checksum type {} cannot be used with a {} key (KRB_AP_ERR_INAPP_CKSUM)",
                cksumtype.name(),
                enctype.name()
            ),
            Self::BadStringToKeyParams {
                enctype,
                len,
                iterations,
            } => {
                write!(f, "bad string-to-key parameters for {}: ", enctype.name())?;
                match iterations {
                    Some(n) => write!(f, "iteration count {n} out of range"),
                    None => write!(f, "{len} bytes, expected 4"),
                }
            }
            Self::BadPassword { enctype } => {
                write!(
                    f,
                    "password is not valid UTF-8, required by {}",
                    enctype.name()
                )
            }
            Self::MessageTooLong { len } => write!(f, "message too long to encrypt: {len} bytes"),
            Self::RandomUnavailable => {
                f.write_str("the operating system random number generator failed")
            }
        }
    }
}

fn reason_text(f: &mut fmt::Formatter<'_>, reason: Unsupported, what: &str) -> fmt::Result {
    match reason {
        Unsupported::Unknown => write!(f, "unknown {what}"),
        Unsupported::Deprecated => write!(
            f,
            "deprecated and refused (RFC 6649, RFC 8429); re-key the principal with aes"
        ),
        Unsupported::FeatureDisabled(feat) => write!(
            f,
            "the \"{feat}\" feature is not enabled in this build of kerbgate-crypto"
        ),
    }
}

impl std::error::Error for Error {}
