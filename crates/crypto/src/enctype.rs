//! Enctypes and checksum types: numbers, MIT names, sizes.

use crate::consts::{self, ENCTYPE_NAMES};
use crate::error::{Error, Unsupported};

/// A Kerberos encryption type this build can use.
///
/// Deprecated types (DES, triple DES, export RC4) have no variant: they are
/// recognised only by number and name, and refused by [`Enctype::from_i32`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Enctype {
    /// aes128-cts-hmac-sha1-96 (17), RFC 3962.
    Aes128CtsHmacSha196,
    /// aes256-cts-hmac-sha1-96 (18), RFC 3962.
    Aes256CtsHmacSha196,
    /// aes128-cts-hmac-sha256-128 (19), RFC 8009.
    Aes128CtsHmacSha256128,
    /// aes256-cts-hmac-sha384-192 (20), RFC 8009.
    Aes256CtsHmacSha384192,
    /// arcfour-hmac (23), RFC 4757. Feature `rc4`.
    #[cfg(feature = "rc4")]
    Rc4Hmac,
    /// camellia128-cts-cmac (25), RFC 6803. Feature `camellia`.
    #[cfg(feature = "camellia")]
    Camellia128CtsCmac,
    /// camellia256-cts-cmac (26), RFC 6803. Feature `camellia`.
    #[cfg(feature = "camellia")]
    Camellia256CtsCmac,
}

/// Enctypes compiled in, strongest first (the order MIT prefers by default).
const ALL: &[Enctype] = &[
    Enctype::Aes256CtsHmacSha384192,
    Enctype::Aes128CtsHmacSha256128,
    Enctype::Aes256CtsHmacSha196,
    Enctype::Aes128CtsHmacSha196,
    #[cfg(feature = "camellia")]
    Enctype::Camellia256CtsCmac,
    #[cfg(feature = "camellia")]
    Enctype::Camellia128CtsCmac,
    #[cfg(feature = "rc4")]
    Enctype::Rc4Hmac,
];

/// The cipher family behind an enctype, used to dispatch operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// RFC 3962: AES-CTS, HMAC-SHA1-96, RFC 3961 simplified profile.
    AesSha1,
    /// RFC 8009: AES-CTS, HMAC-SHA256/384, encrypt-then-MAC.
    AesSha2,
    /// RFC 4757: RC4 with HMAC-MD5.
    #[cfg(feature = "rc4")]
    Rc4,
    /// RFC 6803: Camellia-CTS, CMAC, simplified profile with feedback KDF.
    #[cfg(feature = "camellia")]
    Camellia,
}

impl Enctype {
    /// Looks up an enctype number.
    ///
    /// # Errors
    /// [`Error::UnsupportedEnctype`] with [`Unsupported::Deprecated`] for DES,
    /// triple DES and export RC4, [`Unsupported::FeatureDisabled`] for RC4 or
    /// Camellia when their feature is off, [`Unsupported::Unknown`] otherwise.
    pub fn from_i32(n: i32) -> Result<Enctype, Error> {
        let refuse = |reason| Err(Error::UnsupportedEnctype { enctype: n, reason });
        match n {
            consts::ETYPE_AES128_CTS_HMAC_SHA1_96 => Ok(Self::Aes128CtsHmacSha196),
            consts::ETYPE_AES256_CTS_HMAC_SHA1_96 => Ok(Self::Aes256CtsHmacSha196),
            consts::ETYPE_AES128_CTS_HMAC_SHA256_128 => Ok(Self::Aes128CtsHmacSha256128),
            consts::ETYPE_AES256_CTS_HMAC_SHA384_192 => Ok(Self::Aes256CtsHmacSha384192),
            #[cfg(feature = "rc4")]
            consts::ETYPE_ARCFOUR_HMAC => Ok(Self::Rc4Hmac),
            #[cfg(not(feature = "rc4"))]
            consts::ETYPE_ARCFOUR_HMAC => refuse(Unsupported::FeatureDisabled("rc4")),
            #[cfg(feature = "camellia")]
            consts::ETYPE_CAMELLIA128_CTS_CMAC => Ok(Self::Camellia128CtsCmac),
            #[cfg(feature = "camellia")]
            consts::ETYPE_CAMELLIA256_CTS_CMAC => Ok(Self::Camellia256CtsCmac),
            #[cfg(not(feature = "camellia"))]
            consts::ETYPE_CAMELLIA128_CTS_CMAC | consts::ETYPE_CAMELLIA256_CTS_CMAC => {
                refuse(Unsupported::FeatureDisabled("camellia"))
            }
            // RFC 6649 (single DES), RFC 8429 (triple DES and the export RC4 variant).
            consts::ETYPE_DES_CBC_CRC
            | consts::ETYPE_DES_CBC_MD4
            | consts::ETYPE_DES_CBC_MD5
            | consts::ETYPE_DES_CBC_RAW
            | consts::ETYPE_DES3_CBC_MD5
            | consts::ETYPE_DES3_CBC_RAW
            | consts::ETYPE_DES3_CBC_SHA1_OLD
            | consts::ETYPE_DES_HMAC_SHA1
            | consts::ETYPE_DES3_CBC_SHA1
            | consts::ETYPE_ARCFOUR_HMAC_EXP => refuse(Unsupported::Deprecated),
            _ => refuse(Unsupported::Unknown),
        }
    }

