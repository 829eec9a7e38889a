//! Types shared by the Kerberos messages (RFC 4120 5.2): PrincipalName,
//! EncryptedData, EncryptionKey, Checksum, HostAddress, TransitedEncoding,
//! KerberosFlags, and the SEQUENCE OF walker.

use std::fmt;
use std::marker::PhantomData;

use kerbgate_keytab::Principal;

use crate::der::{DecodeError, DecodeErrorKind, Reader, Writer};

/// Most name components accepted in one PrincipalName.
pub const MAX_NAME_COMPONENTS: usize = 64;
/// Most addresses accepted in one HostAddresses.
pub const MAX_ADDRESSES: usize = 256;

/// A DER element type that can be read from a [`Reader`].
pub trait Element<'a>: Sized {
    /// Reads one element.
    ///
    /// # Errors
    /// When the element is malformed.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError>;
}

impl<'a> Element<'a> for &'a str {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        r.read_kerberos_string("KerberosString")
    }
}

impl<'a> Element<'a> for i32 {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        r.read_i32("Int32")
    }
}

/// A validated SEQUENCE OF, decoded again lazily on iteration.
///
/// Every element was checked when the SEQUENCE OF was read, so iteration
/// cannot fail; the element count is capped.
pub struct SeqOf<'a, T> {
    inner: Reader<'a>,
    len: usize,
    _elem: PhantomData<fn() -> T>,
}

impl<T> Clone for SeqOf<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for SeqOf<'_, T> {}

impl<'a, T: Element<'a>> SeqOf<'a, T> {
    /// Reads a SEQUENCE OF with at most `limit` elements, checking each.
    ///
    /// # Errors
    /// When an element is malformed or there are more than `limit`.
    pub fn decode(
        r: &mut Reader<'a>,
        field: &'static str,
        limit: usize,
    ) -> Result<Self, DecodeError> {
        let inner = r.read_sequence(field)?;
        let mut walk = inner;
        let mut len = 0usize;
        while !walk.is_empty() {
            if len >= limit {
                return Err(walk.error(DecodeErrorKind::TooMany { field, limit }));
            }
            T::decode(&mut walk)?;
            len += 1;
        }
        Ok(Self {
            inner,
            len,
            _elem: PhantomData,
        })
    }

    /// A SEQUENCE OF whose `len` elements in `inner` the caller has already
    /// checked with `T::decode`.
    pub(crate) fn validated(inner: Reader<'a>, len: usize) -> Self {
        Self {
            inner,
            len,
            _elem: PhantomData,
        }
    }

    /// Number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The contents octets of the SEQUENCE OF (its elements' encodings).
    pub(crate) fn contents(&self) -> &'a [u8] {
        self.inner.remaining()
    }

    /// True when there are no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Iterates over the elements.
    #[must_use]
    pub fn iter(&self) -> SeqOfIter<'a, T> {
        SeqOfIter {
            r: self.inner,
            _elem: PhantomData,
        }
    }
}

impl<'a, T: Element<'a> + fmt::Debug> fmt::Debug for SeqOf<'a, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T: Element<'a> + PartialEq> PartialEq for SeqOf<'a, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

/// Iterator over a [`SeqOf`].
pub struct SeqOfIter<'a, T> {
    r: Reader<'a>,
    _elem: PhantomData<fn() -> T>,
}

impl<'a, T> SeqOfIter<'a, T> {
    /// Iterates over the contents of a SEQUENCE OF already checked with
    /// `T::decode` (an element that fails ends the iteration).
    pub(crate) fn over_validated(r: Reader<'a>) -> Self {
        Self {
            r,
            _elem: PhantomData,
        }
    }
}

impl<'a, T: Element<'a>> Iterator for SeqOfIter<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.r.is_empty() {
            return None;
        }
        // Validated in SeqOf::decode; an error here cannot happen, but if it
        // did, ending the iteration is the safe outcome.
        T::decode(&mut self.r).ok()
    }
}

impl<'a, T: Element<'a>> IntoIterator for &SeqOf<'a, T> {
    type Item = T;
    type IntoIter = SeqOfIter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// KerberosFlags (RFC 4120 5.2.8): TicketFlags, APOptions, KDCOptions.
