//! Replay detection for authenticators (RFC 4120 section 3.2.3).
//!
//! The acceptor records every authenticator it accepts and refuses a second use with
//! KRB_AP_ERR_REPEAT. Entries are keyed, as in MIT krb5, by the authenticator
//! ciphertext's last octets, as many as the enctype's checksum is long: for the RFC 3961
//! simplified profile that is the integrity tag, which no one can produce without the
//! session key, so two valid authenticators share it only by a 2^-96 chance. A key of
//! client name and time would instead refuse two honest logins in the same microsecond.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
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
/// (default 4 million entries) past which it fails closed. Each of its 16 shards is an
/// open-addressing table of 20-byte slots, at most 70 % full and at least 2x its live
/// entries after each rebuild: about 160 MiB at the default capacity, 40-80 MiB for a
/// server taking 5000 logins a second. Expiry follows the clock passed in: a clock
/// stepped back after an entry's slot was reused lets that authenticator through once
/// more while it is within the skew (as with any expiring cache), so keep the server's
/// clock slewed, not stepped.
pub struct MemoryReplayCache<S = RandomState> {
    shards: Vec<Mutex<Shard>>,
    capacity_per_shard: usize,
    /// SipHash with this cache's own random key places tags in shards and slots. A tag
    /// is a MAC, but under the session key, which the client holds: a client could
    /// otherwise choose authenticators whose tags crowd one shard or one probe run.
    hasher: S,
}

/// The first 16 octets of a tag (12-octet HMAC-SHA1-96 tags zero-padded): 128 bits of
/// a MAC output keep collisions at 2^-96 or better.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Tag([u8; 16]);

impl Tag {
    fn new(tag: &[u8]) -> Tag {
        let mut t = [0u8; 16];
        for (d, s) in t.iter_mut().zip(tag) {
            *d = *s;
        }
        Tag(t)
    }
}

/// The slot a hash starts probing at, in a table of `mask + 1` slots.
fn slot_index(hash: u64, mask: usize) -> usize {
    // The low bits; `mask` fits in 64 bits, so the result fits in `usize`.
    let mask64 = u64::try_from(mask).unwrap_or(u64::MAX);
    usize::try_from(hash & mask64).unwrap_or_default()
}

/// The shard of a hash: its top four bits (the slot index uses the low ones).
fn shard_index(hash: u64) -> usize {
    usize::try_from(hash >> 60).unwrap_or_default() % SHARDS
}

/// Unix seconds as stored in an entry; clamped to 1..=u32::MAX (0 marks an empty
/// slot), good until 2106.
fn stored_secs(secs: i64) -> u32 {
    u32::try_from(secs.max(1)).unwrap_or(u32::MAX)
}

/// One table slot: a tag and when it expires, 20 bytes. `expires == 0`: empty.
#[derive(Clone, Copy, Default)]
struct Slot {
    tag: Tag,
    expires: u32,
}

/// The smallest table a shard allocates, in slots.
const MIN_SLOTS: usize = 1024;

/// One shard: a linear-probing table whose tag and expiry sit in the same slot, so a
/// check touches one cache line and one page where a general hash map (control bytes
/// apart from entries) touches two of each; at millions of entries every one of those
/// is a miss.
///
/// Expired entries are not removed one by one: a probe reuses the first expired slot it
/// passes, and the table is rebuilt without them when it reaches 70 % use. So the
/// per-login cost of expiry is a few slot moves, however large the window.
#[derive(Default)]
struct Shard {
    /// A power of two long, or empty before the first insert.
    slots: Vec<Slot>,
    /// Slots in use, live or expired.
    used: usize,
    /// When a rebuild last found the shard full; a full shard rebuilds once a second.
    full_since: Option<i64>,
}

enum Insert {
    Fresh,
    Replay,
    Full,
}

impl Shard {
    /// Most slots in use before a rebuild: 70 % of the table, and never more than the
    /// capacity, so live entries never exceed it.
    fn limit(&self, capacity: usize) -> usize {
        (self.slots.len() / 10 * 7).min(capacity)
    }

