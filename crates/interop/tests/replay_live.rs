//! kerbgate and MIT's acceptor (python3-gssapi, `KRB5RCACHENAME=file2:PATH`) share one
//! replay cache file: a token accepted by either is refused by the other as a replay
//! (RFC 4120 3.2.3, KRB_AP_ERR_REPEAT), in either order, for enctypes whose checksum is
//! 12 octets (aes256-sha1) and longer (aes256-sha384, cut to the file's 12-octet tag).
//! A control MIT acceptor on a different file accepts the same tokens, so the refusal
//! comes from the shared file.
//!
//! Live-test policy: without MIT tools the test fails when `CI` is set and otherwise
//! prints `skipped: <reason>`. Each enctype starts its own realm.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests may unwrap; helpers are not #[test] fns"
)]

mod common;

use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use common::{realm_with_service, TARGET};
use kerbgate::replay_file::FileReplayCache;
use kerbgate::Acceptor;
use kerbgate_interop::{live, Driver, GssFlag, HarnessError, InitRequest, Initiator, MitRealm};
use kerbgate_keytab::Keytab;
use serde_json::json;

/// An MIT acceptor whose replay cache is the file2 cache at `rcache`.
fn mit_acceptor(realm: &MitRealm, keytab: &Path, rcache: &Path) -> Option<Driver> {
    let mut kt = OsString::from("FILE:");
    kt.push(keytab);
    let mut rc = OsString::from("file2:");
    rc.push(rcache);
    live(Driver::spawn(
        realm,
        &[("KRB5_KTNAME", kt), ("KRB5RCACHENAME", rc)],
    ))
}

/// MIT's verdict on `token` in a fresh acceptor process (the driver keeps one context
/// per process) using the file2 cache at `rcache`: `Ok(())` accepted, `Err(message)`
/// refused.
fn mit_accept(realm: &MitRealm, keytab: &Path, rcache: &Path, token: &[u8]) -> Result<(), String> {
    let Some(mut mit) = mit_acceptor(realm, keytab, rcache) else {
        panic!("mit acceptor vanished after the first start");
    };
    match mit.call(&json!({"op": "accept", "token": hex::encode(token)})) {
        Ok(_) => Ok(()),
        Err(HarnessError::Gss { message, .. }) => Err(message),
        Err(e) => panic!("mit driver: {e}"),
    }
}

/// A fresh AP-REQ from MIT's initiator (no mutual authentication: one token).
fn mit_token(realm: &MitRealm, ccache: &Path) -> Option<Vec<u8>> {
    let mut init = live(Initiator::spawn(realm, ccache))?;
    let req = InitRequest::new(TARGET).flags(&[GssFlag::Integ]);
    Some(init.init(&req).unwrap().token.unwrap())
}

fn shared_file_with_mit(enctype: &str) {
    let started = Instant::now();
    let Some((realm, ccache, keytab)) = realm_with_service(&[enctype]) else {
        return;
    };
    let shared = realm.dir().join("shared.rcache2");
    let control = realm.dir().join("control.rcache2");
    let cache = Arc::new(FileReplayCache::open(&shared).unwrap());
    let kt = Keytab::load(&keytab).unwrap();
    let ours = Acceptor::builder()
        .keytab(&kt)
        .replay_cache(cache)
        .build()
        .unwrap();
    // Skip (or fail under CI) here if python3-gssapi is missing.
    if mit_acceptor(&realm, &keytab, &control).is_none() {
        return;
    }
    let mit = |token: &[u8]| mit_accept(&realm, &keytab, &shared, token);
    let mit_control = |token: &[u8]| mit_accept(&realm, &keytab, &control, token);

    for round in 0..3 {
        // kerbgate first, then MIT.
        let Some(token) = mit_token(&realm, &ccache) else {
            return;
        };
        ours.accept(&token)
            .unwrap_or_else(|r| panic!("{enctype} round {round}: kerbgate: {}", r.error));
        let said = mit(&token)
            .err()
            .unwrap_or_else(|| panic!("{enctype} round {round}: mit accepted a replay"));
        assert!(said.contains("replay"), "{enctype} round {round}: {said}");
        mit_control(&token).unwrap_or_else(|e| panic!("{enctype} round {round}: control: {e}"));

        // MIT first, then kerbgate.
        let Some(token) = mit_token(&realm, &ccache) else {
            return;
        };
        mit(&token).unwrap_or_else(|e| panic!("{enctype} round {round}: mit: {e}"));
        let refused = ours.accept(&token).err().unwrap_or_else(|| {
            panic!("{enctype} round {round}: kerbgate accepted MIT's recorded token")
        });
        assert_eq!(
            refused.error.code_name(),
            "KRB_AP_ERR_REPEAT",
            "{enctype} round {round}: {}",
            refused.error
        );
        mit(&token)
            .err()
            .unwrap_or_else(|| panic!("{enctype} round {round}: mit accepted its own replay"));
    }
    eprintln!(
        "{enctype}: shared file2 cache with MIT ok in {} ms",
        started.elapsed().as_millis()
    );
}

#[test]
fn kerbgate_and_mit_share_a_file2_cache_aes256_sha1() {
    shared_file_with_mit("aes256-cts-hmac-sha1-96");
}

#[test]
fn kerbgate_and_mit_share_a_file2_cache_aes256_sha384() {
    shared_file_with_mit("aes256-cts-hmac-sha384-192");
}
