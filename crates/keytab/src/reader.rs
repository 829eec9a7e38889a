//! Parsing the MIT keytab file format (MIT `kt_file.c` is the only spec; the
//! layout is also described in MIT's `keytab_file_format.rst`).
//!
//! ```text
//! file    = version:u16be (0x0502 | 0x0501) record*
//! record  = length:i32 (>0: entry of that many bytes; <0: deleted hole; 0: end)
//! entry   = count:i16 realm:data component:data{count} [name_type:i32, v2 only]
//!           timestamp:u32 vno8:u8 enctype:i16 key:data [vno32:u32]
//! data    = length:i16 (>0) bytes
//! ```
//! Version 0x0502 is big-endian. Version 0x0501 is in the writer's host byte
//! order, which MIT reads as its own host order; so do we. In 0x0501 the count
//! includes the realm.

use crate::consts::{KEYTAB_VERSION_1, KEYTAB_VERSION_2, KRB5_NT_UNKNOWN};
use crate::entry::{KeyBytes, KeytabEntry};
use crate::error::{Error, Result};
use crate::Principal;

/// A parsed file: its version, its entries, and where new records may go.
pub(crate) struct Parsed {
    pub(crate) version: u16,
    pub(crate) entries: Vec<KeytabEntry>,
    /// Offset of the end marker (a zero record length) or of the end of file.
    pub(crate) end: usize,
}

/// A reader over `data` that knows absolute offsets and the byte order.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    big_endian: bool,
}

impl<'a> Cursor<'a> {
    /// Takes `n` bytes, or reports `what` as truncated.
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let Some((field, _)) = rest.split_at_checked(n) else {
            return Err(Error::Truncated {
                offset: self.pos,
                what,
                needed: n,
                available: rest.len(),
            });
        };
        self.pos += n;
        Ok(field)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(u8::from_be_bytes(self.array(what)?))
    }

    fn i16(&mut self, what: &'static str) -> Result<i16> {
        let b = self.array(what)?;
        Ok(if self.big_endian {
            i16::from_be_bytes(b)
        } else {
            i16::from_ne_bytes(b)
        })
    }

    fn u32(&mut self, what: &'static str) -> Result<u32> {
        let b = self.array(what)?;
        Ok(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_ne_bytes(b)
        })
    }

    fn i32(&mut self, what: &'static str) -> Result<i32> {
        let b = self.array(what)?;
        Ok(if self.big_endian {
            i32::from_be_bytes(b)
        } else {
            i32::from_ne_bytes(b)
        })
    }

    /// A positive 16-bit length, then that many bytes.
    fn data16(&mut self, what: &'static str) -> Result<&'a [u8]> {
        let offset = self.pos;
        let len = self.i16(what)?;
        // MIT kt_file.c: zero or negative lengths end the read (we report them).
        let Ok(len @ 1..) = usize::try_from(len) else {
            return Err(Error::BadLength {
                offset,
                what,
                value: len.into(),
            });
        };
        self.take(len, what)
    }

    fn utf8(&mut self, what: &'static str) -> Result<String> {
        let bytes = self.data16(what)?;
        let offset = self.pos - bytes.len();
        let s = std::str::from_utf8(bytes).map_err(|_| Error::NotUtf8 { offset, what })?;
        Ok(s.to_owned())
    }
}

/// Parses a whole keytab file.
pub(crate) fn parse(data: &[u8]) -> Result<Parsed> {
    let mut file = Cursor {
        data,
        pos: 0,
        big_endian: true,
    };
    let version = u16::from_be_bytes(file.array("keytab version")?);
    if version != KEYTAB_VERSION_2 && version != KEYTAB_VERSION_1 {
        return Err(Error::BadVersion { found: version });
    }
    file.big_endian = version == KEYTAB_VERSION_2;

    let mut entries = Vec::new();
    loop {
        if file.pos == data.len() {
            return Ok(Parsed {
                version,
                entries,
                end: file.pos,
            });
        }

        let length_offset = file.pos;
        let length = file.i32("record length")?;
        let available = data.len() - file.pos;
        if length == 0 {
            // MIT: a zero length marks the end; anything after it is ignored
            // (MIT zero-fills it before writing there).
            return Ok(Parsed {
                version,
                entries,
                end: length_offset,
            });
        }
        if length == i32::MIN {
            return Err(Error::BadRecordLength {
                offset: length_offset,
                length,
                available,
            });
        }

        // A negative length is a hole left by a deleted entry: skip it.
        let is_hole = length < 0;
        let size = usize::try_from(length.unsigned_abs()).unwrap_or(usize::MAX);
        let what = if is_hole {
            "deleted-entry hole"
        } else {
            "keytab entry"
        };
        let record = file.take(size, what).map_err(|e| match e {
            Error::Truncated {
                what,
                needed,
                available,
                ..
            } => Error::Truncated {
                offset: length_offset + 4,
                what,
                needed,
                available,
            },
            other => other,
        })?;
        if is_hole {
            continue;
        }

        entries.push(parse_entry(
            data,
            length_offset,
            record.len(),
            file.big_endian,
            version,
        )?);
    }
}

/// Parses the entry of `size` bytes that follows the length field at `length_offset`.
fn parse_entry(
    data: &[u8],
    length_offset: usize,
    size: usize,
    big_endian: bool,
    version: u16,
) -> Result<KeytabEntry> {
    let start = length_offset + 4;
    let record_end = start + size;
    let mut rec = Cursor {
        data: data.get(..record_end).unwrap_or_default(),
        pos: start,
        big_endian,
    };
    let overrun = |e: Error| match e {
        Error::Truncated { offset, needed, .. } => Error::RecordOverrun {
            offset: length_offset,
            length: size,
            used: offset + needed - start,
        },
        other => other,
    };

    let count_offset = rec.pos;
    let mut count = rec.i16("component count").map_err(overrun)?;
    if version == KEYTAB_VERSION_1 {
        // 0x0501 counts the realm as a component.
        count = count.wrapping_sub(1);
    }
    if count <= 0 {
        return Err(Error::BadLength {
            offset: count_offset,
            what: "component count",
            value: count.into(),
        });
    }

    let realm = rec.utf8("realm").map_err(overrun)?;
    // Each component needs at least 3 bytes, so the record bounds the growth.
    let mut components = Vec::new();
    for _ in 0..count {
        components.push(rec.utf8("name component").map_err(overrun)?);
    }
    let name_type = if version == KEYTAB_VERSION_1 {
        KRB5_NT_UNKNOWN
    } else {
        rec.i32("name type").map_err(overrun)?
    };
    let timestamp = rec.u32("timestamp").map_err(overrun)?;
    let vno8 = rec.u8("key version").map_err(overrun)?;
    let enctype = rec.i16("enctype").map_err(overrun)?;
    let key = rec.data16("key").map_err(overrun)?;
    let key = KeyBytes::new(enctype.into(), key);

    // MIT: a 32-bit kvno follows if at least 4 bytes remain in the record;
    // zero means zero-fill, and the 8-bit kvno stands.
    let mut kvno = u32::from(vno8);
    if record_end - rec.pos >= 4 {
        let vno32 = rec.u32("32-bit key version")?;
        if vno32 != 0 {
            kvno = vno32;
        }
    }

    let principal = Principal::new(name_type, components, realm);
    Ok(KeytabEntry::new(principal, kvno, timestamp, key))
}