    fn check_and_insert(
        &mut self,
        (tag, hash): (Tag, u64),
        now: u32,
        expires: u32,
        capacity: usize,
        hasher: &impl BuildHasher,
    ) -> Insert {
        if self.used >= self.limit(capacity) {
            // A replay is a replay even when the shard is full.
            if self.holds_live(tag, hash, now) {
                return Insert::Replay;
            }
            if self.full_since.is_some_and(|t| t >= i64::from(now)) {
                return Insert::Full;
            }
            self.rebuild(now, capacity, hasher);
            if self.used >= self.limit(capacity) {
                self.full_since = Some(i64::from(now));
                return Insert::Full;
            }
            self.full_since = None;
        }
        let mask = self.slots.len() - 1;
        let mut i = slot_index(hash, mask);
        let mut reusable = None;
        // Ends at an empty slot: at most 70 % of slots are used.
        while let Some(slot) = self.slots.get_mut(i) {
            if slot.expires == 0 {
                break;
            }
            if slot.tag == tag {
                if slot.expires >= now {
                    return Insert::Replay;
                }
                slot.expires = expires;
                return Insert::Fresh;
            }
            if reusable.is_none() && slot.expires < now {
                reusable = Some(i);
            }
            i = (i + 1) & mask;
        }
        let at = match reusable {
            Some(r) => r,
            None => {
                self.used += 1;
                i
            }
        };
        if let Some(slot) = self.slots.get_mut(at) {
            *slot = Slot { tag, expires };
        }
        Insert::Fresh
    }

    /// Whether `tag` is held and not expired at `now`.
    fn holds_live(&self, tag: Tag, hash: u64, now: u32) -> bool {
        let mask = self.slots.len().saturating_sub(1);
        let mut i = slot_index(hash, mask);
        while let Some(slot) = self.slots.get(i) {
            if slot.expires == 0 {
                return false;
            }
            if slot.tag == tag {
                return slot.expires >= now;
            }
            i = (i + 1) & mask;
        }
        false
    }

    /// Moves the live entries into a table at least twice their number (and room for
    /// the capacity's 70 % rule), dropping expired ones.
    fn rebuild(&mut self, now: u32, capacity: usize, hasher: &impl BuildHasher) {
        let live = self.slots.iter().filter(|s| s.expires >= now).count();
        let want = (live.saturating_add(1))
            .saturating_mul(2)
            .max(MIN_SLOTS)
            .min(capacity.saturating_mul(2).max(MIN_SLOTS))
            .next_power_of_two();
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); want]);
        let mask = want - 1;
        self.used = 0;
        for s in old.into_iter().filter(|s| s.expires >= now) {
            let mut i = slot_index(hasher.hash_one(s.tag.0), mask);
            while let Some(slot) = self.slots.get_mut(i) {
                if slot.expires == 0 {
                    *slot = s;
                    self.used += 1;
                    break;
                }
                i = (i + 1) & mask;
            }
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
        Self::with_capacity_and_hasher(capacity, RandomState::new())
    }
}

impl<S: BuildHasher> MemoryReplayCache<S> {
    /// A cache placing tags with `hasher`; tests use a predictable one to force
    /// collisions. A server must keep the random default.
    pub(crate) fn with_capacity_and_hasher(capacity: usize, hasher: S) -> Self {
        MemoryReplayCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            capacity_per_shard: capacity.div_ceil(SHARDS).max(1),
            hasher,
        }
    }

    /// Number of entries currently held (expired ones not yet purged included).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map(|s| s.used).unwrap_or(0))
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

impl<S: BuildHasher> fmt::Debug for MemoryReplayCache<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayCache")
            .field("len", &self.len())
            .finish()
    }
}

