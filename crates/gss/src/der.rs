//! In-place DER reader and a small DER writer for Kerberos messages.
//!
//! The reader walks a borrowed `&[u8]` without copying (X.690 section 8 and 10,
//! as profiled by RFC 4120 section 5). It accepts definite lengths only, caps
//! nesting depth, rejects trailing data and reports every failure as a
//! [`DecodeError`] naming the message, the byte offset and what was expected.
//!
//! Tolerances, each matching what MIT krb5 accepts from real peers:
//!
//! - Long-form lengths that are not minimal (`81 05`) are accepted; MIT's and
//!   Heimdal's decoders do not check minimality. Lengths over 4 bytes are not.
//! - INTEGERs with redundant leading `00`/`ff` octets are accepted (MIT
//!   decodes them); empty INTEGERs and values over 8 octets are not.
//! - A field typed `UInt32` (seq-number, nonce, kvno) may arrive as a negative
//!   Int32: MIT encodes these as signed, so `-1` is read as `0xffff_ffff`.
//! - KerberosFlags BIT STRINGs shorter than 32 bits are zero-extended, longer
//!   ones keep their first 32 bits (RFC 4120 5.2.8 asks for 32 or more).
//! - MIT models every SEQUENCE as extensible: context-tagged elements after
//!   the last known field are skipped ([`Reader::skip_extensions`]).
//! - KerberosString (GeneralString) content may be any UTF-8, including bytes
//!   0x80-0xA0 as parts of multi-byte sequences (RFC 4120 5.2.1 "should" be
//!   IA5; MIT and Windows send UTF-8). Bytes that are not UTF-8 are refused.

use std::fmt;

use crate::consts::{GssMajor, KrbErrorCode};

/// Deepest nesting of constructed elements the reader follows.
pub const MAX_DEPTH: u8 = 64;

/// Universal tag: INTEGER.
pub const TAG_INTEGER: u8 = 0x02;
/// Universal tag: BIT STRING.
pub const TAG_BIT_STRING: u8 = 0x03;
/// Universal tag: OCTET STRING.
pub const TAG_OCTET_STRING: u8 = 0x04;
/// Universal tag: OBJECT IDENTIFIER.
pub const TAG_OID: u8 = 0x06;
/// Universal tag: GeneralizedTime.
pub const TAG_GENERALIZED_TIME: u8 = 0x18;
/// Universal tag: GeneralString (KerberosString, Realm).
pub const TAG_GENERAL_STRING: u8 = 0x1b;
/// Universal tag: SEQUENCE / SEQUENCE OF (constructed).
pub const TAG_SEQUENCE: u8 = 0x30;

/// The tag byte of an explicit context tag `[n]` (constructed).
#[must_use]
pub const fn context(n: u8) -> u8 {
    0xa0 | (n & 0x1f)
}

/// The tag byte of `[APPLICATION n]` (constructed).
#[must_use]
pub const fn application(n: u8) -> u8 {
    0x60 | (n & 0x1f)
}

/// One identifier octet, displayed in ASN.1 notation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tag(pub u8);

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0 & 0x1f;
        match self.0 {
            TAG_INTEGER => f.write_str("INTEGER"),
            TAG_BIT_STRING => f.write_str("BIT STRING"),
            TAG_OCTET_STRING => f.write_str("OCTET STRING"),
            TAG_OID => f.write_str("OBJECT IDENTIFIER"),
            TAG_GENERALIZED_TIME => f.write_str("GeneralizedTime"),
            TAG_GENERAL_STRING => f.write_str("GeneralString"),
            TAG_SEQUENCE => f.write_str("SEQUENCE"),
            0x60..=0x7e => write!(f, "[APPLICATION {n}]"),
            0xa0..=0xbe => write!(f, "[{n}]"),
            other => write!(f, "tag 0x{other:02x}"),
        }
    }
}

