//! `kerbgate::Error`, the crate's one error type: a server reading an HTTP
//! `Authorization` header, accepting the token, applying a group rule and unwrapping
//! a message can use `?` throughout, and the combined error still names the
//! Kerberos/GSS condition of the step that failed.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::error::Error as _;
use std::sync::Arc;

use common::mint::{acceptor, scenario, ticket, token, NOW};
use kerbgate::consts::GssMajor;
use kerbgate::der::{DecodeError, DecodeErrorKind};
use kerbgate::negotiate::{parse_authorization, www_authenticate};
use kerbgate::{
    AcceptError, Acceptor, Error, FixedClock, GroupPolicy, MessageContext, Pac, ReplayCacheError,
    SecurityContext, Sid, SpnegoExchange,
};

/// What a server's login handler looks like with one error type.
fn login(acc: &Acceptor, header: &str, policy: &GroupPolicy) -> Result<SecurityContext, Error> {
    let token = parse_authorization(header.as_bytes())?;
    let accepted = acc.accept(&token)?;
    policy.check(&accepted.context)?;
    Ok(accepted.context)
}

#[test]
fn each_step_keeps_its_condition_through_the_crate_error() {
    let s = scenario();
    let acc = acceptor(&s);
    let t = ticket(&s).build().unwrap();
    // The same "Negotiate <base64>" form a client's Authorization header has.
    let header = www_authenticate(&token(&t));
    let anyone = GroupPolicy::new();

    let ctx = login(&acc, &header, &anyone).unwrap();

    // The same token again: the acceptor's refusal, unchanged.
    let e = login(&acc, &header, &anyone).unwrap_err();
    assert!(matches!(&e, Error::Accept(a) if matches!(**a, AcceptError::Replay { .. })));
    assert_eq!(e.code_name(), "KRB_AP_ERR_REPEAT");
    assert_eq!(e.gss_major(), GssMajor::DuplicateToken);
    assert!(e.to_string().contains("KRB_AP_ERR_REPEAT"), "{e}");
    let inner = e.source().unwrap().downcast_ref::<AcceptError>().unwrap();
    assert_eq!(inner.code_name(), e.code_name());

    // A header of another scheme: no GSS mechanism at all.
    let e = login(&acc, "Basic YWxpY2U6cHc=", &anyone).unwrap_err();
    assert!(matches!(e, Error::NegotiateHeader(_)), "{e:?}");
    assert_eq!(e.code_name(), "GSS_S_BAD_MECH");
    // A Negotiate header whose token is not base64.
    let e = login(&acc, "Negotiate ###", &anyone).unwrap_err();
    assert_eq!(e.code_name(), "GSS_S_DEFECTIVE_TOKEN");

    // A group rule on a ticket without a PAC: authorization, not authentication.
    let admins = GroupPolicy::new().require_any_of([Sid::new(1, 5, &[32, 544]).unwrap()]);
    let e = login(&acceptor(&s), &header, &admins).unwrap_err();
    assert!(matches!(e, Error::Authz(_)), "{e:?}");
    assert_eq!(e.gss_major(), GssMajor::Unauthorized);
    assert_eq!(e.krb_error_code(), None);

    // A per-message token that is garbage.
    let mut msgs = MessageContext::new(ctx, Arc::new(FixedClock::at(NOW)));
    let e: Error = msgs.unwrap(b"\x05\x04garbage").unwrap_err().into();
    assert!(matches!(e, Error::Wrap(_)), "{e:?}");
    assert_eq!(e.code_name(), "GSS_S_DEFECTIVE_TOKEN");
}

/// The SPNEGO step of an HTTP Negotiate handler.
fn spnego_login(acc: Arc<Acceptor>, token: &[u8]) -> Result<bool, Error> {
    let mut exchange = SpnegoExchange::new(acc);
    let _reply = exchange.step(token)?;
    Ok(exchange.is_complete())
}

#[test]
fn spnego_rejections_convert_too() {
    let s = scenario();
    let acc = Arc::new(acceptor(&s));
    let t = ticket(&s).build().unwrap();
    // A bare Kerberos token completes through the SPNEGO exchange as well.
    assert!(spnego_login(acc.clone(), &token(&t)).unwrap());
    // The same token again: the refusal inside SPNEGO keeps its Kerberos code.
    let e = spnego_login(acc.clone(), &token(&t)).unwrap_err();
    assert!(matches!(e, Error::Spnego(_)), "{e:?}");
    assert_eq!(e.code_name(), "KRB_AP_ERR_REPEAT");
    assert_eq!(e.gss_major(), GssMajor::DuplicateToken);
    // A raw NTLMSSP message.
    let e = spnego_login(acc, b"NTLMSSP\0\x01\0\0\0").unwrap_err();
    assert_eq!(e.code_name(), "GSS_S_BAD_MECH");
}

#[test]
fn every_step_error_answers_as_it_did_before_conversion() {
    let decode = DecodeError::new(
        "AP-REQ",
        3,
        DecodeErrorKind::BadValue {
            field: "pvno",
            expected: 5,
            found: 4,
        },
    );
    let e = Error::from(decode.clone());
    assert_eq!(e.krb_error_code(), Some(decode.krb_error_code()));
    assert_eq!(e.code_name(), "KRB_AP_ERR_BADVERSION");
    assert_eq!(e.gss_major(), decode.gss_major());
    let accept = AcceptError::Defective(decode);
    assert_eq!(e.code_name(), accept.code_name());

    let pac = Pac::parse(b"short").unwrap_err();
    let e = Error::from(pac.clone());
    let accept = AcceptError::Pac(pac);
    assert_eq!(e.code_name(), accept.code_name());
    assert_eq!(e.gss_major(), accept.gss_major());

    let full = ReplayCacheError::Full { capacity: 10 };
    let e = Error::from(full.clone());
    let accept = AcceptError::ReplayCache(full);
    assert_eq!(e.code_name(), accept.code_name());
    assert_eq!(e.gss_major(), accept.gss_major());
    assert!(e.to_string().contains("replay cache full"), "{e}");
}

#[test]
fn the_crate_error_stays_small() {
    // Boxed where a step's enum is large, so `Result<_, Error>` stays cheap to return.
    assert!(
        std::mem::size_of::<Error>() <= 64,
        "{}",
        std::mem::size_of::<Error>()
    );
}
