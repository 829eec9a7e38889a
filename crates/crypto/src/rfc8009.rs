//! AES enctypes with HMAC-SHA2 (RFC 8009): counter-mode KDF over HMAC,
//! encrypt-then-MAC, PBKDF2-HMAC-SHA2 string-to-key, and the PRF.

use zeroize::{Zeroize, Zeroizing};

use crate::cts::{self, Block};
use crate::error::Error;
use crate::primitives::{Cipher, CipherKind, Mac, MacKind};
use crate::rfc3961::EncKeys;

/// RFC 8009 4: the default iteration count.
pub(crate) const DEFAULT_ITERATIONS: u32 = 32768;

/// The zero initial cipher state that RFC 8009 5 includes in the HMAC input.
const ZERO_IV: [u8; 16] = [0u8; 16];

/// The parameters that differ between the two RFC 8009 enctypes.
#[derive(Clone, Copy)]
pub(crate) struct Params {
    /// HMAC-SHA-256 for aes128, HMAC-SHA-384 for aes256.
    pub(crate) mac: MacKind,
    /// Protocol key and Ke length in bytes (16 or 32).
    pub(crate) key_len: usize,
    /// Ki, Kc and tag length in bytes (16 or 24).
    pub(crate) mac_len: usize,
    /// PRF output length in bytes (32 or 48).
    pub(crate) prf_len: usize,
    /// Enctype name used in the string-to-key salt.
    pub(crate) name: &'static str,
}

pub(crate) const AES128: Params = Params {
    mac: MacKind::HmacSha256,
    key_len: 16,
    mac_len: 16,
    prf_len: 32,
    name: "aes128-cts-hmac-sha256-128",
};

pub(crate) const AES256: Params = Params {
    mac: MacKind::HmacSha384,
    key_len: 32,
    mac_len: 24,
    prf_len: 48,
    name: "aes256-cts-hmac-sha384-192",
};

/// KDF-HMAC-SHA2(key, label, context, k) (RFC 8009 3): the first `out.len()`
/// bytes of HMAC(key, 0x00000001 | label | 0x00 | context | k), with k the
/// output length in bits as a 32-bit big-endian number. `key` is the keyed
/// HMAC state of the base key, so derivations share its key setup.
pub(crate) fn kdf_with(key: &Mac, label: &[u8], context: &[u8], out: &mut [u8]) -> Option<()> {
    let bits = u32::try_from(out.len().checked_mul(8)?).ok()?.to_be_bytes();
    let tag = key.compute(&[&1u32.to_be_bytes(), label, &[0u8], context, &bits]);
    let bytes = tag.as_slice();
    if bytes.len() < out.len() {
        return None;
    }
    out.copy_from_slice(bytes.get(..out.len())?);
    Some(())
}

