//! Decrypt-and-verify cost of kerbgate-crypto per enctype, with raw AES-256-CBC
//! and HMAC-SHA1 over 1 KiB for reference. Keys are warmed up first, so this
//! measures the cached path a service key takes after its first ticket.
//!
//! Target on the reference machine: aes256-cts-hmac-sha1-96, 1 KiB, at most 1.3 us.
//! Under load compare ratios within one run: `decrypt/aes256-cts-hmac-sha1-96/1024`
//! against `reference/aes256-cbc-decrypt/1024` plus `reference/hmac-sha1/1024`.
//! `fresh` measures a per-login session key: `Key::new` and the first usage-11
//! decryption of a 200-byte authenticator (derivation included).

// criterion_group! expands to an undocumented pub fn.
#![allow(missing_docs)]
// Bench setup with fixed inputs: a failure here is a bug to see at once.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::hint::black_box;

use aes::cipher::{BlockCipherDecrypt, KeyInit};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, Mac};
use kerbgate_crypto::{Enctype, Key};

const SIZES: [usize; 2] = [350, 1024];

fn decrypt(c: &mut Criterion) {
    let mut group = c.benchmark_group("decrypt");
    for n in [17, 18, 19, 20] {
        let enctype = Enctype::from_i32(n).unwrap();
        let key = Key::random_to_key(enctype, &vec![0x42; enctype.key_len()]).unwrap();
        for size in SIZES {
            let ct = key.encrypt(2, &vec![0x17; size]).unwrap();
            key.decrypt(2, &ct).unwrap();
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_with_input(BenchmarkId::new(enctype.name(), size), &ct, |b, ct| {
                b.iter(|| key.decrypt(2, black_box(ct)).unwrap())
            });
        }
    }
    group.finish();
}

fn decrypt_into(c: &mut Criterion) {
    let mut group = c.benchmark_group("decrypt_into");
    let key = Key::random_to_key(Enctype::Aes256CtsHmacSha196, &[0x42; 32]).unwrap();
    let ct = key.encrypt(2, &[0x17; 1024]).unwrap();
    let mut out = Vec::with_capacity(1024);
    group.throughput(Throughput::Bytes(1024));
    group.bench_function("aes256-cts-hmac-sha1-96/1024", |b| {
        b.iter(|| {
            out.clear();
            key.decrypt_into(2, black_box(&ct), &mut out).unwrap();
            out.len()
        })
    });
    group.finish();
}

fn fresh(c: &mut Criterion) {
    let mut group = c.benchmark_group("fresh");
    for n in [18, 20] {
        let enctype = Enctype::from_i32(n).unwrap();
        let raw = vec![0x42; enctype.key_len()];
        let ct = Key::new(enctype, &raw)
            .unwrap()
            .encrypt(11, &[0x30; 200])
            .unwrap();
        group.bench_function(BenchmarkId::new(enctype.name(), 200), |b| {
            b.iter(|| {
                let key = Key::new(enctype, black_box(&raw)).unwrap();
                key.decrypt(11, black_box(&ct)).unwrap()
            })
        });
        // What the acceptor does with a session key: derive on the stack, cache nothing.
        let mut out = Vec::with_capacity(256);
        group.bench_function(
            BenchmarkId::new(format!("{} uncached", enctype.name()), 200),
            |b| {
                b.iter(|| {
                    let key = Key::new(enctype, black_box(&raw)).unwrap();
                    out.clear();
                    key.decrypt_into_uncached(11, black_box(&ct), &mut out)
                        .unwrap();
                    out.len()
                })
            },
        );
    }
    group.finish();
}

fn reference(c: &mut Criterion) {
    let mut group = c.benchmark_group("reference");
    group.throughput(Throughput::Bytes(1024));

    let cipher = aes::Aes256::new_from_slice(&[0x42; 32]).unwrap();
    let data = vec![0x17u8; 1024];
    group.bench_function("aes256-cbc-decrypt/1024", |b| {
        b.iter(|| {
            let mut buf = black_box(&data).clone();
            let (blocks, _) = aes::Block::slice_as_chunks_mut(&mut buf);
            cipher.decrypt_blocks(blocks);
            for i in (1..buf.len() / 16).rev() {
                for j in 0..16 {
                    buf[i * 16 + j] ^= data[(i - 1) * 16 + j];
                }
            }
            buf
        })
    });

    let mac = Hmac::<sha1::Sha1>::new_from_slice(&[0x42; 32]).unwrap();
    group.bench_function("hmac-sha1/1024", |b| {
        b.iter(|| {
            let mut m = mac.clone();
            m.update(black_box(&data));
            m.finalize().into_bytes()
        })
    });
    group.finish();
}

criterion_group!(benches, decrypt, decrypt_into, fresh, reference);
criterion_main!(benches);
