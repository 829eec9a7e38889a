//! The RFC 4121 section 4.1.1 authenticator checksum (type 0x8003) and the
//! channel-binding hash of section 4.1.1.2.
//!
//! Layout, all integers little-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | Lgth: length of Bnd, always 16 |
//! | 4..20 | Bnd: MD5 of the channel bindings, or zeros |
//! | 20..24 | Flags: GSS context flags |
//! | 24..26 | DlgOpt: 1 (only when Flags has DELEG) |
//! | 26..28 | Dlgth: length of Deleg |
//! | 28..28+Dlgth | Deleg: a KRB-CRED |
//! | rest | Exts (4.1.1.1), kept raw |

use md5::{Digest, Md5};

use crate::consts::gss_flags;
use crate::der::{DecodeError, DecodeErrorKind};

/// Minimum checksum length: Lgth, Bnd and Flags (RFC 4121 4.1.1).
pub const MIN_LEN: usize = 24;
/// The only Lgth value defined (RFC 4121 4.1.1: "MUST currently be 16").
pub const BND_LEN: u32 = 16;

/// A decoded 0x8003 checksum, borrowing from the authenticator plaintext.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct GssChecksum<'a> {
    /// Bnd: MD5 of the channel bindings, all zero when the initiator used none.
    pub bnd: [u8; 16],
    /// Flags: GSS context flags (see [`crate::consts::gss_flags`]).
    pub flags: u32,
    /// Deleg: the KRB-CRED of delegated credentials, when DELEG and DlgOpt 1.
    pub delegation: Option<&'a [u8]>,
    /// Exts: extension data after the fixed fields, unparsed.
    pub exts: &'a [u8],
}

impl std::fmt::Debug for GssChecksum<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GssChecksum")
            .field("bnd_zero", &(self.bnd == [0u8; 16]))
            .field("flags", &format_args!("0x{:x}", self.flags))
            .field("delegation_len", &self.delegation.map(<[u8]>::len))
            .field("exts_len", &self.exts.len())
            .finish()
    }
}

fn bad(offset: usize, reason: &'static str) -> DecodeError {
    DecodeError::new(
        "0x8003 checksum",
        offset,
        DecodeErrorKind::BadGssChecksum { reason },
    )
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(s.try_into().ok()?))
}

impl<'a> GssChecksum<'a> {
    /// Decodes the checksum field of an Authenticator whose cksumtype is 0x8003.
    ///
    /// # Errors
    /// When shorter than 24 bytes, Lgth is not 16, DlgOpt is not 1, or the
    /// delegation length runs past the end.
    pub fn decode(data: &'a [u8]) -> Result<Self, DecodeError> {
        // RFC 4121 4.1.1: at least Lgth + Bnd + Flags.
        if data.len() < MIN_LEN {
            return Err(bad(0, "shorter than 24 bytes"));
        }
        let lgth = le32(data, 0).ok_or_else(|| bad(0, "shorter than 24 bytes"))?;
        if lgth != BND_LEN {
            return Err(bad(0, "Lgth is not 16"));
        }
        let mut bnd = [0u8; 16];
        bnd.copy_from_slice(data.get(4..20).unwrap_or(&[0u8; 16]));
        let flags = le32(data, 20).ok_or_else(|| bad(20, "shorter than 24 bytes"))?;
        let rest = data.get(MIN_LEN..).unwrap_or_default();

        // RFC 4121 4.1.1: DlgOpt/Dlgth/Deleg are present only with DELEG.
        // MIT ignores DELEG with nothing after Flags; so do we.
        if flags & gss_flags::DELEG == 0 || rest.is_empty() {
            return Ok(Self {
                bnd,
                flags,
                delegation: None,
                exts: rest,
            });
        }
        let dlg_opt = le16(data, 24).ok_or_else(|| bad(24, "DlgOpt truncated"))?;
        if dlg_opt != 1 {
            return Err(bad(24, "DlgOpt is not 1"));
        }
        let dlgth = le16(data, 26).ok_or_else(|| bad(26, "Dlgth truncated"))?;
        let end = 28 + usize::from(dlgth);
        let deleg = data
            .get(28..end)
            .ok_or_else(|| bad(26, "Dlgth runs past the end"))?;
        let exts = data.get(end..).unwrap_or_default();
        Ok(Self {
            bnd,
            flags,
            delegation: Some(deleg),
            exts,
        })
    }

