//! `kerbgate serve --imap` against MIT's GSS-API (python3-gssapi through the interop
//! Initiator driver) in a throwaway realm on 127.0.0.1, the client doing RFC 4752 by
//! hand over the IMAP socket: every security layer, SASL-IR on and off, mutual
//! authentication on and off, authzid empty, self and someone else's (refused unless
//! the k5principals file allows it), a layer not offered, and the protected session
//! after a layer (RFC 3501 6.2.2). The server keeps serving after each refusal.
//!
//! Live-test policy: without MIT tools the test fails when `CI` is set and otherwise
//! prints `skipped: <reason>`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "integration tests may unwrap"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kerbgate_interop::{
    live, GssFlag, InitRequest, Initiator, KeytabMode, MitRealm, PrincipalKey, RealmOptions,
};

const PASSWORD: &str = "user-Passw0rd";
const SERVICE: &str = "imap/mail.kerbgate.test";
const TARGET: &str = "imap@mail.kerbgate.test";

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

fn start_server(realm: &MitRealm, keytab: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kerbgate"))
        .args(["serve", "--imap", "127.0.0.1:0"])
        .args(if extra.contains(&"--hostname") {
            &[][..]
        } else {
            &["--hostname", "mail.kerbgate.test"][..]
        })
        .arg("--keytab")
        .arg(keytab)
        .args(extra)
        .envs(realm.env())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    Server { child, port }
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
            let v = B64.iter().position(|&x| x == c).unwrap_or(0) as u32;
            n = (n << 6) | v;
        }
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    out
}

/// An IMAP client whose GSS side is MIT's.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    init: Initiator,
    /// Whether a security layer protects the session (and with confidentiality).
    layer: Option<bool>,
}

impl Client {
    fn connect(realm: &MitRealm, port: u16, ccache: &Path) -> Option<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let init = live(Initiator::spawn(realm, ccache))?;
        let mut c = Self {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            init,
            layer: None,
        };
        let greeting = c.line();
        assert!(
            greeting.starts_with("* OK [CAPABILITY IMAP4rev1 AUTH=GSSAPI SASL-IR]"),
            "{greeting}"
        );
        Some(c)
    }

    fn send(&mut self, line: &str) {
        let data = format!("{line}\r\n");
        match self.layer {
            None => self.writer.write_all(data.as_bytes()).unwrap(),
            Some(conf) => {
                let (tok, _) = self.init.driver().wrap(data.as_bytes(), conf).unwrap();
                let mut framed = (tok.len() as u32).to_be_bytes().to_vec();
                framed.extend_from_slice(&tok);
                self.writer.write_all(&framed).unwrap();
            }
        }
    }

    /// One response line (protected ones are one frame per line or more lines per frame;
    /// the server writes each response line as its own frame).
    fn line(&mut self) -> String {
        match self.layer {
            None => {
                let mut l = String::new();
                self.reader.read_line(&mut l).unwrap();
                l.trim_end().to_owned()
            }
            Some(conf) => {
                let mut len = [0u8; 4];
                self.reader.read_exact(&mut len).unwrap();
                let mut tok = vec![0u8; u32::from_be_bytes(len) as usize];
                self.reader.read_exact(&mut tok).unwrap();
                let (data, was_conf) = self.init.driver().unwrap(&tok).unwrap();
                assert_eq!(was_conf, conf);
                String::from_utf8(data).unwrap().trim_end().to_owned()
            }
        }
    }

    fn challenge(&mut self) -> Vec<u8> {
        let l = self.line();
        let rest = l
            .strip_prefix('+')
            .unwrap_or_else(|| panic!("expected '+', got {l}"));
        unb64(rest.trim())
    }

    /// RFC 4752 by hand; returns the tagged reply and the server's offer.
    fn login(&mut self, ir: bool, mutual: bool, layer: u8, authzid: &str) -> (String, Vec<u8>) {
        let mut flags = vec![GssFlag::Conf, GssFlag::Integ, GssFlag::Sequence];
        if mutual {
            flags.push(GssFlag::Mutual);
        }
        let first = self
            .init
            .init(&InitRequest::new(TARGET).flags(&flags))
            .unwrap();
        let token = b64(&first.token.unwrap());
        if ir {
            self.send(&format!("a1 AUTHENTICATE GSSAPI {token}"));
        } else {
            self.send("a1 AUTHENTICATE GSSAPI");
            assert!(self.challenge().is_empty());
            self.send(&token);
        }
        let mut offer = self.challenge();
        if mutual {
            assert!(
                self.init.step(&offer).unwrap().complete,
                "MIT took our AP-REP"
            );
            self.send("");
            offer = self.challenge();
        }
        let (offer, conf) = self.init.driver().unwrap(&offer).unwrap();
        assert!(!conf, "RFC 4752 3.1: offer not encrypted");
        let size: u32 = if layer == 1 { 0 } else { 8192 };
        let mut reply = vec![layer];
        reply.extend_from_slice(&size.to_be_bytes()[1..]);
        reply.extend_from_slice(authzid.as_bytes());
        let (tok, _) = self.init.driver().wrap(&reply, false).unwrap();
        self.send(&b64(&tok));
        let tagged = self.line();
        if tagged.starts_with("a1 OK") && layer != 1 {
            self.layer = Some(layer == 4);
        }
        (tagged, offer)
    }

    fn noop_and_logout(&mut self) {
        self.send("a2 NOOP");
        assert_eq!(self.line(), "a2 OK NOOP completed");
        self.send("a3 CAPABILITY");
        assert_eq!(self.line(), "* CAPABILITY IMAP4rev1 AUTH=GSSAPI SASL-IR");
        assert_eq!(self.line(), "a3 OK CAPABILITY completed");
        self.send("a4 LOGOUT");
        assert!(self.line().starts_with("* BYE"));
        assert_eq!(self.line(), "a4 OK LOGOUT completed");
    }
}

