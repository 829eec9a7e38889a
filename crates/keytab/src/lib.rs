//! kerbgate-keytab: MIT keytab files, read and write, in pure Rust.
//!
//! A keytab holds a service's long-term keys: per entry a [`Principal`], a key
//! version number (kvno), an enctype and the key. This crate reads and writes
//! the MIT file format (versions 0x0502 and 0x0501, with the 32-bit kvno
//! extension and deleted-entry holes), resolves keytab names like MIT
//! (`FILE:`, `WRFILE:`, `KRB5_KTNAME`, `/etc/krb5.keytab`), and derives keys
//! from passwords byte for byte as `ktutil addent -password` does.
//!
//! Keys of any enctype number are kept, including those kerbgate-crypto
//! refuses (DES, 3DES); [`KeytabEntry::key`] converts on demand. Key bytes are
//! zeroized on drop and never shown by `Debug`. The crate does no logging.
//!
//! # Example
//!
//! ```no_run
//! use kerbgate_keytab::{KeytabName, Principal};
//!
//! # fn main() -> Result<(), kerbgate_keytab::Error> {
//! let keytab = KeytabName::parse("FILE:/etc/krb5.keytab")?.load()?;
//! let service = Principal::parse("imap/mail.example.com@EXAMPLE.COM")?;
//! let kvno = keytab.highest_kvno(&service, None);
//! for entry in keytab.find(&service, kvno, Some(18), false) {
//!     let key = entry.key()?; // a kerbgate_crypto::Key
//!     # let _ = key;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! `rc4` and `camellia` forward to kerbgate-crypto, for password keys of those
//! enctypes. Reading and writing keytabs needs neither.
//!
//! # Limitations
//!
//! - Only file keytabs: `MEMORY:`, `KEYRING:` and `KDB:` give
//!   [`Error::UnsupportedKeytabType`].
//! - krb5.conf is not read: no `default_keytab_name`, no default realm.
//! - [`Keytab::append_to_file`] takes no file lock; do not run it while MIT
//!   tools write the same file.
//! - Deleted-entry holes are skipped on read and not reused on write;
//!   [`Keytab::save`] writes a compact file.
//! - Realms and name components must be UTF-8 ([`Error::NotUtf8`] otherwise).
//! - Files with 1 to 3 bytes after the last record, or an entry that runs past
//!   its record length, are refused, where MIT silently stops or ignores them.
//! - A 0x0501 file is read in this host's byte order, as MIT does.
#![forbid(unsafe_code)]

pub mod consts;
mod entry;
mod error;
mod keytab;
mod name;
mod password;
mod principal;
mod reader;
mod writer;

pub use consts::MAX_KEYTAB_FILE_SIZE;
pub use entry::{KeyBytes, KeytabEntry};
pub use error::{Error, PrincipalSyntax, Result};
pub use keytab::Keytab;
pub use name::{KeytabName, DEFAULT_KEYTAB_PATH, KEYTAB_ENV_VAR};
pub use password::key_from_password;
pub use principal::Principal;
