//! MS-PAC cost: decoding a PAC whose logon info lists 1,000 groups (plus client info
//! and two aes256 signatures), verifying its server signature, and both together;
//! and decoding the Windows Server 2022 PAC from testdata.
// criterion_group! expands to an undocumented pub fn.
#![allow(missing_docs)]
// Bench setup with fixed inputs: a failure here is a bug to see at once.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    dead_code,
    unreachable_pub
)]

#[path = "../../crates/gss/tests/pac_builder.rs"]
mod builder;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kerbgate::pac::Pac;

fn bench(c: &mut Criterion) {
    let (server, _kdc) = builder::keys();
    let bytes = builder::big_pac(1000);
    let mut g = c.benchmark_group("pac");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("parse_1000_groups", |b| {
        b.iter(|| Pac::parse(black_box(&bytes)).unwrap())
    });
    let pac = Pac::parse(&bytes).unwrap();
    g.bench_function("verify_server_1000_groups", |b| {
        b.iter(|| black_box(&pac).verify_server_signature(&server).unwrap())
    });
    g.bench_function("parse_verify_sids_1000_groups", |b| {
        b.iter(|| {
            let pac = Pac::parse(black_box(&bytes)).unwrap();
            pac.verify_server_signature(&server).unwrap();
            pac.group_sids()
        })
    });
    let ws2022 = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/pac/krb5/ticket_data_ws2022.pac.bin"
    ))
    .unwrap();
    g.throughput(Throughput::Bytes(ws2022.len() as u64));
    g.bench_function("parse_ws2022", |b| {
        b.iter(|| Pac::parse(black_box(&ws2022)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
