//! `kerbgate keytab` run as a binary: output layouts, exit codes, and keys
//! equal to MIT's (from the ktutil-made test keytabs; live klist when installed).

// Helpers outside #[test] fns may panic: failing loudly is their job.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/keytab")
        .join(rel)
}

fn kerbgate(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kerbgate"))
        .args(args)
        .env_remove("KRB5_KTNAME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The process may exit before reading stdin (usage errors).
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kerbgate-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Expected blocks of testdata/keytab/mit-1.20/expectations.txt.
fn mit_blocks() -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(testdata("mit-1.20/expectations.txt")).unwrap();
    text.split("\n\n")
        .map(|b| {
            b.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split_once(" = "))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .filter(|m: &std::collections::BTreeMap<_, _>| !m.is_empty())
        .collect()
}

#[test]
fn list_text_has_the_klist_layout() {
    let path = testdata("mit-1.20/principals.keytab");
    let out = kerbgate(&["keytab", "list", "--keytab", path.to_str().unwrap()], "");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("Keytab name: FILE:{}", path.display()));
    assert_eq!(lines[1], "KVNO Timestamp         Principal");
    assert_eq!(
        lines[2],
        format!("---- ----------------- {}", "-".repeat(56))
    );
    let blocks: Vec<_> = mit_blocks()
        .into_iter()
        .filter(|b| b["file"] == "principals.keytab")
        .collect();
    assert_eq!(lines.len(), 3 + blocks.len());
    for (line, b) in lines[3..].iter().zip(&blocks) {
        let dep = if b["enctype"] == "arcfour-hmac" {
            "DEPRECATED:"
        } else {
            ""
        };
        let want = format!(
            "{:>4} {} {} ({dep}{}) ",
            b["kvno"], b["timestamp"], b["principal"], b["enctype"]
        );
        assert_eq!(*line, want);
    }
}

#[test]
fn list_json_shows_keys_only_on_request() {
    let path = testdata("kerberos.net/sample_with_32_bit_version_override.keytab");
    let out = kerbgate(
        &[
            "keytab",
            "list",
            "--json",
            "--keytab",
            path.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"principal": "test/admin@example.com", "kvno": 2,
            "enctype": "aes256-cts-hmac-sha1-96", "timestamp": 1_535_807_669}])
    );
    let out = kerbgate(
        &[
            "keytab",
            "list",
            "--json",
            "--keys",
            "--keytab",
            path.to_str().unwrap(),
        ],
        "",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v[0]["key"],
        "4e386288ec634dff887aa0f78d92bc0b0cb3f10b879f284741320a01764f19a6"
    );
}

