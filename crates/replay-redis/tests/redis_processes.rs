//! Two kerbgate acceptor processes share a real redis-server (started by the test on
//! 127.0.0.1 at a free port): a token accepted by this process is refused by a second
//! process (this test binary run again) with KRB_AP_ERR_REPEAT, and a token the
//! second accepts first is refused here.
//!
//! Live-test policy: without redis-server the test fails when `CI` is set and
//! otherwise prints `skipped: <reason>`.

#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use std::process::Command;
use std::sync::Arc;

use kerbgate::{Acceptor, FixedClock};
use kerbgate_replay_redis::RedisReplayCache;
use kerbgate_testkit::{
    ApReqBuilder, Rng, Scenario, FIXED_TIME, SCENARIO_CLIENT, SCENARIO_SERVICE,
};

/// The scenario's acceptor at its "now", with the Redis cache at `url`.
fn acceptor(url: &str) -> Acceptor {
    let s = Scenario::new().unwrap();
    Acceptor::builder()
        .keytab(&s.kdc.keytab())
        .clock(Arc::new(FixedClock::at(FIXED_TIME.0 + 60)))
        .replay_cache(Arc::new(RedisReplayCache::open(url).unwrap()))
        .build()
        .unwrap()
}

/// The `i`th distinct token for the scenario's client and service.
fn token(i: u64) -> Vec<u8> {
    let s = Scenario::new().unwrap();
    let mut kdc = s.kdc.clone();
    let t = kdc
        .ticket(SCENARIO_CLIENT, SCENARIO_SERVICE)
        .unwrap()
        .rng(Rng::seeded(7))
        .build()
        .unwrap();
    ApReqBuilder::new(&t)
        .rng(Rng::seeded(100 + i))
        .build()
        .unwrap()
        .gss_token()
}

/// Verdict of this process's acceptor: "accepted" or the error's code name.
fn verdict(acc: &Acceptor, token: &[u8]) -> String {
    match acc.accept(token) {
        Ok(_) => "accepted".to_owned(),
        Err(r) => r.error.code_name(),
    }
}

/// The second process: accepts token number `KERBGATE_REDIS_CHILD_TOKEN` through the
/// Redis at `KERBGATE_REDIS_CHILD_URL` and prints the verdict. Idle unless started so.
#[test]
fn child_process_accepts() {
    let (Ok(url), Ok(i)) = (
        std::env::var("KERBGATE_REDIS_CHILD_URL"),
        std::env::var("KERBGATE_REDIS_CHILD_TOKEN"),
    ) else {
        return;
    };
    let acc = acceptor(&url);
    println!("VERDICT {}", verdict(&acc, &token(i.parse().unwrap())));
}

fn in_child(url: &str, i: u64) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_accepts",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KERBGATE_REDIS_CHILD_URL", url)
        .env("KERBGATE_REDIS_CHILD_TOKEN", i.to_string())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find_map(|l| {
            l.split_once("VERDICT ")
                .and_then(|(_, v)| v.split_whitespace().next())
        })
        .unwrap_or_else(|| panic!("child printed no verdict: {text}"))
        .to_owned()
}

#[test]
fn two_processes_sharing_redis_refuse_each_others_tokens() {
    let Some(redis) = support::start() else {
        return;
    };
    let url = redis.url(0);
    let acc = acceptor(&url);

    // Here first, then the other process.
    assert_eq!(verdict(&acc, &token(1)), "accepted");
    assert_eq!(in_child(&url, 1), "KRB_AP_ERR_REPEAT");

    // The other process first, then here.
    assert_eq!(in_child(&url, 2), "accepted");
    assert_eq!(verdict(&acc, &token(2)), "KRB_AP_ERR_REPEAT");
}
