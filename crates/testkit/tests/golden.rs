//! The default scenario's output is pinned in `testdata/scenario-default.txt`
//! so that any change to the encoding (or to kerbgate-crypto's output for a
//! fixed confounder) is noticed. Regenerate with
//! `KERBGATE_TESTKIT_BLESS=1 cargo test -p kerbgate-testkit --test golden`
//! and review the diff.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use kerbgate_testkit::{ApReqOpts, Scenario};

const FILE: &str = "scenario-default.txt";

fn current() -> Vec<(&'static str, Vec<u8>)> {
    let s = Scenario::default();
    let a = s.ap_req(ApReqOpts::default()).unwrap();
    vec![
        ("keytab", s.keytab_bytes().unwrap()),
        ("service_key", s.service_key.expose_secret_bytes().to_vec()),
        (
            "session_key",
            s.ticket.session_key.expose_secret_bytes().to_vec(),
        ),
        ("ticket", s.ticket.der.clone()),
        ("authenticator", a.authenticator.clone()),
        ("ap_req", a.der.clone()),
        ("gss_token", a.gss_token()),
    ]
}

#[test]
fn default_scenario_output_is_pinned() {
    let now = current();
    if std::env::var_os("KERBGATE_TESTKIT_BLESS").is_some() {
        let mut text = String::from(
            "# kerbgate-testkit Scenario::default() and scenario.ap_req(ApReqOpts::default())\n\
             # RFC 4120 section 5 (Ticket, Authenticator, AP-REQ), RFC 4121 4.1 / RFC 2743 3.1\n\
             # (GSS token), MIT keytab format. Realm EXAMPLE.COM, service\n\
             # imap/mail.example.com@EXAMPLE.COM aes256-cts-hmac-sha1-96 kvno 2 from password\n\
             # \"imap-service-password\" (default salt), client alice@EXAMPLE.COM, authtime\n\
             # 20231114221320Z, ctime one minute later; confounders from the seeded generator.\n\n",
        );
        for (k, v) in &now {
            text.push_str(&format!("{k} = {}\n", hex::encode(v)));
        }
        let path = format!("{}/testdata/{FILE}", env!("CARGO_MANIFEST_DIR"));
        std::fs::write(path, text).unwrap();
        return;
    }
    let cases = common::load(FILE);
    assert_eq!(cases.len(), 1, "{FILE}: one block expected");
    for (name, bytes) in now {
        assert_eq!(
            hex::encode(cases[0].get(name)),
            hex::encode(bytes),
            "{} field {name}",
            cases[0].at()
        );
    }
}