struct Setup {
    realm: MitRealm,
    keytab: PathBuf,
    alice: PathBuf,
    bob: PathBuf,
    k5: PathBuf,
}

fn setup() -> Option<Setup> {
    let realm = live(MitRealm::start(RealmOptions::default()))?;
    for user in ["alice", "bob"] {
        realm
            .add_principal(user, PrincipalKey::Password(PASSWORD), &[])
            .unwrap();
    }
    realm
        .add_principal(SERVICE, PrincipalKey::Random, &[])
        .unwrap();
    let keytab = realm.dir().join("imap.keytab");
    realm
        .export_keytab(&[SERVICE], &keytab, KeytabMode::Replace)
        .unwrap();
    let alice = realm.dir().join("alice.cc");
    let bob = realm.dir().join("bob.cc");
    realm.kinit("alice", PASSWORD, &alice, false).unwrap();
    realm.kinit("bob", PASSWORD, &bob, false).unwrap();
    let k5 = realm.dir().join("k5principals.txt");
    std::fs::write(
        &k5,
        format!(
            "# who may log in as whom\nshared: {}\n",
            realm.principal("alice")
        ),
    )
    .unwrap();
    Some(Setup {
        realm,
        keytab,
        alice,
        bob,
        k5,
    })
}

#[test]
fn rfc4752_over_imap_with_mit_initiator() {
    let Some(s) = setup() else { return };
    let server = start_server(
        &s.realm,
        &s.keytab,
        &["--k5principals", s.k5.to_str().unwrap()],
    );

    // Every layer, SASL-IR on and off, mutual on and off; authzid empty or self.
    for layer in [1u8, 2, 4] {
        for ir in [true, false] {
            for mutual in [true, false] {
                let what = format!("layer {layer} ir={ir} mutual={mutual}");
                let Some(mut c) = Client::connect(&s.realm, server.port, &s.alice) else {
                    return;
                };
                let authzid = if ir { "alice" } else { "" };
                let (tagged, offer) = c.login(ir, mutual, layer, authzid);
                assert_eq!(offer, [7, 1, 0, 0], "{what}");
                assert!(
                    tagged.starts_with("a1 OK") && tagged.contains(" alice authenticated"),
                    "{what}: {tagged}"
                );
                c.noop_and_logout();
            }
        }
    }

    // Someone else's authzid: refused for bob, allowed for alice by k5principals.
    let Some(mut c) = Client::connect(&s.realm, server.port, &s.bob) else {
        return;
    };
    let (tagged, _) = c.login(true, true, 1, "alice");
    assert!(tagged.starts_with("a1 NO"), "{tagged}");
    let Some(mut c) = Client::connect(&s.realm, server.port, &s.bob) else {
        return;
    };
    let (tagged, _) = c.login(false, false, 4, "shared");
    assert!(tagged.starts_with("a1 NO"), "{tagged}");
    let Some(mut c) = Client::connect(&s.realm, server.port, &s.alice) else {
        return;
    };
    let (tagged, _) = c.login(true, true, 4, "shared");
    assert!(tagged.contains(" shared authenticated"), "{tagged}");
    c.noop_and_logout();

    // Still serving bob as himself.
    let Some(mut c) = Client::connect(&s.realm, server.port, &s.bob) else {
        return;
    };
    let (tagged, _) = c.login(true, true, 2, "");
    assert!(tagged.contains(" bob authenticated"), "{tagged}");
    c.noop_and_logout();
}

