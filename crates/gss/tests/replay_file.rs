//! The MIT `file2` replay cache: SipHash-2-4 vectors, the on-disk layout, the same
//! verdicts as the in-memory cache on a seeded stream of tags and replays (enough to
//! spill into later hash tables), expiry, and two acceptors sharing one file.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;

use common::mint::{self, NOW};
use common::{read_cases, testdata};
use kerbgate::replay_file::{file_tag, slot, FileReplayCache, RECORD_LEN, SEED_LEN};
use kerbgate::{MemoryReplayCache, Principal, ReplayCache, ReplayRecord, ReplayVerdict, Timestamp};
use kerbgate_testkit::Rng;

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kerbgate-rc-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rcache2");
    let _ = std::fs::remove_file(&path);
    path
}

/// splitmix64, so a failing stream can be repeated from its seed.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn siphash24_vectors() {
    let rel = "replay/siphash24.txt";
    for case in read_cases(&testdata().join(rel)) {
        let key: [u8; SEED_LEN] = case.hex("key").try_into().unwrap();
        let msg = case.hex("message");
        let want = u64::from_str_radix(case.get("hash"), 16).unwrap();
        let mut h = siphasher::sip::SipHasher24::new_with_key(&key);
        std::hash::Hasher::write(&mut h, &msg);
        let got = std::hash::Hasher::finish(&h);
        assert_eq!(got, want, "{rel} case {}", case.index);
        // The cache's slot function is that hash modulo the table size.
        if msg.len() == 12 {
            let tag: [u8; 12] = msg.clone().try_into().unwrap();
            assert_eq!(
                slot(&key, &tag, 1023),
                want % 1023,
                "{rel} case {}",
                case.index
            );
        }
    }
}

#[test]
fn first_record_lands_at_its_slot_in_the_first_table() {
    let path = tmp("layout");
    let cache = FileReplayCache::open(&path).unwrap();
    let (srv, cli) = (
        Principal::parse("imap/h@R").unwrap(),
        Principal::parse("a@R").unwrap(),
    );
    let ct = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let rec = ReplayRecord::new(&srv, &cli, Timestamp::from_secs(NOW), 18, ct);
    let v = cache
        .check_and_insert(&rec, Timestamp::from_secs(NOW), 300)
        .unwrap();
    assert_eq!(v, ReplayVerdict::Fresh);

    let bytes = std::fs::read(&path).unwrap();
    let seed: [u8; SEED_LEN] = bytes[..SEED_LEN].try_into().unwrap();
    let tag = file_tag(rec.tag());
    // aes256-cts-hmac-sha1-96: the tag is the 12-octet HMAC at the end.
    assert_eq!(&tag[..], &ct[ct.len() - 12..]);
    let at = usize::try_from(SEED_LEN as u64 + slot(&seed, &tag, 1023) * RECORD_LEN).unwrap();
    assert_eq!(bytes.len(), at + 16, "the file ends with the one record");
    assert_eq!(&bytes[at..at + 12], &tag[..]);
    let now32 = u32::try_from(NOW).unwrap();
    assert_eq!(bytes[at + 12..at + 16], now32.to_be_bytes());
    assert!(bytes[SEED_LEN..at].iter().all(|b| *b == 0));
}

