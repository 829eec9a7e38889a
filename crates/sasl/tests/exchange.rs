//! Whole RFC 4752 exchanges against testkit AP-REQs, the client played by the
//! context's initiator mirror: each layer, with and without mutual authentication,
//! every negotiation failure after a real unwrap, and the framed security layer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::type_complexity,
    reason = "tests may unwrap; lengths here are small"
)]

use std::sync::Arc;

use kerbgate::consts::gss_flags as f;
use kerbgate::wrap::InitiatorMirror;
use kerbgate::{Acceptor, FixedClock};
use kerbgate_sasl::{GssapiServer, Layer, Policy, SaslError, ServerConfig, Step};
use kerbgate_testkit::{AuthChecksum, GssChecksum, Scenario, FIXED_TIME};

const NOW: i64 = FIXED_TIME.0 + 60;
/// APOptions mutual-required (RFC 4120 5.5.1).
const MUTUAL_REQUIRED: u32 = 1 << 29;

fn server(s: &Scenario, config: ServerConfig) -> GssapiServer {
    let clock = Arc::new(FixedClock::at(NOW));
    let acceptor = Acceptor::builder()
        .keytab(&s.kdc.keytab())
        .clock(clock.clone())
        .build()
        .unwrap();
    GssapiServer::new(Arc::new(acceptor), clock, config)
}

fn token(s: &Scenario, mutual: bool) -> Vec<u8> {
    let flags = f::CONF | f::INTEG | f::SEQUENCE | if mutual { f::MUTUAL } else { 0 };
    s.ap_req_builder()
        .seq_number(Some(7))
        .ap_options(if mutual { MUTUAL_REQUIRED } else { 0 })
        .checksum(AuthChecksum::Gss(GssChecksum::with_flags(flags)))
        .build()
        .unwrap()
        .gss_token()
}

fn challenge(step: Step) -> Vec<u8> {
    match step {
        Step::Challenge(c) => c,
        other => panic!("expected a challenge, got {other:?}"),
    }
}

/// Runs to the offer; returns the server, the client mirror and the unwrapped offer.
fn to_offer(config: ServerConfig, mutual: bool) -> (GssapiServer, InitiatorMirror, Vec<u8>) {
    let s = Scenario::new().unwrap();
    let mut srv = server(&s, config);
    // No initial response: the client answers the empty challenge with its token.
    assert!(challenge(srv.step(b"").unwrap()).is_empty());
    let first = challenge(srv.step(&token(&s, mutual)).unwrap());
    let mut mirror = srv.initiator_mirror().unwrap();
    let offer = if mutual {
        assert!(!first.is_empty(), "the AP-REP comes first");
        challenge(srv.step(b"").unwrap())
    } else {
        first
    };
    let opened = mirror.unwrap(&offer).unwrap();
    assert!(
        !opened.conf,
        "RFC 4752 3.1: the offer is wrapped without confidentiality"
    );
    (srv, mirror, opened.data)
}

fn reply(layer: u8, size: u32, authzid: &str) -> Vec<u8> {
    let mut r = vec![layer];
    r.extend_from_slice(&size.to_be_bytes()[1..]);
    r.extend_from_slice(authzid.as_bytes());
    r
}

#[test]
fn each_layer_with_and_without_mutual() {
    for mutual in [false, true] {
        for layer in [Layer::None, Layer::Integrity, Layer::Confidentiality] {
            let what = format!("{layer} mutual={mutual}");
            let (mut srv, mut mirror, offer) = to_offer(ServerConfig::default(), mutual);
            assert_eq!(offer, [7, 1, 0, 0], "{what}: all layers, 65536");
            let size = if layer == Layer::None { 0 } else { 4096 };
            let t = mirror
                .wrap(&reply(layer.bit(), size, "alice"), false)
                .unwrap();
            let Step::Done(done) = srv.step(&t).unwrap() else {
                panic!("{what}")
            };
            assert_eq!(done.layer, layer, "{what}");
            assert_eq!(done.authzid, "alice");
            let user = Policy::new().authorize(&done.client, &done.service, &done.authzid);
            assert_eq!(user.unwrap(), "alice", "{what}");
            assert_eq!(done.security.is_some(), layer != Layer::None, "{what}");
            assert!(matches!(srv.step(b""), Err(SaslError::Finished)));
        }
    }
}

#[test]
fn no_layer_only_announces_zero_size() {
    let config = ServerConfig::new(&[Layer::None], 65536).unwrap();
    let (_, _, offer) = to_offer(config, false);
    assert_eq!(offer, [1, 0, 0, 0]);
}

