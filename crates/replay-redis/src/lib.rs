//! A Redis-backed replay cache for the kerbgate acceptor, shared by a fleet of servers.
//!
//! Each accepted authenticator (RFC 4120 3.2.3) becomes one atomic `SET key 1 NX PX ms`:
//! the key is the service principal and the authenticator's tag (see
//! [`ReplayRecord::tag`]) under a namespace, the expiry covers the clock-skew window.
//! `OK` means fresh; a nil reply means another server (or this one) saw it first.
//!
//! Threads sharing one cache (one acceptor serving many logins) share one connection
//! (or a few, [`RedisReplayCache::connections`]): the commands of accepts in flight at
//! the same moment go out as one pipelined batch per connection and each thread gets its
//! own reply (see `batch.rs`). The trait call stays synchronous.
//!
//! The kerbgate core stays sans-IO: this crate holds the network client (the `redis`
//! crate with its default features off).
//!
//! ```no_run
//! # fn main() -> Result<(), kerbgate::ReplayCacheError> {
//! use kerbgate_replay_redis::{OnUnavailable, RedisReplayCache};
//! let cache = RedisReplayCache::open("redis://:secret@127.0.0.1:6379/0")?
//!     .namespace("imap-fleet")
//!     .on_unavailable(OnUnavailable::FailClosed);
//! # Ok(()) }
//! ```
//!
//! When Redis cannot be reached the cache fails closed by default
//! ([`ReplayCacheError::Unavailable`], so the login is refused with KRB_ERR_GENERIC);
//! [`OnUnavailable::FallbackToMemory`] instead answers from a local in-memory cache and
//! logs a warning, trading fleet-wide replay detection for availability. Every
//! authenticator this process accepted through Redis is also kept in that local cache,
//! so this process never accepts one twice, even if Redis loses its data; those accepted
//! from the local cache while Redis was away are sent to Redis once it is back (at most
//! 100 000), so that other servers refuse them from then on.
//!
//! # Features
//! - `tls`: `rediss://` URLs, through rustls with RustCrypto's pure-Rust provider
//!   (`rustls-rustcrypto`, which calls itself alpha); trust the system roots or a CA
//!   given with [`RedisReplayCache::root_ca_pem`].
//!
//! # Limitations
//! - One pipelined batch in flight per connection; each connection's batch waits for
//!   its whole reply.
//! - Without the `tls` feature a password in the URL (`redis://:PASSWORD@HOST:PORT/DB`)
//!   is sent in clear text.
//! - Replay detection across servers lasts only as long as Redis keeps its data: run it
//!   with persistence (`appendonly yes`) if a restart must not forget accepted
//!   authenticators.
//! - After a failed connection the cache waits 200 ms before trying Redis again;
//!   requests in that time get the configured unavailable answer at once.

#![forbid(unsafe_code)]

mod batch;

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kerbgate::{
    MemoryReplayCache, ReplayCache, ReplayCacheError, ReplayRecord, ReplayVerdict, Timestamp,
};

use crate::batch::{Batcher, Request};

/// How long to answer "unavailable" without trying after a failed connection.
const RETRY_AFTER: Duration = Duration::from_millis(200);
/// Connections (batches in flight at once) per cache, unless set.
const DEFAULT_CONNECTIONS: usize = 1;
/// Most commands in one pipelined round trip.
const MAX_BATCH: usize = 256;
/// Most authenticators accepted from the local cache that wait to be sent to Redis.
const MAX_BACKLOG: usize = 100_000;
/// Largest CA file read by [`RedisReplayCache::root_ca_pem`].
pub const MAX_CA_PEM: usize = 1 << 20;

/// What to do when Redis cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnUnavailable {
    /// Refuse the login (the default): a replay is never accepted for want of Redis.
    #[default]
    FailClosed,
    /// Answer from a process-local memory cache and log a warning. Replays across
    /// servers go unnoticed while Redis is down.
    FallbackToMemory,
}

/// A replay cache in Redis.
pub struct RedisReplayCache {
    #[cfg(feature = "tls")]
    url: String,
    client: redis::Client,
    display: String,
    /// One connection a lane; at most one batch in flight on each.
    lanes: Vec<Mutex<Link>>,
    batcher: Batcher,
    namespace: String,
    timeout: Duration,
    on_unavailable: OnUnavailable,
    local: MemoryReplayCache,
    /// Keys accepted from `local` while Redis was unreachable, with their expiry; sent
    /// to Redis with the first batch after it is back.
    backlog: Mutex<Vec<(String, Instant)>>,
}

/// The connection, or when the last attempt failed.
#[derive(Default)]
struct Link {
    conn: Option<redis::Connection>,
    failed_at: Option<Instant>,
}

impl fmt::Debug for RedisReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayCache")
            .field("server", &self.display)
            .field("namespace", &self.namespace)
            .field("on_unavailable", &self.on_unavailable)
            .finish()
    }
}