#[test]
fn same_verdicts_as_the_memory_cache_on_a_seeded_stream() {
    for seed in [1u64, 2, 3] {
        let path = tmp(&format!("stream{seed}"));
        let file = FileReplayCache::open(&path).unwrap();
        let mem = MemoryReplayCache::new();
        let (srv, cli) = (
            Principal::parse("imap/h@R").unwrap(),
            Principal::parse("a@R").unwrap(),
        );
        let mut state = seed;
        let mut issued: Vec<[u8; 16]> = Vec::new();
        let (mut fresh, mut replays) = (0, 0);
        // 6000 fresh tags overflow the 1023- and 2048-record tables into the third.
        for i in 0..9000u32 {
            let r = next(&mut state);
            let ct: [u8; 16] = if !issued.is_empty() && r % 3 == 0 {
                let idx = usize::try_from(next(&mut state) % issued.len() as u64).unwrap();
                issued[idx]
            } else {
                let mut ct = [0u8; 16];
                ct[..8].copy_from_slice(&next(&mut state).to_be_bytes());
                ct[8..].copy_from_slice(&next(&mut state).to_be_bytes());
                issued.push(ct);
                ct
            };
            let now = Timestamp::from_secs(NOW + i64::from(i / 100));
            let rec = ReplayRecord::new(&srv, &cli, now, 18, &ct);
            let want = mem.check_and_insert(&rec, now, 300).unwrap();
            let got = file.check_and_insert(&rec, now, 300).unwrap();
            assert_eq!(got, want, "seed {seed} step {i}");
            match got {
                ReplayVerdict::Fresh => fresh += 1,
                ReplayVerdict::Replay => replays += 1,
            }
        }
        assert!(
            fresh > 5000 && replays > 2500,
            "seed {seed}: {fresh} fresh, {replays} replays"
        );
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(
            len > 16 + (1023 + 2048) * 16,
            "seed {seed}: file of {len} octets"
        );
    }
}

#[test]
fn expired_slots_are_reused_and_a_stale_tag_stays_refused() {
    let path = tmp("expiry");
    let cache = FileReplayCache::open(&path).unwrap();
    let (srv, cli) = (
        Principal::parse("imap/h@R").unwrap(),
        Principal::parse("a@R").unwrap(),
    );
    let at = Timestamp::from_secs;
    let rec = |ct: &'static [u8]| ReplayRecord::new(&srv, &cli, at(NOW), 18, ct);
    let a = rec(b"tag-number-one-aaaa");
    assert_eq!(
        cache.check_and_insert(&a, at(NOW), 300).unwrap(),
        ReplayVerdict::Fresh
    );
    assert_eq!(
        cache.check_and_insert(&a, at(NOW + 300), 300).unwrap(),
        ReplayVerdict::Replay
    );
    // MIT semantics: a record that still holds the tag refuses it even when expired.
    assert_eq!(
        cache.check_and_insert(&a, at(NOW + 301), 300).unwrap(),
        ReplayVerdict::Replay
    );
    let before = std::fs::metadata(&path).unwrap().len();
    for i in 1..=200u8 {
        let ct = Box::leak(vec![i; 20].into_boxed_slice());
        let v = cache
            .check_and_insert(&rec(ct), at(NOW + 1000), 300)
            .unwrap();
        assert_eq!(v, ReplayVerdict::Fresh, "tag {i}");
    }
    assert!(std::fs::metadata(&path).unwrap().len() >= before);
}

#[test]
fn a_client_clock_ahead_is_kept_until_its_authenticator_leaves_the_window() {
    let path = tmp("ahead");
    let cache = FileReplayCache::open(&path).unwrap();
    let (srv, cli) = (
        Principal::parse("imap/h@R").unwrap(),
        Principal::parse("a@R").unwrap(),
    );
    let at = Timestamp::from_secs;
    let rec = ReplayRecord::new(&srv, &cli, at(NOW + 250), 18, b"client-clock-is-ahead");
    assert_eq!(
        cache.check_and_insert(&rec, at(NOW), 300).unwrap(),
        ReplayVerdict::Fresh
    );
    let bytes = std::fs::read(&path).unwrap();
    let stamp = u32::try_from(NOW + 250).unwrap().to_be_bytes();
    assert!(
        bytes.windows(4).any(|w| w == stamp),
        "stored the authenticator time"
    );
}

