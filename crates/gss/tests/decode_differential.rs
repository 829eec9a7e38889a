//! The ticket_differential fuzz target's comparison as a test: kerbgate's EncTicketPart
//! and Authenticator decoders against rasn-kerberos (fuzz/common/ticket_diff.rs, where
//! the known divergences are listed). Runs over the committed seeds
//! (fuzz/seeds/ticket_differential: testkit plaintexts and the MIT 1.20 captures,
//! decrypted) and over one small input per listed divergence, which shows the claim.
//! Regenerate the seeds with
//! `cargo test -p kerbgate --test decode_differential -- --ignored regenerate_seeds`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

#[path = "../../../fuzz/common/ticket_diff.rs"]
mod ticket_diff;

use std::path::{Path, PathBuf};

use common::{read_cases, testdata};
use kerbgate::consts::key_usage;
use kerbgate::der::{application, Writer, TAG_GENERAL_STRING};
use kerbgate::messages::{ApReq, EncTicketPart};
use kerbgate::token::parse_initial_context_token;
use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::Keytab;
use kerbgate_testkit::{AuthData, HostAddress, Rng, Scenario, FIXED_TIME};
use ticket_diff::{compare_authenticator, compare_enc_ticket_part, Feature, Verdict};

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/ticket_differential")
}

#[test]
fn seeds_decode_alike_in_both() {
    let mut n = 0;
    let mut dir: Vec<PathBuf> = std::fs::read_dir(seeds_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dir.sort();
    for path in dir {
        let der = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let v = if name.starts_with("ticket-") {
            compare_enc_ticket_part(&der)
        } else {
            compare_authenticator(&der)
        };
        // Seeds are real plaintexts: they agree, or show a listed divergence (MIT and
        // the testkit send seq-numbers >= 2^31 as negative Int32).
        match v {
            Verdict::Agree => n += 1,
            Verdict::OnlyOurs(f) if f == [Feature::NegativeInteger] => {}
            other => panic!("{}: {other:?}", path.display()),
        }
    }
    assert!(n >= 20, "{n} seeds agree");
}

/// Plaintexts: (name, DER) from the testkit and the decrypted MIT 1.20 captures.
fn plaintexts() -> Vec<(String, Vec<u8>)> {
    let s = Scenario::new().unwrap();
    let mut out = Vec::new();
    let mut kdc = s.kdc.clone();
    let service = s.service.to_string();
    let tickets = [
        (
            "default",
            kdc.ticket("alice", &service).unwrap().build().unwrap(),
        ),
        (
            "rich",
            kdc.ticket("alice", &service)
                .unwrap()
                .caddr(Some(vec![HostAddress::ipv4([192, 0, 2, 1])]))
                .authorization_data(Some(vec![AuthData::if_relevant(&[AuthData::raw(
                    142,
                    &[1, 2, 3, 4],
                )])]))
                .renew_till(Some(FIXED_TIME.plus(7 * 86400)))
                .starttime(Some(FIXED_TIME))
                .transited(1, b"EXAMPLE.ORG,")
                .build()
                .unwrap(),
        ),
    ];
    for (name, t) in &tickets {
        out.push((format!("ticket-minted-{name}"), t.enc_ticket_part.clone()));
        let b = || kerbgate_testkit::ApReqBuilder::new(t).rng(Rng::seeded(5));
        for (aname, a) in [
            ("default", b().build().unwrap()),
            ("seq", b().seq_number(Some(0x8765_4321)).build().unwrap()),
            (
                "subkey",
                b().subkey_enctype(Enctype::Aes128CtsHmacSha256128)
                    .authorization_data(Some(vec![AuthData::enctype_negotiation(&[20, 18])]))
                    .build()
                    .unwrap(),
            ),
        ] {
            out.push((
                format!("auth-minted-{name}-{aname}"),
                a.authenticator.clone(),
            ));
        }
    }

    let dir = testdata().join("captured/mit-1.20");
    for case in read_cases(&dir.join("tokens.txt")) {
        let name = case.get("name").to_string();
        let Some(kt) = case.opt("keytab") else {
            continue;
        };
        let token = case.hex("token");
        let Ok(t) = parse_initial_context_token(&token) else {
            continue;
        };
        let Ok(ap) = ApReq::from_der(t.body) else {
            continue; // SPNEGO-wrapped: the same tickets appear bare elsewhere
        };
        let keytab = Keytab::load(dir.join(kt)).unwrap();
        let Some(plain) = keytab.entries().iter().find_map(|e| {
            let et = Enctype::from_i32(e.enctype()).ok()?;
            if et.to_i32() != ap.ticket.enc_part.etype {
                return None;
            }
            e.key()
                .ok()?
                .decrypt(key_usage::TICKET, ap.ticket.enc_part.cipher)
                .ok()
        }) else {
            continue;
        };
        let etp = EncTicketPart::from_der(&plain).unwrap();
        let session = Key::new(
            Enctype::from_i32(etp.key.keytype).unwrap(),
            etp.key.keyvalue,
        )
        .unwrap();
        let auth = session
            .decrypt(key_usage::AP_REQ_AUTH, ap.authenticator.cipher)
            .unwrap();
        out.push((format!("ticket-mit-{name}"), plain.clone()));
        out.push((format!("auth-mit-{name}"), auth));
    }
    out
}

#[test]
#[ignore = "writes fuzz/seeds/ticket_differential; run by hand when the shapes change"]
fn regenerate_seeds() {
    let dir = seeds_dir();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, der) in plaintexts() {
        std::fs::write(dir.join(name), der).unwrap();
    }
}

