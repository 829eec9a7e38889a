//! The IMAP request syntax `kerbgate serve --imap` understands, without sockets: line
//! framing with bounded lengths, tag and command parsing (RFC 3501 2.2.1, 6), the
//! AUTHENTICATE initial response (RFC 4959) and base64 continuation lines (RFC 3501
//! 6.2.2, RFC 4648 4). `fuzz/fuzz_targets/imap_request.rs` includes this file with
//! `#[path]`, so it depends on `std` only.

/// Longest command line.
pub(crate) const MAX_LINE: usize = 8 * 1024;
/// Longest AUTHENTICATE continuation line (base64 of a context token with a PAC).
pub(crate) const MAX_AUTH_LINE: usize = 96 * 1024;

/// Bytes received and not yet consumed as lines; lines end in LF or CRLF.
#[derive(Debug, Default)]
pub(crate) struct LineBuffer {
    buf: Vec<u8>,
    /// An over-long line was dropped; discard up to its LF, then report it.
    discarding: bool,
}

/// What [`LineBuffer::next_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NextLine {
    /// A whole line without its terminator.
    Line(Vec<u8>),
    /// A line longer than the limit ended here; it was discarded.
    TooLong,
    /// No line end yet: read more bytes.
    NeedMore,
}

impl LineBuffer {
    /// Appends received bytes.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Removes and returns all buffered bytes (they become protected-layer input when a
    /// security layer starts, RFC 3501 6.2.2).
    pub(crate) fn take_buffered(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// The next line of at most `max` bytes (terminator not counted). The buffer never
    /// holds more than `max` bytes plus one read without a line end: a longer line is
    /// dropped as it arrives and reported once its LF comes.
    pub(crate) fn next_line(&mut self, max: usize) -> NextLine {
        let Some(pos) = self.buf.iter().position(|&b| b == b'\n') else {
            if self.buf.len() > max {
                self.buf.clear();
                self.discarding = true;
            } else if self.discarding {
                self.buf.clear();
            }
            return NextLine::NeedMore;
        };
        let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
        if std::mem::take(&mut self.discarding) || pos > max {
            return NextLine::TooLong;
        }
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        NextLine::Line(line)
    }
}

/// A command line's tag and command.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Request<'a> {
    /// The client's tag, echoed in the tagged reply.
    pub(crate) tag: &'a str,
    /// What it asks for.
    pub(crate) command: Command<'a>,
}

/// The commands served.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command<'a> {
    /// `CAPABILITY`.
    Capability,
    /// `NOOP`.
    Noop,
    /// `LOGOUT`.
    Logout,
    /// `LOGIN` with any arguments (refused: plaintext passwords are not served).
    Login,
    /// `AUTHENTICATE mechanism [initial-response]`.
    Authenticate {
        /// The SASL mechanism name as sent.
        mech: &'a str,
        /// RFC 4959 initial response, if any.
        initial: Option<InitialResponse>,
    },
}

/// An RFC 4959 initial response.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InitialResponse {
    /// Decoded bytes (`=` is the empty response).
    Data(Vec<u8>),
    /// Not valid base64; the reply is a tagged BAD.
    InvalidBase64,
}

/// Why a command line was refused; `Display` is the reply text after `* ` or the tag.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ProtoError<'a> {
    /// The line is not UTF-8 (untagged BAD).
    NotUtf8,
    /// No tag, or one with a character RFC 3501 9 excludes (untagged BAD).
    BadTag,
    /// AUTHENTICATE with no mechanism or too many arguments (tagged BAD).
    AuthenticateSyntax {
        /// The tag to answer.
        tag: &'a str,
    },
    /// Any other command, or wrong arguments (tagged BAD).
    Unknown {
        /// The tag to answer.
        tag: &'a str,
    },
}

impl ProtoError<'_> {
    /// The reply line, CRLF included.
    pub(crate) fn reply(&self) -> String {
        match self {
            Self::NotUtf8 => "* BAD command is not UTF-8\r\n".to_owned(),
            Self::BadTag => "* BAD missing or invalid tag\r\n".to_owned(),
            Self::AuthenticateSyntax { tag } => {
                format!("{tag} BAD AUTHENTICATE mechanism [initial-response]\r\n")
            }
            Self::Unknown { tag } => format!("{tag} BAD unknown command or arguments\r\n"),
        }
    }
}

/// Parses one command line (without its CRLF): `tag SP command [SP args]`.
///
/// # Errors
/// [`ProtoError`] naming the reply: not UTF-8, a bad tag, bad AUTHENTICATE arguments,
/// or an unknown command.
pub(crate) fn parse_command(line: &[u8]) -> Result<Request<'_>, ProtoError<'_>> {
    let text = std::str::from_utf8(line).map_err(|_| ProtoError::NotUtf8)?;
    let mut parts = text.split(' ');

    // RFC 3501 9: tag = 1*<any ASTRING-CHAR except "+">; no CTL, space or list/quote
    // specials.
    let tag = parts.next().unwrap_or("");
    let valid_tag = !tag.is_empty()
        && tag
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\+".contains(&b));
    if !valid_tag {
        return Err(ProtoError::BadTag);
    }

    let verb = parts.next().unwrap_or("").to_ascii_uppercase();
    let args: Vec<&str> = parts.collect();
    let command = match (verb.as_str(), args.as_slice()) {
        ("CAPABILITY", []) => Command::Capability,
        ("NOOP", []) => Command::Noop,
        ("LOGOUT", []) => Command::Logout,
        ("LOGIN", _) => Command::Login,
        // RFC 4959 3: AUTHENTICATE SP auth-type [SP (base64 / "=")].
        ("AUTHENTICATE", [mech, rest @ ..]) if rest.len() <= 1 => {
            let initial = rest.first().map(|&ir| match ir {
                "=" => InitialResponse::Data(Vec::new()),
                b64 => match base64_decode(b64.as_bytes()) {
                    Some(v) => InitialResponse::Data(v),
                    None => InitialResponse::InvalidBase64,
                },
            });
            Command::Authenticate { mech, initial }
        }
        ("AUTHENTICATE", _) => return Err(ProtoError::AuthenticateSyntax { tag }),
        _ => return Err(ProtoError::Unknown { tag }),
    };
    Ok(Request { tag, command })
}

