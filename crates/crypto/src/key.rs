//! [`Key`]: a protocol key with its per-usage derived keys cached.
//!
//! The cache is built for the acceptor's hot path: usages below
//! [`FAST_USAGES`] (every usage RFC 4120 and RFC 4121 define) have a fixed slot
//! read without locking; Ke+Ki and Kc are derived separately on first use, so
//! a session key that only decrypts one authenticator never derives Kc.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock, RwLock};

#[cfg(feature = "rc4")]
use zeroize::Zeroize;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::enctype::{ChecksumType, Enctype, Family};
use crate::error::Error;
use crate::primitives::{Mac, MacKind};
use crate::rfc3961::{self, EncKeys};
use crate::{rfc3962, rfc8009};

/// Usages `0..FAST_USAGES` get a lock-free slot in every key.
const FAST_USAGES: usize = 32;

/// Most other key usages cached per key; further usages are derived per call.
const MAX_CACHED_USAGES: usize = 64;

/// Longest protocol key of any enctype (AES-256, Camellia-256).
const MAX_KEY_LEN: usize = 32;

/// Largest PBKDF2 iteration count accepted, as in MIT krb5 (2^24); larger
/// values (and 0, which RFC 3962 defines as 2^32) would stall the caller.
const MAX_ITERATIONS: u32 = 1 << 24;

/// A protocol key of one enctype.
///
/// Zeroized when the last clone is dropped; `Debug` shows the enctype and
/// length only. Clones share the cache of derived keys, so a service key is
/// derived once per key usage however many threads use it.
#[derive(Clone)]
pub struct Key {
    inner: Arc<Inner>,
}

struct Inner {
    enctype: Enctype,
    bytes: Zeroizing<[u8; MAX_KEY_LEN]>,
    len: usize,
    /// The base key keyed into its KDF MAC (RFC 8009 HMAC, RFC 6803 CMAC,
    /// RFC 4757 HMAC-MD5), set up once on first derivation.
    base_mac: OnceLock<Box<Mac>>,
    /// Allocated on first use, so a key that is only stored (a context's keys right
    /// after the handshake) costs ~150 bytes, not the 1 KiB of 32 slots.
    fast: OnceLock<Box<[Slot; FAST_USAGES]>>,
    more: RwLock<HashMap<u32, Arc<Slot>>>,
}

/// The derived keys of one usage, each set once on first use.
struct Slot {
    enc: OnceLock<Box<EncKeys>>,
    cksum: OnceLock<Box<Mac>>,
}

impl Slot {
    const fn new() -> Self {
        Self {
            enc: OnceLock::new(),
            cksum: OnceLock::new(),
        }
    }
}

/// A slot borrowed from the fixed array or shared from the map.
enum SlotRef<'a> {
    Fast(&'a Slot),
    Shared(Arc<Slot>),
}

impl Deref for SlotRef<'_> {
    type Target = Slot;

    fn deref(&self) -> &Slot {
        match self {
            Self::Fast(s) => s,
            Self::Shared(s) => s,
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("enctype", &self.inner.enctype.name())
            .field("len", &self.inner.len)
            .finish_non_exhaustive()
    }
}

impl ZeroizeOnDrop for Key {}

impl Key {
    /// Wraps raw key bytes, checked against the enctype's key length.
    ///
    /// # Errors
    /// [`Error::BadKeyLength`] if `bytes` is not [`Enctype::key_len`] long.
    pub fn new(enctype: Enctype, bytes: &[u8]) -> Result<Key, Error> {
        let expected = enctype.key_len();
        if bytes.len() != expected {
            return Err(Error::BadKeyLength {
                enctype,
                len: bytes.len(),
                expected,
            });
        }
        let mut buf = Zeroizing::new([0u8; MAX_KEY_LEN]);
        let Some(dst) = buf.get_mut(..bytes.len()) else {
            return Err(Error::BadKeyLength {
                enctype,
                len: bytes.len(),
                expected,
            });
        };
        dst.copy_from_slice(bytes);
        Ok(Key {
            inner: Arc::new(Inner {
                enctype,
                bytes: buf,
                len: bytes.len(),
                base_mac: OnceLock::new(),
                fast: OnceLock::new(),
                more: RwLock::new(HashMap::new()),
            }),
        })
    }

    /// The key's enctype.
    pub fn enctype(&self) -> Enctype {
        self.inner.enctype
    }

    /// The raw key bytes. Only for writing keytabs and credential caches;
    /// never log them.
    pub fn expose_secret_bytes(&self) -> &[u8] {
        self.inner.bytes.get(..self.inner.len).unwrap_or_default()
    }

