//! The arcfour-hmac primitives of RFC 4757 section 7.3 that GSS-API per-message
//! tokens (the RFC 1964 formats wrap 02 01 and MIC 01 01) need beyond
//! [`Key::checksum_with`]: a multi-part signature, the sequence-number cipher and the
//! sealing cipher. Weak; only for old Windows and MIT peers, behind the `rc4` feature.
//!
//! The token layout itself lives in the `kerbgate` crate (`kerbgate::wrap`).

use md5::{Digest, Md5};
use rc4::{KeyInit, Rc4, StreamCipher};
use zeroize::Zeroizing;

use crate::enctype::Enctype;
use crate::error::Error;
use crate::key::Key;
use crate::primitives::{Mac, MacKind};

/// Key usage of the SGN_CKSUM of a Wrap token (RFC 4757 7.3; MIT's usage 23 after the
/// RFC 4757 3 mapping).
pub const RC4_GSS_USAGE_WRAP: u32 = 13;
/// Key usage of the SGN_CKSUM of a MIC token (RFC 4757 7.3).
pub const RC4_GSS_USAGE_MIC: u32 = 15;

fn rc4_key(key: &Key) -> Result<&[u8], Error> {
    let bytes = key.expose_secret_bytes();
    if key.enctype() != Enctype::Rc4Hmac || bytes.len() != 16 {
        return Err(Error::BadKeyLength {
            enctype: key.enctype(),
            len: bytes.len(),
            expected: 16,
        });
    }
    Ok(bytes)
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

/// The hmac-md5 signature of RFC 4757 7.3 over the concatenation of `parts`:
/// Ksign = HMAC-MD5(K, "signaturekey\0"), HMAC-MD5(Ksign, MD5(usage LE | parts)).
/// Tokens carry its first 8 bytes as SGN_CKSUM.
///
/// # Errors
/// [`Error::BadKeyLength`] unless `key` is an arcfour-hmac key.
pub fn rc4_gss_sign(key: &Key, usage: u32, parts: &[&[u8]]) -> Result<[u8; 16], Error> {
    let k = rc4_key(key)?;
    let ksign = hmac_md5(k, &[b"signaturekey\0"])?;
    let mut md5 = Md5::new();
    md5.update(usage.to_le_bytes());
    for p in parts {
        md5.update(p);
    }
    let digest = md5.finalize();
    Ok(*hmac_md5(ksign.as_slice(), &[&digest])?)
}

/// Encrypts or decrypts (RC4 is its own inverse) the 8-byte SND_SEQ field of RFC 4757
/// 7.3: Kseq = HMAC-MD5(HMAC-MD5(K, 0 as 4 bytes), SGN_CKSUM), then RC4 with Kseq.
///
/// # Errors
/// [`Error::BadKeyLength`] unless `key` is an arcfour-hmac key.
pub fn rc4_gss_seq_crypt(key: &Key, sgn_cksum: &[u8], snd_seq: &mut [u8; 8]) -> Result<(), Error> {
    let k = rc4_key(key)?;
    let k0 = hmac_md5(k, &[&[0u8; 4]])?;
    let kseq = hmac_md5(k0.as_slice(), &[sgn_cksum])?;
    rc4_apply(kseq.as_slice(), snd_seq)
}

/// Encrypts or decrypts confounder, data and padding of a sealed Wrap token as one RC4
/// stream (RFC 4757 7.3): Klocal = K XOR 0xF0 bytewise,
/// Kcrypt = HMAC-MD5(HMAC-MD5(Klocal, 0 as 4 bytes), sequence number big-endian).
///
/// # Errors
/// [`Error::BadKeyLength`] unless `key` is an arcfour-hmac key.
pub fn rc4_gss_seal_crypt(key: &Key, seq_be: [u8; 4], buf: &mut [u8]) -> Result<(), Error> {
    let k = rc4_key(key)?;
    let mut klocal = Zeroizing::new([0u8; 16]);
    for (d, s) in klocal.iter_mut().zip(k) {
        *d = s ^ 0xf0;
    }
    let k0 = hmac_md5(klocal.as_slice(), &[&[0u8; 4]])?;
    let kcrypt = hmac_md5(k0.as_slice(), &[&seq_be])?;
    rc4_apply(kcrypt.as_slice(), buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key::new(Enctype::Rc4Hmac, &[0x11; 16]).unwrap()
    }

    #[test]
    fn sign_matches_the_hmac_md5_checksum() {
        // The multi-part signature equals Key::checksum_with over the joined parts.
        let k = key();
        let whole = k
            .checksum_with(crate::ChecksumType::HmacMd5Rc4, 15, b"headerdata")
            .unwrap();
        let parts = rc4_gss_sign(&k, 15, &[b"header", b"data"]).unwrap();
        assert_eq!(whole, parts);
    }

    #[test]
    fn ciphers_are_their_own_inverse() {
        let k = key();
        let mut seq = *b"\x00\x00\x00\x07\xff\xff\xff\xff";
        rc4_gss_seq_crypt(&k, &[1; 8], &mut seq).unwrap();
        assert_ne!(&seq, b"\x00\x00\x00\x07\xff\xff\xff\xff");
        rc4_gss_seq_crypt(&k, &[1; 8], &mut seq).unwrap();
        assert_eq!(&seq, b"\x00\x00\x00\x07\xff\xff\xff\xff");

        let mut buf = b"confoundplaintext".to_vec();
        rc4_gss_seal_crypt(&k, [0, 0, 0, 7], &mut buf).unwrap();
        rc4_gss_seal_crypt(&k, [0, 0, 0, 7], &mut buf).unwrap();
        assert_eq!(buf, b"confoundplaintext");
    }

    #[test]
    fn refuses_other_enctypes() {
        let aes = Key::new(Enctype::Aes128CtsHmacSha196, &[0; 16]).unwrap();
        assert!(rc4_gss_sign(&aes, 15, &[b"x"]).is_err());
        assert!(rc4_gss_seal_crypt(&aes, [0; 4], &mut [0; 4]).is_err());
    }
}
