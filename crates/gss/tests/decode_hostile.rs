//! Hostile input: truncations, bit flips, bad lengths, deep nesting, huge
//! counts, and the MIT tolerances (accepted on purpose). Every case must end
//! in a typed error or a documented acceptance, never a panic.
// Test code: a failed expectation should abort the test with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

#[path = "decode_support.rs"]
mod support;

use kerbgate::consts::{GssMajor, KrbErrorCode};
use kerbgate::der::{application, context, DecodeErrorKind, Reader, Writer};
use kerbgate::messages::{ApReq, Authenticator, AuthorizationData, KrbCred, Ticket, MAX_AD_DEPTH};
use kerbgate::token::parse_initial_context_token;
use support::*;

fn all_tokens() -> Vec<(Case, Vec<u8>)> {
    let mut out = Vec::new();
    for f in ["der/pyspnego/tokens.txt", "der/kerberos.net/tokens.txt"] {
        for c in load(f) {
            if c.str("framing") == Some("gss-ap-rep") {
                continue;
            }
            let t = c.hex("token").unwrap();
            let der = ap_req_bytes(&c, &t).to_vec();
            out.push((c, der));
        }
    }
    out
}

fn decode_everything(b: &[u8]) {
    // Each decoder on the same bytes; only the absence of panics matters.
    let _ = parse_initial_context_token(b).map(|t| ApReq::from_der(t.body));
    let _ = ApReq::from_der(b);
    let _ = Ticket::from_der(b);
    let _ = Authenticator::from_der(b);
    let _ = KrbCred::from_der(b);
}

#[test]
fn truncation_at_every_length_is_an_error() {
    for (case, der) in all_tokens() {
        for n in 0..der.len() {
            let e = ApReq::from_der(&der[..n]).expect_err(&format!("{case}: prefix {n}"));
            assert!(e.offset() <= n, "{case}: prefix {n}: offset {}", e.offset());
        }
        let token = case.hex("token").unwrap();
        for n in 0..token.len() {
            let ok = parse_initial_context_token(&token[..n]).and_then(|t| ApReq::from_der(t.body));
            assert!(ok.is_err(), "{case}: token prefix {n}");
        }
    }
}

#[test]
fn byte_flips_never_panic() {
    let (_, der) = all_tokens().swap_remove(2);
    let mut buf = der.clone();
    for i in 0..der.len() {
        for x in [0x01, 0x80, 0xff] {
            buf[i] ^= x;
            decode_everything(&buf);
            buf[i] ^= x;
        }
    }
}

#[test]
fn rejects_trailing_data() {
    let (_, mut der) = all_tokens().swap_remove(0);
    der.push(0);
    let e = ApReq::from_der(&der).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::TrailingData {
            field: "AP-REQ",
            len: 1
        }
    );
}

#[test]
fn rejects_indefinite_and_oversized_lengths() {
    let (_, der) = all_tokens().swap_remove(0);
    // Outer [APPLICATION 14] header is 6e 82 xx xx; make it indefinite.
    let mut indef = vec![0x6e, 0x80];
    indef.extend_from_slice(&der[4..]);
    indef.extend_from_slice(&[0, 0]);
    let e = ApReq::from_der(&indef).unwrap_err();
    assert!(
        matches!(e.kind(), DecodeErrorKind::IndefiniteLength { .. }),
        "{e}"
    );

    let e = Reader::new(&[0x04, 0x85, 0, 0, 0, 1, 0], "t")
        .read_tlv("x")
        .unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::LengthTooLong {
            field: "x",
            octets: 5
        }
    );
    let e = Reader::new(&[0x30, 0x05, 0x02, 0x01], "t")
        .read_tlv("x")
        .unwrap_err();
    assert!(matches!(
        e.kind(),
        DecodeErrorKind::Truncated {
            needed: 5,
            available: 2,
            ..
        }
    ));
    let e = Reader::new(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], "t")
        .read_tlv("x")
        .unwrap_err();
    assert!(matches!(e.kind(), DecodeErrorKind::Truncated { .. }));
    let e = Reader::new(&[0x1f, 0x81, 0x00, 0x00], "t")
        .read_tlv("x")
        .unwrap_err();
    assert!(matches!(e.kind(), DecodeErrorKind::HighTagNumber { .. }));
}

