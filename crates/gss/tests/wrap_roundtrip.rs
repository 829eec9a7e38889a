//! Round trips between our acceptor side and the initiator mirror on contexts built
//! from testkit AP-REQs: every enctype, with and without an acceptor subkey, sealed and
//! integrity-only, MIC both ways, chosen RRC and EC, DCE-style rotation, the replay and
//! sequence window, sequence number starting points and wrap_size_limit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use common::mint::{acceptor, scenario, NOW};
use kerbgate::consts::{gss_flags as f, GssMajor};
use kerbgate::wrap::{MessageContext, Supplementary, WrapError, WrapOptions};
use kerbgate::FixedClock;
use kerbgate_crypto::Enctype;
use kerbgate_testkit::{AuthChecksum, GssChecksum};

/// APOptions mutual-required (RFC 4120 5.5.1, bit 2).
const MUTUAL_REQUIRED: u32 = 1 << 29;

const INITIATOR_SEQ: u32 = 0x1234_5678;

fn enctypes() -> Vec<Enctype> {
    Enctype::all()
        .iter()
        .copied()
        .filter(|e| cfg!(feature = "rc4") || e.to_i32() != 23)
        .collect()
}

/// A context from a testkit AP-REQ with an initiator subkey of `enctype`, these GSS
/// flags (an acceptor subkey follows with MUTUAL) and initiator sequence number.
fn context(enctype: Enctype, flags: u32) -> MessageContext {
    let s = scenario();
    // Without MUTUAL the AP-REQ also lacks mutual-required, so no acceptor subkey.
    let ap_options = if flags & f::MUTUAL != 0 {
        MUTUAL_REQUIRED
    } else {
        0
    };
    let token = s
        .ap_req_builder()
        .subkey_enctype(enctype)
        .seq_number(Some(INITIATOR_SEQ))
        .ap_options(ap_options)
        .checksum(AuthChecksum::Gss(GssChecksum::with_flags(flags)))
        .build()
        .unwrap()
        .gss_token();
    let done = acceptor(&s).accept(&token).unwrap();
    done.context
        .into_message_context(Arc::new(FixedClock::at(NOW)))
}

const PLAIN: u32 = f::CONF | f::INTEG;
const MUTUAL: u32 = f::MUTUAL | f::CONF | f::INTEG;

#[test]
fn both_directions_for_every_enctype_with_and_without_acceptor_subkey() {
    for et in enctypes() {
        for flags in [PLAIN, MUTUAL] {
            let what = format!("{} flags {flags:#x}", et.name());
            let mut acc = context(et, flags);
            let mut ini = acc.initiator_mirror();
            let has_subkey = acc.context().acceptor_subkey().is_some();
            assert_eq!(acc.is_legacy(), et.to_i32() == 23 && !has_subkey, "{what}");

            for conf in [true, false] {
                for data in [&b""[..], b"x", &[0x5a; 1000]] {
                    let t = acc.wrap(data, conf).unwrap();
                    let u = ini.unwrap(&t).unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert_eq!((u.data.as_slice(), u.conf), (data, conf), "{what}");
                    let t = ini.wrap(data, conf).unwrap();
                    let u = acc.unwrap(&t).unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert_eq!((u.data.as_slice(), u.conf), (data, conf), "{what}");
                }
            }
            let mic = acc.get_mic(b"from acceptor").unwrap();
            ini.verify_mic(b"from acceptor", &mic).unwrap();
            let mic = ini.get_mic(b"from initiator").unwrap();
            acc.verify_mic(b"from initiator", &mic).unwrap();

            // Our own tokens are refused when reflected back to us.
            let t = acc.wrap(b"mine", true).unwrap();
            assert!(
                matches!(acc.unwrap(&t), Err(WrapError::WrongDirection { .. })),
                "{what}"
            );
            let mic = acc.get_mic(b"mine").unwrap();
            let e = acc.verify_mic(b"mine", &mic).unwrap_err();
            assert!(matches!(e, WrapError::WrongDirection { .. }), "{what}: {e}");

            if !acc.is_legacy() {
                // RFC 4121 4.2.2 flags: SentByAcceptor, Sealed, AcceptorSubkey.
                let t = acc.wrap(b"f", true).unwrap();
                let expected = 0x01 | 0x02 | if has_subkey { 0x04 } else { 0 };
                assert_eq!(t[2], expected, "{what}");
            }
        }
    }
}