#[test]
fn list_uses_krb5_ktname() {
    let path = testdata("kerberos.net/sample.keytab");
    let out = Command::new(env!("CARGO_BIN_EXE_kerbgate"))
        .args(["keytab", "list", "--json"])
        .env("KRB5_KTNAME", format!("FILE:{}", path.display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 5);
    assert_eq!(v[0]["enctype"], "des-cbc-crc");
}

#[test]
fn exit_codes_and_messages() {
    let out = kerbgate(&["keytab", "frobnicate"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = kerbgate(&["keytab", "list", "--keytab", "/nonexistent/x.keytab"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("kerbgate: ") && err.contains("/nonexistent/x.keytab"),
        "{err}"
    );
    let out = kerbgate(&["keytab", "list", "--keytab", "MEMORY:x"], "");
    assert_eq!(out.status.code(), Some(1));
    let dir = temp_dir("codes");
    let kt = dir.join("k.keytab");
    let kt = kt.to_str().unwrap();
    let base = [
        "keytab",
        "add",
        "--keytab",
        kt,
        "--principal",
        "a@R",
        "--kvno",
        "1",
    ];
    let out = kerbgate(
        &[&base[..], &["--enctype", "nonsense", "--password-stdin"]].concat(),
        "pw\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = kerbgate(&[&base[..], &["--enctype", "aes256-cts"]].concat(), "pw\n");
    assert_eq!(
        out.status.code(),
        Some(2),
        "no --password-stdin is a usage error"
    );
    let out = kerbgate(
        &[
            &base[..],
            &["--enctype", "des3-cbc-sha1", "--password-stdin"],
        ]
        .concat(),
        "pw\n",
    );
    assert_eq!(out.status.code(), Some(1), "deprecated enctype refused");
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .starts_with("kerbgate: "));
    assert!(
        !std::path::Path::new(kt).exists(),
        "nothing written on refusal"
    );
    let out = kerbgate(
        &[
            "keytab",
            "add",
            "--keytab",
            kt,
            "--principal",
            "norealm",
            "--kvno",
            "1",
            "--enctype",
            "aes",
            "--password-stdin",
        ],
        "pw\n",
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn add_yields_mit_keys_byte_for_byte() {
    let dir = temp_dir("add");
    let kt = dir.join("k.keytab");
    let blocks = mit_blocks();
    for b in &blocks {
        let password = String::from_utf8(hex::decode(&b["password"]).unwrap()).unwrap();
        let mut args = vec![
            "keytab",
            "add",
            "--keytab",
            kt.to_str().unwrap(),
            "--principal",
            &b["principal"],
            "--kvno",
            &b["kvno"],
            "--enctype",
            &b["enctype"],
            "--password-stdin",
        ];
        let salt = b
            .get("salt")
            .map(|s| String::from_utf8(hex::decode(s).unwrap()).unwrap());
        if let Some(s) = &salt {
            args.extend(["--salt", s.as_str()]);
        }
        let out = kerbgate(&args, &format!("{password}\n"));
        assert!(
            out.status.success(),
            "{}: {}",
            b["principal"],
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::metadata(&kt).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let out = kerbgate(
        &[
            "keytab",
            "list",
            "--json",
            "--keys",
            "--keytab",
            kt.to_str().unwrap(),
        ],
        "",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = v.as_array().unwrap();
    assert_eq!(listed.len(), blocks.len());
    for (e, b) in listed.iter().zip(&blocks) {
        assert_eq!(e["principal"], b["principal"].as_str());
        assert_eq!(e["kvno"].to_string(), b["kvno"]);
        assert_eq!(e["enctype"], b["enctype"].as_str());
        assert_eq!(
            e["key"],
            b["key"].as_str(),
            "{} {}",
            b["principal"],
            b["enctype"]
        );
    }

    // MIT's klist lists the same entries, when installed.
    let Ok(klist) = Command::new("klist")
        .arg("-ketK")
        .arg(&kt)
        .env("TZ", "UTC")
        .output()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "MIT klist not installed (CI is set)"
        );
        eprintln!("skipped: MIT klist not installed");
        return;
    };
    let ours = kerbgate(
        &["keytab", "list", "--keys", "--keytab", kt.to_str().unwrap()],
        "",
    );
    assert_eq!(
        String::from_utf8(ours.stdout).unwrap(),
        String::from_utf8(klist.stdout).unwrap()
    );
}

#[test]
fn password_line_keeps_everything_but_the_newline() {
    let dir = temp_dir("pw");
    let kt = dir.join("k.keytab");
    let add = |pw: &str| {
        let _ = std::fs::remove_file(&kt);
        let out = kerbgate(
            &[
                "keytab",
                "add",
                "--keytab",
                kt.to_str().unwrap(),
                "--principal",
                "a@R",
                "--kvno",
                "1",
                "--enctype",
                "aes128-cts-hmac-sha1-96",
                "--password-stdin",
            ],
            pw,
        );
        assert!(out.status.success());
        let out = kerbgate(
            &[
                "keytab",
                "list",
                "--json",
                "--keys",
                "--keytab",
                kt.to_str().unwrap(),
            ],
            "",
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v[0]["key"].as_str().unwrap().to_owned()
    };
    assert_eq!(add("pw\n"), add("pw"));
    assert_ne!(add(" pw \n"), add("pw\n"));
    assert_eq!(add("pw\nignored second line\n"), add("pw"));
}
