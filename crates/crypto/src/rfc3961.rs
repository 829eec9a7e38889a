//! The RFC 3961 simplified profile (section 5.3): derived keys per usage,
//! confounder, CBC-CTS encryption and an integrity tag over the plaintext.
//! Used by the RFC 3962 (AES, HMAC-SHA1-96) and RFC 6803 (Camellia, CMAC)
//! enctypes; RFC 8009 reuses the key layout but MACs the ciphertext.

use zeroize::Zeroize;

use crate::cts::{self, Block};
use crate::error::Error;
use crate::primitives::{Cipher, Mac};

/// The two keys encryption needs for one usage (RFC 3961 5.3); the checksum
/// key Kc is derived separately, only when a checksum is asked for.
pub(crate) struct EncKeys {
    /// Ke = DK(base-key, usage | 0xAA), the encryption key.
    pub(crate) ke: Cipher,
    /// Ki = DK(base-key, usage | 0x55), the integrity key of encryption.
    pub(crate) ki: Mac,
}

/// Encrypts `plaintext` with `confounder` (RFC 3961 5.3, encryption function):
/// C = E(Ke, conf | plaintext) followed by H = HMAC(Ki, conf | plaintext)[..h].
pub(crate) fn encrypt(
    keys: &EncKeys,
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

    let mut mac = keys.ki.clone();
    mac.update(confounder);
    mac.update(plaintext);
    let tag = mac.finalize();
    if !keys.ke.encrypt_cts(&mut out) {
        out.zeroize();
        return Err(Error::CiphertextTooShort {
            len: out.len(),
            min: cts::BLOCK,
        });
    }
    out.extend_from_slice(tag.truncated(h));
    Ok(out)
}

/// Decrypts and checks integrity, appending the plaintext without its
/// confounder (one block) to `out`. On failure `out` keeps its old length and
/// nothing decrypted is left in it.
pub(crate) fn decrypt_into(
    keys: &EncKeys,
    h: usize,
    ciphertext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    // RFC 3961 5.3: the message is at least a confounder plus the truncated HMAC.
    let min = cts::BLOCK + h;
    let Some(body_len) = ciphertext
        .len()
        .checked_sub(h)
        .filter(|_| ciphertext.len() >= min)
    else {
        return Err(Error::CiphertextTooShort {
            len: ciphertext.len(),
            min,
        });
    };
    let (body, tag) = ciphertext.split_at(body_len);

    let start = out.len();
    let mut confounder = Block::default();
    if !keys.ke.decrypt_cts(body, &mut confounder, out) {
        return Err(Error::CiphertextTooShort {
            len: ciphertext.len(),
            min,
        });
    }

    // RFC 3961 5.3: the HMAC over the decrypted confounder and plaintext must match.
    let mut mac = keys.ki.clone();
    mac.update(&confounder);
    mac.update(out.get(start..).unwrap_or_default());
    confounder.0.as_mut_slice().zeroize();
    if !mac.finalize_verify(tag) {
        if let Some(plain) = out.get_mut(start..) {
            plain.zeroize();
        }
        out.truncate(start);
        return Err(Error::IntegrityCheckFailed);
    }
    Ok(())
}