///
/// Bit 0 is the most significant bit of the `u32`, as in MIT's constants.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct KerberosFlags(pub u32);

impl KerberosFlags {
    /// Whether bit `n` (0..=31, RFC numbering) is set.
    #[must_use]
    pub fn bit(self, n: u8) -> bool {
        n < 32 && self.0 & (0x8000_0000 >> n) != 0
    }

    /// These flags with bit `n` set.
    #[must_use]
    pub fn with(self, n: u8) -> Self {
        if n < 32 {
            Self(self.0 | (0x8000_0000 >> n))
        } else {
            self
        }
    }
}

impl fmt::Debug for KerberosFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KerberosFlags(0x{:08x})", self.0)
    }
}

/// Components kept decoded in a [`PrincipalName`] from DER, so the common short names
/// are not decoded (and UTF-8 checked) again on every iteration.
const INLINE_COMPONENTS: usize = 3;

#[derive(Clone, Copy)]
enum Parts<'a> {
    Der {
        seq: SeqOf<'a, &'a str>,
        /// The first components, all of them when there are at most
        /// [`INLINE_COMPONENTS`].
        inline: [&'a str; INLINE_COMPONENTS],
    },
    Strings(&'a [String]),
    Strs(&'a [&'a str]),
}

/// PrincipalName (RFC 4120 5.2.2), borrowing its components.
#[derive(Clone, Copy)]
pub struct PrincipalName<'a> {
    /// name-type (a hint; see [`crate::consts::name_type`]).
    pub name_type: i32,
    parts: Parts<'a>,
}

impl<'a> PrincipalName<'a> {
    /// A name over borrowed components, for encoding.
    #[must_use]
    pub fn from_strs(name_type: i32, components: &'a [&'a str]) -> Self {
        Self {
            name_type,
            parts: Parts::Strs(components),
        }
    }

    /// The name part of a keytab principal, for encoding.
    #[must_use]
    pub fn from_principal(p: &'a Principal) -> Self {
        Self {
            name_type: p.name_type(),
            parts: Parts::Strings(p.components()),
        }
    }

    /// Number of components.
    #[must_use]
    pub fn len(&self) -> usize {
        match self.parts {
            Parts::Der { seq, .. } => seq.len(),
            Parts::Strings(s) => s.len(),
            Parts::Strs(s) => s.len(),
        }
    }

    /// True when there are no components.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name components, in order.
    #[must_use]
    pub fn components(&self) -> Components<'a> {
        match self.parts {
            Parts::Der { seq, inline } if seq.len() <= INLINE_COMPONENTS => {
                Components::Inline(inline.into_iter().take(seq.len()))
            }
            Parts::Der { seq, .. } => Components::Der(seq.iter()),
            Parts::Strings(s) => Components::Strings(s.iter()),
            Parts::Strs(s) => Components::Strs(s.iter()),
        }
    }

    /// Whether both names have the same components; the name type is ignored,
    /// as [`Principal`]'s `==` does. Two names decoded from identical DER
    /// compare without decoding their strings again.
    #[must_use]
    pub fn same_components(&self, other: &PrincipalName<'_>) -> bool {
        if let (Parts::Der { seq: a, .. }, Parts::Der { seq: b, .. }) = (self.parts, other.parts) {
            if a.contents() == b.contents() {
                return true;
            }
        }
        self.components().eq(other.components())
    }

    /// This name with `realm` as a keytab [`Principal`].
    #[must_use]
    pub fn to_principal(&self, realm: &str) -> Principal {
        Principal::new(
            self.name_type,
            self.components().map(str::to_owned).collect(),
            realm,
        )
    }

    pub(crate) fn encode(&self, w: &mut Writer) {
        w.sequence(|w| {
            w.explicit(0, |w| w.integer(i64::from(self.name_type)));
            w.explicit(1, |w| {
                w.sequence(|w| self.components().for_each(|c| w.kerberos_string(c)))
            });
        });
    }
}