/// An AUTHENTICATE continuation line (RFC 3501 6.2.2): base64, or `*` to cancel.
///
/// # Errors
/// The tagged reply text: cancelled, or invalid base64.
pub(crate) fn parse_auth_line(line: &[u8]) -> Result<Vec<u8>, &'static str> {
    if line == b"*" {
        return Err("BAD authentication cancelled");
    }
    base64_decode(line).ok_or("BAD invalid base64")
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// RFC 4648 4 base64 with padding.
pub(crate) fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = (n >> (18 - 6 * i)) & 63;
                out.push(char::from(B64.get(idx as usize).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Strict RFC 4648 4 base64 with padding; `None` for anything else.
pub(crate) fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 != 0 {
        return None;
    }
    let value = |c: u8| {
        B64.iter()
            .position(|&x| x == c)
            .and_then(|p| u32::try_from(p).ok())
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let quads = text.len() / 4;
    for (q, chunk) in text.chunks(4).enumerate() {
        let last = q + 1 == quads;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = if i >= 4 - pad { 0 } else { value(c)? };
            n = n << 6 | v;
        }
        // RFC 4648 3.5: the bits below the last whole octet must be zero, so a
        // response has one encoding.
        if n & (0x00ff_ffff >> (8 * (3 - pad))) != 0 {
            return None;
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(bytes.get(1..4 - pad)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_rejects_junk() {
        for len in 0..10 {
            let data: Vec<u8> = (0..len)
                .map(|i| u8::try_from((i * 37 + 200) % 256).unwrap())
                .collect();
            assert_eq!(
                base64_decode(base64_encode(&data).as_bytes()).unwrap(),
                data
            );
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        for bad in [
            &b"Zm9"[..],
            b"Zm=v",
            b"Z===",
            b"Zm8=Zm8=",
            b"Zm9v\r\n",
            b"Zm9-",
            // Non-zero unused bits: second encodings of "fo" and "f".
            b"Zm9=",
            b"Zn==",
        ] {
            assert!(base64_decode(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn parses_commands_and_initial_responses() {
        let r = parse_command(b"a1 authenticate gssapi Zm8=").unwrap();
        assert_eq!(r.tag, "a1");
        assert_eq!(
            r.command,
            Command::Authenticate {
                mech: "gssapi",
                initial: Some(InitialResponse::Data(b"fo".to_vec()))
            }
        );
        let r = parse_command(b"a2 AUTHENTICATE GSSAPI =").unwrap();
        assert!(matches!(
            r.command,
            Command::Authenticate { initial: Some(InitialResponse::Data(ref d)), .. } if d.is_empty()
        ));
        let r = parse_command(b"a3 AUTHENTICATE GSSAPI Zm9").unwrap();
        assert!(matches!(
            r.command,
            Command::Authenticate {
                initial: Some(InitialResponse::InvalidBase64),
                ..
            }
        ));
        assert_eq!(parse_command(b"x NoOp").unwrap().command, Command::Noop);
        assert_eq!(
            parse_command(b"x LOGIN a b").unwrap().command,
            Command::Login
        );
        assert_eq!(parse_command(b"\xff NOOP"), Err(ProtoError::NotUtf8));
        assert_eq!(parse_command(b"a+ NOOP"), Err(ProtoError::BadTag));
        assert_eq!(parse_command(b" NOOP"), Err(ProtoError::BadTag));
        assert_eq!(
            parse_command(b"t AUTHENTICATE"),
            Err(ProtoError::AuthenticateSyntax { tag: "t" })
        );
        assert_eq!(
            parse_command(b"t AUTHENTICATE a b c"),
            Err(ProtoError::AuthenticateSyntax { tag: "t" })
        );
        assert_eq!(
            parse_command(b"t NOOP x"),
            Err(ProtoError::Unknown { tag: "t" })
        );
        assert_eq!(parse_auth_line(b"*"), Err("BAD authentication cancelled"));
        assert_eq!(parse_auth_line(b""), Ok(Vec::new()));
    }

    #[test]
    fn line_buffer_bounds_lines() {
        let mut lb = LineBuffer::default();
        assert_eq!(lb.next_line(4), NextLine::NeedMore);
        lb.push(b"ab\r\ncdef\nxyz");
        assert_eq!(lb.next_line(4), NextLine::Line(b"ab".to_vec()));
        assert_eq!(lb.next_line(4), NextLine::Line(b"cdef".to_vec()));
        assert_eq!(lb.next_line(4), NextLine::NeedMore);
        // An over-long line is dropped as it arrives and reported at its end.
        lb.push(b"123456");
        assert_eq!(lb.next_line(4), NextLine::NeedMore);
        lb.push(b"789");
        assert_eq!(lb.next_line(4), NextLine::NeedMore);
        lb.push(b"0\nok\n");
        assert_eq!(lb.next_line(4), NextLine::TooLong);
        assert_eq!(lb.next_line(4), NextLine::Line(b"ok".to_vec()));
        lb.push(b"abcde\r\n");
        assert_eq!(lb.next_line(4), NextLine::TooLong);
        lb.push(b"rest");
        assert_eq!(lb.take_buffered(), b"rest");
    }
}