#[test]
fn sequence_numbers_start_at_the_context_values() {
    let mut acc = context(Enctype::Aes256CtsHmacSha196, MUTUAL);
    let mut ini = acc.initiator_mirror();
    let ours = u64::from(acc.context().acceptor_seq());
    for i in 0..3u64 {
        let t = acc.wrap(b"s", false).unwrap();
        assert_eq!(t[8..16], (ours + i).to_be_bytes());
        let _ = ini.unwrap(&t).unwrap();
    }
    let mic = acc.get_mic(b"m").unwrap();
    assert_eq!(mic[8..16], (ours + 3).to_be_bytes());
    let t = ini.wrap(b"s", false).unwrap();
    assert_eq!(t[8..16], u64::from(INITIATOR_SEQ).to_be_bytes());
}

#[test]
fn any_rrc_and_ec_unwrap() {
    for et in enctypes() {
        let mut acc = context(et, MUTUAL);
        let mut ini = acc.initiator_mirror();
        let data = b"rotate me, please";
        for conf in [true, false] {
            let body = acc.wrap(data, conf).unwrap().len() - 16;
            for rrc in [0u16, 1, 12, 16, 28, u16::try_from(body + 5).unwrap(), 65535] {
                for ec in [0u16, 1, 15, 16, 200] {
                    let opts = WrapOptions::new(conf).rrc(rrc).ec(ec);
                    let t = ini.wrap_with(data, opts).unwrap();
                    let u = acc
                        .unwrap(&t)
                        .unwrap_or_else(|e| panic!("{} rrc {rrc} ec {ec}: {e}", et.name()));
                    assert_eq!(u.data, data);
                    let t = acc.wrap_with(data, opts).unwrap();
                    assert_eq!(ini.unwrap(&t).unwrap().data, data);
                }
            }
        }
    }
}

#[test]
fn dce_style_rotates_by_rrc_plus_ec() {
    let mut acc = context(Enctype::Aes256CtsHmacSha196, MUTUAL | f::DCE_STYLE);
    let mut ini = acc.initiator_mirror();
    let opts = WrapOptions::new(true).rrc(28).ec(16);
    let t = ini.wrap_with(b"rpc stub", opts).unwrap();
    assert_eq!(acc.unwrap(&t).unwrap().data, b"rpc stub");

    // The same bytes read as RFC 4121 rotation (RRC only) do not verify.
    let mut plain = context(Enctype::Aes256CtsHmacSha196, MUTUAL);
    let mut plain_ini = plain.initiator_mirror();
    let t2 = plain_ini.wrap_with(b"rpc stub", opts).unwrap();
    let mut rotated = t2[..16].to_vec();
    let mut body = t2[16..].to_vec();
    let len = body.len();
    body.rotate_right(16 % len);
    rotated.extend_from_slice(&body);
    // t2 re-rotated by EC is what a DCE peer sends; the non-DCE context refuses it.
    assert_eq!(
        plain.unwrap(&rotated).unwrap_err().gss_major(),
        GssMajor::BadMic
    );
}