fn unavailable(server: &str, e: impl fmt::Display) -> ReplayCacheError {
    ReplayCacheError::Unavailable {
        reason: format!(
            "redis at {server}: {e}; check that redis-server runs there and accepts this \
             client"
        ),
    }
}

/// `url` without user name or password, for errors and logs.
fn redacted(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("redis", url));
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{rest}")
}

impl RedisReplayCache {
    /// A cache on the Redis server at `url`: `redis://[[USER]:PASSWORD@]HOST:PORT[/DB]`,
    /// or `rediss://...` for TLS (with the `tls` feature). Connects on first use, and
    /// again after any error.
    ///
    /// # Errors
    /// [`ReplayCacheError::Unavailable`] when `url` is not a Redis URL this build can use.
    pub fn open(url: &str) -> Result<Self, ReplayCacheError> {
        let display = redacted(url);
        #[cfg(feature = "tls")]
        if url.starts_with("rediss://") {
            install_crypto_provider();
        }
        let client = redis::Client::open(url).map_err(|e| unavailable(&display, e))?;
        Ok(RedisReplayCache {
            #[cfg(feature = "tls")]
            url: url.to_owned(),
            client,
            display,
            lanes: (0..DEFAULT_CONNECTIONS)
                .map(|_| Mutex::new(Link::default()))
                .collect(),
            batcher: Batcher::new(DEFAULT_CONNECTIONS, MAX_BATCH),
            namespace: "kerbgate-rc".to_owned(),
            timeout: Duration::from_secs(2),
            on_unavailable: OnUnavailable::FailClosed,
            local: MemoryReplayCache::new(),
            backlog: Mutex::new(Vec::new()),
        })
    }

    /// Trust only the CA certificates in `pem` (PEM text) for a `rediss://` server,
    /// instead of the system's roots.
    ///
    /// # Errors
    /// [`ReplayCacheError::Unavailable`] when `pem` is over [`MAX_CA_PEM`] bytes or the
    /// client cannot be built with it.
    #[cfg(feature = "tls")]
    pub fn root_ca_pem(mut self, pem: &[u8]) -> Result<Self, ReplayCacheError> {
        if pem.len() > MAX_CA_PEM {
            return Err(unavailable(
                &self.display,
                format!("CA file of {} bytes, limit {MAX_CA_PEM}", pem.len()),
            ));
        }
        let certs = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem.to_vec()),
        };
        self.client = redis::Client::build_with_tls(self.url.as_str(), certs)
            .map_err(|e| unavailable(&self.display, e))?;
        Ok(self)
    }

    /// Prefix of every key (default `kerbgate-rc`); servers sharing it share the cache.
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// How many connections (pipelined batches in flight at once) this cache uses,
    /// at least 1 (default 1; more helps only when Redis and the acceptor threads have
    /// cores to spare).
    #[must_use]
    pub fn connections(mut self, n: usize) -> Self {
        let n = n.max(1);
        self.lanes = (0..n).map(|_| Mutex::new(Link::default())).collect();
        self.batcher = Batcher::new(n, MAX_BATCH);
        self
    }

    /// Connect, read and write time limit (default 2 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What to do when Redis cannot be reached (default: fail closed).
    #[must_use]
    pub fn on_unavailable(mut self, policy: OnUnavailable) -> Self {
        self.on_unavailable = policy;
        self
    }

    /// The key naming `record`: namespace, service principal, hex tag.
    pub fn key(&self, record: &ReplayRecord<'_>) -> String {
        use std::fmt::Write;
        let mut key = format!("{}:{}:", self.namespace, record.server);
        for b in record.tag() {
            let _ = write!(key, "{b:02x}");
        }
        key
    }

    fn connect(&self) -> Result<redis::Connection, ReplayCacheError> {
        let conn = self
            .client
            .get_connection_with_timeout(self.timeout)
            .map_err(|e| unavailable(&self.display, e))?;
        conn.set_read_timeout(Some(self.timeout))
            .and_then(|()| conn.set_write_timeout(Some(self.timeout)))
            .map_err(|e| unavailable(&self.display, e))?;
        Ok(conn)
    }

    /// Sends one batch as one pipeline on `lane`'s connection; called by one thread a
    /// lane at a time.
    fn flush(
        &self,
        lane: usize,
        batch: &[Request],
    ) -> Result<Vec<ReplayVerdict>, ReplayCacheError> {
        let Some(link) = self.lanes.get(lane) else {
            return Err(unavailable(&self.display, "no such connection lane"));
        };
        let mut link = link.lock().unwrap_or_else(|e| e.into_inner());
        let mut conn = match link.conn.take() {
            Some(c) => c,
            None => {
                if let Some(at) = link.failed_at {
                    if at.elapsed() < RETRY_AFTER {
                        return Err(unavailable(
                            &self.display,
                            "the last connection attempt failed moments ago",
                        ));
                    }
                }
                match self.connect() {
                    Ok(c) => c,
                    Err(e) => {
                        link.failed_at = Some(Instant::now());
                        return Err(e);
                    }
                }
            }
        };

        let mut pipe = redis::pipe();

        // Authenticators accepted locally while Redis was away go first, so that other
        // servers refuse them from now on; their replies are not needed.
        let backlog = std::mem::take(&mut *self.backlog.lock().unwrap_or_else(|e| e.into_inner()));
        let now = Instant::now();
        for (key, until) in &backlog {
            let Some(left) = until.checked_duration_since(now) else {
                continue;
            };
            let ms = u64::try_from(left.as_millis()).unwrap_or(u64::MAX).max(1);
            pipe.cmd("SET")
                .arg(key)
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .ignore();
        }
        for r in batch {
            pipe.cmd("SET")
                .arg(&r.key)
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(r.ttl_ms);
        }
        // Any error drops the connection, so a late reply can never be read as the
        // answer to a later batch.
        let replies: Vec<redis::Value> = match pipe.query(&mut conn) {
            Ok(r) => r,
            Err(e) => {
                link.failed_at = Some(Instant::now());
                self.keep_backlog(backlog);
                return Err(unavailable(&self.display, e));
            }
        };
        let mut verdicts = Vec::with_capacity(replies.len());
        for reply in replies {
            verdicts.push(match reply {
                redis::Value::Okay => ReplayVerdict::Fresh,
                redis::Value::SimpleString(s) if s == "OK" => ReplayVerdict::Fresh,
                redis::Value::Nil => ReplayVerdict::Replay,
                other => {
                    return Err(unavailable(
                        &self.display,
                        format!("unexpected reply to SET NX: {other:?}"),
                    ))
                }
            });
        }
        link.conn = Some(conn);
        link.failed_at = None;
        Ok(verdicts)
    }
}

