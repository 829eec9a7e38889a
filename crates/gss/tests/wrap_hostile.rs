//! Hostile and hand-built per-message tokens. Tokens are assembled here from the
//! context key with the RFC 4121 4.2 layout (independently of kerbgate's wrap code),
//! then broken: every length, EC and RRC that does not fit, a tampered header copy
//! (CVE-2024-37370), flags and filler, truncations at every length (CVE-2024-37371),
//! and RFC 4757 framing, padding and lengths. Nothing may panic; each refusal has the
//! GSS status the condition calls for.
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
use kerbgate::wrap::{Defect, MessageContext, WrapError};
use kerbgate::FixedClock;
use kerbgate_crypto::{Enctype, Key};
use kerbgate_testkit::{AuthChecksum, GssChecksum};

/// APOptions mutual-required (RFC 4120 5.5.1, bit 2).
const MUTUAL_REQUIRED: u32 = 1 << 29;

const SEQ: u32 = 77;
/// RFC 4121 2: KG-USAGE-INITIATOR-SEAL and -SIGN.
const INITIATOR_SEAL: u32 = 24;
const INITIATOR_SIGN: u32 = 25;

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
        .seq_number(Some(SEQ))
        .ap_options(ap_options)
        .checksum(AuthChecksum::Gss(GssChecksum::with_flags(flags)))
        .build()
        .unwrap()
        .gss_token();
    acceptor(&s)
        .accept(&token)
        .unwrap()
        .context
        .into_message_context(Arc::new(FixedClock::at(NOW)))
}

fn key(m: &MessageContext) -> Key {
    m.context().context_key().clone()
}

fn header(tok_id: [u8; 2], flags: u8, ec: u16, rrc: u16, seq: u64) -> Vec<u8> {
    let mut h = vec![tok_id[0], tok_id[1], flags, 0xff];
    h.extend_from_slice(&ec.to_be_bytes());
    h.extend_from_slice(&rrc.to_be_bytes());
    h.extend_from_slice(&seq.to_be_bytes());
    h
}

/// A sealed initiator Wrap token (RFC 4121 4.2.4): header, then
/// E(data | EC filler | inner header) rotated right by `rrc`; `inner_ec` lets the
/// encrypted copy disagree with the outer EC.
fn sealed(key: &Key, flags: u8, data: &[u8], ec: u16, inner_ec: u16, rrc: u16) -> Vec<u8> {
    let mut plain = data.to_vec();
    plain.extend(std::iter::repeat_n(0u8, usize::from(inner_ec)));
    plain.extend(header([5, 4], flags, inner_ec, 0, u64::from(SEQ)));
    let mut body = key.encrypt(INITIATOR_SEAL, &plain).unwrap();
    let n = body.len();
    body.rotate_right(usize::from(rrc) % n);
    let mut t = header([5, 4], flags, ec, rrc, u64::from(SEQ));
    t.extend(body);
    t
}

/// An integrity-only initiator Wrap token with the checksum length in EC.
fn integ(key: &Key, data: &[u8], ec: u16, rrc: u16) -> Vec<u8> {
    let mut signed = data.to_vec();
    signed.extend(header([5, 4], 0, 0, 0, u64::from(SEQ)));
    let cksum = key.checksum(INITIATOR_SEAL, &signed).unwrap();
    let mut body = data.to_vec();
    body.extend(cksum);
    let n = body.len();
    body.rotate_right(usize::from(rrc) % n);
    let mut t = header([5, 4], 0, ec, rrc, u64::from(SEQ));
    t.extend(body);
    t
}

fn major(r: Result<kerbgate::Unwrapped, WrapError>) -> GssMajor {
    match r {
        Ok(u) => panic!("accepted {u:?}"),
        Err(e) => {
            let text = e.to_string();
            assert!(text.contains(e.gss_major().name()), "{text}");
            e.gss_major()
        }
    }
}

