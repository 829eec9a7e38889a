//! The live tests' throwaway redis-server: `kerbgate_interop::RedisServer` under the
//! live-test policy (when redis-server cannot start, the test fails if `CI` is set
//! and otherwise prints `skipped: <reason>` and returns).

#![allow(dead_code, clippy::panic)]

pub(crate) use kerbgate_interop::RedisServer;

/// A plain server without persistence, or `None` (skip) outside CI.
pub(crate) fn start() -> Option<RedisServer> {
    kerbgate_interop::live(RedisServer::start())
}

/// A server with `extra` arguments (see `RedisServer::start_with`), or `None`.
pub(crate) fn start_with(extra: &[&str], tls: bool) -> Option<RedisServer> {
    kerbgate_interop::live(RedisServer::start_with(extra, tls))
}

/// Fails the test under CI, else reports a skip (for other missing tools).
pub(crate) fn skip<T>(why: &str) -> Option<T> {
    if std::env::var_os("CI").is_some() {
        panic!("live test environment unavailable with CI set: {why}");
    }
    eprintln!("skipped: {why}");
    None
}
