//! A Redis-backed replay cache for the kerbgate acceptor, shared by a fleet of servers.
//!
//! Each accepted authenticator (RFC 4120 3.2.3) becomes one atomic `SET key 1 NX PX ms`:
//! the key is the service principal and the authenticator's tag (see
//! [`ReplayRecord::tag`]) under a namespace, the expiry covers the clock-skew window.
//! `OK` means fresh; a nil reply means another server (or this one) saw it first.
//!
//! The kerbgate core stays sans-IO: this crate holds the network client (the `redis`
//! crate with its default features off).
//!
//! When Redis cannot be reached the cache fails closed by default
//! ([`ReplayCacheError::Unavailable`], so the login is refused with KRB_ERR_GENERIC);
//! [`OnUnavailable::FallbackToMemory`] instead answers from a local in-memory cache and
//! logs a warning, trading fleet-wide replay detection for availability.
//!
//! # Limitations
//! - One connection per cache, used by one accept at a time; requests are not pipelined.
//! - No TLS (`rediss://`) in this build; a password in the URL
//!   (`redis://:PASSWORD@HOST:PORT/DB`) is sent in clear text.

#![forbid(unsafe_code)]

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use kerbgate::{
    MemoryReplayCache, ReplayCache, ReplayCacheError, ReplayRecord, ReplayVerdict, Timestamp,
};

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
    client: redis::Client,
    display: String,
    conn: Mutex<Option<redis::Connection>>,
    namespace: String,
    timeout: Duration,
    on_unavailable: OnUnavailable,
    fallback: MemoryReplayCache,
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

impl RedisReplayCache {
    /// A cache on the Redis server at `url` (`redis://HOST:PORT[/DB]`). Connects on
    /// first use, and again after any error.
    ///
    /// # Errors
    /// [`ReplayCacheError::Unavailable`] when `url` is not a Redis URL.
    pub fn open(url: &str) -> Result<Self, ReplayCacheError> {
        // Shown in errors and Debug without any password.
        let display = match url.rsplit_once('@') {
            Some((_, host)) => format!("redis://{host}"),
            None => url.to_owned(),
        };
        let client = redis::Client::open(url).map_err(|e| unavailable(&display, e))?;
        Ok(RedisReplayCache {
            client,
            display,
            conn: Mutex::new(None),
            namespace: "kerbgate-rc".to_owned(),
            timeout: Duration::from_secs(2),
            on_unavailable: OnUnavailable::FailClosed,
            fallback: MemoryReplayCache::new(),
        })
    }

    /// Prefix of every key (default `kerbgate-rc`); servers sharing it share the cache.
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
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
        let mut key = format!("{}:{}:", self.namespace, record.server);
        for b in record.tag() {
            key.push_str(&format!("{b:02x}"));
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

    fn set_nx(&self, key: &str, ttl_ms: u64) -> Result<ReplayVerdict, ReplayCacheError> {
        let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut conn = match guard.take() {
            Some(c) => c,
            None => self.connect()?,
        };
        let reply: Option<String> = redis::cmd("SET")
            .arg(key)
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms)
            .query(&mut conn)
            .map_err(|e| unavailable(&self.display, e))?;
        *guard = Some(conn);
        Ok(match reply {
            Some(_) => ReplayVerdict::Fresh,
            None => ReplayVerdict::Replay,
        })
    }
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

        match self.set_nx(&key, secs.saturating_mul(1000)) {
            Ok(v) => Ok(v),
            Err(e) => match self.on_unavailable {
                OnUnavailable::FailClosed => Err(e),
                OnUnavailable::FallbackToMemory => {
                    tracing::warn!(
                        "{e}; answering from this process's memory replay cache, so \
                         replays across servers are not detected until redis is back"
                    );
                    self.fallback.check_and_insert(record, now, window_secs)
                }
            },
        }
    }
}
