//! Accept throughput against thread count: one `Acceptor` (and its in-memory replay
//! cache) shared by 1, 2, 4 and 8 threads, each token distinct. Criterion reports
//! elements/s, which here is accepts/s for the whole acceptor.
//!
//! Tokens are minted before the timed region of each sample; the timed region is the
//! threads draining a shared list of tokens. On a machine with fewer cores than threads
//! the figure shows lock and scheduling overhead, not speed-up.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kerbgate::{Acceptor, FixedClock, MemoryReplayCache};
use kerbgate_testkit::{ApReqMinter, GssChecksum, Kdc, KerberosTime, ServiceKeyOpts};

fn setup() -> (Acceptor, ApReqMinter, i64) {
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
        .replay_cache(Arc::new(MemoryReplayCache::with_capacity(100_000_000)))
        .build()
        .unwrap();
    let mut gss = GssChecksum::default();
    gss.flags &= !kerbgate_testkit::consts::gss_flags::MUTUAL;
    (acceptor, ApReqMinter::with_options(ticket, 3, 0, gss), now)
}

fn bench_threads(c: &mut Criterion) {
    let (acceptor, mut minter, now) = setup();
    let mut counter: u64 = 0;
    let mut group = c.benchmark_group("accept threads");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(5));
    for threads in [1usize, 2, 4, 8] {
        group.bench_function(format!("{threads} threads"), |b| {
            b.iter_custom(|iters| {
                let tokens: Vec<Vec<u8>> = (0..iters)
                    .map(|_| {
                        counter += 1;
                        // Distinct (ctime, cusec, seq) for every token of the run.
                        let ctime = KerberosTime::from_unix(now - (counter / 1_000_000) as i64);
                        minter
                            .mint(ctime, (counter % 1_000_000) as u32, Some(counter as u32))
                            .unwrap()
                            .gss_token()
                    })
                    .collect();
                let next = AtomicUsize::new(0);
                let start = Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..threads {
                        s.spawn(|| loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(tok) = tokens.get(i) else { break };
                            acceptor.accept(tok).unwrap();
                        });
                    }
                });
                start.elapsed()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_threads);
criterion_main!(benches);