#[test]
fn hand_built_tokens_with_any_rrc_unwrap() {
    let mut m = context(Enctype::Aes256CtsHmacSha196, f::CONF | f::INTEG);
    let k = key(&m);
    let data = b"hand built";
    for rrc in [0u16, 12, 16, 28, 5, 65535] {
        for ec in [0u16, 1, 16, 64] {
            let t = sealed(&k, 0x02, data, ec, ec, rrc);
            let u = m
                .unwrap(&t)
                .unwrap_or_else(|e| panic!("rrc {rrc} ec {ec}: {e}"));
            assert_eq!((u.data.as_slice(), u.conf), (&data[..], true));
        }
        let t = integ(&k, data, 12, rrc);
        let u = m
            .unwrap(&t)
            .unwrap_or_else(|e| panic!("integ rrc {rrc}: {e}"));
        assert_eq!((u.data.as_slice(), u.conf), (&data[..], false));
    }
    // RRC = body length + 5 is the same as 5.
    let body = sealed(&k, 0x02, data, 0, 0, 0).len() - 16;
    let t = sealed(&k, 0x02, data, 0, 0, u16::try_from(body + 5).unwrap());
    assert_eq!(m.unwrap(&t).unwrap().data, data);
}

#[test]
fn ec_that_does_not_fit_is_defective() {
    let mut m = context(Enctype::Aes128CtsHmacSha196, f::CONF | f::INTEG);
    let k = key(&m);
    // Outer EC larger than the whole body: refused before decryption.
    let t = sealed(&k, 0x02, b"abc", 5000, 0, 0);
    assert_eq!(major(m.unwrap(&t)), GssMajor::DefectiveToken);
    let t = sealed(&k, 0x02, b"abc", 65535, 0, 0);
    assert_eq!(major(m.unwrap(&t)), GssMajor::DefectiveToken);

    // CVE-2024-37370: EC changed outside the encryption, so the message would look
    // truncated; the encrypted header copy catches it.
    let t = sealed(&k, 0x02, b"abcdefgh", 4, 0, 0);
    let e = m.unwrap(&t).unwrap_err();
    assert!(
        matches!(
            e,
            WrapError::Defective {
                defect: Defect::HeaderCopy,
                ..
            }
        ),
        "{e}"
    );
    // Inner and outer EC agree but exceed the plaintext: the header copy is misplaced.
    let t = sealed(&k, 0x02, b"", 3, 3, 0);
    assert_eq!(m.unwrap(&t).unwrap().data, b"");

    // Integrity-only: EC must be the checksum length.
    for ec in [0u16, 11, 13, 16, 65535] {
        let t = integ(&k, b"abc", ec, 0);
        assert_eq!(major(m.unwrap(&t)), GssMajor::DefectiveToken, "ec {ec}");
    }
}

#[test]
fn flags_filler_and_token_ids() {
    let mut m = context(Enctype::Aes256CtsHmacSha196, f::CONF | f::INTEG);
    let k = key(&m);
    // SentByAcceptor set: a reflected token.
    let t = sealed(&k, 0x03, b"x", 0, 0, 0);
    assert!(matches!(
        m.unwrap(&t),
        Err(WrapError::WrongDirection { .. })
    ));
    // AcceptorSubkey set, but this context has none.
    let t = sealed(&k, 0x06, b"x", 0, 0, 0);
    assert_eq!(major(m.unwrap(&t)), GssMajor::DefectiveToken);
    // Sealed flag cleared on a sealed token: read as integrity-only, EC wrong.
    let mut t = sealed(&k, 0x02, b"x", 0, 0, 0);
    t[2] = 0;
    assert_eq!(major(m.unwrap(&t)), GssMajor::DefectiveToken);
    // Filler not 0xff.
    let mut t = sealed(&k, 0x02, b"x", 0, 0, 0);
    t[3] = 0xfe;
    assert_eq!(major(m.unwrap(&t)), GssMajor::DefectiveToken);
    // Unknown flag bits are ignored (RFC 4121 4.2.2) only if the header copy agrees:
    // here the copy has 0x02, the outer 0x82, so it is refused.
    let mut t = sealed(&k, 0x02, b"x", 0, 0, 0);
    t[2] = 0x82;
    assert_eq!(major(m.unwrap(&t)), GssMajor::DefectiveToken);
    // A MIC token given to unwrap, and a Wrap token given to verify_mic.
    let mut t = sealed(&k, 0x02, b"x", 0, 0, 0);
    t[0] = 4;
    assert_eq!(major(m.unwrap(&t)), GssMajor::DefectiveToken);
    let t = sealed(&k, 0x02, b"x", 0, 0, 0);
    assert_eq!(
        m.verify_mic(b"x", &t).unwrap_err().gss_major(),
        GssMajor::DefectiveToken
    );
    // Wrong key usage (sign instead of seal) fails integrity.
    let mut plain = b"x".to_vec();
    plain.extend(header([5, 4], 2, 0, 0, u64::from(SEQ)));
    let mut t = header([5, 4], 2, 0, 0, u64::from(SEQ));
    t.extend(k.encrypt(INITIATOR_SIGN, &plain).unwrap());
    assert_eq!(major(m.unwrap(&t)), GssMajor::BadMic);
}

