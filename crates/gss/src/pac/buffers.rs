//! The small PAC buffers: client info, UPN/DNS info, attributes, requestor,
//! S4U delegation info and signatures (MS-PAC 2.6 to 2.15).

use super::error::PacError;
use super::ndr::{type_serialization_v1, utf16le, Cursor, UnicodeStringHdr};
use super::sid::Sid;

/// PAC_CLIENT_INFO (MS-PAC 2.7): the client name and the ticket's authtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// ClientId: the authtime as a FILETIME (100 ns since 1601-01-01).
    pub client_id: u64,
    /// The client name, as the KDC wrote it.
    pub name: String,
}

/// Seconds between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_OFFSET: i64 = 11_644_473_600;

impl ClientInfo {
    /// Decodes PAC_CLIENT_INFO.
    ///
    /// # Errors
    /// [`PacError::Truncated`] or [`PacError::Malformed`].
    pub fn parse(buf: &[u8]) -> Result<ClientInfo, PacError> {
        let mut c = Cursor::new(buf);
        let client_id = c.u64_le("PAC_CLIENT_INFO ClientId")?;
        let len = c.u16_le("PAC_CLIENT_INFO NameLength")?;
        let name = utf16le(c.bytes(usize::from(len), "PAC_CLIENT_INFO Name")?)?;
        Ok(ClientInfo { client_id, name })
    }

    /// The authtime in Unix seconds, if ClientId is a whole number of seconds.
    pub fn authtime_unix(&self) -> Option<i64> {
        if self.client_id % 10_000_000 != 0 {
            return None;
        }
        i64::try_from(self.client_id / 10_000_000)
            .ok()?
            .checked_sub(FILETIME_UNIX_OFFSET)
    }
}

/// UPN_DNS_INFO (MS-PAC 2.10): the UPN, DNS domain and, in the extended form, the
/// SAM name and SID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpnDnsInfo {
    /// The user principal name.
    pub upn: String,
    /// The DNS domain name.
    pub dns_domain: String,
    /// Flags: U (0x1) the UPN was constructed, not set on the account; S (0x2) extended.
    pub flags: u32,
    /// SamName, in the extended form.
    pub sam_name: Option<String>,
    /// The user SID, in the extended form.
    pub sid: Option<Sid>,
}

fn sub<'a>(buf: &'a [u8], off: u16, len: u16, what: &'static str) -> Result<&'a [u8], PacError> {
    let start = usize::from(off);
    let end = start + usize::from(len);
    buf.get(start..end).ok_or(PacError::Truncated {
        what,
        needed: end,
        available: buf.len(),
    })
}

impl UpnDnsInfo {
    /// Decodes UPN_DNS_INFO; offsets are relative to the buffer start.
    ///
    /// # Errors
    /// [`PacError::Truncated`] or [`PacError::Malformed`].
    pub fn parse(buf: &[u8]) -> Result<UpnDnsInfo, PacError> {
        let mut c = Cursor::new(buf);
        let upn_len = c.u16_le("UpnLength")?;
        let upn_off = c.u16_le("UpnOffset")?;
        let dns_len = c.u16_le("DnsDomainNameLength")?;
        let dns_off = c.u16_le("DnsDomainNameOffset")?;
        let flags = c.u32_le("UPN_DNS_INFO Flags")?;
        let upn = utf16le(sub(buf, upn_off, upn_len, "UPN")?)?;
        let dns_domain = utf16le(sub(buf, dns_off, dns_len, "DNS domain name")?)?;

        // MS-PAC 2.10: with the S flag the SAM name and SID follow.
        let (sam_name, sid) = if flags & 0x2 != 0 {
            let sam_len = c.u16_le("SamNameLength")?;
            let sam_off = c.u16_le("SamNameOffset")?;
            let sid_len = c.u16_le("SidLength")?;
            let sid_off = c.u16_le("SidOffset")?;
            let sam = utf16le(sub(buf, sam_off, sam_len, "SamName")?)?;
            let sid = Sid::from_bytes(sub(buf, sid_off, sid_len, "UPN_DNS_INFO SID")?)?;
            (Some(sam), Some(sid))
        } else {
            (None, None)
        };
        Ok(UpnDnsInfo {
            upn,
            dns_domain,
            flags,
            sam_name,
            sid,
        })
    }
}

/// PAC_ATTRIBUTES_INFO (MS-PAC 2.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributesInfo {
    /// FlagsLength: the number of meaningful bits.
    pub flags_length: u32,
    /// The flag words (PAC_WAS_REQUESTED 0x1, PAC_WAS_GIVEN_IMPLICITLY 0x2).
    pub flags: Vec<u32>,
}

