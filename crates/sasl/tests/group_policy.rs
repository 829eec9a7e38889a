//! Group rules in the SASL policy: a whole RFC 4752 exchange on a testkit ticket whose
//! PAC (MS-PAC 2.5 logon info, server signature 2.8.1) lists the user's groups, then
//! Policy::authorize_negotiated with require/deny group SIDs; no PAC, no login.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "tests may unwrap; lengths here are small"
)]

#[path = "../../gss/tests/pac_builder.rs"]
mod builder;

use std::sync::Arc;

use kerbgate::consts::gss_flags as f;
use kerbgate::{Acceptor, AuthzError, FixedClock, Sid};
use kerbgate_crypto::{Enctype, Key};
use kerbgate_sasl::{GssapiServer, Negotiated, Policy, SaslError, ServerConfig, Step};
use kerbgate_testkit::{AuthChecksum, AuthData, GssChecksum, Scenario, FIXED_TIME};

/// The builder's domain SID; alice's groups are its RIDs 1000 and 1001.
const DOMAIN: &str = "S-1-5-21-1111111111-2222222222-3333333333";

fn sid(rid: u32) -> Sid {
    format!("{DOMAIN}-{rid}").parse().unwrap()
}

/// A scenario whose ticket carries a signed PAC for alice (or none).
fn scenario(with_pac: bool) -> Scenario {
    let mut s = Scenario::new().unwrap();
    let mut t = s
        .kdc
        .ticket("alice@EXAMPLE.COM", "imap/mail.example.com@EXAMPLE.COM")
        .unwrap();
    if with_pac {
        let logon = builder::Logon::with_groups(2).encode();
        let info = builder::client_info("alice", FIXED_TIME.unix());
        let kdc = Key::new(Enctype::Aes256CtsHmacSha196, &[0x22; 32]).unwrap();
        let pac = builder::signed_pac(vec![(1, logon), (10, info)], &s.service_key, &kdc);
        t = t.authorization_data(Some(vec![AuthData::if_relevant(&[AuthData::raw(
            128, &pac,
        )])]));
    }
    s.ticket = t.build().unwrap();
    s
}

/// Runs the exchange without a security layer; returns what it negotiated.
fn negotiate(s: &Scenario) -> Negotiated {
    let clock = Arc::new(FixedClock::at(s.now.unix()));
    let acceptor = Acceptor::builder()
        .keytab(&s.kdc.keytab())
        .clock(clock.clone())
        .build()
        .unwrap();
    let mut srv = GssapiServer::new(Arc::new(acceptor), clock, ServerConfig::default());
    let token = s
        .ap_req_builder()
        .seq_number(Some(7))
        .ap_options(0)
        .checksum(AuthChecksum::Gss(GssChecksum::with_flags(
            f::INTEG | f::SEQUENCE,
        )))
        .build()
        .unwrap()
        .gss_token();
    let Step::Challenge(offer) = srv.step(&token).unwrap() else {
        panic!("no offer")
    };
    let mut mirror = srv.initiator_mirror().unwrap();
    assert_eq!(mirror.unwrap(&offer).unwrap().data, [7, 1, 0, 0]);
    let reply = mirror.wrap(&[1, 0, 0, 0], false).unwrap();
    let Step::Done(done) = srv.step(&reply).unwrap() else {
        panic!("not done")
    };
    *done
}

#[test]
fn required_group_member_logs_in() {
    let done = negotiate(&scenario(true));
    assert!(done.pac.is_some());
    let policy = Policy::new().require_group(sid(1001));
    assert_eq!(policy.authorize_negotiated(&done).unwrap(), "alice");
    let any_of = Policy::new()
        .require_group(sid(5000))
        .require_group(sid(1000));
    assert_eq!(any_of.authorize_negotiated(&done).unwrap(), "alice");
}

#[test]
fn denied_or_missing_group_is_refused() {
    let done = negotiate(&scenario(true));
    let e = Policy::new()
        .deny_group(sid(1000))
        .authorize_negotiated(&done)
        .unwrap_err();
    let SaslError::GroupRule { principal, source } = &e else {
        panic!("{e}")
    };
    assert_eq!(principal, "alice@EXAMPLE.COM");
    assert_eq!(*source, AuthzError::Denied { sid: sid(1000) });
    assert!(e.to_string().contains(&format!("{DOMAIN}-1000")), "{e}");

    let e = Policy::new()
        .require_group(sid(5000))
        .authorize_negotiated(&done)
        .unwrap_err();
    assert!(matches!(
        e,
        SaslError::GroupRule {
            source: AuthzError::NotMember { .. },
            ..
        }
    ));
    // The name rules still come first: another user's authzid is refused as before.
    let e = Policy::new()
        .require_group(sid(1000))
        .authorize_with_pac(&done.client, &done.service, "bob", done.pac.as_ref())
        .unwrap_err();
    assert!(matches!(e, SaslError::NotAuthorized { .. }), "{e}");
}

#[test]
fn no_pac_no_login_under_group_rules() {
    let done = negotiate(&scenario(false));
    assert!(done.pac.is_none());
    assert_eq!(Policy::new().authorize_negotiated(&done).unwrap(), "alice");
    let e = Policy::new()
        .require_group(sid(1000))
        .authorize_negotiated(&done)
        .unwrap_err();
    assert!(e.to_string().contains("no PAC"), "{e}");
    // authorize() has no PAC to give: with group rules it always refuses.
    let e = Policy::new()
        .deny_group(sid(9))
        .authorize(&done.client, &done.service, "")
        .unwrap_err();
    assert!(matches!(
        e,
        SaslError::GroupRule {
            source: AuthzError::NoPac,
            ..
        }
    ));
}
