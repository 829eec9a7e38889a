//! A throwaway `redis-server` (Debian's redis-server package) on 127.0.0.1 at a free
//! port, in a private temporary directory, for the replay-cache tests.
//!
//! The server counts as started only when its own log says it is ready and it still
//! runs: a port that another process took between the free-port check and the
//! server's bind makes Redis exit, and then the next port is tried, so a test never
//! talks to a stranger that happens to listen there (ports come from below the
//! kernel's ephemeral range, which makes that rare to begin with). The log
//! (`redis.log` and `redis.out` in [`RedisServer::dir`]) is printed when a test
//! panics while the server is alive, and
//! [`RedisServer::check_running`] turns a server that died mid-test into an error
//! carrying the log's end.

use std::ffi::OsString;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{io, HarnessError};
use crate::setup::{make_temp_dir_named, on_free_port};
use crate::tools;

/// How long Redis may take to log that it is ready.
const START_LIMIT: Duration = Duration::from_secs(15);
/// Ports tried before giving up when the chosen one was taken meanwhile.
const PORT_ATTEMPTS: usize = 5;
/// What Redis 5 to 7 write to their log once they listen.
const READY: &str = "Ready to accept connections";

/// A running redis-server, killed and its directory removed on drop (kept when
/// `KERBGATE_KEEP_REALM` is set).
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    extra: Vec<OsString>,
    tls: bool,
}

impl RedisServer {
    /// A plain server without persistence.
    ///
    /// # Errors
    /// See [`RedisServer::start_with`].
    pub fn start() -> Result<Self, HarnessError> {
        Self::start_with(&[], false)
    }

    /// A server given `extra` command-line arguments (`--requirepass`, `--appendonly`
    /// ...). With `tls` the port is Redis's `--tls-port` and its plain port is off;
    /// `extra` then names the certificate files.
    ///
    /// # Errors
    /// [`HarnessError::ToolMissing`] without redis-server;
    /// [`HarnessError::ServerStartFailed`] when it does not come up on any of five
    /// ports (the error carries its log's end); I/O errors making its directory.
    pub fn start_with(extra: &[&str], tls: bool) -> Result<Self, HarnessError> {
        let dir = make_temp_dir_named("redis")?;
        let mut server = RedisServer {
            child: None,
            port: 0,
            dir,
            extra: extra.iter().map(OsString::from).collect(),
            tls,
        };
        on_free_port(PORT_ATTEMPTS, |port| {
            server.port = port;
            server.launch()
        })?;
        Ok(server)
    }

    /// The port it listens on (the TLS port when started with TLS).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/<db>`, or `rediss://` for a TLS server.
    #[must_use]
    pub fn url(&self, db: u32) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}/{db}", self.port)
    }

    /// Its working directory (log, append-only files).
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its whole log so far (every start, restarts included), after anything it
    /// printed to standard output and error (configuration errors go only there).
    #[must_use]
    pub fn log(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        format!("{}{}", read("redis.out"), read("redis.log"))
    }

    /// Ok while the server process runs.
    ///
    /// # Errors
    /// [`HarnessError::ServerExited`] saying how it ended (or that it was stopped),
    /// with the end of its log.
    pub fn check_running(&mut self) -> Result<(), HarnessError> {
        let reason = match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => return Ok(()),
            None => "stopped by the test".to_owned(),
            Some(Ok(Some(status))) => format!("redis-server exited during the test: {status}"),
            Some(Err(e)) => format!("waiting for redis-server: {e}"),
        };
        Err(HarnessError::ServerExited {
            server: "redis-server",
            reason,
            log_tail: tools::tail(&self.log(), 2000),
        })
    }

    /// Kills the server (SIGKILL: nothing is flushed beyond what its fsync policy
    /// already wrote).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills it and starts it again with the same arguments, port and directory.
    ///
    /// # Errors
    /// As [`RedisServer::start_with`], for this one port.
    pub fn restart(&mut self) -> Result<(), HarnessError> {
        self.stop();
        self.launch()
    }

    fn launch(&mut self) -> Result<(), HarnessError> {
        let log = self.dir.join("redis.log");
        // Configuration errors go to standard error only, never to the log.
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("redis.out"))
            .map_err(io("creating redis.out"))?;
        let err = out.try_clone().map_err(io("creating redis.out"))?;
        // Only what this start writes counts as its readiness.
        let from = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        let port = self.port.to_string();
        let mut cmd = Command::new("redis-server");
        cmd.args(["--bind", "127.0.0.1"]);
        if self.tls {
            cmd.args(["--port", "0", "--tls-port", &port]);
        } else {
            cmd.args(["--port", &port]);
        }
        cmd.arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(&log)
            .args(["--save", "", "--daemonize", "no"])
            .args(&self.extra)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(HarnessError::ToolMissing {
                    tool: "redis-server",
                    package: "redis-server",
                })
            }
            Err(e) => return Err(io("starting redis-server")(e)),
        };
        let started = Instant::now();
        loop {
            let ready = std::fs::read(&log)
                .ok()
                .and_then(|all| {
                    all.get(usize::try_from(from).unwrap_or(0)..)
                        .map(<[u8]>::to_vec)
                })
                .is_some_and(|new| String::from_utf8_lossy(&new).contains(READY));
            match child.try_wait() {
                Ok(None) => {}
                Ok(Some(status)) => {
                    return Err(self.failure(format!(
                        "redis-server exited while starting on 127.0.0.1:{port}: {status}"
                    )))
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(self.failure(format!("waiting for redis-server: {e}")));
                }
            }
            if ready && TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                self.child = Some(child);
                return Ok(());
            }
            if started.elapsed() > START_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(self.failure(format!(
                    "not ready on 127.0.0.1:{port} within {} s",
                    START_LIMIT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn failure(&self, reason: String) -> HarnessError {
        HarnessError::ServerStartFailed {
            server: "redis-server",
            reason,
            log_tail: tools::tail(&self.log(), 2000),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "redis-server on 127.0.0.1:{} ({}), end of its log:\n{}",
                self.port,
                match self.child.as_mut().map(Child::try_wait) {
                    Some(Ok(None)) => "still running".to_owned(),
                    Some(Ok(Some(status))) => format!("exited: {status}"),
                    _ => "stopped".to_owned(),
                },
                tools::tail(&self.log(), 2000)
            );
        }
        self.stop();
        if std::env::var_os("KERBGATE_KEEP_REALM").is_some() {
            eprintln!("kept redis directory {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