    /// String-to-key (RFC 3961 3, with RFC 3962 4, RFC 8009 4, RFC 6803 4,
    /// RFC 4757 2). `params` is the s2kparams string: for AES and Camellia a
    /// 4-byte big-endian iteration count (defaults 4096 for RFC 3962, 32768
    /// for RFC 8009 and RFC 6803); RC4 ignores salt and params.
    ///
    /// # Errors
    /// [`Error::BadStringToKeyParams`] if `params` is not 4 bytes or the count
    /// is 0 or above 2^24; [`Error::BadPassword`] if an RC4 password is not UTF-8.
    pub fn from_password(
        enctype: Enctype,
        password: &[u8],
        salt: &[u8],
        params: Option<&[u8]>,
    ) -> Result<Key, Error> {
        let family = enctype.family();
        #[cfg(feature = "rc4")]
        if family == Family::Rc4 {
            let key =
                crate::rfc4757::string_to_key(password).ok_or(Error::BadPassword { enctype })?;
            return Key::new(enctype, &key);
        }

        let default = match family {
            Family::AesSha1 => rfc3962::DEFAULT_ITERATIONS,
            #[cfg(feature = "camellia")]
            Family::Camellia => crate::rfc6803::DEFAULT_ITERATIONS,
            _ => rfc8009::DEFAULT_ITERATIONS,
        };
        let iter = match params {
            None => default,
            Some(p) => {
                let bad = |iterations| Error::BadStringToKeyParams {
                    enctype,
                    len: p.len(),
                    iterations,
                };
                let arr: [u8; 4] = p.try_into().map_err(|_| bad(None))?;
                let n = u32::from_be_bytes(arr);
                // RFC 3962 4: 0 means 2^32 iterations; refuse it and other huge counts.
                if n == 0 || n > MAX_ITERATIONS {
                    return Err(bad(Some(n)));
                }
                n
            }
        };

        let mut out = Zeroizing::new(vec![0u8; enctype.key_len()]);
        let done = match family {
            Family::AesSha1 => rfc3962::string_to_key(password, salt, iter, &mut out),
            Family::AesSha2 => {
                rfc8009::string_to_key(sha2_params(enctype), password, salt, iter, &mut out)
            }
            #[cfg(feature = "camellia")]
            Family::Camellia => {
                crate::rfc6803::string_to_key(enctype.name(), password, salt, iter, &mut out)
            }
            #[cfg(feature = "rc4")]
            Family::Rc4 => None,
        };
        done.ok_or(Error::BadKeyLength {
            enctype,
            len: out.len(),
            expected: enctype.key_len(),
        })?;
        Key::new(enctype, &out)
    }

    /// Random-to-key (RFC 3961 3): the identity for every enctype here.
    ///
    /// # Errors
    /// [`Error::BadKeyLength`] if `random` is not [`Enctype::key_len`] long.
    pub fn random_to_key(enctype: Enctype, random: &[u8]) -> Result<Key, Error> {
        Key::new(enctype, random)
    }

    /// A fresh random key from the operating system's generator.
    ///
    /// # Errors
    /// [`Error::RandomUnavailable`] if the generator fails.
    pub fn generate(enctype: Enctype) -> Result<Key, Error> {
        let mut bytes = Zeroizing::new(vec![0u8; enctype.key_len()]);
        getrandom::fill(&mut bytes).map_err(|_| Error::RandomUnavailable)?;
        Key::new(enctype, &bytes)
    }

    /// Encrypts `plaintext` for `usage` with a fresh random confounder.
    ///
    /// # Errors
    /// [`Error::RandomUnavailable`] or [`Error::MessageTooLong`].
    pub fn encrypt(&self, usage: u32, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut conf = [0u8; 16];
        let conf = conf
            .get_mut(..self.inner.enctype.confounder_len())
            .unwrap_or_default();
        getrandom::fill(conf).map_err(|_| Error::RandomUnavailable)?;
        self.encrypt_with_confounder(usage, conf, plaintext)
    }

    /// Encrypts with the given confounder; deterministic, for test vectors.
    /// Never reuse a confounder in production: use [`Key::encrypt`].
    ///
    /// # Errors
    /// [`Error::BadConfounderLength`] unless `confounder` is
    /// [`Enctype::confounder_len`] long; [`Error::MessageTooLong`].
    pub fn encrypt_with_confounder(
        &self,
        usage: u32,
        confounder: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.encrypt_impl(usage, confounder, plaintext, true)
    }

