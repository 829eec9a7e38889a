//! `kerbgate doctor` on the real MIT krb5 1.20 tokens of testdata/captured/mit-1.20,
//! with keytabs filtered or rewritten by the test: every finding names its cause,
//! Kerberos code and values, and the exit code follows the errors.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};

use common::{captures, case, code, json_lines, kerbgate, Case};
use kerbgate_keytab::{Keytab, KeytabEntry, Principal};
use serde_json::Value;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kerbgate-doctor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Runs doctor --json on `tokens` with `keytab` and `extra` arguments.
fn doctor(keytab: &Path, extra: &[&str], tokens: &[&str]) -> (i32, Vec<Value>) {
    let mut args: Vec<String> = vec!["doctor".into(), "--json".into(), "--keytab".into()];
    args.push(keytab.to_str().unwrap().into());
    args.extend(extra.iter().map(|s| (*s).to_string()));
    args.extend(tokens.iter().map(|s| (*s).to_string()));
    let out = kerbgate(&args, "");
    (code(&out), json_lines(&out))
}

/// The findings of `line` from check `check`.
fn findings<'a>(line: &'a Value, check: &str) -> Vec<&'a Value> {
    line["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// The one error of check `check`, with its code.
fn error<'a>(line: &'a Value, check: &str, code: &str, at: &str) -> &'a Value {
    let f = findings(line, check);
    let f = f
        .iter()
        .find(|f| f["severity"] == "error")
        .unwrap_or_else(|| panic!("{at}: no {check} error in {line}"));
    assert_eq!(f["code"], code, "{at}: {f}");
    assert!(
        f["fix"].as_str().is_some_and(|s| !s.is_empty()),
        "{at}: {f}"
    );
    f
}

fn message(f: &Value) -> &str {
    f["message"].as_str().unwrap()
}

fn now_arg(c: &Case, delta: i64) -> String {
    (c.get("captured_at").parse::<i64>().unwrap() + delta).to_string()
}

/// The skew the doctor should report at `now`, as "N s": whole seconds between the
/// authenticator's ctime and now, one less when its microseconds round it down.
fn skew_secs(line: &Value, now: &str) -> [String; 2] {
    let ctime = line["facts"]["ctime"].as_i64().unwrap();
    let d = (now.parse::<i64>().unwrap() - ctime).abs();
    [format!("{d} s"), format!("{} s", d - 1)]
}

fn keytab_of(c: &Case) -> PathBuf {
    captures().join(c.get("keytab"))
}

/// A copy of `src` keeping only entries `keep` accepts, rewritten by `map`.
fn filtered(
    src: &Path,
    name: &str,
    keep: impl Fn(&KeytabEntry) -> bool,
    map: impl Fn(&KeytabEntry) -> KeytabEntry,
) -> PathBuf {
    let kt = Keytab::load(src).unwrap();
    let out: Keytab = kt.entries().iter().filter(|e| keep(e)).map(map).collect();
    let path = tmp(name);
    out.save(&path).unwrap();
    path
}

#[test]
fn old_kvno_names_the_rekey_and_the_kvnos() {
    let c = case("old-kvno-mutual");
    let at = c.at();
    let new_only = filtered(
        &keytab_of(&c),
        "new-kvno.keytab",
        |e| e.kvno() == 2,
        Clone::clone,
    );
    let now = now_arg(&c, 0);
    let (rc, lines) = doctor(&new_only, &["--now", &now], &[c.get("token")]);
    assert_eq!(rc, 1, "{at}");
    let f = error(&lines[0], "kvno", "KRB_AP_ERR_BADKEYVER", &at);
    let m = message(f);
    assert!(
        m.contains("kvno 1 of imap/mail.kerbgate.test@KERBGATE.TEST"),
        "{at}: {m}"
    );
    assert!(m.contains("holds only kvno 2"), "{at}: {m}");
    assert!(
        m.contains("rekeyed after the client got its ticket"),
        "{at}: {m}"
    );
    assert!(
        f["fix"].as_str().unwrap().contains("keep the old key"),
        "{at}"
    );
    assert_eq!(lines[0]["facts"]["ticket_kvno"], 1, "{at}");
    // The full keytab accepts it.
    let (rc, lines) = doctor(&keytab_of(&c), &["--now", &now], &[c.get("token")]);
    assert_eq!(rc, 0, "{at}: {:?}", lines);
    assert_eq!(
        findings(&lines[0], "verdict")[0]["severity"],
        "info",
        "{at}"
    );
}

