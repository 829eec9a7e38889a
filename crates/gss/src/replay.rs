//! Replay detection for authenticators (RFC 4120 section 3.2.3).
//!
//! The acceptor records every authenticator it accepts and refuses a second use with
//! KRB_AP_ERR_REPEAT. Entries are keyed, as in MIT krb5, by the authenticator
//! ciphertext's last octets, as many as the enctype's checksum is long: for the RFC 3961
//! simplified profile that is the integrity tag, which no one can produce without the
//! session key, so two valid authenticators share it only by a 2^-96 chance. A key of
//! client name and time would instead refuse two honest logins in the same microsecond.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use crate::clock::Timestamp;
use kerbgate_keytab::Principal;

/// What the acceptor hands a replay cache about one authenticator.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ReplayRecord<'a> {
    /// The service principal the ticket named.
    pub server: &'a Principal,
    /// The client principal from the ticket.
    pub client: &'a Principal,
    /// The authenticator's ctime and cusec.
    pub ctime: Timestamp,
    /// The authenticator's enctype number.
    pub enctype: i32,
    /// The authenticator's ciphertext exactly as it arrived.
    pub authenticator_ciphertext: &'a [u8],
}

impl<'a> ReplayRecord<'a> {
    /// Builds a record (for replay-cache backends and their tests).
    pub fn new(
        server: &'a Principal,
        client: &'a Principal,
        ctime: Timestamp,
        enctype: i32,
        authenticator_ciphertext: &'a [u8],
    ) -> Self {
        ReplayRecord {
            server,
            client,
            ctime,
            enctype,
            authenticator_ciphertext,
        }
    }

    /// The tag naming this authenticator, as MIT's `k5_rc_tag_from_ciphertext` takes it:
    /// the ciphertext's last octets, as many as the enctype's checksum is long (16 for
    /// an enctype this build does not know; the whole ciphertext if shorter).
    pub fn tag(&self) -> &'a [u8] {
        let len = kerbgate_crypto::Enctype::from_i32(self.enctype)
            .map(|e| e.checksum_type().size())
            .unwrap_or(16);
        let ct = self.authenticator_ciphertext;
        ct.get(ct.len().saturating_sub(len)..).unwrap_or(ct)
    }
}

/// The answer of a replay cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum ReplayVerdict {
    /// Not seen within the window; now recorded.
    Fresh,
    /// Seen before: the token is a replay.
    Replay,
}

/// A replay cache could not give an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplayCacheError {
    /// The cache holds its maximum number of live entries.
    Full {
        /// The configured capacity.
        capacity: usize,
    },
    /// A backend (file, network) could not be reached or written.
    Unavailable {
        /// What failed, for the operator.
        reason: String,
    },
}

impl fmt::Display for ReplayCacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayCacheError::Full { capacity } => write!(
                f,
                "replay cache full ({capacity} live entries); raise its capacity or lower the \
                 clock skew window"
            ),
            ReplayCacheError::Unavailable { reason } => {
                write!(f, "replay cache unavailable: {reason}")
            }
        }
    }
}

impl std::error::Error for ReplayCacheError {}

/// A store of recently accepted authenticators.
///
/// Implementations must be atomic: of two concurrent calls with the same record, exactly
/// one may return [`ReplayVerdict::Fresh`].
pub trait ReplayCache: Send + Sync + fmt::Debug {
    /// Records `record` unless already present and unexpired.
    ///
    /// The entry must be kept at least until `record.ctime + window_secs` (and at least
    /// `window_secs` past `now`): an authenticator outside that window already fails the
    /// clock-skew check.
    ///
    /// # Errors
    /// The cache cannot decide (full, or its backend is unavailable); the acceptor then
    /// refuses the login rather than risk accepting a replay.
    fn check_and_insert(
        &self,
        record: &ReplayRecord<'_>,
        now: Timestamp,
        window_secs: u32,
    ) -> Result<ReplayVerdict, ReplayCacheError>;
}

const SHARDS: usize = 16;

/// The default replay cache: in memory, thread-safe, entries expiring with the skew window.
///
/// Memory is bounded by the number of logins within one window, and by a capacity
/// (default 4 million entries of 20 bytes, at most about 170 MiB with the hash tables'
/// spare room) past which it fails closed.
pub struct MemoryReplayCache {
    shards: Vec<Mutex<Shard>>,
    capacity_per_shard: usize,
}

/// The first 16 octets of a tag (12-octet HMAC-SHA1-96 tags zero-padded): 128 bits of
/// a MAC output keep collisions at 2^-96 or better, and an entry is 20 bytes, so a large
/// cache stays cache-friendly.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Tag([u8; 16]);

// Only authenticators that decrypted with their session key reach the cache, so a tag is
// the output of a keyed MAC: uniformly random to anyone without the key. Its own bytes
// are then as good a hash as SipHash's, without hashing the tag per accept.
impl std::hash::Hash for Tag {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        state.write_u64(u64::from_le_bytes([a, b, c, d, e, f, g, h]));
    }
}