#[test]
fn replay_and_order_window() {
    for et in enctypes() {
        let mut acc = context(et, MUTUAL | f::REPLAY | f::SEQUENCE);
        let mut ini = acc.initiator_mirror();
        let t: Vec<Vec<u8>> = (0..5).map(|_| ini.wrap(b"m", true).unwrap()).collect();
        let base = u64::from(INITIATOR_SEQ);

        assert!(acc.unwrap(&t[0]).unwrap().supplementary.is_empty());
        let e = acc.unwrap(&t[0]).unwrap_err();
        assert_eq!(e, WrapError::Duplicate { seq: base });
        assert_eq!(e.gss_major(), GssMajor::DuplicateToken);
        assert!(e.to_string().contains("GSS_S_DUPLICATE_TOKEN"));

        let gap = acc.unwrap(&t[3]).unwrap();
        assert_eq!(
            gap.supplementary,
            vec![Supplementary::Gap {
                expected: base + 1,
                received: base + 3
            }]
        );
        assert_eq!(gap.supplementary[0].gss_major(), GssMajor::GapToken);
        let late = acc.unwrap(&t[1]).unwrap();
        assert_eq!(
            late.supplementary,
            vec![Supplementary::Unsequenced { received: base + 1 }]
        );
        assert_eq!(late.data, b"m");
        assert!(acc.unwrap(&t[1]).is_err());

        // MIC tokens share the window.
        let mic = ini.get_mic(b"sig").unwrap();
        let supp = acc.verify_mic(b"sig", &mic).unwrap();
        assert!(matches!(supp[..], [Supplementary::Gap { .. }]), "{supp:?}");
        assert!(matches!(
            acc.verify_mic(b"sig", &mic),
            Err(WrapError::Duplicate { .. })
        ));

        // Far behind the window: too old to check.
        for _ in 0..80 {
            let x = ini.wrap(b"n", false).unwrap();
            let _ = acc.unwrap(&x).unwrap();
        }
        let e = acc.unwrap(&t[2]).unwrap_err();
        assert!(matches!(e, WrapError::Old { .. }), "{e}");
        assert_eq!(e.gss_major(), GssMajor::OldToken);
    }
}

#[test]
fn without_replay_flags_duplicates_pass() {
    let mut acc = context(Enctype::Aes128CtsHmacSha196, MUTUAL);
    let mut ini = acc.initiator_mirror();
    let t = ini.wrap(b"again", true).unwrap();
    assert_eq!(acc.unwrap(&t).unwrap().data, b"again");
    assert_eq!(acc.unwrap(&t).unwrap().data, b"again");
}

#[test]
fn a_failed_token_does_not_move_the_window() {
    let mut acc = context(
        Enctype::Aes256CtsHmacSha384192,
        MUTUAL | f::REPLAY | f::SEQUENCE,
    );
    let mut ini = acc.initiator_mirror();
    let t = ini.wrap(b"good", true).unwrap();
    let mut bad = t.clone();
    *bad.last_mut().unwrap() ^= 0x80;
    assert_eq!(acc.unwrap(&bad).unwrap_err().gss_major(), GssMajor::BadMic);
    let u = acc.unwrap(&t).unwrap();
    assert!(u.supplementary.is_empty());
}

#[test]
fn wrap_size_limit_is_exact() {
    for et in enctypes() {
        for flags in [PLAIN, MUTUAL] {
            let mut acc = context(et, flags);
            for conf in [true, false] {
                for max in [
                    0usize, 10, 60, 100, 127, 128, 129, 300, 4096, 65_536, 70_000,
                ] {
                    let n = acc.wrap_size_limit(max, conf);
                    if n > 0 || max >= 100 {
                        let len = acc.wrap(&vec![0; n], conf).unwrap().len();
                        assert!(len <= max, "{} {max} {conf}: {n} -> {len}", et.name());
                        let over = acc.wrap(&vec![0; n + 1], conf).unwrap().len();
                        assert!(over > max, "{} {max} {conf}: {n}+1 fits", et.name());
                    }
                }
            }
        }
    }
}

#[test]
fn errors_name_the_gss_condition() {
    let e = WrapError::Old { seq: 1, oldest: 9 };
    assert!(e.to_string().starts_with("old token (GSS_S_OLD_TOKEN)"));
    let e = WrapError::BadMic {
        token: kerbgate::wrap::TokenKind::Mic,
    };
    assert!(e.to_string().contains("GSS_S_BAD_MIC"));
    assert!(!format!("{:?}", context(Enctype::Aes256CtsHmacSha196, MUTUAL)).contains("key: ["));
}