impl<'a> Element<'a> for PrincipalName<'a> {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        // RFC 4120 5.2.2: name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString.
        let mut s = r.read_sequence("PrincipalName")?;
        let name_type = s.explicit(0, "name-type", |r| r.read_i32("name-type"))?;
        let (seq, inline) = s.explicit(1, "name-string", |r| {
            let inner = r.read_sequence("name-string")?;
            let mut walk = inner;
            let mut inline = [""; INLINE_COMPONENTS];
            let mut len = 0usize;
            while !walk.is_empty() {
                if len >= MAX_NAME_COMPONENTS {
                    return Err(walk.error(DecodeErrorKind::TooMany {
                        field: "name-string",
                        limit: MAX_NAME_COMPONENTS,
                    }));
                }
                let part = walk.read_kerberos_string("KerberosString")?;
                if let Some(slot) = inline.get_mut(len) {
                    *slot = part;
                }
                len += 1;
            }
            Ok((SeqOf::validated(inner, len), inline))
        })?;
        s.skip_extensions(1, "PrincipalName")?;
        Ok(Self {
            name_type,
            parts: Parts::Der { seq, inline },
        })
    }
}

impl PartialEq for PrincipalName<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.name_type == other.name_type && self.components().eq(other.components())
    }
}

impl Eq for PrincipalName<'_> {}

impl fmt::Debug for PrincipalName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrincipalName")
            .field("name_type", &self.name_type)
            .field("components", &self.components().collect::<Vec<_>>())
            .finish()
    }
}

/// Iterator over [`PrincipalName`] components.
pub enum Components<'a> {
    /// From DER.
    #[doc(hidden)]
    Der(SeqOfIter<'a, &'a str>),
    /// From a keytab principal.
    #[doc(hidden)]
    Strings(std::slice::Iter<'a, String>),
    /// From borrowed strings.
    #[doc(hidden)]
    Strs(std::slice::Iter<'a, &'a str>),
    /// From DER, the components decoded already.
    #[doc(hidden)]
    Inline(std::iter::Take<std::array::IntoIter<&'a str, INLINE_COMPONENTS>>),
}

impl<'a> Iterator for Components<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match self {
            Self::Der(i) => i.next(),
            Self::Strings(i) => i.next().map(String::as_str),
            Self::Strs(i) => i.next().copied(),
            Self::Inline(i) => i.next(),
        }
    }
}

/// EncryptedData (RFC 4120 5.2.9). Debug shows the cipher length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EncryptedData<'a> {
    /// etype: the encryption type number.
    pub etype: i32,
    /// kvno: key version, present when encrypted in a long-term key.
    pub kvno: Option<u32>,
    /// cipher: the ciphertext.
    pub cipher: &'a [u8],
}

impl<'a> Element<'a> for EncryptedData<'a> {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let mut s = r.read_sequence("EncryptedData")?;
        let etype = s.explicit(0, "etype", |r| r.read_i32("etype"))?;
        let kvno = s.optional(1, "kvno", |r| r.read_u32("kvno"))?;
        let cipher = s.explicit(2, "cipher", |r| r.read_octet_string("cipher"))?;
        s.skip_extensions(2, "EncryptedData")?;
        Ok(Self {
            etype,
            kvno,
            cipher,
        })
    }
}

impl EncryptedData<'_> {
    pub(crate) fn encode(&self, w: &mut Writer) {
        w.sequence(|w| {
            w.explicit(0, |w| w.integer(i64::from(self.etype)));
            if let Some(kvno) = self.kvno {
                w.explicit(1, |w| w.integer(i64::from(kvno)));
            }
            w.explicit(2, |w| w.octet_string(self.cipher));
        });
    }
}

impl fmt::Debug for EncryptedData<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedData")
            .field("etype", &self.etype)
            .field("kvno", &self.kvno)
            .field("cipher_len", &self.cipher.len())
            .finish()
    }
}

/// EncryptionKey (RFC 4120 5.2.9), borrowing the key bytes from decrypted
/// plaintext. Debug shows the key type and length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EncryptionKey<'a> {
    /// keytype: the enctype number.
    pub keytype: i32,
    /// keyvalue: the raw key. Secret.
    pub keyvalue: &'a [u8],
}

impl<'a> Element<'a> for EncryptionKey<'a> {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let mut s = r.read_sequence("EncryptionKey")?;
        let keytype = s.explicit(0, "keytype", |r| r.read_i32("keytype"))?;
        let keyvalue = s.explicit(1, "keyvalue", |r| r.read_octet_string("keyvalue"))?;
        s.skip_extensions(1, "EncryptionKey")?;
        Ok(Self { keytype, keyvalue })
    }
}

