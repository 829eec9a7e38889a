//! The one error type of this crate.

use std::fmt;
use std::path::PathBuf;

/// Why a principal name string could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrincipalSyntax {
    /// The string is empty.
    Empty,
    /// A `\` is the last character, with nothing to quote.
    TrailingBackslash,
    /// An unquoted `/` appears after the realm separator.
    SlashInRealm,
    /// A second unquoted `@` appears.
    SecondAt,
    /// No `@REALM` and no default realm was given.
    MissingRealm,
}

impl fmt::Display for PrincipalSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty name",
            Self::TrailingBackslash => "ends with an unquoted backslash",
            Self::SlashInRealm => "unquoted '/' in the realm (quote it as \\/)",
            Self::SecondAt => "more than one unquoted '@' (quote it as \\@)",
            Self::MissingRealm => "no @REALM and no default realm",
        })
    }
}

/// Errors from reading, writing and naming keytabs.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The file ended inside a field.
    Truncated {
        /// Byte offset where the field starts.
        offset: usize,
        /// The field being read.
        what: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the file (or in the record).
        available: usize,
    },
    /// The first two bytes are not 0x0501 or 0x0502.
    BadVersion {
        /// The two bytes found, big-endian.
        found: u16,
    },
    /// A record length is invalid (`i32::MIN`, or past the end of the file).
    BadRecordLength {
        /// Byte offset of the length field.
        offset: usize,
        /// The length read.
        length: i32,
        /// Bytes left in the file after the length field.
        available: usize,
    },
    /// A count or length field is zero or negative (MIT refuses these too).
    BadLength {
        /// Byte offset of the field.
        offset: usize,
        /// The field.
        what: &'static str,
        /// The value read (after the 0x0501 realm adjustment for counts).
        value: i32,
    },
    /// The entry's fields run past the record length that precedes it.
    RecordOverrun {
        /// Byte offset of the record's length field.
        offset: usize,
        /// Declared record length.
        length: usize,
        /// Bytes the entry actually needs.
        used: usize,
    },
    /// A realm or name component is not UTF-8.
    NotUtf8 {
        /// Byte offset of the first byte of the field's data.
        offset: usize,
        /// The field.
        what: &'static str,
    },
    /// The keytab is larger than this crate reads.
    TooLarge {
        /// The file's size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A value cannot be written in the keytab format.
    Unencodable {
        /// The field.
        what: &'static str,
        /// Its length, count or value.
        value: i64,
    },
    /// A principal name string is malformed.
    BadPrincipal {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: PrincipalSyntax,
    },
    /// A keytab name names a kind this crate does not handle.
    UnsupportedKeytabType {
        /// The prefix before the colon, e.g. `MEMORY`.
        kind: String,
    },
    /// The keytab name is empty.
    EmptyKeytabName,
    /// The enctype is not usable for this operation (refused by kerbgate-crypto).
    Crypto {
        /// The enctype number.
        enctype: i32,
        /// The crypto error.
        source: kerbgate_crypto::Error,
    },
    /// Reading or writing a keytab file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done ("reading", "creating", ...).
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated {
                offset,
                what,
                needed,
                available,
            } => write!(
                f,
                "keytab truncated at byte {offset}: {what} needs {needed} bytes, \
                 {available} left; the file is incomplete or corrupt"
            ),
            Self::BadVersion { found } => write!(
                f,
                "not a keytab: version 0x{found:04x} at byte 0, expected 0x0502 or 0x0501; \
                 check that the file is an MIT-format keytab"
            ),
            Self::BadRecordLength {
                offset,
                length,
                available,
            } => write!(
                f,
                "keytab record length {length} at byte {offset} is invalid \
                 ({available} bytes follow); the file is corrupt"
            ),
            Self::BadLength {
                offset,
                what,
                value,
            } => write!(
                f,
                "keytab {what} at byte {offset} is {value}, must be positive; \
                 the file is corrupt"
            ),
            Self::RecordOverrun {
                offset,
                length,
                used,
            } => write!(
                f,
                "keytab entry at byte {offset} needs {used} bytes but its record \
                 length is {length}; the file is corrupt"
            ),
            Self::NotUtf8 { offset, what } => {
                write!(f, "keytab {what} at byte {offset} is not valid UTF-8")
            }
            Self::TooLarge { size, limit } => write!(
                f,
                "keytab file is {size} bytes, more than the {limit}-byte limit; \
                 check the path names a keytab"
            ),
            Self::Unencodable { what, value } => {
                write!(
                    f,
                    "cannot write keytab: {what} {value} does not fit the format"
                )
            }
            Self::BadPrincipal { name, reason } => {
                write!(f, "malformed principal name {name:?}: {reason}")
            }
            Self::UnsupportedKeytabType { kind } => write!(
                f,
                "unsupported keytab type {kind:?}: only FILE: and WRFILE: \
                 (or a plain path) are supported"
            ),
            Self::EmptyKeytabName => f.write_str("empty keytab name"),
            Self::Crypto { enctype, source } => {
                write!(f, "enctype {enctype}: {source}")
            }
            Self::Io {
                path,
                action,
                source,
            } => {
                write!(f, "{action} keytab {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Shorthand for this crate's results.
pub type Result<T> = std::result::Result<T, Error>;
