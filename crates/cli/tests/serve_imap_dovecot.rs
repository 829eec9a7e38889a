//! Dovecot as the reference: the same clients against `kerbgate serve --imap` and real
//! Dovecot (Debian's dovecot-imapd and dovecot-gssapi) with the same keytab, both with
//! `$ALL` acceptor principals and the same k5principals mapping, in one throwaway MIT
//! realm on 127.0.0.1. Each case asserts the same decision and logged-in user from
//! both, or the documented deliberate difference (README, "Compared with Dovecot").
//!
//! Live-test policy: when MIT tools or Dovecot are missing or cannot start, the test
//! fails if `CI` is set and otherwise prints `skipped: <reason>`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests may unwrap"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use kerbgate_interop::{
    live, Dovecot, DovecotOptions, DovecotUser, ImapClient, KerbgateImap, KeytabMode, Mech,
    MitRealm, PrincipalKey, RealmOptions, Rfc4752Login,
};

const PASSWORD: &str = "user-Passw0rd";
const SERVICE: &str = "imap/mail.kerbgate.test";
const TARGET: &str = "imap@mail.kerbgate.test";
/// In the KDC but not in the keytab.
const OTHER_TARGET: &str = "imap@other.kerbgate.test";

struct Setup {
    realm: MitRealm,
    keytab: PathBuf,
    k5: PathBuf,
    alice: PathBuf,
    bob: PathBuf,
}

fn setup() -> Option<Setup> {
    let realm = live(MitRealm::start(RealmOptions::default()))?;
    for user in ["alice", "bob"] {
        realm
            .add_principal(user, PrincipalKey::Password(PASSWORD), &[])
            .unwrap();
    }
    for svc in [SERVICE, "imap/localhost", "imap/other.kerbgate.test"] {
        realm.add_principal(svc, PrincipalKey::Random, &[]).unwrap();
    }
    let keytab = realm.dir().join("imap.keytab");
    realm
        .export_keytab(&[SERVICE, "imap/localhost"], &keytab, KeytabMode::Replace)
        .unwrap();
    let alice = realm.dir().join("alice.cc");
    let bob = realm.dir().join("bob.cc");
    realm.kinit("alice", PASSWORD, &alice, false).unwrap();
    realm.kinit("bob", PASSWORD, &bob, false).unwrap();
    let k5 = realm.dir().join("k5principals.txt");
    let shared = format!("shared: {}\n", realm.principal("alice"));
    std::fs::write(&k5, shared).unwrap();
    Some(Setup {
        realm,
        keytab,
        k5,
        alice,
        bob,
    })
}

fn dovecot(s: &Setup) -> Option<Dovecot> {
    let opts = DovecotOptions::new(&s.keytab)
        .user(DovecotUser::new("alice"))
        .user(DovecotUser::new("bob"))
        .user(DovecotUser::new("shared").k5principal(&s.realm.principal("alice")));
    live(Dovecot::start(&s.realm, &opts))
}

fn kerbgate(s: &Setup, extra: &[&str]) -> KerbgateImap {
    let mut args = vec!["--hostname", "$ALL", "--k5principals"];
    args.push(s.k5.to_str().unwrap());
    args.extend_from_slice(extra);
    let bin = Path::new(env!("CARGO_BIN_EXE_kerbgate"));
    KerbgateImap::start(bin, &s.realm, &s.keytab, &args, None).unwrap()
}

/// What a server decided: `Some(user)` for a login, `None` for a refusal; plus the
/// tagged line and the offer.
#[derive(Debug)]
struct Decision {
    user: Option<String>,
    tagged: String,
    offer: Option<Vec<u8>>,
}

