//! Runs one crypto operation in a loop, for instruction counting under
//! `valgrind --tool=callgrind` (load-independent, unlike wall time).
//!
//! ```text
//! cargo build --release -p kerbgate-crypto --example decrypt_loop
//! valgrind --tool=callgrind --toggle-collect='*loop_fn*' \
//!     target/release/examples/decrypt_loop decrypt 1000
//! ```
//!
//! Modes: `decrypt` (aes256-cts-hmac-sha1-96, 1 KiB, cached keys),
//! `decrypt384` (aes256-cts-hmac-sha384-192, 1 KiB), `encrypt` (sha1, 1 KiB),
//! `fresh` (`Key::new` then one usage-11 decrypt of a 200-byte authenticator),
//! `aes` (raw AES-256-CBC decrypt of 1 KiB), `hmac` (raw HMAC-SHA1 of 1 KiB).
//! Divide the collected instruction count by N.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![allow(missing_docs)]

use std::hint::black_box;

use aes::cipher::{BlockCipherDecrypt, KeyInit};
use hmac::{Hmac, Mac};
use kerbgate_crypto::{Enctype, Key};

#[inline(never)]
fn loop_fn_decrypt(key: &Key, usage: u32, ct: &[u8], n: u32) -> usize {
    let mut total = 0;
    for _ in 0..n {
        total += key.decrypt(usage, black_box(ct)).unwrap().len();
    }
    total
}

#[inline(never)]
fn loop_fn_encrypt(key: &Key, pt: &[u8], n: u32) -> usize {
    let mut total = 0;
    for _ in 0..n {
        let ct = key.encrypt_with_confounder(2, &[7; 16], black_box(pt));
        total += ct.unwrap().len();
    }
    total
}

#[inline(never)]
fn loop_fn_fresh(keys: &[[u8; 32]], cts: &[Vec<u8>]) -> usize {
    let mut total = 0;
    for (k, ct) in keys.iter().zip(cts) {
        let key = Key::new(Enctype::Aes256CtsHmacSha196, black_box(k)).unwrap();
        total += key.decrypt(11, black_box(ct)).unwrap().len();
    }
    total
}

#[inline(never)]
fn loop_fn_aes(data: &[u8], n: u32) -> usize {
    let cipher = aes::Aes256::new_from_slice(&[0x42; 32]).unwrap();
    let mut total = 0;
    for _ in 0..n {
        let mut buf = black_box(data).to_vec();
        let (blocks, _) = aes::Block::slice_as_chunks_mut(&mut buf);
        cipher.decrypt_blocks(blocks);
        for i in (1..buf.len() / 16).rev() {
            for j in 0..16 {
                buf[i * 16 + j] ^= data[(i - 1) * 16 + j];
            }
        }
        total += usize::from(buf[0]);
    }
    total
}

#[inline(never)]
fn loop_fn_hmac(data: &[u8], n: u32) -> usize {
    let mac = Hmac::<sha1::Sha1>::new_from_slice(&[0x42; 32]).unwrap();
    let mut total = 0;
    for _ in 0..n {
        let mut m = mac.clone();
        m.update(black_box(data));
        total += usize::from(m.finalize().into_bytes()[0]);
    }
    total
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "decrypt".into());
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let data = vec![0x17u8; 1024];

    let start = std::time::Instant::now();
    let total = match mode.as_str() {
        "decrypt" | "decrypt384" | "encrypt" => {
            let enctype = if mode == "decrypt384" {
                Enctype::Aes256CtsHmacSha384192
            } else {
                Enctype::Aes256CtsHmacSha196
            };
            let key = Key::new(enctype, &[0x42; 32]).unwrap();
            let ct = key.encrypt(2, &data).unwrap();
            key.decrypt(2, &ct).unwrap();
            if mode == "encrypt" {
                loop_fn_encrypt(&key, &data, n)
            } else {
                loop_fn_decrypt(&key, 2, &ct, n)
            }
        }
        "fresh" => {
            let keys: Vec<[u8; 32]> = (0..n)
                .map(|i| {
                    let mut k = [0x42u8; 32];
                    k[..4].copy_from_slice(&i.to_be_bytes());
                    k
                })
                .collect();
            let cts: Vec<Vec<u8>> = keys
                .iter()
                .map(|k| {
                    let key = Key::new(Enctype::Aes256CtsHmacSha196, k).unwrap();
                    key.encrypt(11, &[0x30; 200]).unwrap()
                })
                .collect();
            loop_fn_fresh(&keys, &cts)
        }
        "aes" => loop_fn_aes(&data, n),
        "hmac" => loop_fn_hmac(&data, n),
        other => panic!("unknown mode {other}"),
    };
    let el = start.elapsed();
    println!(
        "{mode}: {n} iterations, {:.3} us each ({total})",
        el.as_secs_f64() * 1e6 / f64::from(n)
    );
}
