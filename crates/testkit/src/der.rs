//! A small DER writer and reader for the Kerberos messages the testkit mints
//! and checks (RFC 4120 section 5, X.690 DER).
//!
//! This is deliberately independent of the acceptor's decoder so that each
//! cross-checks the other. Only single-byte tags are supported: every tag in
//! the Kerberos ASN.1 module (context tags up to `[12]`, APPLICATION up to 30)
//! fits in one byte.

use crate::error::Error;
use crate::time::KerberosTime;

/// Universal tag of INTEGER.
pub const TAG_INTEGER: u8 = 0x02;
/// Universal tag of BIT STRING.
pub const TAG_BIT_STRING: u8 = 0x03;
/// Universal tag of OCTET STRING.
pub const TAG_OCTET_STRING: u8 = 0x04;
/// Universal tag of OBJECT IDENTIFIER.
pub const TAG_OID: u8 = 0x06;
/// Universal tag of GeneralizedTime.
pub const TAG_GENERALIZED_TIME: u8 = 0x18;
/// Universal tag of GeneralString (KerberosString, RFC 4120 5.2.1).
pub const TAG_GENERAL_STRING: u8 = 0x1b;
/// Universal tag of a constructed SEQUENCE / SEQUENCE OF.
pub const TAG_SEQUENCE: u8 = 0x30;

/// Largest length the reader accepts (16 MiB), far above any Kerberos token.
const MAX_LEN: usize = 1 << 24;

/// Appends a DER length (X.690 8.1.3: short form below 128, else minimal long form).
pub fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or_default();
    out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0x7f));
    out.extend_from_slice(significant);
}

/// Encodes one TLV with a single-byte tag.
#[must_use]
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// INTEGER in minimal two's complement (X.690 8.3).
#[must_use]
pub fn integer(value: i64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut start = 0;
    // X.690 8.3.2: drop a leading 0x00 before a clear top bit, 0xff before a set one.
    while let (Some(&b), Some(&next)) = (bytes.get(start), bytes.get(start + 1)) {
        let redundant = (b == 0x00 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    tlv(TAG_INTEGER, bytes.get(start..).unwrap_or_default())
}

/// UInt32 encoded as DER requires (values >= 2^31 take five octets).
#[must_use]
pub fn uint32(value: u32) -> Vec<u8> {
    integer(i64::from(value))
}

/// UInt32 encoded the way MIT krb5 writes sequence numbers: as the signed
/// 32-bit reinterpretation, so values >= 2^31 come out negative in four octets.
#[must_use]
pub fn uint32_as_negative(value: u32) -> Vec<u8> {
    integer(i64::from(i32::from_be_bytes(value.to_be_bytes())))
}

/// OCTET STRING.
#[must_use]
pub fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(TAG_OCTET_STRING, bytes)
}

/// GeneralString (RFC 4120 5.2.1 KerberosString; IA5 content in practice).
#[must_use]
pub fn general_string(s: &str) -> Vec<u8> {
    tlv(TAG_GENERAL_STRING, s.as_bytes())
}

/// KerberosTime: GeneralizedTime "YYYYMMDDHHMMSSZ" (RFC 4120 5.2.3).
#[must_use]
pub fn kerberos_time(t: KerberosTime) -> Vec<u8> {
    tlv(TAG_GENERALIZED_TIME, t.to_generalized_time().as_bytes())
}

/// KerberosFlags: a 32-bit BIT STRING with no unused bits (RFC 4120 5.2.8);
/// bit 0 is the most significant bit of the first octet.
#[must_use]
pub fn kerberos_flags(bits: u32) -> Vec<u8> {
    let mut content = vec![0u8];
    content.extend_from_slice(&bits.to_be_bytes());
    tlv(TAG_BIT_STRING, &content)
}

/// `[n]` explicit context tag around an encoded value.
#[must_use]
pub fn explicit(n: u8, inner: &[u8]) -> Vec<u8> {
    tlv(0xa0 | (n & 0x1f), inner)
}

/// `[APPLICATION n]` around an encoded value.
#[must_use]
pub fn application(n: u8, inner: &[u8]) -> Vec<u8> {
    tlv(0x60 | (n & 0x1f), inner)
}

/// SEQUENCE OF: concatenates already encoded elements.
#[must_use]
pub fn sequence_of<I, T>(items: I) -> Vec<u8>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    let mut content = Vec::new();
    for item in items {
        content.extend_from_slice(item.as_ref());
    }
    tlv(TAG_SEQUENCE, &content)
}

