//! A replay cache file shared with MIT krb5 (its `file2` format, the default since 1.18).
//!
//! kerbgate and MIT-linked servers on one host can point at the same file: an
//! authenticator accepted by either is refused by the other with KRB_AP_ERR_REPEAT.
//!
//! # File layout (facts from MIT's format documentation)
//!
//! - Octets 0-15: a random seed, written by whoever first finds the file shorter.
//! - Then hash tables of 16-octet records: a 12-octet tag and a 4-octet big-endian
//!   timestamp (32-bit, wrapping). The first table has 1023 records, the second 2048,
//!   and each later one twice the one before, up to a file of 2^31 - 1 octets.
//! - The tag is the authenticator's checksum (see [`ReplayRecord::tag`]) cut or
//!   zero-padded to 12 octets. In each table its slot is SipHash-2-4 of the tag, keyed
//!   with the seed, modulo the table's record count; the seed's first octet is raised
//!   by one (wrapping) for each later table. Two adjacent records are read there (the
//!   second may lie in the next table). Either holding the tag: a replay. Otherwise
//!   the first of them that is absent or expired (timestamp + skew < now) takes the
//!   new record, unless both are present with non-zero timestamps and the next table
//!   is searched too.
//! - Every access runs under an exclusive POSIX record lock (`fcntl`) on the whole
//!   file. MIT takes an open-file-description lock where the kernel has them, else a
//!   POSIX one; on Linux both conflict with ours (a `flock` lock would not).
//!
//! # What a crash can lose
//!
//! There is no fsync: a record reaches the kernel's page cache before the verdict is
//! returned, so a crash of the process loses nothing, but a crash of the machine (or
//! power loss) can lose the records written since the last writeback (typically up to
//! 30 seconds on Linux). Authenticators accepted in that time could then be accepted
//! once more, within the skew window after the reboot. MIT's old per-entry fsync
//! closed that gap at the price of one disk flush per login.
//!
//! # Limitations
//!
//! - One descriptor per canonical path per process (POSIX locks are per process):
//!   two hard links to one file, opened in one process, do not exclude each other.
//! - A file removed and recreated while open is not noticed; this process keeps the
//!   old one (MIT reopens the file for each store).
//! - Unix only.
//!
//! # Differences from MIT
//!
//! The stored timestamp is the later of the authenticator's time and the local time
//! (MIT stores the local time), so a client whose clock is ahead cannot replay after
//! the entry expires but before its authenticator leaves the skew window. A tag that
//! matches an expired record is a replay, as in MIT; so is, as there, an all-zero tag
//! (never-written parts of the file read as zeros), which a real checksum is with a
//! chance of 2^-96.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::hash::Hasher;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use rustix::fs::{fcntl_lock, FlockOperation};
use siphasher::sip::SipHasher24;

use crate::clock::Timestamp;
use crate::replay::{ReplayCache, ReplayCacheError, ReplayRecord, ReplayVerdict};

/// Octets of a tag in the file.
pub const TAG_LEN: usize = 12;
/// Octets of one record: the tag and a 32-bit timestamp.
pub const RECORD_LEN: u64 = 16;
/// Octets of the hash seed at the start of the file.
pub const SEED_LEN: usize = 16;
const FIRST_TABLE_RECORDS: u64 = 1023;
/// MIT caps the file at the largest signed 32-bit offset.
const MAX_FILE_SIZE: u64 = 0x7fff_ffff;

/// A replay cache in a file of MIT's `file2` format.
///
/// Thread-safe; all caches of one process on the same path share one open file, since
/// POSIX record locks do not exclude threads of the same process (and closing any
/// descriptor of a file drops them).
pub struct FileReplayCache {
    path: PathBuf,
    file: Arc<Mutex<File>>,
}

/// Open files by canonical path, so that one process holds one descriptor per file.
fn registry() -> &'static Mutex<HashMap<PathBuf, Weak<Mutex<File>>>> {
    static FILES: OnceLock<Mutex<HashMap<PathBuf, Weak<Mutex<File>>>>> = OnceLock::new();
    FILES.get_or_init(|| Mutex::new(HashMap::new()))
}