/// [`kdf_with`] from raw key bytes.
pub(crate) fn kdf(
    p: Params,
    key: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Option<()> {
    kdf_with(&Mac::new(p.mac, key)?, label, context, out)
}

/// Ke and Ki for one usage (RFC 8009 5), from the keyed base HMAC.
pub(crate) fn enc_keys(p: Params, base: &Mac, usage: u32) -> Option<EncKeys> {
    let mut buf = Zeroizing::new([0u8; 32]);

    // RFC 8009 5: Ke = KDF(base, usage | 0xAA, 128 or 256 bits).
    let k = buf.get_mut(..p.key_len)?;
    kdf_with(base, &crate::usage_label(usage, 0xAA), &[], k)?;
    let ke = Cipher::new(CipherKind::Aes, k)?;

    // RFC 8009 5: Ki = KDF(base, usage | 0x55, 128 or 192 bits).
    let k = buf.get_mut(..p.mac_len)?;
    kdf_with(base, &crate::usage_label(usage, 0x55), &[], k)?;
    let ki = Mac::new(p.mac, k)?;
    Some(EncKeys { ke, ki })
}

/// Kc for one usage (RFC 8009 5): KDF(base, usage | 0x99, 128 or 192 bits).
pub(crate) fn checksum_key(p: Params, base: &Mac, usage: u32) -> Option<Mac> {
    let mut buf = Zeroizing::new([0u8; 32]);
    let k = buf.get_mut(..p.mac_len)?;
    kdf_with(base, &crate::usage_label(usage, 0x99), &[], k)?;
    Mac::new(p.mac, k)
}

/// Encryption (RFC 8009 5): C = E(Ke, conf | plaintext), H = HMAC(Ki, IV | C).
pub(crate) fn encrypt(
    keys: &EncKeys,
    p: Params,
    confounder: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let body = confounder.len().checked_add(plaintext.len());
    let Some(total) = body.and_then(|b| b.checked_add(p.mac_len)) else {
        return Err(Error::MessageTooLong {
            len: plaintext.len(),
        });
    };
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(confounder);
    out.extend_from_slice(plaintext);
    if !keys.ke.encrypt_cts(&mut out) {
        out.zeroize();
        return Err(Error::CiphertextTooShort {
            len: out.len(),
            min: cts::BLOCK,
        });
    }

    let mut mac = keys.ki.clone();
    mac.update(&ZERO_IV);
    mac.update(&out);
    out.extend_from_slice(mac.finalize().truncated(p.mac_len));
    Ok(out)
}

/// Decryption (RFC 8009 5): check H over the ciphertext first, then decrypt,
/// appending the plaintext without its confounder to `out`.
pub(crate) fn decrypt_into(
    keys: &EncKeys,
    p: Params,
    ciphertext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    // RFC 8009 5: at least a 16-byte confounder and the truncated HMAC.
    let min = cts::BLOCK + p.mac_len;
    let Some(body_len) = ciphertext
        .len()
        .checked_sub(p.mac_len)
        .filter(|_| ciphertext.len() >= min)
    else {
        return Err(Error::CiphertextTooShort {
            len: ciphertext.len(),
            min,
        });
    };
    let (body, tag) = ciphertext.split_at(body_len);

    // RFC 8009 5: verify HMAC(Ki, IV | C) before decrypting.
    let mut mac = keys.ki.clone();
    mac.update(&ZERO_IV);
    mac.update(body);
    if !mac.finalize_verify(tag) {
        return Err(Error::IntegrityCheckFailed);
    }

    let mut confounder = Block::default();
    let done = keys.ke.decrypt_cts(body, &mut confounder, out);
    confounder.0.zeroize();
    if !done {
        return Err(Error::CiphertextTooShort {
            len: ciphertext.len(),
            min,
        });
    }
    Ok(())
}

/// String-to-key (RFC 8009 4): saltp = enctype-name | 0x00 | salt;
/// tkey = PBKDF2-HMAC-SHA2(password, saltp, iter); key = KDF(tkey, "kerberos").
pub(crate) fn string_to_key(
    p: Params,
    password: &[u8],
    salt: &[u8],
    iter: u32,
    out: &mut [u8],
) -> Option<()> {
    let mut saltp = Vec::with_capacity(p.name.len() + 1 + salt.len());
    saltp.extend_from_slice(p.name.as_bytes());
    saltp.push(0);
    saltp.extend_from_slice(salt);

    let mut tkey = Zeroizing::new([0u8; 32]);
    let t = tkey.get_mut(..p.key_len)?;
    match p.mac {
        MacKind::HmacSha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, &saltp, iter, t),
        _ => pbkdf2::pbkdf2_hmac::<sha2::Sha384>(password, &saltp, iter, t),
    }
    kdf(p, t, b"kerberos", &[], out)
}

/// PRF (RFC 8009 5): KDF-HMAC-SHA2(key, "prf", input, 256 or 384).
pub(crate) fn prf(p: Params, base: &[u8], input: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; p.prf_len];
    kdf(p, base, b"prf", input, &mut out)?;
    Some(out)
}
