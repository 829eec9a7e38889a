//! kerbgate-crypto: Kerberos V5 cryptography (RFC 3961 framework; RFC 3962, RFC 8009,
//! RFC 4757 and RFC 6803 enctypes) in pure Rust.
//!
//! API SKELETON: the crypto helper owns this crate and replaces this file. The public
//! signatures below are the contract other crates code against; keep them (add freely).
#![forbid(unsafe_code)]

/// Errors from Kerberos cryptographic operations.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The enctype number is unknown or not supported by this build.
    UnsupportedEnctype {
        /// The enctype number.
        enctype: i32,
    },
    /// The integrity check on decryption or checksum verification failed.
    IntegrityCheckFailed,
}

/// A Kerberos encryption type (IANA number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Enctype {
    /// aes128-cts-hmac-sha1-96 (17)
    Aes128CtsHmacSha196,
    /// aes256-cts-hmac-sha1-96 (18)
    Aes256CtsHmacSha196,
    /// aes128-cts-hmac-sha256-128 (19)
    Aes128CtsHmacSha256128,
    /// aes256-cts-hmac-sha384-192 (20)
    Aes256CtsHmacSha384192,
    /// arcfour-hmac (23)
    Rc4Hmac,
    /// camellia128-cts-cmac (25)
    Camellia128CtsCmac,
    /// camellia256-cts-cmac (26)
    Camellia256CtsCmac,
}

/// A protocol key of one enctype; zeroized on drop, `Debug` shows enctype and length only.
pub struct Key {
    _private: (),
}

impl Key {
    /// Wraps raw key bytes (checked against the enctype's key length).
    ///
    /// # Errors
    /// Wrong length or unsupported enctype.
    pub fn new(_enctype: Enctype, _bytes: &[u8]) -> Result<Key, Error> {
        Err(Error::IntegrityCheckFailed)
    }
}