/// Passes a [`Tag`]'s own 64 bits through as its hash.
#[derive(Default)]
struct TagHasher(u64);

impl std::hash::Hasher for TagHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Tag {
    fn new(tag: &[u8]) -> Tag {
        let mut t = [0u8; 16];
        for (d, s) in t.iter_mut().zip(tag) {
            *d = *s;
        }
        Tag(t)
    }

    /// Octets 8 and 9, which every tag has (the shortest are 12 octets) and the
    /// hash does not use.
    fn shard(&self) -> usize {
        let [_, _, _, _, _, _, _, _, a, b, ..] = self.0;
        usize::from(a ^ b) % SHARDS
    }
}

/// Unix seconds as stored in an entry; clamped, good until 2106.
fn stored_secs(secs: i64) -> u32 {
    u32::try_from(secs.max(0)).unwrap_or(u32::MAX)
}

/// A shard purges no earlier than at this many entries.
const MIN_PURGE_LEN: usize = 4096;

struct Shard {
    entries: HashMap<Tag, u32, std::hash::BuildHasherDefault<TagHasher>>,
    /// The next purge comes when the shard holds this many entries: twice what the last
    /// purge left, so each insert pays for scanning two entries at most. (A purge every
    /// second would scan the whole window, rate x 300 s entries, for each second's
    /// rate inserts: 300 entries per login.)
    purge_at_len: usize,
    /// When the last purge ran; a full shard purges at most once a second.
    last_purge: i64,
}

impl Default for Shard {
    fn default() -> Self {
        Shard {
            entries: HashMap::default(),
            purge_at_len: MIN_PURGE_LEN,
            last_purge: i64::MIN,
        }
    }
}

impl MemoryReplayCache {
    /// A cache with the default capacity.
    pub fn new() -> Self {
        Self::with_capacity(4_000_000)
    }

    /// A cache holding at most `capacity` live entries.
    pub fn with_capacity(capacity: usize) -> Self {
        MemoryReplayCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            capacity_per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    /// Number of entries currently held (expired ones not yet purged included).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map(|s| s.entries.len()).unwrap_or(0))
            .sum()
    }

    /// Whether the cache holds no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryReplayCache {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayCache")
            .field("len", &self.len())
            .finish()
    }
}

impl ReplayCache for MemoryReplayCache {
    fn check_and_insert(
        &self,
        record: &ReplayRecord<'_>,
        now: Timestamp,
        window_secs: u32,
    ) -> Result<ReplayVerdict, ReplayCacheError> {
        let tag = Tag::new(record.tag());
        let expires = stored_secs(
            record
                .ctime
                .secs
                .max(now.secs)
                .saturating_add(i64::from(window_secs)),
        );
        let now_secs = stored_secs(now.secs);
        let index = tag.shard();
        let Some(shard) = self.shards.get(index) else {
            return Err(ReplayCacheError::Unavailable {
                reason: "shard index".into(),
            });
        };
        // A poisoned lock only means another thread panicked mid-insert; the map itself
        // is still a valid map, so keep using it.
        let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());

        let len = shard.entries.len();
        let at_capacity = len >= self.capacity_per_shard;
        let due = len >= shard.purge_at_len.min(self.capacity_per_shard);
        if due && (!at_capacity || now.secs > shard.last_purge) {
            shard.entries.retain(|_, exp| *exp >= now_secs);
            shard.last_purge = now.secs;
            shard.purge_at_len = shard.entries.len().saturating_mul(2).max(MIN_PURGE_LEN);
        }

