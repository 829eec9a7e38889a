//! The throwaway redis-server harness itself: it answers PING once started, keeps its
//! port across a restart, and reports a stopped server as not running.
//!
//! Live-test policy: without redis-server the test fails when `CI` is set and
//! otherwise prints `skipped: <reason>`.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use kerbgate_interop::{live, HarnessError, RedisServer};

fn ping(port: u16) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn started_restarted_and_stopped_redis_reports_its_state() {
    let Some(mut redis) = live(RedisServer::start()) else {
        return;
    };
    let port = redis.port();
    assert_eq!(redis.url(3), format!("redis://127.0.0.1:{port}/3"));
    assert_eq!(ping(port), "+PONG\r\n");
    redis.check_running().unwrap();

    redis.restart().unwrap();
    assert_eq!(redis.port(), port);
    assert_eq!(ping(port), "+PONG\r\n");
    assert_eq!(
        redis.log().matches("Ready to accept connections").count(),
        2
    );

    redis.stop();
    match redis.check_running() {
        Err(HarnessError::ServerExited { reason, .. }) => {
            assert!(reason.contains("stopped"), "{reason}");
        }
        other => panic!("expected ServerExited, got {other:?}"),
    }
}

#[test]
fn two_servers_at_once_get_different_ports_and_directories() {
    let (Some(a), Some(b)) = (live(RedisServer::start()), live(RedisServer::start())) else {
        return;
    };
    assert_ne!(a.port(), b.port());
    assert_ne!(a.dir(), b.dir());
    let dir = a.dir().to_path_buf();
    drop(a);
    assert!(!dir.exists(), "directory removed on drop");
    assert_eq!(ping(b.port()), "+PONG\r\n");
}

#[test]
fn a_bad_option_fails_with_redis_own_words() {
    match RedisServer::start_with(&["--no-such-directive", "1"], false) {
        Err(HarnessError::ToolMissing { .. }) => {
            let _ = live(RedisServer::start());
        }
        Err(e @ HarnessError::ServerStartFailed { .. }) => {
            // Redis says this on standard error only, which the harness keeps.
            assert!(e.to_string().contains("no-such-directive"), "{e}");
        }
        other => panic!("expected a start failure, got {other:?}"),
    }
}
