//! Keyed primitives held by a [`crate::Key`]: block ciphers with their key
//! schedules expanded once, and MACs with their keyed state computed once.

use aes::{Aes128, Aes256};
use hmac::{Hmac, KeyInit};
use sha1::Sha1;
use sha2::{Sha256, Sha384};

use crate::cts;

/// Longest tag any MAC here produces (HMAC-SHA384).
const MAX_TAG: usize = 48;

/// A MAC output held on the stack; its useful length depends on the MAC.
#[derive(Clone)]
pub(crate) struct Tag {
    buf: [u8; MAX_TAG],
    len: usize,
}

impl Tag {
    fn from_slice(bytes: &[u8]) -> Self {
        let mut buf = [0u8; MAX_TAG];
        let len = bytes.len().min(MAX_TAG);
        for (d, s) in buf.iter_mut().zip(bytes) {
            *d = *s;
        }
        Self { buf, len }
    }

    /// The first `n` bytes (all of it if shorter).
    pub(crate) fn truncated(&self, n: usize) -> &[u8] {
        self.buf.get(..n.min(self.len)).unwrap_or_default()
    }

    /// The whole tag.
    pub(crate) fn as_slice(&self) -> &[u8] {
        self.truncated(self.len)
    }
}

impl Drop for Tag {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(self.buf.as_mut_slice());
    }
}

/// A block cipher with its expanded key schedule (both directions). Boxed:
/// with its software fallback an AES schedule is about 1 KiB, too big to
/// move around.
pub(crate) enum Cipher {
    Aes128(Box<Aes128>),
    Aes256(Box<Aes256>),
    #[cfg(feature = "camellia")]
    Camellia128(Box<camellia::Camellia128>),
    #[cfg(feature = "camellia")]
    Camellia256(Box<camellia::Camellia256>),
}

/// Which block cipher a key length belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CipherKind {
    Aes,
    #[cfg(feature = "camellia")]
    Camellia,
}

impl Cipher {
    /// Expands `key` (16 or 32 bytes); `None` for other lengths.
    pub(crate) fn new(kind: CipherKind, key: &[u8]) -> Option<Self> {
        match (kind, key.len()) {
            (CipherKind::Aes, 16) => {
                Some(Self::Aes128(Box::new(Aes128::new(key.try_into().ok()?))))
            }
            (CipherKind::Aes, 32) => {
                Some(Self::Aes256(Box::new(Aes256::new(key.try_into().ok()?))))
            }
            #[cfg(feature = "camellia")]
            (CipherKind::Camellia, 16) => Some(Self::Camellia128(Box::new(
                camellia::Camellia128::new(key.try_into().ok()?),
            ))),
            #[cfg(feature = "camellia")]
            (CipherKind::Camellia, 32) => Some(Self::Camellia256(Box::new(
                camellia::Camellia256::new(key.try_into().ok()?),
            ))),
            _ => None,
        }
    }

    /// CBC-CTS encryption in place with a zero IV; `false` if under one block.
    pub(crate) fn encrypt_cts(&self, buf: &mut [u8]) -> bool {
        match self {
            Self::Aes128(c) => cts::encrypt(c.as_ref(), buf),
            Self::Aes256(c) => cts::encrypt(c.as_ref(), buf),
            #[cfg(feature = "camellia")]
            Self::Camellia128(c) => cts::encrypt(c.as_ref(), buf),
            #[cfg(feature = "camellia")]
            Self::Camellia256(c) => cts::encrypt(c.as_ref(), buf),
        }
    }

    /// CBC-CTS decryption with a zero IV of `input` (at least one block): the
    /// first plaintext block goes to `first`, the rest is appended to `out`.
    /// `false` (with `out` untouched) if `input` is under one block.
    pub(crate) fn decrypt_cts(
        &self,
        input: &[u8],
        first: &mut cts::Block,
        out: &mut Vec<u8>,
    ) -> bool {
        match self {
            Self::Aes128(c) => cts::decrypt(c.as_ref(), input, first, out),
            Self::Aes256(c) => cts::decrypt(c.as_ref(), input, first, out),
            #[cfg(feature = "camellia")]
            Self::Camellia128(c) => cts::decrypt(c.as_ref(), input, first, out),
            #[cfg(feature = "camellia")]
            Self::Camellia256(c) => cts::decrypt(c.as_ref(), input, first, out),
        }
    }
}

