//! Ticket and authenticator checks (RFC 4120 3.2.3): flags, times, enctypes, the
//! authenticator's key, client name, timestamp and replay. Each test breaks one check.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::mint::{accept, acceptor, ap_req, builder, refuse, scenario, ticket, token, NOW};
use kerbgate::consts::GssMajor;
use kerbgate::AcceptError;
use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::Principal;
use kerbgate_testkit::consts::ticket_flags;
use kerbgate_testkit::KerberosTime;

fn at(secs: i64) -> KerberosTime {
    KerberosTime(secs)
}

#[test]
fn rejects_ticket_with_invalid_flag() {
    let s = scenario();
    let flags = ticket_flags::INVALID | ticket_flags::POSTDATED | ticket_flags::MAY_POSTDATE;
    let t = ticket(&s).flags(flags).build().unwrap();
    let r = refuse(&acceptor(&s), &token(&t), "KRB_AP_ERR_TKT_NYV");
    assert_eq!(*r.error, AcceptError::TicketInvalidFlag);
}

#[test]
fn rejects_ticket_starting_beyond_skew() {
    let s = scenario();
    let t = ticket(&s).starttime(Some(at(NOW + 301))).build().unwrap();
    let r = refuse(&acceptor(&s), &token(&t), "KRB_AP_ERR_TKT_NYV");
    assert!(
        r.error.to_string().contains("301 s from now"),
        "{}",
        r.error
    );
}

#[test]
fn accepts_ticket_starting_within_skew() {
    let s = scenario();
    for start in [NOW + 299, NOW + 300] {
        let t = ticket(&s).starttime(Some(at(start))).build().unwrap();
        accept(&acceptor(&s), &token(&t));
    }
}

#[test]
fn rejects_ticket_expired_beyond_skew() {
    let s = scenario();
    let t = ticket(&s).endtime(at(NOW - 301)).build().unwrap();
    let r = refuse(&acceptor(&s), &token(&t), "KRB_AP_ERR_TKT_EXPIRED");
    assert_eq!(r.error.gss_major(), GssMajor::CredentialsExpired);
}

#[test]
fn accepts_ticket_expired_within_skew() {
    let s = scenario();
    for end in [NOW - 299, NOW - 300] {
        let t = ticket(&s).endtime(at(end)).build().unwrap();
        accept(&acceptor(&s), &token(&t));
    }
}

