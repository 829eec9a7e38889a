//! Sequence numbers crossing 2^32 on established contexts (issue 8): RFC 4757 tokens
//! carry 32-bit numbers and wrap to 0; RFC 4121 tokens carry 64 bits, and an initiator
//! either goes on to 2^32 (MIT) or, counting in 32 bits, wraps to 0 (Heimdal). Across
//! the boundary the acceptor's window must take every next token quietly, refuse every
//! duplicate, and keep reporting late tokens as unsequenced.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use common::mint::{builder, scenario, NOW};
use kerbgate::consts::gss_flags as f;
#[cfg(feature = "rc4")]
use kerbgate::wrap::Supplementary;
use kerbgate::wrap::{MessageContext, WrapError};
use kerbgate::FixedClock;
use kerbgate_crypto::{Enctype, Key};
use kerbgate_testkit::{AuthChecksum, GssChecksum};

/// Confidentiality, integrity, replay and sequence detection; no mutual, so the
/// initiator subkey is the context key and two contexts can share it.
const FLAGS: u32 = f::CONF | f::INTEG | f::REPLAY | f::SEQUENCE;

/// 16 tokens before the 32-bit wrap.
const START: u32 = 0xffff_fff0;

/// An acceptor context whose peer starts at `seq`, keyed by `subkey`.
fn context(subkey: &Key, seq: u32) -> MessageContext {
    let s = scenario();
    let token = s
        .ap_req_builder()
        .subkey(Some(subkey.clone()))
        .seq_number(Some(seq))
        .ap_options(0)
        .checksum(AuthChecksum::Gss(GssChecksum::with_flags(FLAGS)))
        .build()
        .unwrap()
        .gss_token();
    // A fresh acceptor each time: the same subkey may be used by two contexts.
    let acc = builder(&s.kdc.keytab()).build().unwrap();
    let done = acc.accept(&token).unwrap();
    done.context
        .into_message_context(Arc::new(FixedClock::at(NOW)))
}

fn key(et: Enctype) -> Key {
    Key::new(et, &vec![0x5a; et.key_len()]).unwrap()
}

/// The peer sends `n` tokens; every one must be quiet and each replay refused.
fn take_in_order(acc: &mut MessageContext, tokens: &[Vec<u8>], what: &str) {
    for (i, t) in tokens.iter().enumerate() {
        let u = acc
            .unwrap(t)
            .unwrap_or_else(|e| panic!("{what}: token {i}: {e}"));
        assert!(u.supplementary.is_empty(), "{what}: token {i}: {u:?}");
        assert!(
            matches!(acc.unwrap(t), Err(WrapError::Duplicate { .. })),
            "{what}: token {i} replayed"
        );
    }
}

#[cfg(feature = "rc4")]
#[test]
fn rfc4757_sequence_numbers_wrap_to_zero() {
    let mut acc = context(&key(Enctype::Rc4Hmac), START);
    assert!(acc.is_legacy());
    let mut ini = acc.initiator_mirror();
    let tokens: Vec<Vec<u8>> = (0..40).map(|_| ini.wrap(b"w", true).unwrap()).collect();
    take_in_order(&mut acc, &tokens, "rc4");
    // Every earlier token stays a duplicate, before and after the wrap.
    for (i, t) in tokens.iter().enumerate().rev().take(30) {
        assert!(
            matches!(acc.unwrap(t), Err(WrapError::Duplicate { .. })),
            "rc4: token {i} again"
        );
    }
    // MICs share the numbering.
    let mic = ini.get_mic(b"m").unwrap();
    assert!(acc.verify_mic(b"m", &mic).unwrap().is_empty());
    assert!(acc.verify_mic(b"m", &mic).is_err());
}

