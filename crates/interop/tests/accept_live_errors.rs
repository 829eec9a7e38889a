//! Refusals that reach a real MIT initiator, live, in a throwaway realm on 127.0.0.1:
//! kerbgate's KRB-ERROR tokens (RFC 4121 4.1, RFC 4120 5.9.1) fed to MIT's
//! `gss_init_sec_context` make it fail with the matching Kerberos error, and replayed
//! MIT tokens are refused (RFC 4120 3.2.3, KRB_AP_ERR_REPEAT).
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
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use common::{realm_with_service, TARGET};
use kerbgate::messages::KrbError;
use kerbgate::token::{parse_initial_context_token, TokenId};
use kerbgate::{Acceptor, AcceptorBuilder, FixedClock, MemoryReplayCache, Rejected, ServiceName};
use kerbgate_interop::{live, GssFlag, InitRequest, Initiator, KeytabMode, MitRealm, PrincipalKey};
use kerbgate_keytab::Keytab;

const AES256: &str = "aes256-cts-hmac-sha1-96";
const HTTP: &str = "HTTP/mail.kerbgate.test";
const HTTP_TARGET: &str = "HTTP@mail.kerbgate.test";

fn builder(keytab: &Path) -> AcceptorBuilder {
    Acceptor::builder().keytab(&Keytab::load(keytab).unwrap())
}

fn mit_token(realm: &MitRealm, ccache: &Path, req: &InitRequest) -> Option<(Initiator, Vec<u8>)> {
    let mut init = live(Initiator::spawn(realm, ccache))?;
    let first = init.init(req).unwrap();
    Some((init, first.token.unwrap()))
}

/// Checks the refusal's KRB-ERROR token (framed, token ID 03 00, the given code) and
/// returns what MIT's initiator says when fed it; MIT must fail.
fn mit_fails_on(init: &mut Initiator, refused: &Rejected, code: &str, label: &str) -> String {
    assert_eq!(
        refused.error.code_name(),
        code,
        "{label}: {}",
        refused.error
    );
    let token = refused
        .output_token
        .as_deref()
        .unwrap_or_else(|| panic!("{label}: no KRB-ERROR token for a mutual request"));
    let tok = parse_initial_context_token(token).unwrap();
    assert_eq!(tok.token_id, Some(TokenId::KrbError), "{label}");
    let err = KrbError::from_der(tok.body).unwrap();
    assert_eq!(err.error_code.to_string(), code, "{label}: error-code");

    let said = match init.step(token) {
        Ok(r) => panic!("{label}: mit accepted a KRB-ERROR: {r:?}"),
        Err(e) => e.to_string(),
    };
    eprintln!("{label}: kerbgate: {}\n{label}: mit: {said}", refused.error);
    said
}

#[test]
fn mit_initiator_fails_on_kerbgate_not_us_error() {
    let started = Instant::now();
    let Some((realm, ccache, keytab)) = realm_with_service(&[AES256]) else {
        return;
    };
    // The keytab holds the HTTP key too; the acceptor answers for imap only.
    realm
        .add_principal(HTTP, PrincipalKey::Random, &[AES256])
        .unwrap();
    realm
        .export_keytab(&[HTTP], &keytab, KeytabMode::Append)
        .unwrap();
    let acc = builder(&keytab)
        .service(ServiceName::parse(TARGET).unwrap())
        .build()
        .unwrap();

    let req = InitRequest::new(HTTP_TARGET).flags(&[GssFlag::Mutual]);
    let Some((mut init, token)) = mit_token(&realm, &ccache, &req) else {
        return;
    };
    let refused = acc.accept(&token).unwrap_err();
    let said = mit_fails_on(&mut init, &refused, "KRB_AP_ERR_NOT_US", "not us");
    // MIT 1.20 words KRB_AP_ERR_NOT_US (minor 2529638947) "The ticket isn't for us".
    assert!(said.contains("The ticket isn't for us"), "{said}");

    // Without mutual authentication there is no token to send back.
    let req = InitRequest::new(HTTP_TARGET).flags(&[GssFlag::Integ]);
    let Some((_init, token)) = mit_token(&realm, &ccache, &req) else {
        return;
    };
    let refused = acc.accept(&token).unwrap_err();
    assert_eq!(refused.error.code_name(), "KRB_AP_ERR_NOT_US");
    assert!(refused.output_token.is_none());

    // The same acceptor still serves imap.
    let req = InitRequest::new(TARGET).flags(&[GssFlag::Mutual]);
    let Some((mut init, token)) = mit_token(&realm, &ccache, &req) else {
        return;
    };
    let done = acc.accept(&token).unwrap();
    assert!(
        init.step(done.output_token.as_deref().unwrap())
            .unwrap()
            .complete
    );
    eprintln!("not us: ok in {} ms", started.elapsed().as_millis());
}