    /// Decrypts and checks integrity; returns the plaintext without the confounder.
    ///
    /// # Errors
    /// [`Error::CiphertextTooShort`] below confounder plus tag length;
    /// [`Error::IntegrityCheckFailed`] if the tag does not match (wrong key,
    /// wrong usage, or a modified message).
    pub fn decrypt(&self, usage: u32, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        #[cfg(feature = "rc4")]
        if self.inner.enctype.family() == Family::Rc4 {
            self.check_ciphertext_len(ciphertext)?;
            return crate::rfc4757::decrypt(self.base_mac()?, usage, ciphertext);
        }
        let mut out = Vec::new();
        self.decrypt_into(usage, ciphertext, &mut out)?;
        Ok(out)
    }

    /// Like [`Key::decrypt`], but appends the plaintext to `out`, so a caller
    /// can reuse one buffer. On error `out` keeps its length and holds no
    /// decrypted bytes.
    ///
    /// # Errors
    /// As [`Key::decrypt`].
    pub fn decrypt_into(
        &self,
        usage: u32,
        ciphertext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.decrypt_into_impl(usage, ciphertext, out, true)
    }

    /// As [`Key::decrypt_into`], but derives the usage's keys on the stack and caches
    /// nothing: for a key that decrypts a single message per usage, such as a ticket's
    /// session key and its one authenticator. Saves the cache's allocations and the
    /// key derivation is the same work a first cached call does.
    ///
    /// # Errors
    /// As [`Key::decrypt`].
    pub fn decrypt_into_uncached(
        &self,
        usage: u32,
        ciphertext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.decrypt_into_impl(usage, ciphertext, out, false)
    }

    /// As [`Key::encrypt_with_confounder`], without caching the usage's derived keys
    /// (see [`Key::decrypt_into_uncached`]): for the one AP-REP a session key encrypts.
    ///
    /// # Errors
    /// As [`Key::encrypt_with_confounder`].
    pub fn encrypt_with_confounder_uncached(
        &self,
        usage: u32,
        confounder: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.encrypt_impl(usage, confounder, plaintext, false)
    }

    /// Encryption with the usage's Ke and Ki from the cache (`cached`) or derived
    /// afresh on the stack.
    fn encrypt_impl(
        &self,
        usage: u32,
        confounder: &[u8],
        plaintext: &[u8],
        cached: bool,
    ) -> Result<Vec<u8>, Error> {
        let enctype = self.inner.enctype;
        let expected = enctype.confounder_len();
        if confounder.len() != expected {
            return Err(Error::BadConfounderLength {
                len: confounder.len(),
                expected,
            });
        }
        #[cfg(feature = "rc4")]
        if enctype.family() == Family::Rc4 {
            return crate::rfc4757::encrypt(self.base_mac()?, usage, confounder, plaintext);
        }
        self.with_enc_keys(usage, cached, |keys| match enctype.family() {
            Family::AesSha2 => rfc8009::encrypt(keys, sha2_params(enctype), confounder, plaintext),
            _ => rfc3961::encrypt(keys, enctype.trailer_len(), confounder, plaintext),
        })
    }

    /// Runs `f` with the usage's Ke and Ki, from the cache (`cached`) or derived afresh
    /// on the stack.
    fn with_enc_keys<R>(
        &self,
        usage: u32,
        cached: bool,
        f: impl FnOnce(&EncKeys) -> Result<R, Error>,
    ) -> Result<R, Error> {
        if cached {
            let slot = self.slot(usage);
            f(self.enc_keys(&slot, usage)?)
        } else {
            f(&self.derive_enc_keys(usage)?)
        }
    }

    /// Decryption with the usage's Ke and Ki from the cache (`cached`) or derived
    /// afresh on the stack.
    fn decrypt_into_impl(
        &self,
        usage: u32,
        ciphertext: &[u8],
        out: &mut Vec<u8>,
        cached: bool,
    ) -> Result<(), Error> {
        let enctype = self.inner.enctype;
        // Checked before deriving keys so junk input costs nothing.
        self.check_ciphertext_len(ciphertext)?;
        #[cfg(feature = "rc4")]
        if enctype.family() == Family::Rc4 {
            let mut plain = crate::rfc4757::decrypt(self.base_mac()?, usage, ciphertext)?;
            out.extend_from_slice(&plain);
            plain.zeroize();
            return Ok(());
        }
        self.with_enc_keys(usage, cached, |keys| match enctype.family() {
            Family::AesSha2 => rfc8009::decrypt_into(keys, sha2_params(enctype), ciphertext, out),
            _ => rfc3961::decrypt_into(keys, enctype.trailer_len(), ciphertext, out),
        })
    }