        // One probe of the table: look up and insert through the same entry.
        let full = shard.entries.len() >= self.capacity_per_shard;
        match shard.entries.entry(tag) {
            Entry::Occupied(mut seen) => {
                if *seen.get() >= now_secs {
                    return Ok(ReplayVerdict::Replay);
                }
                // Expired but not purged yet: this is a new use of an old tag.
                *seen.get_mut() = expires;
            }
            Entry::Vacant(slot) => {
                if full {
                    return Err(ReplayCacheError::Full {
                        capacity: self.capacity_per_shard * SHARDS,
                    });
                }
                slot.insert(expires);
            }
        }
        Ok(ReplayVerdict::Fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tags_spread_over_every_shard() {
        let mut seen = [0usize; SHARDS];
        for i in 0u32..4096 {
            // 12-octet tags, as HMAC-SHA1-96 gives, with varied octets.
            let mut t = [0u8; 12];
            let mut x = i.wrapping_mul(2_654_435_761);
            for chunk in t.chunks_mut(4) {
                chunk.copy_from_slice(&x.to_le_bytes());
                x = x.rotate_left(11).wrapping_mul(2_246_822_519);
            }
            seen[Tag::new(&t).shard()] += 1;
        }
        assert!(seen.iter().all(|&n| n > 4096 / SHARDS / 4), "{seen:?}");
    }

    fn p(s: &str) -> Principal {
        Principal::parse(s).unwrap()
    }

    #[test]
    fn second_use_is_a_replay_until_the_window_ends() {
        let cache = MemoryReplayCache::new();
        let (srv, cli) = (p("imap/h@R"), p("alice@R"));
        let rec = ReplayRecord::new(
            &srv,
            &cli,
            Timestamp::from_secs(1000),
            18,
            b"ciphertext-and-its-tag",
        );
        let at = Timestamp::from_secs;
        assert_eq!(
            cache.check_and_insert(&rec, at(1000), 300).unwrap(),
            ReplayVerdict::Fresh
        );
        assert_eq!(
            cache.check_and_insert(&rec, at(1200), 300).unwrap(),
            ReplayVerdict::Replay
        );
        assert_eq!(
            cache.check_and_insert(&rec, at(1300), 300).unwrap(),
            ReplayVerdict::Replay
        );
        assert_eq!(
            cache.check_and_insert(&rec, at(1301), 300).unwrap(),
            ReplayVerdict::Fresh
        );
        let other = ReplayRecord::new(
            &srv,
            &cli,
            Timestamp::from_secs(1000),
            18,
            b"ciphertext-and-its-taG",
        );
        assert_eq!(
            cache.check_and_insert(&other, at(1301), 300).unwrap(),
            ReplayVerdict::Fresh
        );
    }

    /// Expired entries leave when a shard has doubled since its last purge, so the
    /// cache holds at most about twice the live entries however long it runs.
    #[test]
    fn expired_entries_are_purged_as_the_cache_grows() {
        let cache = MemoryReplayCache::with_capacity(1 << 22);
        let (srv, cli) = (p("imap/h@R"), p("alice@R"));
        let mut peak = 0;
        // 20,000 logins a simulated second for 50 s with a 10 s window: 220,000 live.
        for i in 0u64..1_000_000 {
            let now = Timestamp::from_secs(1_000_000 + i64::try_from(i / 20_000).unwrap());
            let ct = i
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .to_be_bytes()
                .repeat(2);
            let rec = ReplayRecord::new(&srv, &cli, now, 18, &ct);
            assert_eq!(
                cache.check_and_insert(&rec, now, 10).unwrap(),
                ReplayVerdict::Fresh
            );
            if i % 1000 == 0 {
                peak = peak.max(cache.len());
            }
        }
        assert!(peak <= 2 * 220_000 * 11 / 10, "peak {peak}");
    }

    /// A 12-octet tag that lands in shard 0.
    fn shard0_tag(n: u8) -> [u8; 12] {
        [n, 1, 2, 3, 4, 5, 6, 7, 0, 0, n, n]
    }

    /// A full shard refuses until its entries expire (purging at most once a second),
    /// then makes room from the expired ones.
    #[test]
    fn full_shard_makes_room_once_entries_expire() {
        let cache = MemoryReplayCache::with_capacity(SHARDS);
        let (srv, cli) = (p("imap/h@R"), p("alice@R"));
        let (a, b, c) = (shard0_tag(1), shard0_tag(2), shard0_tag(3));
        let at = Timestamp::from_secs;
        let try_at = |tag: &[u8], secs: i64| {
            let rec = ReplayRecord::new(&srv, &cli, at(secs), 18, tag);
            cache.check_and_insert(&rec, at(secs), 10)
        };
        let full = |r: Result<ReplayVerdict, ReplayCacheError>| {
            matches!(r, Err(ReplayCacheError::Full { .. }))
        };
        assert_eq!(try_at(&a, 1000).unwrap(), ReplayVerdict::Fresh);
        assert!(full(try_at(&b, 1000)));
        assert!(full(try_at(&b, 1005)), "a is still live until 1010");
        assert_eq!(try_at(&b, 1011).unwrap(), ReplayVerdict::Fresh);
        assert!(full(try_at(&c, 1011)));
        assert_eq!(try_at(&b, 1015).unwrap(), ReplayVerdict::Replay);
    }

    #[test]
    fn full_cache_fails_closed() {
        let cache = MemoryReplayCache::with_capacity(16);
        let (srv, cli) = (p("imap/h@R"), p("alice@R"));
        let mut full = false;
        for i in 0u32..1000 {
            let ct = i.to_be_bytes();
            let rec = ReplayRecord::new(&srv, &cli, Timestamp::from_secs(1000), 18, &ct);
            match cache.check_and_insert(&rec, Timestamp::from_secs(1000), 300) {
                Ok(v) => assert_eq!(v, ReplayVerdict::Fresh),
                Err(ReplayCacheError::Full { .. }) => full = true,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(full);
    }
}
