//! Replays real MIT krb5 1.20 initiator tokens (testdata/captured/mit-1.20) through the
//! acceptor with a clock fixed at their capture time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use common::{read_cases, testdata, Case};
use kerbgate::messages::{ApRep, EncApRepPart};
use kerbgate::token::parse_initial_context_token;
use kerbgate::{Acceptor, FixedClock, Rejected, ServiceName};
use kerbgate_keytab::Keytab;

fn dir() -> std::path::PathBuf {
    testdata().join("captured/mit-1.20")
}

fn acceptor_for(case: &Case, service: Option<&str>) -> Acceptor {
    let keytab = Keytab::load(dir().join(case.get("keytab"))).unwrap();
    let at: i64 = case.get("captured_at").parse().unwrap();
    let mut b = Acceptor::builder()
        .keytab(&keytab)
        .clock(Arc::new(FixedClock::at(at)));
    if let Some(s) = service {
        b = b.service(ServiceName::parse(s).unwrap());
    }
    if let Some(cb) = case.opt("channel_bindings").filter(|c| *c != "none") {
        b = b.channel_bindings(parse_bindings(cb));
    }
    b.build().unwrap()
}

fn parse_bindings(text: &str) -> kerbgate::ChannelBindings {
    let mut cb = kerbgate::ChannelBindings::default();
    for part in text.split([',', ' ']).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once(':')
            .unwrap_or_else(|| panic!("bindings part {part:?}"));
        match k {
            "initiator_address_type" => cb.initiator_addrtype = v.parse().unwrap(),
            "initiator_address" => cb.initiator_address = hex::decode(v).unwrap(),
            "acceptor_address_type" => cb.acceptor_addrtype = v.parse().unwrap(),
            "acceptor_address" => cb.acceptor_address = hex::decode(v).unwrap(),
            "application_data" => cb.application_data = hex::decode(v).unwrap(),
            other => panic!("unknown bindings key {other}"),
        }
    }
    cb
}

fn kerberos_cases() -> Vec<Case> {
    read_cases(&dir().join("tokens.txt"))
        .into_iter()
        .filter(|c| !c.get("name").starts_with("spnego"))
        .collect()
}

#[test]
fn accepts_every_captured_mit_token() {
    let cases = kerberos_cases();
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    for case in cases {
        let name = case.get("name").to_string();
        let acceptor = acceptor_for(&case, None);
        let token = case.hex("token");
        let done = match acceptor.accept(&token) {
            Ok(d) => d,
            Err(Rejected { error, .. }) => panic!("case {} ({name}): {error}", case.index),
        };
        let ctx = &done.context;
        assert_eq!(ctx.client().to_string(), case.get("client"), "{name}");
        assert_eq!(ctx.service().to_string(), case.get("service"), "{name}");
        assert_eq!(
            ctx.ticket_enctype().to_i32().to_string(),
            case.get("ticket_enctype"),
            "{name}"
        );
        assert_eq!(
            ctx.session_enctype().to_i32().to_string(),
            case.get("session_enctype"),
            "{name}"
        );
        assert_eq!(ctx.ticket_kvno().to_string(), case.get("kvno"), "{name}");
        assert_eq!(ctx.mech().dotted(), case.get("mech"), "{name}");
        let requested: Vec<&str> = case.get("flags").split(',').map(str::trim).collect();
        let mutual = requested.contains(&"mutual");
        assert_eq!(
            done.output_token.is_some(),
            mutual,
            "{name}: AP-REP iff mutual"
        );
        for f in &requested {
            if !f.is_empty() && *f != "none" {
                assert!(
                    ctx.flags().names().contains(f),
                    "{name}: flag {f} not in {:?}",
                    ctx.flags()
                );
            }
        }
        if requested.contains(&"deleg") && case.get("forwardable_tgt") == "true" {
            let creds = ctx
                .delegated()
                .unwrap_or_else(|| panic!("{name}: no delegated creds"));
            let tgt = creds.credentials.first().unwrap();
            assert_eq!(tgt.client.to_string(), case.get("client"));
            assert!(
                tgt.server.to_string().starts_with("krbtgt/"),
                "{name}: {}",
                tgt.server
            );
            let ccache = creds.to_ccache_bytes().unwrap();
            assert_eq!(&ccache[..2], &[5, 4]);
        }
        if let Some(reply) = &done.output_token {
            check_ap_rep(reply, ctx, &name);
        }
    }
}

/// Our AP-REP must decrypt with the session key (key usage 12) and carry a subkey.
fn check_ap_rep(reply: &[u8], ctx: &kerbgate::SecurityContext, name: &str) {
    let tok = parse_initial_context_token(reply).unwrap();
    assert_eq!(tok.mech, ctx.mech(), "{name}: reply echoes the OID");
    let rep = ApRep::from_der(tok.body).unwrap();
    let plain = ctx.session_key().decrypt(12, rep.enc_part.cipher).unwrap();
    let part = EncApRepPart::from_der(&plain).unwrap();
    assert_eq!(part.seq_number, Some(ctx.acceptor_seq()));
    if ctx.session_enctype().to_i32() != 23 || ctx.initiator_subkey().is_some() {
        let sub = part
            .subkey
            .unwrap_or_else(|| panic!("{name}: no acceptor subkey"));
        assert_eq!(
            sub.keytype,
            ctx.acceptor_subkey().unwrap().enctype().to_i32()
        );
    }
}

#[test]
fn a_captured_token_is_refused_the_second_time() {
    let case = kerberos_cases().into_iter().next().unwrap();
    let acceptor = acceptor_for(&case, None);
    let token = case.hex("token");
    acceptor.accept(&token).unwrap();
    let err = acceptor.accept(&token).unwrap_err();
    assert_eq!(err.error.code_name(), "KRB_AP_ERR_REPEAT");
}

#[test]
fn ticket_for_another_service_is_not_us_even_with_its_key_present() {
    let case = kerberos_cases()
        .into_iter()
        .find(|c| c.get("name") == "http-service-mutual")
        .unwrap();
    let acceptor = acceptor_for(&case, Some("imap@mail.kerbgate.test"));
    let err = acceptor.accept(&case.hex("token")).unwrap_err();
    assert_eq!(err.error.code_name(), "KRB_AP_ERR_NOT_US", "{}", err.error);
    // The client asked for mutual authentication: it gets a KRB-ERROR token (03 00).
    let out = err.output_token.expect("KRB-ERROR token");
    let tok = parse_initial_context_token(&out).unwrap();
    assert_eq!(tok.token_id, Some(kerbgate::token::TokenId::KrbError));
}

#[test]
fn captured_tokens_fail_outside_the_skew_window() {
    let case = kerberos_cases().into_iter().next().unwrap();
    let keytab = Keytab::load(dir().join(case.get("keytab"))).unwrap();
    let at: i64 = case.get("captured_at").parse().unwrap();
    let acceptor = Acceptor::builder()
        .keytab(&keytab)
        .clock(Arc::new(FixedClock::at(at + 400)))
        .build()
        .unwrap();
    let err = acceptor.accept(&case.hex("token")).unwrap_err();
    assert_eq!(err.error.code_name(), "KRB_AP_ERR_SKEW", "{}", err.error);
    assert!(
        err.error.to_string().contains(", limit 300 s"),
        "{}",
        err.error
    );
}
