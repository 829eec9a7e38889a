//! Keytabs made by MIT ktutil 1.20 and by Kerberos.NET, checked against the
//! expectations files beside them (see their READMEs).
// Helpers outside #[test] fns may panic: failing loudly is their job.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::cast_possible_truncation)]

mod common;

use common::{enctype_number, read_blocks, testdata, Block};
use kerbgate_keytab::{key_from_password, Keytab, Principal};

fn check_folder(sub: &str) -> Vec<(Block, Keytab)> {
    let blocks = read_blocks(&testdata(sub).join("expectations.txt"));
    assert!(!blocks.is_empty());
    let mut out = Vec::new();
    for b in blocks {
        let keytab = Keytab::load(testdata(sub).join(b.get("file"))).unwrap();
        let index: usize = b.get("index").parse().unwrap();
        let entry = keytab
            .entries()
            .get(index)
            .unwrap_or_else(|| panic!("{}: missing", b.at()));
        let at = b.at();
        assert_eq!(entry.principal().to_string(), b.get("principal"), "{at}");
        assert_eq!(
            *entry.principal(),
            Principal::parse(b.get("principal")).unwrap(),
            "{at}"
        );
        if let Some(nt) = b.fields.get("name_type") {
            assert_eq!(
                entry.principal().name_type(),
                nt.parse::<i32>().unwrap(),
                "{at}"
            );
        }
        assert_eq!(entry.kvno(), b.get("kvno").parse::<u32>().unwrap(), "{at}");
        assert_eq!(entry.enctype(), enctype_number(b.get("enctype")), "{at}");
        assert_eq!(
            entry.key_bytes().expose_secret_bytes(),
            b.hex("key"),
            "{at}"
        );
        out.push((b, keytab));
    }
    // Every entry of every file is covered by a block.
    let mut files: Vec<&str> = out.iter().map(|(b, _)| b.get("file")).collect();
    files.dedup();
    for file in files {
        let count = out.iter().filter(|(b, _)| b.get("file") == file).count();
        let keytab = Keytab::load(testdata(sub).join(file)).unwrap();
        assert_eq!(keytab.len(), count, "{sub}/{file}: entry count");
    }
    out
}

#[test]
fn reads_every_mit_ktutil_entry() {
    check_folder("mit-1.20");
}

#[test]
fn rewrites_mit_keytabs_byte_for_byte() {
    for name in ["all-enctypes", "principals", "unicode", "salt"] {
        let path = testdata("mit-1.20").join(format!("{name}.keytab"));
        let original = std::fs::read(&path).unwrap();
        let keytab = Keytab::from_bytes(&original).unwrap();
        assert_eq!(*keytab.to_bytes().unwrap(), original, "{}", path.display());
    }
}

#[test]
fn password_keys_equal_mit_keys() {
    let mut failures = Vec::new();
    for (b, keytab) in check_folder("mit-1.20") {
        let index: usize = b.get("index").parse().unwrap();
        let entry = &keytab.entries()[index];
        let salt = b.opt_hex("salt");
        let key = key_from_password(
            entry.principal(),
            &b.hex("password"),
            entry.enctype(),
            salt.as_deref(),
            None,
        );
        match key {
            Ok(k) if k.expose_secret_bytes() == b.hex("key") => {}
            Ok(_) => failures.push(format!("{} ({}): key differs", b.at(), b.get("enctype"))),
            Err(e) => failures.push(format!("{} ({}): {e}", b.at(), b.get("enctype"))),
        }
        // The entry converts to a usable crypto key of the same bytes.
        assert_eq!(
            entry.key().unwrap().expose_secret_bytes(),
            b.hex("key"),
            "{}",
            b.at()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reads_kerberos_net_keytabs() {
    let checked = check_folder("kerberos.net");
    assert_eq!(checked.len(), 5 + 1 + 15);
}

#[test]
fn kerberos_net_keytabs_round_trip() {
    for name in [
        "sample",
        "sample_with_32_bit_version_override",
        "sample_with_padding",
    ] {
        let path = testdata("kerberos.net").join(format!("{name}.keytab"));
        let keytab = Keytab::load(&path).unwrap();
        let again = Keytab::from_bytes(&keytab.to_bytes().unwrap()).unwrap();
        assert_eq!(again, keytab, "{}", path.display());
    }
}

#[test]
fn finds_entries_by_principal_kvno_and_enctype() {
    let keytab = Keytab::load(testdata("kerberos.net").join("sample_with_padding.keytab")).unwrap();
    assert_eq!(keytab.principals().len(), 3);
    let host = Principal::parse("host/krb5test@QA2012R2.DOM").unwrap();
    assert_eq!(keytab.find(&host, None, None, false).count(), 5);
    assert_eq!(keytab.find(&host, Some(2), Some(18), false).count(), 1);
    assert_eq!(keytab.find(&host, Some(3), None, false).count(), 0);
    let lower = Principal::parse("HOST/KRB5TEST@qa2012r2.dom").unwrap();
    assert_eq!(keytab.find(&lower, None, None, false).count(), 0);
    assert_eq!(keytab.find(&lower, None, Some(17), true).count(), 1);
    assert_eq!(keytab.highest_kvno(&host, Some(23)), Some(2));
    assert_eq!(keytab.highest_kvno(&host, Some(20)), None);

    let mit = Keytab::load(testdata("mit-1.20").join("salt.keytab")).unwrap();
    let svc = Principal::parse("svc/h.example.com@EXAMPLE.COM").unwrap();
    assert_eq!(mit.highest_kvno(&svc, None), Some(5));
    assert_eq!(mit.highest_kvno(&svc, Some(17)), Some(4));
}