    /// The enctype's mandatory keyed checksum of `data` for `usage`.
    ///
    /// # Errors
    /// As [`Key::checksum_with`].
    pub fn checksum(&self, usage: u32, data: &[u8]) -> Result<Vec<u8>, Error> {
        self.checksum_with(self.inner.enctype.checksum_type(), usage, data)
    }

    /// A keyed checksum of the given type (RFC 3961 5.4: HMAC or CMAC with Kc,
    /// truncated; RFC 4757 hmac-md5 for RC4).
    ///
    /// # Errors
    /// [`Error::ChecksumTypeMismatch`] if the checksum type belongs to another enctype.
    pub fn checksum_with(
        &self,
        cksumtype: ChecksumType,
        usage: u32,
        data: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let enctype = self.inner.enctype;
        if cksumtype.enctype() != enctype {
            return Err(Error::ChecksumTypeMismatch { cksumtype, enctype });
        }
        match enctype.family() {
            #[cfg(feature = "rc4")]
            Family::Rc4 => crate::rfc4757::checksum(self.base_mac()?, usage, data),
            _ => {
                let mut mac = self.checksum_key(&self.slot(usage), usage)?.clone();
                mac.update(data);
                Ok(mac.finalize().truncated(cksumtype.size()).to_vec())
            }
        }
    }

    /// Verifies a keyed checksum in constant time.
    ///
    /// # Errors
    /// [`Error::ChecksumTypeMismatch`], [`Error::BadChecksumLength`], or
    /// [`Error::IntegrityCheckFailed`] if it does not match.
    pub fn verify_checksum(
        &self,
        cksumtype: ChecksumType,
        usage: u32,
        data: &[u8],
        cksum: &[u8],
    ) -> Result<(), Error> {
        let expected = cksumtype.size();
        if cksum.len() != expected {
            return Err(Error::BadChecksumLength {
                cksumtype,
                len: cksum.len(),
                expected,
            });
        }
        let ok = match self.inner.enctype.family() {
            #[cfg(feature = "rc4")]
            Family::Rc4 => {
                use subtle::ConstantTimeEq;
                let mut mine = self.checksum_with(cksumtype, usage, data)?;
                let ok = bool::from(mine.as_slice().ct_eq(cksum));
                mine.zeroize();
                ok
            }
            _ => {
                if cksumtype.enctype() != self.inner.enctype {
                    return Err(Error::ChecksumTypeMismatch {
                        cksumtype,
                        enctype: self.inner.enctype,
                    });
                }
                let mut mac = self.checksum_key(&self.slot(usage), usage)?.clone();
                mac.update(data);
                mac.finalize_verify(cksum)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(Error::IntegrityCheckFailed)
        }
    }

    /// The enctype's pseudo-random function (RFC 3961 3; RFC 3962 6,
    /// RFC 8009 5, RFC 6803 5; HMAC-SHA1 for RC4 as MIT does).
    ///
    /// # Errors
    /// None in practice; the `Result` leaves room for enctypes without a PRF.
    pub fn prf(&self, input: &[u8]) -> Result<Vec<u8>, Error> {
        let enctype = self.inner.enctype;
        let base = self.expose_secret_bytes();
        let out = match enctype.family() {
            Family::AesSha1 => rfc3962::prf(base, input),
            Family::AesSha2 => rfc8009::prf(sha2_params(enctype), base, input),
            #[cfg(feature = "camellia")]
            Family::Camellia => crate::rfc6803::prf(base, input),
            #[cfg(feature = "rc4")]
            Family::Rc4 => crate::rfc4757::prf(base, input),
        };
        out.ok_or(self.internal_error())
    }

    /// RFC 3961 5.3, RFC 8009 5, RFC 4757 4: a ciphertext holds at least a
    /// confounder and a tag.
    fn check_ciphertext_len(&self, ciphertext: &[u8]) -> Result<(), Error> {
        let min = self.inner.enctype.ciphertext_overhead();
        if ciphertext.len() < min {
            return Err(Error::CiphertextTooShort {
                len: ciphertext.len(),
                min,
            });
        }
        Ok(())
    }

    /// The cache slot of `usage`: a fixed one for small usages (no lock), a
    /// shared one from the map for others, or a throwaway one once the map
    /// is full.
    fn slot(&self, usage: u32) -> SlotRef<'_> {
        let fast = usize::try_from(usage)
            .ok()
            .filter(|u| *u < FAST_USAGES)
            .and_then(|u| {
                self.inner
                    .fast
                    .get_or_init(|| Box::new([const { Slot::new() }; FAST_USAGES]))
                    .get(u)
            });
        if let Some(slot) = fast {
            return SlotRef::Fast(slot);
        }

        let more = &self.inner.more;
        if let Some(slot) = more.read().unwrap_or_else(|e| e.into_inner()).get(&usage) {
            return SlotRef::Shared(Arc::clone(slot));
        }
        let mut map = more.write().unwrap_or_else(|e| e.into_inner());
        if map.len() < MAX_CACHED_USAGES {
            let slot = map.entry(usage).or_insert_with(|| Arc::new(Slot::new()));
            return SlotRef::Shared(Arc::clone(slot));
        }
        SlotRef::Shared(Arc::new(Slot::new()))
    }

