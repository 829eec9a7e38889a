//! AES enctypes with HMAC-SHA1-96 (RFC 3962): DK/DR key derivation over AES,
//! PBKDF2-HMAC-SHA1 string-to-key and the AES PRF.

use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use crate::nfold::nfold;
use crate::primitives::{Cipher, CipherKind, Mac, MacKind};
use crate::rfc3961::UsageKeys;

/// RFC 3962 4: the default iteration count.
pub(crate) const DEFAULT_ITERATIONS: u32 = 4096;

/// DR(Key, Constant) (RFC 3961 5.1): encrypt the n-folded constant, then each
/// output block again, until `out` is full. AES random-to-key is the identity,
/// so this is also DK.
pub(crate) fn dk_folded(base: &[u8], folded: &[u8; 16], out: &mut [u8]) -> Option<()> {
    let cipher = Cipher::new(CipherKind::Aes, base)?;
    let mut block = *folded;
    for chunk in out.chunks_mut(16) {
        // A one-block CBC encryption with a zero IV is the bare block cipher.
        cipher.encrypt_cts(&mut block).then_some(())?;
        chunk.copy_from_slice(block.get(..chunk.len())?);
    }
    Some(())
}

/// DK(Key, Constant) for an arbitrary constant, n-folded to the block size.
pub(crate) fn dk(base: &[u8], constant: &[u8], out: &mut [u8]) -> Option<()> {
    let mut folded = [0u8; 16];
    nfold(constant, &mut folded);
    dk_folded(base, &folded, out)
}

/// Ke, Ki, Kc for one usage (RFC 3961 5.3 with RFC 3962 3).
pub(crate) fn usage_keys(base: &[u8], usage: u32) -> Option<UsageKeys> {
    let [kc_c, ke_c, ki_c] = crate::nfold::usage_constants(usage);
    let mut buf = Zeroizing::new([0u8; 32]);
    let k = buf.get_mut(..base.len())?;

    dk_folded(base, &ke_c, k)?;
    let ke = Cipher::new(CipherKind::Aes, k)?;
    dk_folded(base, &ki_c, k)?;
    let ki = Mac::new(MacKind::HmacSha1, k)?;
    dk_folded(base, &kc_c, k)?;
    let kc = Mac::new(MacKind::HmacSha1, k)?;
    Some(UsageKeys { ke, ki, kc })
}

/// String-to-key (RFC 3962 4): tkey = PBKDF2-HMAC-SHA1(password, salt, iter),
/// key = DK(tkey, "kerberos").
pub(crate) fn string_to_key(password: &[u8], salt: &[u8], iter: u32, out: &mut [u8]) -> Option<()> {
    let mut tkey = Zeroizing::new([0u8; 32]);
    let t = tkey.get_mut(..out.len())?;
    pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iter, t);
    dk(t, b"kerberos", out)
}

/// PRF (RFC 3962 6): E(DK(key, "prf"), SHA-1(input) truncated to one block).
pub(crate) fn prf(base: &[u8], input: &[u8]) -> Option<Vec<u8>> {
    let mut dkey = Zeroizing::new([0u8; 32]);
    let d = dkey.get_mut(..base.len())?;
    dk(base, b"prf", d)?;

    let digest = Sha1::digest(input);
    let mut block = [0u8; 16];
    block.copy_from_slice(digest.get(..16)?);
    Cipher::new(CipherKind::Aes, d)?
        .encrypt_cts(&mut block)
        .then_some(())?;
    Some(block.to_vec())
}
