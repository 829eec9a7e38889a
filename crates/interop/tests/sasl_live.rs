//! kerbgate-sasl's RFC 4752 server against MIT's initiator (python3-gssapi) in a
//! throwaway realm on 127.0.0.1, in process: each layer with MIT wrapping the reply and
//! opening our framed buffers at the client's announced maximum, and MIT-wrapped
//! replies that break section 3.1 (several layers, a layer not offered, an impossible
//! size, bad UTF-8) refused with the precise reason.
//!
//! Live-test policy: without MIT tools the test fails when `CI` is set and otherwise
//! prints `skipped: <reason>`.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::type_complexity,
    reason = "integration tests may unwrap"
)]

mod common;

use std::sync::Arc;

use common::{realm_with_service, TARGET};
use kerbgate::{Acceptor, SystemClock};
use kerbgate_interop::{live, GssFlag, InitRequest, Initiator};
use kerbgate_keytab::Keytab;
use kerbgate_sasl::{GssapiServer, Layer, Policy, SaslError, ServerConfig, Step};

fn reply(layer: u8, size: u32, authzid: &[u8]) -> Vec<u8> {
    let mut r = vec![layer];
    r.extend_from_slice(&size.to_be_bytes()[1..]);
    r.extend_from_slice(authzid);
    r
}

/// Runs to the offer with MIT as the client (mutual authentication).
fn to_offer(
    realm: &kerbgate_interop::MitRealm,
    ccache: &std::path::Path,
    keytab: &std::path::Path,
) -> Option<(GssapiServer, Initiator)> {
    let mut init = live(Initiator::spawn(realm, ccache))?;
    let flags = [
        GssFlag::Mutual,
        GssFlag::Conf,
        GssFlag::Integ,
        GssFlag::Sequence,
    ];
    let first = init.init(&InitRequest::new(TARGET).flags(&flags)).unwrap();
    let acceptor = Acceptor::builder()
        .keytab(&Keytab::load(keytab).unwrap())
        .build()
        .unwrap();
    let config = ServerConfig::new(
        &[Layer::None, Layer::Integrity, Layer::Confidentiality],
        4096,
    )
    .unwrap();
    let mut srv = GssapiServer::new(Arc::new(acceptor), Arc::new(SystemClock), config);
    let Step::Challenge(ap_rep) = srv.step(&first.token.unwrap()).unwrap() else {
        panic!()
    };
    assert!(init.step(&ap_rep).unwrap().complete);
    let Step::Challenge(offer) = srv.step(b"").unwrap() else {
        panic!()
    };
    let (offer, conf) = init.driver().unwrap(&offer).unwrap();
    assert_eq!((offer.as_slice(), conf), (&[7u8, 0, 0x10, 0][..], false));
    Some((srv, init))
}

#[test]
fn each_layer_with_mit_wrapping_and_unwrapping() {
    let Some((realm, ccache, keytab)) = realm_with_service(&[]) else {
        return;
    };
    for layer in [Layer::None, Layer::Integrity, Layer::Confidentiality] {
        let Some((mut srv, mut init)) = to_offer(&realm, &ccache, &keytab) else {
            return;
        };
        let size = if layer == Layer::None { 0 } else { 1000 };
        let (tok, _) = init
            .driver()
            .wrap(&reply(layer.bit(), size, b"alice"), false)
            .unwrap();
        let Step::Done(done) = srv.step(&tok).unwrap() else {
            panic!("{layer}")
        };
        let user = Policy::new()
            .authorize(&done.client, &done.service, &done.authzid)
            .unwrap();
        assert_eq!(user, "alice");
        let Some(mut sec) = done.security else {
            assert_eq!(layer, Layer::None);
            continue;
        };
        let conf = layer == Layer::Confidentiality;

        // Ours to MIT: 3000 octets in frames no longer than the client's 1000.
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let framed = sec.wrap(&data).unwrap();
        let (mut rest, mut got) = (framed.as_slice(), Vec::new());
        while !rest.is_empty() {
            let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            assert!(len <= 1000, "{layer}: frame {len}");
            let (d, c) = init.driver().unwrap(&rest[4..4 + len]).unwrap();
            assert_eq!(c, conf);
            got.extend_from_slice(&d);
            rest = &rest[4 + len..];
        }
        assert_eq!(got, data, "{layer}");

        // MIT's to ours.
        let (tok, _) = init.driver().wrap(b"a2 NOOP\r\n", conf).unwrap();
        let mut buf = u32::try_from(tok.len()).unwrap().to_be_bytes().to_vec();
        buf.extend_from_slice(&tok);
        assert_eq!(sec.unwrap(&mut buf).unwrap().unwrap(), b"a2 NOOP\r\n");
    }
}

#[test]
fn mit_wrapped_replies_breaking_section_3_1_are_refused() {
    let Some((realm, ccache, keytab)) = realm_with_service(&[]) else {
        return;
    };
    let cases: [(&str, Vec<u8>, fn(&SaslError) -> bool); 5] = [
        ("several layers", reply(6, 1000, b""), |e| {
            matches!(e, SaslError::NotExactlyOneLayer { mask: 6 })
        }),
        ("unknown layer", reply(8, 1000, b""), |e| {
            matches!(e, SaslError::NotExactlyOneLayer { mask: 8 })
        }),
        ("size with no layer", reply(1, 5, b""), |e| {
            matches!(e, SaslError::ImpossibleSize { layer: 1, size: 5 })
        }),
        ("bad utf-8", reply(1, 0, b"al\xffice"), |e| {
            matches!(e, SaslError::AuthzidNotUtf8 { len: 6 })
        }),
        ("short", vec![4, 0], |e| {
            matches!(e, SaslError::ReplyTooShort { len: 2 })
        }),
    ];
    for (i, (name, data, check)) in cases.into_iter().enumerate() {
        let Some((mut srv, mut init)) = to_offer(&realm, &ccache, &keytab) else {
            return;
        };
        let (tok, _) = init.driver().wrap(&data, true).unwrap();
        let e = srv.step(&tok).unwrap_err();
        assert!(check(&e), "case {i} ({name}): {e}");
    }

    // Someone else's authzid is refused by the default policy.
    let Some((mut srv, mut init)) = to_offer(&realm, &ccache, &keytab) else {
        return;
    };
    let (tok, _) = init.driver().wrap(&reply(1, 0, b"bob"), false).unwrap();
    let Step::Done(done) = srv.step(&tok).unwrap() else {
        panic!()
    };
    let e = Policy::new()
        .authorize(&done.client, &done.service, &done.authzid)
        .unwrap_err();
    assert!(matches!(e, SaslError::NotAuthorized { .. }), "{e}");
}
