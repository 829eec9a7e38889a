//! Security identifiers (MS-DTYP 2.4.2) and well-known names.

use std::fmt;

use super::error::PacError;
use super::ndr::Cursor;

/// Most sub-authorities a SID may carry (MS-DTYP 2.4.2).
pub const MAX_SUB_AUTHORITIES: u8 = 15;

/// A Windows security identifier. Fixed size, so building group SIDs allocates nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sid {
    revision: u8,
    authority: u64,
    count: u8,
    // Unused slots stay zero, so derived equality and hashing are exact.
    subs: [u32; MAX_SUB_AUTHORITIES as usize],
}

impl Sid {
    /// A SID from its parts. `authority` is the 48-bit identifier authority.
    ///
    /// # Errors
    /// [`PacError::Malformed`] if there are more than 15 sub-authorities or the authority
    /// does not fit in 48 bits.
    pub fn new(revision: u8, authority: u64, subs: &[u32]) -> Result<Sid, PacError> {
        if subs.len() > usize::from(MAX_SUB_AUTHORITIES) || authority >> 48 != 0 {
            return Err(PacError::Malformed {
                what: "SID out of range",
            });
        }
        let mut sid = Sid {
            revision,
            authority,
            count: 0,
            subs: [0; MAX_SUB_AUTHORITIES as usize],
        };
        for s in subs {
            sid.push(*s)?;
        }
        Ok(sid)
    }

    /// The revision (1 for every SID in use).
    pub fn revision(&self) -> u8 {
        self.revision
    }

    /// The 48-bit identifier authority (5 for NT AUTHORITY).
    pub fn authority(&self) -> u64 {
        self.authority
    }

    /// The sub-authorities, the last being the RID for account SIDs.
    pub fn sub_authorities(&self) -> &[u32] {
        self.subs.get(..usize::from(self.count)).unwrap_or_default()
    }

    fn push(&mut self, sub: u32) -> Result<(), PacError> {
        let Some(slot) = self.subs.get_mut(usize::from(self.count)) else {
            return Err(PacError::Malformed {
                what: "SID has more than 15 sub-authorities",
            });
        };
        *slot = sub;
        self.count += 1;
        Ok(())
    }

    /// The last sub-authority (the RID), if any.
    pub fn rid(&self) -> Option<u32> {
        self.sub_authorities().last().copied()
    }

    /// This domain SID with `rid` appended.
    ///
    /// # Errors
    /// [`PacError::Malformed`] if the SID already has 15 sub-authorities.
    pub fn with_rid(&self, rid: u32) -> Result<Sid, PacError> {
        let mut sid = *self;
        sid.push(rid)?;
        Ok(sid)
    }

    /// The binary form (MS-DTYP 2.4.2.2).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 4 * usize::from(self.count));
        out.push(self.revision);
        out.push(self.count);
        out.extend_from_slice(self.authority.to_be_bytes().get(2..).unwrap_or_default());
        for s in self.sub_authorities() {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    /// Parses a binary SID that fills `bytes` exactly (MS-DTYP 2.4.2.2).
    ///
    /// # Errors
    /// [`PacError::Truncated`] or [`PacError::Malformed`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Sid, PacError> {
        let mut c = Cursor::new(bytes);
        let sid = Self::read_body(&mut c, None)?;
        if c.remaining() != 0 {
            return Err(PacError::Malformed {
                what: "trailing bytes after SID",
            });
        }
        Ok(sid)
    }

    /// Reads revision, count, authority and sub-authorities. `expected` is the NDR
    /// conformance count, which must equal the SID's own count.
    pub(crate) fn read_body(c: &mut Cursor<'_>, expected: Option<u32>) -> Result<Sid, PacError> {
        let revision = c.u8("SID revision")?;
        let count = c.u8("SID sub-authority count")?;
        // MS-DTYP 2.4.2.2: at most 15 sub-authorities.
        if count > MAX_SUB_AUTHORITIES {
            return Err(PacError::CountTooLarge {
                what: "SID sub-authority",
                count: count.into(),
            });
        }
        if expected.is_some_and(|e| e != u32::from(count)) {
            return Err(PacError::Malformed {
                what: "SID conformance count disagrees with SID",
            });
        }
        let auth = c.bytes(6, "SID authority")?;
        let mut a = [0u8; 8];
        if let Some(dst) = a.get_mut(2..) {
            dst.copy_from_slice(auth);
        }
        let mut sid = Sid {
            revision,
            authority: u64::from_be_bytes(a),
            count: 0,
            subs: [0; MAX_SUB_AUTHORITIES as usize],
        };
        for _ in 0..count {
            sid.push(c.u32_le("SID sub-authority")?)?;
        }
        Ok(sid)
    }

