//! The authenticator checksum of a GSS AP-REQ (RFC 4121 4.1.1, type 0x8003)
//! and the channel-binding hash (RFC 4121 4.1.1.2, RFC 2744 3.11).

use md5::{Digest, Md5};

/// Channel bindings as an initiator passes them to `gss_init_sec_context`
/// (RFC 2744 3.11). Address types are GSS address families (e.g. 0 for
/// GSS_C_AF_UNSPEC, 2 for GSS_C_AF_INET); most applications leave addresses
/// empty and put e.g. `tls-server-end-point:` data in `application_data`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelBindings {
    /// initiator_addrtype.
    pub initiator_addrtype: u32,
    /// initiator_address.
    pub initiator_address: Vec<u8>,
    /// acceptor_addrtype.
    pub acceptor_addrtype: u32,
    /// acceptor_address.
    pub acceptor_address: Vec<u8>,
    /// application_data.
    pub application_data: Vec<u8>,
}

impl ChannelBindings {
    /// Bindings with only application data (the common TLS case).
    #[must_use]
    pub fn application(data: &[u8]) -> Self {
        Self {
            application_data: data.to_vec(),
            ..Self::default()
        }
    }

    /// The MD5 hash RFC 4121 4.1.1.2 puts in the Bnd field: over each
    /// address type and the length of each value as 4-octet little-endian
    /// integers, followed by the value octets.
    #[must_use]
    pub fn md5(&self) -> [u8; 16] {
        let mut h = Md5::new();
        let put_value = |h: &mut Md5, value: &[u8]| {
            h.update(u32::try_from(value.len()).unwrap_or(u32::MAX).to_le_bytes());
            h.update(value);
        };
        h.update(self.initiator_addrtype.to_le_bytes());
        put_value(&mut h, &self.initiator_address);
        h.update(self.acceptor_addrtype.to_le_bytes());
        put_value(&mut h, &self.acceptor_address);
        put_value(&mut h, &self.application_data);
        h.finalize().into()
    }
}

/// What goes into the Bnd field.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bindings {
    /// No channel bindings: sixteen zero octets.
    None,
    /// The hash of these bindings.
    Channel(ChannelBindings),
    /// These sixteen octets as they are (including all-zero).
    Hash([u8; 16]),
}

impl Bindings {
    /// The 16 Bnd octets.
    #[must_use]
    pub fn hash(&self) -> [u8; 16] {
        match self {
            Self::None => [0; 16],
            Self::Channel(cb) => cb.md5(),
            Self::Hash(h) => *h,
        }
    }
}

/// The RFC 4121 4.1.1 checksum field contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GssChecksum {
    /// The Lgth field; 16 unless a test wants it wrong.
    pub bnd_length: u32,
    /// The channel-binding hash.
    pub bindings: Bindings,
    /// GSS flags (masks from [`crate::consts::gss_flags`]).
    pub flags: u32,
    /// Delegation: the DlgOpt value (1 per the RFC) and the KRB-CRED DER.
    /// Include [`crate::consts::gss_flags::DELEG`] in `flags` too.
    pub delegation: Option<(u16, Vec<u8>)>,
    /// Extension bytes appended after everything else (RFC 4121 4.1.1: Exts).
    pub extensions: Vec<u8>,
}

impl Default for GssChecksum {
    /// Mutual, replay, sequence, confidentiality and integrity, no bindings.
    fn default() -> Self {
        use crate::consts::gss_flags::{CONF, INTEG, MUTUAL, REPLAY, SEQUENCE};
        Self {
            bnd_length: 16,
            bindings: Bindings::None,
            flags: MUTUAL | REPLAY | SEQUENCE | CONF | INTEG,
            delegation: None,
            extensions: Vec::new(),
        }
    }
}

impl GssChecksum {
    /// Checksum with these flags and no bindings.
    #[must_use]
    pub fn with_flags(flags: u32) -> Self {
        Self {
            flags,
            ..Self::default()
        }
    }

    /// The checksum octets (RFC 4121 4.1.1 table): Lgth, Bnd, Flags, then
    /// DlgOpt, Dlgth and Deleg when delegating, then Exts.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.extensions.len());
        out.extend_from_slice(&self.bnd_length.to_le_bytes());
        out.extend_from_slice(&self.bindings.hash());
        out.extend_from_slice(&self.flags.to_le_bytes());
        if let Some((dlg_opt, cred)) = &self.delegation {
            out.extend_from_slice(&dlg_opt.to_le_bytes());
            out.extend_from_slice(&u16::try_from(cred.len()).unwrap_or(u16::MAX).to_le_bytes());
            out.extend_from_slice(cred);
        }
        out.extend_from_slice(&self.extensions);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_bindings_hash_covers_five_zero_words() {
        let expected: [u8; 16] = Md5::digest([0u8; 20]).into();
        assert_eq!(ChannelBindings::default().md5(), expected);
        assert_ne!(
            Bindings::Channel(ChannelBindings::default()).hash(),
            [0; 16]
        );
        assert_eq!(Bindings::None.hash(), [0; 16]);
    }

    #[test]
    fn checksum_layout_matches_rfc4121() {
        let mut c = GssChecksum::with_flags(0x3e);
        c.delegation = Some((1, vec![0xaa; 3]));
        c.extensions = vec![9, 9];
        let b = c.to_bytes();
        assert_eq!(b.len(), 4 + 16 + 4 + 2 + 2 + 3 + 2);
        assert_eq!(&b[..4], &[16, 0, 0, 0]);
        assert_eq!(&b[20..24], &[0x3e, 0, 0, 0]);
        assert_eq!(&b[24..28], &[1, 0, 3, 0]);
        assert_eq!(&b[28..], &[0xaa, 0xaa, 0xaa, 9, 9]);
    }
}
