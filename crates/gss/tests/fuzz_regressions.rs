//! Replays fuzz findings and seeds as ordinary tests (STYLE 13, 14).
//!
//! - `testdata/fuzz-regressions/<target>/*`: minimized crashers; for `accept`, each
//!   file goes through the same two acceptors as `fuzz/fuzz_targets/accept.rs` and must
//!   give an answer, not a panic.
//! - `fuzz/seeds/accept/*`: the committed seed corpus. `minted-*` seeds must be accepted
//!   by the scenario acceptor, `mit-*` seeds (the MIT 1.20 captures, bar SPNEGO) by the
//!   MIT one, so the corpus keeps reaching the deep paths. Regenerate with
//!   `cargo test -p kerbgate --test fuzz_regressions -- --ignored regenerate_accept_seeds`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{read_cases, testdata};
use kerbgate::{Acceptor, ChannelBindings, FixedClock};
use kerbgate_crypto::Enctype;
use kerbgate_keytab::Keytab;
use kerbgate_testkit::consts::{ap_options, gss_flags, MS_KRB5_OID};
use kerbgate_testkit::{
    gss_initial_token, ApReqBuilder, AuthChecksum, AuthData, Bindings, CredEncryption, GssChecksum,
    HostAddress, KrbCredBuilder, KvnoField, Rng, Scenario, SeqEncoding, ServiceKeyOpts, FIXED_TIME,
};

// Keep in step with fuzz/fuzz_targets/accept.rs.
const CB_DATA: &[u8] = b"tls-server-end-point:kerbgate-fuzz";
const HTTP: &str = "HTTP/mail.example.com@EXAMPLE.COM";
const MIT_TIME: i64 = 1_796_403_066;

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/accept")
}

fn scenario() -> Scenario {
    let mut s = Scenario::new().unwrap();
    s.kdc
        .add_service(
            HTTP,
            ServiceKeyOpts::password(Enctype::Aes256CtsHmacSha384192, 3, "http-password"),
        )
        .unwrap();
    s
}

fn scenario_acceptor(s: &Scenario) -> Acceptor {
    Acceptor::builder()
        .keytab(&s.kdc.keytab())
        .clock(Arc::new(FixedClock::at(FIXED_TIME.unix() + 60)))
        .channel_bindings(ChannelBindings::from_application_data(CB_DATA))
        .dangerous_disable_replay_cache()
        .build()
        .unwrap()
}

fn mit_acceptor() -> Acceptor {
    let dir = testdata().join("captured/mit-1.20");
    let mut merged = Keytab::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "keytab"))
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        12,
        "fuzz/fuzz_targets/accept.rs embeds 12 keytabs"
    );
    for path in names {
        for entry in Keytab::load(&path).unwrap().entries() {
            merged.push(entry.clone());
        }
    }
    Acceptor::builder()
        .keytab(&merged)
        .clock(Arc::new(FixedClock::at(MIT_TIME)))
        .dangerous_disable_replay_cache()
        .build()
        .unwrap()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn replays_accept_fuzz_regressions() {
    let s = scenario();
    let acceptors = [scenario_acceptor(&s), mit_acceptor()];
    for path in files(&testdata().join("fuzz-regressions/accept")) {
        let data = std::fs::read(&path).unwrap();
        for acc in &acceptors {
            // The finding was a panic: any answer is a pass, and errors must render.
            if let Err(r) = acc.accept(&data) {
                let _ = (r.error.code_name(), r.error.to_string());
            }
        }
        eprintln!("replayed {}", path.display());
    }
}

#[test]
fn accept_seed_corpus_reaches_acceptance() {
    let s = scenario();
    let minted_acc = scenario_acceptor(&s);
    let mit_acc = mit_acceptor();
    let seeds = files(&seeds_dir());
    let mut counts = (0, 0);
    for path in &seeds {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let data = std::fs::read(path).unwrap();
        let acc = if name.starts_with("minted-") {
            counts.0 += 1;
            &minted_acc
        } else if name.starts_with("mit-spnego") {
            continue;
        } else {
            counts.1 += 1;
            &mit_acc
        };
        if let Err(r) = acc.accept(&data) {
            panic!("seed {}: {}", path.display(), r.error);
        }
    }
    assert!(counts.0 >= 20, "{} minted seeds", counts.0);
    assert!(counts.1 >= 20, "{} MIT seeds", counts.1);
}

fn gss(flags: u32, bindings: Bindings) -> AuthChecksum {
    AuthChecksum::Gss(GssChecksum {
        bindings,
        flags,
        ..GssChecksum::default()
    })
}

