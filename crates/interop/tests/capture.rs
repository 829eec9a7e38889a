//! Regenerates `testdata/captured/mit-1.20/`: real MIT krb5 initiator tokens
//! with the keytabs that accept them.
//!
//! `cargo test -p kerbgate-interop --test capture -- --ignored`
//!
//! Every captured token is also accepted by MIT's own acceptor before it is
//! written, so the files only ever hold tokens a real peer accepts. Tokens
//! are valid around `captured_at` only; tests replay them with a fixed clock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration test; helpers are not #[test] fns"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use kerbgate_interop::{
    enctypes, live, ChannelBindings, GssFlag, InitRequest, Initiator, KeytabMode, Mech,
    MitAcceptor, MitRealm, PrincipalKey, RealmOptions,
};

const CLIENT: &str = "alice";
const CLIENT_PASSWORD: &str = "alice-Passw0rd";
const IMAP: &str = "imap/mail.kerbgate.test";
const IMAP_TARGET: &str = "imap@mail.kerbgate.test";
const HTTP: &str = "HTTP/mail.kerbgate.test";
const HTTP_TARGET: &str = "HTTP@mail.kerbgate.test";
const AES256: &str = "aes256-cts-hmac-sha1-96";
/// Data wrapped and MIC'd in the non-mutual cases (initiator context is
/// complete after one token, so its per-message tokens use the initiator's
/// authenticator subkey, which an acceptor learns from the AP-REQ).
const MESSAGE: &[u8] = b"kerbgate captured message";

fn out_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured/mit-1.20")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn dpkg_version(package: &str) -> String {
    let out = std::process::Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", package])
        .output()
        .expect("dpkg-query");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// One captured token and its inputs.
struct Case {
    name: String,
    keytab: String,
    service: &'static str,
    target: &'static str,
    req: InitRequest,
    forwardable: bool,
    /// Expected (ticket, session) enctypes, checked against klist.
    expect: Option<(i32, i32)>,
}

impl Case {
    fn new(name: &str, keytab: &str, flags: &[GssFlag]) -> Self {
        Self {
            name: name.to_owned(),
            keytab: keytab.to_owned(),
            service: IMAP,
            target: IMAP_TARGET,
            req: InitRequest::new(IMAP_TARGET).flags(flags),
            forwardable: false,
            expect: None,
        }
    }
}

struct Capture {
    realm: MitRealm,
    out: PathBuf,
    text: String,
    seq: u32,
}

impl Capture {
    /// Deletes (if present) and re-adds `name` with random keys of `enctypes`.
    fn fresh_service(&self, name: &str, enctypes: &[&str]) {
        let _ = self.realm.delete_principal(name);
        self.realm
            .add_principal(name, PrincipalKey::Random, enctypes)
            .unwrap();
    }

    fn export(&self, principals: &[&str], keytab: &str, mode: KeytabMode) {
        self.realm
            .export_keytab(principals, &self.out.join(keytab), mode)
            .unwrap();
    }

    /// A new ccache with fresh TGT for alice.
    fn login(&mut self, forwardable: bool) -> PathBuf {
        self.seq += 1;
        let cc = self.realm.dir().join(format!("alice-{}.cc", self.seq));
        self.realm
            .kinit(CLIENT, CLIENT_PASSWORD, &cc, forwardable)
            .unwrap();
        cc
    }

