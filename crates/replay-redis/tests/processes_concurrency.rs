//! Two acceptor processes of 8 threads each (this test binary run twice more) share a
//! replay cache: a real redis-server started here on 127.0.0.1, or one MIT file2 cache
//! file. Both walk the same seeded stream of testkit tokens in the same order; about
//! 45% of the tokens go to one process only, 45% to the other, 5% to both (cross-process
//! replays racing each other) and 5% twice to the same process (adjacent, so two of its
//! threads race). RFC 4120 section 3.2.3: every token must be accepted exactly once in
//! total, and every refusal must be KRB_AP_ERR_REPEAT.
//!
//! `cargo test` runs 6,000 tokens per backend; the 200,000-token runs are `#[ignore]`d
//! and run in release in CI:
//! `cargo test --release -p kerbgate-replay-redis --test processes_concurrency -- --ignored`.
//!
//! Live-test policy: without redis-server the Redis test fails when `CI` is set and
//! otherwise prints `skipped: <reason>`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "test code: fixed valid inputs; counts stay far below 2^32"
)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Instant;

use kerbgate::consts::KrbErrorCode;
use kerbgate::replay_file::FileReplayCache;
use kerbgate::{Acceptor, FixedClock, ReplayCache};
use kerbgate_replay_redis::RedisReplayCache;
use kerbgate_testkit::{ApReqMinter, GssChecksum, Kdc, KerberosTime, Rng, ServiceKeyOpts};
use support::RedisServer;

const THREADS: usize = 8;
/// Tokens minted and checked per round; bounds memory.
const BATCH: usize = 16_384;
const SEED: u64 = 0x5eed;

fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// How many times process `role` (0 or 1) gets token `g`.
fn copies(g: usize, role: u8) -> usize {
    match (mix(SEED ^ g as u64) % 100, role) {
        (0..45, 0) | (45..90, 1) | (90..95, _) => 1,
        (95..100, r) if r == (g % 2) as u8 => 2,
        _ => 0,
    }
}

/// The token stream's base minter and the acceptor's keytab and time.
fn setup() -> (ApReqMinter, kerbgate_keytab::Keytab, i64) {
    let mut kdc = Kdc::new("EXAMPLE.COM");
    kdc.add_service(
        "imap/mail.example.com",
        ServiceKeyOpts::password(kerbgate_crypto::Enctype::Aes256CtsHmacSha196, 2, "secret"),
    )
    .unwrap();
    let ticket = kdc
        .ticket("alice", "imap/mail.example.com")
        .unwrap()
        .rng(Rng::seeded(7))
        .build()
        .unwrap();
    let mut gss = GssChecksum::default();
    gss.flags &= !kerbgate_testkit::consts::gss_flags::MUTUAL;
    let now = kerbgate_testkit::FIXED_TIME.plus(60).unix();
    (
        ApReqMinter::with_options(ticket, 1000, 0, gss),
        kdc.keytab(),
        now,
    )
}

/// Token `g`: the same bytes in every process (a fresh clone of the seeded minter).
fn mint(base: &ApReqMinter, now: i64, g: usize) -> Vec<u8> {
    let ctime = KerberosTime::from_unix(now - (g / 1_000_000) as i64);
    base.clone()
        .mint(ctime, (g % 1_000_000) as u32, Some(g as u32))
        .unwrap()
        .gss_token()
}

fn open_cache(spec: &str) -> Arc<dyn ReplayCache> {
    if let Some(path) = spec.strip_prefix("file:") {
        Arc::new(FileReplayCache::open(path).unwrap())
    } else {
        Arc::new(RedisReplayCache::open(spec).unwrap())
    }
}

/// One process's run: accepts its share of `total` tokens on 8 threads and writes one
/// byte a token (times accepted) to `out`.
fn run_role(spec: &str, role: u8, total: usize, out: &Path) {
    let (base, keytab, now) = setup();
    let acceptor = Acceptor::builder()
        .keytab(&keytab)
        .clock(Arc::new(FixedClock::at(now)))
        .replay_cache(open_cache(spec))
        .build()
        .unwrap();
    let mut counts = vec![0u8; total];
    let mut first = 0;
    while first < total {
        let n = BATCH.min(total - first);
        // The same order in both processes: a shuffle seeded by the batch.
        let mut order: Vec<usize> = (first..first + n).collect();
        for i in (1..n).rev() {
            order.swap(
                i,
                (mix(SEED ^ (first + i) as u64 ^ 0xabc) % (i as u64 + 1)) as usize,
            );
        }
        let work: Vec<usize> = order
            .iter()
            .flat_map(|&g| std::iter::repeat_n(g, copies(g, role)))
            .collect();
        let tokens: Vec<Vec<u8>> = {
            let per = work.len().div_ceil(THREADS).max(1);
            std::thread::scope(|s| {
                let hs: Vec<_> = work
                    .chunks(per)
                    .map(|c| s.spawn(|| c.iter().map(|&g| mint(&base, now, g)).collect::<Vec<_>>()))
                    .collect();
                hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
            })
        };
        let accepted: Vec<AtomicU8> = (0..n).map(|_| AtomicU8::new(0)).collect();
        let next = AtomicUsize::new(0);
        let start = Barrier::new(THREADS);
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    start.wait();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let (Some(&g), Some(token)) = (work.get(k), tokens.get(k)) else {
                            break;
                        };
                        match acceptor.accept(token) {
                            Ok(_) => {
                                accepted[g - first].fetch_add(1, Ordering::Relaxed);
                            }
                            Err(r) => assert_eq!(
                                r.error.krb_error_code(),
                                Some(KrbErrorCode::KRB_AP_ERR_REPEAT),
                                "token {g} in process {role}: {}",
                                r.error
                            ),
                        }
                    }
                });
            }
        });
        for (i, a) in accepted.iter().enumerate() {
            counts[first + i] = a.load(Ordering::Relaxed);
        }
        first += n;
    }
    std::fs::write(out, counts).unwrap();
}