fn unavailable(path: &Path, what: &str, e: impl fmt::Display) -> ReplayCacheError {
    ReplayCacheError::Unavailable {
        reason: format!(
            "replay cache file {}: {what}: {e}; check that it exists, is a regular file \
             writable by this user, and the file system is not full",
            path.display()
        ),
    }
}

impl FileReplayCache {
    /// Opens (creating with mode 0600) the replay cache file at `path`.
    ///
    /// # Errors
    /// [`ReplayCacheError::Unavailable`] when the file cannot be opened for writing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ReplayCacheError> {
        let path = path.as_ref();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| unavailable(path, "open", e))?;
        let canonical = path
            .canonicalize()
            .map_err(|e| unavailable(path, "canonicalize", e))?;

        let mut files = registry().lock().unwrap_or_else(|e| e.into_inner());
        files.retain(|_, w| w.strong_count() > 0);
        let shared = match files.get(&canonical).and_then(Weak::upgrade) {
            // Drop `file` only while the registry lock is held and another handle of
            // the same process may be mid-store: closing a descriptor releases this
            // process's POSIX locks on the file. Holding the shared mutex prevents it.
            Some(existing) => {
                let guard = existing.lock().unwrap_or_else(|e| e.into_inner());
                drop(file);
                drop(guard);
                existing
            }
            None => {
                let new = Arc::new(Mutex::new(file));
                files.insert(canonical, Arc::downgrade(&new));
                new
            }
        };
        Ok(FileReplayCache {
            path: path.to_owned(),
            file: shared,
        })
    }

    /// Opens the file MIT would use by default: the path in `KRB5RCACHENAME` if that is
    /// `file2:PATH`, else `$KRB5RCACHEDIR/krb5_<euid>.rcache2` (`/var/tmp` when
    /// `KRB5RCACHEDIR` is unset).
    ///
    /// # Errors
    /// As [`FileReplayCache::open`].
    pub fn open_default() -> Result<Self, ReplayCacheError> {
        Self::open(default_path())
    }

    /// The path this cache was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The replay cache file MIT krb5 uses for this process's environment and user.
pub fn default_path() -> PathBuf {
    if let Some(name) = std::env::var_os("KRB5RCACHENAME") {
        let name = name.to_string_lossy().into_owned();
        if let Some(path) = name.strip_prefix("file2:") {
            return PathBuf::from(path);
        }
    }
    let dir = std::env::var_os("KRB5RCACHEDIR").unwrap_or_else(|| "/var/tmp".into());
    let euid = rustix::process::geteuid().as_raw();
    PathBuf::from(dir).join(format!("krb5_{euid}.rcache2"))
}

impl fmt::Debug for FileReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileReplayCache")
            .field("path", &self.path)
            .finish()
    }
}

/// The tag as stored: the first 12 octets, zero-padded when shorter.
pub fn file_tag(tag: &[u8]) -> [u8; TAG_LEN] {
    let mut out = [0u8; TAG_LEN];
    for (o, t) in out.iter_mut().zip(tag) {
        *o = *t;
    }
    out
}

/// The slot of `tag` in a table of `nrecords` records under `seed`.
pub fn slot(seed: &[u8; SEED_LEN], tag: &[u8; TAG_LEN], nrecords: u64) -> u64 {
    let mut h = SipHasher24::new_with_key(seed);
    h.write(tag);
    h.finish() % nrecords.max(1)
}

/// The next table's (offset, record count), or `None` past the maximum file size.
fn next_table(current: Option<(u64, u64)>) -> Option<(u64, u64)> {
    let next = match current {
        None => (SEED_LEN as u64, FIRST_TABLE_RECORDS),
        Some((off, n)) if n == FIRST_TABLE_RECORDS => {
            (off + n * RECORD_LEN, (FIRST_TABLE_RECORDS + 1) * 2)
        }
        Some((off, n)) => (off.checked_add(n.checked_mul(RECORD_LEN)?)?, n * 2),
    };
    let size = next.1.checked_mul(RECORD_LEN)?;
    (next.0.checked_add(size)? <= MAX_FILE_SIZE).then_some(next)
}

