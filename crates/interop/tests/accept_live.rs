//! Real MIT initiators (python3-gssapi) log in through the kerbgate acceptor, live, in a
//! throwaway realm on 127.0.0.1: for every enctype (service keytab holding only that
//! key), and for tickets and session keys of different enctypes, with and without
//! mutual authentication. With mutual authentication kerbgate's AP-REP goes back to
//! MIT's initiator, which must report the context complete (RFC 4121 4.1, RFC 4120
//! 3.2.4-3.2.5). What kerbgate reports (client, service, enctypes, kvno, flags) is
//! checked against what MIT reports (`klist -e`, the driver's `info`, `getprinc`).
//!
//! Live-test policy: without MIT tools the test fails when `CI` is set and otherwise
//! prints `skipped: <reason>`. Each test function starts its own realm.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests may unwrap; helpers are not #[test] fns"
)]

mod common;

use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use common::{realm_with_service, CLIENT, SERVICE, TARGET};
use kerbgate::consts::gss_flags;
use kerbgate::token::{parse_initial_context_token, TokenId};
use kerbgate::Acceptor;
use kerbgate_interop::{enctypes, live, GssFlag, InitRequest, Initiator, MitRealm};
use kerbgate_keytab::Keytab;

/// The kerbgate acceptor under test: the realm's exported keytab, system clock,
/// default replay cache, any service in the keytab.
fn acceptor(keytab: &Path) -> Acceptor {
    let keytab = Keytab::load(keytab).unwrap();
    Acceptor::builder().keytab(&keytab).build().unwrap()
}

/// One MIT login through kerbgate: init, accept, and (mutual) step with our AP-REP.
/// `expect` is (ticket, session) enctype; `label` names the case in failures.
fn login(
    realm: &MitRealm,
    ccache: &Path,
    keytab: &Path,
    mutual: bool,
    expect: (i32, i32),
    label: &str,
) {
    let started = Instant::now();
    let Some(mut init) = live(Initiator::spawn(realm, ccache)) else {
        return;
    };
    let flags: &[GssFlag] = if mutual {
        &[
            GssFlag::Mutual,
            GssFlag::Conf,
            GssFlag::Integ,
            GssFlag::Replay,
            GssFlag::Sequence,
        ]
    } else {
        &[GssFlag::Integ]
    };
    let first = init
        .init(&InitRequest::new(TARGET).flags(flags))
        .unwrap_or_else(|e| panic!("{label}: mit init: {e}"));
    assert_eq!(
        first.complete, !mutual,
        "{label}: mit completion after init"
    );
    let ap_req = first.token.unwrap();

    let acc = acceptor(keytab);
    let done = acc
        .accept(&ap_req)
        .unwrap_or_else(|r| panic!("{label}: kerbgate refused: {}", r.error));
    let ctx = &done.context;

    // What MIT's tools say about the same ticket and keys.
    let kt = realm.ticket_enctypes(SERVICE, ccache).unwrap();
    assert_eq!((kt.ticket, kt.session), expect, "{label}: klist -e");
    assert_eq!(ctx.ticket_enctype().to_i32(), kt.ticket, "{label}: ticket");
    assert_eq!(
        ctx.session_enctype().to_i32(),
        kt.session,
        "{label}: session"
    );
    let kvnos: Vec<u32> = realm.keys(SERVICE).unwrap().iter().map(|k| k.0).collect();
    assert_eq!(vec![ctx.ticket_kvno()], kvnos, "{label}: kvno");
    assert_eq!(ctx.client().to_string(), realm.principal(CLIENT), "{label}");
    assert_eq!(
        ctx.service().to_string(),
        realm.principal(SERVICE),
        "{label}"
    );
    assert_eq!(ctx.mech(), kerbgate::Mech::Krb5, "{label}");
    assert_eq!(
        ctx.flags().contains(gss_flags::MUTUAL),
        mutual,
        "{label}: mutual flag"
    );
    assert_eq!(
        done.output_token.is_some(),
        mutual,
        "{label}: AP-REP iff mutual"
    );

    if let Some(ap_rep) = &done.output_token {
        let tok = parse_initial_context_token(ap_rep).unwrap();
        assert_eq!(tok.token_id, Some(TokenId::ApRep), "{label}");
        // The crucial check: MIT's initiator completes on kerbgate's AP-REP.
        let fin = init
            .step(ap_rep)
            .unwrap_or_else(|e| panic!("{label}: mit refused kerbgate's AP-REP: {e}"));
        assert!(fin.complete, "{label}: mit initiator not complete");
        assert!(fin.token.is_none(), "{label}: mit wants a third leg");
    }

    let info = init.driver().info().unwrap();
    assert_eq!(info.initiator.as_deref(), Some(&*ctx.client().to_string()));
    assert_eq!(info.mech.as_deref(), Some(ctx.mech().dotted()), "{label}");
    assert_eq!(
        info.flags.iter().any(|f| f == "mutual"),
        mutual,
        "{label}: mit flags {:?}",
        info.flags
    );
    // MIT's GSS_C_INQ_SSPI_SESSION_KEY is the context key: the acceptor subkey when
    // kerbgate sent one, else the initiator's subkey.
    assert_eq!(info.target.as_deref(), Some(&*ctx.service().to_string()));
    // The flags MIT's initiator holds are the ones kerbgate granted (the driver knows
    // deleg, mutual, replay, sequence, conf, integ and anon).
    let known = [
        "deleg", "mutual", "replay", "sequence", "conf", "integ", "anon",
    ];
    let mut ours: Vec<&str> = ctx.flags().names();
    ours.retain(|f| known.contains(f));
    ours.sort_unstable();
    assert_eq!(info.flags, ours, "{label}: mit flags vs kerbgate flags");
    // Both sides end the context with the ticket (MIT reports seconds left).
    let now = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let left = i64::try_from(info.lifetime.unwrap()).unwrap();
    assert!(
        (ctx.expires() - now - left).abs() <= 5,
        "{label}: kerbgate expires at {}, mit has {left} s left",
        ctx.expires()
    );
    assert_eq!(
        info.session_enctype,
        Some(ctx.context_key().enctype().to_i32()),
        "{label}: context key"
    );
    eprintln!(
        "{label}: ok in {} ms (ticket {} kvno {}, session {}, context key {}, flags {:?})",
        started.elapsed().as_millis(),
        kt.ticket,
        ctx.ticket_kvno(),
        kt.session,
        ctx.context_key().enctype().to_i32(),
        info.flags,
    );
}

