//! The whole acceptor (RFC 2743 3.1 framing, RFC 4120 3.2.3 AP-REQ checks, RFC 4121
//! 4.1.1 checksum, delegation) on arbitrary bytes: it never panics, and every outcome
//! renders (errors, contexts, delegated ccache).
//!
//! Two acceptors with fixed keytabs and clocks, replay cache off so a seed stays valid:
//! the testkit scenario (imap/mail.example.com@EXAMPLE.COM, plus an aes256-sha384
//! HTTP key) at the scenario's time, and the captured MIT 1.20 keytabs at their capture
//! time. Seeds: fuzz/seeds/accept (regenerate with
//! `cargo test -p kerbgate --test fuzz_regressions -- --ignored regenerate_accept_seeds`).
//! crates/gss/tests/fuzz_regressions.rs builds the same two acceptors; keep them in step.
#![no_main]

use std::sync::{Arc, OnceLock};

use kerbgate::{Acceptor, ChannelBindings, FixedClock};
use kerbgate_crypto::Enctype;
use kerbgate_keytab::Keytab;
use kerbgate_testkit::{Scenario, ServiceKeyOpts, FIXED_TIME};
use libfuzzer_sys::fuzz_target;

/// Application data of the channel bindings the scenario acceptor expects.
const CB_DATA: &[u8] = b"tls-server-end-point:kerbgate-fuzz";
/// A second service in the scenario keytab, with an RFC 8009 key.
const HTTP: &str = "HTTP/mail.example.com@EXAMPLE.COM";
/// Middle of the MIT capture times (1796403059..=1796403074).
const MIT_TIME: i64 = 1_796_403_066;

const MIT_KEYTABS: &[&[u8]] = &[
    include_bytes!("../../testdata/captured/mit-1.20/imap-aes128-cts-hmac-sha1-96.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-aes128-cts-hmac-sha256-128.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-aes256-cts-hmac-sha1-96.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-aes256-cts-hmac-sha384-192.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-aes256-features.keytab"),
    include_bytes!(
        "../../testdata/captured/mit-1.20/imap-aes256-ticket-aes128-sha256-session.keytab"
    ),
    include_bytes!("../../testdata/captured/mit-1.20/imap-and-http.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-arcfour-hmac.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-camellia128-cts-cmac.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-camellia256-cts-cmac.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-rc4-ticket-aes256-session.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-two-kvnos.keytab"),
];

struct Fixture {
    scenario: Acceptor,
    mit: Acceptor,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut scenario = Scenario::new().expect("testkit scenario");
        scenario
            .kdc
            .add_service(
                HTTP,
                ServiceKeyOpts::password(Enctype::Aes256CtsHmacSha384192, 3, "http-password"),
            )
            .expect("HTTP key");
        let scenario = Acceptor::builder()
            .keytab(&scenario.kdc.keytab())
            .clock(Arc::new(FixedClock::at(FIXED_TIME.unix() + 60)))
            .channel_bindings(ChannelBindings::from_application_data(CB_DATA))
            .dangerous_disable_replay_cache()
            .build()
            .expect("scenario acceptor");

        let mut merged = Keytab::new();
        for bytes in MIT_KEYTABS {
            let keytab = Keytab::from_bytes(bytes).expect("captured keytab");
            for entry in keytab.entries() {
                merged.push(entry.clone());
            }
        }
        let mit = Acceptor::builder()
            .keytab(&merged)
            .clock(Arc::new(FixedClock::at(MIT_TIME)))
            .dangerous_disable_replay_cache()
            .build()
            .expect("MIT acceptor");
        Fixture { scenario, mit }
    })
}

fn exercise(acceptor: &Acceptor, data: &[u8]) {
    match acceptor.accept(data) {
        Ok(done) => {
            let ctx = &done.context;
            let _ = format!("{ctx:?}");
            let _ = (ctx.flags().names(), ctx.context_key().enctype());
            let _ = ctx.authorization_data().len();
            if let Some(deleg) = ctx.delegated() {
                let _ = deleg.to_ccache_bytes();
            }
        }
        Err(refused) => {
            let error = &refused.error;
            let _ = (error.code_name(), error.gss_major(), error.to_string());
            let _ = format!("{error:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    exercise(&f.scenario, data);
    exercise(&f.mit, data);
});