enum Server<'a> {
    Kerbgate(&'a KerbgateImap),
    Dovecot(&'a Dovecot),
}

impl Server<'_> {
    fn port(&self) -> u16 {
        match self {
            Server::Kerbgate(k) => k.port(),
            Server::Dovecot(d) => d.port(),
        }
    }

    /// RFC 4752 3.1 offers: kerbgate's default (all layers, 65536); Dovecot's, no
    /// layer with a maximum size of 2^24 - 1 although it offers no layer.
    fn offer(&self) -> &'static [u8] {
        match self {
            Server::Kerbgate(_) => &[7, 1, 0, 0],
            Server::Dovecot(_) => &[1, 0xff, 0xff, 0xff],
        }
    }

    fn login(&self, realm: &MitRealm, ccache: &Path, how: &Rfc4752Login) -> Decision {
        let mut c = ImapClient::connect(realm, self.port(), ccache).unwrap();
        let out = c.authenticate(how).unwrap();
        let user = if !out.ok() {
            None
        } else {
            Some(match self {
                // "a1 OK [CAPABILITY IMAP4rev1] alice authenticated (none layer)"
                Server::Kerbgate(_) => {
                    let rest = out.tagged.split_once("] ").unwrap().1;
                    rest.split_once(" authenticated").unwrap().0.to_owned()
                }
                // Dovecot names the user only in its log.
                Server::Dovecot(d) => d
                    .logged_in_user(c.local_port().unwrap())
                    .unwrap_or_else(|| panic!("no login line for {out:?}: {}", d.log())),
            })
        };
        // Dovecot "accepts" a layer it never offered, then speaks in the clear: a
        // protected NOOP would fail, so only unprotected sessions go on.
        let broken = matches!(self, Server::Dovecot(_)) && how.layer != 1;
        if out.ok() && !broken {
            c.send("a2 NOOP").unwrap();
            assert!(c.line().unwrap().starts_with("a2 OK"));
        }
        Decision {
            user,
            tagged: out.tagged,
            offer: out.offer,
        }
    }
}