#[test]
fn wrong_service_with_key_present_still_reports_ticket_times_and_skew() {
    let c = case("http-service-mutual");
    let at = c.at();
    let now = now_arg(&c, 100_000);
    let (rc, lines) = doctor(
        &keytab_of(&c),
        &["--now", &now, "--service", "imap@mail.kerbgate.test"],
        &[c.get("token")],
    );
    assert_eq!(rc, 1, "{at}");
    let l = &lines[0];
    let f = error(l, "service", "KRB_AP_ERR_NOT_US", &at);
    assert!(
        message(f).contains("HTTP/mail.kerbgate.test@KERBGATE.TEST"),
        "{at}"
    );
    assert!(message(f).contains("imap@mail.kerbgate.test"), "{at}");
    // The key is in the keytab: the ticket was opened and its times judged too.
    assert_eq!(l["facts"]["client"], "alice@KERBGATE.TEST", "{at}");
    error(l, "ticket-times", "KRB_AP_ERR_TKT_EXPIRED", &at);
    let skew = error(l, "clock-skew", "KRB_AP_ERR_SKEW", &at);
    let secs = skew_secs(l, &now);
    assert!(
        secs.iter().any(|s| message(skew).contains(s)),
        "{at}: {}",
        message(skew)
    );
}

#[test]
fn service_missing_from_keytab_lists_what_it_holds() {
    let c = case("http-service-mutual");
    let at = c.at();
    let imap_only = captures().join("imap-aes256-cts-hmac-sha1-96.keytab");
    let (rc, lines) = doctor(&imap_only, &["--now", &now_arg(&c, 0)], &[c.get("token")]);
    assert_eq!(rc, 1, "{at}");
    let f = error(&lines[0], "keytab-principal", "KRB_AP_ERR_NOT_US", &at);
    let m = message(f);
    assert!(
        m.contains("ticket is for HTTP/mail.kerbgate.test@KERBGATE.TEST"),
        "{m}"
    );
    assert!(m.contains("imap/mail.kerbgate.test@KERBGATE.TEST"), "{m}");
}

#[test]
fn other_realm_and_other_case_are_named() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let at = c.at();
    let now = now_arg(&c, 0);
    let realm = filtered(
        &keytab_of(&c),
        "other-realm.keytab",
        |_| true,
        |e| {
            KeytabEntry::new(
                e.principal().clone().with_realm("OTHER.TEST"),
                e.kvno(),
                e.timestamp(),
                e.key_bytes().clone(),
            )
        },
    );
    let (rc, lines) = doctor(&realm, &["--now", &now], &[c.get("token")]);
    assert_eq!(rc, 1, "{at}");
    let m = message(error(
        &lines[0],
        "keytab-principal",
        "KRB_AP_ERR_NOT_US",
        &at,
    ));
    assert!(m.contains("from realm KERBGATE.TEST"), "{m}");
    assert!(m.contains("in realm OTHER.TEST"), "{m}");

    let upper = filtered(
        &keytab_of(&c),
        "other-case.keytab",
        |_| true,
        |e| {
            let p = Principal::parse("IMAP/mail.kerbgate.test@KERBGATE.TEST").unwrap();
            KeytabEntry::new(p, e.kvno(), e.timestamp(), e.key_bytes().clone())
        },
    );
    let (rc, lines) = doctor(&upper, &["--now", &now], &[c.get("token")]);
    assert_eq!(rc, 1, "{at}");
    let m = message(error(
        &lines[0],
        "keytab-principal",
        "KRB_AP_ERR_NOT_US",
        &at,
    ));
    assert!(m.contains("differs in case"), "{m}");
    let (rc, _) = doctor(
        &upper,
        &["--now", &now, "--case-insensitive-service"],
        &[c.get("token")],
    );
    assert_eq!(rc, 0, "{at}");
}

#[test]
fn missing_enctype_lists_the_held_keys() {
    let c = case("aes128-cts-hmac-sha1-96-mutual");
    let at = c.at();
    let aes256 = captures().join("imap-aes256-cts-hmac-sha1-96.keytab");
    let (rc, lines) = doctor(&aes256, &["--now", &now_arg(&c, 0)], &[c.get("token")]);
    assert_eq!(rc, 1, "{at}");
    let m = message(error(&lines[0], "enctype", "KRB_AP_ERR_NOKEY", &at));
    assert!(m.contains("encrypted with aes128-cts-hmac-sha1-96"), "{m}");
    assert!(m.contains("only kvno 1 aes256-cts-hmac-sha1-96"), "{m}");
}