#[test]
fn mic_tokens_hand_built_and_broken() {
    let mut m = context(Enctype::Aes256CtsHmacSha384192, f::CONF | f::INTEG);
    let k = key(&m);
    let mut h = vec![4, 4, 0, 0xff, 0xff, 0xff, 0xff, 0xff];
    h.extend_from_slice(&u64::from(SEQ).to_be_bytes());
    let mut signed = b"data".to_vec();
    signed.extend(&h);
    let mut t = h.clone();
    t.extend(k.checksum(INITIATOR_SIGN, &signed).unwrap());
    assert!(m.verify_mic(b"data", &t).unwrap().is_empty());

    for cut in 0..t.len() {
        let e = m.verify_mic(b"data", &t[..cut]).unwrap_err();
        assert_eq!(e.gss_major(), GssMajor::DefectiveToken, "cut {cut}");
    }
    let mut long = t.clone();
    long.push(0);
    assert_eq!(
        m.verify_mic(b"data", &long).unwrap_err().gss_major(),
        GssMajor::DefectiveToken
    );
    for i in 3..8 {
        let mut bad = t.clone();
        bad[i] = 0;
        assert_eq!(
            m.verify_mic(b"data", &bad).unwrap_err().gss_major(),
            GssMajor::DefectiveToken
        );
    }
    let mut bad = t.clone();
    bad[10] ^= 1; // sequence number is covered by the checksum
    assert_eq!(
        m.verify_mic(b"data", &bad).unwrap_err().gss_major(),
        GssMajor::BadMic
    );
}

#[test]
fn every_truncation_and_bit_flip_is_refused_without_panic() {
    let mut all = vec![
        Enctype::Aes128CtsHmacSha196,
        Enctype::Aes256CtsHmacSha384192,
    ];
    if cfg!(feature = "rc4") {
        all.push(Enctype::from_i32(23).unwrap());
    }
    for et in all {
        let mut m = context(et, f::CONF | f::INTEG | f::REPLAY);
        let mut ini = m.initiator_mirror();
        for conf in [true, false] {
            let t = ini.wrap(b"some message", conf).unwrap();
            for cut in 0..t.len() {
                let e = m.unwrap(&t[..cut]).unwrap_err();
                assert!(
                    matches!(e.gss_major(), GssMajor::DefectiveToken | GssMajor::BadMic),
                    "{} cut {cut}: {e}",
                    et.name()
                );
            }
            for i in 0..t.len() {
                for bit in [0x01u8, 0x80] {
                    let mut bad = t.clone();
                    bad[i] ^= bit;
                    // Two flips may verify, both by design of the formats: the RRC
                    // field of an RFC 4121 token (outside the checksum; rotation of a
                    // sealed token is then caught, of an integrity-only one may land
                    // on the same place), and the sequence number bytes of an RFC 4757
                    // integrity-only token (SND_SEQ is RC4 without integrity there, as
                    // in RFC 1964; MIT behaves the same). Any other flip must fail.
                    if let Ok(u) = m.unwrap(&bad) {
                        let rrc = !m.is_legacy() && (i == 6 || i == 7);
                        let legacy_seq = m.is_legacy() && !conf && (21..25).contains(&i);
                        assert!(rrc || legacy_seq, "{} conf {conf} byte {i}", et.name());
                        assert_eq!(u.data, b"some message");
                    }
                }
            }
            let mic = ini.get_mic(b"mic data").unwrap();
            for cut in 0..mic.len() {
                assert!(m.verify_mic(b"mic data", &mic[..cut]).is_err());
            }
        }
    }
}