/// What went wrong while decoding; always wrapped in a [`DecodeError`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// An element was expected but the enclosing element ended.
    Missing {
        /// ASN.1 field name.
        field: &'static str,
        /// Expected tag.
        expected: Tag,
    },
    /// A different element than the one expected was found.
    UnexpectedTag {
        /// ASN.1 field name.
        field: &'static str,
        /// Expected tag.
        expected: Tag,
        /// Tag found.
        found: Tag,
    },
    /// The header or contents run past the end of the enclosing element.
    Truncated {
        /// ASN.1 field name.
        field: &'static str,
        /// Bytes the element claims.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// BER indefinite length (0x80), not allowed in DER.
    IndefiniteLength {
        /// ASN.1 field name.
        field: &'static str,
    },
    /// A long-form length of more than 4 octets.
    LengthTooLong {
        /// ASN.1 field name.
        field: &'static str,
        /// Number of length octets.
        octets: u8,
    },
    /// A multi-byte (high tag number) identifier, never used by Kerberos.
    HighTagNumber {
        /// ASN.1 field name.
        field: &'static str,
    },
    /// Nesting deeper than [`MAX_DEPTH`] or a per-structure limit.
    TooDeep {
        /// The limit.
        limit: u8,
    },
    /// Bytes after the last element.
    TrailingData {
        /// ASN.1 field name of the element that should have ended.
        field: &'static str,
        /// Number of extra bytes.
        len: usize,
    },
    /// An INTEGER that is empty or longer than 8 octets.
    BadInteger {
        /// ASN.1 field name.
        field: &'static str,
    },
    /// An INTEGER outside the range of its ASN.1 type.
    IntegerOutOfRange {
        /// ASN.1 field name.
        field: &'static str,
        /// The value.
        value: i64,
    },
    /// A field with a fixed value (pvno, msg-type) holds another.
    BadValue {
        /// ASN.1 field name.
        field: &'static str,
        /// Expected value.
        expected: i64,
        /// Value found.
        found: i64,
    },
    /// A malformed BIT STRING.
    BadBitString {
        /// ASN.1 field name.
        field: &'static str,
    },
    /// A KerberosString that is not UTF-8.
    NotUtf8 {
        /// ASN.1 field name.
        field: &'static str,
    },
    /// A KerberosTime that is not a valid `YYYYMMDDHHMMSSZ`.
    BadTime {
        /// ASN.1 field name.
        field: &'static str,
    },
    /// More elements than the cap for this SEQUENCE OF.
    TooMany {
        /// ASN.1 field name.
        field: &'static str,
        /// The cap.
        limit: usize,
    },
    /// A malformed OBJECT IDENTIFIER.
    BadOid,
    /// A mechanism OID that is neither Kerberos V5 nor SPNEGO.
    UnknownMech {
        /// The OID in dotted form.
        oid: String,
    },
    /// A token ID that is not valid here (RFC 4121 4.1).
    BadTokenId {
        /// The two TOK_ID bytes.
        found: [u8; 2],
    },
    /// A malformed RFC 4121 0x8003 authenticator checksum.
    BadGssChecksum {
        /// What is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { field, expected } => {
                write!(f, "expected {expected} ({field}), found end of element")
            }
            Self::UnexpectedTag {
                field,
                expected,
                found,
            } => {
                write!(f, "expected {expected} ({field}), found {found}")
            }
            Self::Truncated {
                field,
                needed,
                available,
            } => {
                write!(
                    f,
                    "{field} truncated: needs {needed} bytes, {available} left"
                )
            }
            Self::IndefiniteLength { field } => {
                write!(f, "{field} uses an indefinite length, not allowed in DER")
            }
            Self::LengthTooLong { field, octets } => {
                write!(f, "{field} has a {octets}-octet length, at most 4 allowed")
            }
            Self::HighTagNumber { field } => write!(f, "{field} has a multi-byte tag"),
            Self::TooDeep { limit } => write!(f, "nesting deeper than {limit}"),
            Self::TrailingData { field, len } => write!(f, "{len} bytes after the end of {field}"),
            Self::BadInteger { field } => write!(f, "{field} is an empty or over-long INTEGER"),
            Self::IntegerOutOfRange { field, value } => {
                write!(f, "{field} value {value} out of range")
            }
            Self::BadValue {
                field,
                expected,
                found,
            } => {
                write!(f, "{field} is {found}, expected {expected}")
            }
            Self::BadBitString { field } => write!(f, "{field} is a malformed BIT STRING"),
            Self::NotUtf8 { field } => write!(f, "{field} is not UTF-8"),
            Self::BadTime { field } => write!(f, "{field} is not a valid YYYYMMDDHHMMSSZ time"),
            Self::TooMany { field, limit } => write!(f, "{field} has more than {limit} elements"),
            Self::BadOid => f.write_str("malformed OBJECT IDENTIFIER"),
            Self::UnknownMech { oid } => {
                write!(
                    f,
                    "mechanism {oid} is not Kerberos V5 or SPNEGO (GSS_S_BAD_MECH)"
                )
            }
            Self::BadTokenId { found } => {
                write!(
                    f,
                    "token ID {:02x} {:02x} not valid here",
                    found[0], found[1]
                )
            }
            Self::BadGssChecksum { reason } => write!(f, "0x8003 checksum: {reason}"),
        }
    }
}

/// A decoding failure: which message, where, and what was expected.
///
/// Holds no token bytes, only tags, lengths, small integers and field names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    context: &'static str,
    offset: usize,
    kind: DecodeErrorKind,
}

