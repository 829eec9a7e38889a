//! `kerbgate demo`: the narrated login ends with the authenticated line, `--json`
//! carries every step, and its keytab and tokens round trip with `accept` and
//! `doctor`.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::PathBuf;

use common::{code, json_lines, kerbgate};
use serde_json::Value;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kerbgate-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn narrates_and_ends_with_the_authenticated_line() {
    let out = kerbgate(&["demo"], "");
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "colour on a pipe");
    for step in [
        "AP-REQ",
        "kerbgate accepts",
        "checks the AP-REP",
        "SASL GSSAPI (RFC 4752) layer negotiation",
        "unwraps \"a001 SELECT INBOX\" (encrypted: true)",
    ] {
        assert!(text.contains(step), "{step} missing:\n{text}");
    }
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("authenticated alice@DEMO.KERBGATE.TEST to imap/"),
        "{last}"
    );
}

#[test]
fn json_has_every_step_and_its_ap_req_is_accepted_with_the_written_keytab() {
    let keytab = tmp("json.keytab");
    let out = kerbgate(
        &["demo", "--json", "--write-keytab", keytab.to_str().unwrap()],
        "",
    );
    assert_eq!(code(&out), 0);
    let v: Value = json_lines(&out).remove(0);
    assert_eq!(v["ok"], true);
    assert_eq!(v["authenticated"], "alice@DEMO.KERBGATE.TEST");
    assert_eq!(v["layer"], "confidentiality");
    let steps: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "realm",
            "ap-req",
            "accepted",
            "ap-rep",
            "ap-rep-verified",
            "sasl-offer",
            "sasl-choice",
            "wrap",
            "wrap"
        ]
    );
    let wraps: Vec<&Value> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["step"] == "wrap")
        .collect();
    for w in wraps {
        assert_eq!(w["message"], w["unwrapped"]);
    }

    // The same AP-REQ, given to the real CLI with the written keytab.
    let token = v["steps"][1]["token"].as_str().unwrap();
    let out = kerbgate(
        &[
            "accept",
            "--json",
            "--keytab",
            keytab.to_str().unwrap(),
            token,
        ],
        "",
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(json_lines(&out)[0]["client"], "alice@DEMO.KERBGATE.TEST");
}

#[test]
fn written_tokens_are_accepted_from_stdin_and_pass_the_doctor() {
    let keytab = tmp("demo.keytab");
    let tokens = tmp("demo.tokens");
    let out = kerbgate(
        &[
            "demo",
            "--write-keytab",
            keytab.to_str().unwrap(),
            "--write-tokens",
            tokens.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("kerbgate accept --keytab"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [&keytab, &tokens] {
            let mode = std::fs::metadata(p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", p.display());
        }
    }

    let lines = std::fs::read_to_string(&tokens).unwrap();
    assert_eq!(lines.lines().count(), 2);
    let kt = keytab.to_str().unwrap();
    let out = kerbgate(&["accept", "--json", "--keytab", kt, "-"], &lines);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let accepted = json_lines(&out);
    assert_eq!(accepted.len(), 2);
    assert!(
        accepted[0]["output_token"].is_string(),
        "mutual one answers"
    );
    assert!(accepted[1]["output_token"].is_null(), "the other does not");

    let out = kerbgate(&["doctor", "--json", "--keytab", kt, "-"], &lines);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let out = kerbgate(&["doctor", "--keytab", kt], "");
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn write_tokens_needs_write_keytab() {
    let out = kerbgate(&["demo", "--write-tokens", "/nonexistent/x"], "");
    assert_eq!(code(&out), 2);
}

#[test]
fn help_has_examples_for_every_subcommand() {
    for sub in ["demo", "doctor", "accept", "inspect", "keytab"] {
        let out = kerbgate(&[sub, "--help"], "");
        assert_eq!(code(&out), 0, "{sub}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Examples:"), "{sub}: {text}");
        assert!(text.contains("-v, --verbose"), "{sub}: {text}");
    }
}

#[test]
fn verbose_logs_decisions_on_stderr_only() {
    let quiet = kerbgate(&["demo", "--json"], "");
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    let loud = kerbgate(&["-v", "demo", "--json"], "");
    let err = String::from_utf8(loud.stderr.clone()).unwrap();
    assert!(err.contains("AP-REQ accepted"), "{err}");
    assert_eq!(json_lines(&loud).len(), 1);
}
