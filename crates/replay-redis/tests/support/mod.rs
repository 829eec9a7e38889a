//! A throwaway redis-server (Debian's package) on 127.0.0.1 at a free port, in a temp
//! directory, for the live tests.
//!
//! Live-test policy: when redis-server cannot start, `start` panics if `CI` is set and
//! otherwise prints `skipped: <reason>` and returns `None`.

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running redis-server; stopped and its directory removed on drop.
pub(crate) struct RedisServer {
    child: Option<Child>,
    /// The port it listens on (the TLS port when started with TLS).
    pub(crate) port: u16,
    /// Its working directory (AOF files, certificates).
    pub(crate) dir: PathBuf,
    args: Vec<String>,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A free TCP port on 127.0.0.1 (free a moment ago).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Fails the test under CI, else reports a skip.
pub(crate) fn skip<T>(why: &str) -> Option<T> {
    if std::env::var_os("CI").is_some() {
        panic!("redis-server unavailable with CI set: {why}");
    }
    eprintln!("skipped: {why}");
    None
}

impl RedisServer {
    /// A plain server, no persistence.
    pub(crate) fn start() -> Option<Self> {
        Self::start_with(&[], false)
    }

    /// A server with `extra` arguments; with `tls` the port given is `--tls-port` and
    /// the plain port is off (the caller's `extra` names the certificate files).
    pub(crate) fn start_with(extra: &[&str], tls: bool) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!(
            "kerbgate-redis-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let mut args: Vec<String> = vec!["--bind".into(), "127.0.0.1".into()];
        if tls {
            args.extend(["--port".into(), "0".into(), "--tls-port".into()]);
        } else {
            args.push("--port".into());
        }
        args.push(port.to_string());
        args.extend(["--dir".into(), dir.display().to_string()]);
        args.extend(["--save".into(), String::new()]);
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let mut server = RedisServer {
            child: None,
            port,
            dir,
            args,
        };
        server
            .launch()
            .then_some(server)
            .or_else(|| skip("redis-server did not start"))
    }

    fn launch(&mut self) -> bool {
        let child = match Command::new("redis-server")
            .args(&self.args)
            .current_dir(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                eprintln!("cannot start redis-server: {e}");
                return false;
            }
        };
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                eprintln!("redis-server did not listen on 127.0.0.1:{}", self.port);
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// Stops the server (SIGKILL).
    pub(crate) fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again with the same arguments, port and directory.
    pub(crate) fn restart(&mut self) {
        self.stop();
        assert!(self.launch(), "redis-server did not restart");
    }
}
