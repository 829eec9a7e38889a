//! kerbgate's per-message tokens against MIT's initiator (python3-gssapi) in a
//! throwaway realm on 127.0.0.1: for every enctype, with and without mutual
//! authentication (acceptor subkey or not; arcfour-hmac without one uses RFC 4757
//! tokens), wrap with and without confidentiality both ways, MIC both ways, chosen
//! RRC values, replayed and reordered tokens in both directions.
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
use kerbgate::consts::GssMajor;
use kerbgate::wrap::{MessageContext, Supplementary, WrapError, WrapOptions};
use kerbgate::{Acceptor, SystemClock};
use kerbgate_interop::{enctypes, live, GssFlag, InitRequest, Initiator};
use kerbgate_keytab::Keytab;

/// Establishes a context: MIT initiates, kerbgate accepts (and MIT takes the AP-REP).
fn establish(
    realm: &kerbgate_interop::MitRealm,
    ccache: &std::path::Path,
    keytab: &std::path::Path,
    mutual: bool,
) -> Option<(Initiator, MessageContext)> {
    let mut init = live(Initiator::spawn(realm, ccache))?;
    let mut flags = vec![
        GssFlag::Conf,
        GssFlag::Integ,
        GssFlag::Replay,
        GssFlag::Sequence,
    ];
    if mutual {
        flags.push(GssFlag::Mutual);
    }
    let first = init.init(&InitRequest::new(TARGET).flags(&flags)).unwrap();
    let kt = Keytab::load(keytab).unwrap();
    let acceptor = Acceptor::builder()
        .keytab(&kt)
        .clock(Arc::new(SystemClock))
        .build()
        .unwrap();
    let done = acceptor
        .accept(&first.token.unwrap())
        .unwrap_or_else(|r| panic!("kerbgate refused MIT's AP-REQ: {r}"));
    assert_eq!(done.output_token.is_some(), mutual);
    if let Some(rep) = done.output_token {
        assert!(init.step(&rep).unwrap().complete);
    }
    Some((
        init,
        done.context.into_message_context(Arc::new(SystemClock)),
    ))
}

