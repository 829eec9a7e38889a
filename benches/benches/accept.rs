//! The hot path: a full accept of a real-sized initial context token.
//!
//! Tokens are minted by kerbgate-testkit outside the timed region (criterion's
//! `iter_batched_ref`), each with a fresh authenticator, so the in-memory replay cache
//! sees only distinct tokens, as in production. The ticket carries 195 bytes of opaque
//! authorization data so the token is as large as MIT 1.20's aes256 tokens with their
//! PAC (714 bytes, testdata/captured/mit-1.20). The timed region includes dropping the
//! established context, as a server eventually does.
//!
//! The replay cache is kept in the steady state of a busy server: 5000 logins a
//! simulated second (the clock moves one second per 5000 tokens minted) with the
//! default 300-second window, so it holds 1.5 to 3 million entries (it purges when a
//! shard doubles) and is filled to that level before the first measurement. With a
//! fixed clock it would instead grow without end over a run (tens of millions of
//! entries), and its random accesses would be measured against a table no server has.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use kerbgate::{
    Acceptor, Clock, MemoryReplayCache, Principal, ReplayCache, ReplayRecord, Timestamp,
};
use kerbgate_keytab::Keytab;
use kerbgate_testkit::{ApReqMinter, GssChecksum};

/// Logins per simulated second.
const RATE: u32 = 5000;
/// The acceptor's default skew, which is also the replay window.
const WINDOW: i64 = 300;

/// A clock the bench moves forward.
#[derive(Debug)]
struct SimClock(AtomicI64);

impl Clock for SimClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_secs(self.0.load(Ordering::Relaxed))
    }
}

struct Setup {
    acceptor: Acceptor,
    clock: Arc<SimClock>,
    mutual: ApReqMinter,
    plain: ApReqMinter,
}

/// Fills `cache` as `RATE` logins a second over the last `WINDOW` seconds before `now`
/// would have.
fn fill_to_steady_state(cache: &MemoryReplayCache, now: i64) {
    let (srv, cli) = (
        Principal::parse("imap/mail.example.com@EXAMPLE.COM").unwrap(),
        Principal::parse("alice@EXAMPLE.COM").unwrap(),
    );
    let mut n: u64 = 0;
    for secs in now - WINDOW..now {
        let at = Timestamp::from_secs(secs);
        for _ in 0..RATE {
            n += 1;
            let tag = n
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .to_le_bytes()
                .repeat(2);
            let rec = ReplayRecord::new(&srv, &cli, at, 18, &tag);
            let verdict = cache
                .check_and_insert(&rec, at, u32::try_from(WINDOW).unwrap())
                .unwrap();
            assert_eq!(verdict, kerbgate::ReplayVerdict::Fresh);
        }
    }
}

fn setup() -> Setup {
    let (kdc, ticket) = kerbgate_benches::imap_ticket(195).unwrap();
    // The ticket is valid for ten hours from FIXED_TIME: 180 million simulated logins.
    let now = kerbgate_testkit::FIXED_TIME.plus(2 * WINDOW).unix();
    let keytab: Keytab = kdc.keytab();
    let cache = Arc::new(MemoryReplayCache::new());
    fill_to_steady_state(&cache, now);
    eprintln!("replay cache filled: {} entries", cache.len());
    let clock = Arc::new(SimClock(AtomicI64::new(now)));
    let acceptor = Acceptor::builder()
        .keytab(&keytab)
        .clock(Arc::clone(&clock) as Arc<dyn Clock>)
        .replay_cache(cache)
        .build()
        .unwrap();
    let mut gss = GssChecksum::default();
    gss.flags &= !kerbgate_testkit::consts::gss_flags::MUTUAL;
    Setup {
        acceptor,
        clock,
        mutual: ApReqMinter::new(ticket.clone(), 1),
        plain: ApReqMinter::with_options(ticket, 2, 0, gss),
    }
}

fn bench_accept(c: &mut Criterion) {
    let mut s = setup();
    let start = s.clock.now().secs;
    let probe = s
        .mutual
        .mint(kerbgate_testkit::KerberosTime::from_unix(start), 0, Some(1))
        .unwrap();
    eprintln!("token size: {} bytes", probe.gss_token().len());

    let mut group = c.benchmark_group("accept");
    let mut counter: u32 = 0;
    for (name, mutual) in [
        ("aes256-sha1 no mutual", false),
        ("aes256-sha1 mutual", true),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || {
                    counter = counter.wrapping_add(1);
                    if counter.is_multiple_of(RATE) {
                        s.clock.0.fetch_add(1, Ordering::Relaxed);
                    }
                    let now = kerbgate_testkit::KerberosTime::from_unix(s.clock.now().secs);
                    let minter = if mutual { &mut s.mutual } else { &mut s.plain };
                    minter
                        .mint(now, counter % 1_000_000, Some(counter))
                        .unwrap()
                        .gss_token()
                },
                |token| {
                    let done = s.acceptor.accept(token).unwrap();
                    assert_eq!(done.output_token.is_some(), mutual);
                    drop(done);
                },
                BatchSize::SmallInput,
            );
        });
    }
    // A yardstick in the same run: the machine's speed drifts, the ratio much less.
    let key =
        kerbgate_crypto::Key::new(kerbgate_crypto::Enctype::Aes256CtsHmacSha196, &[7; 32]).unwrap();
    let ct = key.encrypt(2, &[0x42; 1024]).unwrap();
    let mut out = Vec::with_capacity(1100);
    group.bench_function("yardstick: decrypt_into aes256-sha1 1 KiB", |b| {
        b.iter(|| {
            out.clear();
            key.decrypt_into(2, &ct, &mut out).unwrap();
            out.len()
        });
    });
    group.finish();
}

criterion_group!(benches, bench_accept);
criterion_main!(benches);
