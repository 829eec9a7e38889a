//! The replay-cache options shared by `accept`, `pipe` and `serve` (HTTP and IMAP):
//! where accepted authenticators are remembered (RFC 4120 section 3.2.3) and what to
//! do when a shared cache cannot be reached.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use kerbgate::replay_file::FileReplayCache;
use kerbgate::AcceptorBuilder;

use crate::error::CliError;

/// `--replay-cache`, `--replay-cache-fallback` and `--replay-cache-ca`.
#[derive(Args, Clone, Debug)]
pub(crate) struct ReplayOpts {
    /// Replay cache: `memory` (default, private to this process), `file:PATH`, a file in
    /// MIT's file2 format shared with other kerbgate and MIT processes on this host, or
    /// (built with the `redis` feature) `redis://[[USER]:PASSWORD@]HOST:PORT[/DB]` or
    /// `rediss://...` (TLS), shared by a fleet.
    #[arg(long, value_name = "KIND", value_parser = parse_replay_cache)]
    pub(crate) replay_cache: Option<ReplayCacheSpec>,
    /// When the Redis replay cache cannot be reached: `fail-closed` refuses the login
    /// (KRB_ERR_GENERIC, "replay cache unavailable"); `local` answers from this
    /// process's memory cache with a warning, so replays across servers go unnoticed
    /// until Redis is back.
    #[arg(
        long,
        value_name = "CHOICE",
        value_enum,
        default_value_t = Fallback::FailClosed
    )]
    pub(crate) replay_cache_fallback: Fallback,
    /// PEM file of the CA certificates that sign the Redis server's certificate
    /// (`rediss://` only); default: the system's trusted roots.
    #[arg(long, value_name = "FILE")]
    pub(crate) replay_cache_ca: Option<PathBuf>,
}

/// `--replay-cache-fallback`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Fallback {
    /// Refuse logins while the shared cache is unreachable.
    FailClosed,
    /// Answer from a process-local memory cache, with a warning.
    Local,
}

/// Where `--replay-cache` keeps accepted authenticators.
#[derive(Clone, Debug)]
pub(crate) enum ReplayCacheSpec {
    /// The acceptor's own in-memory cache.
    Memory,
    /// A file in MIT's file2 format.
    File(PathBuf),
    /// A Redis server (`redis://` or `rediss://` URL).
    #[cfg(feature = "redis")]
    Redis(String),
}

impl ReplayOpts {
    /// Applies these options to an acceptor builder.
    pub(crate) fn apply(&self, b: AcceptorBuilder) -> Result<AcceptorBuilder, CliError> {
        match &self.replay_cache {
            None | Some(ReplayCacheSpec::Memory) => Ok(b),
            Some(ReplayCacheSpec::File(path)) => {
                let cache =
                    FileReplayCache::open(path).map_err(|e| CliError::msg(e.to_string()))?;
                Ok(b.replay_cache(Arc::new(cache)))
            }
            #[cfg(feature = "redis")]
            Some(ReplayCacheSpec::Redis(url)) => {
                use kerbgate_replay_redis::{OnUnavailable, RedisReplayCache};
                let policy = match self.replay_cache_fallback {
                    Fallback::FailClosed => OnUnavailable::FailClosed,
                    Fallback::Local => OnUnavailable::FallbackToMemory,
                };
                let mut cache = RedisReplayCache::open(url)
                    .map_err(|e| CliError::msg(e.to_string()))?
                    .on_unavailable(policy);
                if let Some(path) = &self.replay_cache_ca {
                    let pem = read_capped(path, kerbgate_replay_redis::MAX_CA_PEM)?;
                    cache = cache
                        .root_ca_pem(&pem)
                        .map_err(|e| CliError::msg(e.to_string()))?;
                }
                Ok(b.replay_cache(Arc::new(cache)))
            }
        }
    }
}

/// Reads at most `max` bytes of `path`, refusing a longer file.
#[cfg(feature = "redis")]
fn read_capped(path: &std::path::Path, max: usize) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::msg(format!("replay cache CA file {}: {e}", path.display())))?;
    let mut pem = Vec::new();
    file.take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut pem)
        .map_err(|e| CliError::msg(format!("replay cache CA file {}: {e}", path.display())))?;
    if pem.len() > max {
        return Err(CliError::msg(format!(
            "replay cache CA file {} is over {max} bytes; give the CA certificates only",
            path.display()
        )));
    }
    Ok(pem)
}

/// Parses `--replay-cache`.
pub(crate) fn parse_replay_cache(s: &str) -> Result<ReplayCacheSpec, String> {
    if s == "memory" {
        return Ok(ReplayCacheSpec::Memory);
    }
    if let Some(path) = s.strip_prefix("file:").or_else(|| s.strip_prefix("file2:")) {
        if path.is_empty() {
            return Err("file: needs a path, e.g. file:/var/tmp/krb5_0.rcache2".into());
        }
        return Ok(ReplayCacheSpec::File(PathBuf::from(path)));
    }
    #[cfg(feature = "redis")]
    if s.starts_with("redis://") || s.starts_with("rediss://") {
        return Ok(ReplayCacheSpec::Redis(s.to_owned()));
    }
    if s.starts_with("redis://") || s.starts_with("rediss://") {
        return Err(
            "this kerbgate build has no Redis replay cache (build with --features redis); \
             use memory or file:PATH"
                .into(),
        );
    }
    Err(format!(
        "unknown replay cache {s:?}: expected memory, file:PATH or redis://HOST:PORT"
    ))
}
