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
use kerbgate::negotiate::{parse_authorization, www_authenticate};
use kerbgate::{
    AcceptError, Acceptor, Error, FixedClock, GroupPolicy, MessageContext, SecurityContext, Sid,
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

    // A header that is not Negotiate.
    let e = login(&acc, "Basic YWxpY2U6cHc=", &anyone).unwrap_err();
    assert!(matches!(e, Error::NegotiateHeader(_)), "{e:?}");
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

#[test]
fn the_crate_error_stays_small() {
    // Boxed where a step's enum is large, so `Result<_, Error>` stays cheap to return.
    assert!(
        std::mem::size_of::<Error>() <= 64,
        "{}",
        std::mem::size_of::<Error>()
    );
}