#[test]
fn rejects_ticket_enctype_not_allowed() {
    let s = scenario();
    let acc = builder(&s.kdc.keytab())
        .allowed_enctypes(&[Enctype::Aes256CtsHmacSha384192])
        .build()
        .unwrap();
    let r = refuse(&acc, &token(&s.ticket), "KDC_ERR_ETYPE_NOSUPP");
    match &*r.error {
        AcceptError::EnctypeNotSupported { what, enctype, .. } => {
            assert_eq!((*what, *enctype), ("ticket", 18));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rejects_session_enctype_not_allowed() {
    let s = scenario();
    let t = ticket(&s)
        .session_enctype(Enctype::Aes128CtsHmacSha196)
        .build()
        .unwrap();
    let acc = builder(&s.kdc.keytab())
        .allowed_enctypes(&[Enctype::Aes256CtsHmacSha196])
        .build()
        .unwrap();
    let r = refuse(&acc, &token(&t), "KDC_ERR_ETYPE_NOSUPP");
    assert!(r.error.to_string().contains("session key"), "{}", r.error);
}

#[test]
fn rejects_des3_ticket_as_deprecated() {
    let s = scenario();
    // des3-cbc-sha1 is enctype 16; the ciphertext stays aes, only the number matters.
    let t = ticket(&s).etype_field(16).build().unwrap();
    let r = refuse(&acceptor(&s), &token(&t), "KDC_ERR_ETYPE_NOSUPP");
    assert!(r.error.to_string().contains("deprecated"), "{}", r.error);
}

#[test]
fn rejects_authenticator_under_other_key() {
    let s = scenario();
    let other = Key::random_to_key(Enctype::Aes256CtsHmacSha196, &[0x42; 32]).unwrap();
    let req = ap_req(&s.ticket).authenticator_key(other).build().unwrap();
    let r = refuse(&acceptor(&s), &req.gss_token(), "KRB_AP_ERR_BAD_INTEGRITY");
    assert_eq!(*r.error, AcceptError::AuthenticatorIntegrity);
}

#[test]
fn rejects_authenticator_naming_other_client() {
    let s = scenario();
    let bob = Principal::parse("bob@EXAMPLE.COM").unwrap();
    let req = ap_req(&s.ticket).client(bob).build().unwrap();
    let r = refuse(&acceptor(&s), &req.gss_token(), "KRB_AP_ERR_BADMATCH");
    assert!(
        r.error.to_string().contains("bob@EXAMPLE.COM"),
        "{}",
        r.error
    );
}

#[test]
fn rejects_authenticator_naming_other_client_realm() {
    let s = scenario();
    let alice_elsewhere = Principal::parse("alice@OTHER.ORG").unwrap();
    let req = ap_req(&s.ticket).client(alice_elsewhere).build().unwrap();
    refuse(&acceptor(&s), &req.gss_token(), "KRB_AP_ERR_BADMATCH");
}

#[test]
fn rejects_authenticator_outside_skew() {
    let s = scenario();
    for ctime in [NOW + 301, NOW - 301] {
        let req = ap_req(&s.ticket).time(at(ctime), 0).build().unwrap();
        let r = refuse(&acceptor(&s), &req.gss_token(), "KRB_AP_ERR_SKEW");
        assert!(
            r.error.to_string().contains("301 s, limit 300 s"),
            "{}",
            r.error
        );
    }
}

#[test]
fn accepts_authenticator_within_skew() {
    let s = scenario();
    for ctime in [NOW + 299, NOW - 299, NOW + 300, NOW - 300] {
        let req = ap_req(&s.ticket).time(at(ctime), 0).build().unwrap();
        accept(&acceptor(&s), &req.gss_token());
    }
}

#[test]
fn rejects_authenticator_outside_configured_skew() {
    let s = scenario();
    let acc = builder(&s.kdc.keytab()).max_skew_secs(10).build().unwrap();
    let req = ap_req(&s.ticket).time(at(NOW + 11), 0).build().unwrap();
    refuse(&acc, &req.gss_token(), "KRB_AP_ERR_SKEW");
}

#[test]
fn rejects_replayed_authenticator() {
    let s = scenario();
    let acc = acceptor(&s);
    let tok = token(&s.ticket);
    accept(&acc, &tok);
    let r = refuse(&acc, &tok, "KRB_AP_ERR_REPEAT");
    assert_eq!(r.error.gss_major(), GssMajor::DuplicateToken);
}

#[test]
fn refused_request_does_not_use_up_replay_entry() {
    // Two acceptors share one cache: the strict one refuses the token after decrypting
    // it (bindings), the lax one must then still accept it once.
    let s = scenario();
    let tok = token(&s.ticket);
    let cache = std::sync::Arc::new(kerbgate::MemoryReplayCache::new());
    let strict = builder(&s.kdc.keytab())
        .channel_bindings(kerbgate::ChannelBindings::from_application_data(b"x"))
        .strict_channel_bindings(true)
        .replay_cache(cache.clone())
        .build()
        .unwrap();
    let lax = builder(&s.kdc.keytab())
        .replay_cache(cache)
        .build()
        .unwrap();
    refuse(&strict, &tok, "GSS_S_BAD_BINDINGS");
    accept(&lax, &tok);
    refuse(&lax, &tok, "KRB_AP_ERR_REPEAT");
}

#[test]
fn disabled_replay_cache_accepts_same_token_twice() {
    let s = scenario();
    let acc = builder(&s.kdc.keytab())
        .dangerous_disable_replay_cache()
        .build()
        .unwrap();
    let tok = token(&s.ticket);
    accept(&acc, &tok);
    accept(&acc, &tok);
}

#[test]
fn rejects_subkey_enctype_not_allowed() {
    let s = scenario();
    let req = ap_req(&s.ticket)
        .subkey_enctype(Enctype::Aes128CtsHmacSha196)
        .build()
        .unwrap();
    let acc = builder(&s.kdc.keytab())
        .allowed_enctypes(&[Enctype::Aes256CtsHmacSha196])
        .build()
        .unwrap();
    let r = refuse(&acc, &req.gss_token(), "KDC_ERR_ETYPE_NOSUPP");
    assert!(
        r.error.to_string().contains("authenticator subkey"),
        "{}",
        r.error
    );
}

/// The skew check is exact to the microsecond, so an authenticator passes it only while
/// the replay cache still holds its entry: a replay just past the window is refused as
/// skewed or as a replay, never accepted. (With the difference rounded to whole seconds,
/// an authenticator made at .999999 passed the check up to a second after its cache
/// entry expired.)
#[test]
fn replay_at_the_edge_of_the_window_is_never_accepted() {
    use kerbgate::{FixedClock, MemoryReplayCache, Timestamp};
    let s = scenario();
    let cache = std::sync::Arc::new(MemoryReplayCache::new());
    let at_time = |secs: i64, usecs: u32| {
        builder(&s.kdc.keytab())
            .clock(std::sync::Arc::new(FixedClock(Timestamp { secs, usecs })))
            .replay_cache(cache.clone())
            .build()
            .unwrap()
    };
    let tok = ap_req(&s.ticket)
        .time(at(NOW), 999_999)
        .build()
        .unwrap()
        .gss_token();
    accept(&at_time(NOW, 200_000), &tok);
    for (secs, usecs) in [
        (NOW + 299, 999_999),
        (NOW + 300, 0),
        (NOW + 300, 999_999),
        (NOW + 301, 0),
        (NOW + 301, 500_000),
        (NOW + 301, 999_999),
        (NOW + 302, 0),
    ] {
        match at_time(secs, usecs).accept(&tok) {
            Ok(_) => panic!("replay accepted at {secs}.{usecs:06}"),
            Err(r) => {
                let code = r.error.code_name();
                assert!(
                    code == "KRB_AP_ERR_REPEAT" || code == "KRB_AP_ERR_SKEW",
                    "{secs}.{usecs:06}: {code}"
                );
            }
        }
    }
}
