//! One keytab entry and its raw key bytes.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};
use crate::Principal;

/// Raw key bytes of any enctype number, including ones kerbgate-crypto
/// refuses (DES, 3DES, unknown). Zeroized on drop; `Debug` shows the enctype
/// and length only; equality is constant-time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KeyBytes {
    #[zeroize(skip)]
    enctype: i32,
    bytes: Vec<u8>,
}

impl KeyBytes {
    /// Wraps raw key bytes of enctype `enctype` (no length check: any enctype goes).
    pub fn new(enctype: i32, bytes: &[u8]) -> Self {
        KeyBytes {
            enctype,
            bytes: bytes.to_vec(),
        }
    }

    /// The enctype number as stored in the keytab.
    pub fn enctype(&self) -> i32 {
        self.enctype
    }

    /// The key length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the key is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The secret key bytes; an explicit opt-in for writing keytabs or showing keys.
    pub fn expose_secret_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Converts to a usable [`kerbgate_crypto::Key`].
    ///
    /// # Errors
    /// [`Error::Crypto`] when kerbgate-crypto refuses the enctype (unknown,
    /// deprecated DES/3DES, feature off) or the key length is wrong for it.
    pub fn to_key(&self) -> Result<kerbgate_crypto::Key> {
        let crypto_err = |source| Error::Crypto {
            enctype: self.enctype,
            source,
        };
        let enctype = kerbgate_crypto::Enctype::from_i32(self.enctype).map_err(crypto_err)?;
        kerbgate_crypto::Key::new(enctype, &self.bytes).map_err(crypto_err)
    }
}

impl From<&kerbgate_crypto::Key> for KeyBytes {
    fn from(key: &kerbgate_crypto::Key) -> Self {
        KeyBytes::new(key.enctype().to_i32(), key.expose_secret_bytes())
    }
}

impl fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyBytes")
            .field("enctype", &self.enctype)
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl PartialEq for KeyBytes {
    fn eq(&self, other: &Self) -> bool {
        self.enctype == other.enctype && bool::from(self.bytes.ct_eq(&other.bytes))
    }
}

impl Eq for KeyBytes {}

/// One keytab entry: a principal's key of one enctype and version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeytabEntry {
    principal: Principal,
    timestamp: u32,
    kvno: u32,
    key: KeyBytes,
}

impl KeytabEntry {
    /// Builds an entry; `timestamp` is seconds since the Unix epoch (unsigned,
    /// as MIT reads it, so it lasts until 2106).
    pub fn new(principal: Principal, kvno: u32, timestamp: u32, key: KeyBytes) -> Self {
        KeytabEntry {
            principal,
            timestamp,
            kvno,
            key,
        }
    }

    /// Builds an entry holding a kerbgate-crypto key.
    pub fn from_key(
        principal: Principal,
        kvno: u32,
        timestamp: u32,
        key: &kerbgate_crypto::Key,
    ) -> Self {
        Self::new(principal, kvno, timestamp, KeyBytes::from(key))
    }

    /// The principal.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// When the entry was written, seconds since the Unix epoch.
    pub fn timestamp(&self) -> u32 {
        self.timestamp
    }

    /// The key version number (the 32-bit one when the file has it).
    pub fn kvno(&self) -> u32 {
        self.kvno
    }

    /// The enctype number.
    pub fn enctype(&self) -> i32 {
        self.key.enctype()
    }

    /// The raw key.
    pub fn key_bytes(&self) -> &KeyBytes {
        &self.key
    }

    /// The key as a [`kerbgate_crypto::Key`].
    ///
    /// # Errors
    /// [`Error::Crypto`] when kerbgate-crypto refuses the enctype or key length.
    pub fn key(&self) -> Result<kerbgate_crypto::Key> {
        self.key.to_key()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_key_bytes() {
        let k = KeyBytes::new(18, &[0xAB; 32]);
        let shown = format!("{k:?}");
        assert!(shown.contains("18") && shown.contains("32"), "{shown}");
        assert!(
            !shown.to_lowercase().contains("ab, ") && !shown.contains("171"),
            "{shown}"
        );
    }

    #[test]
    fn key_equality_covers_enctype_and_bytes() {
        assert_eq!(KeyBytes::new(17, &[1; 16]), KeyBytes::new(17, &[1; 16]));
        assert_ne!(KeyBytes::new(17, &[1; 16]), KeyBytes::new(25, &[1; 16]));
        assert_ne!(KeyBytes::new(17, &[1; 16]), KeyBytes::new(17, &[2; 16]));
        assert_ne!(KeyBytes::new(17, &[1; 16]), KeyBytes::new(17, &[1; 15]));
    }
}
