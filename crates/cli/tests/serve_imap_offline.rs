//! `kerbgate serve --imap` without a KDC: a testkit keytab and AP-REQ (judged with
//! `--now` at their fixed 2023 time), the client's per-message side played
//! by a local acceptor's initiator mirror. Hostile lines get BAD or NO and the same
//! connection, and the server, keep serving; then a full login with a confidentiality
//! layer completes on that connection.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "integration tests may unwrap"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use kerbgate::consts::gss_flags as f;
use kerbgate::{Acceptor, FixedClock};
use kerbgate_testkit::{AuthChecksum, GssChecksum, Scenario, FIXED_TIME};

struct Server {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(s: &Scenario) -> Server {
    let dir = std::env::temp_dir().join(format!("kerbgate-imap-offline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keytab = dir.join("imap.keytab");
    std::fs::write(&keytab, s.keytab_bytes().unwrap()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kerbgate"))
        .args(["-v", "serve", "--imap", "127.0.0.1:0", "--now"])
        .arg((FIXED_TIME.0 + 60).to_string())
        .args(["--hostname", "mail.example.com", "--keytab"])
        .arg(&keytab)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    Server { child, port, dir }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64(data: &[u8]) -> String {
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unb64(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for q in text.as_bytes().chunks(4) {
        let pad = q.iter().filter(|&&c| c == b'=').count();
        let mut n = 0u32;
        for &c in q {
            n = (n << 6) | B64.iter().position(|&x| x == c).unwrap_or(0) as u32;
        }
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    out
}

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open(port: u16) -> Self {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut c = Conn {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        };
        assert!(c
            .line()
            .starts_with("* OK [CAPABILITY IMAP4rev1 AUTH=GSSAPI SASL-IR]"));
        c
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }

    fn send(&mut self, line: &str) {
        self.raw(format!("{line}\r\n").as_bytes());
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.reader.read_line(&mut l).unwrap();
        l.trim_end().to_owned()
    }

    fn expect(&mut self, line: &str, prefix: &str) {
        self.send(line);
        let got = self.line();
        assert!(got.starts_with(prefix), "{line:.40}: got {got}");
    }
}

#[test]
fn hostile_input_gets_bad_or_no_then_login_works() {
    let s = Scenario::new().unwrap();
    let server = start(&s);
    let mut c = Conn::open(server.port);

    c.expect(&"x".repeat(20_000), "* BAD line too long");
    c.expect("", "* BAD missing or invalid tag");
    c.expect("* NOOP", "* BAD missing or invalid tag");
    c.expect("a1 FROB", "a1 BAD");
    c.expect("a1 NOOP extra", "a1 BAD");
    c.expect("a1 LOGIN alice secret", "a1 NO");
    c.expect("a1 AUTHENTICATE PLAIN", "a1 NO");
    c.expect("a1 AUTHENTICATE", "a1 BAD");
    c.expect("a1 AUTHENTICATE GSSAPI !!!!", "a1 BAD invalid base64");
    c.expect(
        "a1 AUTHENTICATE GSSAPI YWJj",
        "a1 NO [AUTHENTICATIONFAILED]",
    );
    c.raw(b"a1 \xff\xfe NOOP\r\n");
    assert!(c.line().starts_with("* BAD"));
    c.expect("a1 AUTHENTICATE GSSAPI", "+");
    c.expect("*", "a1 BAD authentication cancelled");
    c.expect("a1 AUTHENTICATE GSSAPI", "+");
    c.expect(&"A".repeat(200_000), "a1 BAD response line too long");
    c.expect("a1 AUTHENTICATE GSSAPI =", "+");
    c.expect("=", "a1 BAD invalid base64");
    c.expect("a2 NOOP", "a2 OK NOOP completed");

    // A whole login on the same connection, confidentiality layer.
    let flags = f::CONF | f::INTEG | f::SEQUENCE;
    let token = s
        .ap_req_builder()
        .seq_number(Some(9))
        .ap_options(0)
        .checksum(AuthChecksum::Gss(GssChecksum::with_flags(flags)))
        .build()
        .unwrap()
        .gss_token();
    let local = Acceptor::builder()
        .keytab(&s.kdc.keytab())
        .clock(Arc::new(FixedClock::at(FIXED_TIME.0 + 60)))
        .dangerous_disable_replay_cache()
        .build()
        .unwrap();
    let ctx = local.accept(&token).unwrap().context;
    let msgs = ctx.into_message_context(Arc::new(FixedClock::at(FIXED_TIME.0 + 60)));
    let mut mirror = msgs.initiator_mirror();

    c.send(&format!("a3 AUTHENTICATE GSSAPI {}", b64(&token)));
    let offer = c.line();
    let opened = mirror
        .unwrap(&unb64(
            offer
                .strip_prefix("+ ")
                .unwrap_or_else(|| panic!("{offer}")),
        ))
        .unwrap();
    assert_eq!(opened.data, [7, 1, 0, 0]);
    let reply = mirror
        .wrap(&[4, 0, 0x10, 0, b'a', b'l', b'i', b'c', b'e'], false)
        .unwrap();
    c.send(&b64(&reply));
    let ok = c.line();
    assert!(
        ok.starts_with("a3 OK") && ok.contains("alice authenticated"),
        "{ok}"
    );

    // Now every byte is framed and sealed both ways.
    let tok = mirror.wrap(b"a4 NOOP\r\n", true).unwrap();
    let mut framed = (tok.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(&tok);
    c.raw(&framed);
    let mut len = [0u8; 4];
    c.reader.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    c.reader.read_exact(&mut body).unwrap();
    let got = mirror.unwrap(&body).unwrap();
    assert!(got.conf);
    assert_eq!(got.data, b"a4 OK NOOP completed\r\n");

    // A frame over our maximum closes the connection; the server keeps serving others.
    c.raw(&0x0100_0000u32.to_be_bytes());
    let mut rest = Vec::new();
    let _ = c.reader.read_to_end(&mut rest);
    assert!(rest.is_empty());
    let mut d = Conn::open(server.port);
    d.expect(
        "b1 CAPABILITY",
        "* CAPABILITY IMAP4rev1 AUTH=GSSAPI SASL-IR",
    );
}