    /// A name for well-known SIDs and well-known domain RIDs, e.g.
    /// `BUILTIN\Administrators` or `Domain Admins`.
    pub fn well_known_name(&self) -> Option<&'static str> {
        match (self.authority, self.sub_authorities()) {
            (1, [0]) => Some("Everyone"),
            (5, [11]) => Some("Authenticated Users"),
            (5, [18]) => Some("Local System"),
            (5, [32, 544]) => Some(r"BUILTIN\Administrators"),
            (5, [32, 545]) => Some(r"BUILTIN\Users"),
            (5, [32, 546]) => Some(r"BUILTIN\Guests"),
            (5, [32, 548]) => Some(r"BUILTIN\Account Operators"),
            (5, [32, 549]) => Some(r"BUILTIN\Server Operators"),
            (5, [32, 551]) => Some(r"BUILTIN\Backup Operators"),
            (5, [32, 554]) => Some(r"BUILTIN\Pre-Windows 2000 Compatible Access"),
            (5, [32, 555]) => Some(r"BUILTIN\Remote Desktop Users"),
            (18, [1]) => Some("Authentication authority asserted identity"),
            (18, [2]) => Some("Service asserted identity"),
            (5, [21, _, _, _, rid]) => domain_rid_name(*rid),
            _ => None,
        }
    }
}

/// Names of well-known relative IDs within a domain (MS-DTYP 2.4.2.4).
pub fn domain_rid_name(rid: u32) -> Option<&'static str> {
    Some(match rid {
        500 => "Administrator",
        501 => "Guest",
        502 => "krbtgt",
        512 => "Domain Admins",
        513 => "Domain Users",
        514 => "Domain Guests",
        515 => "Domain Computers",
        516 => "Domain Controllers",
        517 => "Cert Publishers",
        518 => "Schema Admins",
        519 => "Enterprise Admins",
        520 => "Group Policy Creator Owners",
        521 => "Read-only Domain Controllers",
        525 => "Protected Users",
        572 => "Denied RODC Password Replication Group",
        _ => return None,
    })
}

impl fmt::Display for Sid {
    /// The string form, `S-1-5-21-...` (MS-DTYP 2.4.2.1).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S-{}-", self.revision)?;
        if self.authority >> 32 == 0 {
            write!(f, "{}", self.authority)?;
        } else {
            write!(f, "0x{:012X}", self.authority)?;
        }
        for s in self.sub_authorities() {
            write!(f, "-{s}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Sid {
    type Err = PacError;

    /// Parses the string form `S-1-5-21-...` (MS-DTYP 2.4.2.1): a decimal authority,
    /// or `0x` and 12 hex digits for one of 2^32 or more.
    fn from_str(s: &str) -> Result<Sid, PacError> {
        let bad = PacError::Malformed {
            what: "SID string (expected S-1-5-21-...)",
        };
        let mut parts = s.trim().split('-');
        if !parts.next().is_some_and(|p| p.eq_ignore_ascii_case("S")) {
            return Err(bad);
        }
        let Some(Ok(revision)) = parts.next().map(str::parse::<u8>) else {
            return Err(bad);
        };
        let authority = match parts.next() {
            Some(a) if a.starts_with("0x") || a.starts_with("0X") => {
                u64::from_str_radix(a.get(2..).unwrap_or_default(), 16).map_err(|_| bad.clone())?
            }
            Some(a) => a.parse::<u64>().map_err(|_| bad.clone())?,
            None => return Err(bad),
        };
        let mut subs = Vec::with_capacity(usize::from(MAX_SUB_AUTHORITIES));
        for p in parts {
            // MS-DTYP 2.4.2: at most 15 sub-authorities.
            if subs.len() == usize::from(MAX_SUB_AUTHORITIES) {
                return Err(bad);
            }
            subs.push(p.parse::<u32>().map_err(|_| bad.clone())?);
        }
        Sid::new(revision, authority, &subs)
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({self})")
    }
}