impl DecodeError {
    /// Builds an error.
    #[must_use]
    pub fn new(context: &'static str, offset: usize, kind: DecodeErrorKind) -> Self {
        Self {
            context,
            offset,
            kind,
        }
    }

    /// The message being decoded, e.g. "AP-REQ" or "Authenticator".
    #[must_use]
    pub fn context(&self) -> &'static str {
        self.context
    }

    /// Byte offset of the offending element within the decoded buffer.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.kind
    }

    /// The GSS major status this maps to.
    #[must_use]
    pub fn gss_major(&self) -> GssMajor {
        match self.kind {
            DecodeErrorKind::UnknownMech { .. } => GssMajor::BadMech,
            _ => GssMajor::DefectiveToken,
        }
    }

    /// The Kerberos error code this maps to (RFC 4120 7.5.9).
    #[must_use]
    pub fn krb_error_code(&self) -> KrbErrorCode {
        match self.kind {
            DecodeErrorKind::BadValue {
                field: "pvno" | "tkt-vno",
                ..
            } => KrbErrorCode::KRB_AP_ERR_BADVERSION,
            DecodeErrorKind::BadValue {
                field: "msg-type", ..
            } => KrbErrorCode::KRB_AP_ERR_MSG_TYPE,
            _ => KrbErrorCode::KRB_ERR_GENERIC,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let major = self.gss_major();
        write!(
            f,
            "defective token ({}): {} at offset {}: {}",
            major.name(),
            self.context,
            self.offset,
            self.kind
        )
    }
}

impl std::error::Error for DecodeError {}

/// One decoded tag-length-value element, borrowing from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents octets.
    pub value: &'a [u8],
    /// The whole element: identifier, length and contents.
    pub raw: &'a [u8],
    /// Offset of the identifier octet in the outermost buffer.
    pub offset: usize,
    /// Offset of the first contents octet in the outermost buffer.
    pub value_offset: usize,
}

