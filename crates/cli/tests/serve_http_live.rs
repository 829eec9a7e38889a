//! `kerbgate serve --http` against real MIT clients in a throwaway realm on 127.0.0.1:
//! curl `--negotiate` (SPNEGO through MIT's libgssapi) and python3-gssapi with the
//! SPNEGO mechanism, which must complete mutual authentication on our final
//! `WWW-Authenticate` token. Also: no credentials, NTLM, garbage, and the server keeps
//! serving after each.
//!
//! Live-test policy: without MIT tools (or curl) the test fails when `CI` is set and
//! otherwise prints `skipped: <reason>`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests may unwrap"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kerbgate::negotiate;
use kerbgate_interop::{
    live, GssFlag, InitRequest, Initiator, KeytabMode, Mech, MitRealm, PrincipalKey, RealmOptions,
};

const CLIENT: &str = "alice";
const PASSWORD: &str = "alice-Passw0rd";
const HOST: &str = "www.kerbgate.test";
const SERVICE: &str = "HTTP/www.kerbgate.test";

/// The server process; dropping it kills exactly that child.
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

fn start_server(keytab: &Path) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kerbgate"));
    cmd.args([
        "serve",
        "--http",
        "127.0.0.1:0",
        "--service",
        "HTTP@www.kerbgate.test",
    ])
    .arg("--keytab")
    .arg(keytab);
    spawn_and_read_port(cmd)
}

/// The middleware example (cargo builds examples for `cargo test`).
fn start_example(keytab: &Path) -> Option<Server> {
    let bin = Path::new(env!("CARGO_BIN_EXE_kerbgate"))
        .parent()?
        .join("examples/negotiate_middleware");
    if !bin.exists() {
        eprintln!("skipped: example not built at {}", bin.display());
        return None;
    }
    let mut cmd = Command::new(bin);
    cmd.arg(format!("FILE:{}", keytab.display()))
        .arg("127.0.0.1:0");
    Some(spawn_and_read_port(cmd))
}

fn spawn_and_read_port(mut cmd: Command) -> Server {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
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
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Server { child, port }
}

fn realm() -> Option<(MitRealm, std::path::PathBuf, std::path::PathBuf)> {
    let realm = live(MitRealm::start(RealmOptions::default()))?;
    realm
        .add_principal(CLIENT, PrincipalKey::Password(PASSWORD), &[])
        .unwrap();
    realm
        .add_principal(SERVICE, PrincipalKey::Random, &[])
        .unwrap();
    let keytab = realm.dir().join("http.keytab");
    realm
        .export_keytab(&[SERVICE], &keytab, KeytabMode::Replace)
        .unwrap();
    let ccache = realm.dir().join("alice.cc");
    realm.kinit(CLIENT, PASSWORD, &ccache, false).unwrap();
    Some((realm, ccache, keytab))
}

/// One HTTP/1.1 request on a fresh connection; returns status, headers, body.
fn get(port: u16, authorization: Option<&str>) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("GET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n");
    if let Some(a) = authorization {
        req.push_str(&format!("Authorization: {a}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn python_login(realm: &MitRealm, ccache: &Path, port: u16, mutual: bool) -> Option<String> {
    let mut init = live(Initiator::spawn(realm, ccache))?;
    let flags: &[GssFlag] = if mutual {
        &[GssFlag::Mutual]
    } else {
        &[GssFlag::Integ]
    };
    let first = init
        .init(
            &InitRequest::new("HTTP@www.kerbgate.test")
                .mech(Mech::Spnego)
                .flags(flags),
        )
        .unwrap();
    let auth = negotiate::www_authenticate(&first.token.unwrap());
    let (status, headers, body) = get(port, Some(&auth));
    assert_eq!(status, 200, "{body}");
    // The final NegTokenResp completes MIT's SPNEGO context (with the AP-REP if mutual).
    let reply = header(&headers, "www-authenticate").expect("final Negotiate token");
    let token = negotiate::parse_authorization(reply.as_bytes()).unwrap();
    let step = init.step(&token).unwrap();
    assert!(
        step.complete,
        "MIT did not complete on our reply (mutual={mutual})"
    );
    assert_eq!(
        init.driver().info().unwrap().mech.as_deref(),
        Some("1.2.840.113554.1.2.2")
    );
    Some(body)
}

#[test]
fn serve_http_with_curl_and_python_gssapi() {
    let Some((realm, ccache, keytab)) = realm() else {
        return;
    };
    let server = start_server(&keytab);
    let port = server.port;

    // No credentials: 401 with a bare challenge.
    let (status, headers, _) = get(port, None);
    assert_eq!(status, 401);
    assert_eq!(header(&headers, "www-authenticate"), Some("Negotiate"));

    // python3-gssapi, SPNEGO, mutual and not.
    for mutual in [true, false] {
        let body = python_login(&realm, &ccache, port, mutual);
        if let Some(body) = body {
            assert_eq!(body.trim(), "authenticated as alice@KERBGATE.TEST");
        }
    }

    // NTLM and garbage get 4xx with a message; the server keeps serving.
    let ntlm = negotiate::www_authenticate(b"NTLMSSP\0\x01\0\0\0\x07\x82\x08\xa2");
    let (status, _, body) = get(port, Some(&ntlm));
    assert_eq!(status, 401);
    assert!(body.contains("only NTLM"), "{body}");
    let (status, _, body) = get(port, Some("Negotiate !!!"));
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = get(port, Some("Negotiate YWJjZA=="));
    assert_eq!(status, 400, "{body}");

    // curl --negotiate through MIT's libgssapi; the URL host names the service and
    // --resolve keeps the connection on 127.0.0.1.
    let curl = Command::new("curl")
        .args([
            "-sS",
            "--negotiate",
            "-u",
            ":",
            "--max-time",
            "30",
            "--resolve",
        ])
        .arg(format!("{HOST}:{port}:127.0.0.1"))
        .arg(format!("http://{HOST}:{port}/"))
        .envs(realm.env())
        .env("KRB5CCNAME", kerbgate_interop::ccache_name(&ccache))
        .output();
    let curl = match curl {
        Ok(o) => o,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: curl: {e}");
            return;
        }
        Err(e) => panic!("curl missing with CI set: {e}"),
    };
    let out = String::from_utf8_lossy(&curl.stdout);
    assert!(
        curl.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&curl.stderr)
    );
    assert_eq!(out.trim(), "authenticated as alice@KERBGATE.TEST");

    // Still serving.
    assert_eq!(get(port, None).0, 401);
}

#[test]
fn middleware_example_with_python_gssapi() {
    let Some((realm, ccache, keytab)) = realm() else {
        return;
    };
    let Some(server) = start_example(&keytab) else {
        return;
    };
    assert_eq!(get(server.port, None).0, 401);
    if let Some(body) = python_login(&realm, &ccache, server.port, true) {
        assert_eq!(body.trim(), "hello alice@KERBGATE.TEST, you asked for /");
    }
    let (status, _, body) = get(server.port, Some("Negotiate YWJjZA=="));
    assert_eq!(status, 400, "{body}");
}