#[test]
fn random_tokens_never_panic() {
    let mut ctxs = vec![
        context(
            Enctype::Aes256CtsHmacSha196,
            f::CONF | f::REPLAY | f::SEQUENCE,
        ),
        context(Enctype::Aes256CtsHmacSha196, f::MUTUAL | f::DCE_STYLE),
    ];
    if cfg!(feature = "rc4") {
        ctxs.push(context(Enctype::from_i32(23).unwrap(), f::CONF));
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for m in &mut ctxs {
        let prefix = m.initiator_mirror().wrap(b"p", true).unwrap();
        for _ in 0..3000 {
            let len = (next() % 120) as usize;
            let keep = (next() % 20) as usize;
            let mut t: Vec<u8> = prefix.iter().copied().take(keep).collect();
            while t.len() < len {
                t.push(next().to_le_bytes()[0]);
            }
            assert!(m.unwrap(&t).is_err());
            assert!(m.verify_mic(b"", &t).is_err());
        }
    }
}

#[cfg(feature = "rc4")]
#[test]
fn legacy_framing_lengths_and_padding() {
    let mut m = context(Enctype::from_i32(23).unwrap(), f::CONF | f::INTEG);
    assert!(m.is_legacy());
    let mut ini = m.initiator_mirror();
    let t = ini.wrap(b"legacy", false).unwrap();
    assert_eq!(m.unwrap(&t).unwrap().data, b"legacy");

    // Outer length one too long / short, wrong tag, wrong OID.
    for (i, delta) in [(1usize, 1i16), (1, -1)] {
        let mut bad = t.clone();
        bad[i] = u8::try_from(i16::from(bad[i]) + delta).unwrap();
        assert_eq!(major(m.unwrap(&bad)), GssMajor::DefectiveToken);
    }
    let mut bad = t.clone();
    bad[0] = 0x61;
    assert_eq!(major(m.unwrap(&bad)), GssMajor::DefectiveToken);
    let mut bad = t.clone();
    bad[12] ^= 0x01; // last OID byte
    assert_eq!(major(m.unwrap(&bad)), GssMajor::DefectiveToken);
    // Long-form length with too many octets.
    let mut bad = vec![0x60, 0x85, 0, 0, 0, 0, 0];
    bad.extend_from_slice(&t[2..]);
    assert_eq!(major(m.unwrap(&bad)), GssMajor::DefectiveToken);
    // Unknown SEAL_ALG / SGN_ALG.
    for at in [15usize, 17] {
        let mut bad = t.clone();
        bad[at] ^= 0x01;
        assert_eq!(major(m.unwrap(&bad)), GssMajor::DefectiveToken, "byte {at}");
    }
    // A MIC token to unwrap, a Wrap token to verify_mic.
    let mic = ini.get_mic(b"legacy").unwrap();
    assert_eq!(major(m.unwrap(&mic)), GssMajor::DefectiveToken);
    assert_eq!(
        m.verify_mic(b"legacy", &t).unwrap_err().gss_major(),
        GssMajor::DefectiveToken
    );
    assert!(m.verify_mic(b"legacy", &mic).is_ok());
    // Padding is covered by the checksum: changing it fails integrity first.
    let mut bad = t.clone();
    *bad.last_mut().unwrap() = 9;
    assert_eq!(major(m.unwrap(&bad)), GssMajor::BadMic);
}