/// A cursor over DER input that never copies and never panics.
///
/// It keeps the unread bytes and their absolute offset, so advancing is one
/// slice split; error values are only built once something is wrong.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
    offset: usize,
    depth: u8,
    context: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over a whole buffer; `context` names the message in errors.
    #[must_use]
    pub fn new(data: &'a [u8], context: &'static str) -> Self {
        Self {
            rest: data,
            offset: 0,
            depth: 0,
            context,
        }
    }

    /// Absolute offset of the next unread byte.
    #[must_use]
    #[inline]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The message name used in errors.
    #[must_use]
    pub fn context_name(&self) -> &'static str {
        self.context
    }

    /// True when every byte has been read.
    #[must_use]
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The unread bytes.
    #[must_use]
    #[inline]
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }

    /// The identifier octet of the next element, if any.
    #[must_use]
    #[inline]
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// An error at the current offset.
    #[must_use]
    #[cold]
    pub fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(self.context, self.offset, kind)
    }

    #[cold]
    fn error_at(&self, offset: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(self.context, offset, kind)
    }

    /// Reads the next element whatever its tag.
    ///
    /// # Errors
    /// On truncation, indefinite or over-long lengths, and high tag numbers.
    #[inline]
    pub fn read_tlv(&mut self, field: &'static str) -> Result<Tlv<'a>, DecodeError> {
        // Fast path, nearly every Kerberos element: a one-octet identifier
        // (X.690 8.1.2.2) and a short-form length (8.1.3.4) that fits the input.
        // Next most common: one or two long-form length octets (8.1.3.5).
        let (tag, header, len) = match *self.rest {
            [tag, first, ..] if first < 0x80 => (tag, 2, usize::from(first)),
            [tag, 0x81, l0, ..] => (tag, 3, usize::from(l0)),
            [tag, 0x82, l0, l1, ..] => (tag, 4, usize::from(u16::from_be_bytes([l0, l1]))),
            _ => return self.read_tlv_long(field),
        };
        if tag & 0x1f == 0x1f {
            return self.read_tlv_long(field);
        }
        let Some((raw, rest)) = self.rest.split_at_checked(header + len) else {
            return self.read_tlv_long(field);
        };
        let offset = self.offset;
        self.rest = rest;
        self.offset = offset + raw.len();
        Ok(Tlv {
            tag,
            value: raw.get(header..).unwrap_or_default(),
            raw,
            offset,
            value_offset: offset + header,
        })
    }

    /// [`Reader::read_tlv`] for long-form lengths and every error.
    #[inline(never)]
    fn read_tlv_long(&mut self, field: &'static str) -> Result<Tlv<'a>, DecodeError> {
        let offset = self.offset;
        let rest = self.rest;
        let trunc = |needed: usize| DecodeErrorKind::Truncated {
            field,
            needed,
            available: rest.len(),
        };
        let Some((&tag, after_tag)) = rest.split_first() else {
            return Err(self.error_at(offset, trunc(1)));
        };
        if tag & 0x1f == 0x1f {
            return Err(self.error_at(offset, DecodeErrorKind::HighTagNumber { field }));
        }
        let Some((&first, after_len0)) = after_tag.split_first() else {
            return Err(self.error_at(offset, trunc(2)));
        };

        // X.690 8.1.3: short form, or long form with 1..=4 length octets
        // (DER 10.1 asks for minimal form; MIT does not check, neither do we).
        let (len, contents) = if first < 0x80 {
            (usize::from(first), after_len0)
        } else if first == 0x80 {
            return Err(self.error_at(offset, DecodeErrorKind::IndefiniteLength { field }));
        } else {
            let octets = first & 0x7f;
            if octets > 4 {
                return Err(self.error_at(offset, DecodeErrorKind::LengthTooLong { field, octets }));
            }
            let Some((len_bytes, contents)) = after_len0.split_at_checked(usize::from(octets))
            else {
                return Err(self.error_at(offset, trunc(2 + usize::from(octets))));
            };
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, contents)
        };
        let header = rest.len() - contents.len();
        let Some(value) = contents.get(..len) else {
            return Err(self.error_at(
                offset,
                DecodeErrorKind::Truncated {
                    field,
                    needed: len,
                    available: contents.len(),
                },
            ));
        };
        let total = header + len;
        let (raw, after) = rest.split_at_checked(total).unwrap_or((rest, &[]));
        self.rest = after;
        self.offset = offset + total;
        Ok(Tlv {
            tag,
            value,
            raw,
            offset,
            value_offset: offset + header,
        })
    }

    /// Reads the next element and checks its tag.
    ///
    /// # Errors
    /// When the input ends, the tag differs, or the element is malformed.
    #[inline]
    pub fn expect(&mut self, tag: u8, field: &'static str) -> Result<Tlv<'a>, DecodeError> {
        match self.rest.first() {
            Some(&found) if found == tag => self.read_tlv(field),
            found => Err(self.tag_error(tag, found.copied(), field)),
        }
    }

    #[cold]
    #[inline(never)]
    fn tag_error(&self, tag: u8, found: Option<u8>, field: &'static str) -> DecodeError {
        match found {
            None => self.error(DecodeErrorKind::Missing {
                field,
                expected: Tag(tag),
            }),
            Some(found) => self.error(DecodeErrorKind::UnexpectedTag {
                field,
                expected: Tag(tag),
                found: Tag(found),
            }),
        }
    }

    /// A reader over the contents of `tlv`, one level deeper.
    ///
    /// # Errors
    /// When nesting exceeds [`MAX_DEPTH`].
    #[inline]
    pub fn enter(&self, tlv: &Tlv<'a>) -> Result<Reader<'a>, DecodeError> {
        self.enter_bytes(tlv.value, tlv.value_offset)
    }

    /// A reader over `data` (found at absolute `offset`), one level deeper;
    /// used for DER nested in OCTET STRINGs such as AD-IF-RELEVANT.
    ///
    /// # Errors
    /// When nesting exceeds [`MAX_DEPTH`].
    #[inline]
    pub fn enter_bytes(&self, data: &'a [u8], offset: usize) -> Result<Reader<'a>, DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_at(offset, DecodeErrorKind::TooDeep { limit: MAX_DEPTH }));
        }
        Ok(Reader {
            rest: data,
            offset,
            depth: self.depth + 1,
            context: self.context,
        })
    }

    /// Reads a constructed element with the given tag and returns a reader
    /// over its contents.
    ///
    /// # Errors
    /// As [`Reader::expect`] and [`Reader::enter`].
    #[inline]
    pub fn read_constructed(
        &mut self,
        tag: u8,
        field: &'static str,
    ) -> Result<Reader<'a>, DecodeError> {
        let tlv = self.expect(tag, field)?;
        self.enter(&tlv)
    }

    /// Reads a SEQUENCE and returns a reader over its contents.
    ///
    /// # Errors
    /// As [`Reader::read_constructed`].
    #[inline]
    pub fn read_sequence(&mut self, field: &'static str) -> Result<Reader<'a>, DecodeError> {
        self.read_constructed(TAG_SEQUENCE, field)
    }

    /// Reads the explicit tag `[n]`, runs `f` on its contents and checks that
    /// `f` consumed them all.
    ///
    /// # Errors
    /// When the tag is missing or differs, or from `f`.
    #[inline]
    pub fn explicit<T>(
        &mut self,
        n: u8,
        field: &'static str,
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let mut inner = self.read_constructed(context(n), field)?;
        let value = f(&mut inner)?;
        inner.finish(field)?;
        Ok(value)
    }

    /// As [`Reader::explicit`] for an OPTIONAL field: `None` when the next
    /// element is not `[n]`.
    ///
    /// # Errors
    /// From `f` or a malformed element.
    #[inline]
    pub fn optional<T>(
        &mut self,
        n: u8,
        field: &'static str,
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        if self.peek_tag() == Some(context(n)) {
            self.explicit(n, field, f).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Checks that nothing is left.
    ///
    /// # Errors
    /// [`DecodeErrorKind::TrailingData`] when bytes remain.
    #[inline]
    pub fn finish(&self, field: &'static str) -> Result<(), DecodeError> {
        let len = self.rest.len();
        if len == 0 {
            Ok(())
        } else {
            Err(self.error(DecodeErrorKind::TrailingData { field, len }))
        }
    }

    /// Skips trailing SEQUENCE extension elements, then checks the end.
    ///
    /// MIT treats every Kerberos SEQUENCE as extensible; we accept elements
    /// tagged `[n]` with `n` above `last_known` and ascending, and nothing else.
    ///
    /// # Errors
    /// On any other element or malformed extension.
    #[inline]
    pub fn skip_extensions(
        &mut self,
        last_known: u8,
        field: &'static str,
    ) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            return Ok(());
        }
        self.skip_extensions_slow(last_known, field)
    }

    #[inline(never)]
    fn skip_extensions_slow(
        &mut self,
        last_known: u8,
        field: &'static str,
    ) -> Result<(), DecodeError> {
        let mut last = last_known;
        while let Some(tag) = self.peek_tag() {
            let n = tag & 0x1f;
            if tag & 0xe0 != 0xa0 || n <= last || n == 0x1f {
                let expected = Tag(context(last.saturating_add(1)));
                return Err(self.error(DecodeErrorKind::UnexpectedTag {
                    field,
                    expected,
                    found: Tag(tag),
                }));
            }
            self.read_tlv(field)?;
            last = n;
        }
        Ok(())
    }

    /// Reads an INTEGER of at most 8 octets as `i64`.
    ///
    /// # Errors
    /// On a wrong tag, an empty or over-long INTEGER.
    pub fn read_i64(&mut self, field: &'static str) -> Result<i64, DecodeError> {
        // Most Kerberos INTEGERs (pvno, msg-type, name-type, etype) are one octet.
        if let [TAG_INTEGER, 1, b, ..] = *self.rest {
            if let Some(rest) = self.rest.get(3..) {
                self.rest = rest;
                self.offset += 3;
                return Ok(i64::from(i8::from_be_bytes([b])));
            }
        }
        let tlv = self.expect(TAG_INTEGER, field)?;
        // Most Kerberos INTEGERs (pvno, msg-type, name-type, etype) are one octet.
        if let [b] = *tlv.value {
            return Ok(i64::from(i8::from_be_bytes([b])));
        }
        let bad = || self.error_at(tlv.offset, DecodeErrorKind::BadInteger { field });

        // X.690 8.3: two's complement, big-endian. Redundant sign octets are
        // tolerated (see module docs) as long as the value fits in 64 bits.
        let mut bytes = tlv.value;
        let Some(&first) = bytes.first() else {
            return Err(bad());
        };
        let pad = if first & 0x80 != 0 { 0xff } else { 0x00 };
        while bytes.len() > 8 {
            match bytes.split_first() {
                Some((&b, rest)) if b == pad => bytes = rest,
                _ => return Err(bad()),
            }
        }
        let init: i64 = if first & 0x80 != 0 { -1 } else { 0 };
        Ok(bytes.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
    }

    fn in_range<T: TryFrom<i64>>(
        &mut self,
        field: &'static str,
        value: i64,
        offset: usize,
    ) -> Result<T, DecodeError> {
        T::try_from(value)
            .map_err(|_| self.error_at(offset, DecodeErrorKind::IntegerOutOfRange { field, value }))
    }

    /// Reads an `Int32` (RFC 4120 5.2.4).
    ///
    /// # Errors
    /// On a malformed INTEGER or one outside `i32`.
    pub fn read_i32(&mut self, field: &'static str) -> Result<i32, DecodeError> {
        let offset = self.offset();
        let v = self.read_i64(field)?;
        self.in_range(field, v, offset)
    }

    /// Reads a `UInt32` (RFC 4120 5.2.4), also accepting negative Int32
    /// values reinterpreted as two's complement, as MIT sends them.
    ///
    /// # Errors
    /// On a malformed INTEGER or one outside both `u32` and `i32`.
    pub fn read_u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let offset = self.offset();
        let v = self.read_i64(field)?;
        if let Ok(u) = u32::try_from(v) {
            return Ok(u);
        }
        let signed: i32 = self.in_range(field, v, offset)?;
        Ok(u32::from_ne_bytes(signed.to_ne_bytes()))
    }

    /// Reads `Microseconds ::= INTEGER (0..999999)` (RFC 4120 5.2.4).
    ///
    /// # Errors
    /// On a malformed INTEGER or a value outside the range.
    pub fn read_microseconds(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let offset = self.offset();
        let v = self.read_i64(field)?;
        if !(0..=999_999).contains(&v) {
            return Err(self.error_at(
                offset,
                DecodeErrorKind::IntegerOutOfRange { field, value: v },
            ));
        }
        self.in_range(field, v, offset)
    }

    /// Reads an INTEGER that must equal `expected` (pvno, msg-type).
    ///
    /// # Errors
    /// [`DecodeErrorKind::BadValue`] on a different value.
    pub fn read_fixed(&mut self, field: &'static str, expected: i64) -> Result<(), DecodeError> {
        let offset = self.offset();
        let found = self.read_i64(field)?;
        if found != expected {
            return Err(self.error_at(
                offset,
                DecodeErrorKind::BadValue {
                    field,
                    expected,
                    found,
                },
            ));
        }
        Ok(())
    }

    /// Reads an OCTET STRING.
    ///
    /// # Errors
    /// On a wrong tag or malformed element.
    pub fn read_octet_string(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        Ok(self.expect(TAG_OCTET_STRING, field)?.value)
    }

    /// Reads a KerberosString or Realm (GeneralString) as UTF-8.
    ///
    /// # Errors
    /// On a wrong tag or content that is not UTF-8.
    pub fn read_kerberos_string(&mut self, field: &'static str) -> Result<&'a str, DecodeError> {
        let tlv = self.expect(TAG_GENERAL_STRING, field)?;
        std::str::from_utf8(tlv.value)
            .map_err(|_| self.error_at(tlv.offset, DecodeErrorKind::NotUtf8 { field }))
    }

    /// Reads a KerberosTime (RFC 4120 5.2.3) as Unix seconds.
    ///
    /// # Errors
    /// On a wrong tag or anything but a valid `YYYYMMDDHHMMSSZ`.
    pub fn read_kerberos_time(&mut self, field: &'static str) -> Result<i64, DecodeError> {
        let tlv = self.expect(TAG_GENERALIZED_TIME, field)?;
        parse_generalized_time(tlv.value)
            .ok_or_else(|| self.error_at(tlv.offset, DecodeErrorKind::BadTime { field }))
    }

    /// Reads KerberosFlags (RFC 4120 5.2.8); bit 0 is the most significant
    /// bit of the returned value, as in MIT's flag constants.
    ///
    /// # Errors
    /// On a wrong tag or malformed BIT STRING.
    pub fn read_kerberos_flags(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let tlv = self.expect(TAG_BIT_STRING, field)?;
        let bad = || self.error_at(tlv.offset, DecodeErrorKind::BadBitString { field });

        // X.690 8.6.2: first octet is the count of unused bits (0..=7), which
        // must be 0 for an empty string.
        let Some((&unused, bits)) = tlv.value.split_first() else {
            return Err(bad());
        };
        if unused > 7 || (bits.is_empty() && unused != 0) {
            return Err(bad());
        }
        let mut out = [0u8; 4];
        for (o, b) in out.iter_mut().zip(bits) {
            *o = *b;
        }
        if bits.len() <= 4 {
            if let Some(last) = bits.len().checked_sub(1).and_then(|i| out.get_mut(i)) {
                *last &= 0xffu8 << unused;
            }
        }
        Ok(u32::from_be_bytes(out))
    }

    /// Reads an OBJECT IDENTIFIER and returns its contents octets.
    ///
    /// # Errors
    /// On a wrong tag or malformed OID.
    pub fn read_oid(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let tlv = self.expect(TAG_OID, field)?;

        // X.690 8.19: non-empty, last octet ends a subidentifier, no 0x80
        // leading octet inside a subidentifier.
        let ok = tlv.value.last().is_some_and(|b| b & 0x80 == 0)
            && tlv.value.iter().enumerate().all(|(i, &b)| {
                b != 0x80 || (i > 0 && tlv.value.get(i - 1).is_some_and(|p| p & 0x80 != 0))
            });
        if !ok {
            return Err(self.error_at(tlv.offset, DecodeErrorKind::BadOid));
        }
        Ok(tlv.value)
    }
}

/// Formats OID contents octets in dotted form, e.g. "1.2.840.113554.1.2.2".
///
/// Malformed input yields a best-effort string; capped at 128 arcs.
#[must_use]
pub fn oid_to_dotted(oid: &[u8]) -> String {
    let mut out = String::new();
    let mut acc: u64 = 0;
    let mut arcs = 0usize;
    for &b in oid {
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 != 0 {
            if acc > u64::MAX >> 8 {
                return out + ".?";
            }
            continue;
        }
        if arcs == 0 {
            let (first, second) = match acc {
                0..=39 => (0, acc),
                40..=79 => (1, acc - 40),
                _ => (2, acc - 80),
            };
            out.push_str(&format!("{first}.{second}"));
        } else {
            out.push_str(&format!(".{acc}"));
        }
        arcs += 1;
        acc = 0;
        if arcs >= 128 {
            out.push_str(".…");
            break;
        }
    }
    out
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [h @ b'0'..=b'9', l @ b'0'..=b'9'] => Some(u32::from(h - b'0') * 10 + u32::from(l - b'0')),
        _ => None,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian (year, month, day) of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Parses "YYYYMMDDHHMMSSZ" (RFC 4120 5.2.3) into Unix seconds.
#[must_use]
pub fn parse_generalized_time(s: &[u8]) -> Option<i64> {
    let [y0, y1, y2, y3, mo0, mo1, d0, d1, h0, h1, mi0, mi1, s0, s1, b'Z'] = *s else {
        return None;
    };
    let year = two_digits(&[y0, y1])? * 100 + two_digits(&[y2, y3])?;
    let month = two_digits(&[mo0, mo1])?;
    let day = two_digits(&[d0, d1])?;
    let hour = two_digits(&[h0, h1])?;
    let min = two_digits(&[mi0, mi1])?;
    let sec = two_digits(&[s0, s1])?;
    let year = i64::from(year);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(hour * 3600 + min * 60 + sec))
}

/// Formats Unix seconds as "YYYYMMDDHHMMSSZ", clamped to years 0000-9999.
#[must_use]
pub fn format_generalized_time(unix: i64) -> [u8; 15] {
    const MIN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let t = unix.clamp(MIN, MAX);
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    let digits = |v: i64, out: &mut [u8]| {
        let mut v = v;
        for o in out.iter_mut().rev() {
            *o = b'0' + u8::try_from(v % 10).unwrap_or(0);
            v /= 10;
        }
    };
    let mut out = [b'0'; 15];
    let (ys, rest) = out.split_at_mut(4);
    digits(y, ys);
    let (ms, rest) = rest.split_at_mut(2);
    digits(i64::from(m), ms);
    let (ds, rest) = rest.split_at_mut(2);
    digits(i64::from(d), ds);
    let (hs, rest) = rest.split_at_mut(2);
    digits(secs / 3600, hs);
    let (mis, rest) = rest.split_at_mut(2);
    digits(secs / 60 % 60, mis);
    let (ss, z) = rest.split_at_mut(2);
    digits(secs % 60, ss);
    if let Some(zb) = z.first_mut() {
        *zb = b'Z';
    }
    out
}

/// A minimal DER writer for the messages kerbgate emits.
///
/// Constructed elements are written content-first and their length inserted
/// afterwards; output is always minimal DER.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer with room for `cap` bytes.
    #[must_use]
    pub fn with_capacity(cap: usize) -> Self {
        Self {
            buf: Vec::with_capacity(cap),
        }
    }

    /// The encoding written so far.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Appends already-encoded bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Appends a primitive element.
    pub fn primitive(&mut self, tag: u8, value: &[u8]) {
        self.buf.push(tag);
        let len = encode_length(value.len());
        self.buf.extend_from_slice(len.as_slice());
        self.buf.extend_from_slice(value);
    }

    /// Appends a constructed element whose contents `f` writes.
    pub fn constructed(&mut self, tag: u8, f: impl FnOnce(&mut Writer)) {
        // One octet is kept for the length, enough for contents under 128 octets; a
        // longer length moves the contents up by the extra octets.
        self.buf.push(tag);
        self.buf.push(0);
        let start = self.buf.len();
        f(self);
        let end = self.buf.len();
        let len = encode_length(end - start);
        let octets = len.as_slice();
        let extra = octets.len() - 1;
        if extra > 0 {
            self.buf.resize(end + extra, 0);
            self.buf.copy_within(start..end, start + extra);
        }
        if let Some(slot) = self.buf.get_mut(start - 1..start + extra) {
            slot.copy_from_slice(octets);
        }
    }

    /// Appends a SEQUENCE.
    pub fn sequence(&mut self, f: impl FnOnce(&mut Writer)) {
        self.constructed(TAG_SEQUENCE, f);
    }

    /// Appends an explicit `[n]` around what `f` writes.
    pub fn explicit(&mut self, n: u8, f: impl FnOnce(&mut Writer)) {
        self.constructed(context(n), f);
    }

    /// Appends a minimal INTEGER.
    pub fn integer(&mut self, v: i64) {
        let bytes = v.to_be_bytes();
        let mut skip = 0;
        while skip < 7 {
            let (Some(&b), Some(&next)) = (bytes.get(skip), bytes.get(skip + 1)) else {
                break;
            };
            let redundant = (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0);
            if !redundant {
                break;
            }
            skip += 1;
        }
        self.primitive(TAG_INTEGER, bytes.get(skip..).unwrap_or_default());
    }

    /// Appends an OCTET STRING.
    pub fn octet_string(&mut self, v: &[u8]) {
        self.primitive(TAG_OCTET_STRING, v);
    }

    /// Appends a KerberosString (GeneralString).
    pub fn kerberos_string(&mut self, v: &str) {
        self.primitive(TAG_GENERAL_STRING, v.as_bytes());
    }

    /// Appends a KerberosTime.
    pub fn kerberos_time(&mut self, unix: i64) {
        self.primitive(TAG_GENERALIZED_TIME, &format_generalized_time(unix));
    }

    /// Appends 32 KerberosFlags bits (bit 0 = most significant).
    pub fn kerberos_flags(&mut self, flags: u32) {
        let b = flags.to_be_bytes();
        self.primitive(TAG_BIT_STRING, &[0, b[0], b[1], b[2], b[3]]);
    }
}

