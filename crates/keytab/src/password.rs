//! Keys from passwords, as `ktutil addent -password` makes them (RFC 3961
//! string-to-key through kerbgate-crypto).

use crate::entry::{KeyBytes, KeytabEntry};
use crate::error::{Error, Result};
use crate::Principal;

/// Derives the key of `enctype` for `principal` from `password`.
///
/// `salt` defaults to the principal's default salt (realm then components,
/// RFC 4120 4), as `ktutil` uses without `-s`. `iterations` is the AES or
/// Camellia PBKDF2 iteration count; `None` gives the enctype's default (4096
/// for RFC 3962 AES, 32768 for RFC 8009 AES and RFC 6803 Camellia), which is
/// what `ktutil` uses. It is passed as the RFC 3961 s2kparams, big-endian.
///
/// # Errors
/// [`Error::Crypto`] when kerbgate-crypto refuses the enctype (unknown,
/// DES/3DES, RC4 or Camellia not compiled in) or the parameters.
pub fn key_from_password(
    principal: &Principal,
    password: &[u8],
    enctype: i32,
    salt: Option<&[u8]>,
    iterations: Option<u32>,
) -> Result<kerbgate_crypto::Key> {
    let crypto_err = |source| Error::Crypto { enctype, source };
    let etype = kerbgate_crypto::Enctype::from_i32(enctype).map_err(crypto_err)?;
    let default_salt;
    let salt = match salt {
        Some(s) => s,
        None => {
            default_salt = principal.default_salt();
            &default_salt
        }
    };
    let params = iterations.map(u32::to_be_bytes);
    kerbgate_crypto::Key::from_password(etype, password, salt, params.as_ref().map(|p| &p[..]))
        .map_err(crypto_err)
}

impl KeytabEntry {
    /// An entry with a password-derived key; see [`key_from_password`].
    ///
    /// # Errors
    /// As [`key_from_password`].
    pub fn from_password(
        principal: Principal,
        kvno: u32,
        timestamp: u32,
        enctype: i32,
        password: &[u8],
        salt: Option<&[u8]>,
        iterations: Option<u32>,
    ) -> Result<Self> {
        let key = key_from_password(&principal, password, enctype, salt, iterations)?;
        Ok(KeytabEntry::new(
            principal,
            kvno,
            timestamp,
            KeyBytes::from(&key),
        ))
    }
}