/// Builds a SEQUENCE of explicitly tagged fields, in tag order.
#[derive(Debug, Default)]
pub struct Fields {
    content: Vec<u8>,
}

impl Fields {
    /// An empty field list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds field `[n]` with an encoded value.
    #[must_use]
    pub fn field(mut self, n: u8, value: &[u8]) -> Self {
        self.content.extend_from_slice(&explicit(n, value));
        self
    }

    /// Adds field `[n]` when `value` is present.
    #[must_use]
    pub fn optional(self, n: u8, value: Option<&[u8]>) -> Self {
        match value {
            Some(v) => self.field(n, v),
            None => self,
        }
    }

    /// Continues after already encoded fields (see [`Fields::content`]), so a
    /// fixed prefix can be encoded once and reused.
    #[must_use]
    pub fn with_prefix(prefix: &[u8], extra_capacity: usize) -> Self {
        let mut content = Vec::with_capacity(prefix.len() + extra_capacity);
        content.extend_from_slice(prefix);
        Self { content }
    }

    /// The encoded fields so far, without the SEQUENCE header.
    #[must_use]
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// The SEQUENCE.
    #[must_use]
    pub fn sequence(&self) -> Vec<u8> {
        tlv(TAG_SEQUENCE, &self.content)
    }

    /// `[APPLICATION n] SEQUENCE`.
    #[must_use]
    pub fn application(&self, n: u8) -> Vec<u8> {
        application(n, &self.sequence())
    }
}

/// One decoded TLV.
#[derive(Clone, Copy, Debug)]
pub struct Tlv<'a> {
    /// The single tag octet.
    pub tag: u8,
    /// The content octets.
    pub content: &'a [u8],
    /// Offset of the tag octet in the outermost input.
    pub offset: usize,
}