#[test]
fn two_acceptors_share_one_file() {
    let path = tmp("acceptors");
    let s = mint::scenario();
    let keytab = s.kdc.keytab();
    let one = mint::builder(&keytab)
        .replay_cache(Arc::new(FileReplayCache::open(&path).unwrap()))
        .build()
        .unwrap();
    let two = mint::builder(&keytab)
        .replay_cache(Arc::new(FileReplayCache::open(&path).unwrap()))
        .build()
        .unwrap();
    let t = mint::ticket(&s).build().unwrap();
    for i in 0..5u64 {
        let token = mint::ap_req(&t)
            .rng(Rng::seeded(100 + i))
            .build()
            .unwrap()
            .gss_token();
        let (first, second) = if i % 2 == 0 {
            (&one, &two)
        } else {
            (&two, &one)
        };
        mint::accept(first, &token);
        mint::refuse(second, &token, "KRB_AP_ERR_REPEAT");
        mint::refuse(first, &token, "KRB_AP_ERR_REPEAT");
    }
}

#[test]
fn unwritable_path_is_a_clear_unavailable_error() {
    let err = FileReplayCache::open("/proc/kerbgate-no-such-dir/rcache2").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("replay cache unavailable: replay cache file"),
        "{msg}"
    );
}

/// The child half of [`two_processes_race_on_one_file`]: inserts the seeded tags and
/// prints one verdict letter per tag. Does nothing unless started by the parent.
#[test]
fn child_process_inserts_tags() {
    let (Some(path), Some(seed)) = (
        std::env::var_os("KERBGATE_RC_CHILD_FILE"),
        std::env::var("KERBGATE_RC_CHILD_SEED").ok(),
    ) else {
        return;
    };
    let out = insert_seeded(std::path::Path::new(&path), seed.parse().unwrap());
    println!("VERDICTS {out}");
}

/// 3000 tags from `seed`, each inserted once; `F` for fresh, `R` for replay.
fn insert_seeded(path: &std::path::Path, seed: u64) -> String {
    let cache = FileReplayCache::open(path).unwrap();
    let (srv, cli) = (
        Principal::parse("imap/h@R").unwrap(),
        Principal::parse("a@R").unwrap(),
    );
    let mut state = seed;
    let mut out = String::new();
    for _ in 0..3000 {
        let ct = next(&mut state).to_be_bytes().repeat(2);
        let rec = ReplayRecord::new(&srv, &cli, Timestamp::from_secs(NOW), 18, &ct);
        let v = cache
            .check_and_insert(&rec, Timestamp::from_secs(NOW), 300)
            .unwrap();
        out.push(if v == ReplayVerdict::Fresh { 'F' } else { 'R' });
    }
    out
}

/// Two processes insert the same 3000 tags at the same time: the fcntl lock must make
/// every tag fresh in exactly one of them.
#[test]
fn two_processes_race_on_one_file() {
    let path = tmp("race");
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_inserts_tags",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KERBGATE_RC_CHILD_FILE", &path)
        .env("KERBGATE_RC_CHILD_SEED", "42")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Start once the child has begun writing, so that the two interleave.
    let started = std::time::Instant::now();
    while std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) <= 16
        && started.elapsed() < std::time::Duration::from_secs(20)
    {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let mine = insert_seeded(&path, 42);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let theirs = text
        .lines()
        .find_map(|l| {
            l.split_once("VERDICTS ")
                .and_then(|(_, v)| v.split_whitespace().next())
        })
        .unwrap_or_else(|| panic!("child printed no verdicts: {text}"));
    assert_eq!(theirs.len(), mine.len());
    for (i, (a, b)) in mine.chars().zip(theirs.chars()).enumerate() {
        assert!(
            a != b,
            "tag {i}: parent {a}, child {b}: exactly one must be fresh"
        );
    }
    let parent_fresh = mine.chars().filter(|c| *c == 'F').count();
    eprintln!(
        "race: parent fresh {parent_fresh} of 3000, child fresh {}",
        3000 - parent_fresh
    );
}