/// Up to two records at `offset`: (tag, timestamp) each.
fn read_two(file: &mut File, offset: u64) -> std::io::Result<Vec<([u8; TAG_LEN], u32)>> {
    let mut buf = [0u8; 32];
    file.seek(SeekFrom::Start(offset))?;
    let mut got = 0;
    while got < buf.len() {
        let Some(rest) = buf.get_mut(got..) else {
            break;
        };
        match file.read(rest)? {
            0 => break,
            n => got += n,
        }
    }
    Ok(buf
        .chunks_exact(16)
        .take(got / 16)
        .map(|rec| {
            let (tag, stamp) = rec.split_at(TAG_LEN);
            let mut ts = [0u8; 4];
            ts.copy_from_slice(stamp);
            (file_tag(tag), u32::from_be_bytes(ts))
        })
        .collect())
}

/// The file's 32-bit wrapping time (MIT's `krb5_timestamp`).
fn stamp32(secs: i64) -> u32 {
    u32::try_from(secs & 0xffff_ffff).unwrap_or(0)
}

/// Checks and stores `tag` in the open, locked `file`.
fn store(
    file: &mut File,
    tag: &[u8; TAG_LEN],
    now: u32,
    stamp: u32,
    skew: u32,
) -> std::io::Result<Option<ReplayVerdict>> {
    // The seed: read it, or write a fresh one if the file is shorter.
    let mut seed = [0u8; SEED_LEN];
    file.seek(SeekFrom::Start(0))?;
    let mut got = 0;
    while got < SEED_LEN {
        let Some(rest) = seed.get_mut(got..) else {
            break;
        };
        match file.read(rest)? {
            0 => break,
            n => got += n,
        }
    }
    if got < SEED_LEN {
        getrandom::fill(&mut seed).map_err(|e| std::io::Error::other(e.to_string()))?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&seed)?;
    }

    let expired = |ts: u32| now > ts.wrapping_add(skew);
    let mut table = None;
    let mut avail: Option<u64> = None;
    loop {
        let Some((offset, n)) = next_table(table) else {
            return Ok(None);
        };
        table = Some((offset, n));
        let at = offset + slot(&seed, tag, n) * RECORD_LEN;
        let recs = read_two(file, at)?;

        // RFC 4120 3.2.3: a second use of an authenticator is a replay.
        if recs.iter().any(|(t, _)| t == tag) {
            return Ok(Some(ReplayVerdict::Replay));
        }

        if avail.is_none() {
            match recs.as_slice() {
                [] => avail = Some(at),
                [(_, a), ..] if expired(*a) => avail = Some(at),
                [_] => avail = Some(at + RECORD_LEN),
                [_, (_, b)] if expired(*b) => avail = Some(at + RECORD_LEN),
                _ => {}
            }
        }

        let stop = match recs.as_slice() {
            [(_, a), (_, b)] => *a == 0 || *b == 0,
            _ => true,
        };
        if stop {
            let Some(pos) = avail else {
                return Ok(None);
            };
            let mut record = [0u8; 16];
            let (t, s) = record.split_at_mut(TAG_LEN);
            t.copy_from_slice(tag);
            s.copy_from_slice(&stamp.to_be_bytes());
            file.seek(SeekFrom::Start(pos))?;
            file.write_all(&record)?;
            return Ok(Some(ReplayVerdict::Fresh));
        }

        // Each later table hashes under a different seed.
        let [first, ..] = &mut seed;
        *first = first.wrapping_add(1);
    }
}

impl ReplayCache for FileReplayCache {
    fn check_and_insert(
        &self,
        record: &ReplayRecord<'_>,
        now: Timestamp,
        window_secs: u32,
    ) -> Result<ReplayVerdict, ReplayCacheError> {
        let tag = file_tag(record.tag());
        if record.tag().is_empty() {
            return Err(unavailable(&self.path, "store", "empty authenticator tag"));
        }
        let stamp = stamp32(record.ctime.secs.max(now.secs));
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());

        fcntl_lock(&*file, FlockOperation::LockExclusive)
            .map_err(|e| unavailable(&self.path, "lock", e))?;
        let result = store(&mut file, &tag, stamp32(now.secs), stamp, window_secs);
        let unlocked = fcntl_lock(&*file, FlockOperation::Unlock);
        drop(file);

        let verdict = result.map_err(|e| unavailable(&self.path, "read/write", e))?;
        unlocked.map_err(|e| unavailable(&self.path, "unlock", e))?;
        verdict.ok_or_else(|| unavailable(&self.path, "store", "no free slot up to 2 GiB"))
    }
}
