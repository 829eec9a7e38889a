//! Password and TLS against a real redis-server started by the test on 127.0.0.1:
//! `redis://:PASSWORD@...` and `USER:PASSWORD@` authenticate, a wrong password fails
//! closed; with the `tls` feature, `rediss://` reaches a `--tls-port` server whose
//! certificate (for IP 127.0.0.1) a throwaway CA signed, made here with the openssl
//! command-line tool; the same server is refused without that CA.
//!
//! Live-test policy: without redis-server (or openssl, for TLS) the test fails when
//! `CI` is set and otherwise prints `skipped: <reason>`.

#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use kerbgate::{Principal, ReplayCache, ReplayRecord, ReplayVerdict, Timestamp};
use kerbgate_replay_redis::RedisReplayCache;

const NOW: i64 = 1_700_000_000;

/// Checks `tag` twice: fresh, then replay (or the first error).
fn fresh_then_replay(cache: &RedisReplayCache, tag: &[u8]) -> Result<(), String> {
    let (srv, cli) = (
        Principal::parse("imap/h@R").unwrap(),
        Principal::parse("a@R").unwrap(),
    );
    let now = Timestamp::from_secs(NOW);
    let rec = ReplayRecord::new(&srv, &cli, now, 18, tag);
    let first = cache
        .check_and_insert(&rec, now, 300)
        .map_err(|e| e.to_string())?;
    let second = cache
        .check_and_insert(&rec, now, 300)
        .map_err(|e| e.to_string())?;
    assert_eq!(
        (first, second),
        (ReplayVerdict::Fresh, ReplayVerdict::Replay)
    );
    Ok(())
}

#[test]
fn password_in_the_url_authenticates_and_a_wrong_one_fails_closed() {
    let Some(redis) = support::start_with(&["--requirepass", "s3cret pass"], false) else {
        return;
    };
    let p = redis.port();
    let ok = RedisReplayCache::open(&format!("redis://:s3cret%20pass@127.0.0.1:{p}/0")).unwrap();
    fresh_then_replay(&ok, b"tag-password-only-1").unwrap();
    let user =
        RedisReplayCache::open(&format!("redis://default:s3cret%20pass@127.0.0.1:{p}/1")).unwrap();
    fresh_then_replay(&user, b"tag-user-and-pass-2").unwrap();

    let bad = RedisReplayCache::open(&format!("redis://:wrong@127.0.0.1:{p}/0")).unwrap();
    let err = fresh_then_replay(&bad, b"tag-wrong-password-3").unwrap_err();
    assert!(
        err.starts_with("replay cache unavailable: redis at redis://127.0.0.1:"),
        "{err}"
    );
    assert!(!err.contains("wrong"), "password in the error: {err}");
    let none = RedisReplayCache::open(&format!("redis://127.0.0.1:{p}/0")).unwrap();
    let err = fresh_then_replay(&none, b"tag-no-password-4").unwrap_err();
    assert!(err.starts_with("replay cache unavailable"), "{err}");
    eprintln!("no password: {err}");
}

#[cfg(feature = "tls")]
mod tls {
    use super::*;
    use std::path::Path;
    use std::process::Command;
    use support::RedisServer;

    /// A CA and a server certificate for IP 127.0.0.1 in `dir`; false if openssl fails.
    fn make_certs(dir: &Path) -> bool {
        let run = |args: &[&str]| {
            Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        run(&[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.crt"],
            &["-days", "2", "-subj", "/CN=kerbgate test CA"],
        ]
        .concat())
            && run(&[
                &["req"][..],
                &ec,
                &["-keyout", "server.key", "-out", "server.csr"],
                &["-subj", "/CN=127.0.0.1"],
            ]
            .concat())
            && run(&[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ])
    }

    fn tls_server() -> Option<(RedisServer, Vec<u8>)> {
        let dir = std::env::temp_dir().join(format!("kerbgate-redis-certs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        if !make_certs(&dir) {
            return support::skip("openssl could not make the test certificates");
        }
        let f = |n: &str| dir.join(n).display().to_string();
        let (crt, key, ca) = (f("server.crt"), f("server.key"), f("ca.crt"));
        let redis = support::start_with(
            &[
                "--tls-cert-file",
                &crt,
                "--tls-key-file",
                &key,
                "--tls-ca-cert-file",
                &ca,
                "--tls-auth-clients",
                "no",
                "--requirepass",
                "tls-pass",
            ],
            true,
        )?;
        let pem = std::fs::read(dir.join("ca.crt")).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        Some((redis, pem))
    }

    #[test]
    fn rediss_with_the_test_ca_and_password_works_and_fails_without_the_ca() {
        let Some((redis, ca)) = tls_server() else {
            return;
        };
        let url = format!("rediss://:tls-pass@127.0.0.1:{}/0", redis.port());

        let cache = RedisReplayCache::open(&url)
            .unwrap()
            .root_ca_pem(&ca)
            .unwrap();
        fresh_then_replay(&cache, b"tag-over-tls-0001").unwrap();

        // The system roots do not include the throwaway CA.
        let untrusted = RedisReplayCache::open(&url).unwrap();
        let err = fresh_then_replay(&untrusted, b"tag-untrusted-002").unwrap_err();
        assert!(
            err.starts_with("replay cache unavailable: redis at rediss://127.0.0.1:"),
            "{err}"
        );
        eprintln!("without the CA: {err}");

        // Plain text to the TLS port is no way around it.
        let plain =
            RedisReplayCache::open(&format!("redis://:tls-pass@127.0.0.1:{}/0", redis.port()))
                .unwrap()
                .timeout(std::time::Duration::from_millis(500));
        assert!(fresh_then_replay(&plain, b"tag-plain-to-tls3").is_err());
    }
}
