//! Replay cache cost per accept: the in-memory cache and the MIT file2 file cache
//! (no fsync; the file lives in the system temp directory), each inserting fresh tags
//! at 5000 a simulated second after 10 000 warm-up entries.

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use kerbgate::replay_file::FileReplayCache;
use kerbgate::{MemoryReplayCache, Principal, ReplayCache, ReplayRecord, Timestamp};

const NOW: i64 = 1_700_000_000;

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

fn replay(c: &mut Criterion) {
    fill_and_bench(c, "replay/memory fresh insert", &MemoryReplayCache::new());
    let path = std::env::temp_dir().join(format!("kerbgate-bench-{}.rcache2", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let file = FileReplayCache::open(&path).unwrap();
    fill_and_bench(c, "replay/file2 fresh insert", &file);
    let _ = std::fs::remove_file(&path);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = replay
}
criterion_main!(benches);
