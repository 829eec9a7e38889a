//! Reading tokens as the CLI takes them: hex or base64 text, on the command line or
//! one a line on standard input, with every length capped before decoding.

use std::io::BufRead;

/// Longest token text accepted (hex or base64 characters). A Windows ticket with a
/// large PAC stays well under 64 KiB of DER; four times that in hex is still far below.
pub(crate) const MAX_TOKEN_TEXT: usize = 1 << 20;

/// Why a token's text could not be turned into bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextError {
    /// More than [`MAX_TOKEN_TEXT`] characters.
    TooLong(usize),
    /// Empty after trimming.
    Empty,
    /// Not hex, and a character outside the base64 alphabet at this offset.
    NotHexOrBase64(usize),
    /// Base64 with a length no encoding produces.
    BadBase64Length(usize),
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLong(n) => write!(
                f,
                "token text is {n} characters, more than the limit of {MAX_TOKEN_TEXT}"
            ),
            Self::Empty => f.write_str("token text is empty"),
            Self::NotHexOrBase64(at) => write!(
                f,
                "token text is neither hex nor base64 (character {at} is outside both alphabets)"
            ),
            Self::BadBase64Length(n) => {
                write!(
                    f,
                    "token text is not valid base64 ({n} characters after padding removed)"
                )
            }
        }
    }
}

/// Decodes a token given as hex (even length, hex digits only) or base64 (standard
/// alphabet, padding optional; the URL-safe `-` and `_` are also taken).
pub(crate) fn decode_token_text(text: &str) -> Result<Vec<u8>, TextError> {
    if text.len() > MAX_TOKEN_TEXT {
        return Err(TextError::TooLong(text.len()));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.len() % 2 == 0 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        if let Ok(bytes) = hex::decode(text) {
            return Ok(bytes);
        }
    }
    decode_base64(text)
}

fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// RFC 4648 section 4 (and 5 for the URL-safe characters).
fn decode_base64(text: &str) -> Result<Vec<u8>, TextError> {
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 {
        return Err(TextError::NotHexOrBase64(body.len() + 2));
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for (at, c) in body.bytes().enumerate() {
        let v = sextet(c).ok_or(TextError::NotHexOrBase64(at))?;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let [byte, ..] = (acc >> bits).to_le_bytes();
            out.push(byte);
            acc &= (1 << bits) - 1;
        }
    }
    // A final group of one character encodes no whole byte.
    if body.len() % 4 == 1 {
        return Err(TextError::BadBase64Length(body.len()));
    }
    Ok(out)
}

/// One line of standard input.
pub(crate) enum Line {
    /// The line's text (without the line ending).
    Text(String),
    /// The line was longer than [`MAX_TOKEN_TEXT`] (the rest of it was skipped) or
    /// not UTF-8.
    Bad(TextError),
}

/// Reads the next non-blank line, reading at most [`MAX_TOKEN_TEXT`] + 1 bytes into
/// memory; `None` at end of input.
///
/// # Errors
/// Reading standard input failed.
pub(crate) fn next_line(input: &mut impl BufRead) -> std::io::Result<Option<Line>> {
    loop {
        let mut buf = Vec::new();
        let limit = u64::try_from(MAX_TOKEN_TEXT).unwrap_or(u64::MAX) + 2;
        let n = std::io::Read::take(&mut *input, limit).read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        let complete = buf.last() == Some(&b'\n');
        if !complete && buf.len() > MAX_TOKEN_TEXT {
            let skipped = skip_line(input)?;
            return Ok(Some(Line::Bad(TextError::TooLong(buf.len() + skipped))));
        }
        let Ok(text) = String::from_utf8(buf) else {
            return Ok(Some(Line::Bad(TextError::NotHexOrBase64(0))));
        };
        let text = text.trim();
        // Blank lines and `#` comments (token files may carry a header) are skipped.
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if text.len() > MAX_TOKEN_TEXT {
            return Ok(Some(Line::Bad(TextError::TooLong(text.len()))));
        }
        return Ok(Some(Line::Text(text.to_string())));
    }
}

/// Discards input up to and including the next newline; returns the bytes dropped.
fn skip_line(input: &mut impl BufRead) -> std::io::Result<usize> {
    let mut dropped = 0usize;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(dropped);
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(dropped.saturating_add(i));
            }
            None => {
                let len = chunk.len();
                input.consume(len);
                dropped = dropped.saturating_add(len);
            }
        }
    }
}

/// The MIT name of an enctype, or `enctype N` for numbers without one.
pub(crate) fn enctype_name(n: i32) -> String {
    kerbgate_crypto::enctype_name(n).map_or_else(|| format!("enctype {n}"), String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_hex_and_base64_alike() {
        let bytes = decode_token_text("6082010a").unwrap();
        assert_eq!(bytes, [0x60, 0x82, 0x01, 0x0a]);
        assert_eq!(decode_token_text("YIIBCg==").unwrap(), bytes);
        assert_eq!(decode_token_text("YIIBCg").unwrap(), bytes);
        assert_eq!(decode_token_text(" YIIBCg==\r").unwrap(), bytes);
        // RFC 4648 section 10 vectors.
        for (plain, b64) in [
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(decode_base64(b64).unwrap(), plain.as_bytes(), "{b64}");
        }
        assert_eq!(decode_base64("-_8=").unwrap(), [0xfb, 0xff]);
    }

    #[test]
    fn refuses_text_that_is_neither() {
        assert_eq!(decode_token_text("  "), Err(TextError::Empty));
        assert_eq!(
            decode_token_text("60 82"),
            Err(TextError::NotHexOrBase64(2))
        );
        assert_eq!(
            decode_token_text("abcde"),
            Err(TextError::BadBase64Length(5))
        );
        assert!(decode_token_text("Zg===").is_err());
        let long = "A".repeat(MAX_TOKEN_TEXT + 4);
        assert_eq!(
            decode_token_text(&long),
            Err(TextError::TooLong(MAX_TOKEN_TEXT + 4))
        );
    }

    #[test]
    fn reads_lines_skipping_blank_and_capping_long_ones() {
        let mut text = b"\n6082\r\n\n".to_vec();
        text.extend(std::iter::repeat_n(b'A', MAX_TOKEN_TEXT + 10));
        text.extend_from_slice(b"\nYIIBCg==");
        let mut r = std::io::Cursor::new(text);
        assert!(matches!(next_line(&mut r).unwrap(), Some(Line::Text(t)) if t == "6082"));
        assert!(matches!(
            next_line(&mut r).unwrap(),
            Some(Line::Bad(TextError::TooLong(n))) if n == MAX_TOKEN_TEXT + 10
        ));
        assert!(matches!(next_line(&mut r).unwrap(), Some(Line::Text(t)) if t == "YIIBCg=="));
        assert!(next_line(&mut r).unwrap().is_none());
    }
}