    /// Ke and Ki of `usage`, derived into `slot` on first use.
    fn enc_keys<'s>(&self, slot: &'s Slot, usage: u32) -> Result<&'s EncKeys, Error> {
        if let Some(keys) = slot.enc.get() {
            return Ok(keys);
        }
        let keys = Box::new(self.derive_enc_keys(usage)?);
        // A racing thread may have set it first; either value is the same key.
        let _ = slot.enc.set(keys);
        slot.enc.get().map(|k| &**k).ok_or(self.internal_error())
    }

    /// Ke and Ki of `usage`, derived afresh (RFC 3961 5.3, RFC 8009 5, RFC 6803 3).
    fn derive_enc_keys(&self, usage: u32) -> Result<EncKeys, Error> {
        let base = self.expose_secret_bytes();
        let enctype = self.inner.enctype;
        let keys = match enctype.family() {
            Family::AesSha1 => rfc3962::BaseCipher::new(base).and_then(|c| c.enc_keys(usage)),
            Family::AesSha2 => rfc8009::enc_keys(sha2_params(enctype), self.base_mac()?, usage),
            #[cfg(feature = "camellia")]
            Family::Camellia => crate::rfc6803::enc_keys(self.base_mac()?, base.len(), usage),
            #[cfg(feature = "rc4")]
            Family::Rc4 => None,
        };
        keys.ok_or(self.internal_error())
    }

    /// Kc of `usage`, derived into `slot` on first use.
    fn checksum_key<'s>(&self, slot: &'s Slot, usage: u32) -> Result<&'s Mac, Error> {
        if let Some(kc) = slot.cksum.get() {
            return Ok(kc);
        }
        let base = self.expose_secret_bytes();
        let enctype = self.inner.enctype;
        let kc = match enctype.family() {
            Family::AesSha1 => rfc3962::BaseCipher::new(base).and_then(|c| c.checksum_key(usage)),
            Family::AesSha2 => rfc8009::checksum_key(sha2_params(enctype), self.base_mac()?, usage),
            #[cfg(feature = "camellia")]
            Family::Camellia => crate::rfc6803::checksum_key(self.base_mac()?, base.len(), usage),
            #[cfg(feature = "rc4")]
            Family::Rc4 => None,
        };
        let kc = Box::new(kc.ok_or(self.internal_error())?);
        let _ = slot.cksum.set(kc);
        slot.cksum.get().map(|k| &**k).ok_or(self.internal_error())
    }

    /// The base key keyed into its family's KDF MAC, set up on first use.
    fn base_mac(&self) -> Result<&Mac, Error> {
        if let Some(mac) = self.inner.base_mac.get() {
            return Ok(mac);
        }
        let enctype = self.inner.enctype;
        let kind = match enctype.family() {
            Family::AesSha2 => sha2_params(enctype).mac,
            #[cfg(feature = "camellia")]
            Family::Camellia => MacKind::Cmac,
            #[cfg(feature = "rc4")]
            Family::Rc4 => MacKind::HmacMd5,
            Family::AesSha1 => MacKind::HmacSha1,
        };
        let mac = Mac::new(kind, self.expose_secret_bytes()).ok_or(self.internal_error())?;
        let _ = self.inner.base_mac.set(Box::new(mac));
        self.inner
            .base_mac
            .get()
            .map(|m| &**m)
            .ok_or(self.internal_error())
    }

    /// Unreachable for keys built by [`Key::new`] (lengths are checked there);
    /// reported as a key-length error rather than a panic.
    fn internal_error(&self) -> Error {
        let enctype = self.inner.enctype;
        Error::BadKeyLength {
            enctype,
            len: self.inner.len,
            expected: enctype.key_len(),
        }
    }
}

pub(crate) fn sha2_params(enctype: Enctype) -> rfc8009::Params {
    match enctype {
        Enctype::Aes256CtsHmacSha384192 => rfc8009::AES256,
        _ => rfc8009::AES128,
    }
}