    /// The IANA enctype number.
    pub fn to_i32(self) -> i32 {
        match self {
            Self::Aes128CtsHmacSha196 => consts::ETYPE_AES128_CTS_HMAC_SHA1_96,
            Self::Aes256CtsHmacSha196 => consts::ETYPE_AES256_CTS_HMAC_SHA1_96,
            Self::Aes128CtsHmacSha256128 => consts::ETYPE_AES128_CTS_HMAC_SHA256_128,
            Self::Aes256CtsHmacSha384192 => consts::ETYPE_AES256_CTS_HMAC_SHA384_192,
            #[cfg(feature = "rc4")]
            Self::Rc4Hmac => consts::ETYPE_ARCFOUR_HMAC,
            #[cfg(feature = "camellia")]
            Self::Camellia128CtsCmac => consts::ETYPE_CAMELLIA128_CTS_CMAC,
            #[cfg(feature = "camellia")]
            Self::Camellia256CtsCmac => consts::ETYPE_CAMELLIA256_CTS_CMAC,
        }
    }

    /// MIT's canonical name, e.g. `"aes256-cts-hmac-sha1-96"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128CtsHmacSha196 => "aes128-cts-hmac-sha1-96",
            Self::Aes256CtsHmacSha196 => "aes256-cts-hmac-sha1-96",
            Self::Aes128CtsHmacSha256128 => "aes128-cts-hmac-sha256-128",
            Self::Aes256CtsHmacSha384192 => "aes256-cts-hmac-sha384-192",
            #[cfg(feature = "rc4")]
            Self::Rc4Hmac => "arcfour-hmac",
            #[cfg(feature = "camellia")]
            Self::Camellia128CtsCmac => "camellia128-cts-cmac",
            #[cfg(feature = "camellia")]
            Self::Camellia256CtsCmac => "camellia256-cts-cmac",
        }
    }

    /// Length in bytes of the protocol key (and of random-to-key's input).
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128CtsHmacSha196 | Self::Aes128CtsHmacSha256128 => 16,
            Self::Aes256CtsHmacSha196 | Self::Aes256CtsHmacSha384192 => 32,
            #[cfg(feature = "rc4")]
            Self::Rc4Hmac => 16,
            #[cfg(feature = "camellia")]
            Self::Camellia128CtsCmac => 16,
            #[cfg(feature = "camellia")]
            Self::Camellia256CtsCmac => 32,
        }
    }

    /// The enctype's mandatory keyed checksum type.
    pub fn checksum_type(self) -> ChecksumType {
        match self {
            Self::Aes128CtsHmacSha196 => ChecksumType::HmacSha196Aes128,
            Self::Aes256CtsHmacSha196 => ChecksumType::HmacSha196Aes256,
            Self::Aes128CtsHmacSha256128 => ChecksumType::HmacSha256128Aes128,
            Self::Aes256CtsHmacSha384192 => ChecksumType::HmacSha384192Aes256,
            #[cfg(feature = "rc4")]
            Self::Rc4Hmac => ChecksumType::HmacMd5Rc4,
            #[cfg(feature = "camellia")]
            Self::Camellia128CtsCmac => ChecksumType::CmacCamellia128,
            #[cfg(feature = "camellia")]
            Self::Camellia256CtsCmac => ChecksumType::CmacCamellia256,
        }
    }

    /// Length of the random confounder prepended to each plaintext.
    pub fn confounder_len(self) -> usize {
        match self.family() {
            #[cfg(feature = "rc4")]
            Family::Rc4 => 8,
            _ => 16,
        }
    }

    /// Length of the integrity tag (HMAC or CMAC) in each ciphertext; for RC4
    /// the 16-byte HMAC-MD5 sits in front of the ciphertext rather than after.
    pub fn trailer_len(self) -> usize {
        match self {
            Self::Aes128CtsHmacSha196 | Self::Aes256CtsHmacSha196 => 12,
            Self::Aes128CtsHmacSha256128 => 16,
            Self::Aes256CtsHmacSha384192 => 24,
            #[cfg(feature = "rc4")]
            Self::Rc4Hmac => 16,
            #[cfg(feature = "camellia")]
            Self::Camellia128CtsCmac | Self::Camellia256CtsCmac => 16,
        }
    }

    /// Bytes an encryption adds to the plaintext: confounder plus tag.
    pub fn ciphertext_overhead(self) -> usize {
        self.confounder_len() + self.trailer_len()
    }

    /// Enctypes compiled into this build, strongest first.
    pub fn all() -> &'static [Enctype] {
        ALL
    }

    pub(crate) fn family(self) -> Family {
        match self {
            Self::Aes128CtsHmacSha196 | Self::Aes256CtsHmacSha196 => Family::AesSha1,
            Self::Aes128CtsHmacSha256128 | Self::Aes256CtsHmacSha384192 => Family::AesSha2,
            #[cfg(feature = "rc4")]
            Self::Rc4Hmac => Family::Rc4,
            #[cfg(feature = "camellia")]
            Self::Camellia128CtsCmac | Self::Camellia256CtsCmac => Family::Camellia,
        }
    }
}