#[test]
fn wrong_key_and_bit_flipped_ticket_fail_integrity() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let at = c.at();
    let now = now_arg(&c, 0);
    // Another capture's keytab: same principal, kvno and enctype, another key.
    let wrong = captures().join("imap-two-kvnos.keytab");
    let (rc, lines) = doctor(&wrong, &["--now", &now], &[c.get("token")]);
    assert_eq!(rc, 1, "{at}");
    let f = error(&lines[0], "ticket-key", "KRB_AP_ERR_BAD_INTEGRITY", &at);
    assert!(
        f["fix"].as_str().unwrap().contains("wrong password"),
        "{at}"
    );

    // Flip one bit inside the ticket's ciphertext (it starts well before byte 200).
    let mut bytes = hex::decode(c.get("token")).unwrap();
    bytes[200] ^= 0x01;
    let flipped = hex::encode(&bytes);
    let (rc, lines) = doctor(&keytab_of(&c), &["--now", &now], &[&flipped]);
    assert_eq!(rc, 1, "{at}");
    let m = message(error(
        &lines[0],
        "ticket-key",
        "KRB_AP_ERR_BAD_INTEGRITY",
        &at,
    ));
    assert!(m.contains("kvno 1"), "{m}");
}

#[test]
fn skew_expiry_and_not_yet_valid_report_seconds_together() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let at = c.at();
    let kt = keytab_of(&c);

    let (rc, lines) = doctor(&kt, &["--now", &now_arg(&c, 1000)], &[c.get("token")]);
    assert_eq!(rc, 1, "{at}");
    let m = message(error(&lines[0], "clock-skew", "KRB_AP_ERR_SKEW", &at));
    let secs = skew_secs(&lines[0], &now_arg(&c, 1000));
    assert!(
        secs.iter()
            .any(|s| m.contains(&format!("clock skew of {s}, limit 300 s"))),
        "{m}"
    );
    assert!(
        secs.iter().any(|s| m.contains(&format!("{s} behind"))),
        "{m}"
    );
    assert!(findings(&lines[0], "ticket-times").is_empty(), "{at}");

    // Two days later: expired and skewed, both reported.
    let (rc, lines) = doctor(&kt, &["--now", &now_arg(&c, 172_800)], &[c.get("token")]);
    assert_eq!(rc, 1, "{at}");
    let end = lines[0]["facts"]["endtime"].as_i64().unwrap();
    let late = c.get("captured_at").parse::<i64>().unwrap() + 172_800 - end;
    let m = message(error(
        &lines[0],
        "ticket-times",
        "KRB_AP_ERR_TKT_EXPIRED",
        &at,
    ));
    assert!(m.contains(&format!("{late} s before this clock")), "{m}");
    error(&lines[0], "clock-skew", "KRB_AP_ERR_SKEW", &at);

    // An hour before the capture: not yet valid, and the client is ahead.
    let (rc, lines) = doctor(&kt, &["--now", &now_arg(&c, -3600)], &[c.get("token")]);
    assert_eq!(rc, 1, "{at}");
    error(&lines[0], "ticket-times", "KRB_AP_ERR_TKT_NYV", &at);
    let m = message(error(&lines[0], "clock-skew", "KRB_AP_ERR_SKEW", &at));
    let secs = skew_secs(&lines[0], &now_arg(&c, -3600));
    assert!(
        secs.iter().any(|s| m.contains(&format!("{s} ahead of"))),
        "{m}"
    );

    // Within the skew: an info finding with the offset, exit 0.
    let (rc, lines) = doctor(&kt, &["--now", &now_arg(&c, 120)], &[c.get("token")]);
    assert_eq!(rc, 0, "{at}");
    let f = findings(&lines[0], "clock-skew");
    assert_eq!(f[0]["severity"], "info", "{at}");
    let secs = skew_secs(&lines[0], &now_arg(&c, 120));
    assert!(
        secs.iter()
            .any(|s| message(f[0]).contains(&format!("{s} behind"))),
        "{at}"
    );
}

