//! `kerbgate accept` run as a binary on the real MIT krb5 1.20 tokens in
//! testdata/captured/mit-1.20, with the clock fixed at each capture time: the JSON
//! contract, replays, stdin and base64 input, refusals and exit codes.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{base64, case, cases, code, json_lines, kerbgate, keys_in_order, Case};

/// The success object's keys, in the documented order. MIT 1.20 KDCs put a PAC in
/// every ticket, so `"pac"` comes last in each captured case.
const ACCEPTED_KEYS: [&str; 12] = [
    "ok",
    "client",
    "service",
    "mech",
    "ticket_enctype",
    "kvno",
    "session_enctype",
    "flags",
    "output_token",
    "delegated",
    "expires",
    "pac",
];

/// MIT 1.20's minimal PAC (MS-PAC 2.7 client info, server, KDC and ticket signatures;
/// no logon info, so no SIDs): the acceptor verified the server signature, the other
/// two need the krbtgt key.
const MIT_PAC: &str = r#"{"user_sid":null,"groups":[],"upn":null,"dns_domain":null,"logon_domain":null,"account":null,"signatures":{"server":"verified","kdc":"not-checked","ticket":"not-checked"}}"#;

fn accept_json(case: &Case, extra: &[&str], tokens: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec!["accept".into(), "--json".into()];
    args.extend(case.keytab_and_now());
    args.extend(extra.iter().map(|s| (*s).to_string()));
    args.extend(tokens.iter().map(|s| (*s).to_string()));
    kerbgate(&args, "")
}

fn enctype_name(n: &str) -> &'static str {
    match n {
        "17" => "aes128-cts-hmac-sha1-96",
        "18" => "aes256-cts-hmac-sha1-96",
        "19" => "aes128-cts-hmac-sha256-128",
        "20" => "aes256-cts-hmac-sha384-192",
        "23" => "arcfour-hmac",
        "25" => "camellia128-cts-cmac",
        "26" => "camellia256-cts-cmac",
        other => panic!("enctype {other} not expected in the captures"),
    }
}

#[test]
fn accepts_every_captured_kerberos_token_with_the_documented_json() {
    let all: Vec<Case> = cases()
        .into_iter()
        .filter(|c| c.get("mech") != "1.3.6.1.5.5.2")
        .collect();
    assert!(all.len() >= 20, "only {} cases", all.len());
    for c in &all {
        let at = c.at();
        let mut extra = Vec::new();
        let bindings = c.get("channel_bindings");
        let app;
        if let Some(hex) = bindings.strip_prefix("application_data:") {
            app = hex.to_string();
            extra.extend(["--channel-bindings-app-data", app.as_str()]);
        } else if bindings != "none" {
            extra.extend([
                "--channel-bindings-initiator-address",
                "2:7f000001",
                "--channel-bindings-acceptor-address",
                "inet:7f000002",
            ]);
        }
        let out = accept_json(c, &extra, &[c.get("token")]);
        assert_eq!(
            code(&out),
            0,
            "{at}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let text = String::from_utf8(out.stdout.clone()).unwrap();
        let line = text.lines().next().unwrap();
        assert_eq!(text.lines().count(), 1, "{at}");
        assert_eq!(keys_in_order(line), ACCEPTED_KEYS, "{at}");

        let v = &json_lines(&out)[0];
        assert_eq!(v["ok"], true, "{at}");
        assert!(
            line.ends_with(&format!(",\"pac\":{MIT_PAC}}}")),
            "{at}: {line}"
        );
        assert_eq!(v["client"], c.get("client"), "{at}");
        assert_eq!(v["service"], c.get("service"), "{at}");
        assert_eq!(v["mech"], c.get("mech"), "{at}");
        assert_eq!(
            v["ticket_enctype"],
            enctype_name(c.get("ticket_enctype")),
            "{at}"
        );
        assert_eq!(
            v["session_enctype"],
            enctype_name(c.get("session_enctype")),
            "{at}"
        );
        assert_eq!(v["kvno"].to_string(), c.get("kvno"), "{at}");

        // The initiator's requested flags are all granted; mutual means an AP-REP.
        let flags: Vec<&str> = v["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        for want in c.get("flags").split(',') {
            assert!(flags.contains(&want), "{at}: {want} not in {flags:?}");
        }
        let mutual = flags.contains(&"mutual");
        match v["output_token"].as_str() {
            // RFC 4121 4.1: framed AP-REP, TOK_ID 02 00 after the OID.
            Some(t) => {
                assert!(mutual, "{at}: output token without mutual");
                assert!(t.starts_with("60") && t.contains("0202006f"), "{at}: {t}");
            }
            None => assert!(!mutual && v["output_token"].is_null(), "{at}"),
        }
        let deleg = c.get("flags").split(',').any(|f| f == "deleg");
        assert_eq!(v["delegated"], deleg, "{at}");
        let captured: i64 = c.get("captured_at").parse().unwrap();
        let expires = v["expires"].as_i64().unwrap();
        assert!(
            expires > captured && expires <= captured + 86_400 + 300,
            "{at}: {expires}"
        );
    }
}

#[test]
fn a_repeated_token_is_a_replay() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let t = c.get("token");
    let out = accept_json(&c, &[], &[t, t]);
    assert_eq!(code(&out), 1);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[1]["error"], "KRB_AP_ERR_REPEAT");
    assert_eq!(lines[1]["gss_major"], "GSS_S_DUPLICATE_TOKEN");
    assert!(lines[1]["message"].as_str().unwrap().contains("replay"));
    // The client asked for mutual authentication: MIT-style KRB-ERROR token back.
    let krb_error = lines[1]["output_token"].as_str().unwrap();
    assert!(krb_error.contains("0203007e"), "{krb_error}");
    let text = String::from_utf8(out.stdout).unwrap();
    let second = text.lines().nth(1).unwrap();
    assert_eq!(
        keys_in_order(second),
        ["ok", "error", "gss_major", "message", "output_token"]
    );
}