impl AttributesInfo {
    /// Decodes PAC_ATTRIBUTES_INFO.
    ///
    /// # Errors
    /// [`PacError::Truncated`] or [`PacError::CountTooLarge`].
    pub fn parse(buf: &[u8]) -> Result<AttributesInfo, PacError> {
        let mut c = Cursor::new(buf);
        let flags_length = c.u32_le("PAC_ATTRIBUTES_INFO FlagsLength")?;
        let words = usize::try_from(flags_length.div_ceil(32)).unwrap_or(usize::MAX);
        if words.checked_mul(4).is_none_or(|n| n > c.remaining()) {
            return Err(PacError::CountTooLarge {
                what: "attribute flag",
                count: flags_length.into(),
            });
        }
        let mut flags = Vec::with_capacity(words);
        for _ in 0..words {
            flags.push(c.u32_le("PAC_ATTRIBUTES_INFO Flags")?);
        }
        Ok(AttributesInfo {
            flags_length,
            flags,
        })
    }
}

/// S4U_DELEGATION_INFO (MS-PAC 2.9), NDR-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationInfo {
    /// S4U2proxyTarget: the service the ticket was obtained for.
    pub proxy_target: String,
    /// S4UTransitedServices: the services that delegated, in order.
    pub transited_services: Vec<String>,
}

impl DelegationInfo {
    /// Decodes S4U_DELEGATION_INFO.
    ///
    /// # Errors
    /// [`PacError::Truncated`], [`PacError::CountTooLarge`] or [`PacError::Malformed`].
    pub fn parse(buf: &[u8]) -> Result<DelegationInfo, PacError> {
        let mut c = type_serialization_v1(buf)?;
        if c.nu32("delegation info pointer")? == 0 {
            return Err(PacError::Malformed {
                what: "null S4U_DELEGATION_INFO pointer",
            });
        }
        let target = UnicodeStringHdr::read(&mut c)?;
        let count = c.nu32("TransitedListSize")?;
        let list_ptr = c.nu32("S4UTransitedServices pointer")? != 0;

        let proxy_target = target.read_deferred(&mut c)?;
        let mut transited_services = Vec::new();
        if list_ptr {
            // Conformant array of RPC_UNICODE_STRING (8 bytes each), strings deferred.
            let n = c.count("transited service", 8)?;
            if u32::try_from(n).ok() != Some(count) {
                return Err(PacError::Malformed {
                    what: "transited list size disagrees",
                });
            }
            let mut hdrs = Vec::with_capacity(n);
            for _ in 0..n {
                hdrs.push(UnicodeStringHdr::read(&mut c)?);
            }
            transited_services.reserve(n);
            for h in hdrs {
                transited_services.push(h.read_deferred(&mut c)?);
            }
        } else if count != 0 {
            return Err(PacError::Malformed {
                what: "transited count without a list",
            });
        }
        Ok(DelegationInfo {
            proxy_target,
            transited_services,
        })
    }
}

/// PAC_SIGNATURE_DATA (MS-PAC 2.8): a checksum type, the checksum, and for
/// read-only DCs a 2-byte RODCIdentifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureData {
    /// SignatureType: the checksum type number (16 hmac-sha1-96-aes256, -138 hmac-md5, ...).
    pub cksumtype: i32,
    /// The checksum bytes (not a secret; never logged all the same).
    pub signature: Vec<u8>,
    /// RODCIdentifier, when the KDC is a read-only DC.
    pub rodc_id: Option<u16>,
    /// The bytes after SignatureType inside the PAC, zeroed when signing.
    pub(crate) value_range: (usize, usize),
}

/// The checksum size for a PAC signature type (MS-PAC 2.8.1), or `None` if unknown.
pub fn signature_len(cksumtype: i32) -> Option<usize> {
    match cksumtype {
        15 | 16 => Some(12),
        -138 => Some(16),
        // cmac-camellia128/256 (RFC 6803), which MIT KDCs use for Camellia keys.
        17 | 18 => Some(16),
        19 => Some(16),
        20 => Some(24),
        _ => None,
    }
}

impl SignatureData {
    /// Decodes PAC_SIGNATURE_DATA found at `offset` inside the PAC.
    ///
    /// # Errors
    /// [`PacError::Malformed`] for an unknown checksum type or wrong length.
    pub(crate) fn parse(buf: &[u8], offset: usize) -> Result<SignatureData, PacError> {
        let mut c = Cursor::new(buf);
        let cksumtype = i32::from_le_bytes(c.array("PAC_SIGNATURE_DATA type")?);
        let Some(n) = signature_len(cksumtype) else {
            return Err(PacError::Malformed {
                what: "unknown PAC signature type",
            });
        };
        let signature = c.bytes(n, "PAC signature")?.to_vec();
        // MS-PAC 2.8: an optional RODCIdentifier follows; nothing else may.
        let rodc_id = match c.remaining() {
            0 => None,
            2 => Some(c.u16_le("RODCIdentifier")?),
            _ => {
                return Err(PacError::Malformed {
                    what: "PAC signature buffer length",
                })
            }
        };
        Ok(SignatureData {
            cksumtype,
            signature,
            rodc_id,
            // Zeroing for signing covers everything after SignatureType, the
            // RODCIdentifier included, as MIT krb5 and Heimdal do (the Heimdal RODC
            // vectors verify only so).
            value_range: (offset + 4, offset + buf.len()),
        })
    }
}