#[cfg(feature = "rc4")]
#[test]
fn rfc4757_late_tokens_across_the_wrap_are_unsequenced() {
    let mut acc = context(&key(Enctype::Rc4Hmac), START);
    let mut ini = acc.initiator_mirror();
    let tokens: Vec<Vec<u8>> = (0..20).map(|_| ini.wrap(b"w", true).unwrap()).collect();
    for t in &tokens[..14] {
        let _ = acc.unwrap(t).unwrap();
    }
    // 0xfffffffe and 0xffffffff are skipped; 0 arrives: a gap of two.
    let u = acc.unwrap(&tokens[16]).unwrap();
    assert_eq!(
        u.supplementary,
        vec![Supplementary::Gap {
            expected: 0xffff_fffe,
            received: 0
        }]
    );
    for late in [15, 14] {
        let u = acc.unwrap(&tokens[late]).unwrap();
        assert!(
            matches!(u.supplementary[..], [Supplementary::Unsequenced { .. }]),
            "{u:?}"
        );
        assert!(matches!(
            acc.unwrap(&tokens[late]),
            Err(WrapError::Duplicate { .. })
        ));
    }
    take_in_order(&mut acc, &tokens[17..], "rc4 after the gap");
}

#[test]
fn rfc4121_64_bit_numbers_cross_2_32() {
    for et in [
        Enctype::Aes256CtsHmacSha196,
        Enctype::Aes128CtsHmacSha256128,
    ] {
        let mut acc = context(&key(et), START);
        assert!(!acc.is_legacy());
        let mut ini = acc.initiator_mirror();
        let tokens: Vec<Vec<u8>> = (0..40).map(|_| ini.wrap(b"w", true).unwrap()).collect();
        // The mirror counts in 64 bits, as MIT does: the 17th token says 2^32.
        assert_eq!(tokens[16][8..16], (1u64 << 32).to_be_bytes());
        take_in_order(&mut acc, &tokens, et.name());
        for t in &tokens[10..] {
            assert!(matches!(acc.unwrap(t), Err(WrapError::Duplicate { .. })));
        }
    }
}

#[test]
fn rfc4121_32_bit_initiators_wrap_to_zero() {
    // Heimdal counts in 32 bits: after 0xffffffff comes 0 in the 64-bit field. Two
    // contexts share a key: `before` numbers from START, `after` from 0.
    let k = key(Enctype::Aes256CtsHmacSha196);
    let mut acc = context(&k, START);
    let mut before = acc.initiator_mirror();
    let mut after = context(&k, 0).initiator_mirror();
    let mut tokens: Vec<Vec<u8>> = (0..16).map(|_| before.wrap(b"w", true).unwrap()).collect();
    tokens.extend((0..24).map(|_| after.wrap(b"w", true).unwrap()));
    assert_eq!(tokens[16][8..16], 0u64.to_be_bytes());
    take_in_order(&mut acc, &tokens, "32-bit RFC 4121");
    for t in &tokens[8..] {
        assert!(matches!(acc.unwrap(t), Err(WrapError::Duplicate { .. })));
    }
    // The MIT-style number for the same position is the same token number: refused.
    let mut mit = acc.initiator_mirror();
    let _ = (0..16).map(|_| mit.wrap(b"x", true).unwrap()).count();
    let t = mit.wrap(b"x", true).unwrap();
    assert_eq!(t[8..16], (1u64 << 32).to_be_bytes());
    assert!(matches!(acc.unwrap(&t), Err(WrapError::Duplicate { .. })));
}

#[test]
fn numbers_far_behind_after_a_wrap_are_old() {
    let k = key(Enctype::Aes256CtsHmacSha196);
    let mut acc = context(&k, START);
    let mut before = acc.initiator_mirror();
    let early: Vec<Vec<u8>> = (0..16).map(|_| before.wrap(b"w", true).unwrap()).collect();
    let mut after = context(&k, 0).initiator_mirror();
    for t in &early {
        let _ = acc.unwrap(t).unwrap();
    }
    for _ in 0..100 {
        let _ = acc.unwrap(&after.wrap(b"w", true).unwrap()).unwrap();
    }
    // 0xfffffff0 is now more than the window behind: refused as old, not taken as new.
    assert!(matches!(acc.unwrap(&early[0]), Err(WrapError::Old { .. })));
}
