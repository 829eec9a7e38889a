//! Hostile PACs: hand-built tables (testdata/pac/hostile.txt), hostile NDR, every
//! truncation and bit flip of real PACs, and a 1,000-group logon info.
// Test code: a failed expectation should abort the test with its message.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

#[path = "pac_builder.rs"]
mod builder;

use std::time::{Duration, Instant};

use builder::{client_info, keys, layout, signed_pac, Logon};
use kerbgate::pac::{Pac, PacError};
use kerbgate::AuthzElement;

fn dir() -> String {
    format!("{}/../../testdata/pac", env!("CARGO_MANIFEST_DIR"))
}

fn variant(e: &PacError) -> &'static str {
    match e {
        PacError::Truncated { .. } => "Truncated",
        PacError::CountTooLarge { .. } => "CountTooLarge",
        PacError::BadBufferBounds { .. } => "BadBufferBounds",
        PacError::OverlappingBuffers { .. } => "OverlappingBuffers",
        PacError::DuplicateBuffer { .. } => "DuplicateBuffer",
        PacError::BadVersion { .. } => "BadVersion",
        PacError::Malformed { .. } => "Malformed",
        PacError::RequestorMismatch => "RequestorMismatch",
        _ => "other",
    }
}

#[test]
fn hand_built_tables_are_refused() {
    let path = format!("{}/hostile.txt", dir());
    let text = std::fs::read_to_string(&path).unwrap();
    let mut n = 0;
    for (i, block) in text
        .split("\n\n")
        .filter(|b| b.contains("pac = "))
        .enumerate()
    {
        let get = |k: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k} = ")))
                .unwrap()
                .trim_matches('"')
                .to_string()
        };
        let pac = hex::decode(get("pac")).unwrap();
        let err = Pac::parse(&pac).err();
        let got = err.as_ref().map(variant);
        assert_eq!(
            got,
            Some(get("error").as_str()),
            "{path} case {i} ({}): {err:?}",
            get("name")
        );
        // Display is one lower-case line.
        let msg = err.unwrap().to_string();
        assert!(msg.chars().next().unwrap().is_lowercase() && !msg.ends_with('.'));
        n += 1;
    }
    assert_eq!(n, 19);
}

#[test]
fn empty_pac_parses_but_does_not_verify() {
    let pac = Pac::parse(&[0; 8]).unwrap();
    assert!(pac.logon_info().is_none() && pac.group_sids().is_empty());
    assert_eq!(
        pac.verify_server_signature(&keys().0),
        Err(PacError::MissingBuffer { ul_type: 6 })
    );
}

fn parse_logon(logon: Vec<u8>) -> Result<Pac, PacError> {
    Pac::parse(&layout(&[(1, logon)]).0)
}

#[test]
fn hostile_ndr_is_refused() {
    let good = Logon::with_groups(3).encode();
    parse_logon(good.clone()).unwrap();
    // Offsets into the fixed part: 16 header + 4 referent + 48 FILETIMEs + 48 strings
    // + 4 counts = 120 UserId, 124 PrimaryGroupId, 128 GroupCount.
    let mut g = good.clone();
    g[128..132].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    assert!(parse_logon(g).is_err());

    // The group array's own conformance count, huge: capped by the bytes left.
    let deferred_groups = find(&good, &[3, 0, 0, 0, 0xe8, 3, 0, 0]);
    let mut g = good.clone();
    g[deferred_groups..deferred_groups + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        parse_logon(g),
        Err(PacError::CountTooLarge { .. })
    ));

    // A string whose Length exceeds MaximumLength.
    let mut g = good.clone();
    g[68] = 0xfe;
    assert!(matches!(parse_logon(g), Err(PacError::Malformed { .. })));

    // Every truncation of the NDR stream (short of the final alignment padding),
    // keeping the header length consistent.
    for cut in 0..good.len() - 8 {
        let mut t = good[..cut].to_vec();
        if t.len() >= 16 {
            let len = (t.len() - 16) as u32;
            t[8..12].copy_from_slice(&len.to_le_bytes());
        }
        assert!(parse_logon(t).is_err(), "truncated at {cut} decoded");
    }
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap()
}

#[test]
fn requestor_must_match_user() {
    let logon = Logon::with_groups(1);
    let user = [1u8, 5, 0, 0, 0, 0, 0, 5];
    let mut good = user.to_vec();
    for s in logon.domain_sid.iter().chain([&logon.user_rid]) {
        good.extend_from_slice(&s.to_le_bytes());
    }
    good[1] = 5;
    let ok = layout(&[(1, logon.encode()), (18, good.clone())]).0;
    let pac = Pac::parse(&ok).unwrap();
    assert_eq!(pac.requestor().map(|s| s.rid()), Some(Some(1104)));
    let mut bad = good;
    *bad.last_mut().unwrap() ^= 1;
    let bad = layout(&[(1, logon.encode()), (18, bad)]).0;
    assert_eq!(Pac::parse(&bad).err(), Some(PacError::RequestorMismatch));
}