#[test]
fn the_same_token_twice_is_a_replay() {
    let c = case("aes256-cts-hmac-sha1-96-nomutual");
    let at = c.at();
    let t = c.get("token");
    let (rc, lines) = doctor(&keytab_of(&c), &["--now", &now_arg(&c, 0)], &[t, t]);
    assert_eq!(rc, 1, "{at}");
    assert_eq!(lines.len(), 2, "{at}");
    assert_eq!(lines[0]["ok"], true, "{at}");
    assert!(findings(&lines[0], "replay").is_empty(), "{at}");
    let m = message(error(&lines[1], "replay", "KRB_AP_ERR_REPEAT", &at));
    assert!(m.contains("token 2 repeats token 1"), "{m}");
}

#[test]
fn channel_bindings_match_differ_or_go_unchecked() {
    let c = case("cb-application-data-mutual");
    let at = c.at();
    let kt = keytab_of(&c);
    let now = now_arg(&c, 0);
    let right = c
        .get("channel_bindings")
        .strip_prefix("application_data:")
        .unwrap()
        .to_string();

    let (rc, lines) = doctor(
        &kt,
        &["--now", &now, "--channel-bindings-app-data", &right],
        &[c.get("token")],
    );
    assert_eq!(rc, 0, "{at}");
    assert!(message(findings(&lines[0], "channel-bindings")[0]).contains("match"));

    let (rc, lines) = doctor(
        &kt,
        &["--now", &now, "--channel-bindings-app-data", "00ff"],
        &[c.get("token")],
    );
    assert_eq!(rc, 1, "{at}");
    let f = error(&lines[0], "channel-bindings", "GSS_S_BAD_BINDINGS", &at);
    assert!(message(f).contains("channel bindings differ"), "{at}");
    assert!(f["fix"].as_str().unwrap().contains("proxy"), "{at}");

    let (rc, lines) = doctor(&kt, &["--now", &now], &[c.get("token")]);
    assert_eq!(rc, 0, "{at}");
    let f = findings(&lines[0], "channel-bindings");
    assert_eq!(f[0]["severity"], "info", "{at}");
}

#[test]
fn flags_and_delegation_are_listed() {
    let c = case("all-flags-mutual");
    let (rc, lines) = doctor(
        &keytab_of(&c),
        &["--now", &now_arg(&c, 0)],
        &[c.get("token")],
    );
    assert_eq!(rc, 0, "{}", c.at());
    let flags: Vec<&str> = c.get("flags").split(',').collect();
    let m = message(findings(&lines[0], "flags")[0]);
    for f in &flags {
        assert!(m.contains(f), "{}: {f} not in {m}", c.at());
    }

    let c = case("delegation-mutual");
    let (rc, lines) = doctor(
        &keytab_of(&c),
        &["--now", &now_arg(&c, 0)],
        &[c.get("token")],
    );
    assert_eq!(rc, 0, "{}", c.at());
    let d = findings(&lines[0], "delegation");
    assert!(
        message(d[0]).contains("delegated credentials"),
        "{}",
        c.at()
    );
    assert!(lines[0]["facts"]["flags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("deleg")));
}

#[test]
fn garbage_and_server_tokens_are_framing_errors() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let kt = keytab_of(&c);
    let (rc, lines) = doctor(&kt, &[], &["zz!!"]);
    assert_eq!(rc, 1);
    error(&lines[0], "framing", "GSS_S_DEFECTIVE_TOKEN", "bad text");
    let (rc, lines) = doctor(&kt, &[], &[c.get("mit_ap_rep")]);
    assert_eq!(rc, 1);
    let m = message(error(
        &lines[0],
        "framing",
        "GSS_S_DEFECTIVE_TOKEN",
        "AP-REP",
    ));
    assert!(m.contains("an AP-REP"), "{m}");
}

#[test]
fn text_output_names_severity_code_and_fix() {
    let c = case("old-kvno-mutual");
    let new_only = filtered(
        &keytab_of(&c),
        "new-kvno-text.keytab",
        |e| e.kvno() == 2,
        Clone::clone,
    );
    let out = kerbgate(
        &[
            "doctor",
            "--keytab",
            new_only.to_str().unwrap(),
            "--now",
            c.get("captured_at"),
            c.get("token"),
        ],
        "",
    );
    assert_eq!(code(&out), 1);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "colour on a pipe: {text}");
    assert!(
        text.contains("error    KRB_AP_ERR_BADKEYVER: the ticket is for kvno 1"),
        "{text}"
    );
    assert!(text.contains("fix: keep the old key"), "{text}");
    assert!(text.contains("token 1: 1 error, 0 warnings"), "{text}");
}

#[test]
fn usage_errors_exit_2() {
    let out = kerbgate(&["doctor", "--now", "soon"], "");
    assert_eq!(code(&out), 2);
}
