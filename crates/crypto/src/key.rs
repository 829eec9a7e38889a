//! [`Key`]: a protocol key with its per-usage derived keys cached.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::enctype::{ChecksumType, Enctype, Family};
use crate::error::Error;
use crate::rfc3961::{self, UsageKeys};
use crate::{rfc3962, rfc8009};

/// Most distinct key usages cached per key; further usages are derived per call.
const MAX_CACHED_USAGES: usize = 64;

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
    bytes: Zeroizing<Vec<u8>>,
    usages: RwLock<HashMap<u32, Arc<UsageKeys>>>,
    #[cfg(feature = "rc4")]
    rc4_base: Option<crate::primitives::Mac>,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("enctype", &self.inner.enctype.name())
            .field("len", &self.inner.bytes.len())
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
        Ok(Key {
            inner: Arc::new(Inner {
                enctype,
                bytes: Zeroizing::new(bytes.to_vec()),
                usages: RwLock::new(HashMap::new()),
                #[cfg(feature = "rc4")]
                rc4_base: match enctype.family() {
                    Family::Rc4 => {
                        crate::primitives::Mac::new(crate::primitives::MacKind::HmacMd5, bytes)
                    }
                    _ => None,
                },
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
        &self.inner.bytes
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
        let enctype = self.inner.enctype;
        let expected = enctype.confounder_len();
        if confounder.len() != expected {
            return Err(Error::BadConfounderLength {
                len: confounder.len(),
                expected,
            });
        }
        match enctype.family() {
            Family::AesSha2 => rfc8009::encrypt(
                &*self.usage_keys(usage)?,
                sha2_params(enctype),
                confounder,
                plaintext,
            ),
            #[cfg(feature = "rc4")]
            Family::Rc4 => crate::rfc4757::encrypt(self.rc4_base()?, usage, confounder, plaintext),
            _ => rfc3961::encrypt(
                &*self.usage_keys(usage)?,
                enctype.trailer_len(),
                confounder,
                plaintext,
            ),
        }
    }

    /// Decrypts and checks integrity; returns the plaintext without the confounder.
    ///
    /// # Errors
    /// [`Error::CiphertextTooShort`] below confounder plus tag length;
    /// [`Error::IntegrityCheckFailed`] if the tag does not match (wrong key,
    /// wrong usage, or a modified message).
    pub fn decrypt(&self, usage: u32, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        let enctype = self.inner.enctype;
        // Checked before deriving keys so junk input costs nothing.
        let min = enctype.ciphertext_overhead();
        if ciphertext.len() < min {
            return Err(Error::CiphertextTooShort {
                len: ciphertext.len(),
                min,
            });
        }
        match enctype.family() {
            Family::AesSha2 => {
                rfc8009::decrypt(&*self.usage_keys(usage)?, sha2_params(enctype), ciphertext)
            }
            #[cfg(feature = "rc4")]
            Family::Rc4 => crate::rfc4757::decrypt(self.rc4_base()?, usage, ciphertext),
            _ => rfc3961::decrypt(
                &*self.usage_keys(usage)?,
                enctype.trailer_len(),
                enctype.confounder_len(),
                ciphertext,
            ),
        }
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
            Family::Rc4 => crate::rfc4757::checksum(self.rc4_base()?, usage, data),
            _ => Ok(self
                .usage_keys(usage)?
                .kc
                .compute(&[data])
                .truncated(cksumtype.size())
                .to_vec()),
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
        use subtle::ConstantTimeEq;
        let expected = cksumtype.size();
        if cksum.len() != expected {
            return Err(Error::BadChecksumLength {
                cksumtype,
                len: cksum.len(),
                expected,
            });
        }
        let mut mine = self.checksum_with(cksumtype, usage, data)?;
        let ok = bool::from(mine.as_slice().ct_eq(cksum));
        mine.zeroize();
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
        let base = self.inner.bytes.as_slice();
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

    /// Derived keys for `usage`, from the cache or derived and cached now.
    fn usage_keys(&self, usage: u32) -> Result<Arc<UsageKeys>, Error> {
        let usages = &self.inner.usages;
        if let Some(keys) = usages.read().unwrap_or_else(|e| e.into_inner()).get(&usage) {
            return Ok(Arc::clone(keys));
        }

        let keys = Arc::new(self.derive(usage).ok_or(self.internal_error())?);
        let mut map = usages.write().unwrap_or_else(|e| e.into_inner());
        if map.len() < MAX_CACHED_USAGES {
            map.insert(usage, Arc::clone(&keys));
        }
        Ok(keys)
    }

    fn derive(&self, usage: u32) -> Option<UsageKeys> {
        let base = self.inner.bytes.as_slice();
        let enctype = self.inner.enctype;
        match enctype.family() {
            Family::AesSha1 => rfc3962::usage_keys(base, usage),
            Family::AesSha2 => rfc8009::usage_keys(sha2_params(enctype), base, usage),
            #[cfg(feature = "camellia")]
            Family::Camellia => crate::rfc6803::usage_keys(base, usage),
            #[cfg(feature = "rc4")]
            Family::Rc4 => None,
        }
    }

    #[cfg(feature = "rc4")]
    fn rc4_base(&self) -> Result<&crate::primitives::Mac, Error> {
        self.inner.rc4_base.as_ref().ok_or(self.internal_error())
    }

    /// Unreachable for keys built by [`Key::new`] (lengths are checked there);
    /// reported as a key-length error rather than a panic.
    fn internal_error(&self) -> Error {
        let enctype = self.inner.enctype;
        Error::BadKeyLength {
            enctype,
            len: self.inner.bytes.len(),
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