#[test]
fn only_no_layer_offered_announces_zero_and_refuses_others() {
    let Some(s) = setup() else { return };
    let server = start_server(&s.realm, &s.keytab, &["--security-layers", "none"]);
    let Some(mut c) = Client::connect(&s.realm, server.port, &s.alice) else {
        return;
    };
    let (tagged, offer) = c.login(true, true, 4, "");
    assert_eq!(
        offer,
        [1, 0, 0, 0],
        "RFC 4752 3.1: size 0 with no layer only"
    );
    assert!(tagged.starts_with("a1 NO"), "{tagged}");
    c.send("a2 NOOP");
    assert_eq!(c.line(), "a2 OK NOOP completed");
    let Some(mut c) = Client::connect(&s.realm, server.port, &s.alice) else {
        return;
    };
    let (tagged, _) = c.login(false, true, 1, "alice");
    assert!(
        tagged.contains(" alice authenticated (none layer)"),
        "{tagged}"
    );
    c.noop_and_logout();
}

#[test]
fn curl_logs_in_with_auth_gssapi() {
    let Some(s) = setup() else { return };
    if Command::new("curl").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "curl missing with CI set");
        eprintln!("skipped: curl not installed");
        return;
    }
    let server = start_server(&s.realm, &s.keytab, &[]);
    // --resolve keeps the service host name (for the imap/ principal) on 127.0.0.1.
    let url = format!("imap://mail.kerbgate.test:{}/", server.port);
    let out = Command::new("curl")
        .args([
            "-sS",
            "-v",
            "--max-time",
            "30",
            "-u",
            ":",
            "--login-options",
            "AUTH=GSSAPI",
        ])
        .args([
            "--resolve",
            &format!("mail.kerbgate.test:{}:127.0.0.1", server.port),
        ])
        .args(["--noproxy", "*", "-X", "NOOP", &url])
        .envs(s.realm.env())
        .env("KRB5CCNAME", format!("FILE:{}", s.alice.display()))
        .output()
        .unwrap();
    let trace = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "curl failed: {trace}");
    assert!(trace.contains("AUTHENTICATE GSSAPI"), "{trace}");
    assert!(
        trace.contains("OK [CAPABILITY IMAP4rev1 AUTH=GSSAPI SASL-IR] alice authenticated"),
        "{trace}"
    );
}

/// Cyrus `imtest` (Cyrus SASL's GSSAPI plug-in over MIT) with each `-l` security layer
/// maximum; it names the server `imap@localhost`.
#[test]
fn cyrus_imtest_logs_in_with_each_layer() {
    let imtest = Path::new("/usr/lib/cyrus/bin/imtest");
    if !imtest.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "cyrus imtest missing with CI set (apt-get install cyrus-clients)"
        );
        eprintln!("skipped: cyrus imtest not installed (apt-get install cyrus-clients)");
        return;
    }
    let Some(s) = setup() else { return };
    s.realm
        .add_principal("imap/localhost", PrincipalKey::Random, &[])
        .unwrap();
    let keytab = s.realm.dir().join("localhost.keytab");
    s.realm
        .export_keytab(&["imap/localhost"], &keytab, KeytabMode::Replace)
        .unwrap();
    let server = start_server(&s.realm, &keytab, &["--hostname", "localhost"]);
    for (ssf, layer) in [
        ("0", "none"),
        ("1", "integrity"),
        ("256", "confidentiality"),
    ] {
        let mut child = Command::new(imtest)
            .args([
                "-m", "GSSAPI", "-u", "alice", "-a", "alice", "-l", ssf, "-p",
            ])
            .arg(server.port.to_string())
            .arg("localhost")
            .envs(s.realm.env())
            .env("KRB5CCNAME", format!("FILE:{}", s.alice.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"n1 NOOP\r\nn2 LOGOUT\r\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains(&format!("alice authenticated ({layer} layer)")),
            "-l {ssf}: {text}"
        );
        assert!(text.contains("n1 OK NOOP completed"), "-l {ssf}: {text}");
        // The AUTH= list is the same after the layer as before (no downgrade warning).
        assert!(!text.contains("MITM"), "-l {ssf}: {text}");
    }
}