/// The child processes' entry: idle unless started with the role variables.
#[test]
fn child_role() {
    let (Ok(spec), Ok(role), Ok(total), Ok(out)) = (
        std::env::var("KERBGATE_RC_SPEC"),
        std::env::var("KERBGATE_RC_ROLE"),
        std::env::var("KERBGATE_RC_TOTAL"),
        std::env::var("KERBGATE_RC_OUT"),
    ) else {
        return;
    };
    run_role(
        &spec,
        role.parse().unwrap(),
        total.parse().unwrap(),
        Path::new(&out),
    );
}

/// Runs both processes at once on `spec` and checks every token was accepted once;
/// `server` is the Redis they share, checked to have run throughout.
fn two_processes(spec: &str, total: usize, label: &str, server: Option<&mut RedisServer>) {
    let dir =
        std::env::temp_dir().join(format!("kerbgate-rc-procs-{}-{label}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let outs: Vec<PathBuf> = (0..2).map(|r| dir.join(format!("counts-{r}"))).collect();
    let started = Instant::now();
    let children: Vec<_> = (0..2u8)
        .map(|role| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "child_role", "--nocapture", "--test-threads=1"])
                .env("KERBGATE_RC_SPEC", spec)
                .env("KERBGATE_RC_ROLE", role.to_string())
                .env("KERBGATE_RC_TOTAL", total.to_string())
                .env("KERBGATE_RC_OUT", &outs[usize::from(role)])
                .spawn()
                .unwrap()
        })
        .collect();
    let statuses: Vec<_> = children
        .into_iter()
        .map(|mut c| c.wait().unwrap())
        .collect();
    if let Some(server) = server {
        if let Err(e) = server.check_running() {
            panic!("{label}: the shared server did not survive the run: {e}");
        }
    }
    for (role, status) in statuses.iter().enumerate() {
        assert!(
            status.success(),
            "{label}: child process {role} failed: {status}"
        );
    }
    let took = started.elapsed();
    let a = std::fs::read(&outs[0]).unwrap();
    let b = std::fs::read(&outs[1]).unwrap();
    assert_eq!((a.len(), b.len()), (total, total));
    let mut presented = 0;
    for g in 0..total {
        assert_eq!(
            a[g] + b[g],
            1,
            "{label}: token {g} accepted {} + {} times",
            a[g],
            b[g]
        );
        presented += copies(g, 0) + copies(g, 1);
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{label}: 2 processes x {THREADS} threads: {total} tokens accepted once each, {} \
         replays refused with KRB_AP_ERR_REPEAT, in {:.1} s (minting included)",
        presented - total,
        took.as_secs_f64()
    );
}

fn redis_run(total: usize) {
    let Some(mut redis) = support::start() else {
        return;
    };
    let url = redis.url(0);
    two_processes(&url, total, "redis", Some(&mut redis));
}

fn file_run(total: usize) {
    let path =
        std::env::temp_dir().join(format!("kerbgate-rc-procs-{}.rcache2", std::process::id()));
    let _ = std::fs::remove_file(&path);
    two_processes(&format!("file:{}", path.display()), total, "file2", None);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn two_processes_sharing_redis_accept_each_token_once() {
    redis_run(6_000);
}

#[test]
fn two_processes_sharing_a_file_cache_accept_each_token_once() {
    file_run(6_000);
}

#[test]
#[ignore = "200,000 tokens: run in release (CI does)"]
fn two_processes_sharing_redis_accept_each_of_200k_tokens_once() {
    redis_run(200_000);
}

#[test]
#[ignore = "200,000 tokens: run in release (CI does)"]
fn two_processes_sharing_a_file_cache_accept_each_of_200k_tokens_once() {
    file_run(200_000);
}
