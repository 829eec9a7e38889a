//! Resource bounds on hostile input (DESIGN "Contracts": no input allocates more than a
//! bound derived from its length, recurses past a fixed depth, or takes super-linear
//! time).
//!
//! A counting global allocator (`stats_alloc`) measures the bytes one `accept` allocates.
//! Its counters are process-wide, so every test here takes `SERIAL` first; the time
//! limits are generous (debug build, 2 shared cores).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::alloc::System;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use kerbgate::{Acceptor, FixedClock, KeyTable, Principal, SpnegoExchange};
use kerbgate_crypto::Enctype;
use kerbgate_keytab::{KeyBytes, Keytab, KeytabEntry};
use kerbgate_testkit::{ApReqMinter, AuthData, GssChecksum, Kdc, KerberosTime, ServiceKeyOpts};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

const KRB5_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
const MAX_TOKEN: usize = 64 * 1024;

/// DER length octets.
fn der_len(n: usize) -> Vec<u8> {
    match n {
        0..=0x7f => vec![n as u8],
        0x80..=0xff => vec![0x81, n as u8],
        0x100..=0xffff => vec![0x82, (n >> 8) as u8, n as u8],
        _ => vec![0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8],
    }
}

fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend(der_len(body.len()));
    v.extend_from_slice(body);
    v
}

/// RFC 2743 3.1 framing around `inner` (token ID 01 00, then `inner`).
fn gss_frame(inner: &[u8]) -> Vec<u8> {
    let mut body = tlv(0x06, KRB5_OID);
    body.extend_from_slice(&[0x01, 0x00]);
    body.extend_from_slice(inner);
    tlv(0x60, &body)
}

/// Deterministic filler.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

struct Realm {
    kdc: Kdc,
    acceptor: Acceptor,
    now: i64,
}

fn realm() -> Realm {
    let mut kdc = Kdc::new("EXAMPLE.COM");
    kdc.add_service(
        "imap/mail.example.com",
        ServiceKeyOpts::password(Enctype::Aes256CtsHmacSha196, 2, "secret"),
    )
    .unwrap();
    let now = kerbgate_testkit::FIXED_TIME.plus(60).unix();
    let acceptor = Acceptor::builder()
        .keytab(&kdc.keytab())
        .clock(Arc::new(FixedClock::at(now)))
        .build()
        .unwrap();
    Realm { kdc, acceptor, now }
}

/// A valid token whose ticket carries `ad` as authorization data.
fn token_with_ad(r: &mut Realm, ad: Vec<AuthData>, seed: u64) -> Vec<u8> {
    let ticket = r
        .kdc
        .ticket("alice", "imap/mail.example.com")
        .unwrap()
        .authorization_data(Some(ad))
        .build()
        .unwrap();
    let mut gss = GssChecksum::default();
    gss.flags &= !kerbgate_testkit::consts::gss_flags::MUTUAL;
    let mut m = ApReqMinter::with_options(ticket, seed, 0, gss);
    m.mint(KerberosTime::from_unix(r.now), seed as u32, Some(1))
        .unwrap()
        .gss_token()
}

/// Bytes allocated (in total, freed or not) and time taken by one accept.
fn measure(acceptor: &Acceptor, token: &[u8]) -> (usize, Duration, bool) {
    let region = Region::new(GLOBAL);
    let t = Instant::now();
    let ok = acceptor.accept(token).is_ok();
    let took = t.elapsed();
    (region.change().bytes_allocated, took, ok)
}

#[test]
fn max_size_tokens_allocate_less_than_4x_their_length() {
    let _g = serial();
    let mut r = realm();
    // Warm up lazily built state (key table, derived keys) outside the measurement.
    let warm = token_with_ad(&mut r, vec![AuthData::raw(142, b"x")], 1);
    r.acceptor.accept(&warm).unwrap();

    let garbage = noise(MAX_TOKEN, 7);
    // A valid GSS/AP-REQ prefix whose lengths claim the whole 64 KiB, then garbage.
    let ap_req_body = noise(MAX_TOKEN - 32, 8);
    let prefix = gss_frame(&tlv(0x6e, &tlv(0x30, &ap_req_body)));
    // A well-formed token whose ticket carries about 60 KiB of authorization data.
    let big_ad = vec![AuthData::if_relevant(&[AuthData::raw(
        142,
        &noise(60_000, 9),
    )])];
    let valid = token_with_ad(&mut r, big_ad, 2);
    // The same token with one bit of the ticket ciphertext flipped.
    let mut flipped = valid.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    // A length field claiming 16 MiB with only 64 KiB present.
    let mut lying = vec![0x60, 0x84, 0x01, 0x00, 0x00, 0x00];
    lying.extend(noise(MAX_TOKEN - lying.len(), 10));

    let cases: [(&str, &[u8], bool); 5] = [
        ("64 KiB garbage", &garbage, false),
        ("64 KiB valid prefix", &prefix, false),
        ("valid 60 KiB authorization data", &valid, true),
        ("bit flip in 60 KiB ticket", &flipped, false),
        ("length claims 16 MiB", &lying, false),
    ];
    for (name, token, want_ok) in cases {
        let (bytes, took, ok) = measure(&r.acceptor, token);
        eprintln!(
            "{name}: {} bytes in, {bytes} bytes allocated ({:.2}x), {took:?}, accepted: {ok}",
            token.len(),
            bytes as f64 / token.len() as f64
        );
        assert_eq!(ok, want_ok, "{name}");
        assert!(
            bytes < 4 * token.len(),
            "{name}: {bytes} bytes allocated for a {}-byte token",
            token.len()
        );
        assert!(took < Duration::from_secs(2), "{name}: {took:?}");
    }
}

