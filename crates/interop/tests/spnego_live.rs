//! kerbgate's SPNEGO acceptor (RFC 4178) against MIT's initiator (python3-gssapi) in a
//! throwaway realm on 127.0.0.1:
//! - MIT's SPNEGO mechanism, mutual and not: MIT completes on our NegTokenResp, then
//!   Wrap tokens flow both ways on the context the exchange hands out;
//! - the request-mic path (the client's first mechanism is not Kerberos): MIT's krb5
//!   mechanism supplies the AP-REQ in a second leg, MIT's own MIC routine verifies our
//!   mechListMIC and makes the one we verify (RFC 4178 section 5), and the sequence
//!   numbers the MICs used stay in step for later Wrap tokens.
//!
//! Live-test policy: without MIT tools the test fails when `CI` is set and otherwise
//! prints `skipped: <reason>`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests may unwrap"
)]

mod common;

use std::sync::Arc;

use common::{realm_with_service, TARGET};
use kerbgate::consts::oid;
use kerbgate::spnego::token::{encode_init, parse_initial, parse_negotiation_token};
use kerbgate::spnego::{NegState, NegotiationToken, SpnegoExchange};
use kerbgate::Acceptor;
use kerbgate_interop::{live, GssFlag, InitRequest, Initiator, Mech};
use kerbgate_keytab::Keytab;

fn acceptor(keytab: &std::path::Path) -> Arc<Acceptor> {
    let kt = Keytab::load(keytab).unwrap();
    Arc::new(Acceptor::builder().keytab(&kt).build().unwrap())
}

fn neg_state(token: &[u8]) -> Option<NegState> {
    match parse_negotiation_token(token).unwrap() {
        NegotiationToken::Resp(r) => r.neg_state,
        other => panic!("not a NegTokenResp: {other:?}"),
    }
}

#[test]
fn mit_spnego_initiator_completes_on_our_reply() {
    let Some((realm, ccache, keytab)) = realm_with_service(&[]) else {
        return;
    };
    for mutual in [true, false] {
        let Some(mut init) = live(Initiator::spawn(&realm, &ccache)) else {
            return;
        };
        let mut flags = vec![
            GssFlag::Conf,
            GssFlag::Integ,
            GssFlag::Sequence,
            GssFlag::Replay,
        ];
        if mutual {
            flags.push(GssFlag::Mutual);
        }
        let first = init
            .init(&InitRequest::new(TARGET).mech(Mech::Spnego).flags(&flags))
            .unwrap();
        let token = first.token.unwrap();
        assert_eq!(
            parse_initial(&token).unwrap().mech_types.first(),
            Some(&oid::KRB5)
        );

        let mut ex = SpnegoExchange::new(acceptor(&keytab));
        let progress = ex
            .step(&token)
            .unwrap_or_else(|r| panic!("mutual={mutual}: {r}"));
        assert!(progress.complete);
        let reply = progress.output_token.unwrap();
        assert_eq!(neg_state(&reply), Some(NegState::AcceptCompleted));
        let step = init.step(&reply).unwrap();
        assert!(step.complete, "mutual={mutual}: MIT did not complete");

        let mut ctx = ex.into_context().unwrap();
        assert_eq!(ctx.context().client().to_string(), "alice@KERBGATE.TEST");
        let (tok, _) = init.driver().wrap(b"a1 NOOP", true).unwrap();
        assert_eq!(ctx.unwrap(&tok).unwrap().data, b"a1 NOOP");
        let tok = ctx.wrap(b"a1 OK", true).unwrap();
        assert_eq!(init.driver().unwrap(&tok).unwrap().0, b"a1 OK");
    }
}

#[test]
fn request_mic_path_with_mits_mic_routines() {
    let Some((realm, ccache, keytab)) = realm_with_service(&[]) else {
        return;
    };
    let Some(mut init) = live(Initiator::spawn(&realm, &ccache)) else {
        return;
    };
    let flags = [
        GssFlag::Mutual,
        GssFlag::Conf,
        GssFlag::Integ,
        GssFlag::Sequence,
    ];
    let krb = init.init(&InitRequest::new(TARGET).flags(&flags)).unwrap();
    let ap_req = krb.token.unwrap();

    // The client prefers NTLM; kerbgate chooses Kerberos and asks for a MIC.
    let first = encode_init(&[oid::NTLM, oid::KRB5], Some(b"NTLMSSP\0\x01\0\0\0"), None);
    let mech_types_der = parse_initial(&first).unwrap().mech_types_der.to_vec();
    let mut ex = SpnegoExchange::new(acceptor(&keytab));
    let p = ex.step(&first).unwrap();
    assert_eq!(
        neg_state(&p.output_token.unwrap()),
        Some(NegState::RequestMic)
    );

    // Second leg: the AP-REQ. Reply: AP-REP and our MIC, accept-incomplete.
    let leg2 = kerbgate::spnego::token::encode_resp(&kerbgate::spnego::NegTokenResp {
        response_token: Some(&ap_req),
        ..Default::default()
    });
    let p = ex.step(&leg2).unwrap();
    assert!(!p.complete);
    let reply = p.output_token.unwrap();
    let NegotiationToken::Resp(r) = parse_negotiation_token(&reply).unwrap() else {
        panic!("not a NegTokenResp")
    };
    assert_eq!(r.neg_state, Some(NegState::AcceptIncomplete));
    assert!(init.step(r.response_token.unwrap()).unwrap().complete);
    init.driver()
        .verify_mic(&mech_types_der, r.mech_list_mic.unwrap())
        .unwrap_or_else(|e| panic!("MIT refused our mechListMIC: {e}"));

    // Third leg: MIT's MIC over the same list.
    let mic = init.driver().get_mic(&mech_types_der).unwrap();
    let leg3 = kerbgate::spnego::token::encode_resp(&kerbgate::spnego::NegTokenResp {
        mech_list_mic: Some(&mic),
        ..Default::default()
    });
    let p = ex.step(&leg3).unwrap();
    assert!(p.complete && p.output_token.is_none());

    // Sequence numbers stayed in step both ways.
    let mut ctx = ex.into_context().unwrap();
    let (tok, _) = init.driver().wrap(b"after mic", true).unwrap();
    let u = ctx.unwrap(&tok).unwrap();
    assert_eq!(u.data, b"after mic");
    assert!(u.supplementary.is_empty(), "{:?}", u.supplementary);
    let tok = ctx.wrap(b"reply", false).unwrap();
    assert_eq!(init.driver().unwrap(&tok).unwrap().0, b"reply");
}