/// Encoded DER length octets (at most 9).
#[derive(Clone, Copy)]
struct LengthOctets {
    buf: [u8; 9],
    len: usize,
}

impl LengthOctets {
    fn as_slice(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

fn encode_length(len: usize) -> LengthOctets {
    let mut buf = [0u8; 9];
    if let Ok(short @ 0..=0x7f) = u8::try_from(len) {
        buf[0] = short;
        return LengthOctets { buf, len: 1 };
    }
    let bytes = (len as u64).to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let n = bytes.len() - skip;
    buf[0] = 0x80 | u8::try_from(n).unwrap_or(8);
    for (o, b) in buf.iter_mut().skip(1).zip(bytes.iter().skip(skip)) {
        *o = *b;
    }
    LengthOctets { buf, len: n + 1 }
}

/// The DER length octets for `len`, for framing code outside this module.
#[must_use]
pub fn length_octets(len: usize) -> Vec<u8> {
    encode_length(len).as_slice().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nested constructed elements around contents of every length class: the length
    /// octets written after the contents match X.690's definite form, and a reader
    /// gets the same contents back.
    #[test]
    fn writer_lengths_around_every_form_boundary() {
        for n in [
            0usize, 1, 125, 126, 127, 128, 129, 255, 256, 257, 65_535, 65_536, 70_000,
        ] {
            let body: Vec<u8> = (0..n).map(|i| (i % 251).to_le_bytes()[0]).collect();
            let mut w = Writer::default();
            w.sequence(|w| w.explicit(3, |w| w.octet_string(&body)));
            let der = w.into_bytes();

            let mut want = vec![TAG_OCTET_STRING];
            want.extend_from_slice(encode_length(n).as_slice());
            want.extend_from_slice(&body);
            for tag in [context(3), TAG_SEQUENCE] {
                let mut outer = vec![tag];
                outer.extend_from_slice(encode_length(want.len()).as_slice());
                outer.extend_from_slice(&want);
                want = outer;
            }
            assert_eq!(der, want, "length {n}");

            let mut r = Reader::new(&der, "test");
            let mut seq = r.read_sequence("seq").unwrap();
            let got = seq
                .explicit(3, "x", |r| r.read_octet_string("body"))
                .unwrap();
            assert_eq!(got, body.as_slice(), "length {n}");
        }
    }

    #[test]
    fn length_octets_are_minimal() {
        assert_eq!(encode_length(0x7f).as_slice(), [0x7f]);
        assert_eq!(encode_length(0x80).as_slice(), [0x81, 0x80]);
        assert_eq!(encode_length(0x100).as_slice(), [0x82, 0x01, 0x00]);
        assert_eq!(encode_length(0x1_0000).as_slice(), [0x83, 0x01, 0x00, 0x00]);
    }
}
