//! Keytab files on disk: save, append, names.
// Helpers outside #[test] fns may panic: failing loudly is their job.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::cast_possible_truncation)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{temp_dir, testdata};
use kerbgate_keytab::{Error, KeyBytes, Keytab, KeytabEntry, KeytabName, Principal};

fn entry(name: &str, kvno: u32, enctype: i32, fill: u8) -> KeytabEntry {
    let len = if enctype == 18 || enctype == 20 {
        32
    } else {
        16
    };
    KeytabEntry::new(
        Principal::parse(name).unwrap(),
        kvno,
        1_700_000_000,
        KeyBytes::new(enctype, &vec![fill; len]),
    )
}

#[test]
fn save_creates_mode_0600_and_round_trips() {
    let dir = temp_dir("save");
    let path = dir.join("k.keytab");
    let k: Keytab = [entry("a@R", 1, 18, 1), entry("b/c@R", 300, 17, 2)]
        .into_iter()
        .collect();
    k.save(&path).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(Keytab::load(&path).unwrap(), k);
    // Saving again replaces the contents.
    let k2: Keytab = [entry("z@R", 2, 17, 3)].into_iter().collect();
    k2.save(&path).unwrap();
    assert_eq!(Keytab::load(&path).unwrap(), k2);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary files left"
    );
}

#[test]
fn append_creates_then_extends() {
    let dir = temp_dir("append");
    let path = dir.join("k.keytab");
    Keytab::append_to_file(&path, &[entry("a@R", 1, 18, 1)]).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    Keytab::append_to_file(&path, &[entry("b@R", 2, 17, 2), entry("c@R", 3, 17, 3)]).unwrap();
    let k = Keytab::load(&path).unwrap();
    let names: Vec<String> = k
        .entries()
        .iter()
        .map(|e| e.principal().to_string())
        .collect();
    assert_eq!(names, ["a@R", "b@R", "c@R"]);
}

#[test]
fn append_to_mit_file_keeps_mit_bytes_and_overwrites_end_marker() {
    let dir = temp_dir("append-mit");
    let path = dir.join("k.keytab");
    let original = std::fs::read(testdata("mit-1.20").join("salt.keytab")).unwrap();
    let mut with_marker = original.clone();
    with_marker.extend_from_slice(&[0, 0, 0, 0, 0xaa, 0xbb]);
    std::fs::write(&path, &with_marker).unwrap();
    Keytab::append_to_file(&path, &[entry("new@R", 9, 18, 4)]).unwrap();
    let after = std::fs::read(&path).unwrap();
    assert_eq!(&after[..original.len()], &original[..]);
    let k = Keytab::from_bytes(&after).unwrap();
    assert_eq!(k.len(), 5);
    assert_eq!(k.entries()[4].principal().to_string(), "new@R");
}

#[test]
fn append_refuses_corrupt_file_and_leaves_it() {
    let dir = temp_dir("append-bad");
    let path = dir.join("k.keytab");
    std::fs::write(&path, [5, 2, 0, 0, 0, 50, 1]).unwrap();
    let err = Keytab::append_to_file(&path, &[entry("a@R", 1, 18, 1)]).unwrap_err();
    assert!(matches!(err, Error::Truncated { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), [5, 2, 0, 0, 0, 50, 1]);
}

#[test]
fn keytab_name_loads_files_and_reports_io_errors() {
    let path = testdata("mit-1.20").join("principals.keytab");
    let name = KeytabName::parse(&format!("FILE:{}", path.display())).unwrap();
    assert_eq!(name.load().unwrap().len(), 5);
    let missing = KeytabName::parse("/nonexistent/kerbgate.keytab").unwrap();
    let err = missing.load().unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(
        err.to_string().contains("/nonexistent/kerbgate.keytab"),
        "{err}"
    );
}

#[test]
fn default_name_comes_from_env_then_etc() {
    // Only this test touches KRB5_KTNAME in this binary.
    std::env::remove_var("KRB5_KTNAME");
    assert_eq!(
        KeytabName::from_env_or_default().unwrap().to_string(),
        "FILE:/etc/krb5.keytab"
    );
    std::env::set_var("KRB5_KTNAME", "WRFILE:/tmp/x.keytab");
    assert_eq!(
        KeytabName::from_env_or_default().unwrap().to_string(),
        "WRFILE:/tmp/x.keytab"
    );
    std::env::set_var("KRB5_KTNAME", "MEMORY:foo");
    assert!(KeytabName::from_env_or_default().is_err());
    std::env::remove_var("KRB5_KTNAME");
}
