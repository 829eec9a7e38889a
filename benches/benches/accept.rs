//! The hot path: a full accept of a real-sized initial context token.
//!
//! Tokens are minted by kerbgate-testkit outside the timed region (criterion's
//! `iter_batched`), each with a fresh authenticator, so the in-memory replay cache sees
//! only distinct tokens, as in production. The ticket carries 195 bytes of opaque
//! authorization data so the token is as large as MIT 1.20's aes256 tokens with their
//! PAC (714 bytes, testdata/captured/mit-1.20). The timed region includes dropping the
//! established context, as a server eventually does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use kerbgate::{Acceptor, FixedClock, MemoryReplayCache};
use kerbgate_keytab::Keytab;
use kerbgate_testkit::{ApReqMinter, AuthData, GssChecksum, Kdc, ServiceKeyOpts};

struct Setup {
    acceptor: Acceptor,
    mutual: ApReqMinter,
    plain: ApReqMinter,
    now: i64,
}

fn setup() -> Setup {
    let mut kdc = Kdc::new("EXAMPLE.COM");
    kdc.add_service(
        "imap/mail.example.com",
        ServiceKeyOpts::password(kerbgate_crypto::Enctype::Aes256CtsHmacSha196, 2, "secret"),
    )
    .unwrap();
    let opaque_ad = AuthData::if_relevant(&[AuthData::raw(142, &[0x5a; 195])]);
    let ticket = kdc
        .ticket("alice", "imap/mail.example.com")
        .unwrap()
        .authorization_data(Some(vec![opaque_ad]))
        .build()
        .unwrap();
    let now = kerbgate_testkit::FIXED_TIME.plus(60).unix();
    let keytab: Keytab = kdc.keytab();
    let acceptor = Acceptor::builder()
        .keytab(&keytab)
        .clock(Arc::new(FixedClock::at(now)))
        .replay_cache(Arc::new(MemoryReplayCache::with_capacity(100_000_000)))
        .build()
        .unwrap();
    let mut gss = GssChecksum::default();
    gss.flags &= !kerbgate_testkit::consts::gss_flags::MUTUAL;
    Setup {
        acceptor,
        mutual: ApReqMinter::new(ticket.clone(), 1),
        plain: ApReqMinter::with_options(ticket, 2, 0, gss),
        now,
    }
}

fn bench_accept(c: &mut Criterion) {
    let mut s = setup();
    let probe = s
        .mutual
        .mint(kerbgate_testkit::KerberosTime::from_unix(s.now), 0, Some(1))
        .unwrap();
    eprintln!("token size: {} bytes", probe.gss_token().len());

    let mut group = c.benchmark_group("accept");
    let mut counter: u32 = 0;
    let now = kerbgate_testkit::KerberosTime::from_unix(s.now);
    for (name, mutual) in [
        ("aes256-sha1 no mutual", false),
        ("aes256-sha1 mutual", true),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || {
                    counter = counter.wrapping_add(1);
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