fn name(server: &Server<'_>) -> &'static str {
    match server {
        Server::Kerbgate(_) => "kerbgate",
        Server::Dovecot(_) => "dovecot",
    }
}

#[test]
fn same_decisions_as_dovecot_for_rfc4752_by_hand() {
    let Some(s) = setup() else { return };
    let Some(dove) = dovecot(&s) else { return };
    let ours = kerbgate(&s, &[]);
    let servers = [Server::Kerbgate(&ours), Server::Dovecot(&dove)];

    let login = |authzid: &[u8]| Rfc4752Login::new(TARGET).authzid(authzid);
    let full = s.realm.principal("alice");
    // (name, credentials, login, expected user or refusal)
    let cases: Vec<(&str, &Path, Rfc4752Login, Option<&str>)> = vec![
        ("no authzid", &s.alice, login(b""), Some("alice")),
        (
            "no authzid, no SASL-IR, no mutual",
            &s.alice,
            login(b"").initial_response(false).mutual(false),
            Some("alice"),
        ),
        ("own authzid", &s.alice, login(b"alice"), Some("alice")),
        (
            "own authzid, no SASL-IR",
            &s.alice,
            login(b"alice").initial_response(false),
            Some("alice"),
        ),
        (
            "own principal name as authzid",
            &s.alice,
            login(full.as_bytes()),
            Some("alice"),
        ),
        (
            "own authzid with one trailing NUL",
            &s.alice,
            login(b"alice\0"),
            Some("alice"),
        ),
        (
            "someone else's, allowed by k5principals",
            &s.alice,
            login(b"shared"),
            Some("shared"),
        ),
        (
            "someone else's, not in k5principals",
            &s.bob,
            login(b"shared"),
            None,
        ),
        ("someone else's, no list", &s.bob, login(b"alice"), None),
        ("own name in another case", &s.alice, login(b"ALICE"), None),
        (
            "authzid with a NUL inside",
            &s.alice,
            login(b"al\0ice"),
            None,
        ),
        ("authzid not UTF-8", &s.alice, login(b"al\xffice"), None),
        (
            "service principal not in the keytab",
            &s.alice,
            Rfc4752Login::new(OTHER_TARGET),
            None,
        ),
    ];
    for (i, (case, cc, how, want)) in cases.iter().enumerate() {
        for server in &servers {
            let who = name(server);
            let d = server.login(&s.realm, cc, how);
            assert_eq!(d.user.as_deref(), *want, "case {i} ({case}) {who}: {d:?}");
            if let Some(offer) = &d.offer {
                assert_eq!(offer, server.offer(), "case {i} ({case}) {who}");
            }
            if want.is_none() {
                assert!(
                    d.tagged.starts_with("a1 NO ["),
                    "case {i} ({case}) {who}: {d:?}"
                );
            }
        }
    }
}

/// The documented differences (README, "Compared with Dovecot"), each observed.
#[test]
fn deliberate_differences_from_dovecot() {
    let Some(s) = setup() else { return };
    let Some(dove) = dovecot(&s) else { return };
    let ours = kerbgate(&s, &[]);
    let none_only = kerbgate(&s, &["--security-layers", "none"]);
    let (kg, kg_none, dc) = (
        Server::Kerbgate(&ours),
        Server::Kerbgate(&none_only),
        Server::Dovecot(&dove),
    );

    // RFC 4752 3.1: with only "no layer" offered the maximum size is 0; Dovecot sends
    // 2^24 - 1 with its no-layer-only offer.
    let d = kg_none.login(&s.realm, &s.alice, &Rfc4752Login::new(TARGET));
    assert_eq!(d.offer.as_deref(), Some(&[1u8, 0, 0, 0][..]), "{d:?}");
    let d = dc.login(&s.realm, &s.alice, &Rfc4752Login::new(TARGET));
    assert_eq!(
        d.offer.as_deref(),
        Some(&[1u8, 0xff, 0xff, 0xff][..]),
        "{d:?}"
    );

    // Dovecot does not read the client's layer octet or size: a layer it never offered,
    // several layers, or a size with no layer all log in (without protection). kerbgate
    // refuses each (RFC 4752 3.1).
    for (layer, size) in [(2u8, 4096u32), (4, 4096), (3, 4096), (1, 5)] {
        let how = Rfc4752Login::new(TARGET).layer(layer, size);
        let d = kg_none.login(&s.realm, &s.alice, &how);
        assert!(
            d.user.is_none(),
            "kerbgate, layer {layer} size {size}: {d:?}"
        );
        assert!(
            d.tagged.starts_with("a1 NO [AUTHENTICATIONFAILED]"),
            "{d:?}"
        );
        let d = dc.login(
            &s.realm,
            &s.alice,
            &Rfc4752Login::new(TARGET).layer(layer, size),
        );
        assert_eq!(
            d.user.as_deref(),
            Some("alice"),
            "dovecot, layer {layer}: {d:?}"
        );
    }

    // Mechanisms: RFC 4752 is the Kerberos V5 mechanism. MIT under Dovecot also takes
    // SPNEGO (negotiating Kerberos) but refuses the Microsoft Kerberos OID; kerbgate
    // refuses SPNEGO here and takes the Microsoft OID as Kerberos V5.
    let spnego = Rfc4752Login::new(TARGET).mech(Mech::Spnego);
    let ms = Rfc4752Login::new(TARGET).mech(Mech::MsKrb5);
    assert_eq!(kg.login(&s.realm, &s.alice, &spnego).user, None);
    assert_eq!(
        dc.login(&s.realm, &s.alice, &spnego).user.as_deref(),
        Some("alice")
    );
    assert_eq!(
        kg.login(&s.realm, &s.alice, &ms).user.as_deref(),
        Some("alice")
    );
    assert_eq!(dc.login(&s.realm, &s.alice, &ms).user, None);

    // What a refused client is told: Dovecot says AUTHENTICATIONFAILED for every
    // refusal; kerbgate says AUTHORIZATIONFAILED (RFC 5530) when the client asked for
    // another identity and was refused that one, AUTHENTICATIONFAILED otherwise.
    // Neither names the reason; the operator's log does.
    let other = Rfc4752Login::new(TARGET).authzid(b"alice");
    let d = kg.login(&s.realm, &s.bob, &other);
    assert_eq!(
        d.tagged,
        "a1 NO [AUTHORIZATIONFAILED] Authorization failed."
    );
    let d = dc.login(&s.realm, &s.bob, &other);
    assert_eq!(
        d.tagged,
        "a1 NO [AUTHENTICATIONFAILED] Authentication failed."
    );
    let not_us = Rfc4752Login::new(OTHER_TARGET);
    for server in [&kg, &dc] {
        let d = server.login(&s.realm, &s.alice, &not_us);
        assert_eq!(
            d.tagged,
            "a1 NO [AUTHENTICATIONFAILED] Authentication failed.",
            "{}",
            name(server)
        );
    }
}

#[test]
fn curl_gets_the_same_user_from_both() {
    let Some(s) = setup() else { return };
    let Some(dove) = dovecot(&s) else { return };
    let ours = kerbgate(&s, &[]);
    for server in [Server::Kerbgate(&ours), Server::Dovecot(&dove)] {
        let port = server.port();
        let before = dove.logins().len();
        // --resolve keeps the service host name (for the imap/ principal) on 127.0.0.1.
        let url = format!("imap://mail.kerbgate.test:{port}/");
        let out = Command::new("curl")
            .args(["-sS", "-v", "--max-time", "30", "-u", ":"])
            .args(["--login-options", "AUTH=GSSAPI", "--noproxy", "*"])
            .args(["--resolve", &format!("mail.kerbgate.test:{port}:127.0.0.1")])
            .args(["-X", "NOOP", &url])
            .envs(s.realm.env())
            .env("KRB5CCNAME", format!("FILE:{}", s.alice.display()))
            .output()
            .expect("curl (Debian package curl)");
        let trace = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {trace}", name(&server));
        match server {
            Server::Kerbgate(_) => assert!(trace.contains("] alice authenticated"), "{trace}"),
            Server::Dovecot(d) => {
                let logins = d.logins();
                assert_eq!(logins.len(), before + 1, "{trace}");
                assert_eq!(logins.last().unwrap().0, "alice");
            }
        }
    }
}

/// Cyrus `imtest` names the server `imap@localhost`. With `-l 0` both servers log it in
/// without a layer; asked for up to integrity or confidentiality, it gets that layer
/// from kerbgate and none from Dovecot, which offers none (a documented difference).
#[test]
fn cyrus_imtest_against_both() {
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
    let Some(dove) = dovecot(&s) else { return };
    let ours = kerbgate(&s, &[]);
    for server in [Server::Kerbgate(&ours), Server::Dovecot(&dove)] {
        for (max, kerbgate_ssf) in [("0", "0"), ("1", "1"), ("256", "256")] {
            let text =
                kerbgate_interop::imtest_session(&s.realm, &s.alice, server.port(), max).unwrap();
            let who = name(&server);
            let ssf = match server {
                Server::Kerbgate(_) => kerbgate_ssf,
                Server::Dovecot(_) => "0",
            };
            assert!(text.contains("Authenticated."), "{who} -l {max}: {text}");
            assert!(
                text.contains(&format!("Security strength factor: {ssf}\n")),
                "{who} -l {max}: {text}"
            );
            assert!(
                text.contains("n1 OK NOOP completed"),
                "{who} -l {max}: {text}"
            );
            assert!(!text.contains("MITM"), "{who} -l {max}: {text}");
        }
    }
    let users: Vec<String> = dove.logins().into_iter().map(|(u, _)| u).collect();
    assert_eq!(users, ["alice", "alice", "alice"]);
}

/// `--lowercase-users` against `auth_username_format = %Ln` for a principal with capitals.
#[test]
fn lowercase_user_names_like_percent_ln() {
    let Some(s) = setup() else { return };
    s.realm
        .add_principal("Carol", PrincipalKey::Password(PASSWORD), &[])
        .unwrap();
    let carol = s.realm.dir().join("carol.cc");
    s.realm.kinit("Carol", PASSWORD, &carol, false).unwrap();
    let opts = DovecotOptions::new(&s.keytab)
        .username_format("%Ln")
        .user(DovecotUser::new("carol"));
    let Some(dove) = live(Dovecot::start(&s.realm, &opts)) else {
        return;
    };
    let ours = kerbgate(&s, &["--lowercase-users"]);
    let login = |authzid: &[u8]| Rfc4752Login::new(TARGET).authzid(authzid);
    // (authzid, kerbgate's user, Dovecot's user)
    let cases: [(&[u8], Option<&str>, Option<&str>); 3] = [
        (b"", Some("carol"), Some("carol")),
        (b"Carol", Some("carol"), Some("carol")),
        // Dovecot compares the authzid with the principal as Kerberos names before
        // lower-casing; kerbgate compares the normalised names.
        (b"carol", Some("carol"), None),
    ];
    for (i, (authzid, ours_want, dove_want)) in cases.into_iter().enumerate() {
        for (server, want) in [
            (Server::Kerbgate(&ours), ours_want),
            (Server::Dovecot(&dove), dove_want),
        ] {
            let d = server.login(&s.realm, &carol, &login(authzid));
            assert_eq!(d.user.as_deref(), want, "case {i} {}: {d:?}", name(&server));
        }
    }
}