/// A keyed MAC state, held inline. Keying processes the key once; each
/// message starts from a clone, fed with [`Mac::update`].
#[derive(Clone)]
pub(crate) enum Mac {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    #[cfg(feature = "rc4")]
    Md5(Hmac<md5::Md5>),
    #[cfg(feature = "camellia")]
    Cmac128(cmac::Cmac<camellia::Camellia128>),
    #[cfg(feature = "camellia")]
    Cmac256(cmac::Cmac<camellia::Camellia256>),
}

/// Which MAC to key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MacKind {
    HmacSha1,
    HmacSha256,
    HmacSha384,
    #[cfg(feature = "rc4")]
    HmacMd5,
    #[cfg(feature = "camellia")]
    Cmac,
}

impl Mac {
    /// Keys the MAC; `None` if the key length does not fit (CMAC only).
    pub(crate) fn new(kind: MacKind, key: &[u8]) -> Option<Self> {
        match kind {
            MacKind::HmacSha1 => Hmac::new_from_slice(key).ok().map(Self::Sha1),
            MacKind::HmacSha256 => Hmac::new_from_slice(key).ok().map(Self::Sha256),
            MacKind::HmacSha384 => Hmac::new_from_slice(key).ok().map(Self::Sha384),
            #[cfg(feature = "rc4")]
            MacKind::HmacMd5 => Hmac::new_from_slice(key).ok().map(Self::Md5),
            #[cfg(feature = "camellia")]
            MacKind::Cmac => match key.len() {
                16 => cmac::Cmac::new_from_slice(key).ok().map(Self::Cmac128),
                32 => cmac::Cmac::new_from_slice(key).ok().map(Self::Cmac256),
                _ => None,
            },
        }
    }

    /// Feeds `data` into this (cloned) state.
    pub(crate) fn update(&mut self, data: &[u8]) {
        use hmac::Mac as _;
        match self {
            Self::Sha1(m) => m.update(data),
            Self::Sha256(m) => m.update(data),
            Self::Sha384(m) => m.update(data),
            #[cfg(feature = "rc4")]
            Self::Md5(m) => m.update(data),
            #[cfg(feature = "camellia")]
            Self::Cmac128(m) => m.update(data),
            #[cfg(feature = "camellia")]
            Self::Cmac256(m) => m.update(data),
        }
    }

    /// The tag over everything fed in.
    pub(crate) fn finalize(self) -> Tag {
        use hmac::Mac as _;
        match self {
            Self::Sha1(m) => Tag::from_slice(&m.finalize().into_bytes()),
            Self::Sha256(m) => Tag::from_slice(&m.finalize().into_bytes()),
            Self::Sha384(m) => Tag::from_slice(&m.finalize().into_bytes()),
            #[cfg(feature = "rc4")]
            Self::Md5(m) => Tag::from_slice(&m.finalize().into_bytes()),
            #[cfg(feature = "camellia")]
            Self::Cmac128(m) => Tag::from_slice(&m.finalize().into_bytes()),
            #[cfg(feature = "camellia")]
            Self::Cmac256(m) => Tag::from_slice(&m.finalize().into_bytes()),
        }
    }

    /// Constant-time check that the tag over everything fed in, truncated to
    /// `tag.len()`, equals `tag` (which must not be empty).
    pub(crate) fn finalize_verify(self, tag: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        let computed = self.finalize();
        let mine = computed.truncated(tag.len());
        !tag.is_empty() && mine.len() == tag.len() && bool::from(mine.ct_eq(tag))
    }

    /// MAC over the concatenation of `parts`.
    pub(crate) fn compute(&self, parts: &[&[u8]]) -> Tag {
        let mut m = self.clone();
        for p in parts {
            m.update(p);
        }
        m.finalize()
    }

    /// Constant-time check that the MAC of `parts`, truncated to `tag.len()`,
    /// equals `tag`.
    #[cfg(feature = "rc4")]
    pub(crate) fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        let mut m = self.clone();
        for p in parts {
            m.update(p);
        }
        m.finalize_verify(tag)
    }
}

/// One-shot keyed MAC, for key derivation where nothing is cached.
#[cfg(any(feature = "rc4", feature = "camellia"))]
pub(crate) fn mac_once(kind: MacKind, key: &[u8], parts: &[&[u8]]) -> Option<Tag> {
    Mac::new(kind, key).map(|m| m.compute(parts))
}
