//! The IMAP front end's request parsing (`kerbgate serve --imap`), without sockets:
//! crates/cli/src/imap_proto.rs is included by path, so this target links neither the
//! CLI's clap/tokio/hyper nor the acceptor. The input is a byte stream cut into reads;
//! every line goes through the command parser, and AUTHENTICATE continuation lines
//! through the base64 reader, as serve_imap.rs does. Checked: no panics, lines never
//! exceed their bound, the buffer stays bounded, base64 round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/cli/src/imap_proto.rs"]
#[allow(dead_code)]
mod imap_proto;

use imap_proto::{
    base64_decode, base64_encode, parse_auth_line, parse_command, Command, InitialResponse,
    LineBuffer, NextLine, MAX_AUTH_LINE, MAX_LINE,
};

fuzz_target!(|data: &[u8]| {
    // The first byte sets the read size (1..=256 bytes); a small line bound makes the
    // over-long paths reachable with small inputs, the real ones apply half the time.
    let Some((&ctl, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(ctl & 0x7f) * 2 + 1;
    let (max_cmd, max_auth) = if ctl & 0x80 != 0 {
        (MAX_LINE, MAX_AUTH_LINE)
    } else {
        (40, 120)
    };

    let mut lines = LineBuffer::default();
    let mut in_auth = false;
    for piece in stream.chunks(chunk) {
        lines.push(piece);
        loop {
            let max = if in_auth { max_auth } else { max_cmd };
            let line = match lines.next_line(max) {
                NextLine::NeedMore => break,
                NextLine::TooLong => {
                    in_auth = false;
                    continue;
                }
                NextLine::Line(l) => l,
            };
            assert!(line.len() <= max, "line over its bound");
            assert!(!line.contains(&b'\n'));
            if in_auth {
                match parse_auth_line(&line) {
                    Ok(bytes) => assert_eq!(bytes.len(), decoded_len(&line)),
                    Err(_) => in_auth = false,
                }
                continue;
            }
            match parse_command(&line) {
                Ok(req) => {
                    assert!(!req.tag.is_empty() && !req.tag.contains(' '));
                    if let Command::Authenticate { mech, initial } = req.command {
                        assert!(!mech.contains(' '));
                        match initial {
                            None => in_auth = true,
                            Some(InitialResponse::Data(d)) => {
                                assert!(d.len() <= line.len());
                                in_auth = true;
                            }
                            Some(InitialResponse::InvalidBase64) => {}
                        }
                    }
                }
                Err(e) => {
                    let reply = e.reply();
                    assert!(reply.ends_with("\r\n") && reply.len() <= line.len() + 64);
                }
            }
        }
    }
    // Unterminated input: at most one bound plus one read stays buffered.
    assert!(lines.take_buffered().len() <= max_auth.max(max_cmd) + chunk);

    // Whatever base64 decodes has the length its padding says, and encoding then
    // decoding gives the bytes back. (Non-zero trailing bits are accepted, RFC 4648 3.5
    // leaves that to the decoder, so text does not always round-trip.)
    if let Some(bytes) = base64_decode(stream) {
        assert_eq!(bytes.len(), decoded_len(stream));
        assert_eq!(base64_decode(base64_encode(&bytes).as_bytes()), Some(bytes));
    }
});

fn decoded_len(b64: &[u8]) -> usize {
    let pad = b64.iter().rev().take_while(|&&c| c == b'=').count();
    b64.len() / 4 * 3 - pad
}