/// A keyed Kerberos checksum type.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChecksumType {
    /// hmac-sha1-96-aes128 (15), RFC 3962.
    HmacSha196Aes128,
    /// hmac-sha1-96-aes256 (16), RFC 3962.
    HmacSha196Aes256,
    /// hmac-sha256-128-aes128 (19), RFC 8009.
    HmacSha256128Aes128,
    /// hmac-sha384-192-aes256 (20), RFC 8009.
    HmacSha384192Aes256,
    /// hmac-md5 (-138), KERB_CHECKSUM_HMAC_MD5, RFC 4757. Feature `rc4`.
    #[cfg(feature = "rc4")]
    HmacMd5Rc4,
    /// cmac-camellia128 (17), RFC 6803. Feature `camellia`.
    #[cfg(feature = "camellia")]
    CmacCamellia128,
    /// cmac-camellia256 (18), RFC 6803. Feature `camellia`.
    #[cfg(feature = "camellia")]
    CmacCamellia256,
}

impl ChecksumType {
    /// Looks up a checksum type number.
    ///
    /// # Errors
    /// [`Error::UnsupportedChecksumType`]: unkeyed and DES-based types are
    /// [`Unsupported::Deprecated`]; RC4 and Camellia types need their feature.
    pub fn from_i32(n: i32) -> Result<Self, Error> {
        let refuse = |reason| {
            Err(Error::UnsupportedChecksumType {
                cksumtype: n,
                reason,
            })
        };
        match n {
            consts::CKSUMTYPE_HMAC_SHA1_96_AES128 => Ok(Self::HmacSha196Aes128),
            consts::CKSUMTYPE_HMAC_SHA1_96_AES256 => Ok(Self::HmacSha196Aes256),
            consts::CKSUMTYPE_HMAC_SHA256_128_AES128 => Ok(Self::HmacSha256128Aes128),
            consts::CKSUMTYPE_HMAC_SHA384_192_AES256 => Ok(Self::HmacSha384192Aes256),
            #[cfg(feature = "rc4")]
            consts::CKSUMTYPE_HMAC_MD5_ARCFOUR => Ok(Self::HmacMd5Rc4),
            #[cfg(not(feature = "rc4"))]
            consts::CKSUMTYPE_HMAC_MD5_ARCFOUR => refuse(Unsupported::FeatureDisabled("rc4")),
            #[cfg(feature = "camellia")]
            consts::CKSUMTYPE_CMAC_CAMELLIA128 => Ok(Self::CmacCamellia128),
            #[cfg(feature = "camellia")]
            consts::CKSUMTYPE_CMAC_CAMELLIA256 => Ok(Self::CmacCamellia256),
            #[cfg(not(feature = "camellia"))]
            consts::CKSUMTYPE_CMAC_CAMELLIA128 | consts::CKSUMTYPE_CMAC_CAMELLIA256 => {
                refuse(Unsupported::FeatureDisabled("camellia"))
            }
            // RFC 3961 6.1 and 6.2: CRC-32, MD4, MD5, their DES-keyed forms, SHA-1,
            // hmac-sha1-des3-kd (RFC 8429), and MIT's md5-hmac-rc4 (-137).
            1..=4 | 7 | 8 | 9 | 12 | 14 | -137 => refuse(Unsupported::Deprecated),
            _ => refuse(Unsupported::Unknown),
        }
    }

