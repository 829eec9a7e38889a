//! `kerbgate doctor --keytab K` without tokens: each keytab finding, on keytabs the
//! test builds, and KRB5_KTNAME as the default keytab.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{captures, code, json_lines, kerbgate};
use kerbgate_keytab::{KeyBytes, Keytab, KeytabEntry, Principal};
use serde_json::Value;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kerbgate-doctor-kt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn entry(principal: &str, kvno: u32, enctype: i32, byte: u8, len: usize) -> KeytabEntry {
    KeytabEntry::new(
        Principal::parse(principal).unwrap(),
        kvno,
        0,
        KeyBytes::new(enctype, &vec![byte; len]),
    )
}

fn save(name: &str, entries: Vec<KeytabEntry>) -> PathBuf {
    let kt: Keytab = entries.into_iter().collect();
    let path = tmp(name);
    kt.save(&path).unwrap();
    path
}

fn check(path: &Path) -> (i32, Value) {
    let out = kerbgate(
        &["doctor", "--json", "--keytab", path.to_str().unwrap()],
        "",
    );
    let mut lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    (code(&out), lines.remove(0))
}

fn with_check<'a>(v: &'a Value, check: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

const SVC: &str = "imap/mail.example.com@EXAMPLE.COM";

#[test]
fn a_clean_keytab_has_only_information() {
    let path = captures().join("imap-two-kvnos.keytab");
    let copy = tmp("clean.keytab");
    std::fs::copy(&path, &copy).unwrap();
    set_mode(&copy, 0o600);
    let (rc, v) = check(&copy);
    assert_eq!(rc, 0, "{v}");
    assert_eq!(v["ok"], true);
    assert_eq!(v["warnings"], 0);
    let several = with_check(&v, "several-kvnos");
    assert!(several[0]["message"]
        .as_str()
        .unwrap()
        .contains("kvno 1, 2"));
    assert!(with_check(&v, "kvno-gap").is_empty());
}

#[test]
fn weak_enctypes_are_warned_about() {
    let path = save(
        "weak.keytab",
        vec![
            entry(SVC, 1, 23, 1, 16),
            entry(SVC, 1, 18, 2, 32),
            entry(SVC, 1, 16, 3, 24),
        ],
    );
    let (rc, v) = check(&path);
    assert_eq!(rc, 0, "{v}");
    let weak = with_check(&v, "weak-enctype");
    assert_eq!(weak.len(), 2, "{v}");
    assert!(weak[0]["message"]
        .as_str()
        .unwrap()
        .contains("arcfour-hmac"));
    assert!(weak[0]["message"].as_str().unwrap().contains("RFC 8429"));
    assert_eq!(weak[0]["severity"], "warning");
}

#[test]
fn unusable_enctypes_warn_and_all_unusable_is_an_error() {
    let path = save(
        "des.keytab",
        vec![entry(SVC, 1, 3, 1, 8), entry(SVC, 1, 9999, 1, 16)],
    );
    let (rc, v) = check(&path);
    assert_eq!(rc, 1, "{v}");
    let unusable = with_check(&v, "unusable-enctype");
    assert_eq!(unusable.len(), 3, "{v}");
    assert!(unusable.iter().any(|f| f["severity"] == "error"));
    assert!(unusable[0]["message"]
        .as_str()
        .unwrap()
        .contains("cannot use"));
}

#[test]
fn duplicates_with_same_and_different_keys() {
    let path = save(
        "dup.keytab",
        vec![
            entry(SVC, 2, 18, 7, 32),
            entry(SVC, 2, 18, 7, 32),
            entry(SVC, 2, 17, 1, 16),
            entry(SVC, 2, 17, 2, 16),
        ],
    );
    let (rc, v) = check(&path);
    assert_eq!(rc, 0, "{v}");
    let dup = with_check(&v, "duplicate-entry");
    assert_eq!(dup.len(), 2, "{v}");
    let text: Vec<&str> = dup.iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(
        text.iter().any(|m| m.contains("with the same key")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|m| m.contains("with different keys")),
        "{text:?}"
    );
}

#[test]
fn kvno_gaps_are_named() {
    let path = save(
        "gap.keytab",
        vec![entry(SVC, 1, 18, 1, 32), entry(SVC, 4, 18, 2, 32)],
    );
    let (_, v) = check(&path);
    let gap = with_check(&v, "kvno-gap");
    let m = gap[0]["message"].as_str().unwrap();
    assert!(m.contains("kvno 1 to 4 but not 2, 3"), "{m}");
}

#[test]
fn an_empty_keytab_is_an_error() {
    let path = save("empty.keytab", Vec::new());
    let (rc, v) = check(&path);
    assert_eq!(rc, 1, "{v}");
    assert_eq!(with_check(&v, "keytab-empty")[0]["severity"], "error");
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn readable_by_others_is_an_error_by_group_a_warning() {
    let path = save("perm.keytab", vec![entry(SVC, 1, 18, 1, 32)]);
    set_mode(&path, 0o644);
    let (rc, v) = check(&path);
    assert_eq!(rc, 1, "{v}");
    let f = with_check(&v, "keytab-permissions");
    assert_eq!(f[0]["severity"], "error");
    assert!(f[0]["message"].as_str().unwrap().contains("mode 0644"));
    assert!(f[0]["fix"].as_str().unwrap().contains("chmod 600"));

    set_mode(&path, 0o640);
    let (rc, v) = check(&path);
    assert_eq!(rc, 0, "{v}");
    assert_eq!(
        with_check(&v, "keytab-permissions")[0]["severity"],
        "warning"
    );
}

#[test]
fn krb5_ktname_is_the_default_keytab() {
    let path = save("env.keytab", Vec::new());
    let out = Command::new(env!("CARGO_BIN_EXE_kerbgate"))
        .args(["doctor", "--json"])
        .env("KRB5_KTNAME", format!("FILE:{}", path.display()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    let v = &json_lines(&out)[0];
    assert!(v["keytab"].as_str().unwrap().contains("env.keytab"), "{v}");
}
