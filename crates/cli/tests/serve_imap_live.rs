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

use std::path::{Path, PathBuf};
use std::process::Command;

use kerbgate_interop::{
    live, ImapClient, KerbgateImap, KeytabMode, MitRealm, PrincipalKey, RealmOptions, Rfc4752Login,
};

const PASSWORD: &str = "user-Passw0rd";
const SERVICE: &str = "imap/mail.kerbgate.test";
const TARGET: &str = "imap@mail.kerbgate.test";

fn start_server(realm: &MitRealm, keytab: &Path, extra: &[&str]) -> KerbgateImap {
    let mut args = Vec::new();
    if !extra.contains(&"--hostname") {
        args.extend_from_slice(&["--hostname", "mail.kerbgate.test"]);
    }
    args.extend_from_slice(extra);
    let bin = Path::new(env!("CARGO_BIN_EXE_kerbgate"));
    KerbgateImap::start(bin, realm, keytab, &args, None).unwrap()
}

/// An IMAP client whose GSS side is MIT's (the interop crate's, shared with the
/// Dovecot reference test).
struct Client(ImapClient);

impl Client {
    fn connect(realm: &MitRealm, port: u16, ccache: &Path) -> Option<Self> {
        let c = live(ImapClient::connect(realm, port, ccache))?;
        assert!(
            c.greeting()
                .starts_with("* OK [CAPABILITY IMAP4rev1 AUTH=GSSAPI SASL-IR]"),
            "{}",
            c.greeting()
        );
        Some(Self(c))
    }

    fn send(&mut self, line: &str) {
        self.0.send(line).unwrap();
    }

    /// One response line (under a layer, the server writes each line as its own frame).
    fn line(&mut self) -> String {
        self.0.line().unwrap()
    }

    /// RFC 4752 by hand; returns the tagged reply and the server's offer.
    fn login(&mut self, ir: bool, mutual: bool, layer: u8, authzid: &str) -> (String, Vec<u8>) {
        let size: u32 = if layer == 1 { 0 } else { 8192 };
        let how = Rfc4752Login::new(TARGET)
            .initial_response(ir)
            .mutual(mutual)
            .layer(layer, size)
            .authzid(authzid.as_bytes());
        let out = self.0.authenticate(&how).unwrap();
        // RFC 3501 6.2.2: no capability code in an OK that starts a layer.
        if out.ok() && layer != 1 {
            assert!(!out.tagged.contains("[CAPABILITY"), "{}", out.tagged);
        }
        (out.tagged, out.offer.unwrap_or_default())
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
                let Some(mut c) = Client::connect(&s.realm, server.port(), &s.alice) else {
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
    let Some(mut c) = Client::connect(&s.realm, server.port(), &s.bob) else {
        return;
    };
    let (tagged, _) = c.login(true, true, 1, "alice");
    assert!(tagged.starts_with("a1 NO"), "{tagged}");
    let Some(mut c) = Client::connect(&s.realm, server.port(), &s.bob) else {
        return;
    };
    let (tagged, _) = c.login(false, false, 4, "shared");
    assert!(tagged.starts_with("a1 NO"), "{tagged}");
    let Some(mut c) = Client::connect(&s.realm, server.port(), &s.alice) else {
        return;
    };
    let (tagged, _) = c.login(true, true, 4, "shared");
    assert!(tagged.contains(" shared authenticated"), "{tagged}");
    c.noop_and_logout();

    // Still serving bob as himself.
    let Some(mut c) = Client::connect(&s.realm, server.port(), &s.bob) else {
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
    let Some(mut c) = Client::connect(&s.realm, server.port(), &s.alice) else {
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
    let Some(mut c) = Client::connect(&s.realm, server.port(), &s.alice) else {
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
    let url = format!("imap://mail.kerbgate.test:{}/", server.port());
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
            &format!("mail.kerbgate.test:{}:127.0.0.1", server.port()),
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
    let imtest = Path::new(kerbgate_interop::IMTEST);
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
        let text =
            kerbgate_interop::imtest_session(&s.realm, &s.alice, server.port(), ssf).unwrap();
        assert!(
            text.contains(&format!("alice authenticated ({layer} layer)")),
            "-l {ssf}: {text}"
        );
        assert!(text.contains("n1 OK NOOP completed"), "-l {ssf}: {text}");
        // The AUTH= list is the same after the layer as before (no downgrade warning).
        assert!(!text.contains("MITM"), "-l {ssf}: {text}");
    }
}
