//! Replay caches shared between `kerbgate` processes (RFC 4120 section 3.2.3): a token
//! accepted by one `kerbgate accept` is refused by the next with KRB_AP_ERR_REPEAT,
//! through a shared MIT file2 cache file, and (built with the `redis` feature) through
//! a real redis-server started here on 127.0.0.1. With Redis stopped and restarted
//! under a running `kerbgate pipe`, both `--replay-cache-fallback` choices behave as
//! documented and no token is accepted twice.
//!
//! Live-test policy: without redis-server the Redis tests fail when `CI` is set and
//! otherwise print `skipped: <reason>`.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::process::Command;

use kerbgate_testkit::{
    ApReqBuilder, Rng, Scenario, FIXED_TIME, SCENARIO_CLIENT, SCENARIO_SERVICE,
};
use serde_json::Value;

/// A temp directory holding the scenario's keytab; removed on drop.
struct Setup {
    dir: PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Setup {
    fn new(label: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("kerbgate-rc-cli-{}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scenario::new()
            .unwrap()
            .kdc
            .keytab()
            .save(dir.join("keytab"))
            .unwrap();
        Setup { dir }
    }

    /// The acceptor options every process here shares.
    fn opts(&self, cache: &str) -> Vec<String> {
        vec![
            "--keytab".into(),
            self.dir.join("keytab").display().to_string(),
            "--now".into(),
            (FIXED_TIME.0 + 60).to_string(),
            "--replay-cache".into(),
            cache.into(),
        ]
    }
}

/// The `i`th distinct token for the scenario's client and service, hex.
fn token(i: u64) -> String {
    let s = Scenario::new().unwrap();
    let mut kdc = s.kdc.clone();
    let t = kdc
        .ticket(SCENARIO_CLIENT, SCENARIO_SERVICE)
        .unwrap()
        .rng(Rng::seeded(7))
        .build()
        .unwrap();
    hex::encode(
        ApReqBuilder::new(&t)
            .rng(Rng::seeded(100 + i))
            .build()
            .unwrap()
            .gss_token(),
    )
}

/// `kerbgate accept --json` in a new process: one verdict a token ("accepted" or the
/// error's name).
fn accept(setup: &Setup, cache: &str, tokens: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_kerbgate"))
        .arg("accept")
        .args(setup.opts(cache))
        .arg("--json")
        .args(tokens)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let verdicts: Vec<String> = text.lines().map(verdict).collect();
    assert_eq!(
        verdicts.len(),
        tokens.len(),
        "stdout {text} stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    verdicts
}

/// "accepted", or the error name of a refusal line.
fn verdict(line: &str) -> String {
    let v: Value = serde_json::from_str(line).unwrap();
    if v["ok"] == true {
        "accepted".into()
    } else {
        v["error"].as_str().unwrap().to_owned()
    }
}

/// Both orders: the first process accepts, the second refuses.
fn first_accepts_second_refuses(setup: &Setup, cache: &str) {
    let (t1, t2) = (token(1), token(2));
    assert_eq!(accept(setup, cache, &[&t1]), ["accepted"]);
    assert_eq!(accept(setup, cache, &[&t1]), ["KRB_AP_ERR_REPEAT"]);
    assert_eq!(
        accept(setup, cache, &[&t2, &t1]),
        ["accepted", "KRB_AP_ERR_REPEAT"]
    );
    assert_eq!(accept(setup, cache, &[&t2]), ["KRB_AP_ERR_REPEAT"]);
}

#[test]
fn two_accept_processes_sharing_a_file_cache_refuse_each_others_tokens() {
    let setup = Setup::new("file");
    let cache = format!("file:{}", setup.dir.join("krb5.rcache2").display());
    first_accepts_second_refuses(&setup, &cache);
}

#[cfg(feature = "redis")]
mod redis {
    use super::*;
    use kerbgate_interop::RedisServer;
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Child, ChildStdin, ChildStdout, Stdio};
    use std::time::Duration;

    /// A redis-server on 127.0.0.1 that keeps what it held across a restart
    /// (append-only file, fsync always), under the live-test policy.
    fn start_redis() -> Option<RedisServer> {
        kerbgate_interop::live(RedisServer::start_with(
            &["--appendonly", "yes", "--appendfsync", "always"],
            false,
        ))
    }

    #[test]
    fn two_accept_processes_sharing_redis_refuse_each_others_tokens() {
        let setup = Setup::new("redis");
        let Some(redis) = start_redis() else {
            return;
        };
        first_accepts_second_refuses(&setup, &redis.url(0));
    }

    /// A running `kerbgate pipe`.
    struct Pipe {
        child: Child,
        stdin: ChildStdin,
        stdout: BufReader<ChildStdout>,
    }

    impl Drop for Pipe {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    impl Pipe {
        fn start(setup: &Setup, cache: &str, fallback: &str) -> Self {
            let mut child = Command::new(env!("CARGO_BIN_EXE_kerbgate"))
                .arg("pipe")
                .args(setup.opts(cache))
                .args(["--replay-cache-fallback", fallback])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let stdin = child.stdin.take().unwrap();
            let stdout = BufReader::new(child.stdout.take().unwrap());
            Pipe {
                child,
                stdin,
                stdout,
            }
        }

        /// Accepts `token`: "accepted", the error's name, or "unavailable" when the
        /// message says the replay cache is unavailable.
        fn accept(&mut self, token: &str) -> String {
            writeln!(self.stdin, "{{\"op\":\"accept\",\"token\":\"{token}\"}}").unwrap();
            self.stdin.flush().unwrap();
            let mut line = String::new();
            self.stdout.read_line(&mut line).unwrap();
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["message"]
                .as_str()
                .is_some_and(|m| m.contains("replay cache unavailable"))
            {
                return "unavailable".into();
            }
            verdict(&line)
        }
    }

    /// Redis stops and restarts under a running pipe; `expect` lists the pipe's
    /// verdicts for tokens 1, 2 (Redis down), 1, 2 (down), 2 (back), 3 (back).
    fn restart_mid_run(fallback: &str, expect: [&str; 6]) {
        let setup = Setup::new(fallback);
        let Some(mut redis) = start_redis() else {
            return;
        };
        let cache = redis.url(0);
        let (t1, t2, t3) = (token(1), token(2), token(3));
        let mut pipe = Pipe::start(&setup, &cache, fallback);
        let mut got = vec![pipe.accept(&t1)];

        redis.stop();
        got.push(pipe.accept(&t2));
        got.push(pipe.accept(&t1));
        got.push(pipe.accept(&t2));

        redis.restart().unwrap();
        // Past the cache's 200 ms pause after a failed connection.
        std::thread::sleep(Duration::from_millis(300));
        got.push(pipe.accept(&t2));
        got.push(pipe.accept(&t3));
        assert_eq!(got, expect, "{fallback}");

        // Another process after the restart refuses all three: Redis kept token 1
        // (persistence) and learnt the others, including one the pipe accepted from
        // its local cache while Redis was down.
        let later = accept(&setup, &cache, &[&t1, &t2, &t3]);
        assert_eq!(later, ["KRB_AP_ERR_REPEAT"; 3], "{fallback}");
        let accepted = got.iter().filter(|v| *v == "accepted").count();
        assert_eq!(accepted, 3, "each of the 3 tokens accepted once: {got:?}");
    }

    #[test]
    fn redis_restart_mid_run_fail_closed_refuses_while_down_and_accepts_nothing_twice() {
        restart_mid_run(
            "fail-closed",
            [
                "accepted",
                "unavailable",
                "unavailable",
                "unavailable",
                "accepted",
                "accepted",
            ],
        );
    }

    #[test]
    fn redis_restart_mid_run_local_fallback_answers_while_down_and_accepts_nothing_twice() {
        restart_mid_run(
            "local",
            [
                "accepted",
                "accepted",
                "KRB_AP_ERR_REPEAT",
                "KRB_AP_ERR_REPEAT",
                "KRB_AP_ERR_REPEAT",
                "accepted",
            ],
        );
    }
}