// ---- one input per listed divergence ----

fn name_der(w: &mut Writer, comps: &[&[u8]]) {
    w.sequence(|w| {
        w.explicit(0, |w| w.integer(1));
        w.explicit(1, |w| {
            w.sequence(|w| {
                for c in comps {
                    w.primitive(TAG_GENERAL_STRING, c);
                }
            });
        });
    });
}

/// An Authenticator with these name components, seq-number and an optional extra
/// trailing field.
fn authenticator(comps: &[&[u8]], seq: Option<i64>, extra: bool) -> Vec<u8> {
    let mut w = Writer::with_capacity(128);
    w.constructed(application(2), |w| {
        w.sequence(|w| {
            w.explicit(0, |w| w.integer(5));
            w.explicit(1, |w| w.kerberos_string("EXAMPLE.COM"));
            w.explicit(2, |w| name_der(w, comps));
            w.explicit(4, |w| w.integer(0));
            w.explicit(5, |w| w.kerberos_time(1_704_067_200));
            if let Some(s) = seq {
                w.explicit(7, |w| w.integer(s));
            }
            if extra {
                w.explicit(9, |w| w.integer(0));
            }
        });
    });
    w.into_bytes()
}

#[test]
fn listed_divergences_hold() {
    // Control: plain ASCII agrees.
    assert_eq!(
        compare_authenticator(&authenticator(&[b"alice"], Some(7), false)),
        Verdict::Agree
    );
    // U+0100 is C4 80: valid UTF-8 with an octet in 0x80-0xA0 that rasn refuses.
    let v = compare_authenticator(&authenticator(&["\u{100}".as_bytes()], None, false));
    assert_eq!(v, Verdict::OnlyOurs(vec![Feature::HighString]));
    // "é" (C3 A9): no octet in 0x80-0xA0, both take it.
    let v = compare_authenticator(&authenticator(&["é".as_bytes()], None, false));
    assert_eq!(v, Verdict::Agree);
    // A lone 0xFF is not UTF-8: only rasn takes it.
    let v = compare_authenticator(&authenticator(&[b"\xff"], None, false));
    assert_eq!(v, Verdict::OnlyRasn(vec![Feature::HighString]));
    // A negative seq-number (MIT's Int32 form of a UInt32).
    let v = compare_authenticator(&authenticator(&[b"alice"], Some(-2), false));
    assert_eq!(v, Verdict::OnlyOurs(vec![Feature::NegativeInteger]));
    // An unknown trailing field [9].
    let v = compare_authenticator(&authenticator(&[b"alice"], None, true));
    assert_eq!(v, Verdict::OnlyOurs(vec![Feature::UnknownField]));
}

#[test]
fn replays_ticket_differential_fuzz_regressions() {
    let Ok(rd) = std::fs::read_dir(testdata().join("fuzz-regressions/ticket_differential")) else {
        return;
    };
    for e in rd {
        let path = e.unwrap().path();
        let der = std::fs::read(&path).unwrap();
        for v in [compare_enc_ticket_part(&der), compare_authenticator(&der)] {
            assert!(
                !matches!(v, Verdict::Mismatch(_)),
                "{}: {v:?}",
                path.display()
            );
        }
    }
}
