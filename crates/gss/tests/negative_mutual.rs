//! Mutual authentication (RFC 4120 3.2.4, RFC 4121 4.1 and 2, RFC 4537), KRB-ERROR
//! replies, AP options and the RFC 2743 3.1 framing checks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::mint::{accept, acceptor, ap_req, refuse, scenario, ticket, NOW};
use kerbgate::consts::GssMajor;
use kerbgate::token::Framing;
use kerbgate_crypto::Enctype;
use kerbgate_testkit::consts::{ap_options, KRB5_OID, MS_KRB5_OID};
use kerbgate_testkit::{
    gss_initial_token, parse_krb_error, verify_ap_rep_for, AuthData, KerberosTime,
};

#[test]
fn ap_rep_verifies_and_echoes_authenticator_time() {
    let s = scenario();
    let req = ap_req(&s.ticket)
        .time(KerberosTime(NOW - 5), 123_456)
        .subkey_enctype(Enctype::Aes256CtsHmacSha196)
        .seq_number(Some(99))
        .build()
        .unwrap();
    let done = accept(&acceptor(&s), &req.gss_token());
    let rep = done.output_token.expect("AP-REP for mutual");
    let info = verify_ap_rep_for(&rep, &req).unwrap();
    assert_eq!((info.ctime, info.cusec), (KerberosTime(NOW - 5), 123_456));
    let subkey = info.subkey.as_ref().expect("acceptor subkey");
    let ours = done.context.acceptor_subkey().expect("context subkey");
    assert_eq!(subkey.expose_secret_bytes(), ours.expose_secret_bytes());
    assert_eq!(info.seq_number, Some(done.context.acceptor_seq()));
    assert_eq!(done.context.initiator_seq(), 99);
}

#[test]
fn enctype_negotiation_picks_first_allowed_listed_enctype() {
    let s = scenario();
    let req = ap_req(&s.ticket)
        .authorization_data(Some(vec![AuthData::enctype_negotiation(&[20, 18])]))
        .build()
        .unwrap();
    let done = accept(&acceptor(&s), &req.gss_token());
    let sub = done.context.acceptor_subkey().expect("acceptor subkey");
    assert_eq!(sub.enctype().to_i32(), 20);
    let info = verify_ap_rep_for(&done.output_token.unwrap(), &req).unwrap();
    assert_eq!(info.subkey.unwrap().enctype().to_i32(), 20);
}

#[test]
fn rc4_session_without_negotiation_gets_no_acceptor_subkey() {
    let s = scenario();
    let t = ticket(&s)
        .session_enctype(Enctype::Rc4Hmac)
        .build()
        .unwrap();
    let req = ap_req(&t).build().unwrap();
    let done = accept(&acceptor(&s), &req.gss_token());
    assert_eq!(done.context.session_enctype(), Enctype::Rc4Hmac);
    assert!(done.context.acceptor_subkey().is_none());
    let info = verify_ap_rep_for(&done.output_token.unwrap(), &req).unwrap();
    assert!(info.subkey.is_none());
}

#[test]
fn failure_with_mutual_required_produces_krb_error() {
    let s = scenario();
    let req = ap_req(&s.ticket)
        .time(KerberosTime(NOW + 3600), 0)
        .build()
        .unwrap();
    let r = refuse(&acceptor(&s), &req.gss_token(), "KRB_AP_ERR_SKEW");
    let tok = r.output_token.expect("KRB-ERROR token");
    let (code, _) = parse_krb_error(&tok).unwrap();
    assert_eq!(code, 37);
}

#[test]
fn failure_without_mutual_required_produces_no_token() {
    let s = scenario();
    let req = ap_req(&s.ticket)
        .time(KerberosTime(NOW + 3600), 0)
        .ap_options(0)
        .build()
        .unwrap();
    let r = refuse(&acceptor(&s), &req.gss_token(), "KRB_AP_ERR_SKEW");
    assert!(r.output_token.is_none());
}

