//! Helpers for the `kerbgate accept` and `inspect` tests: the captured MIT tokens
//! (testdata/captured/mit-1.20/tokens.txt) and running the binary.

// Helpers may panic: failing loudly is their job. Not every test file uses each one.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The directory of the MIT 1.20 captures.
pub(crate) fn captures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured/mit-1.20")
}

/// One block of `name = value` lines, with its position in the file.
pub(crate) struct Case {
    pub(crate) index: usize,
    pub(crate) fields: BTreeMap<String, String>,
}

impl Case {
    pub(crate) fn get(&self, key: &str) -> &str {
        self.fields.get(key).map_or_else(
            || panic!("tokens.txt case {} has no {key}", self.index),
            String::as_str,
        )
    }

    /// `--keytab` and `--now` for this case.
    pub(crate) fn keytab_and_now(&self) -> Vec<String> {
        let keytab = captures().join(self.get("keytab"));
        vec![
            "--keytab".into(),
            keytab.to_str().unwrap().into(),
            "--now".into(),
            self.get("captured_at").into(),
        ]
    }

    /// Where a failing check points: file and case index and name.
    pub(crate) fn at(&self) -> String {
        format!(
            "testdata/captured/mit-1.20/tokens.txt case {} ({})",
            self.index,
            self.get("name")
        )
    }
}

/// Every case of tokens.txt, in file order.
pub(crate) fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(captures().join("tokens.txt")).unwrap();
    text.split("\n\n")
        .map(|block| {
            block
                .lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split_once(" = "))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect::<BTreeMap<_, _>>()
        })
        .filter(|m| m.contains_key("name"))
        .enumerate()
        .map(|(index, fields)| Case { index, fields })
        .collect()
}

/// The case called `name`.
pub(crate) fn case(name: &str) -> Case {
    cases()
        .into_iter()
        .find(|c| c.get("name") == name)
        .unwrap_or_else(|| panic!("no case {name} in tokens.txt"))
}

/// Runs `kerbgate` with `args` and `stdin`, KRB5_KTNAME unset.
pub(crate) fn kerbgate<S: AsRef<str>>(args: &[S], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kerbgate"))
        .args(args.iter().map(AsRef::as_ref))
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

/// Standard output as JSON values, one a line.
pub(crate) fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The keys of a one-line JSON object in the order printed.
pub(crate) fn keys_in_order(line: &str) -> Vec<String> {
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
    let mut keys: Vec<(usize, String)> = v
        .keys()
        .map(|k| {
            let at = line
                .find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("key {k} not in {line}"));
            (at, k.clone())
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

/// The exit code.
pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// Standard base64 (RFC 4648 section 4) with padding, for feeding tokens that way.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                s.push('=');
            }
        }
    }
    s
}