#[test]
fn accepts_non_minimal_lengths_as_mit_does() {
    let (case, der) = all_tokens().swap_remove(0);
    assert_eq!(&der[..2], &[0x6e, 0x82], "{case}");
    // 6e 82 LL LL -> 6e 84 00 00 LL LL
    let mut long = vec![0x6e, 0x84, 0, 0];
    long.extend_from_slice(&der[2..]);
    let a = ApReq::from_der(&der).unwrap();
    let b = ApReq::from_der(&long).unwrap();
    assert_eq!(a.ticket, b.ticket);
    assert_eq!(a.authenticator, b.authenticator);
    // Short lengths in long form too: 04 81 03 xx xx xx.
    let v = Reader::new(&[0x04, 0x81, 0x03, 1, 2, 3], "t")
        .read_octet_string("x")
        .unwrap();
    assert_eq!(v, &[1, 2, 3]);
}

#[test]
fn nesting_1000_deep_is_refused() {
    // 1000 nested SEQUENCEs, each header 30 82 LL LL.
    let mut v: Vec<u8> = vec![0x05, 0x00];
    for _ in 0..1000 {
        let len = v.len();
        let mut outer = vec![0x30, 0x82, (len >> 8) as u8, len as u8];
        outer.extend_from_slice(&v);
        v = outer;
    }
    let mut r = Reader::new(&v, "nested");
    let mut depth = 0;
    let err = loop {
        match r.read_sequence("s") {
            Ok(inner) => r = inner,
            Err(e) => break e,
        }
        depth += 1;
    };
    assert_eq!(err.kind(), &DecodeErrorKind::TooDeep { limit: 64 });
    assert_eq!(depth, 64);
    decode_everything(&v);
    // Same for explicit tags in place of an AP-REQ field.
    let mut w = vec![0x05, 0x00];
    for _ in 0..1000 {
        let len = w.len();
        let mut outer = vec![0xa3, 0x82, (len >> 8) as u8, len as u8];
        outer.extend_from_slice(&w);
        w = outer;
    }
    decode_everything(&w);
}

fn ad_nest(depth: usize) -> Vec<u8> {
    // Innermost: one AD element of type 128; wrap in AD-IF-RELEVANT `depth` times.
    let mut ad = ad_seq(&[(128, vec![1, 2, 3])]);
    for _ in 0..depth {
        ad = ad_seq(&[(1, ad)]);
    }
    ad
}

fn ad_seq(elems: &[(i64, Vec<u8>)]) -> Vec<u8> {
    let mut w = Writer::default();
    w.sequence(|w| {
        for (t, d) in elems {
            w.sequence(|w| {
                w.explicit(0, |w| w.integer(*t));
                w.explicit(1, |w| w.octet_string(d));
            });
        }
    });
    w.into_bytes()
}

#[test]
fn ad_if_relevant_depth_is_capped() {
    let ok = ad_nest(usize::from(MAX_AD_DEPTH));
    let ad = AuthorizationData::decode(&mut Reader::new(&ok, "AD")).unwrap();
    let (e, depth) = ad.flatten().next().unwrap();
    assert_eq!((e.ad_type, depth), (128, MAX_AD_DEPTH));
    assert_eq!(ad.find(128).unwrap().ad_data, &[1, 2, 3]);

    let deep = ad_nest(usize::from(MAX_AD_DEPTH) + 1);
    let e = AuthorizationData::decode(&mut Reader::new(&deep, "AD")).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::TooDeep {
            limit: MAX_AD_DEPTH
        }
    );
    let very = ad_nest(1000);
    assert!(AuthorizationData::decode(&mut Reader::new(&very, "AD")).is_err());
}