/// The minted seeds: (name, token), every one accepted by the scenario acceptor.
fn minted(s: &Scenario) -> Vec<(&'static str, Vec<u8>)> {
    let mut kdc = s.kdc.clone();
    let t = &s.ticket;
    let b = || ApReqBuilder::new(t).rng(Rng::seeded(5));
    let default_flags = GssChecksum::default().flags;
    let cb = kerbgate_testkit::ChannelBindings::application(CB_DATA);
    let tgt = kdc.tgt("alice").unwrap().build().unwrap();
    let cred = |enc: CredEncryption| {
        KrbCredBuilder::forwarded_tgt(tgt.clone(), t.session_key.clone())
            .encryption(enc)
            .rng(Rng::seeded(6))
            .build()
            .unwrap()
            .der
    };
    let deleg = |der: Vec<u8>| {
        AuthChecksum::Gss(GssChecksum {
            flags: default_flags | gss_flags::DELEG,
            delegation: Some((1, der)),
            ..GssChecksum::default()
        })
    };
    let ticket =
        |kdc: &mut kerbgate_testkit::Kdc, service: &str| kdc.ticket("alice", service).unwrap();
    let rc4 = ticket(&mut kdc, s.service.to_string().as_str())
        .session_enctype(Enctype::Rc4Hmac)
        .build()
        .unwrap();
    let sha256 = ticket(&mut kdc, s.service.to_string().as_str())
        .session_enctype(Enctype::Aes128CtsHmacSha256128)
        .build()
        .unwrap();
    let http = ticket(&mut kdc, HTTP).build().unwrap();
    let camellia = ticket(&mut kdc, s.service.to_string().as_str())
        .session_enctype(Enctype::Camellia256CtsCmac)
        .build()
        .unwrap();
    let no_kvno = ticket(&mut kdc, s.service.to_string().as_str())
        .kvno_field(KvnoField::Absent)
        .build()
        .unwrap();
    let rich_ticket = ticket(&mut kdc, s.service.to_string().as_str())
        .caddr(Some(vec![HostAddress::ipv4([192, 0, 2, 1])]))
        .authorization_data(Some(vec![AuthData::if_relevant(&[AuthData::raw(
            142,
            &[1, 2, 3, 4],
        )])]))
        .renew_till(Some(FIXED_TIME.plus(7 * 86400)))
        .starttime(Some(FIXED_TIME))
        .build()
        .unwrap();
    let keyed = AuthChecksum::Keyed {
        cksumtype: None,
        usage: None,
        with_subkey: false,
        data: Vec::new(),
    };
    let tok = |b: ApReqBuilder<'_>| b.build().unwrap().gss_token();
    let with = |tk: &kerbgate_testkit::Ticket| {
        ApReqBuilder::new(tk)
            .rng(Rng::seeded(5))
            .build()
            .unwrap()
            .gss_token()
    };
    vec![
        ("default", tok(b())),
        (
            "no-mutual",
            tok(b()
                .ap_options(0)
                .checksum(gss(gss_flags::INTEG | gss_flags::CONF, Bindings::None))),
        ),
        ("raw-ap-req", b().build().unwrap().der),
        (
            "ms-oid",
            gss_initial_token(MS_KRB5_OID, &b().build().unwrap().der),
        ),
        (
            "subkey-aes256",
            tok(b().subkey_enctype(Enctype::Aes256CtsHmacSha196)),
        ),
        (
            "subkey-aes128-sha256",
            tok(b().subkey_enctype(Enctype::Aes128CtsHmacSha256128)),
        ),
        ("seq-mit-negative", tok(b().seq_number(Some(0x8765_4321)))),
        (
            "seq-der",
            tok(b()
                .seq_number(Some(0x8765_4321))
                .seq_encoding(SeqEncoding::Der)),
        ),
        (
            "cb-match",
            tok(b().checksum(gss(default_flags, Bindings::Channel(cb.clone())))),
        ),
        (
            "cb-zero",
            tok(b().checksum(gss(default_flags, Bindings::None))),
        ),
        (
            "deleg",
            tok(b().checksum(deleg(cred(CredEncryption::Key(t.session_key.clone()))))),
        ),
        (
            "deleg-plain",
            tok(b().checksum(deleg(cred(CredEncryption::Plain)))),
        ),
        ("no-checksum", tok(b().checksum(AuthChecksum::None))),
        ("keyed-checksum", tok(b().checksum(keyed))),
        (
            "etype-negotiation",
            tok(b().authorization_data(Some(vec![AuthData::enctype_negotiation(&[20, 18])]))),
        ),
        (
            "dce-style",
            tok(b().checksum(gss(default_flags | gss_flags::DCE_STYLE, Bindings::None))),
        ),
        (
            "extensions",
            tok(b().checksum(AuthChecksum::Gss(GssChecksum {
                extensions: vec![0, 0, 0, 1, 0, 0, 0, 0],
                ..GssChecksum::default()
            }))),
        ),
        (
            "mutual-option-only",
            tok(b()
                .ap_options(ap_options::MUTUAL_REQUIRED)
                .checksum(gss(gss_flags::INTEG, Bindings::None))),
        ),
        ("session-rc4", with(&rc4)),
        ("session-aes128-sha256", with(&sha256)),
        ("session-camellia256", with(&camellia)),
        ("ticket-aes256-sha384-http", with(&http)),
        ("ticket-no-kvno", with(&no_kvno)),
        ("ticket-caddr-authz", with(&rich_ticket)),
    ]
}