#[test]
fn mit_initiator_fails_on_kerbgate_skew_error() {
    let Some((realm, ccache, keytab)) = realm_with_service(&[AES256]) else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ahead = i64::try_from(now).unwrap() + 600;
    let acc = builder(&keytab)
        .clock(Arc::new(FixedClock::at(ahead)))
        .build()
        .unwrap();
    let req = InitRequest::new(TARGET).flags(&[GssFlag::Mutual]);
    let Some((mut init, token)) = mit_token(&realm, &ccache, &req) else {
        return;
    };
    let refused = acc.accept(&token).unwrap_err();
    let said = mit_fails_on(&mut init, &refused, "KRB_AP_ERR_SKEW", "skew");
    assert!(said.to_lowercase().contains("skew"), "{said}");
}

#[test]
fn replayed_mit_tokens_are_refused() {
    let started = Instant::now();
    let Some((realm, ccache, keytab)) = realm_with_service(&[AES256]) else {
        return;
    };
    for mutual in [false, true] {
        let label = if mutual {
            "replay mutual"
        } else {
            "replay no mutual"
        };
        let flags = if mutual {
            GssFlag::Mutual
        } else {
            GssFlag::Integ
        };
        let req = InitRequest::new(TARGET).flags(&[flags]);
        let Some((mut init, token)) = mit_token(&realm, &ccache, &req) else {
            return;
        };
        let acc = builder(&keytab).build().unwrap();
        let first = acc.accept(&token).unwrap();
        let again = acc.accept(&token).unwrap_err();
        assert_eq!(
            again.error.code_name(),
            "KRB_AP_ERR_REPEAT",
            "{label}: {}",
            again.error
        );
        assert_eq!(again.output_token.is_some(), mutual, "{label}");
        eprintln!("{label}: second accept: {}", again.error);
        if mutual {
            // The genuine initiator still completes on the first AP-REP.
            let fin = init.step(first.output_token.as_deref().unwrap()).unwrap();
            assert!(fin.complete, "{label}");
        }
    }

    // An attacker's copy arrives first: the genuine client then gets KRB_AP_ERR_REPEAT
    // and MIT fails on it.
    let req = InitRequest::new(TARGET).flags(&[GssFlag::Mutual]);
    let Some((mut init, token)) = mit_token(&realm, &ccache, &req) else {
        return;
    };
    let acc = builder(&keytab).build().unwrap();
    acc.accept(&token).unwrap();
    let refused = acc.accept(&token).unwrap_err();
    let said = mit_fails_on(&mut init, &refused, "KRB_AP_ERR_REPEAT", "replay first");
    assert!(said.to_lowercase().contains("replay"), "{said}");

    // Two acceptors sharing one cache (a fleet): the replay is caught on the other one.
    let shared = Arc::new(MemoryReplayCache::new());
    let a = builder(&keytab)
        .replay_cache(shared.clone())
        .build()
        .unwrap();
    let b = builder(&keytab).replay_cache(shared).build().unwrap();
    let req = InitRequest::new(TARGET).flags(&[GssFlag::Integ]);
    let Some((_init, token)) = mit_token(&realm, &ccache, &req) else {
        return;
    };
    a.accept(&token).unwrap();
    let refused = b.accept(&token).unwrap_err();
    assert_eq!(refused.error.code_name(), "KRB_AP_ERR_REPEAT");
    eprintln!("replays: ok in {} ms", started.elapsed().as_millis());
}