#[test]
fn huge_counts_are_refused() {
    let elems: Vec<(i64, Vec<u8>)> = (0..1025).map(|_| (128, vec![])).collect();
    let many = ad_seq(&elems);
    let e = AuthorizationData::decode(&mut Reader::new(&many, "AD")).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::TooMany {
            field: "AuthorizationData",
            limit: 1024
        }
    );
    let ok = ad_seq(&elems[..1024]);
    assert_eq!(
        AuthorizationData::decode(&mut Reader::new(&ok, "AD"))
            .unwrap()
            .len(),
        1024
    );
    // 1024 counted across nesting: 600 + 600 inside AD-IF-RELEVANT.
    let inner = ad_seq(&elems[..600]);
    let mut outer: Vec<(i64, Vec<u8>)> = elems[..599].to_vec();
    outer.push((1, inner));
    let e = AuthorizationData::decode(&mut Reader::new(&ad_seq(&outer), "AD")).unwrap_err();
    assert!(matches!(e.kind(), DecodeErrorKind::TooMany { .. }), "{e}");

    // 65 name components.
    let comps: Vec<String> = (0..65).map(|i| format!("c{i}")).collect();
    let refs: Vec<&str> = comps.iter().map(String::as_str).collect();
    let t = ticket_der("R", &refs);
    let e = Ticket::from_der(&t).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::TooMany {
            field: "name-string",
            limit: 64
        }
    );
    assert!(Ticket::from_der(&ticket_der("R", &refs[..64])).is_ok());

    // 257 tickets in a KRB-CRED.
    let one = ticket_der("R", &["a"]);
    let cred = |n: usize| {
        let mut w = Writer::default();
        w.constructed(application(22), |w| {
            w.sequence(|w| {
                w.explicit(0, |w| w.integer(5));
                w.explicit(1, |w| w.integer(22));
                w.explicit(2, |w| w.sequence(|w| (0..n).for_each(|_| w.raw(&one))));
                w.explicit(3, |w| enc_data(w, 0, None, b""));
            });
        });
        w.into_bytes()
    };
    assert_eq!(KrbCred::from_der(&cred(256)).unwrap().tickets.len(), 256);
    let e = KrbCred::from_der(&cred(257)).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::TooMany {
            field: "tickets",
            limit: 256
        }
    );
}

fn enc_data(w: &mut Writer, etype: i64, kvno: Option<i64>, c: &[u8]) {
    w.sequence(|w| {
        w.explicit(0, |w| w.integer(etype));
        if let Some(k) = kvno {
            w.explicit(1, |w| w.integer(k));
        }
        w.explicit(2, |w| w.octet_string(c));
    });
}

fn ticket_der(realm: &str, comps: &[&str]) -> Vec<u8> {
    ticket_der_with(5, realm.as_bytes(), comps, 2)
}

fn ticket_der_with(vno: i64, realm: &[u8], comps: &[&str], kvno: i64) -> Vec<u8> {
    let mut w = Writer::default();
    w.constructed(application(1), |w| {
        w.sequence(|w| {
            w.explicit(0, |w| w.integer(vno));
            w.explicit(1, |w| w.primitive(0x1b, realm));
            w.explicit(2, |w| {
                w.sequence(|w| {
                    w.explicit(0, |w| w.integer(2));
                    w.explicit(1, |w| {
                        w.sequence(|w| comps.iter().for_each(|c| w.kerberos_string(c)))
                    });
                });
            });
            w.explicit(3, |w| enc_data(w, 18, Some(kvno), b"ciphertext"));
        });
    });
    w.into_bytes()
}

#[test]
fn strings_must_be_utf8_including_high_latin() {
    // "Ā" = c4 80: UTF-8 with a byte in 0x80-0xA0, as MIT sends for such names.
    let t = ticket_der_with(5, "RÉALM.ĀB".as_bytes(), &["host", "ĀĀ"], 2);
    let ours = Ticket::from_der(&t).unwrap();
    assert_eq!(ours.realm, "RÉALM.ĀB");
    // Known rasn-kerberos limitation: GeneralString refuses 0x80-0xA0 bytes.
    assert!(rasn::der::decode::<rasn_kerberos::Ticket>(&t).is_err());

    let bad = ticket_der_with(5, b"R\xff", &["a"], 2);
    let e = Ticket::from_der(&bad).unwrap_err();
    assert_eq!(e.kind(), &DecodeErrorKind::NotUtf8 { field: "realm" });
}

