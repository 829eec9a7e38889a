//! Unit tests of the doctor; the CLI tests run it on the MIT captures.

use std::sync::Arc;

use kerbgate_keytab::{KeyBytes, Keytab, KeytabEntry, Principal};

use super::*;

fn keytab(entries: &[(u32, i32)]) -> Keytab {
    let p = Principal::parse("imap/mail.example.com@EXAMPLE.COM").unwrap();
    entries
        .iter()
        .map(|&(kvno, et)| KeytabEntry::new(p.clone(), kvno, 0, KeyBytes::new(et, &[1u8; 32])))
        .collect()
}

#[test]
fn keytab_checks_find_weak_gaps_and_permissions() {
    let f = check_keytab(&keytab(&[(1, 18), (3, 23)]), Some(0o100644));
    let checks: Vec<(Check, Severity)> = f.iter().map(|f| (f.check, f.severity)).collect();
    assert!(checks.contains(&(Check::KeytabPermissions, Severity::Error)));
    assert!(checks.contains(&(Check::WeakEnctype, Severity::Warning)));
    assert!(checks.contains(&(Check::SeveralKvnos, Severity::Info)));
    assert!(checks.contains(&(Check::KvnoGap, Severity::Info)));
    assert!(check_keytab(&keytab(&[(1, 18)]), Some(0o600))
        .iter()
        .all(|f| f.severity == Severity::Info));
}

#[test]
fn garbage_is_one_framing_error_and_never_remembered() {
    let keys = Arc::new(KeyTable::from_keytab(&keytab(&[(1, 18)])));
    let mut d = Doctor::new(keys, Timestamp::from_secs(1_700_000_000));
    for input in [&b""[..], b"\x60", b"\x60\x00", &[0xff; 64]] {
        let r = d.examine(input);
        assert!(r.has_errors());
        assert!(!r.acceptor_accepted);
        assert_eq!(r.findings.first().map(|f| f.check), Some(Check::Framing));
    }
    assert!(d.seen.is_empty());
    assert_eq!(d.skip_token(), 5);
}

#[test]
fn display_names_severity_code_and_fix() {
    let f = Finding::new(Severity::Error, Check::Kvno, "old kvno")
        .code("KRB_AP_ERR_BADKEYVER")
        .fix("keep the old key");
    assert_eq!(
        f.to_string(),
        "error (KRB_AP_ERR_BADKEYVER): old kvno; fix: keep the old key"
    );
}
