//! Camellia enctypes with CMAC (RFC 6803): feedback-mode CMAC key derivation,
//! PBKDF2-HMAC-SHA1 string-to-key, the simplified profile with CMAC as the
//! integrity function, and the CMAC PRF.

use sha1::Sha1;
use zeroize::Zeroizing;

use crate::primitives::{mac_once, Cipher, CipherKind, Mac, MacKind};
use crate::rfc3961::EncKeys;

/// RFC 6803 4: the default iteration count.
pub(crate) const DEFAULT_ITERATIONS: u32 = 32768;

/// DR = KDF-FEEDBACK-CMAC(key, constant) (RFC 6803 3): K(0) is a zero block,
/// K(i) = CMAC(key, K(i-1) | i | constant | 0x00 | k), output K(1) | K(2) ...
/// truncated to k bits. Camellia random-to-key is the identity, so this is DK.
/// `mac` is the base key's keyed CMAC, so derivations share its key setup.
pub(crate) fn dk_with(mac: &Mac, constant: &[u8], out: &mut [u8]) -> Option<()> {
    let bits = u32::try_from(out.len().checked_mul(8)?).ok()?.to_be_bytes();
    let mut prev = Zeroizing::new([0u8; 16]);
    for (i, chunk) in out.chunks_mut(16).enumerate() {
        let counter = u32::try_from(i + 1).ok()?.to_be_bytes();
        let tag = mac.compute(&[prev.as_slice(), &counter, constant, &[0u8], &bits]);
        prev.copy_from_slice(tag.truncated(16));
        chunk.copy_from_slice(prev.get(..chunk.len())?);
    }
    Some(())
}

/// [`dk_with`] from raw key bytes.
pub(crate) fn dk(base: &[u8], constant: &[u8], out: &mut [u8]) -> Option<()> {
    dk_with(&Mac::new(MacKind::Cmac, base)?, constant, out)
}

/// Ke and Ki for one usage (RFC 6803 3 with RFC 3961 5.3); the constants are
/// used as they are, not n-folded. `key_len` is the protocol key length.
pub(crate) fn enc_keys(base: &Mac, key_len: usize, usage: u32) -> Option<EncKeys> {
    let mut buf = Zeroizing::new([0u8; 32]);
    let k = buf.get_mut(..key_len)?;

    dk_with(base, &crate::usage_label(usage, 0xAA), k)?;
    let ke = Cipher::new(CipherKind::Camellia, k)?;
    dk_with(base, &crate::usage_label(usage, 0x55), k)?;
    let ki = Mac::new(MacKind::Cmac, k)?;
    Some(EncKeys { ke, ki })
}

/// Kc for one usage (RFC 6803 3 with RFC 3961 5.3).
pub(crate) fn checksum_key(base: &Mac, key_len: usize, usage: u32) -> Option<Mac> {
    let mut buf = Zeroizing::new([0u8; 32]);
    let k = buf.get_mut(..key_len)?;
    dk_with(base, &crate::usage_label(usage, 0x99), k)?;
    Mac::new(MacKind::Cmac, k)
}

/// String-to-key (RFC 6803 4): saltp = enctype-name | 0x00 | salt,
/// tkey = PBKDF2-HMAC-SHA1(password, saltp, iter), key = DK(tkey, "kerberos").
pub(crate) fn string_to_key(
    name: &str,
    password: &[u8],
    salt: &[u8],
    iter: u32,
    out: &mut [u8],
) -> Option<()> {
    let mut saltp = Vec::with_capacity(name.len() + 1 + salt.len());
    saltp.extend_from_slice(name.as_bytes());
    saltp.push(0);
    saltp.extend_from_slice(salt);

    let mut tkey = Zeroizing::new([0u8; 32]);
    let t = tkey.get_mut(..out.len())?;
    pbkdf2::pbkdf2_hmac::<Sha1>(password, &saltp, iter, t);
    dk(t, b"kerberos", out)
}

/// PRF (RFC 6803 5): CMAC(DK(key, "prf"), input).
pub(crate) fn prf(base: &[u8], input: &[u8]) -> Option<Vec<u8>> {
    let mut dkey = Zeroizing::new([0u8; 32]);
    let d = dkey.get_mut(..base.len())?;
    dk(base, b"prf", d)?;
    mac_once(MacKind::Cmac, d, &[input]).map(|t| t.as_slice().to_vec())
}
