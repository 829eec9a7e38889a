//! PAC signature verification (MS-PAC 2.8, 2.8.1 to 2.8.5).

use kerbgate_crypto::{ChecksumType, Error as CryptoError, Key};
use zeroize::Zeroize;

use super::buffers::SignatureData;
use super::{buffer_type, Pac, PacError};

/// KERB_NON_KERB_CKSUM_SALT: the key usage of every PAC signature (MS-PAC 2.8.1).
pub const KERB_NON_KERB_CKSUM_SALT: u32 = 17;

/// KERB_CHECKSUM_HMAC_MD5, the RC4-era PAC signature type.
#[cfg(feature = "rc4")]
const HMAC_MD5: i32 = -138;

pub(super) fn check(
    which: &'static str,
    sig: &SignatureData,
    key: &Key,
    data: &[u8],
) -> Result<(), PacError> {
    let unusable = PacError::UnusableChecksum {
        which,
        cksumtype: sig.cksumtype,
        enctype: key.enctype().to_i32(),
    };
    let Ok(cksumtype) = ChecksumType::from_i32(sig.cksumtype) else {
        return Err(unusable);
    };
    // MS-PAC 2.8.1: keyed checksum with usage 17; the enctype must fit the key.
    match key.verify_checksum(cksumtype, KERB_NON_KERB_CKSUM_SALT, data, &sig.signature) {
        Ok(()) => Ok(()),
        Err(CryptoError::IntegrityCheckFailed) => Err(PacError::BadSignature { which }),
        Err(_) => Err(unusable),
    }
}

impl Pac {
    /// The PAC with the value bytes of the given signatures set to zero.
    fn zeroed(&self, sigs: &[Option<&SignatureData>]) -> Vec<u8> {
        let mut copy = self.raw.clone();
        for s in sigs.iter().flatten() {
            let (a, b) = s.value_range;
            if let Some(v) = copy.get_mut(a..b) {
                v.zeroize();
            }
        }
        copy
    }

    fn need(sig: Option<&SignatureData>, ul_type: u32) -> Result<&SignatureData, PacError> {
        sig.ok_or(PacError::MissingBuffer { ul_type })
    }

    /// Verifies the server signature with the service's key (MS-PAC 2.8.1): a keyed
    /// checksum over the whole PAC with the server and KDC signature values zeroed.
    ///
    /// # Errors
    /// [`PacError::MissingBuffer`] without server or KDC signature,
    /// [`PacError::UnusableChecksum`] if the checksum type does not fit the key, and
    /// [`PacError::BadSignature`] if it does not match.
    pub fn verify_server_signature(&self, service_key: &Key) -> Result<(), PacError> {
        let server = Self::need(self.server_signature(), buffer_type::SERVER_CHECKSUM)?;
        let kdc = Self::need(self.kdc_signature(), buffer_type::KDC_CHECKSUM)?;
        let data = self.zeroed(&[Some(server), Some(kdc)]);
        check("server", server, service_key, &data)
    }

    /// Verifies the KDC signature with the krbtgt key (MS-PAC 2.8.2): a keyed checksum
    /// over the server signature value.
    ///
    /// # Errors
    /// As [`Pac::verify_server_signature`].
    pub fn verify_kdc_signature(&self, krbtgt_key: &Key) -> Result<(), PacError> {
        let server = Self::need(self.server_signature(), buffer_type::SERVER_CHECKSUM)?;
        let kdc = Self::need(self.kdc_signature(), buffer_type::KDC_CHECKSUM)?;
        check("KDC", kdc, krbtgt_key, &server.signature)
    }

    /// Verifies an HMAC-MD5 (type -138) server signature keyed with raw key bytes, as
    /// Windows 2000/2003 domain controllers made for services with single-DES keys
    /// (MS-PAC 2.8.1; RFC 4757 4 keyed with the 8 DES key bytes). kerbgate refuses DES
    /// keys, so this is the only way to check such a signature. Legacy and weak.
    ///
    /// # Errors
    /// [`PacError::MissingBuffer`] without server or KDC signature,
    /// [`PacError::UnusableChecksum`] if the signature is not HMAC-MD5, and
    /// [`PacError::BadSignature`] if it does not match.
    #[cfg(feature = "rc4")]
    pub fn verify_server_signature_hmac_md5_raw(&self, key_bytes: &[u8]) -> Result<(), PacError> {
        let server = Self::need(self.server_signature(), buffer_type::SERVER_CHECKSUM)?;
        let kdc = Self::need(self.kdc_signature(), buffer_type::KDC_CHECKSUM)?;
        if server.cksumtype != HMAC_MD5 {
            return Err(PacError::UnusableChecksum {
                which: "server",
                cksumtype: server.cksumtype,
                enctype: 0,
            });
        }
        let data = self.zeroed(&[Some(server), Some(kdc)]);
        kerbgate_crypto::verify_hmac_md5_checksum_raw(
            key_bytes,
            KERB_NON_KERB_CKSUM_SALT,
            &data,
            &server.signature,
        )
        .map_err(|_| PacError::BadSignature { which: "server" })
    }

    /// Verifies the full PAC checksum with the krbtgt key (MS-PAC 2.8.5): a keyed
    /// checksum over the PAC with the server, KDC and full-PAC values zeroed.
    ///
    /// # Errors
    /// As [`Pac::verify_server_signature`], and [`PacError::MissingBuffer`] without one.
    pub fn verify_full_pac_signature(&self, krbtgt_key: &Key) -> Result<(), PacError> {
        let full = Self::need(self.full_pac_signature(), buffer_type::FULL_PAC_CHECKSUM)?;
        let data = self.zeroed(&[self.server_signature(), self.kdc_signature(), Some(full)]);
        check("full PAC", full, krbtgt_key, &data)
    }
}