#[test]
fn uint32_fields_accept_negative_int32_encodings() {
    // kvno -1 (02 01 ff) reads as 0xffffffff, as MIT does.
    let t = ticket_der_with(5, b"R", &["a"], -1);
    assert_eq!(Ticket::from_der(&t).unwrap().enc_part.kvno, Some(u32::MAX));
    let t = ticket_der_with(5, b"R", &["a"], i64::from(u32::MAX));
    assert_eq!(Ticket::from_der(&t).unwrap().enc_part.kvno, Some(u32::MAX));
    // Below i32::MIN is out of range for both readings.
    let t = ticket_der_with(5, b"R", &["a"], i64::from(i32::MIN) - 1);
    let e = Ticket::from_der(&t).unwrap_err();
    assert!(matches!(
        e.kind(),
        DecodeErrorKind::IntegerOutOfRange { field: "kvno", .. }
    ));
}

#[test]
fn wrong_versions_map_to_kerberos_errors() {
    let t = ticket_der_with(4, b"R", &["a"], 2);
    let e = Ticket::from_der(&t).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::BadValue {
            field: "tkt-vno",
            expected: 5,
            found: 4
        }
    );
    assert_eq!(e.krb_error_code(), KrbErrorCode::KRB_AP_ERR_BADVERSION);
    assert_eq!(e.gss_major(), GssMajor::DefectiveToken);

    let (_, der) = all_tokens().swap_remove(0);
    // msg-type is at a1 03 02 01 0e near the start: change 0e to 0f.
    let pos = der
        .windows(5)
        .position(|w| w == [0xa1, 0x03, 0x02, 0x01, 0x0e])
        .unwrap();
    let mut bad = der.clone();
    bad[pos + 4] = 0x0f;
    let e = ApReq::from_der(&bad).unwrap_err();
    assert_eq!(e.krb_error_code(), KrbErrorCode::KRB_AP_ERR_MSG_TYPE);
    assert_eq!(
        e.to_string(),
        format!(
            "defective token (GSS_S_DEFECTIVE_TOKEN): AP-REQ at offset {}: msg-type is 15, expected 14",
            pos + 2
        )
    );
}

#[test]
fn errors_name_expected_and_found_tags() {
    // A Ticket whose EncryptedData has [3] where [2] (cipher) belongs.
    let mut t = ticket_der("R", &["a"]);
    let pos = t.windows(2).rposition(|w| w == [0xa2, 0x0c]).unwrap();
    t[pos] = 0xa3;
    let e = Ticket::from_der(&t).unwrap_err();
    assert_eq!(e.offset(), pos);
    assert!(
        e.to_string().ends_with(&format!(
            "Ticket at offset {pos}: expected [2] (cipher), found [3]"
        )),
        "{e}"
    );
}

#[test]
fn skips_unknown_trailing_fields_like_mit() {
    // Ticket with an extra [4] after enc-part: accepted, same fields.
    let base = ticket_der("R", &["a"]);
    let mut w = Writer::default();
    w.constructed(application(1), |w| {
        w.sequence(|w| {
            let inner = Reader::new(&base, "t")
                .read_constructed(application(1), "t")
                .unwrap();
            let mut inner = inner;
            let seq = inner.read_sequence("s").unwrap();
            w.raw(seq.remaining());
            w.explicit(4, |w| w.integer(7));
        });
    });
    let ext = w.into_bytes();
    let a = Ticket::from_der(&base).unwrap();
    let b = Ticket::from_der(&ext).unwrap();
    assert_eq!(
        (a.realm, a.sname, a.enc_part),
        (b.realm, b.sname, b.enc_part)
    );
    // An unknown element before a known one is not skipped.
    let mut bad = base.clone();
    let pos = bad.iter().position(|&b| b == context(0)).unwrap();
    bad[pos] = context(9);
    assert!(Ticket::from_der(&bad).is_err());
}

#[test]
fn rejects_invalid_times() {
    for (s, ok) in [
        (&b"20240229120000Z"[..], true),
        (b"20230229120000Z", false),
        (b"20231301000000Z", false),
        (b"20231231240000Z", false),
        (b"20231231235960Z", false),
        (b"2023123123595Z", false),
        (b"20231231235959", false),
        (b"20231231235959.5Z", false),
        (b"2023-2-31235959Z", false),
    ] {
        assert_eq!(
            kerbgate::der::parse_generalized_time(s).is_some(),
            ok,
            "{s:?}"
        );
    }
    assert_eq!(
        kerbgate::der::parse_generalized_time(b"19700101000000Z"),
        Some(0)
    );
    assert_eq!(
        kerbgate::der::parse_generalized_time(b"20380119031408Z"),
        Some(1 << 31)
    );
}