#[test]
fn dangerous_no_replay_cache_accepts_the_same_token_twice() {
    let c = case("aes256-cts-hmac-sha1-96-nomutual");
    let t = c.get("token");
    let out = accept_json(&c, &["--dangerous-no-replay-cache"], &[t, t]);
    assert_eq!(code(&out), 0);
    assert!(json_lines(&out).iter().all(|v| v["ok"] == true));
}

#[test]
fn reads_tokens_from_stdin_one_a_line_in_hex_and_base64() {
    // Three captures from one keytab, within the skew of each other.
    let names = [
        "all-flags-mutual",
        "cb-addresses-nomutual",
        "delegation-mutual",
    ];
    let first = case(names[0]);
    let mut stdin = String::new();
    for (i, n) in names.iter().enumerate() {
        let t = case(n).get("token").to_string();
        if i == 1 {
            stdin.push_str(&base64(&hex::decode(&t).unwrap()));
        } else {
            stdin.push_str(&t);
        }
        stdin.push_str("\r\n\n");
    }
    let mut args: Vec<String> = vec!["accept".into(), "--json".into()];
    args.extend(first.keytab_and_now());
    args.push("-".into());
    let out = kerbgate(&args, &stdin);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|v| v["ok"] == true));
    assert_eq!(lines[2]["delegated"], true);
}

#[test]
fn accepts_a_base64_argument() {
    let c = case("aes128-cts-hmac-sha1-96-mutual");
    let b64 = base64(&hex::decode(c.get("token")).unwrap());
    let out = accept_json(&c, &[], &[&b64]);
    assert_eq!(code(&out), 0);
    assert_eq!(json_lines(&out)[0]["client"], "alice@KERBGATE.TEST");
}

#[test]
fn another_service_is_not_us() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let out = accept_json(
        &c,
        &["--service", "HTTP@mail.kerbgate.test"],
        &[c.get("token")],
    );
    assert_eq!(code(&out), 1);
    let v = &json_lines(&out)[0];
    assert_eq!(v["error"], "KRB_AP_ERR_NOT_US");
    assert_eq!(v["gss_major"], "GSS_S_NO_CRED");

    // The right one, in each accepted spelling.
    for s in [
        "imap@mail.kerbgate.test",
        "imap",
        "imap/mail.kerbgate.test@KERBGATE.TEST",
    ] {
        let out = accept_json(&c, &["--service", s], &[c.get("token")]);
        assert_eq!(code(&out), 0, "--service {s}");
    }
    let out = accept_json(
        &c,
        &[
            "--service",
            "IMAP@MAIL.kerbgate.test",
            "--case-insensitive-service",
        ],
        &[c.get("token")],
    );
    assert_eq!(code(&out), 0, "case-insensitive");
}

#[test]
fn a_much_later_clock_refuses_with_skew_or_expiry() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let later: i64 = c.get("captured_at").parse::<i64>().unwrap() + 2 * 86_400;
    let mut args: Vec<String> = vec!["accept".into(), "--json".into(), "--keytab".into()];
    args.push(
        common::captures()
            .join(c.get("keytab"))
            .to_str()
            .unwrap()
            .into(),
    );
    args.extend(["--now".into(), later.to_string(), c.get("token").into()]);
    let out = kerbgate(&args, "");
    assert_eq!(code(&out), 1);
    let v = &json_lines(&out)[0];
    let e = v["error"].as_str().unwrap();
    assert!(
        e == "KRB_AP_ERR_SKEW" || e == "KRB_AP_ERR_TKT_EXPIRED",
        "{e}"
    );

    // Half a minute past the skew the authenticator is the first check to fail.
    let c2 = case("aes256-cts-hmac-sha1-96-nomutual");
    let skewed = (c2.get("captured_at").parse::<i64>().unwrap() + 330).to_string();
    let kt = common::captures().join(c2.get("keytab"));
    let base = [
        "accept",
        "--json",
        "--keytab",
        kt.to_str().unwrap(),
        "--now",
        &skewed,
    ];
    let out = kerbgate(&[&base[..], &[c2.get("token")]].concat(), "");
    assert_eq!(json_lines(&out)[0]["error"], "KRB_AP_ERR_SKEW");
    let out = kerbgate(
        &[&base[..], &["--skew", "600", c2.get("token")]].concat(),
        "",
    );
    assert_eq!(code(&out), 0, "--skew 600");
}

