//! Numbered constants: IANA "Kerberos Encryption Type Numbers" and
//! "Kerberos Checksum Type Numbers", as MIT krb5 spells them.

/// des-cbc-crc (RFC 3961 6.2.3; deprecated by RFC 6649).
pub const ETYPE_DES_CBC_CRC: i32 = 1;
/// des-cbc-md4 (RFC 3961 6.2.2; deprecated by RFC 6649).
pub const ETYPE_DES_CBC_MD4: i32 = 2;
/// des-cbc-md5 (RFC 3961 6.2.1; deprecated by RFC 6649).
pub const ETYPE_DES_CBC_MD5: i32 = 3;
/// des-cbc-raw (deprecated by RFC 6649).
pub const ETYPE_DES_CBC_RAW: i32 = 4;
/// des3-cbc-md5, an early triple-DES number (deprecated by RFC 8429).
pub const ETYPE_DES3_CBC_MD5: i32 = 5;
/// des3-cbc-raw (deprecated by RFC 8429).
pub const ETYPE_DES3_CBC_RAW: i32 = 6;
/// des3-cbc-sha1 under its pre-standard number (deprecated by RFC 8429).
pub const ETYPE_DES3_CBC_SHA1_OLD: i32 = 7;
/// des-hmac-sha1 (deprecated by RFC 6649).
pub const ETYPE_DES_HMAC_SHA1: i32 = 8;
/// des3-cbc-sha1 (RFC 3961 6.3; deprecated by RFC 8429).
pub const ETYPE_DES3_CBC_SHA1: i32 = 16;
/// aes128-cts-hmac-sha1-96 (RFC 3962).
pub const ETYPE_AES128_CTS_HMAC_SHA1_96: i32 = 17;
/// aes256-cts-hmac-sha1-96 (RFC 3962).
pub const ETYPE_AES256_CTS_HMAC_SHA1_96: i32 = 18;
/// aes128-cts-hmac-sha256-128 (RFC 8009).
pub const ETYPE_AES128_CTS_HMAC_SHA256_128: i32 = 19;
/// aes256-cts-hmac-sha384-192 (RFC 8009).
pub const ETYPE_AES256_CTS_HMAC_SHA384_192: i32 = 20;
/// arcfour-hmac (RFC 4757).
pub const ETYPE_ARCFOUR_HMAC: i32 = 23;
/// arcfour-hmac-exp, the 40-bit export variant (RFC 4757; refused).
pub const ETYPE_ARCFOUR_HMAC_EXP: i32 = 24;
/// camellia128-cts-cmac (RFC 6803).
pub const ETYPE_CAMELLIA128_CTS_CMAC: i32 = 25;
/// camellia256-cts-cmac (RFC 6803).
pub const ETYPE_CAMELLIA256_CTS_CMAC: i32 = 26;

/// hmac-sha1-96-aes128 (RFC 3962).
pub const CKSUMTYPE_HMAC_SHA1_96_AES128: i32 = 15;
/// hmac-sha1-96-aes256 (RFC 3962).
pub const CKSUMTYPE_HMAC_SHA1_96_AES256: i32 = 16;
/// cmac-camellia128 (RFC 6803).
pub const CKSUMTYPE_CMAC_CAMELLIA128: i32 = 17;
/// cmac-camellia256 (RFC 6803).
pub const CKSUMTYPE_CMAC_CAMELLIA256: i32 = 18;
/// hmac-sha256-128-aes128 (RFC 8009).
pub const CKSUMTYPE_HMAC_SHA256_128_AES128: i32 = 19;
/// hmac-sha384-192-aes256 (RFC 8009).
pub const CKSUMTYPE_HMAC_SHA384_192_AES256: i32 = 20;
/// hmac-md5 for RC4 keys, KERB_CHECKSUM_HMAC_MD5 (RFC 4757).
pub const CKSUMTYPE_HMAC_MD5_ARCFOUR: i32 = -138;

/// One row of the enctype name table: number, canonical MIT name, aliases.
pub(crate) struct EnctypeNames {
    pub(crate) number: i32,
    pub(crate) name: &'static str,
    pub(crate) aliases: &'static [&'static str],
}

/// MIT krb5's enctype names (src/lib/crypto/krb/etypes.c, including the DES
/// entries it has since removed), canonical name first.
pub(crate) const ENCTYPE_NAMES: &[EnctypeNames] = &[
    row(ETYPE_DES_CBC_CRC, "des-cbc-crc", &[]),
    row(ETYPE_DES_CBC_MD4, "des-cbc-md4", &[]),
    row(ETYPE_DES_CBC_MD5, "des-cbc-md5", &["des"]),
    row(ETYPE_DES_CBC_RAW, "des-cbc-raw", &[]),
    row(ETYPE_DES3_CBC_MD5, "des3-cbc-md5", &[]),
    row(ETYPE_DES3_CBC_RAW, "des3-cbc-raw", &[]),
    row(ETYPE_DES3_CBC_SHA1_OLD, "old-des3-cbc-sha1", &[]),
    row(ETYPE_DES_HMAC_SHA1, "des-hmac-sha1", &[]),
    row(
        ETYPE_DES3_CBC_SHA1,
        "des3-cbc-sha1",
        &["des3-hmac-sha1", "des3-cbc-sha1-kd", "des3"],
    ),
    row(
        ETYPE_AES128_CTS_HMAC_SHA1_96,
        "aes128-cts-hmac-sha1-96",
        &["aes128-cts", "aes128-sha1"],
    ),
    row(
        ETYPE_AES256_CTS_HMAC_SHA1_96,
        "aes256-cts-hmac-sha1-96",
        &["aes256-cts", "aes256-sha1", "aes"],
    ),
    row(
        ETYPE_AES128_CTS_HMAC_SHA256_128,
        "aes128-cts-hmac-sha256-128",
        &["aes128-sha2"],
    ),
    row(
        ETYPE_AES256_CTS_HMAC_SHA384_192,
        "aes256-cts-hmac-sha384-192",
        &["aes256-sha2"],
    ),
    row(
        ETYPE_ARCFOUR_HMAC,
        "arcfour-hmac",
        &["rc4-hmac", "arcfour-hmac-md5", "rc4"],
    ),
    row(
        ETYPE_ARCFOUR_HMAC_EXP,
        "arcfour-hmac-exp",
        &["rc4-hmac-exp", "arcfour-hmac-md5-exp"],
    ),
    row(
        ETYPE_CAMELLIA128_CTS_CMAC,
        "camellia128-cts-cmac",
        &["camellia128-cts"],
    ),
    row(
        ETYPE_CAMELLIA256_CTS_CMAC,
        "camellia256-cts-cmac",
        &["camellia256-cts", "camellia"],
    ),
];

const fn row(number: i32, name: &'static str, aliases: &'static [&'static str]) -> EnctypeNames {
    EnctypeNames {
        number,
        name,
        aliases,
    }
}
