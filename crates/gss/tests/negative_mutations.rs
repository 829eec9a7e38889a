//! Mutated tokens: every single-bit flip and every truncation of valid tokens is a typed
//! refusal unless the flipped byte lies in a field no checksum covers (RFC 4120 5.5.1:
//! ap-options travel in clear; 5.3: the Ticket's sname is outside its enc-part). Also
//! checks that no Debug or Display output carries key bytes (STYLE 9).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::ops::Range;

use common::mint::{ap_req, builder, scenario};
use kerbgate::{Acceptor, ChannelBindings};
use kerbgate_crypto::{Enctype, Key};
use kerbgate_testkit::{AuthChecksum, Bindings, GssChecksum, Scenario};

const CB_DATA: &[u8] = b"tls-server-end-point:fedcba";

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{needle:02x?} not in token"))
}

/// The byte ranges of `tok` not covered by any integrity check: the AP-REQ's
/// ap-options BIT STRING content (unused-bits octet and four flag octets) and the
/// value octet of the Ticket's sname name-type (the acceptor ignores name types).
fn unprotected_spans(tok: &[u8]) -> Vec<Range<usize>> {
    // ap-options [2] BIT STRING, 5 content octets.
    let opts = find(tok, &[0xa2, 0x07, 0x03, 0x05]) + 4;
    // Ticket: realm [1] GeneralString "EXAMPLE.COM", then sname [2] PrincipalName whose
    // name-type [0] INTEGER is one octet.
    let realm = find(tok, b"\x1b\x0bEXAMPLE.COM") + 13;
    assert_eq!(tok[realm], 0xa2, "sname follows the ticket realm");
    assert_eq!(tok[realm + 2], 0x30);
    assert_eq!(&tok[realm + 4..realm + 8], &[0xa0, 0x03, 0x02, 0x01]);
    let name_type = realm + 8;
    vec![opts..opts + 5, name_type..name_type + 1]
}

struct Shape {
    name: &'static str,
    token: Vec<u8>,
    acceptor: Acceptor,
}

fn shapes(s: &Scenario) -> Vec<Shape> {
    let plain = builder(&s.kdc.keytab())
        .dangerous_disable_replay_cache()
        .build()
        .unwrap();
    let with_cb = builder(&s.kdc.keytab())
        .dangerous_disable_replay_cache()
        .channel_bindings(ChannelBindings::from_application_data(CB_DATA))
        .strict_channel_bindings(true)
        .build()
        .unwrap();
    let cb = GssChecksum {
        bindings: Bindings::Channel(kerbgate_testkit::ChannelBindings::application(CB_DATA)),
        ..GssChecksum::default()
    };
    let rich = ap_req(&s.ticket)
        .subkey_enctype(Enctype::Aes128CtsHmacSha256128)
        .seq_number(Some(0x8000_0001))
        .checksum(AuthChecksum::Gss(cb))
        .build()
        .unwrap();
    vec![
        Shape {
            name: "default",
            token: ap_req(&s.ticket).build().unwrap().gss_token(),
            acceptor: plain,
        },
        Shape {
            name: "subkey+seq+bindings",
            token: rich.gss_token(),
            acceptor: with_cb,
        },
    ]
}

#[test]
fn bit_flips_are_refused_outside_unprotected_fields() {
    let s = scenario();
    for shape in shapes(&s) {
        let tok = &shape.token;
        shape.acceptor.accept(tok).unwrap();
        let spans = unprotected_spans(tok);
        let mut accepted_outside = Vec::new();
        let mut refused = 0;
        for i in 0..tok.len() {
            let mut t = tok.clone();
            t[i] ^= 0x01;
            match shape.acceptor.accept(&t) {
                Ok(_) if spans.iter().any(|r| r.contains(&i)) => {}
                Ok(_) => accepted_outside.push(i),
                Err(r) => {
                    // Typed: every refusal names a Kerberos or GSS condition.
                    let code = r.error.code_name();
                    assert!(
                        code.starts_with("KRB_")
                            || code.starts_with("KDC_")
                            || code.starts_with("GSS_S_"),
                        "{}: flip at {i}: {code}",
                        shape.name
                    );
                    refused += 1;
                }
            }
        }
        assert!(
            accepted_outside.is_empty(),
            "{}: flips accepted outside unprotected spans {spans:?}: {accepted_outside:?}",
            shape.name
        );
        assert!(refused > tok.len() - 8, "{}: {refused} refused", shape.name);
    }
}

