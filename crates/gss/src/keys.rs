//! Where the acceptor gets its long-term service keys: a keytab loaded once, or a keytab
//! file reloaded when it changes.
//!
//! Keys are turned into [`kerbgate_crypto::Key`] values once per load, so each key's
//! derived keys (for key usage 2, the ticket) are computed on first use and then reused by
//! every later accept.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use kerbgate_crypto::Key;
use kerbgate_keytab::{Keytab, KeytabName, Principal};

use crate::error::AcceptError;
use crate::messages::PrincipalName;

/// One long-term key of a service principal.
pub struct ServiceKey {
    /// Shared, so an accepted context can name its service without copying the name.
    principal: Arc<Principal>,
    kvno: u32,
    enctype: i32,
    key: Option<Key>,
}

impl ServiceKey {
    /// The principal the key belongs to.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The principal, shared.
    pub(crate) fn principal_shared(&self) -> &Arc<Principal> {
        &self.principal
    }

    /// The key version number.
    pub fn kvno(&self) -> u32 {
        self.kvno
    }

    /// The enctype number as stored in the keytab.
    pub fn enctype(&self) -> i32 {
        self.enctype
    }

    /// The usable key, or `None` when its enctype is not supported by this build.
    pub fn key(&self) -> Option<&Key> {
        self.key.as_ref()
    }
}

impl fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceKey")
            .field("principal", &self.principal.to_string())
            .field("kvno", &self.kvno)
            .field("enctype", &self.enctype)
            .field("usable", &self.key.is_some())
            .finish()
    }
}

/// The service keys of one keytab, indexed by principal.
pub struct KeyTable {
    keys: Vec<ServiceKey>,
    /// A case-folded hash of each principal to indices into `keys`; lookups then compare
    /// names exactly (or case-insensitively), so hash collisions only cost a comparison.
    index: HashMap<u64, Vec<usize>, BuildHasherDefault<FoldedHasher>>,
}

/// Passes the already-hashed [`fold`] value through, so a lookup costs no second (SipHash)
/// hash. Only keytab entries are inserted, so hostile names cannot flood a bucket.
#[derive(Default)]
struct FoldedHasher(u64);

impl Hasher for FoldedHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// FNV-1a over the ASCII-lower-cased components and realm, with separators; no allocation,
/// so the hot path never formats a principal.
fn fold<'c>(components: impl Iterator<Item = &'c str>, realm: &str) -> u64 {
    fn eat(mut h: u64, bytes: &[u8], sep: u8) -> u64 {
        for &b in bytes {
            h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3);
        }
        (h ^ u64::from(sep)).wrapping_mul(0x0100_0000_01b3)
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in components {
        h = eat(h, c.as_bytes(), b'/');
    }
    eat(h, realm.as_bytes(), b'@')
}

/// Equal after Unicode lower-casing, as [`Principal::eq_ignore_case`] compares.
fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

impl KeyTable {
    /// Indexes the keys of `keytab`. Entries of unsupported enctypes are kept (they are
    /// reported when a ticket needs them) but cannot decrypt anything.
    pub fn from_keytab(keytab: &Keytab) -> Self {
        let mut keys = Vec::with_capacity(keytab.len());
        let mut index: HashMap<u64, Vec<usize>, BuildHasherDefault<FoldedHasher>> =
            HashMap::default();
        for entry in keytab.entries() {
            index
                .entry(fold(
                    entry.principal().components().iter().map(String::as_str),
                    entry.principal().realm(),
                ))
                .or_default()
                .push(keys.len());
            keys.push(ServiceKey {
                principal: Arc::new(entry.principal().clone()),
                kvno: entry.kvno(),
                enctype: entry.enctype(),
                key: entry.key().ok(),
            });
        }
        KeyTable { keys, index }
    }

    /// All keys, in keytab order.
    pub fn keys(&self) -> &[ServiceKey] {
        &self.keys
    }

    /// The keys of `principal`; name type is ignored, and the case of the name's
    /// components too when asked (never the realm's). The iterator is cheap to clone,
    /// so one lookup can be walked several times.
    pub fn for_principal<'a, 'p>(
        &'a self,
        principal: &'p Principal,
        case_insensitive: bool,
    ) -> impl Iterator<Item = &'a ServiceKey> + Clone + use<'a, 'p> {
        self.for_name(
            principal.realm(),
            PrincipalName::from_principal(principal),
            case_insensitive,
        )
    }

    /// [`KeyTable::for_principal`] for a name borrowed from a ticket, so a lookup
    /// copies nothing.
    pub(crate) fn for_name<'a, 'n>(
        &'a self,
        realm: &'n str,
        name: PrincipalName<'n>,
        case_insensitive: bool,
    ) -> impl Iterator<Item = &'a ServiceKey> + Clone + use<'a, 'n> {
        let slots = self
            .index
            .get(&fold(name.components(), realm))
            .map(Vec::as_slice)
            .unwrap_or_default();
        slots
            .iter()
            .filter_map(|&i| self.keys.get(i))
            .filter(move |k| {
                let mine = k.principal.components();
                // Service and host may compare ignoring case; the realm always exactly.
                k.principal.realm() == realm
                    && mine.len() == name.len()
                    && mine.iter().zip(name.components()).all(|(a, b)| {
                        if case_insensitive {
                            eq_ignore_case(a, b)
                        } else {
                            a == b
                        }
                    })
            })
    }

    /// Whether the table holds any key for `principal`.
    pub fn contains(&self, principal: &Principal, case_insensitive: bool) -> bool {
        self.for_principal(principal, case_insensitive)
            .next()
            .is_some()
    }

    /// The distinct principals, in keytab order.
    pub fn principals(&self) -> Vec<&Principal> {
        let mut out: Vec<&Principal> = Vec::new();
        for k in &self.keys {
            let p: &Principal = &k.principal;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }
}