    /// Captures one token, checks MIT accepts it, and appends its block.
    fn capture(&mut self, case: &Case, ccache: &Path) {
        let mut init = Initiator::spawn(&self.realm, ccache).unwrap();
        let captured_at = now();
        let first = init.init(&case.req).unwrap();
        let token = first.token.clone().unwrap();
        let mutual = case.req.flags.contains(&GssFlag::Mutual);
        assert_eq!(first.complete, !mutual, "{}: completion", case.name);

        let service = self.realm.principal(case.service);
        let kt = self.realm.ticket_enctypes(&service, ccache).unwrap();
        if let Some((ticket, session)) = case.expect {
            assert_eq!((kt.ticket, kt.session), (ticket, session), "{}", case.name);
        }
        let kvno = self.realm.keys(case.service).unwrap();
        let kvno = kvno.iter().map(|(v, _)| *v).min().unwrap_or(0);

        // MIT's acceptor must accept exactly what we record.
        let mut acc = MitAcceptor::spawn(&self.realm, &self.out.join(&case.keytab)).unwrap();
        let accepted = acc
            .accept(&token, case.req.channel_bindings.as_ref())
            .unwrap_or_else(|e| panic!("{}: mit acceptor refused: {e}", case.name));
        assert!(accepted.complete, "{}", case.name);
        let deleg = case.req.flags.contains(&GssFlag::Deleg);
        assert_eq!(accepted.delegated, deleg, "{}: delegation", case.name);

        let mut block = String::new();
        let w = &mut block;
        writeln!(w, "name = {}", case.name).unwrap();
        writeln!(w, "keytab = {}", case.keytab).unwrap();
        writeln!(w, "captured_at = {captured_at}").unwrap();
        writeln!(w, "service = {service}").unwrap();
        writeln!(w, "target = {}", case.target).unwrap();
        writeln!(w, "client = {}", self.realm.principal(CLIENT)).unwrap();
        writeln!(w, "mech = {}", case.req.mech.oid()).unwrap();
        writeln!(w, "flags = {}", case.req.flag_list()).unwrap();
        writeln!(w, "channel_bindings = {}", cb_text(case)).unwrap();
        writeln!(w, "forwardable_tgt = {}", case.forwardable).unwrap();
        writeln!(w, "ticket_enctype = {}", kt.ticket).unwrap();
        writeln!(w, "session_enctype = {}", kt.session).unwrap();
        writeln!(w, "kvno = {kvno}").unwrap();
        writeln!(w, "token = {}", hex::encode(&token)).unwrap();

        if mutual {
            // MIT's AP-REP for this AP-REQ (it carries MIT's acceptor subkey,
            // so no per-message tokens are recorded for mutual cases).
            let ap_rep = accepted.token.unwrap();
            writeln!(w, "mit_ap_rep = {}", hex::encode(&ap_rep)).unwrap();
            assert!(init.step(&ap_rep).unwrap().complete, "{}", case.name);
        } else {
            let (wrap_conf, conf) = init.driver().wrap(MESSAGE, true).unwrap();
            assert!(conf);
            let (wrap_integ, conf) = init.driver().wrap(MESSAGE, false).unwrap();
            assert!(!conf);
            let mic = init.driver().get_mic(MESSAGE).unwrap();
            let d = acc.driver();
            assert_eq!(d.unwrap(&wrap_conf).unwrap(), (MESSAGE.to_vec(), true));
            assert_eq!(d.unwrap(&wrap_integ).unwrap(), (MESSAGE.to_vec(), false));
            d.verify_mic(MESSAGE, &mic).unwrap();
            writeln!(w, "message = {}", hex::encode(MESSAGE)).unwrap();
            writeln!(w, "wrap_conf = {}", hex::encode(&wrap_conf)).unwrap();
            writeln!(w, "wrap_integ = {}", hex::encode(&wrap_integ)).unwrap();
            writeln!(w, "mic = {}", hex::encode(&mic)).unwrap();
        }
        self.text.push('\n');
        self.text.push_str(&block);
        eprintln!("captured {}", case.name);
    }
}

