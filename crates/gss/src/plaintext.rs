//! Decrypted message bytes, cleared when dropped.
//!
//! `Zeroizing<Vec<u8>>` clears a vector one volatile byte write at a time (the
//! `zeroize` crate's `Vec` impl is generic over the element), which for a ticket and
//! an authenticator is about 700 writes per login. A byte slice it clears with one
//! `memset` behind an optimisation barrier; this type does that for the whole
//! allocation, spare capacity included.

use std::ops::{Deref, DerefMut};

use zeroize::Zeroize;

/// A byte buffer holding decrypted data (session keys, authenticators), cleared with
/// one bulk write when dropped.
#[derive(Default)]
pub(crate) struct Plaintext(Vec<u8>);

impl Plaintext {
    /// An empty buffer that can take `capacity` bytes without reallocating.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Plaintext(Vec::with_capacity(capacity))
    }
}

impl From<Vec<u8>> for Plaintext {
    fn from(bytes: Vec<u8>) -> Self {
        Plaintext(bytes)
    }
}

impl Deref for Plaintext {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl DerefMut for Plaintext {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl Drop for Plaintext {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
        self.0.spare_capacity_mut().zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derefs_to_its_bytes() {
        let mut p = Plaintext::with_capacity(8);
        p.extend_from_slice(b"secret");
        assert_eq!(p.as_slice(), b"secret");
        assert!(p.capacity() >= 8);
        let q = Plaintext::from(vec![1, 2, 3]);
        assert_eq!(q.len(), 3);
    }
}