#[test]
fn every_truncation_is_refused() {
    let s = scenario();
    for shape in shapes(&s) {
        let bare = ap_req(&s.ticket).build().unwrap().der;
        for tok in [&shape.token, &bare] {
            for n in 0..tok.len() {
                let r = shape
                    .acceptor
                    .accept(&tok[..n])
                    .expect_err(&format!("{}: truncated to {n}", shape.name));
                assert!(
                    r.error.code_name().starts_with("GSS_S_")
                        || r.error.code_name().starts_with("KRB_"),
                    "{}: {n}: {}",
                    shape.name,
                    r.error
                );
            }
        }
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let s = scenario();
    for shape in shapes(&s) {
        let mut tok = shape.token.clone();
        tok.push(0);
        shape.acceptor.accept(&tok).expect_err(shape.name);
    }
}

/// Renderings of a key a leak could take: lower and upper hex, the Debug list of its
/// octets, and the raw octets.
fn forms(key: &[u8]) -> Vec<Vec<u8>> {
    vec![
        hex::encode(key).into_bytes(),
        hex::encode_upper(key).into_bytes(),
        format!("{key:?}")
            .trim_matches(['[', ']'])
            .as_bytes()
            .to_vec(),
        key.to_vec(),
    ]
}

fn assert_no_key(text: &str, keys: &[(&str, Vec<u8>)], what: &str) {
    for (name, key) in keys {
        for form in forms(key) {
            assert!(
                !text
                    .as_bytes()
                    .windows(form.len())
                    .any(|w| w == form.as_slice()),
                "{what} contains the {name}"
            );
        }
    }
}

#[test]
fn debug_and_errors_never_show_key_bytes() {
    let s = scenario();
    let service_key = s.service_key.expose_secret_bytes().to_vec();
    let session_key = s.ticket.session_key.expose_secret_bytes().to_vec();
    let mut keys = vec![("service key", service_key), ("session key", session_key)];

    for shape in shapes(&s) {
        let done = shape.acceptor.accept(&shape.token).unwrap();
        let ctx = &done.context;
        for k in [ctx.acceptor_subkey(), ctx.initiator_subkey()]
            .into_iter()
            .flatten()
        {
            keys.push(("subkey", k.expose_secret_bytes().to_vec()));
        }
        assert_no_key(&format!("{ctx:?}"), &keys, "SecurityContext Debug");
        assert_no_key(&format!("{done:?}"), &keys, "Accepted Debug");
        assert_no_key(&format!("{:?}", shape.acceptor), &keys, "Acceptor Debug");

        // Refusals of every kind the flips and truncations reach.
        let tok = &shape.token;
        for i in 0..tok.len() {
            let mut t = tok.clone();
            t[i] ^= 0x01;
            let mut cut = tok.clone();
            cut.truncate(i);
            for input in [t, cut] {
                if let Err(r) = shape.acceptor.accept(&input) {
                    let what = format!("{} refusal {}", shape.name, r.error.code_name());
                    assert_no_key(&r.error.to_string(), &keys, &what);
                    assert_no_key(&format!("{:?}", r.error), &keys, &what);
                    assert_no_key(&format!("{r:?}"), &keys, &what);
                }
            }
        }
    }

    // A wrong keytab key (same kvno, other password) must not appear either.
    let wrong = Key::from_password(
        Enctype::Aes256CtsHmacSha196,
        b"wrong",
        b"EXAMPLE.COMimapmail.example.com",
        None,
    )
    .unwrap();
    keys.push(("wrong key", wrong.expose_secret_bytes().to_vec()));
    let mut kdc = kerbgate_testkit::Kdc::new("EXAMPLE.COM");
    kdc.add_service(
        "imap/mail.example.com",
        kerbgate_testkit::ServiceKeyOpts::new(
            Enctype::Aes256CtsHmacSha196,
            2,
            kerbgate_testkit::KeySecret::Bytes(wrong.expose_secret_bytes().to_vec()),
        ),
    )
    .unwrap();
    let acc = builder(&kdc.keytab()).build().unwrap();
    let r = acc.accept(&shapes(&s)[0].token).unwrap_err();
    assert_eq!(r.error.code_name(), "KRB_AP_ERR_BAD_INTEGRITY");
    assert_no_key(&format!("{r:?} {}", r.error), &keys, "integrity refusal");
}
