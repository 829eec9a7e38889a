//! Per-message protection cost: kerbgate wrap (sealed) plus unwrap of 16 KiB with
//! aes256-cts-hmac-sha1-96 and aes256-cts-hmac-sha384-192 (RFC 4121 tokens, acceptor
//! subkey), and in the same run the raw work those imply: AES-256-CBC encryption and
//! decryption plus two HMACs (SHA-1 or SHA-384) over 16 KiB.
//!
//! Target: wrap+unwrap at least 80% of the raw throughput (raw time / our time >= 0.8).
// criterion_group! expands to an undocumented pub fn.
#![allow(missing_docs)]
// Bench setup with fixed inputs: a failure here is a bug to see at once.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::sync::Arc;

use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hmac::{Hmac, Mac};
use kerbgate::consts::gss_flags as f;
use kerbgate::wrap::MessageContext;
use kerbgate::{Acceptor, FixedClock};
use kerbgate_crypto::Enctype;
use kerbgate_testkit::{AuthChecksum, GssChecksum, Scenario, FIXED_TIME};

const SIZE: usize = 16 * 1024;

/// A mutual context (acceptor subkey of `enctype`) without replay checking, so the
/// mirror can unwrap every token however often the bench runs.
fn context(enctype: Enctype) -> MessageContext {
    let s = Scenario::default();
    let token = s
        .ap_req_builder()
        .subkey_enctype(enctype)
        .checksum(AuthChecksum::Gss(GssChecksum::with_flags(
            f::MUTUAL | f::CONF | f::INTEG,
        )))
        .build()
        .unwrap()
        .gss_token();
    let clock = Arc::new(FixedClock::at(FIXED_TIME.0 + 60));
    let acc = Acceptor::builder()
        .keytab(&s.kdc.keytab())
        .clock(clock.clone())
        .build()
        .unwrap();
    acc.accept(&token)
        .unwrap()
        .context
        .into_message_context(clock)
}

fn wrap(c: &mut Criterion) {
    let mut group = c.benchmark_group("wrap");
    group.throughput(Throughput::Bytes(SIZE as u64));
    let data = vec![0x17u8; SIZE];
    for enctype in [
        Enctype::Aes256CtsHmacSha196,
        Enctype::Aes256CtsHmacSha384192,
    ] {
        let mut acc = context(enctype);
        let mut peer = acc.initiator_mirror();
        let tok = acc.wrap(&data, true).unwrap();
        assert_eq!(peer.unwrap(&tok).unwrap().data, data);
        group.bench_function(format!("wrap+unwrap/{}/16384", enctype.name()), |b| {
            b.iter(|| {
                let tok = acc.wrap(black_box(&data), true).unwrap();
                peer.unwrap(&tok).unwrap()
            })
        });
        group.bench_function(format!("wrap/{}/16384", enctype.name()), |b| {
            b.iter(|| acc.wrap(black_box(&data), true).unwrap())
        });
        group.bench_function(format!("unwrap/{}/16384", enctype.name()), |b| {
            b.iter(|| peer.unwrap(black_box(&tok)).unwrap())
        });
        group.bench_function(format!("wrap+unwrap-integ/{}/16384", enctype.name()), |b| {
            b.iter(|| {
                let tok = acc.wrap(black_box(&data), false).unwrap();
                peer.unwrap(&tok).unwrap()
            })
        });
    }
    group.finish();
}

fn cbc_encrypt(cipher: &aes::Aes256, buf: &mut [u8]) {
    let mut prev = [0u8; 16];
    for block in buf.chunks_exact_mut(16) {
        for (b, p) in block.iter_mut().zip(prev) {
            *b ^= p;
        }
        cipher.encrypt_block(block.try_into().unwrap());
        prev.copy_from_slice(block);
    }
}

fn cbc_decrypt(cipher: &aes::Aes256, ct: &[u8], buf: &mut [u8]) {
    buf.copy_from_slice(ct);
    let (blocks, _) = aes::Block::slice_as_chunks_mut(buf);
    cipher.decrypt_blocks(blocks);
    for i in (1..buf.len() / 16).rev() {
        for j in 0..16 {
            buf[i * 16 + j] ^= ct[(i - 1) * 16 + j];
        }
    }
}

fn reference(c: &mut Criterion) {
    let mut group = c.benchmark_group("reference");
    group.throughput(Throughput::Bytes(SIZE as u64));
    let cipher = aes::Aes256::new_from_slice(&[0x42; 32]).unwrap();
    let data = vec![0x17u8; SIZE];
    let mut ct = data.clone();
    cbc_encrypt(&cipher, &mut ct);

    group.bench_function("aes256-cbc-encrypt/16384", |b| {
        b.iter(|| {
            let mut buf = black_box(&data).clone();
            cbc_encrypt(&cipher, &mut buf);
            buf
        })
    });
    group.bench_function("aes256-cbc-decrypt/16384", |b| {
        let mut buf = vec![0u8; SIZE];
        b.iter(|| cbc_decrypt(&cipher, black_box(&ct), &mut buf))
    });
    let sha1 = Hmac::<sha1::Sha1>::new_from_slice(&[0x42; 32]).unwrap();
    group.bench_function("hmac-sha1/16384", |b| {
        b.iter(|| {
            let mut m = sha1.clone();
            m.update(black_box(&data));
            m.finalize().into_bytes()
        })
    });
    let sha384 = Hmac::<sha2::Sha384>::new_from_slice(&[0x42; 32]).unwrap();
    group.bench_function("hmac-sha384/16384", |b| {
        b.iter(|| {
            let mut m = sha384.clone();
            m.update(black_box(&data));
            m.finalize().into_bytes()
        })
    });
    // What one wrap plus one unwrap must do at least: encrypt, decrypt, MAC twice.
    for (name, two_macs) in [
        (
            "raw-aes256-cbc+2x-hmac-sha1/16384",
            Box::new(|d: &[u8]| {
                for _ in 0..2 {
                    let mut m = sha1.clone();
                    m.update(d);
                    black_box(m.finalize().into_bytes());
                }
            }) as Box<dyn Fn(&[u8])>,
        ),
        (
            "raw-aes256-cbc+2x-hmac-sha384/16384",
            Box::new(|d: &[u8]| {
                for _ in 0..2 {
                    let mut m = sha384.clone();
                    m.update(d);
                    black_box(m.finalize().into_bytes());
                }
            }),
        ),
    ] {
        group.bench_function(name, |b| {
            let mut out = vec![0u8; SIZE];
            b.iter(|| {
                let mut buf = black_box(&data).clone();
                cbc_encrypt(&cipher, &mut buf);
                cbc_decrypt(&cipher, &buf, &mut out);
                two_macs(&out);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, wrap, reference);
criterion_main!(benches);