#[test]
fn negotiation_failures_after_a_valid_unwrap() {
    let only_integrity = ServerConfig::new(&[Layer::Integrity], 4096).unwrap();
    let cases: Vec<(&str, Vec<u8>, fn(&SaslError) -> bool)> = vec![
        ("short", vec![2, 0, 1], |e| {
            matches!(e, SaslError::ReplyTooShort { len: 3 })
        }),
        ("two layers", reply(6, 4096, ""), |e| {
            matches!(e, SaslError::NotExactlyOneLayer { mask: 6 })
        }),
        ("not offered", reply(4, 4096, ""), |e| {
            matches!(
                e,
                SaslError::LayerNotOffered {
                    chosen: 4,
                    offered: 2
                }
            )
        }),
        ("zero size", reply(2, 0, ""), |e| {
            matches!(e, SaslError::ImpossibleSize { .. })
        }),
        ("bad utf-8", [reply(2, 64, ""), vec![0xc3]].concat(), |e| {
            matches!(e, SaslError::AuthzidNotUtf8 { len: 1 })
        }),
    ];
    for (i, (name, data, check)) in cases.into_iter().enumerate() {
        let (mut srv, mut mirror, _) = to_offer(only_integrity.clone(), false);
        let t = mirror.wrap(&data, false).unwrap();
        let e = srv.step(&t).unwrap_err();
        assert!(check(&e), "case {i} ({name}): {e}");
        assert!(matches!(srv.step(&t), Err(SaslError::Finished)), "case {i}");
    }
}

#[test]
fn unwrap_failure_and_unexpected_responses() {
    let (mut srv, mut mirror, _) = to_offer(ServerConfig::default(), false);
    let mut t = mirror.wrap(&reply(1, 0, ""), false).unwrap();
    let last = t.len() - 1;
    t[last] ^= 1;
    let e = srv.step(&t).unwrap_err();
    assert!(matches!(e, SaslError::Unwrap { .. }), "{e}");

    // A non-empty response where the empty one after the AP-REP belongs.
    let s = Scenario::new().unwrap();
    let mut srv = server(&s, ServerConfig::default());
    challenge(srv.step(&token(&s, true)).unwrap());
    let e = srv.step(b"x").unwrap_err();
    assert!(
        matches!(e, SaslError::UnexpectedResponse { len: 1, .. }),
        "{e}"
    );

    // Garbage instead of a context token, and endless empty responses.
    let mut srv = server(&s, ServerConfig::default());
    assert!(matches!(
        srv.step(b"\x60\x01"),
        Err(SaslError::ContextRefused { .. })
    ));
    let mut srv = server(&s, ServerConfig::default());
    let e = (0..5).find_map(|_| srv.step(b"").err()).unwrap();
    assert!(matches!(e, SaslError::TooManyEmptyResponses { .. }));
}

#[test]
fn security_layer_frames_and_enforces_sizes() {
    for conf in [false, true] {
        let config = ServerConfig::new(&[Layer::Integrity, Layer::Confidentiality], 2048).unwrap();
        let (mut srv, mut mirror, _) = to_offer(config, false);
        let layer = if conf { 4 } else { 2 };
        let t = mirror.wrap(&reply(layer, 1024, ""), false).unwrap();
        let Step::Done(done) = srv.step(&t).unwrap() else {
            panic!()
        };
        let mut sec = done.security.unwrap();
        assert_eq!(sec.confidential(), conf);

        // Server to client: a long buffer becomes several frames, each within 1024.
        let data = vec![0x41u8; 5000];
        let framed = sec.wrap(&data).unwrap();
        let mut rest = framed.as_slice();
        let mut got = Vec::new();
        while !rest.is_empty() {
            let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            assert!(len <= 1024, "frame {len} over the client's maximum");
            let u = mirror.unwrap(&rest[4..4 + len]).unwrap();
            assert_eq!(u.conf, conf);
            got.extend_from_slice(&u.data);
            rest = &rest[4 + len..];
        }
        assert_eq!(got, data);

        // Client to server: partial frames wait, whole ones open.
        let tok = mirror.wrap(b"a1 NOOP\r\n", conf).unwrap();
        let mut buf = (tok.len() as u32).to_be_bytes().to_vec();
        buf.extend_from_slice(&tok[..3]);
        assert!(sec.unwrap(&mut buf).unwrap().is_none());
        buf.extend_from_slice(&tok[3..]);
        assert_eq!(sec.unwrap(&mut buf).unwrap().unwrap(), b"a1 NOOP\r\n");
        assert!(buf.is_empty());

        // A length prefix over our 2048 is refused before the body arrives.
        let mut big = 4000u32.to_be_bytes().to_vec();
        assert!(matches!(
            sec.unwrap(&mut big),
            Err(SaslError::FrameTooLarge {
                len: 4000,
                max: 2048
            })
        ));

        // Integrity-only data under confidentiality is refused.
        if conf {
            let tok = mirror.wrap(b"x", false).unwrap();
            let mut buf = (tok.len() as u32).to_be_bytes().to_vec();
            buf.extend_from_slice(&tok);
            assert!(matches!(
                sec.unwrap(&mut buf),
                Err(SaslError::NotConfidential)
            ));
        }
    }
}
