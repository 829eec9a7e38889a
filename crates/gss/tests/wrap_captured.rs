//! Real MIT krb5 1.20 per-message tokens (testdata/captured/mit-1.20, non-mutual cases:
//! made with the initiator's subkey) unwrap and verify on the context kerbgate builds
//! from the same AP-REQ, for every enctype including arcfour-hmac (RFC 4757 layout).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use common::{read_cases, testdata, Case};
use kerbgate::consts::GssMajor;
use kerbgate::wrap::{MessageContext, WrapError};
use kerbgate::{Acceptor, FixedClock};
use kerbgate_keytab::Keytab;

fn dir() -> std::path::PathBuf {
    testdata().join("captured/mit-1.20")
}

fn all_cases_with_tokens() -> Vec<Case> {
    read_cases(&dir().join("tokens.txt"))
        .into_iter()
        .filter(|c| c.opt("wrap_conf").is_some())
        .collect()
}

/// The cases this build can run: arcfour-hmac tokens need the `rc4` feature.
fn cases_with_tokens() -> Vec<Case> {
    all_cases_with_tokens()
        .into_iter()
        .filter(|c| cfg!(feature = "rc4") || c.get("session_enctype") != "23")
        .collect()
}

#[cfg(not(feature = "rc4"))]
#[test]
fn arcfour_tokens_are_unavailable_without_rc4() {
    for case in all_cases_with_tokens() {
        if case.get("session_enctype") == "23" {
            let mut m = context(&case, at(&case));
            let err = m.unwrap(&case.hex("wrap_conf")).unwrap_err();
            assert_eq!(err.gss_major(), GssMajor::Unavailable, "{err}");
        }
    }
}

fn context(case: &Case, clock_at: i64) -> MessageContext {
    let keytab = Keytab::load(dir().join(case.get("keytab"))).unwrap();
    let at: i64 = case.get("captured_at").parse().unwrap();
    let acceptor = Acceptor::builder()
        .keytab(&keytab)
        .clock(Arc::new(FixedClock::at(at)))
        .build()
        .unwrap();
    let done = acceptor
        .accept(&case.hex("token"))
        .unwrap_or_else(|r| panic!("case {} ({}): {}", case.index, case.get("name"), r));
    done.context
        .into_message_context(Arc::new(FixedClock::at(clock_at)))
}

fn at(case: &Case) -> i64 {
    case.get("captured_at").parse().unwrap()
}

#[test]
fn every_enctype_is_covered() {
    let enctypes: Vec<String> = all_cases_with_tokens()
        .iter()
        .map(|c| c.get("session_enctype").to_string())
        .collect();
    for e in ["17", "18", "19", "20", "23", "25", "26"] {
        assert!(
            enctypes.iter().any(|x| x == e),
            "no captured tokens for {e}"
        );
    }
}

#[test]
fn mit_tokens_unwrap_and_verify() {
    for case in cases_with_tokens() {
        let name = format!("tokens.txt case {} ({})", case.index, case.get("name"));
        let mut m = context(&case, at(&case));
        let message = case.hex("message");
        assert_eq!(m.is_legacy(), case.get("session_enctype") == "23", "{name}");

        let sealed = m
            .unwrap(&case.hex("wrap_conf"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sealed.data, message, "{name}: wrap_conf");
        assert!(sealed.conf, "{name}");
        assert!(sealed.supplementary.is_empty(), "{name}");

        let integ = m
            .unwrap(&case.hex("wrap_integ"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(integ.data, message, "{name}: wrap_integ");
        assert!(!integ.conf, "{name}");

        let supp = m
            .verify_mic(&message, &case.hex("mic"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(supp.is_empty(), "{name}");
    }
}

#[test]
fn mit_tokens_refused_when_altered() {
    for case in cases_with_tokens() {
        let name = format!("tokens.txt case {} ({})", case.index, case.get("name"));
        let mut m = context(&case, at(&case));
        for field in ["wrap_conf", "wrap_integ"] {
            let token = case.hex(field);
            // Flip one bit in the last byte (ciphertext, checksum or padding).
            let mut bad = token.clone();
            *bad.last_mut().unwrap() ^= 1;
            let err = m.unwrap(&bad).unwrap_err();
            assert!(
                matches!(err.gss_major(), GssMajor::BadMic | GssMajor::DefectiveToken),
                "{name} {field}: {err}"
            );
        }
        let err = m
            .verify_mic(b"another message", &case.hex("mic"))
            .unwrap_err();
        assert_eq!(err.gss_major(), GssMajor::BadMic, "{name}: {err}");
    }
}

#[test]
fn mit_tokens_refused_after_expiry() {
    for case in cases_with_tokens() {
        // Tickets last a day; a week later the context is over.
        let mut m = context(&case, at(&case) + 7 * 86_400);
        let err = m.unwrap(&case.hex("wrap_conf")).unwrap_err();
        assert!(matches!(err, WrapError::Expired { .. }), "{err}");
        assert_eq!(err.gss_major(), GssMajor::ContextExpired);
        assert!(err.to_string().contains("GSS_S_CONTEXT_EXPIRED"));
        assert!(m.wrap(b"x", true).is_err());
    }
}

#[test]
fn our_tokens_verify_on_the_mirror_for_every_captured_context() {
    for case in cases_with_tokens() {
        let name = case.get("name").to_string();
        let mut m = context(&case, at(&case));
        let mut peer = m.initiator_mirror();
        for conf in [true, false] {
            let t = m.wrap(b"server reply", conf).unwrap();
            let u = peer.unwrap(&t).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((u.data.as_slice(), u.conf), (&b"server reply"[..], conf));
        }
        let mic = m.get_mic(b"signed").unwrap();
        let _ = peer.verify_mic(b"signed", &mic).unwrap();
        // And a MIT token reflected back to the initiator side is refused.
        let err = peer.unwrap(&case.hex("wrap_conf")).unwrap_err();
        assert_eq!(err.gss_major(), GssMajor::BadMic, "{name}: {err}");
    }
}