impl<S: BuildHasher + Send + Sync> ReplayCache for MemoryReplayCache<S> {
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
        let hash = self.hasher.hash_one(tag.0);
        let Some(shard) = self.shards.get(shard_index(hash)) else {
            return Err(ReplayCacheError::Unavailable {
                reason: "shard index".into(),
            });
        };
        // A poisoned lock only means another thread panicked mid-insert; the table itself
        // is still a valid table, so keep using it.
        let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
        let now_secs = stored_secs(now.secs);
        let cap = self.capacity_per_shard;
        match shard.check_and_insert((tag, hash), now_secs, expires, cap, &self.hasher) {
            Insert::Fresh => Ok(ReplayVerdict::Fresh),
            Insert::Replay => Ok(ReplayVerdict::Replay),
            Insert::Full => Err(ReplayCacheError::Full {
                capacity: cap.saturating_mul(SHARDS),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_spread_over_every_shard_even_when_chosen_alike() {
        // Tags a client might pick to share their leading octets: the keyed hash still
        // spreads them.
        let cache = MemoryReplayCache::new();
        let mut seen = [0usize; SHARDS];
        for i in 0u16..4096 {
            let [a, b] = i.to_le_bytes();
            let t = Tag::new(&[0, 0, 0, 0, 0, 0, 0, 0, 7, 7, a, b]);
            seen[shard_index(cache.hasher.hash_one(t.0))] += 1;
        }
        assert!(seen.iter().all(|&n| n > 4096 / SHARDS / 4), "{seen:?}");
    }

    /// A predictable placement for tests: a tag's octets 0-7 are its hash, so octet 0
    /// picks the slot and octet 7's high nibble the shard.
    #[derive(Default, Clone, Copy)]
    struct Raw;

    #[derive(Default)]
    struct RawHasher(u64);

    impl std::hash::Hasher for RawHasher {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            let mut b = [0u8; 8];
            for (d, s) in b.iter_mut().zip(bytes) {
                *d = *s;
            }
            self.0 = u64::from_le_bytes(b);
        }
        fn write_usize(&mut self, _: usize) {}
    }

    impl BuildHasher for Raw {
        type Hasher = RawHasher;
        fn build_hasher(&self) -> RawHasher {
            RawHasher::default()
        }
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
        // Octets 0-7 are the hash under `Raw`: shard 0, slot n.
        [n, 1, 2, 3, 4, 5, 6, 7, 0, 0, n, n]
    }

    /// A full shard refuses until its entries expire (purging at most once a second),
    /// then makes room from the expired ones.
    #[test]
    fn full_shard_makes_room_once_entries_expire() {
        let cache = MemoryReplayCache::with_capacity_and_hasher(SHARDS, Raw);
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

    /// Against a plain map of tag to expiry, over 300,000 random checks with time moving
    /// on: tags from a pool (so replays and expired re-uses happen) whose index bits take
    /// only four values (long probe chains that wrap around the table), all in one shard
    /// of capacity 700. The cache must say Replay exactly when the map holds the tag
    /// unexpired, and Full exactly when the map's live entries reach the capacity.
    #[test]
    fn matches_a_reference_map_under_collisions_and_expiry() {
        use std::collections::HashMap;
        const CAP: usize = 700;
        let cache = MemoryReplayCache::with_capacity_and_hasher(CAP * SHARDS, Raw);
        let (srv, cli) = (p("imap/h@R"), p("alice@R"));
        let mut model: HashMap<[u8; 12], u32> = HashMap::new();
        let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut now: i64 = 5000;
        let (mut replays, mut fulls) = (0, 0);
        for _ in 0..300_000 {
            if next() % 200 == 0 {
                now += 1;
                let now_u = stored_secs(now);
                model.retain(|_, e| *e >= now_u);
            }
            let window = u32::try_from(5 + next() % 16).unwrap();
            let id = u16::try_from(next() % 3000).unwrap().to_le_bytes();
            let low = u8::try_from(next() % 4).unwrap();
            // Under `Raw`, octets 0-7 are the hash: four start slots, all in shard 0.
            let tag: [u8; 12] = [low, 0, 0, 0, 0, 0, 0, 0, 7, 7, id[0], id[1]];
            let t = Timestamp::from_secs(now);
            let rec = ReplayRecord::new(&srv, &cli, t, 18, &tag);
            let now_u = stored_secs(now);
            let live = model.len();
            let got = cache.check_and_insert(&rec, t, window);
            match model.get(&tag) {
                Some(&e) if e >= now_u => {
                    assert_eq!(got.unwrap(), ReplayVerdict::Replay);
                    replays += 1;
                }
                _ if live >= CAP => {
                    assert!(matches!(got, Err(ReplayCacheError::Full { .. })), "{got:?}");
                    fulls += 1;
                }
                _ => {
                    assert_eq!(got.unwrap(), ReplayVerdict::Fresh, "live {live}");
                    model.insert(tag, stored_secs(now + i64::from(window)));
                }
            }
        }
        assert!(
            replays > 1000 && fulls > 0,
            "replays {replays}, fulls {fulls}"
        );
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