/// A cursor over DER bytes that refuses short input, indefinite or
/// non-minimal lengths and multi-byte tags.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `input`, reporting offsets from 0.
    #[must_use]
    pub fn new(input: &'a [u8]) -> Self {
        Self {
            input,
            pos: 0,
            base: 0,
        }
    }

    /// A reader over the content of `tlv`, reporting offsets in the outer input.
    #[must_use]
    pub fn inside(tlv: &Tlv<'a>) -> Self {
        let header = 2 + len_of_len(tlv.content.len());
        Self {
            input: tlv.content,
            pos: 0,
            base: tlv.offset + header,
        }
    }

    /// Absolute offset of the next byte.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Whether all input is consumed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// The bytes not read yet.
    #[must_use]
    pub fn remaining(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    /// The tag of the next TLV, if any.
    #[must_use]
    pub fn peek_tag(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Reads the next TLV.
    ///
    /// # Errors
    /// [`Error::Malformed`] when the input is short or the length is not DER.
    pub fn read(&mut self) -> Result<Tlv<'a>, Error> {
        let offset = self.offset();
        let malformed = |what| Error::Malformed { what, offset };
        let tag = *self.input.get(self.pos).ok_or(malformed("missing tag"))?;
        if tag & 0x1f == 0x1f {
            return Err(malformed("multi-byte tag"));
        }
        let first = *self
            .input
            .get(self.pos + 1)
            .ok_or(malformed("missing length"))?;
        let mut cursor = self.pos + 2;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 3 {
                return Err(malformed("indefinite or oversized length"));
            }
            let bytes = self
                .input
                .get(cursor..cursor + n)
                .ok_or(malformed("short length"))?;
            cursor += n;
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            // X.690 10.1: the long form only when needed, with no leading zero.
            if len < 0x80 || bytes.first() == Some(&0) {
                return Err(malformed("non-minimal length"));
            }
            len
        };
        if len > MAX_LEN {
            return Err(malformed("length over 16 MiB"));
        }
        let end = cursor
            .checked_add(len)
            .ok_or(malformed("length overflow"))?;
        let content = self
            .input
            .get(cursor..end)
            .ok_or(malformed("content truncated"))?;
        self.pos = end;
        Ok(Tlv {
            tag,
            content,
            offset,
        })
    }

    /// Reads a TLV and checks its tag.
    ///
    /// # Errors
    /// [`Error::UnexpectedTag`] on another tag, or the errors of [`Reader::read`].
    pub fn expect(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, Error> {
        let tlv = self.read()?;
        if tlv.tag != tag {
            return Err(Error::UnexpectedTag {
                what,
                expected: tag,
                found: tlv.tag,
                offset: tlv.offset,
            });
        }
        Ok(tlv)
    }

    /// Reads explicit field `[n]` and returns a reader over its content.
    ///
    /// # Errors
    /// As [`Reader::expect`].
    pub fn field(&mut self, n: u8, what: &'static str) -> Result<Reader<'a>, Error> {
        let tlv = self.expect(0xa0 | n, what)?;
        Ok(Reader::inside(&tlv))
    }

    /// Reads explicit field `[n]` when the next tag is `[n]`.
    ///
    /// # Errors
    /// As [`Reader::expect`].
    pub fn optional_field(
        &mut self,
        n: u8,
        what: &'static str,
    ) -> Result<Option<Reader<'a>>, Error> {
        if self.peek_tag() == Some(0xa0 | n) {
            return self.field(n, what).map(Some);
        }
        Ok(None)
    }

    /// Fails unless everything was consumed.
    ///
    /// # Errors
    /// [`Error::Malformed`] naming the trailing data.
    pub fn finish(&self, what: &'static str) -> Result<(), Error> {
        if self.is_empty() {
            return Ok(());
        }
        Err(Error::Malformed {
            what,
            offset: self.offset(),
        })
    }

    /// Reads an INTEGER that must fit in an i64.
    ///
    /// # Errors
    /// [`Error::Malformed`] on an empty, non-minimal or oversized INTEGER.
    pub fn integer(&mut self) -> Result<i64, Error> {
        let tlv = self.expect(TAG_INTEGER, "INTEGER")?;
        let malformed = |what| Error::Malformed {
            what,
            offset: tlv.offset,
        };
        let (first, rest) = tlv
            .content
            .split_first()
            .ok_or(malformed("empty INTEGER"))?;
        if tlv.content.len() > 8 {
            return Err(malformed("INTEGER over 64 bits"));
        }
        if let Some(second) = rest.first() {
            let redundant =
                (*first == 0 && second & 0x80 == 0) || (*first == 0xff && second & 0x80 != 0);
            if redundant {
                return Err(malformed("non-minimal INTEGER"));
            }
        }
        let init: i64 = if first & 0x80 != 0 { -1 } else { 0 };
        Ok(tlv
            .content
            .iter()
            .fold(init, |acc, b| (acc << 8) | i64::from(*b)))
    }

    /// Reads an Int32.
    ///
    /// # Errors
    /// [`Error::Malformed`] when out of range, or as [`Reader::integer`].
    pub fn int32(&mut self) -> Result<i32, Error> {
        let offset = self.offset();
        let v = self.integer()?;
        i32::try_from(v).map_err(|_| Error::Malformed {
            what: "Int32 out of range",
            offset,
        })
    }

    /// Reads a UInt32, accepting MIT's negative encoding of values >= 2^31.
    ///
    /// # Errors
    /// [`Error::Malformed`] when out of range, or as [`Reader::integer`].
    pub fn uint32_lenient(&mut self) -> Result<u32, Error> {
        let offset = self.offset();
        let v = self.integer()?;
        if let Ok(u) = u32::try_from(v) {
            return Ok(u);
        }
        let s = i32::try_from(v).map_err(|_| Error::Malformed {
            what: "UInt32 out of range",
            offset,
        })?;
        Ok(u32::from_be_bytes(s.to_be_bytes()))
    }

    /// Reads an OCTET STRING.
    ///
    /// # Errors
    /// As [`Reader::expect`].
    pub fn octet_string(&mut self) -> Result<&'a [u8], Error> {
        Ok(self.expect(TAG_OCTET_STRING, "OCTET STRING")?.content)
    }

    /// Reads a GeneralString as UTF-8.
    ///
    /// # Errors
    /// [`Error::Malformed`] when it is not UTF-8, or as [`Reader::expect`].
    pub fn general_string(&mut self) -> Result<String, Error> {
        let tlv = self.expect(TAG_GENERAL_STRING, "GeneralString")?;
        let s = core::str::from_utf8(tlv.content).map_err(|_| Error::Malformed {
            what: "GeneralString not UTF-8",
            offset: tlv.offset,
        })?;
        Ok(s.to_owned())
    }

    /// Reads a KerberosTime.
    ///
    /// # Errors
    /// [`Error::Malformed`] when it is not "YYYYMMDDHHMMSSZ", or as [`Reader::expect`].
    pub fn kerberos_time(&mut self) -> Result<KerberosTime, Error> {
        let tlv = self.expect(TAG_GENERALIZED_TIME, "KerberosTime")?;
        KerberosTime::parse_generalized_time(tlv.content).ok_or(Error::Malformed {
            what: "KerberosTime not YYYYMMDDHHMMSSZ",
            offset: tlv.offset,
        })
    }

    /// Reads a 32-bit KerberosFlags BIT STRING.
    ///
    /// # Errors
    /// [`Error::Malformed`] unless it is five octets with no unused bits.
    pub fn kerberos_flags(&mut self) -> Result<u32, Error> {
        let tlv = self.expect(TAG_BIT_STRING, "KerberosFlags")?;
        match tlv.content {
            [0, a, b, c, d] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => Err(Error::Malformed {
                what: "KerberosFlags not 32 bits",
                offset: tlv.offset,
            }),
        }
    }
}