    /// Encodes the checksum (for initiators and tests).
    ///
    /// Delegation data over 65535 bytes cannot be represented and is dropped
    /// together with the DELEG flag.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let deleg = self
            .delegation
            .and_then(|d| u16::try_from(d.len()).ok().map(|n| (d, n)));
        let flags = match deleg {
            Some(_) => self.flags | gss_flags::DELEG,
            None => self.flags & !gss_flags::DELEG,
        };
        let mut out = Vec::with_capacity(MIN_LEN + 4 + self.exts.len());
        out.extend_from_slice(&BND_LEN.to_le_bytes());
        out.extend_from_slice(&self.bnd);
        out.extend_from_slice(&flags.to_le_bytes());
        if let Some((d, n)) = deleg {
            out.extend_from_slice(&1u16.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(d);
        }
        out.extend_from_slice(self.exts);
        out
    }

    /// True when the initiator sent no channel bindings (Bnd all zero).
    #[must_use]
    pub fn bindings_absent(&self) -> bool {
        self.bnd == [0u8; 16]
    }
}

/// Channel bindings (RFC 2744 section 3.11).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelBindings {
    /// initiator_addrtype (GSS_C_AF_*; 0 = unspecified).
    pub initiator_addrtype: u32,
    /// initiator_address.
    pub initiator_address: Vec<u8>,
    /// acceptor_addrtype.
    pub acceptor_addrtype: u32,
    /// acceptor_address.
    pub acceptor_address: Vec<u8>,
    /// application_data, e.g. "tls-server-end-point:" and a certificate hash.
    pub application_data: Vec<u8>,
}

impl ChannelBindings {
    /// Bindings with only application data, as TLS channel bindings are used.
    #[must_use]
    pub fn from_application_data(data: &[u8]) -> Self {
        Self {
            application_data: data.to_vec(),
            ..Self::default()
        }
    }
}

fn len32(b: &[u8]) -> [u8; 4] {
    u32::try_from(b.len()).unwrap_or(u32::MAX).to_le_bytes()
}

/// The Bnd value: MD5 over the bindings as RFC 4121 4.1.1.2 lays them out
/// (each address type and length a little-endian u32).
#[must_use]
pub fn channel_binding_hash(cb: &ChannelBindings) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(cb.initiator_addrtype.to_le_bytes());
    h.update(len32(&cb.initiator_address));
    h.update(&cb.initiator_address);
    h.update(cb.acceptor_addrtype.to_le_bytes());
    h.update(len32(&cb.acceptor_address));
    h.update(&cb.acceptor_address);
    h.update(len32(&cb.application_data));
    h.update(&cb.application_data);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_and_without_delegation() {
        let c = GssChecksum {
            bnd: [7; 16],
            flags: 0x3e,
            delegation: None,
            exts: &[],
        };
        let b = c.to_bytes();
        assert_eq!(b.len(), 24);
        assert_eq!(GssChecksum::decode(&b).unwrap(), c);

        let cred = [0x76, 0x00];
        let c = GssChecksum {
            bnd: [0; 16],
            flags: 0x3f,
            delegation: Some(&cred),
            exts: b"xx",
        };
        let b = c.to_bytes();
        assert_eq!(GssChecksum::decode(&b).unwrap(), c);
        assert!(GssChecksum::decode(&b).unwrap().bindings_absent());
    }

    #[test]
    fn rejects_malformed_checksums() {
        let good = GssChecksum {
            bnd: [0; 16],
            flags: 1,
            delegation: Some(&[1, 2, 3]),
            exts: &[],
        }
        .to_bytes();
        for n in 0..good.len() {
            if n == 24 {
                continue; // DELEG with nothing after Flags is tolerated
            }
            assert!(GssChecksum::decode(&good[..n]).is_err(), "prefix {n}");
        }
        let mut b = good.clone();
        b[0] = 17;
        assert!(GssChecksum::decode(&b).is_err());
        let mut b = good.clone();
        b[24] = 2;
        assert!(GssChecksum::decode(&b).is_err());
        let mut b = good;
        b[26] = 0xff;
        assert!(GssChecksum::decode(&b).is_err());
    }

    #[test]
    fn empty_bindings_hash_is_md5_of_twenty_zero_bytes() {
        // Five zero u32 fields: MD5(00 * 20).
        let h = channel_binding_hash(&ChannelBindings::default());
        let expected: [u8; 16] = Md5::digest([0u8; 20]).into();
        assert_eq!(h, expected);
    }
}