fn cb_text(case: &Case) -> String {
    let Some(cb) = &case.req.channel_bindings else {
        return "none".to_owned();
    };
    let json = cb.to_json();
    let Some(map) = json.as_object() else {
        return "none".to_owned();
    };
    let order = [
        "initiator_address_type",
        "initiator_address",
        "acceptor_address_type",
        "acceptor_address",
        "application_data",
    ];
    order
        .iter()
        .filter_map(|k| {
            map.get(*k)
                .map(|v| format!("{k}:{}", v.to_string().trim_matches('"')))
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
#[ignore = "regenerates testdata/captured/mit-1.20; run with --ignored"]
fn capture_mit_tokens() {
    let Some(realm) = live(MitRealm::start(RealmOptions::default())) else {
        return;
    };
    let out = out_dir();
    std::fs::create_dir_all(&out).unwrap();
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "keytab") {
            std::fs::remove_file(path).unwrap();
        }
    }
    realm
        .add_principal(CLIENT, PrincipalKey::Password(CLIENT_PASSWORD), &[])
        .unwrap();
    let mut cap = Capture {
        realm,
        out: out.clone(),
        text: String::new(),
        seq: 0,
    };

    // Each enctype alone: service keytab with just that key; the KDC then
    // issues ticket and session key of that enctype.
    for (n, name) in enctypes::ALL {
        let keytab = format!("imap-{name}.keytab");
        cap.fresh_service(IMAP, &[name]);
        // MIT 1.20 assumes every service can take AES-SHA1 session keys;
        // session_enctypes pins the session key to the service's enctype.
        cap.realm
            .set_string(IMAP, "session_enctypes", name)
            .unwrap();
        cap.export(&[IMAP], &keytab, KeytabMode::Replace);
        let cc = cap.login(false);
        for (suffix, flags) in [
            ("mutual", &[GssFlag::Mutual][..]),
            ("nomutual", &[GssFlag::Integ][..]),
        ] {
            let mut case = Case::new(&format!("{name}-{suffix}"), &keytab, flags);
            case.expect = Some((*n, *n));
            cap.capture(&case, &cc);
        }
    }

    // Ticket and session key of different enctypes (MIT session_enctypes).
    for (ticket, session, label) in [
        (23, 18, "rc4-ticket-aes256-session"),
        (18, 19, "aes256-ticket-aes128-sha256-session"),
    ] {
        let keytab = format!("imap-{label}.keytab");
        cap.fresh_service(IMAP, &[enctypes::name(ticket).unwrap()]);
        let session_name = enctypes::name(session).unwrap();
        cap.realm
            .set_string(IMAP, "session_enctypes", session_name)
            .unwrap();
        cap.export(&[IMAP], &keytab, KeytabMode::Replace);
        let cc = cap.login(false);
        for (suffix, flags) in [
            ("mutual", &[GssFlag::Mutual][..]),
            ("nomutual", &[GssFlag::Integ][..]),
        ] {
            let mut case = Case::new(&format!("{label}-{suffix}"), &keytab, flags);
            case.expect = Some((ticket, session));
            cap.capture(&case, &cc);
        }
    }

    // The remaining cases share one aes256 service key.
    let keytab = "imap-aes256-features.keytab";
    cap.fresh_service(IMAP, &[AES256]);
    cap.export(&[IMAP], keytab, KeytabMode::Replace);
    let cc = cap.login(false);
    let all = [
        GssFlag::Mutual,
        GssFlag::Conf,
        GssFlag::Integ,
        GssFlag::Replay,
        GssFlag::Sequence,
    ];
    let mut case = Case::new("all-flags-mutual", keytab, &all);
    case.expect = Some((18, 18));
    cap.capture(&case, &cc);

    let mut case = Case::new("ms-oid-mutual", keytab, &[GssFlag::Mutual]);
    case.req = case.req.mech(Mech::MsKrb5);
    cap.capture(&case, &cc);
    let mut case = Case::new("ms-oid-nomutual", keytab, &[GssFlag::Integ]);
    case.req = case.req.mech(Mech::MsKrb5);
    cap.capture(&case, &cc);

    let mut case = Case::new("spnego-krb5-mutual", keytab, &[GssFlag::Mutual]);
    case.req = case.req.mech(Mech::Spnego);
    cap.capture(&case, &cc);

    let app = b"tls-server-end-point:kerbgate-test";
    let mut case = Case::new("cb-application-data-mutual", keytab, &[GssFlag::Mutual]);
    case.req = case
        .req
        .channel_bindings(ChannelBindings::with_application_data(app));
    cap.capture(&case, &cc);
    let mut case = Case::new("cb-addresses-nomutual", keytab, &[GssFlag::Integ]);
    let cb = ChannelBindings::default()
        .initiator_address(2, &[127, 0, 0, 1])
        .acceptor_address(2, &[127, 0, 0, 2]);
    case.req = case.req.channel_bindings(cb);
    cap.capture(&case, &cc);

    // Delegation needs a forwardable TGT.
    let cc_fwd = cap.login(true);
    for (suffix, flags) in [
        ("mutual", &[GssFlag::Mutual, GssFlag::Deleg][..]),
        ("nomutual", &[GssFlag::Deleg, GssFlag::Integ][..]),
    ] {
        let mut case = Case::new(&format!("delegation-{suffix}"), keytab, flags);
        case.forwardable = true;
        cap.capture(&case, &cc_fwd);
    }

    // Two kvnos: a ticket under kvno 1, then the key changes (kvno 2, old
    // key kept) and the keytab holds both.
    let keytab = "imap-two-kvnos.keytab";
    cap.fresh_service(IMAP, &[AES256]);
    let cc = cap.login(false);
    cap.realm.get_service_ticket(IMAP, &cc).unwrap();
    cap.realm
        .change_password(IMAP, PrincipalKey::Random, &[AES256], true)
        .unwrap();
    cap.export(&[IMAP], keytab, KeytabMode::Replace);
    assert_eq!(cap.realm.keys(IMAP).unwrap(), vec![(2, 18), (1, 18)]);
    let case = Case::new("old-kvno-mutual", keytab, &[GssFlag::Mutual]);
    cap.capture(&case, &cc);

    // A keytab with imap and HTTP keys; the token is for HTTP.
    let keytab = "imap-and-http.keytab";
    cap.fresh_service(IMAP, &[AES256]);
    cap.fresh_service(HTTP, &[AES256]);
    cap.export(&[IMAP, HTTP], keytab, KeytabMode::Replace);
    let cc = cap.login(false);
    let mut case = Case::new("http-service-mutual", keytab, &[GssFlag::Mutual]);
    case.service = HTTP;
    case.target = HTTP_TARGET;
    case.req = InitRequest::new(HTTP_TARGET).flags(&[GssFlag::Mutual]);
    case.expect = Some((18, 18));
    cap.capture(&case, &cc);

    let version = dpkg_version("krb5-kdc");
    let header = format!(
        "# GSS-API initial context tokens from a real MIT krb5 initiator\n\
         # (MIT krb5 {version}, Debian 12, python3-gssapi {}), each accepted by\n\
         # MIT's own acceptor with the named keytab before it was written.\n\
         # Framing RFC 2743 3.1, Kerberos RFC 4121 (RFC 4757 for enctype 23),\n\
         # SPNEGO RFC 4178, channel bindings RFC 4121 4.1.1.2.\n\
         # Valid only around captured_at (UNIX seconds); replay with a fixed clock.\n\
         # Enctypes are RFC 3961 numbers. flags = what the initiator requested.\n\
         # channel_bindings = none, or key:value pairs (addresses and data hex).\n\
         # Mutual cases add mit_ap_rep (MIT's answer, with MIT's acceptor subkey).\n\
         # Non-mutual cases add per-message tokens over `message`, made with the\n\
         # initiator's authenticator subkey, in order: wrap_conf, wrap_integ, mic.\n\
         # Regenerate: cargo test -p kerbgate-interop --test capture -- --ignored\n",
        dpkg_version("python3-gssapi")
    );
    std::fs::write(out.join("tokens.txt"), format!("{header}{}", cap.text)).unwrap();
    std::fs::write(out.join("README.md"), readme(&version)).unwrap();
}

fn readme(version: &str) -> String {
    format!(
        "# MIT krb5 {version} captures\n\n\
Tokens in `tokens.txt` come from a real MIT Kerberos initiator (Debian 12,\n\
packages krb5-kdc, krb5-admin-server, krb5-user and python3-gssapi, MIT krb5\n\
`{version}` as reported by `dpkg -l krb5-kdc`). They were made by\n\
\n\
    cargo test -p kerbgate-interop --test capture -- --ignored\n\
\n\
which does, in a throwaway realm `KERBGATE.TEST` whose KDC listens on\n\
127.0.0.1 only (crates/interop):\n\
\n\
- `kdb5_util create -s`, `krb5kdc -n`, every enctype permitted\n\
  (`allow_weak_crypto`, `allow_rc4`), DNS lookups off;\n\
- `kadmin.local addprinc -pw ... alice` (client `alice@KERBGATE.TEST`);\n\
- per case `kadmin.local addprinc -randkey -e <enctype>:normal\n\
  imap/mail.kerbgate.test` (and `setstr ... session_enctypes <enctype>` for\n\
  the mixed ticket/session cases), then `ktadd -k <file> -norandkey`, so the\n\
  keytab holds the very key the KDC used;\n\
- `kinit` (`-f` for the delegation cases), then `gss_init_sec_context` via\n\
  python3-gssapi (`crates/interop/scripts/initiator.py`) for\n\
  `imap@mail.kerbgate.test` with the flags, mechanism OID and channel\n\
  bindings recorded in each block;\n\
- each token is accepted by MIT's acceptor (`gss_accept_sec_context` with\n\
  `KRB5_KTNAME` set to the case's keytab) before it is written.\n\
\n\
Cases: each of enctypes 17, 18, 19, 20, 23, 25, 26 alone, with and without\n\
mutual authentication (non-mutual cases also carry wrap and MIC tokens);\n\
RC4 ticket with an AES256 session key and AES256-SHA1 ticket with an\n\
AES128-SHA256 session key; all flags; the Microsoft OID\n\
1.2.840.48018.1.2.2; SPNEGO; channel bindings with application data and\n\
with addresses; delegation (forwardable TGT, deleg flag); a keytab with\n\
kvnos 1 and 2 and a ticket under kvno 1 (`old-kvno-mutual`, key changed\n\
with `cpw -randkey -keepold`); and a keytab with both imap and\n\
`HTTP/mail.kerbgate.test` keys with a token for HTTP.\n\
\n\
The keys are random, from a realm that no longer exists; they protect\n\
nothing. Tokens verify only with a clock near `captured_at` (Kerberos\n\
allows 300 s of skew; tickets last one day), so replay tests use a fixed\n\
clock. Regenerating replaces every file here.\n"
    )
}
