//! The in-memory replay cache against a reference map, driven by the input: each
//! 4-octet step picks a tag (one of 256), the enctype (tags of 12, 16 or 24 octets),
//! how far the clock moves (never back; sometimes past every window), the
//! authenticator's time relative to it and the window. The
//! property an acceptor relies on (RFC 4120 3.2.3): a tag that is still live in the
//! map is always reported as a replay, also when the cache is full; an expired or new
//! tag is fresh unless the cache reports itself full, which it may only do once live
//! entries reach a shard's capacity.
//!
//! The cache places tags with a per-cache random key, so which shard fills first
//! differs between runs of the same input; the property holds either way, and a
//! failing input reproduces when run repeatedly (`-runs=1000`).
#![no_main]

use std::collections::HashMap;

use kerbgate::{
    MemoryReplayCache, Principal, ReplayCache, ReplayCacheError, ReplayRecord, ReplayVerdict,
    Timestamp,
};
use libfuzzer_sys::fuzz_target;

/// Total capacity; 16 shards of 8 each, so a full shard happens within one input.
const CAPACITY: usize = 128;
const PER_SHARD: usize = CAPACITY / 16;

/// Enctypes whose checksums are 12, 16 and 24 octets (the cache keys on 16 at most).
const ENCTYPES: [i32; 4] = [18, 23, 19, 20];

fuzz_target!(|data: &[u8]| {
    let cache = MemoryReplayCache::with_capacity(CAPACITY);
    let server = Principal::parse("imap/mail.example.com@EXAMPLE.COM").unwrap();
    let client = Principal::parse("alice@EXAMPLE.COM").unwrap();
    // Tag (first 16 octets, zero-padded) -> last second it is live.
    let mut model: HashMap<[u8; 16], i64> = HashMap::new();
    let mut now: i64 = 1_700_000_000;
    for step in data.chunks_exact(4).take(4096) {
        let (id, mode, skew, window) = (step[0], step[1], step[2], step[3]);
        now += match mode & 0x3f {
            0..=31 => 0,
            32..=55 => i64::from(mode & 7),
            56..=61 => i64::from(mode & 63),
            _ => 64 + i64::from(skew),
        };
        let enctype = ENCTYPES[usize::from(mode >> 6)];
        // The ciphertext ends in the tag; 40 octets cover the longest (24).
        let ct: Vec<u8> = (0u8..40).map(|i| i.wrapping_mul(id | 1) ^ id).collect();
        let ctime = now + i64::from(skew as i8);
        let window = u32::from(window % 64);
        let rec = ReplayRecord::new(&server, &client, Timestamp::from_secs(ctime), enctype, &ct);
        let mut key = [0u8; 16];
        key.iter_mut().zip(rec.tag()).for_each(|(d, s)| *d = *s);

        model.retain(|_, until| *until >= now);
        let live = model.len();
        let got = cache.check_and_insert(&rec, Timestamp::from_secs(now), window);
        match (model.get(&key), got) {
            (Some(_), Ok(ReplayVerdict::Replay)) => {}
            (Some(_), other) => panic!("live tag not reported as a replay: {other:?}"),
            (None, Ok(ReplayVerdict::Fresh)) => {
                model.insert(key, ctime.max(now) + i64::from(window));
            }
            (None, Err(ReplayCacheError::Full { .. })) => {
                assert!(live >= PER_SHARD, "full with {live} live entries");
            }
            (None, other) => panic!("new tag: {other:?}"),
        }
    }
});
