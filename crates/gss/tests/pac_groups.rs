//! Authorization by group SID (kerbgate::authz::GroupPolicy) on PACs the acceptor
//! verified: testkit tickets carrying hand-built PACs (MS-PAC 2.5 logon info signed
//! with the service key, MS-PAC 2.8.1), the Kerberos.NET Active Directory token, and
//! the HTTP hook (negotiate::apply_group_policy).
// Test code: a failed expectation should abort the test with its message.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[path = "pac_builder.rs"]
mod builder;

use std::sync::Arc;

use kerbgate::negotiate::{apply_group_policy, authenticate_token, Outcome};
use kerbgate::pac::PacPolicy;
use kerbgate::{
    Acceptor, AuthzError, FixedClock, GroupPolicy, SecurityContext, Sid, SpnegoExchange,
};
use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::{KeyBytes, Keytab, KeytabEntry, Principal};
use kerbgate_testkit::{AuthData, Scenario, FIXED_TIME};

/// The builder's domain: S-1-5-21-1111111111-2222222222-3333333333.
const DOMAIN: &str = "S-1-5-21-1111111111-2222222222-3333333333";

fn sid(s: &str) -> Sid {
    s.parse().unwrap()
}

/// A PAC for alice with groups 1000..1000+n, signed with the scenario's service key.
fn pac_for(s: &Scenario, groups: u32) -> Vec<u8> {
    let logon = builder::Logon::with_groups(groups).encode();
    let info = builder::client_info("alice", FIXED_TIME.unix());
    let kdc = Key::new(Enctype::Aes256CtsHmacSha196, &[0x22; 32]).unwrap();
    builder::signed_pac(vec![(1, logon), (10, info)], &s.service_key, &kdc)
}

/// The scenario with its ticket replaced by one carrying `ad` in AD-IF-RELEVANT.
fn scenario_with(ad: Option<Vec<u8>>) -> Scenario {
    let mut s = Scenario::new().unwrap();
    let mut t = s
        .kdc
        .ticket("alice@EXAMPLE.COM", "imap/mail.example.com@EXAMPLE.COM")
        .unwrap();
    if let Some(pac) = ad {
        t = t.authorization_data(Some(vec![AuthData::if_relevant(&[AuthData::raw(
            128, &pac,
        )])]));
    }
    s.ticket = t.build().unwrap();
    s
}

fn acceptor(s: &Scenario, policy: PacPolicy) -> Arc<Acceptor> {
    Arc::new(
        Acceptor::builder()
            .keytab(&s.kdc.keytab())
            .clock(Arc::new(FixedClock::at(s.now.unix())))
            .pac_policy(policy)
            .build()
            .unwrap(),
    )
}

fn context(s: &Scenario, policy: PacPolicy) -> SecurityContext {
    let token = s.ap_req_builder().build().unwrap().gss_token();
    acceptor(s, policy).accept(&token).unwrap().context
}

#[test]
fn sid_strings_round_trip() {
    for text in [
        "S-1-5-21-1111111111-2222222222-3333333333-513",
        "S-1-5-32-544",
        "S-1-1-0",
        "S-1-0x123456789ABC-1",
    ] {
        assert_eq!(sid(text).to_string(), text);
    }
    for bad in [
        "",
        "S-1",
        "X-1-5",
        "S-1-5-x",
        "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
    ] {
        assert!(bad.parse::<Sid>().is_err(), "{bad}");
    }
}

#[test]
fn require_and_deny_on_a_testkit_ticket() {
    let s = scenario_with(Some(pac_for(&s_base(), 3)));
    let ctx = context(&s, PacPolicy::default());
    let pac = ctx.pac().unwrap();
    assert!(pac.server_signature_verified());

    // Groups 1000..1002 of the domain, extra SIDs S-1-18-1 and S-1-5-32-544.
    let member = sid(&format!("{DOMAIN}-1001"));
    let other = sid(&format!("{DOMAIN}-2000"));
    assert!(GroupPolicy::new().check(&ctx).is_ok());
    assert!(GroupPolicy::new()
        .require_any_of([member])
        .check(&ctx)
        .is_ok());
    assert!(GroupPolicy::new()
        .require_any_of([other, sid("S-1-5-32-544")])
        .check(&ctx)
        .is_ok());
    // The user's own SID counts.
    let user = sid(&format!("{DOMAIN}-1104"));
    assert!(GroupPolicy::new()
        .require_any_of([user])
        .check(&ctx)
        .is_ok());
    assert_eq!(
        GroupPolicy::new().require_any_of([other]).check(&ctx),
        Err(AuthzError::NotMember {
            pac_sids: 6,
            has_logon_info: true
        })
    );
    // Deny wins over require.
    let denied = GroupPolicy::new()
        .require_any_of([member])
        .deny(sid("S-1-5-32-544"));
    let e = denied.check(&ctx).unwrap_err();
    assert_eq!(
        e,
        AuthzError::Denied {
            sid: sid("S-1-5-32-544")
        }
    );
    assert!(e.to_string().contains(r"BUILTIN\Administrators"), "{e}");
}

fn s_base() -> Scenario {
    Scenario::new().unwrap()
}