#[test]
fn rejects_use_session_key_option() {
    let s = scenario();
    let req = ap_req(&s.ticket)
        .ap_options(ap_options::USE_SESSION_KEY | ap_options::MUTUAL_REQUIRED)
        .build()
        .unwrap();
    refuse(&acceptor(&s), &req.gss_token(), "KRB_AP_ERR_METHOD");
}

#[test]
fn rejects_unknown_mechanism_oid() {
    let s = scenario();
    let req = ap_req(&s.ticket).build().unwrap();
    // NTLMSSP, 1.3.6.1.4.1.311.2.2.10.
    let ntlm = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
    let r = refuse(
        &acceptor(&s),
        &gss_initial_token(&ntlm, &req.der),
        "GSS_S_BAD_MECH",
    );
    assert_eq!(r.error.gss_major(), GssMajor::BadMech);
    assert!(r.output_token.is_none());
}

#[test]
fn accepts_microsoft_kerberos_oid() {
    let s = scenario();
    let req = ap_req(&s.ticket).build().unwrap();
    let done = accept(&acceptor(&s), &gss_initial_token(MS_KRB5_OID, &req.der));
    let rep = done.output_token.unwrap();
    // The AP-REP goes back under the OID the client used.
    assert!(rep.windows(MS_KRB5_OID.len()).any(|w| w == MS_KRB5_OID));
    verify_ap_rep_for(&rep, &req).unwrap();
}

#[test]
fn rejects_ap_rep_fed_to_accept() {
    let s = scenario();
    let done = accept(
        &acceptor(&s),
        &ap_req(&s.ticket).build().unwrap().gss_token(),
    );
    let rep = done.output_token.unwrap();
    let r = refuse(&acceptor(&s), &rep, "GSS_S_DEFECTIVE_TOKEN");
    assert_eq!(r.error.gss_major(), GssMajor::DefectiveToken);
}

#[test]
fn rejects_krb_error_fed_to_accept() {
    let s = scenario();
    let req = ap_req(&s.ticket)
        .time(KerberosTime(NOW + 3600), 0)
        .build()
        .unwrap();
    let r = refuse(&acceptor(&s), &req.gss_token(), "KRB_AP_ERR_SKEW");
    let err_tok = r.output_token.unwrap();
    refuse(&acceptor(&s), &err_tok, "GSS_S_DEFECTIVE_TOKEN");
}

#[test]
fn accepts_bare_ap_req_and_answers_with_raw_ap_rep() {
    let s = scenario();
    let req = ap_req(&s.ticket).build().unwrap();
    let done = accept(&acceptor(&s), &req.der);
    assert_eq!(done.context.framing(), Framing::RawApReq);
    let rep = done.output_token.unwrap();
    assert_eq!(rep.first(), Some(&0x6f), "raw [APPLICATION 15] AP-REP");
    verify_ap_rep_for(&rep, &req).unwrap();
}

#[test]
fn bare_ap_req_failure_gets_raw_krb_error() {
    let s = scenario();
    let req = ap_req(&s.ticket)
        .time(KerberosTime(NOW - 3600), 0)
        .build()
        .unwrap();
    let r = refuse(&acceptor(&s), &req.der, "KRB_AP_ERR_SKEW");
    let tok = r.output_token.unwrap();
    assert_eq!(tok.first(), Some(&0x7e), "raw [APPLICATION 30] KRB-ERROR");
    assert_eq!(parse_krb_error(&tok).unwrap().0, 37);
}

#[test]
fn gss_token_of_kerberos_oid_is_accepted_with_gss_framing() {
    let s = scenario();
    let req = ap_req(&s.ticket).build().unwrap();
    let done = accept(&acceptor(&s), &gss_initial_token(KRB5_OID, &req.der));
    assert_eq!(done.context.framing(), Framing::Gss);
}
