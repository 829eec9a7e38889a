//! AES enctypes with HMAC-SHA1-96 (RFC 3962): DK/DR key derivation over AES,
//! PBKDF2-HMAC-SHA1 string-to-key and the AES PRF.

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes::{Aes128Enc, Aes256Enc};
use sha1::{Digest, Sha1};
use zeroize::{Zeroize, Zeroizing};

use crate::cts::Block;
use crate::nfold::nfold;
use crate::primitives::{Cipher, CipherKind, Mac, MacKind};
use crate::rfc3961::EncKeys;

/// RFC 3962 4: the default iteration count.
pub(crate) const DEFAULT_ITERATIONS: u32 = 4096;

/// The base key's AES encryption schedule, the only direction DK needs.
pub(crate) enum BaseCipher {
    Aes128(Aes128Enc),
    Aes256(Aes256Enc),
}

impl BaseCipher {
    /// Expands a 16- or 32-byte AES key; `None` for other lengths.
    pub(crate) fn new(base: &[u8]) -> Option<Self> {
        match base.len() {
            16 => Aes128Enc::new_from_slice(base).ok().map(Self::Aes128),
            32 => Aes256Enc::new_from_slice(base).ok().map(Self::Aes256),
            _ => None,
        }
    }

    fn encrypt_block(&self, block: &mut Block) {
        match self {
            Self::Aes128(c) => c.encrypt_block(block),
            Self::Aes256(c) => c.encrypt_block(block),
        }
    }

    /// DR(Key, Constant) (RFC 3961 5.1): encrypt the n-folded constant, then
    /// each output block again, until `out` is full. AES random-to-key is the
    /// identity, so this is also DK.
    pub(crate) fn dk_folded(&self, folded: &[u8; 16], out: &mut [u8]) {
        let mut block = Block::from(*folded);
        for chunk in out.chunks_mut(16) {
            // A one-block CBC encryption with a zero IV is the bare block cipher.
            self.encrypt_block(&mut block);
            for (o, b) in chunk.iter_mut().zip(block.iter()) {
                *o = *b;
            }
        }
        block.0.as_mut_slice().zeroize();
    }

    /// Ke and Ki for one usage (RFC 3961 5.3 with RFC 3962 3).
    pub(crate) fn enc_keys(&self, usage: u32) -> Option<EncKeys> {
        let [_, ke_c, ki_c] = crate::nfold::usage_constants(usage);
        let mut buf = Zeroizing::new([0u8; 32]);
        let k = buf.get_mut(..self.key_len())?;

        self.dk_folded(&ke_c, k);
        let ke = Cipher::new(CipherKind::Aes, k)?;
        self.dk_folded(&ki_c, k);
        let ki = Mac::new(MacKind::HmacSha1, k)?;
        Some(EncKeys { ke, ki })
    }

    /// Kc for one usage (RFC 3961 5.3 with RFC 3962 3).
    pub(crate) fn checksum_key(&self, usage: u32) -> Option<Mac> {
        let [kc_c, _, _] = crate::nfold::usage_constants(usage);
        let mut buf = Zeroizing::new([0u8; 32]);
        let k = buf.get_mut(..self.key_len())?;
        self.dk_folded(&kc_c, k);
        Mac::new(MacKind::HmacSha1, k)
    }

    fn key_len(&self) -> usize {
        match self {
            Self::Aes128(_) => 16,
            Self::Aes256(_) => 32,
        }
    }
}

/// DK(Key, Constant) for an arbitrary constant, n-folded to the block size.
pub(crate) fn dk(base: &[u8], constant: &[u8], out: &mut [u8]) -> Option<()> {
    let mut folded = [0u8; 16];
    nfold(constant, &mut folded);
    BaseCipher::new(base)?.dk_folded(&folded, out);
    Some(())
}

/// String-to-key (RFC 3962 4): tkey = PBKDF2-HMAC-SHA1(password, salt, iter),
/// key = DK(tkey, "kerberos").
pub(crate) fn string_to_key(password: &[u8], salt: &[u8], iter: u32, out: &mut [u8]) -> Option<()> {
    let mut tkey = Zeroizing::new([0u8; 32]);
    let t = tkey.get_mut(..out.len())?;
    pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iter, t);
    dk(t, b"kerberos", out)
}

/// PRF (RFC 3962 6): E(DK(key, "prf"), SHA-1(input) truncated to one block).
pub(crate) fn prf(base: &[u8], input: &[u8]) -> Option<Vec<u8>> {
    let mut dkey = Zeroizing::new([0u8; 32]);
    let d = dkey.get_mut(..base.len())?;
    dk(base, b"prf", d)?;

    let digest = Sha1::digest(input);
    let mut block = [0u8; 16];
    block.copy_from_slice(digest.get(..16)?);
    Cipher::new(CipherKind::Aes, d)?
        .encrypt_cts(&mut block)
        .then_some(())?;
    Some(block.to_vec())
}