#[test]
fn truncations_and_bit_flips_of_real_pacs_never_panic() {
    for f in ["heimdal/saved_pac.bin", "krb5/ticket_data_ws2022.pac.bin"] {
        let bytes = std::fs::read(format!("{}/{f}", dir())).unwrap();
        let pac = Pac::parse(&bytes).unwrap();
        let end = pac
            .buffers()
            .iter()
            .map(|b| b.offset + b.size)
            .max()
            .unwrap();
        for cut in 0..end {
            assert!(Pac::parse(&bytes[..cut]).is_err(), "{f} truncated at {cut}");
        }
        for bit in 0..bytes.len() * 8 {
            let mut t = bytes.clone();
            t[bit / 8] ^= 1 << (bit % 8);
            let _ = Pac::parse(&t).map(|p| (p.group_sids(), p.user_sid()));
        }
    }
}

#[test]
fn thousand_groups_decode_quickly() {
    let (s, k) = keys();
    let mut logon = Logon::with_groups(1000);
    logon.resource_groups = vec![2000, 2001];
    let bytes = signed_pac(
        vec![
            (1, logon.encode()),
            (10, client_info("alice", 1_700_000_000)),
        ],
        &s,
        &k,
    );
    let start = Instant::now();
    let pac = Pac::parse(&bytes).unwrap();
    pac.verify_server_signature(&s).unwrap();
    pac.verify_kdc_signature(&k).unwrap();
    let took = start.elapsed();
    let sids = pac.group_sids();
    assert_eq!(sids.len(), 1000 + 2 + 2);
    assert_eq!(
        sids[0].to_string(),
        "S-1-5-21-1111111111-2222222222-3333333333-1000"
    );
    assert_eq!(
        sids[1001].well_known_name(),
        Some(r"BUILTIN\Administrators")
    );
    assert!(took < Duration::from_millis(200), "took {took:?}");
    pac.check_client_info("alice@EXAMPLE.COM", 1_700_000_000)
        .unwrap();
}

#[test]
fn authorization_data_lookup() {
    let bytes = builder::big_pac(2);
    let el = |from_ticket, if_relevant| AuthzElement {
        ad_type: 128,
        data: bytes.clone(),
        from_ticket,
        if_relevant,
    };
    assert!(Pac::from_authorization_data(&[]).unwrap().is_none());
    // A PAC the client put in its authenticator is not a PAC.
    assert!(Pac::from_authorization_data(&[el(false, true)])
        .unwrap()
        .is_none());
    assert!(Pac::from_authorization_data(&[el(true, true)])
        .unwrap()
        .is_some());
    assert_eq!(
        Pac::from_authorization_data(&[el(true, true), el(true, true)]).err(),
        Some(PacError::MultiplePacs)
    );
}

#[test]
fn acceptor_policy() {
    use kerbgate::pac::{check_ticket_pac, PacPolicy};
    let (server, kdc) = keys();
    let bytes = builder::big_pac(2);
    let ad = [AuthzElement {
        ad_type: 128,
        data: bytes.clone(),
        from_ticket: true,
        if_relevant: true,
    }];
    let t = 1_700_000_000;
    let ok = check_ticket_pac(&ad, &server, "alice@EXAMPLE.COM", t, PacPolicy::default());
    assert_eq!(ok.unwrap().unwrap().group_sids().len(), 4);
    // No PAC: accepted unless required.
    assert!(
        check_ticket_pac(&[], &server, "alice", t, PacPolicy::default())
            .unwrap()
            .is_none()
    );
    assert_eq!(
        check_ticket_pac(&[], &server, "alice", t, PacPolicy::required()).err(),
        Some(PacError::NoPac)
    );
    // Wrong key: refused.
    assert!(matches!(
        check_ticket_pac(&ad, &kdc, "alice", t, PacPolicy::default()),
        Err(PacError::BadSignature { .. })
    ));
    // Another client or authtime: refused.
    assert!(check_ticket_pac(&ad, &server, "bob", t, PacPolicy::default()).is_err());
    assert!(check_ticket_pac(&ad, &server, "alice", t + 1, PacPolicy::default()).is_err());
    // A PAC without logon info: accepted, with no groups.
    let bare = signed_pac(vec![(10, client_info("alice", t))], &server, &kdc);
    let ad = [AuthzElement {
        ad_type: 128,
        data: bare,
        from_ticket: true,
        if_relevant: true,
    }];
    let pac = check_ticket_pac(&ad, &server, "alice", t, PacPolicy::default())
        .unwrap()
        .unwrap();
    assert!(pac.group_sids().is_empty() && pac.user_sid().is_none());
}