impl fmt::Debug for KeyTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyTable")
            .field("keys", &self.keys.len())
            .finish()
    }
}

/// A source of service keys for the acceptor.
pub trait KeySource: Send + Sync + fmt::Debug {
    /// The current key table.
    ///
    /// # Errors
    /// The keys cannot be loaded (file missing, unreadable or malformed).
    fn key_table(&self) -> Result<Arc<KeyTable>, AcceptError>;
}

/// Keys loaded once from a keytab held in memory.
#[derive(Debug, Clone)]
pub struct StaticKeys(Arc<KeyTable>);

impl StaticKeys {
    /// Uses the keys of `keytab`.
    pub fn new(keytab: &Keytab) -> Self {
        StaticKeys(Arc::new(KeyTable::from_keytab(keytab)))
    }
}

impl KeySource for StaticKeys {
    fn key_table(&self) -> Result<Arc<KeyTable>, AcceptError> {
        Ok(Arc::clone(&self.0))
    }
}

/// A keytab file, reloaded when its size or modification time changes.
///
/// The file's metadata is checked at most once per interval (default one second), so a
/// rekey with `kadmin ktadd` takes effect without a restart. If a reload fails (a
/// half-written file, say), the previous keys stay in use and the error is logged.
pub struct ReloadingKeytab {
    path: PathBuf,
    interval: Duration,
    state: Mutex<ReloadState>,
}

struct ReloadState {
    table: Arc<KeyTable>,
    stamp: Option<(SystemTime, u64)>,
    checked: Instant,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn load(path: &Path) -> Result<Arc<KeyTable>, AcceptError> {
    let keytab = Keytab::load(path).map_err(|e| AcceptError::KeySource {
        reason: format!("{}: {e}", path.display()),
    })?;
    Ok(Arc::new(KeyTable::from_keytab(&keytab)))
}

impl ReloadingKeytab {
    /// Opens the keytab named like MIT does (`FILE:path`, `WRFILE:path`, or a path).
    ///
    /// # Errors
    /// The name is malformed, or the file cannot be read or parsed now.
    pub fn open(name: &str) -> Result<Self, AcceptError> {
        let name = KeytabName::parse(name).map_err(|e| AcceptError::KeySource {
            reason: e.to_string(),
        })?;
        Self::open_path(name.path())
    }

    /// Opens the keytab named by `KRB5_KTNAME`, else `/etc/krb5.keytab`.
    ///
    /// # Errors
    /// As [`ReloadingKeytab::open`].
    pub fn from_env_or_default() -> Result<Self, AcceptError> {
        let name = KeytabName::from_env_or_default().map_err(|e| AcceptError::KeySource {
            reason: e.to_string(),
        })?;
        Self::open_path(name.path())
    }

    /// Opens the keytab file at `path`.
    ///
    /// # Errors
    /// The file cannot be read or parsed now.
    pub fn open_path(path: &Path) -> Result<Self, AcceptError> {
        let stamp = stamp(path);
        let table = load(path)?;
        Ok(ReloadingKeytab {
            path: path.to_path_buf(),
            interval: Duration::from_secs(1),
            state: Mutex::new(ReloadState {
                table,
                stamp,
                checked: Instant::now(),
            }),
        })
    }

    /// Sets how often the file's metadata is checked.
    #[must_use]
    pub fn with_check_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Debug for ReloadingKeytab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadingKeytab")
            .field("path", &self.path)
            .finish()
    }
}

impl KeySource for ReloadingKeytab {
    fn key_table(&self) -> Result<Arc<KeyTable>, AcceptError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.checked.elapsed() < self.interval {
            return Ok(Arc::clone(&state.table));
        }
        state.checked = Instant::now();
        let now = stamp(&self.path);
        if now != state.stamp {
            match load(&self.path) {
                Ok(table) => {
                    tracing::debug!(path = %self.path.display(), keys = table.keys().len(), "keytab reloaded");
                    state.table = table;
                    state.stamp = now;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "keytab changed but could not be reloaded; keeping the previous keys")
                }
            }
        }
        Ok(Arc::clone(&state.table))
    }
}