/// Octets a DER length of `len` takes after the first length octet.
fn len_of_len(len: usize) -> usize {
    if len < 0x80 {
        return 0;
    }
    let bytes = len.to_be_bytes();
    bytes.len() - bytes.iter().take_while(|b| **b == 0).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_minimal_twos_complement() {
        assert_eq!(integer(0), [2, 1, 0]);
        assert_eq!(integer(127), [2, 1, 0x7f]);
        assert_eq!(integer(128), [2, 2, 0, 0x80]);
        assert_eq!(integer(-1), [2, 1, 0xff]);
        assert_eq!(integer(-128), [2, 1, 0x80]);
        assert_eq!(integer(-129), [2, 2, 0xff, 0x7f]);
        assert_eq!(uint32(0x8000_0000), [2, 5, 0, 0x80, 0, 0, 0]);
        assert_eq!(uint32_as_negative(0x8000_0000), [2, 4, 0x80, 0, 0, 0]);
        assert_eq!(uint32_as_negative(0xffff_ffff), [2, 1, 0xff]);
    }

    #[test]
    fn integers_round_trip() {
        for v in [
            0i64,
            1,
            -1,
            127,
            128,
            255,
            256,
            -128,
            -129,
            i64::from(i32::MIN),
            i64::from(u32::MAX),
        ] {
            assert_eq!(Reader::new(&integer(v)).integer().unwrap(), v, "value {v}");
        }
        for v in [0u32, 5, 0x7fff_ffff, 0x8000_0000, u32::MAX] {
            assert_eq!(Reader::new(&uint32(v)).uint32_lenient().unwrap(), v);
            assert_eq!(
                Reader::new(&uint32_as_negative(v))
                    .uint32_lenient()
                    .unwrap(),
                v
            );
        }
    }

    #[test]
    fn lengths_use_short_and_long_forms() {
        let mut out = Vec::new();
        push_len(&mut out, 5);
        push_len(&mut out, 200);
        push_len(&mut out, 0x1234);
        assert_eq!(out, [5, 0x81, 200, 0x82, 0x12, 0x34]);
        let big = tlv(TAG_OCTET_STRING, &[7u8; 300]);
        let mut r = Reader::new(&big);
        assert_eq!(r.octet_string().unwrap().len(), 300);
        r.finish("test").unwrap();
    }

    #[test]
    fn reader_refuses_bad_lengths() {
        assert!(Reader::new(&[4, 0x81, 5, 0, 0, 0, 0, 0]).read().is_err());
        assert!(Reader::new(&[4, 0x80]).read().is_err());
        assert!(Reader::new(&[4, 3, 0]).read().is_err());
        assert!(Reader::new(&[2, 2, 0, 1]).integer().is_err());
    }

    #[test]
    fn flags_are_32_bit_bit_strings() {
        assert_eq!(kerberos_flags(0x4000_0000), [3, 5, 0, 0x40, 0, 0, 0]);
        assert_eq!(
            Reader::new(&kerberos_flags(0x1234_5678))
                .kerberos_flags()
                .unwrap(),
            0x1234_5678
        );
    }

    #[test]
    fn fields_nest_explicit_tags() {
        let enc = Fields::new()
            .field(0, &integer(5))
            .optional(1, None)
            .field(2, &octet_string(b"x"))
            .application(1);
        assert_eq!(
            enc,
            [0x61, 0x0c, 0x30, 0x0a, 0xa0, 3, 2, 1, 5, 0xa2, 3, 4, 1, b'x']
        );
        let outer = Reader::new(&enc).expect(0x61, "app").unwrap();
        let seq = Reader::inside(&outer).expect(TAG_SEQUENCE, "seq").unwrap();
        let mut r = Reader::inside(&seq);
        assert_eq!(r.field(0, "f0").unwrap().integer().unwrap(), 5);
        assert!(r.optional_field(1, "f1").unwrap().is_none());
        let mut f2 = r.field(2, "f2").unwrap();
        assert_eq!(f2.offset(), 11);
        assert_eq!(f2.octet_string().unwrap(), b"x");
    }
}
