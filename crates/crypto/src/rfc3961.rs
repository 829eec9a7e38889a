//! The RFC 3961 simplified profile (section 5.3): derived keys per usage,
//! confounder, CBC-CTS encryption and an integrity tag over the plaintext.
//! Used by the RFC 3962 (AES, HMAC-SHA1-96) and RFC 6803 (Camellia, CMAC)
//! enctypes; RFC 8009 reuses the key layout but MACs the ciphertext.

use zeroize::Zeroize;

use crate::error::Error;
use crate::primitives::{Cipher, Mac};

/// The three keys derived for one key usage (RFC 3961 5.3).
pub(crate) struct UsageKeys {
    /// Ke = DK(base-key, usage | 0xAA), the encryption key.
    pub(crate) ke: Cipher,
    /// Ki = DK(base-key, usage | 0x55), the integrity key of encryption.
    pub(crate) ki: Mac,
    /// Kc = DK(base-key, usage | 0x99), the checksum key.
    pub(crate) kc: Mac,
}

/// Encrypts `plaintext` with `confounder` (RFC 3961 5.3, encryption function):
/// C = E(Ke, conf | plaintext) followed by H = HMAC(Ki, conf | plaintext)[..h].
pub(crate) fn encrypt(
    keys: &UsageKeys,
    h: usize,
    confounder: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let body = confounder.len().checked_add(plaintext.len());
    let Some(total) = body.and_then(|b| b.checked_add(h)) else {
        return Err(Error::MessageTooLong {
            len: plaintext.len(),
        });
    };
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(confounder);
    out.extend_from_slice(plaintext);

    let tag = keys.ki.compute(&[confounder, plaintext]);
    if !keys.ke.encrypt_cts(&mut out) {
        out.zeroize();
        return Err(Error::CiphertextTooShort {
            len: out.len(),
            min: crate::cts::BLOCK,
        });
    }
    out.extend_from_slice(tag.truncated(h));
    Ok(out)
}

/// Decrypts and checks integrity; returns the plaintext without confounder.
pub(crate) fn decrypt(
    keys: &UsageKeys,
    h: usize,
    conf_len: usize,
    ciphertext: &[u8],
) -> Result<Vec<u8>, Error> {
    // RFC 3961 5.3: the message is at least a confounder plus the truncated HMAC.
    let min = conf_len + h;
    if ciphertext.len() < min {
        return Err(Error::CiphertextTooShort {
            len: ciphertext.len(),
            min,
        });
    }
    let (body, tag) = ciphertext.split_at(ciphertext.len() - h);

    let mut out = vec![0u8; body.len()];
    if !keys.ke.decrypt_cts(body, &mut out) {
        return Err(Error::CiphertextTooShort {
            len: ciphertext.len(),
            min,
        });
    }

    // RFC 3961 5.3: the HMAC over the decrypted confounder and plaintext must match.
    if !keys.ki.verify(&[&out], tag) {
        out.zeroize();
        return Err(Error::IntegrityCheckFailed);
    }
    out.drain(..conf_len);
    Ok(out)
}