fn exercise(enctype: i32, mutual: bool) {
    let name = enctypes::name(enctype).unwrap();
    let what = format!("{name} mutual={mutual}");
    let Some((realm, ccache, keytab)) = realm_with_service(&[name]) else {
        return;
    };
    // The KDC picks the session key from the client's list unless told.
    realm
        .set_string(common::SERVICE, "session_enctypes", name)
        .unwrap();
    let Some((mut init, mut ours)) = establish(&realm, &ccache, &keytab, mutual) else {
        return;
    };
    assert_eq!(
        ours.context().session_enctype().to_i32(),
        enctype,
        "{what}: session key"
    );
    let legacy = enctype == 23 && ours.context().acceptor_subkey().is_none();
    assert_eq!(ours.is_legacy(), legacy, "{what}");
    // Without mutual authentication there is no acceptor subkey: arcfour-hmac then
    // runs the RFC 4757 token format.
    assert!(mutual || enctype != 23 || ours.is_legacy(), "{what}");
    let mit = init.driver();

    // MIT -> kerbgate, both protections.
    for conf in [true, false] {
        let (tok, c) = mit.wrap(b"a1 LOGIN alice", conf).unwrap();
        assert_eq!(c, conf);
        let u = ours
            .unwrap(&tok)
            .unwrap_or_else(|e| panic!("{what} conf={conf}: {e}"));
        assert_eq!((u.data.as_slice(), u.conf), (&b"a1 LOGIN alice"[..], conf));
        assert!(u.supplementary.is_empty(), "{what}: {:?}", u.supplementary);
    }

    // kerbgate -> MIT, both protections and several RRC values.
    let rrcs: &[u16] = if legacy { &[0] } else { &[0, 12, 28, 5, 1000] };
    for conf in [true, false] {
        for &rrc in rrcs {
            let tok = ours
                .wrap_with(b"* OK ready", WrapOptions::new(conf).rrc(rrc))
                .unwrap();
            let (data, c) = mit
                .unwrap(&tok)
                .unwrap_or_else(|e| panic!("{what} conf={conf} rrc={rrc}: MIT refused: {e}"));
            assert_eq!((data.as_slice(), c), (&b"* OK ready"[..], conf), "{what}");
        }
    }

    // MIC both ways; MIT refuses ours over other data.
    let mic = mit.get_mic(b"client signs").unwrap();
    assert!(ours.verify_mic(b"client signs", &mic).unwrap().is_empty());
    let mic = ours.get_mic(b"server signs").unwrap();
    mit.verify_mic(b"server signs", &mic)
        .unwrap_or_else(|e| panic!("{what}: MIT refused our MIC: {e}"));
    assert!(mit.verify_mic(b"server lies", &mic).is_err());

    // Replays: MIT's token twice to us, ours twice to MIT.
    let (tok, _) = mit.wrap(b"once", true).unwrap();
    let _ = ours.unwrap(&tok).unwrap();
    let e = ours.unwrap(&tok).unwrap_err();
    assert!(matches!(e, WrapError::Duplicate { .. }), "{what}: {e}");
    let mine = ours.wrap(b"once", true).unwrap();
    let _ = mit.unwrap(&mine).unwrap();
    assert!(mit.unwrap(&mine).is_err(), "{what}: MIT took a replay");

    // Reordering: MIT's tokens 2 before 1, then 1 again.
    let (t1, _) = mit.wrap(b"first", false).unwrap();
    let (t2, _) = mit.wrap(b"second", true).unwrap();
    let u2 = ours.unwrap(&t2).unwrap();
    assert_eq!(u2.data, b"second");
    assert!(
        matches!(u2.supplementary[..], [Supplementary::Gap { .. }]),
        "{what}: {:?}",
        u2.supplementary
    );
    let u1 = ours.unwrap(&t1).unwrap();
    assert_eq!(u1.data, b"first");
    assert!(
        matches!(u1.supplementary[..], [Supplementary::Unsequenced { .. }]),
        "{what}: {:?}",
        u1.supplementary
    );
    assert_eq!(
        ours.unwrap(&t1).unwrap_err().gss_major(),
        GssMajor::DuplicateToken
    );

    // And ours out of order to MIT: MIT reports GSS_S_GAP_TOKEN (16) for the later
    // token and GSS_S_UNSEQ_TOKEN (8) for the skipped one (python-gssapi raises on
    // any status but complete, so both surface as errors naming the status).
    let o1 = ours.wrap(b"one", true).unwrap();
    let o2 = ours.wrap(b"two", true).unwrap();
    let gap = mit.unwrap(&o2).unwrap_err().to_string();
    assert!(gap.contains("Major (16)"), "{what}: {gap}");
    let late = mit.unwrap(&o1).unwrap_err().to_string();
    assert!(late.contains("Major (8)"), "{what}: {late}");
    // MIT keeps working after the reordering.
    let o3 = ours.wrap(b"three", false).unwrap();
    assert_eq!(mit.unwrap(&o3).unwrap().0, b"three");
    drop(realm);
}

macro_rules! per_enctype {
    ($($test:ident => $n:expr),* $(,)?) => {$(
        #[test]
        fn $test() {
            exercise($n, true);
            exercise($n, false);
        }
    )*};
}

per_enctype! {
    wrap_with_mit_aes128_cts_hmac_sha1_96 => 17,
    wrap_with_mit_aes256_cts_hmac_sha1_96 => 18,
    wrap_with_mit_aes128_cts_hmac_sha256_128 => 19,
    wrap_with_mit_aes256_cts_hmac_sha384_192 => 20,
    wrap_with_mit_arcfour_hmac => 23,
    wrap_with_mit_camellia128_cts_cmac => 25,
    wrap_with_mit_camellia256_cts_cmac => 26,
}
