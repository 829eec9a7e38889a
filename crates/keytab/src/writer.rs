//! Encoding entries in the MIT keytab format (see `reader` for the layout).

use zeroize::Zeroizing;

use crate::consts::KEYTAB_VERSION_1;
use crate::entry::KeytabEntry;
use crate::error::{Error, Result};

/// Writes the two version bytes.
pub(crate) fn header(version: u16) -> [u8; 2] {
    version.to_be_bytes()
}

struct Out<'a> {
    buf: &'a mut Vec<u8>,
    big_endian: bool,
}

impl Out<'_> {
    fn i16(&mut self, v: i16) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_ne_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    fn u32(&mut self, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_ne_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    fn i32(&mut self, v: i32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_ne_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    /// A 16-bit length (1..=32767, all MIT reads back) and the bytes.
    fn data16(&mut self, what: &'static str, bytes: &[u8]) -> Result<()> {
        let len = match i16::try_from(bytes.len()) {
            Ok(len @ 1..) => len,
            _ => return Err(unencodable(what, bytes.len())),
        };
        self.i16(len);
        self.buf.extend_from_slice(bytes);
        Ok(())
    }
}

fn unencodable(what: &'static str, value: usize) -> Error {
    Error::Unencodable {
        what,
        value: i64::try_from(value).unwrap_or(i64::MAX),
    }
}

/// Appends one record (length field and entry) for `version` to `out`.
///
/// Like MIT's `krb5_ktfileint_write_entry`: the 8-bit kvno holds the low byte
/// of the kvno and the 32-bit kvno follows the key, always.
pub(crate) fn record(out: &mut Vec<u8>, entry: &KeytabEntry, version: u16) -> Result<()> {
    let principal = entry.principal();
    let v1 = version == KEYTAB_VERSION_1;
    let mut body = Zeroizing::new(Vec::new());
    let mut w = Out {
        buf: &mut body,
        big_endian: !v1,
    };

    // 0x0501 counts the realm as a component; MIT reads zero components as the end.
    let count = principal.components().len() + usize::from(v1);
    match i16::try_from(count) {
        Ok(c) if !principal.components().is_empty() => w.i16(c),
        _ => return Err(unencodable("component count", principal.components().len())),
    }
    w.data16("realm length", principal.realm().as_bytes())?;
    for component in principal.components() {
        w.data16("name component length", component.as_bytes())?;
    }
    if !v1 {
        w.i32(principal.name_type());
    }
    w.u32(entry.timestamp());
    // MIT keeps the low 8 bits here; the 32-bit kvno below is authoritative.
    w.buf.push(entry.kvno().to_le_bytes()[0]);
    let enctype = i16::try_from(entry.enctype()).map_err(|_| Error::Unencodable {
        what: "enctype",
        value: entry.enctype().into(),
    })?;
    w.i16(enctype);
    w.data16("key length", entry.key_bytes().expose_secret_bytes())?;
    w.u32(entry.kvno());

    let length = i32::try_from(body.len()).map_err(|_| unencodable("entry size", body.len()))?;
    let mut w = Out {
        buf: out,
        big_endian: !v1,
    };
    w.i32(length);
    w.buf.extend_from_slice(&body);
    Ok(())
}
