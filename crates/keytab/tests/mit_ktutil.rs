//! Live check against MIT `ktutil` and `klist`: keytabs made by MIT read back
//! exactly, password keys equal MIT's, and MIT lists keytabs written here.
//! Without ktutil: fails when `CI` is set, else prints a skip note.

// Helpers outside #[test] fns may panic: failing loudly is their job.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{enctype_number, temp_dir};
use kerbgate_keytab::{key_from_password, Keytab, KeytabEntry, Principal};

const ENCTYPES: [&str; 7] = [
    "aes128-cts-hmac-sha1-96",
    "aes256-cts-hmac-sha1-96",
    "aes128-cts-hmac-sha256-128",
    "aes256-cts-hmac-sha384-192",
    "arcfour-hmac",
    "camellia128-cts-cmac",
    "camellia256-cts-cmac",
];

/// (principal, kvno, password, explicit salt)
const CASES: [(&str, u32, &str, Option<&str>); 5] = [
    ("solo@LIVE.TEST", 1, "plain password", None),
    ("HTTP/web.live.test@LIVE.TEST", 2, "Grüße, 世界!", None),
    ("a/b/c@OTHER.REALM", 513, "three", None),
    ("krbtgt/LIVE.TEST@LIVE.TEST", 9, "tgs", None),
    ("svc/h@LIVE.TEST", 4, "salted ünïcode", Some("custom-sält")),
];

fn mit_available() -> bool {
    let found = Command::new("ktutil")
        .arg("-V")
        .stdin(Stdio::null())
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "MIT ktutil not installed (CI is set): apt-get install krb5-user"
        );
        eprintln!("skipped: MIT ktutil not installed");
    }
    found
}

fn ktutil(script: &str) {
    let mut child = Command::new("ktutil")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "ktutil: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn klist_lines(path: &Path) -> Vec<String> {
    let out = Command::new("klist")
        .arg("-ketK")
        .arg(path)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "klist: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Drop the header and the timestamp column.
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(3)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {}", f[0], f[3..].join(" "))
        })
        .collect()
}

#[test]
fn mit_ktutil_keytabs_match_kerbgate() {
    if !mit_available() {
        return;
    }
    let dir = temp_dir("mit");
    let mit_path = dir.join("mit.keytab");
    let mut script = String::new();
    let mut expected = Vec::new();
    for (principal, kvno, password, salt) in CASES {
        for enctype in ENCTYPES {
            let salt_opt = salt.map(|s| format!(" -s {s}")).unwrap_or_default();
            script += &format!(
                "addent -password -p {principal} -k {kvno} -e {enctype}{salt_opt}\n{password}\n"
            );
            expected.push((principal, kvno, enctype, password, salt));
        }
    }
    script += &format!("wkt {}\n", mit_path.display());
    ktutil(&script);

    let mit_bytes = std::fs::read(&mit_path).unwrap();
    let keytab = Keytab::from_bytes(&mit_bytes).unwrap();
    assert_eq!(keytab.len(), expected.len());

    let mut ours = Keytab::new();
    let mut failures = Vec::new();
    for (i, (entry, (principal, kvno, enctype, password, salt))) in
        keytab.entries().iter().zip(expected).enumerate()
    {
        let p = Principal::parse(principal).unwrap();
        assert_eq!(entry.principal(), &p, "entry {i}");
        assert_eq!(entry.principal().name_type(), p.name_type(), "entry {i}");
        assert_eq!(entry.kvno(), kvno, "entry {i}");
        assert_eq!(entry.enctype(), enctype_number(enctype), "entry {i}");
        let salt = salt.map(str::as_bytes);
        match key_from_password(&p, password.as_bytes(), entry.enctype(), salt, None) {
            Ok(k) if k.expose_secret_bytes() == entry.key_bytes().expose_secret_bytes() => {}
            Ok(_) => failures.push(format!(
                "entry {i} {principal} {enctype}: key differs from MIT"
            )),
            Err(e) => failures.push(format!("entry {i} {principal} {enctype}: {e}")),
        }
        ours.push(KeytabEntry::new(
            p,
            kvno,
            entry.timestamp(),
            entry.key_bytes().clone(),
        ));
    }

    // Written here with MIT's timestamps, the file is MIT's byte for byte,
    // and klist lists what it listed for MIT's file.
    assert_eq!(*ours.to_bytes().unwrap(), mit_bytes);
    let our_path = dir.join("ours.keytab");
    ours.save(&our_path).unwrap();
    assert_eq!(klist_lines(&our_path), klist_lines(&mit_path));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn klist_lists_password_keytabs_written_here() {
    if !mit_available() {
        return;
    }
    let dir = temp_dir("klist");
    let path = dir.join("k.keytab");
    let mut keytab = Keytab::new();
    for (principal, kvno, password, _) in CASES {
        for enctype in ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha256-128"] {
            let p = Principal::parse(principal).unwrap();
            let e = KeytabEntry::from_password(
                p,
                kvno,
                1_000_000_000,
                enctype_number(enctype),
                password.as_bytes(),
                None,
                None,
            )
            .unwrap();
            keytab.push(e);
        }
    }
    Keytab::append_to_file(&path, keytab.entries()).unwrap();
    let lines = klist_lines(&path);
    assert_eq!(lines.len(), keytab.len());
    for (line, e) in lines.iter().zip(keytab.entries()) {
        let key = hex::encode(e.key_bytes().expose_secret_bytes());
        let name = kerbgate_crypto::enctype_name(e.enctype()).unwrap();
        assert_eq!(
            *line,
            format!("{} {} ({name}) (0x{key})", e.kvno(), e.principal())
        );
    }
}
