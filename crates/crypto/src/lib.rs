//! kerbgate-crypto: Kerberos V5 cryptography in pure Rust, for the kerbgate
//! GSS-API acceptor.
//!
//! It implements the [RFC 3961] framework (n-fold, DK/DR key derivation per
//! key usage, encryption with confounder and integrity tag, keyed checksums,
//! string-to-key, random-to-key, PRF) and these enctypes:
//!
//! | enctype | number | RFC | feature |
//! |---|---|---|---|
//! | aes256-cts-hmac-sha384-192 | 20 | [RFC 8009] | default |
//! | aes128-cts-hmac-sha256-128 | 19 | [RFC 8009] | default |
//! | aes256-cts-hmac-sha1-96 | 18 | [RFC 3962] | default |
//! | aes128-cts-hmac-sha1-96 | 17 | [RFC 3962] | default |
//! | camellia256-cts-cmac, camellia128-cts-cmac | 26, 25 | [RFC 6803] | `camellia` |
//! | arcfour-hmac | 23 | [RFC 4757] | `rc4` |
//!
//! DES and triple DES (1-8, 16) and the export RC4 variant (24) are recognised
//! by number and name and refused as deprecated ([RFC 6649], [RFC 8429]).
//!
//! ```
//! use kerbgate_crypto::{default_salt, Enctype, Key};
//!
//! let salt = default_salt("EXAMPLE.COM", &["HTTP", "www.example.com"]);
//! let key = Key::from_password(Enctype::Aes256CtsHmacSha196, b"secret", &salt, None)?;
//! let ct = key.encrypt(2, b"ticket body")?;
//! assert_eq!(key.decrypt(2, &ct)?, b"ticket body");
//! assert!(key.decrypt(11, &ct).is_err()); // other key usage
//! # Ok::<(), kerbgate_crypto::Error>(())
//! ```
//!
//! # Features
//! - `rc4`: arcfour-hmac and the hmac-md5 checksum, for old Windows peers. Weak.
//! - `camellia`: the RFC 6803 Camellia enctypes.
//!
//! With a feature off, its enctype numbers are refused with
//! [`Unsupported::FeatureDisabled`].
//!
//! # Security and speed
//! Keys are zeroized when dropped and their `Debug` shows enctype and length
//! only. Tags are compared in constant time. A [`Key`] caches, per key usage,
//! its derived keys with the AES key schedule and keyed HMAC state, so repeated
//! operations with one service key never repeat derivation; clones share that
//! cache. Usages 0 to 31 (all that RFC 4120 and RFC 4121 use) are looked up
//! without a lock; encryption keys (Ke, Ki) and the checksum key (Kc) are
//! derived separately on first use, so a session key that only decrypts an
//! authenticator costs two derivations. [`Key::new`] makes one allocation.
//! Decryption writes the plaintext straight into the output buffer
//! ([`Key::decrypt_into`] reuses the caller's). The n-folded usage constants
//! are computed once per process.
//!
//! # Randomness
//! [`Key::generate`] and [`Key::encrypt`] ask the operating system each time.
//! [`fill_hedged`], for an acceptor answering many logins, asks it once per thread
//! every [`DRAWS_PER_SEED`] draws and hedges each draw with the request it answers,
//! so a process forked after drawing still gives other requests other bytes (its
//! documentation has the construction and the argument).
//!
//! # Limitations
//! - No DES, triple DES or export RC4 (by design).
//! - No cipher state chaining between messages: every message starts from the
//!   zero IV, which is all that GSS-API (RFC 4121) and AP exchanges use.
//! - PBKDF2 iteration counts above 2^24 are refused (as MIT krb5 does).
//! - The RC4 PRF is MIT's HMAC-SHA1 (RFC 4757 defines none).
//! - Besides usages 0 to 31, at most 64 key usages are cached per key;
//!   others are derived per call.
//!
//! [RFC 3961]: https://www.rfc-editor.org/rfc/rfc3961
//! [RFC 3962]: https://www.rfc-editor.org/rfc/rfc3962
//! [RFC 8009]: https://www.rfc-editor.org/rfc/rfc8009
//! [RFC 6803]: https://www.rfc-editor.org/rfc/rfc6803
//! [RFC 4757]: https://www.rfc-editor.org/rfc/rfc4757
//! [RFC 6649]: https://www.rfc-editor.org/rfc/rfc6649
//! [RFC 8429]: https://www.rfc-editor.org/rfc/rfc8429
#![forbid(unsafe_code)]

pub mod consts;
mod cts;
mod enctype;
mod error;
mod hedged;
#[cfg(feature = "rc4")]
mod hmac_md5_raw;
mod key;
mod nfold;
mod primitives;
mod rfc3961;
mod rfc3962;
#[cfg(feature = "rc4")]
mod rfc4757;
#[cfg(feature = "rc4")]
mod rfc4757_gss;
#[cfg(feature = "camellia")]
mod rfc6803;
mod rfc8009;

pub use enctype::{default_salt, enctype_from_name, enctype_name, ChecksumType, Enctype};
pub use error::{Error, Unsupported};
pub use hedged::{fill_hedged, DRAWS_PER_SEED};
#[cfg(feature = "rc4")]
pub use hmac_md5_raw::{
    hmac_md5_checksum_raw, verify_hmac_md5_checksum_raw, HMAC_MD5_CHECKSUM_LEN,
};
pub use key::Key;
pub use nfold::nfold;
#[cfg(feature = "rc4")]
pub use rfc4757_gss::{
    rc4_gss_seal_crypt, rc4_gss_seq_crypt, rc4_gss_sign, RC4_GSS_USAGE_MIC, RC4_GSS_USAGE_WRAP,
};

/// The 5-byte derivation constant for a key usage (RFC 3961 5.3): the usage
/// as 32-bit big-endian, then 0x99 (Kc), 0xAA (Ke) or 0x55 (Ki).
pub(crate) fn usage_label(usage: u32, suffix: u8) -> [u8; 5] {
    let u = usage.to_be_bytes();
    [u[0], u[1], u[2], u[3], suffix]
}

#[cfg(test)]
mod vector_tests;

#[cfg(test)]
mod tests;