    /// The IANA checksum type number.
    pub fn to_i32(self) -> i32 {
        match self {
            Self::HmacSha196Aes128 => consts::CKSUMTYPE_HMAC_SHA1_96_AES128,
            Self::HmacSha196Aes256 => consts::CKSUMTYPE_HMAC_SHA1_96_AES256,
            Self::HmacSha256128Aes128 => consts::CKSUMTYPE_HMAC_SHA256_128_AES128,
            Self::HmacSha384192Aes256 => consts::CKSUMTYPE_HMAC_SHA384_192_AES256,
            #[cfg(feature = "rc4")]
            Self::HmacMd5Rc4 => consts::CKSUMTYPE_HMAC_MD5_ARCFOUR,
            #[cfg(feature = "camellia")]
            Self::CmacCamellia128 => consts::CKSUMTYPE_CMAC_CAMELLIA128,
            #[cfg(feature = "camellia")]
            Self::CmacCamellia256 => consts::CKSUMTYPE_CMAC_CAMELLIA256,
        }
    }

    /// MIT's name for the checksum type, e.g. `"hmac-sha1-96-aes256"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha196Aes128 => "hmac-sha1-96-aes128",
            Self::HmacSha196Aes256 => "hmac-sha1-96-aes256",
            Self::HmacSha256128Aes128 => "hmac-sha256-128-aes128",
            Self::HmacSha384192Aes256 => "hmac-sha384-192-aes256",
            #[cfg(feature = "rc4")]
            Self::HmacMd5Rc4 => "hmac-md5-rc4",
            #[cfg(feature = "camellia")]
            Self::CmacCamellia128 => "cmac-camellia128",
            #[cfg(feature = "camellia")]
            Self::CmacCamellia256 => "cmac-camellia256",
        }
    }

    /// Length of the checksum in bytes.
    pub fn size(self) -> usize {
        match self {
            Self::HmacSha196Aes128 | Self::HmacSha196Aes256 => 12,
            Self::HmacSha256128Aes128 => 16,
            Self::HmacSha384192Aes256 => 24,
            #[cfg(feature = "rc4")]
            Self::HmacMd5Rc4 => 16,
            #[cfg(feature = "camellia")]
            Self::CmacCamellia128 | Self::CmacCamellia256 => 16,
        }
    }

    /// The enctype whose keys this checksum type takes.
    pub fn enctype(self) -> Enctype {
        match self {
            Self::HmacSha196Aes128 => Enctype::Aes128CtsHmacSha196,
            Self::HmacSha196Aes256 => Enctype::Aes256CtsHmacSha196,
            Self::HmacSha256128Aes128 => Enctype::Aes128CtsHmacSha256128,
            Self::HmacSha384192Aes256 => Enctype::Aes256CtsHmacSha384192,
            #[cfg(feature = "rc4")]
            Self::HmacMd5Rc4 => Enctype::Rc4Hmac,
            #[cfg(feature = "camellia")]
            Self::CmacCamellia128 => Enctype::Camellia128CtsCmac,
            #[cfg(feature = "camellia")]
            Self::CmacCamellia256 => Enctype::Camellia256CtsCmac,
        }
    }
}

/// The MIT name of any known enctype number, including refused ones (for
/// listing keytabs); `None` for numbers this crate does not know.
pub fn enctype_name(n: i32) -> Option<&'static str> {
    ENCTYPE_NAMES
        .iter()
        .find(|row| row.number == n)
        .map(|row| row.name)
}

/// Parses an MIT enctype name or alias (case-insensitive), or a decimal number,
/// into an enctype number. It does not check support: pass the result to
/// [`Enctype::from_i32`] for that.
///
/// MIT's family names map to the first member MIT lists: `aes` to 18, `rc4` to
/// 23, `camellia` to 26, `des3` to 16, `des` to 3.
pub fn enctype_from_name(s: &str) -> Option<i32> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i32>() {
        return Some(n);
    }
    ENCTYPE_NAMES
        .iter()
        .find(|row| {
            row.name.eq_ignore_ascii_case(s)
                || row.aliases.iter().any(|a| a.eq_ignore_ascii_case(s))
        })
        .map(|row| row.number)
}

/// The default salt (RFC 4120 4): the realm followed by each name component,
/// with no separators.
pub fn default_salt(realm: &str, components: &[&str]) -> Vec<u8> {
    let len = realm.len() + components.iter().map(|c| c.len()).sum::<usize>();
    let mut salt = Vec::with_capacity(len);
    salt.extend_from_slice(realm.as_bytes());
    for c in components {
        salt.extend_from_slice(c.as_bytes());
    }
    salt
}
