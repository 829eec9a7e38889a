//! `kerbgate serve --http` without a KDC: the hand-built SPNEGO variants of
//! testdata/spnego/hand-built.txt (around a captured MIT token, replayed with a wide
//! skew) show that a second leg continues on the same connection only, and that
//! oversized or hostile headers get a 4xx while the server keeps serving.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests may unwrap"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kerbgate::negotiate;
use kerbgate::spnego::token::parse_negotiation_token;
use kerbgate::spnego::{NegState, NegotiationToken};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn start() -> Server {
    let keytab = testdata().join("captured/mit-1.20/imap-aes256-cts-hmac-sha1-96.keytab");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kerbgate"))
        .args([
            "serve",
            "--http",
            "127.0.0.1:0",
            "--skew",
            "400000000",
            "--keytab",
        ])
        .arg(keytab)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap();
    Server {
        child,
        port: port.parse().unwrap(),
    }
}

fn hand_built(name: &str, key: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(testdata().join("spnego/hand-built.txt")).unwrap();
    let block = text
        .split("\n\n")
        .find(|b| b.contains(&format!("name = {name}\n")))
        .unwrap();
    let prefix = format!("{key} = ");
    hex::decode(block.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap()).unwrap()
}

/// One request on `conn` (kept alive); returns status, WWW-Authenticate, body.
fn request(conn: &mut TcpStream, auth: Option<&str>) -> (u16, Option<String>, String) {
    let mut req = "GET / HTTP/1.1\r\nHost: localhost\r\n".to_string();
    if let Some(a) = auth {
        req.push_str(&format!("Authorization: {a}\r\n"));
    }
    req.push_str("\r\n");
    conn.write_all(req.as_bytes()).unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let (mut www, mut len) = (None, 0usize);
    loop {
        let mut l = String::new();
        reader.read_line(&mut l).unwrap();
        let l = l.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').unwrap();
        match k.to_ascii_lowercase().as_str() {
            "www-authenticate" => www = Some(v.trim().to_string()),
            "content-length" => len = v.trim().parse().unwrap(),
            _ => {}
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    (status, www, String::from_utf8(body).unwrap())
}

fn connect(port: u16) -> TcpStream {
    let c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c
}

fn neg_state(www: &str) -> Option<NegState> {
    let token = negotiate::parse_authorization(www.as_bytes()).unwrap();
    match parse_negotiation_token(&token).unwrap() {
        NegotiationToken::Resp(r) => r.neg_state,
        other => panic!("{other:?}"),
    }
}

#[test]
fn second_leg_continues_on_the_same_connection_only() {
    let server = start();
    let leg1 = negotiate::www_authenticate(&hand_built("negoex-first", "token"));
    let leg2 = negotiate::www_authenticate(&hand_built("negoex-first", "leg2"));

    // A second leg on a connection with no negotiation pending is refused.
    let mut other = connect(server.port);
    let (status, _, body) = request(&mut other, Some(&leg2));
    assert_eq!(status, 400, "{body}");

    let mut conn = connect(server.port);
    let (status, www, _) = request(&mut conn, Some(&leg1));
    assert_eq!(status, 401);
    assert_eq!(neg_state(&www.unwrap()), Some(NegState::RequestMic));
    let (status, www, _) = request(&mut conn, Some(&leg2));
    assert_eq!(status, 401);
    // AP-REP and our mechListMIC; the client's MIC would come next.
    assert_eq!(neg_state(&www.unwrap()), Some(NegState::AcceptIncomplete));
}

#[test]
fn hostile_headers_get_4xx_and_the_server_keeps_serving() {
    let server = start();
    let mut conn = connect(server.port);
    let big = negotiate::www_authenticate(&vec![0x60; negotiate::MAX_TOKEN_LEN + 1]);
    let (status, _, _) = request(&mut conn, Some(&big));
    assert_eq!(status, 400);
    let mut conn = connect(server.port);
    let garbage = negotiate::www_authenticate(&[0x60, 0x84, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(request(&mut conn, Some(&garbage)).0, 400);
    assert_eq!(request(&mut conn, Some("Negotiate")).0, 400);
    assert_eq!(request(&mut conn, Some("Basic YTpi")).0, 401);
    let ntlm = negotiate::www_authenticate(&hand_built("ntlm-only", "token"));
    let (status, www, body) = request(&mut conn, Some(&ntlm));
    assert_eq!(status, 401);
    assert!(body.contains("only NTLM"), "{body}");
    assert_eq!(neg_state(&www.unwrap()), Some(NegState::Reject));
    // A single-leg login replayed from the capture still works afterwards.
    let ok = negotiate::www_authenticate(&hand_built("mskrb5-first", "token"));
    let (status, www, body) = request(&mut connect(server.port), Some(&ok));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.trim(), "authenticated as alice@KERBGATE.TEST");
    assert_eq!(neg_state(&www.unwrap()), Some(NegState::AcceptCompleted));
}