/// A realm whose service holds only `ticket`'s key and hands out `session` keys.
fn run(ticket: i32, session: i32) {
    let started = Instant::now();
    let ticket_name = enctypes::name(ticket).unwrap();
    let Some((realm, ccache, keytab)) = realm_with_service(&[ticket_name]) else {
        return;
    };
    // MIT assumes every service takes AES-SHA1 session keys; pin the session enctype.
    realm
        .set_string(
            SERVICE,
            "session_enctypes",
            enctypes::name(session).unwrap(),
        )
        .unwrap();
    let label = format!("ticket {ticket} session {session}");
    eprintln!(
        "{label}: realm ready in {} ms",
        started.elapsed().as_millis()
    );
    login(
        &realm,
        &ccache,
        &keytab,
        true,
        (ticket, session),
        &format!("{label} mutual"),
    );
    login(
        &realm,
        &ccache,
        &keytab,
        false,
        (ticket, session),
        &format!("{label} no mutual"),
    );
}

macro_rules! per_enctype {
    ($($test:ident => ($ticket:expr, $session:expr)),* $(,)?) => {$(
        #[test]
        fn $test() {
            run($ticket, $session);
        }
    )*};
}

per_enctype! {
    kerbgate_accepts_mit_aes128_cts_hmac_sha1_96 => (17, 17),
    kerbgate_accepts_mit_aes256_cts_hmac_sha1_96 => (18, 18),
    kerbgate_accepts_mit_aes128_cts_hmac_sha256_128 => (19, 19),
    kerbgate_accepts_mit_aes256_cts_hmac_sha384_192 => (20, 20),
    kerbgate_accepts_mit_arcfour_hmac => (23, 23),
    kerbgate_accepts_mit_camellia128_cts_cmac => (25, 25),
    kerbgate_accepts_mit_camellia256_cts_cmac => (26, 26),
    kerbgate_accepts_mit_rc4_ticket_aes256_session => (23, 18),
    kerbgate_accepts_mit_aes256_ticket_aes128_sha256_session => (18, 19),
    kerbgate_accepts_mit_aes256_sha384_ticket_rc4_session => (20, 23),
    kerbgate_accepts_mit_camellia256_ticket_aes256_sha384_session => (26, 20),
}