impl RedisReplayCache {
    /// Puts unsent backlog entries back, within [`MAX_BACKLOG`].
    fn keep_backlog(&self, mut entries: Vec<(String, Instant)>) {
        let mut backlog = self.backlog.lock().unwrap_or_else(|e| e.into_inner());
        entries.append(&mut backlog);
        entries.truncate(MAX_BACKLOG);
        *backlog = entries;
    }
}

#[cfg(feature = "tls")]
fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is as good.
    let _ = rustls_rustcrypto::provider().install_default();
}

impl ReplayCache for RedisReplayCache {
    fn check_and_insert(
        &self,
        record: &ReplayRecord<'_>,
        now: Timestamp,
        window_secs: u32,
    ) -> Result<ReplayVerdict, ReplayCacheError> {
        // RFC 4120 3.2.3: keep the entry while the authenticator passes the skew check.
        let until = record.ctime.secs.max(now.secs) + i64::from(window_secs) + 1;
        let secs = u64::try_from(until.saturating_sub(now.secs))
            .unwrap_or(1)
            .max(1);
        let key = self.key(record);

        match self
            .batcher
            .submit(key, secs.saturating_mul(1000), |lane, b| {
                self.flush(lane, b)
            }) {
            Ok(ReplayVerdict::Fresh) => {
                // Also remember it here: if Redis forgets it (a restart without
                // persistence), this process still refuses it as a replay.
                match self.local.check_and_insert(record, now, window_secs) {
                    Ok(ReplayVerdict::Replay) => Ok(ReplayVerdict::Replay),
                    Ok(ReplayVerdict::Fresh) | Err(_) => Ok(ReplayVerdict::Fresh),
                }
            }
            Ok(ReplayVerdict::Replay) => Ok(ReplayVerdict::Replay),
            Err(e) => match self.on_unavailable {
                OnUnavailable::FailClosed => Err(e),
                OnUnavailable::FallbackToMemory => {
                    tracing::warn!(
                        "{e}; answering from this process's memory replay cache, so \
                         replays across servers are not detected until redis is back"
                    );
                    let verdict = self.local.check_and_insert(record, now, window_secs)?;
                    if verdict == ReplayVerdict::Fresh {
                        let ttl = Duration::from_secs(secs);
                        let mut backlog = self.backlog.lock().unwrap_or_else(|e| e.into_inner());
                        if backlog.len() < MAX_BACKLOG {
                            backlog.push((self.key(record), Instant::now() + ttl));
                        }
                    }
                    Ok(verdict)
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_credentials() {
        assert_eq!(redacted("redis://:pw@h:1/0"), "redis://h:1/0");
        assert_eq!(redacted("rediss://u:p@w@h:1"), "rediss://h:1");
        assert_eq!(redacted("redis://h:1"), "redis://h:1");
    }
}
