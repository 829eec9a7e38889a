//! Resource bounds of the keytab reader (DESIGN "Contracts": parse time linear in the
//! input, allocation bounded by it): a 100,000-entry keytab parses in well under 2 s in
//! a debug build, ten times the entries take about ten times as long, and lengths that
//! claim more than the file holds are refused without allocating them.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::time::{Duration, Instant};

use kerbgate_keytab::{KeyBytes, Keytab, KeytabEntry, Principal};

fn keytab_bytes(entries: usize) -> Vec<u8> {
    let mut kt = Keytab::new();
    for i in 0..entries {
        let p = Principal::parse(&format!("svc{i}/host{i}.example.com@EXAMPLE.COM")).unwrap();
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&(i as u64).to_be_bytes());
        kt.push(KeytabEntry::new(
            p,
            (i % 7) as u32 + 1,
            0,
            KeyBytes::new(18, &key),
        ));
    }
    kt.to_bytes().unwrap().to_vec()
}

fn parse_time(bytes: &[u8], entries: usize) -> Duration {
    let t = Instant::now();
    let kt = Keytab::from_bytes(bytes).unwrap();
    let took = t.elapsed();
    assert_eq!(kt.len(), entries);
    took
}

#[test]
fn parse_time_is_linear_up_to_100k_entries() {
    let small = keytab_bytes(10_000);
    let large = keytab_bytes(100_000);
    let ts = parse_time(&small, 10_000);
    let tl = parse_time(&large, 100_000);
    eprintln!(
        "10k entries ({} bytes): {ts:?}; 100k entries ({} bytes): {tl:?}",
        small.len(),
        large.len()
    );
    assert!(tl < Duration::from_secs(2), "100k entries took {tl:?}");
    // Ten times the entries: at most 30 times the time (generous for a shared machine).
    assert!(tl < ts * 30, "super-linear: 10k {ts:?}, 100k {tl:?}");
}

#[test]
fn huge_claimed_lengths_are_refused_quickly() {
    // Version 0x0502, then one record claiming i32::MAX bytes, then a record whose
    // principal claims 65535 components of 65535 bytes in a 64 KiB file.
    let mut lying_record = vec![0x05, 0x02, 0x7f, 0xff, 0xff, 0xff];
    lying_record.extend(vec![0u8; 64]);
    let mut lying_components = vec![0x05, 0x02, 0x00, 0x01, 0x00, 0x00];
    lying_components.extend_from_slice(&[0xff, 0xff]);
    lying_components.extend(std::iter::repeat_n(0xffu8, 64 * 1024));
    let len = (lying_components.len() - 6) as u32;
    lying_components[2..6].copy_from_slice(&len.to_be_bytes());
    for (name, bytes) in [("record", &lying_record), ("components", &lying_components)] {
        let t = Instant::now();
        let r = Keytab::from_bytes(bytes);
        let took = t.elapsed();
        assert!(r.is_err(), "{name}: accepted");
        assert!(took < Duration::from_millis(500), "{name}: {took:?}");
    }
}
