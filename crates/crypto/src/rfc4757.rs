//! arcfour-hmac (RFC 4757): RC4 encryption with HMAC-MD5 integrity, the
//! hmac-md5 checksum (KERB_CHECKSUM_HMAC_MD5), and MD4 string-to-key.
//! Weak; kept for old Windows peers behind the `rc4` feature.

use md4::{Digest, Md4};
use md5::Md5;
use rc4::{KeyInit, Rc4, StreamCipher};
use zeroize::{Zeroize, Zeroizing};

use crate::error::Error;
use crate::primitives::{Mac, MacKind};

/// RFC 4757 3: Windows key usage numbers differ from RFC 4120's for a few
/// messages; usage 3 (AS-REP encrypted part) becomes 8, and MIT also maps the
/// TGS-REP subkey usage 9 to 8 and 23 (Microsoft's) to 13.
fn ms_usage(usage: u32) -> [u8; 4] {
    let u = match usage {
        3 | 9 => 8,
        23 => 13,
        other => other,
    };
    u.to_le_bytes()
}

/// K1 = HMAC-MD5(K, ms-usage as 4 bytes little-endian) (RFC 4757 4).
fn k1(base: &Mac, usage: u32) -> Zeroizing<[u8; 16]> {
    let mut k = Zeroizing::new([0u8; 16]);
    k.copy_from_slice(base.compute(&[&ms_usage(usage)]).truncated(16));
    k
}

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Result<Zeroizing<[u8; 16]>, Error> {
    let mac = Mac::new(MacKind::HmacMd5, key).ok_or(Error::IntegrityCheckFailed)?;
    let mut out = Zeroizing::new([0u8; 16]);
    out.copy_from_slice(mac.compute(parts).truncated(16));
    Ok(out)
}

fn rc4_apply(key: &[u8], buf: &mut [u8]) -> Result<(), Error> {
    let mut cipher = Rc4::new_from_slice(key).map_err(|_| Error::IntegrityCheckFailed)?;
    cipher.apply_keystream(buf);
    Ok(())
}

/// Encryption (RFC 4757 4): checksum = HMAC-MD5(K2, conf | plaintext),
/// K3 = HMAC-MD5(K1, checksum), output checksum | RC4(K3, conf | plaintext).
pub(crate) fn encrypt(
    base: &Mac,
    usage: u32,
    confounder: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let Some(total) = plaintext.len().checked_add(16 + confounder.len()) else {
        return Err(Error::MessageTooLong {
            len: plaintext.len(),
        });
    };
    let k1 = k1(base, usage);
    let cksum = hmac_md5(k1.as_slice(), &[confounder, plaintext])?;
    let k3 = hmac_md5(k1.as_slice(), &[cksum.as_slice()])?;

    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(cksum.as_slice());
    out.extend_from_slice(confounder);
    out.extend_from_slice(plaintext);
    rc4_apply(k3.as_slice(), out.get_mut(16..).unwrap_or_default())?;
    Ok(out)
}

/// Decryption (RFC 4757 4): recover K3 from the leading checksum, decrypt,
/// then recompute the checksum over the plaintext in constant time.
pub(crate) fn decrypt(base: &Mac, usage: u32, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
    // RFC 4757 4: a 16-byte checksum and an 8-byte confounder at least.
    let min = 16 + 8;
    if ciphertext.len() < min {
        return Err(Error::CiphertextTooShort {
            len: ciphertext.len(),
            min,
        });
    }
    let (cksum, body) = ciphertext.split_at(16);

    let k1 = k1(base, usage);
    let k3 = hmac_md5(k1.as_slice(), &[cksum])?;
    let mut out = body.to_vec();
    rc4_apply(k3.as_slice(), &mut out)?;

    // RFC 4757 4: the checksum over confounder and plaintext must match.
    let check = Mac::new(MacKind::HmacMd5, k1.as_slice()).ok_or(Error::IntegrityCheckFailed)?;
    if !check.verify(&[&out], cksum) {
        out.zeroize();
        return Err(Error::IntegrityCheckFailed);
    }
    out.drain(..8);
    Ok(out)
}

/// The hmac-md5 checksum (RFC 4757 4, KERB_CHECKSUM_HMAC_MD5):
/// Ksign = HMAC-MD5(K, "signaturekey\0"), tmp = MD5(ms-usage | data),
/// checksum = HMAC-MD5(Ksign, tmp).
pub(crate) fn checksum(base: &Mac, usage: u32, data: &[u8]) -> Result<Vec<u8>, Error> {
    let mut ksign = Zeroizing::new([0u8; 16]);
    ksign.copy_from_slice(base.compute(&[b"signaturekey\0"]).truncated(16));
    let mut md5 = Md5::new();
    md5.update(ms_usage(usage));
    md5.update(data);
    let tmp = md5.finalize();
    Ok(hmac_md5(ksign.as_slice(), &[&tmp])?.to_vec())
}

/// String-to-key (RFC 4757 2): MD4 of the password as UTF-16LE; no salt.
pub(crate) fn string_to_key(password: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let text = core::str::from_utf8(password).ok()?;
    let mut md4 = Md4::new();
    for unit in text.encode_utf16() {
        md4.update(unit.to_le_bytes());
    }
    Some(Zeroizing::new(md4.finalize().to_vec()))
}

/// PRF (as MIT krb5 defines it for RC4, RFC 4757 has none): HMAC-SHA1(key, input).
pub(crate) fn prf(key: &[u8], input: &[u8]) -> Option<Vec<u8>> {
    crate::primitives::mac_once(MacKind::HmacSha1, key, &[input]).map(|t| t.as_slice().to_vec())
}
