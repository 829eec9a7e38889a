//! A bounds-checked little-endian reader for PAC buffers and NDR (MS-RPCE 2.2.5,
//! C706 chapter 14) as the PAC uses it: 4-byte alignment, referent pointers,
//! conformant and conformant-varying arrays.

use super::error::PacError;

/// A cursor over untrusted bytes; alignment is relative to the start of the slice.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub(crate) fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], PacError> {
        let available = self.remaining();
        let end = self.pos.checked_add(n);
        match end.and_then(|e| self.data.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(PacError::Truncated {
                what,
                needed: n,
                available,
            }),
        }
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], PacError> {
        let s = self.bytes(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, PacError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u16_le(&mut self, what: &'static str) -> Result<u16, PacError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn u32_le(&mut self, what: &'static str) -> Result<u32, PacError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn u64_le(&mut self, what: &'static str) -> Result<u64, PacError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// NDR: a primitive of size `n` is aligned to `n` (C706 14.2.2).
    pub(crate) fn align(&mut self, n: usize) -> Result<(), PacError> {
        let pad = (n - self.pos % n) % n;
        self.bytes(pad, "NDR alignment").map(|_| ())
    }

    pub(crate) fn nu32(&mut self, what: &'static str) -> Result<u32, PacError> {
        self.align(4)?;
        self.u32_le(what)
    }

    pub(crate) fn nu16(&mut self, what: &'static str) -> Result<u16, PacError> {
        self.align(2)?;
        self.u16_le(what)
    }

    /// A conformance count for an array of `elem`-byte elements, capped by the bytes left
    /// so that allocation is bounded by the input (MIT CVE-2022-42898 was an unchecked count).
    pub(crate) fn count(&mut self, what: &'static str, elem: usize) -> Result<usize, PacError> {
        let n = self.nu32(what)?;
        let n_usize = usize::try_from(n).map_err(|_| PacError::CountTooLarge {
            what,
            count: n.into(),
        })?;
        if n_usize
            .checked_mul(elem)
            .is_none_or(|b| b > self.remaining())
        {
            return Err(PacError::CountTooLarge {
                what,
                count: n.into(),
            });
        }
        Ok(n_usize)
    }
}

/// An RPC_UNICODE_STRING header: lengths in bytes and whether the pointer is non-null.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UnicodeStringHdr {
    length: u16,
    max_length: u16,
    present: bool,
}

impl UnicodeStringHdr {
    pub(crate) fn read(c: &mut Cursor<'_>) -> Result<Self, PacError> {
        let length = c.nu16("RPC_UNICODE_STRING length")?;
        let max_length = c.nu16("RPC_UNICODE_STRING maximum length")?;
        let present = c.nu32("RPC_UNICODE_STRING pointer")? != 0;
        // MS-DTYP 2.3.10: Length <= MaximumLength, both even.
        if length > max_length || length % 2 != 0 {
            return Err(PacError::Malformed {
                what: "RPC_UNICODE_STRING lengths",
            });
        }
        Ok(UnicodeStringHdr {
            length,
            max_length,
            present,
        })
    }

    /// Reads the deferred conformant-varying array of UTF-16 units.
    pub(crate) fn read_deferred(self, c: &mut Cursor<'_>) -> Result<String, PacError> {
        if !self.present {
            return Ok(String::new());
        }
        let max = c.nu32("string maximum count")?;
        let offset = c.nu32("string offset")?;
        let actual = c.count("string actual count", 2)?;
        // C706 14.3.3.4: offset 0, actual <= max, matching the header's byte lengths.
        if offset != 0
            || u32::try_from(actual).map_or(true, |a| a > max)
            || usize::from(self.length) != actual * 2
            || u32::from(self.max_length / 2) != max
        {
            return Err(PacError::Malformed {
                what: "string array counts disagree with header",
            });
        }
        utf16le(c.bytes(actual * 2, "string characters")?)
    }
}

/// Decodes UTF-16LE, refusing unpaired surrogates.
pub(crate) fn utf16le(bytes: &[u8]) -> Result<String, PacError> {
    if bytes.len() % 2 != 0 {
        return Err(PacError::Malformed {
            what: "odd-length UTF-16 string",
        });
    }
    let units = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes(p.try_into().unwrap_or([0, 0])));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| PacError::Malformed {
            what: "invalid UTF-16 in string",
        })
}

/// Reads the NDR type serialization version 1 headers (MS-RPCE 2.2.6): the common
/// header and the private header, returning a cursor over the object buffer.
pub(crate) fn type_serialization_v1(data: &[u8]) -> Result<Cursor<'_>, PacError> {
    let mut c = Cursor::new(data);
    // MS-RPCE 2.2.6.1: version 1, little-endian (0x10), header length 8.
    let version = c.u8("NDR common header")?;
    let endian = c.u8("NDR common header")?;
    let hdr_len = c.u16_le("NDR common header")?;
    let _filler = c.u32_le("NDR common header")?;
    if version != 1 || endian != 0x10 || hdr_len != 8 {
        return Err(PacError::Malformed {
            what: "NDR type serialization header",
        });
    }
    // MS-RPCE 2.2.6.2: object buffer length, a multiple of 8, within the buffer.
    let len = c.u32_le("NDR private header")?;
    let _filler = c.u32_le("NDR private header")?;
    let len = usize::try_from(len).map_err(|_| PacError::Malformed { what: "NDR length" })?;
    if len > c.remaining() {
        return Err(PacError::Truncated {
            what: "NDR object buffer",
            needed: len,
            available: c.remaining(),
        });
    }
    // Keep alignment relative to the buffer start: 16 header bytes are a multiple of 8.
    let body = data
        .get(..16 + len)
        .ok_or(PacError::Malformed { what: "NDR length" })?;
    let mut out = Cursor::new(body);
    out.pos = 16;
    Ok(out)
}
