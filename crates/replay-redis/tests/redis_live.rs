//! Against a real redis-server (Debian's package) started by the test on 127.0.0.1 at
//! a free port: two caches (two servers of a fleet) give, on a seeded stream of tags
//! and replays, the same verdicts as one in-memory cache; with Redis stopped mid-run
//! the default cache fails closed and the fallback one answers from memory.
//!
//! Live-test policy: without redis-server the test fails when `CI` is set and
//! otherwise prints `skipped: <reason>`.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::time::{Duration, Instant};

use kerbgate::{MemoryReplayCache, Principal, ReplayCache, ReplayRecord, ReplayVerdict, Timestamp};
use kerbgate_replay_redis::{OnUnavailable, RedisReplayCache};

fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const NOW: i64 = 1_700_000_000;

#[test]
fn two_servers_sharing_redis_agree_with_one_memory_cache() {
    let Some(redis) = support::start() else {
        return;
    };
    let url = redis.url(0);
    let ns = format!("test-{}", std::process::id());
    let a = RedisReplayCache::open(&url).unwrap().namespace(ns.clone());
    let b = RedisReplayCache::open(&url).unwrap().namespace(ns);
    let mem = MemoryReplayCache::new();
    let (srv, cli) = (
        Principal::parse("imap/h@R").unwrap(),
        Principal::parse("a@R").unwrap(),
    );
    let mut state = 7u64;
    let mut issued: Vec<[u8; 16]> = Vec::new();
    let started = Instant::now();
    let n = 3000u32;
    for i in 0..n {
        let r = next(&mut state);
        let ct: [u8; 16] = if !issued.is_empty() && r % 3 == 0 {
            issued[usize::try_from(next(&mut state) % issued.len() as u64).unwrap()]
        } else {
            let mut ct = [0u8; 16];
            ct[..8].copy_from_slice(&next(&mut state).to_be_bytes());
            ct[8..].copy_from_slice(&next(&mut state).to_be_bytes());
            issued.push(ct);
            ct
        };
        let now = Timestamp::from_secs(NOW);
        let rec = ReplayRecord::new(&srv, &cli, now, 18, &ct);
        let want = mem.check_and_insert(&rec, now, 300).unwrap();
        let server = if r % 2 == 0 { &a } else { &b };
        let got = server.check_and_insert(&rec, now, 300).unwrap();
        assert_eq!(got, want, "step {i}");
    }
    let per = started.elapsed() / n;
    eprintln!(
        "redis: {n} checks, {} us each (both caches, debug build)",
        per.as_micros()
    );
}

#[test]
fn redis_stopped_mid_run_fails_closed_or_falls_back() {
    let Some(mut redis) = support::start() else {
        return;
    };
    let url = format!("redis://127.0.0.1:{}", redis.port());
    let closed = RedisReplayCache::open(&url)
        .unwrap()
        .timeout(Duration::from_millis(500));
    let open = RedisReplayCache::open(&url)
        .unwrap()
        .timeout(Duration::from_millis(500))
        .on_unavailable(OnUnavailable::FallbackToMemory);
    let (srv, cli) = (
        Principal::parse("imap/h@R").unwrap(),
        Principal::parse("a@R").unwrap(),
    );
    let now = Timestamp::from_secs(NOW);
    let rec = |ct: &'static [u8]| ReplayRecord::new(&srv, &cli, now, 18, ct);

    assert_eq!(
        closed
            .check_and_insert(&rec(b"first-token-tag-1"), now, 300)
            .unwrap(),
        ReplayVerdict::Fresh
    );
    assert_eq!(
        open.check_and_insert(&rec(b"first-token-tag-1"), now, 300)
            .unwrap(),
        ReplayVerdict::Replay
    );

    redis.stop();

    let err = closed
        .check_and_insert(&rec(b"second-token-tag-2"), now, 300)
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("replay cache unavailable: redis at redis://127.0.0.1:"),
        "{msg}"
    );
    eprintln!("fail closed: {msg}");

    assert_eq!(
        open.check_and_insert(&rec(b"second-token-tag-2"), now, 300)
            .unwrap(),
        ReplayVerdict::Fresh
    );
    assert_eq!(
        open.check_and_insert(&rec(b"second-token-tag-2"), now, 300)
            .unwrap(),
        ReplayVerdict::Replay
    );
}

#[test]
fn a_bad_url_is_refused() {
    let err = RedisReplayCache::open("http://127.0.0.1:1").unwrap_err();
    assert!(
        err.to_string().starts_with("replay cache unavailable"),
        "{err}"
    );
}