#[test]
fn a_truncated_or_unreadable_token_is_defective() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let t = c.get("token");
    let truncated = &t[..t.len() - 40];
    let out = accept_json(&c, &[], &[truncated, "not a token!", t]);
    assert_eq!(code(&out), 1);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "every token gets its line");
    for v in &lines[..2] {
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"], "GSS_S_DEFECTIVE_TOKEN");
        assert_eq!(v["gss_major"], "GSS_S_DEFECTIVE_TOKEN");
        assert!(v.get("output_token").is_none(), "{v}");
    }
    assert_eq!(lines[2]["ok"], true);
}

#[test]
fn channel_bindings_must_match() {
    let c = case("cb-application-data-mutual");
    let data = c
        .get("channel_bindings")
        .strip_prefix("application_data:")
        .unwrap();
    let out = accept_json(
        &c,
        &["--channel-bindings-app-data", data],
        &[c.get("token")],
    );
    assert_eq!(code(&out), 0);
    assert_eq!(json_lines(&out)[0]["ok"], true);

    let out = accept_json(
        &c,
        &["--channel-bindings-app-data", "00ff"],
        &[c.get("token")],
    );
    assert_eq!(code(&out), 1);
    let v = &json_lines(&out)[0];
    assert_eq!(v["error"], "GSS_S_BAD_BINDINGS");
    assert_eq!(v["gss_major"], "GSS_S_BAD_BINDINGS");

    // Strict mode refuses a client that sent none.
    let plain = case("all-flags-mutual");
    let out = accept_json(
        &plain,
        &["--channel-bindings-app-data", data],
        &[plain.get("token")],
    );
    assert_eq!(
        code(&out),
        0,
        "not strict: no bindings from the client is fine"
    );
    let out = accept_json(
        &plain,
        &[
            "--channel-bindings-app-data",
            data,
            "--strict-channel-bindings",
        ],
        &[plain.get("token")],
    );
    assert_eq!(json_lines(&out)[0]["error"], "GSS_S_BAD_BINDINGS");
}

#[test]
fn writes_delegated_credentials_to_a_ccache() {
    let c = case("delegation-mutual");
    let dir = std::env::temp_dir().join(format!("kerbgate-cli-accept-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ccache");
    let _ = std::fs::remove_file(&path);
    let out = accept_json(
        &c,
        &["--write-ccache", path.to_str().unwrap()],
        &[c.get("token")],
    );
    assert_eq!(code(&out), 0);
    assert_eq!(json_lines(&out)[0]["delegated"], true);
    let bytes = std::fs::read(&path).unwrap();
    // MIT ccache version 4 (0x0504).
    assert_eq!(&bytes[..2], &[0x05, 0x04]);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn text_output_is_one_readable_line_and_the_token() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let mut args = vec!["accept".to_string()];
    args.extend(c.keytab_and_now());
    args.extend([c.get("token").to_string(), c.get("token").to_string()]);
    let out = kerbgate(&args, "");
    assert_eq!(code(&out), 1);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(
        lines[0],
        "accepted alice@KERBGATE.TEST for imap/mail.kerbgate.test@KERBGATE.TEST \
         (aes256-cts-hmac-sha1-96 kvno 1, flags mutual,conf,integ)"
    );
    assert!(lines[1].starts_with("6081") && hex::decode(lines[1]).is_ok());
    assert!(lines[2].starts_with("refused: request is a replay (KRB_AP_ERR_REPEAT)"));
    assert!(hex::decode(lines[3]).is_ok());
}

#[test]
fn usage_errors_exit_2() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let kt = common::captures().join(c.get("keytab"));
    let kt = kt.to_str().unwrap();
    for args in [
        vec!["accept", "--keytab", kt],
        vec![
            "accept",
            "--keytab",
            kt,
            "--channel-bindings-app-data",
            "xyz",
            "00",
        ],
        vec![
            "accept",
            "--keytab",
            kt,
            "--channel-bindings-initiator-address",
            "7f",
            "00",
        ],
        vec!["accept", "--keytab", kt, "--now", "yesterday", "00"],
        vec!["accept", "--keytab", kt, "--service", "", "00"],
        vec!["accept", "--no-such-option", "00"],
    ] {
        let out = kerbgate(&args, "");
        assert_eq!(
            code(&out),
            2,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn an_unreadable_keytab_fails_before_any_token() {
    let out = kerbgate(
        &["accept", "--keytab", "/nonexistent/kerbgate.keytab", "00"],
        "",
    );
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("kerbgate: ") && err.contains("/nonexistent/kerbgate.keytab"),
        "{err}"
    );
}