/// Every folder of testdata/fuzz-regressions must be a target replayed here.
#[test]
fn every_regression_folder_is_replayed() {
    let replayed = ["accept", "http_request", "ticket_differential"];
    let Ok(rd) = std::fs::read_dir(testdata().join("fuzz-regressions")) else {
        return;
    };
    for e in rd {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            replayed.contains(&name.as_str()),
            "testdata/fuzz-regressions/{name}: no replay test for this target"
        );
    }
}

#[test]
fn replays_http_request_fuzz_regressions() {
    let acc = Arc::new(mit_acceptor());
    for path in files(&testdata().join("fuzz-regressions/http_request")) {
        let data = std::fs::read(&path).unwrap();
        let mut ex = kerbgate::SpnegoExchange::new(Arc::clone(&acc));
        for value in data.split(|&b| b == b'\n').take(4) {
            let _ = kerbgate::negotiate::authenticate(&mut ex, Some(value));
        }
        eprintln!("replayed {}", path.display());
    }
}

#[test]
#[ignore = "writes fuzz/seeds/{ccache_write,http_request,imap_request}; run by hand"]
fn regenerate_front_end_seeds() {
    let root = seeds_dir().join("..");
    let s = scenario();
    let mut kdc = s.kdc.clone();
    let tgt = kdc.tgt("alice").unwrap().build().unwrap();
    let dir = root.join("ccache_write");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, enc) in [
        ("plain", CredEncryption::Plain),
        (
            "session-key",
            CredEncryption::Key(s.ticket.session_key.clone()),
        ),
    ] {
        let der = KrbCredBuilder::forwarded_tgt(tgt.clone(), s.ticket.session_key.clone())
            .encryption(enc)
            .rng(Rng::seeded(6))
            .build()
            .unwrap()
            .der;
        let mut seed = vec![0u8];
        seed.extend_from_slice(&der);
        std::fs::write(dir.join(format!("krb-cred-{name}")), seed).unwrap();
    }
    // Odd first byte: fields (principal, principal, enctype, key, flags, 4 times, ticket).
    let mut f = vec![1u8];
    for field in [
        &[0, 0, 0, 1][..],
        &[2],
        b"alice",
        b"EXAMPLE.COM",
        &[0, 0, 0, 2],
        &[2],
        b"krbtgt",
        b"EXAMPLE.COM",
        &[18],
        &[0x11; 32],
        &[0x40, 0xe1, 0, 0],
        &[0x65, 0x00, 0x00, 0x00],
        &[0x65, 0x00, 0x00, 0x00],
        &[0x65, 0x01, 0x00, 0x00],
        &[0xff, 0xff, 0xff, 0xff, 0xff],
        &[0x61, 0x03, 0x02, 0x01, 0x05],
    ] {
        f.push(u8::try_from(field.len()).unwrap());
        f.extend_from_slice(field);
    }
    std::fs::write(dir.join("fields"), f).unwrap();

    let dir = root.join("http_request");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = read_cases(&testdata().join("captured/mit-1.20/tokens.txt"));
    for case in cases {
        let name = case.get("name").to_string();
        if name.starts_with("spnego")
            || name.starts_with("http")
            || name.contains("aes256-features")
        {
            let value = kerbgate::negotiate::www_authenticate(&case.hex("token"));
            std::fs::write(dir.join(format!("mit-{name}")), value).unwrap();
        }
    }
    std::fs::write(
        dir.join("two-values"),
        "Negotiate YIIB
negotiate  oQcwBaADCgEA",
    )
    .unwrap();

    let dir = root.join("imap_request");
    std::fs::create_dir_all(&dir).unwrap();
    let sessions: [(&str, &[u8]); 4] = [
        (
            "capability",
            b"\x80a1 CAPABILITY\r\na2 NOOP\r\na3 LOGOUT\r\n",
        ),
        (
            "authenticate",
            b"\x83a1 AUTHENTICATE GSSAPI\r\nYIIBAA==\r\nZm9v\r\n*\r\n",
        ),
        (
            "sasl-ir",
            b"\x01t AUTHENTICATE gssapi YIIB\nt2 AUTHENTICATE GSSAPI =\n\n",
        ),
        (
            "bad",
            b"\x00* NOOP\r\n\xff\xfe x\r\nx LOGIN a b\r\nx AUTHENTICATE\r\n",
        ),
    ];
    for (name, bytes) in sessions {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
#[ignore = "writes fuzz/seeds/accept; run by hand when the token shapes change"]
fn regenerate_accept_seeds() {
    let dir = seeds_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for old in files(&dir) {
        std::fs::remove_file(old).unwrap();
    }
    let s = scenario();
    for (i, (name, token)) in minted(&s).into_iter().enumerate() {
        std::fs::write(dir.join(format!("minted-{i:02}-{name}")), token).unwrap();
    }
    let cases = read_cases(&testdata().join("captured/mit-1.20/tokens.txt"));
    for case in cases {
        let name = case.get("name").to_string();
        std::fs::write(dir.join(format!("mit-{name}")), case.hex("token")).unwrap();
    }
}
