//! Replay cache cost per accept.
//!
//! - `replay/... fresh insert`: one thread inserting fresh tags into the in-memory cache
//!   and the MIT file2 file cache (no fsync; the file lives in the system temp
//!   directory) at 5000 a simulated second after 10 000 warm-up entries.
//! - `replay-accept/...`: whole accepts (testkit tokens, aes256, no mutual
//!   authentication) on 8 threads sharing one acceptor, per backend: memory, file2 and
//!   Redis (a redis-server started here on 127.0.0.1 at a free port; skipped with a
//!   message when it cannot start; 1 (the default) and 2 connections). Redis commands
//!   of accepts in flight together go out pipelined. Criterion reports accepts per
//!   second (elements/s).

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::indexing_slicing
)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kerbgate::replay_file::FileReplayCache;
use kerbgate::{
    Acceptor, FixedClock, MemoryReplayCache, Principal, ReplayCache, ReplayRecord, Timestamp,
};
use kerbgate_replay_redis::RedisReplayCache;
use kerbgate_testkit::{ApReqMinter, GssChecksum, Kdc, KerberosTime, ServiceKeyOpts};

const NOW: i64 = 1_700_000_000;
const THREADS: usize = 8;

fn fill_and_bench(c: &mut Criterion, name: &str, cache: &dyn ReplayCache) {
    let (srv, cli) = (
        Principal::parse("imap/h@R").unwrap(),
        Principal::parse("a@R").unwrap(),
    );
    let mut n: u64 = 0;
    // 5000 logins a second: entries expire after 300 s, so both caches reach a steady
    // state of about 1.5 million live entries during long runs.
    let insert = |n: &mut u64| {
        *n += 1;
        let now = Timestamp::from_secs(NOW + i64::try_from(*n / 5000).unwrap());
        let ct = n
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .to_be_bytes()
            .repeat(2);
        let rec = ReplayRecord::new(&srv, &cli, now, 18, &ct);
        let _ = cache.check_and_insert(&rec, now, 300).unwrap();
    };
    for _ in 0..10_000 {
        insert(&mut n);
    }
    c.bench_function(name, |b| b.iter(|| insert(&mut n)));
}

/// A redis-server for the bench; killed on drop.
struct Redis(Child);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_redis() -> Option<(Redis, u16)> {
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let redis = Redis(child);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(10) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((redis, port))
}

/// Whole accepts on `THREADS` threads through `cache`, as accepts per second.
fn accepts_per_second(c: &mut Criterion, name: &str, cache: Arc<dyn ReplayCache>) {
    let mut kdc = Kdc::new("EXAMPLE.COM");
    kdc.add_service(
        "imap/mail.example.com",
        ServiceKeyOpts::password(kerbgate_crypto::Enctype::Aes256CtsHmacSha196, 2, "secret"),
    )
    .unwrap();
    let ticket = kdc
        .ticket("alice", "imap/mail.example.com")
        .unwrap()
        .build()
        .unwrap();
    let now = kerbgate_testkit::FIXED_TIME.plus(60).unix();
    let acceptor = Acceptor::builder()
        .keytab(&kdc.keytab())
        .clock(Arc::new(FixedClock::at(now)))
        .replay_cache(cache)
        .build()
        .unwrap();
    let mut gss = GssChecksum::default();
    gss.flags &= !kerbgate_testkit::consts::gss_flags::MUTUAL;
    let mut minter = ApReqMinter::with_options(ticket, 99, 0, gss);
    let mut g: usize = 0;

    let mut group = c.benchmark_group("replay-accept");
    group.throughput(Throughput::Elements(1));
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            // Fresh tokens, minted outside the timed part.
            let tokens: Vec<Vec<u8>> = (0..iters as usize)
                .map(|_| {
                    g += 1;
                    let ctime = KerberosTime::from_unix(now - (g / 1_000_000) as i64);
                    minter
                        .mint(ctime, (g % 1_000_000) as u32, Some(g as u32))
                        .unwrap()
                        .gss_token()
                })
                .collect();
            let next = AtomicUsize::new(0);
            let start = Instant::now();
            std::thread::scope(|s| {
                for _ in 0..THREADS {
                    s.spawn(|| loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(t) = tokens.get(k) else { break };
                        assert!(acceptor.accept(t).is_ok());
                    });
                }
            });
            start.elapsed()
        });
    });
    group.finish();
}

fn replay(c: &mut Criterion) {
    fill_and_bench(c, "replay/memory fresh insert", &MemoryReplayCache::new());
    let path = std::env::temp_dir().join(format!("kerbgate-bench-{}.rcache2", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let file = FileReplayCache::open(&path).unwrap();
    fill_and_bench(c, "replay/file2 fresh insert", &file);
    let _ = std::fs::remove_file(&path);

    accepts_per_second(c, "memory, 8 threads", Arc::new(MemoryReplayCache::new()));
    let path =
        std::env::temp_dir().join(format!("kerbgate-bench-{}-8.rcache2", std::process::id()));
    let _ = std::fs::remove_file(&path);
    accepts_per_second(
        c,
        "file2, 8 threads",
        Arc::new(FileReplayCache::open(&path).unwrap()),
    );
    let _ = std::fs::remove_file(&path);
    match start_redis() {
        Some((_redis, port)) => {
            let url = format!("redis://127.0.0.1:{port}/0");
            for conns in [1, 2] {
                accepts_per_second(
                    c,
                    &format!("redis pipelined, 8 threads, {conns} connections"),
                    Arc::new(
                        RedisReplayCache::open(&url)
                            .unwrap()
                            .namespace(format!("bench-{conns}"))
                            .connections(conns),
                    ),
                );
            }
        }
        None => eprintln!("replay-accept/redis skipped: redis-server did not start"),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = replay
}
criterion_main!(benches);
