//! The hmac-md5 checksum (RFC 4757 4, KERB_CHECKSUM_HMAC_MD5, type -138) keyed with
//! arbitrary key bytes rather than an arcfour-hmac [`Key`](crate::Key).
//!
//! Windows 2000/2003 domain controllers signed the PAC server signature of a service
//! with a single-DES key using this checksum, keyed with the 8 DES key bytes (Heimdal
//! and MIT accept it so). kerbgate refuses DES keys, so this is the one path by which
//! such a signature can still be checked. Weak; behind the `rc4` feature.

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::Error;
use crate::primitives::{Mac, MacKind};
use crate::rfc4757;

/// Size of an hmac-md5 checksum.
pub const HMAC_MD5_CHECKSUM_LEN: usize = 16;

/// Computes the hmac-md5 checksum (RFC 4757 4) over `data` with key usage `usage`,
/// keyed with `key` as given, whatever its length.
///
/// # Errors
/// [`Error::IntegrityCheckFailed`] if the MAC cannot be keyed (it accepts any length,
/// so only in theory).
pub fn hmac_md5_checksum_raw(key: &[u8], usage: u32, data: &[u8]) -> Result<Vec<u8>, Error> {
    let base = Mac::new(MacKind::HmacMd5, key).ok_or(Error::IntegrityCheckFailed)?;
    rfc4757::checksum(&base, usage, data)
}

/// Checks an hmac-md5 checksum keyed with raw key bytes, in constant time.
///
/// # Errors
/// [`Error::IntegrityCheckFailed`] if it does not match (or has the wrong length).
pub fn verify_hmac_md5_checksum_raw(
    key: &[u8],
    usage: u32,
    data: &[u8],
    cksum: &[u8],
) -> Result<(), Error> {
    let mut mine = hmac_md5_checksum_raw(key, usage, data)?;
    // RFC 4757 4: the whole 16-byte HMAC is the checksum.
    let ok = mine.len() == cksum.len() && bool::from(mine.as_slice().ct_eq(cksum));
    mine.zeroize();
    if ok {
        Ok(())
    } else {
        Err(Error::IntegrityCheckFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChecksumType, Enctype, Key};

    #[test]
    fn matches_the_keyed_path_for_a_16_byte_key() {
        let bytes = [0x42u8; 16];
        let key = Key::new(Enctype::Rc4Hmac, &bytes).unwrap();
        let want = key
            .checksum_with(ChecksumType::HmacMd5Rc4, 17, b"pac bytes")
            .unwrap();
        let raw = hmac_md5_checksum_raw(&bytes, 17, b"pac bytes").unwrap();
        assert_eq!(raw, want);
        assert_eq!(raw.len(), HMAC_MD5_CHECKSUM_LEN);
        verify_hmac_md5_checksum_raw(&bytes, 17, b"pac bytes", &want).unwrap();
    }

    #[test]
    fn refuses_a_wrong_checksum_or_length() {
        let key = [7u8; 8];
        let mut c = hmac_md5_checksum_raw(&key, 17, b"x").unwrap();
        assert_eq!(
            verify_hmac_md5_checksum_raw(&key, 17, b"x", &c[..15]),
            Err(Error::IntegrityCheckFailed)
        );
        c[0] ^= 1;
        assert_eq!(
            verify_hmac_md5_checksum_raw(&key, 17, b"x", &c),
            Err(Error::IntegrityCheckFailed)
        );
    }
}