#[test]
fn accept_time_grows_linearly_with_token_size() {
    let _g = serial();
    let mut r = realm();
    let mut per_byte = Vec::new();
    for (i, size) in [4_000usize, 60_000].into_iter().enumerate() {
        let ad = vec![AuthData::raw(142, &noise(size, 11))];
        let tokens: Vec<Vec<u8>> = (0..20)
            .map(|k| token_with_ad(&mut r, ad.clone(), 100 + (i * 20 + k) as u64))
            .collect();
        let len = tokens[0].len();
        let t = Instant::now();
        for tok in &tokens {
            r.acceptor.accept(tok).unwrap();
        }
        let took = t.elapsed();
        eprintln!("{len}-byte tokens: {:?} per accept", took / 20);
        per_byte.push(took.as_secs_f64() / len as f64);
    }
    // Per-byte cost of the large tokens must not exceed 4x that of the small ones.
    assert!(
        per_byte[1] < 4.0 * per_byte[0],
        "super-linear: {per_byte:?} s/byte"
    );
}

/// `depth` nested SEQUENCEs around an empty one.
fn nested(depth: usize, tag: u8) -> Vec<u8> {
    let mut v = vec![tag, 0x00];
    for _ in 0..depth {
        v = tlv(tag, &v);
    }
    v
}

#[test]
fn deep_nesting_is_refused_quickly() {
    let _g = serial();
    let mut r = realm();
    let t = Instant::now();

    // 1000 nested SEQUENCEs where the AP-REQ should be, bare and GSS-framed.
    let deep = nested(1000, 0x30);
    assert!(r.acceptor.accept(&deep).is_err());
    assert!(r.acceptor.accept(&gss_frame(&tlv(0x6e, &deep))).is_err());

    // 1000 nested AD-IF-RELEVANT inside a validly encrypted ticket: the decoder must
    // stop at its depth limit (and so must not overflow the stack).
    let mut ad = AuthData::raw(142, b"leaf");
    for _ in 0..1000 {
        ad = AuthData::if_relevant(&[ad]);
    }
    let token = token_with_ad(&mut r, vec![ad], 3);
    let deep_ad = r.acceptor.accept(&token);
    eprintln!(
        "1000 nested AD-IF-RELEVANT ({} bytes): {}",
        token.len(),
        match &deep_ad {
            Ok(_) => "accepted".to_string(),
            Err(e) => e.error.to_string(),
        }
    );

    // 1000 nested context tags in a SPNEGO NegTokenInit position.
    let spnego_oid = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    let mut body = tlv(0x06, &spnego_oid);
    body.extend(nested(1000, 0xa0));
    let spnego = tlv(0x60, &body);
    let mut ex = SpnegoExchange::new(Arc::new(realm().acceptor));
    assert!(ex.step(&spnego).is_err());

    let took = t.elapsed();
    assert!(took < Duration::from_secs(2), "{took:?}");
}

fn key_table(entries: usize) -> KeyTable {
    let mut kt = Keytab::new();
    for i in 0..entries {
        let p = Principal::parse(&format!("svc{i}/host{i}.example.com@EXAMPLE.COM")).unwrap();
        let key = KeyBytes::new(18, &noise(32, i as u64 + 1));
        kt.push(KeytabEntry::new(p, 1, 0, key));
    }
    KeyTable::from_keytab(&kt)
}

fn lookup_time(table: &KeyTable, names: &[Principal]) -> Duration {
    let t = Instant::now();
    for _ in 0..20 {
        for n in names {
            assert!(table.contains(n, false));
            assert!(table.contains(n, true));
        }
    }
    t.elapsed()
}

#[test]
fn key_table_lookup_does_not_grow_with_size() {
    let _g = serial();
    let small = key_table(10);
    let t = Instant::now();
    let large = key_table(100_000);
    let built = t.elapsed();
    let names = |n: usize| -> Vec<Principal> {
        (0..100)
            .map(|k| {
                let i = (k * 7919) % n;
                Principal::parse(&format!("svc{i}/host{i}.example.com@EXAMPLE.COM")).unwrap()
            })
            .collect()
    };
    let (ns, nl) = (names(10), names(100_000));
    let ts = lookup_time(&small, &ns);
    let tl = lookup_time(&large, &nl);
    eprintln!(
        "100k-entry KeyTable built in {built:?}; 4000 lookups: 10 entries {ts:?}, 100k {tl:?}"
    );
    assert!(built < Duration::from_secs(10), "{built:?}");
    assert!(
        tl < ts * 1000,
        "lookup 10 entries {ts:?}, 100k entries {tl:?}"
    );
}
