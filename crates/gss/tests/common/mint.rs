//! Minting helpers for the negative tests: the testkit scenario, an acceptor on a fixed
//! clock at the scenario's "now", and assertions on the refusal's code.

use std::sync::Arc;

use kerbgate::{AcceptError, Accepted, Acceptor, AcceptorBuilder, FixedClock, Rejected};
use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::Keytab;
use kerbgate_testkit::{
    ApReqBuilder, Kdc, KeySecret, Rng, Scenario, ServiceKeyOpts, Ticket, TicketBuilder, FIXED_TIME,
    SCENARIO_CLIENT, SCENARIO_SERVICE,
};

/// The scenario's "now" (Unix seconds): one minute after the ticket's authtime, equal
/// to the default authenticator ctime.
pub const NOW: i64 = FIXED_TIME.0 + 60;

/// The default scenario: imap/mail.example.com@EXAMPLE.COM, aes256-sha1 kvno 2.
pub fn scenario() -> Scenario {
    Scenario::new().unwrap()
}

/// An acceptor builder over `keytab` with the clock fixed at [`NOW`].
pub fn builder(keytab: &Keytab) -> AcceptorBuilder {
    Acceptor::builder()
        .keytab(keytab)
        .clock(Arc::new(FixedClock::at(NOW)))
}

/// An acceptor for the scenario's keytab, any service in it, fixed clock.
pub fn acceptor(s: &Scenario) -> Acceptor {
    builder(&s.kdc.keytab()).build().unwrap()
}

/// A ticket builder for the scenario's client and service with seeded randomness.
pub fn ticket(s: &Scenario) -> TicketBuilder {
    let mut kdc = s.kdc.clone();
    kdc.ticket(SCENARIO_CLIENT, SCENARIO_SERVICE)
        .unwrap()
        .rng(Rng::seeded(7))
}

/// An AP-REQ builder for `t` with seeded randomness (default: MIT-like, mutual).
pub fn ap_req(t: &Ticket) -> ApReqBuilder<'_> {
    ApReqBuilder::new(t).rng(Rng::seeded(11))
}

/// The GSS token of the default AP-REQ for ticket `t`.
pub fn token(t: &Ticket) -> Vec<u8> {
    ap_req(t).build().unwrap().gss_token()
}

/// A KDC in `realm` holding `principal` with a password-derived key.
pub fn kdc_with(realm: &str, principal: &str, enctype: Enctype, kvno: u32, pw: &str) -> Kdc {
    let mut kdc = Kdc::new(realm);
    kdc.add_service(principal, ServiceKeyOpts::password(enctype, kvno, pw))
        .unwrap();
    kdc
}

/// Adds `principal` to `kdc` with exactly these key bytes.
pub fn add_key(kdc: &mut Kdc, principal: &str, kvno: u32, key: &Key) {
    let secret = KeySecret::Bytes(key.expose_secret_bytes().to_vec());
    kdc.add_service(principal, ServiceKeyOpts::new(key.enctype(), kvno, secret))
        .unwrap();
}

/// A ticket from `kdc` for `client` to `service` (randomness forked from the KDC's
/// seeded generator, so each ticket differs and runs are reproducible).
pub fn ticket_from(kdc: &mut Kdc, client: &str, service: &str) -> TicketBuilder {
    kdc.ticket(client, service).unwrap()
}

/// Accepts `token` or panics with the refusal's message.
#[track_caller]
pub fn accept(acc: &Acceptor, token: &[u8]) -> Accepted {
    match acc.accept(token) {
        Ok(a) => a,
        Err(r) => panic!("expected success, got {}: {}", r.error.code_name(), r.error),
    }
}

/// Expects a refusal of `token` with condition `code` and returns it.
#[track_caller]
pub fn refuse(acc: &Acceptor, token: &[u8], code: &str) -> Rejected {
    match acc.accept(token) {
        Ok(a) => panic!("expected {code}, but accepted {:?}", a.context),
        Err(r) => {
            assert_eq!(r.error.code_name(), code, "message: {}", r.error);
            r
        }
    }
}

/// The refusal's error.
pub fn err(r: &Rejected) -> &AcceptError {
    &r.error
}