#[test]
fn a_context_without_a_pac_is_refused_by_any_rule() {
    let s = scenario_with(None);
    let ctx = context(&s, PacPolicy::default());
    assert!(ctx.pac().is_none());
    assert!(GroupPolicy::new().check(&ctx).is_ok());
    let e = GroupPolicy::new()
        .deny(sid("S-1-5-32-546"))
        .check(&ctx)
        .unwrap_err();
    assert_eq!(e, AuthzError::NoPac);
    assert!(e.to_string().contains("no PAC"), "{e}");
}

#[test]
fn a_pac_whose_signature_was_skipped_is_not_trusted() {
    let s = scenario_with(Some(pac_for(&s_base(), 1)));
    let mut policy = PacPolicy::default();
    policy.dangerous_skip_server_signature = true;
    let ctx = context(&s, policy);
    assert!(!ctx.pac().unwrap().server_signature_verified());
    assert_eq!(
        GroupPolicy::new()
            .require_any_of([sid(&format!("{DOMAIN}-1000"))])
            .check(&ctx),
        Err(AuthzError::UnverifiedPac)
    );
}

#[test]
fn a_minimal_pac_without_logon_info_has_no_groups() {
    let base = s_base();
    let kdc = Key::new(Enctype::Aes256CtsHmacSha196, &[0x22; 32]).unwrap();
    let info = builder::client_info("alice", FIXED_TIME.unix());
    let pac = builder::signed_pac(vec![(10, info)], &base.service_key, &kdc);
    let ctx = context(&scenario_with(Some(pac)), PacPolicy::default());
    let e = GroupPolicy::new()
        .require_any_of([sid(&format!("{DOMAIN}-513"))])
        .check(&ctx)
        .unwrap_err();
    assert_eq!(
        e,
        AuthzError::NotMember {
            pac_sids: 0,
            has_logon_info: false
        }
    );
    assert!(e.to_string().contains("no logon info"), "{e}");
}

/// Kerberos.NET's AES256 token from a Windows domain (testdata/pac/kerberos_net.txt
/// case 2): 18 groups, Domain Users among them.
fn kerberos_net_acceptor() -> Arc<Acceptor> {
    let dir = format!(
        "{}/../../testdata/pac/kerberos.net",
        env!("CARGO_MANIFEST_DIR")
    );
    let key = std::fs::read(format!("{dir}/aes256-key-data")).unwrap();
    let p = Principal::new(
        2,
        vec!["HTTP".into(), "server.test.domain.com".into()],
        "DOMAIN.COM",
    );
    let mut kt = Keytab::new();
    kt.push(KeytabEntry::new(p, 5, 0, KeyBytes::new(18, &key)));
    Arc::new(
        Acceptor::builder()
            .keytab(&kt)
            .clock(Arc::new(FixedClock::at(1_500_000_000)))
            .max_skew_secs(400_000_000)
            .dangerous_disable_replay_cache()
            .build()
            .unwrap(),
    )
}

fn kerberos_net_token() -> Vec<u8> {
    let dir = format!(
        "{}/../../testdata/pac/kerberos.net",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(format!("{dir}/aes256-kerberos-data")).unwrap()
}

const AD_DOMAIN: &str = "S-1-5-21-4028881986-3284141023-698984075";

#[test]
fn active_directory_groups_from_kerberos_net() {
    let ctx = kerberos_net_acceptor()
        .accept(&kerberos_net_token())
        .unwrap()
        .context;
    let users = sid(&format!("{AD_DOMAIN}-513"));
    assert_eq!(users.well_known_name(), Some("Domain Users"));
    assert!(GroupPolicy::new()
        .require_any_of([users])
        .check(&ctx)
        .is_ok());
    assert_eq!(
        GroupPolicy::new().deny(users).check(&ctx),
        Err(AuthzError::Denied { sid: users })
    );
    let admins = sid(&format!("{AD_DOMAIN}-512"));
    let in_admins = ctx.pac().unwrap().group_sids().contains(&admins);
    assert_eq!(
        GroupPolicy::new()
            .require_any_of([admins])
            .check(&ctx)
            .is_ok(),
        in_admins
    );
}

#[test]
fn http_negotiate_refuses_with_403() {
    let acc = kerberos_net_acceptor();
    let token = kerberos_net_token();
    let users = sid(&format!("{AD_DOMAIN}-513"));

    let mut ex = SpnegoExchange::new(Arc::clone(&acc));
    let outcome = authenticate_token(&mut ex, &token);
    assert_eq!(outcome.status(), 200, "{outcome:?}");
    let allowed = apply_group_policy(outcome, &ex, &GroupPolicy::new().require_any_of([users]));
    assert!(
        matches!(allowed, Outcome::Authenticated { .. }),
        "{allowed:?}"
    );

    let mut ex = SpnegoExchange::new(acc);
    let outcome = authenticate_token(&mut ex, &token);
    let refused = apply_group_policy(outcome, &ex, &GroupPolicy::new().deny(users));
    assert_eq!(refused.status(), 403);
    let Outcome::Refused { message, .. } = refused else {
        panic!("not refused")
    };
    assert!(
        message.contains("user.test@DOMAIN.COM") && message.contains("-513"),
        "{message}"
    );
}