impl EncryptionKey<'_> {
    pub(crate) fn encode(&self, w: &mut Writer) {
        w.sequence(|w| {
            w.explicit(0, |w| w.integer(i64::from(self.keytype)));
            w.explicit(1, |w| w.octet_string(self.keyvalue));
        });
    }
}

impl fmt::Debug for EncryptionKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("keytype", &self.keytype)
            .field("len", &self.keyvalue.len())
            .finish()
    }
}

/// Checksum (RFC 4120 5.2.9). Debug shows the length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Checksum<'a> {
    /// cksumtype (0x8003 for the GSS authenticator checksum).
    pub cksumtype: i32,
    /// checksum: the checksum bytes.
    pub checksum: &'a [u8],
}

impl<'a> Element<'a> for Checksum<'a> {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let mut s = r.read_sequence("Checksum")?;
        let cksumtype = s.explicit(0, "cksumtype", |r| r.read_i32("cksumtype"))?;
        let checksum = s.explicit(1, "checksum", |r| r.read_octet_string("checksum"))?;
        s.skip_extensions(1, "Checksum")?;
        Ok(Self {
            cksumtype,
            checksum,
        })
    }
}

impl fmt::Debug for Checksum<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checksum")
            .field("cksumtype", &self.cksumtype)
            .field("len", &self.checksum.len())
            .finish()
    }
}

/// HostAddress (RFC 4120 5.2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostAddress<'a> {
    /// addr-type (see [`crate::consts::addr_type`]).
    pub addr_type: i32,
    /// address: the raw address bytes.
    pub address: &'a [u8],
}

impl<'a> Element<'a> for HostAddress<'a> {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let mut s = r.read_sequence("HostAddress")?;
        let addr_type = s.explicit(0, "addr-type", |r| r.read_i32("addr-type"))?;
        let address = s.explicit(1, "address", |r| r.read_octet_string("address"))?;
        s.skip_extensions(1, "HostAddress")?;
        Ok(Self { addr_type, address })
    }
}

/// HostAddresses (RFC 4120 5.2.5), at most [`MAX_ADDRESSES`].
pub type HostAddresses<'a> = SeqOf<'a, HostAddress<'a>>;

/// Reads HostAddresses.
pub(crate) fn decode_addresses<'a>(r: &mut Reader<'a>) -> Result<HostAddresses<'a>, DecodeError> {
    SeqOf::decode(r, "HostAddresses", MAX_ADDRESSES)
}

/// TransitedEncoding (RFC 4120 5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransitedEncoding<'a> {
    /// tr-type (1 = DOMAIN-X500-COMPRESS).
    pub tr_type: i32,
    /// contents: the encoded realm list.
    pub contents: &'a [u8],
}

impl<'a> Element<'a> for TransitedEncoding<'a> {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let mut s = r.read_sequence("TransitedEncoding")?;
        let tr_type = s.explicit(0, "tr-type", |r| r.read_i32("tr-type"))?;
        let contents = s.explicit(1, "contents", |r| r.read_octet_string("contents"))?;
        s.skip_extensions(1, "TransitedEncoding")?;
        Ok(Self { tr_type, contents })
    }
}

/// Reads an `[APPLICATION n] SEQUENCE` that must fill `data` exactly, and
/// runs `f` on the SEQUENCE contents.
pub(crate) fn decode_top<'a, T>(
    data: &'a [u8],
    context: &'static str,
    app: u8,
    f: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let mut r = Reader::new(data, context);
    let value = decode_app(&mut r, context, app, f)?;
    r.finish(context)?;
    Ok(value)
}

/// Reads an `[APPLICATION n] SEQUENCE` from `r`.
pub(crate) fn decode_app<'a, T>(
    r: &mut Reader<'a>,
    field: &'static str,
    app: u8,
    f: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let mut outer = r.read_constructed(crate::der::application(app), field)?;
    let mut seq = outer.read_sequence(field)?;
    let value = f(&mut seq)?;
    outer.finish(field)?;
    Ok(value)
}
