//! Malformed and hostile keytab bytes: typed errors with offsets, no panics,
//! no allocations beyond the input.
// Helpers outside #[test] fns may panic: failing loudly is their job.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::cast_possible_truncation)]

mod common;

use common::testdata;
use kerbgate_keytab::{Error, KeyBytes, Keytab, KeytabEntry, Principal};

fn valid() -> Vec<u8> {
    std::fs::read(testdata("mit-1.20").join("principals.keytab")).unwrap()
}

/// Offsets where each record's length field starts, plus the end.
fn record_boundaries(data: &[u8]) -> Vec<usize> {
    let mut out = vec![2];
    let mut pos = 2;
    while pos < data.len() {
        let len = i32::from_be_bytes(data[pos..pos + 4].try_into().unwrap());
        pos += 4 + len.unsigned_abs() as usize;
        out.push(pos);
    }
    out
}

fn offset_of(err: &Error) -> Option<usize> {
    match err {
        Error::Truncated { offset, .. }
        | Error::BadRecordLength { offset, .. }
        | Error::BadLength { offset, .. }
        | Error::RecordOverrun { offset, .. }
        | Error::NotUtf8 { offset, .. } => Some(*offset),
        Error::BadVersion { .. } => Some(0),
        _ => None,
    }
}

#[test]
fn truncation_at_every_length_is_a_typed_error_or_a_prefix() {
    let data = valid();
    let boundaries = record_boundaries(&data);
    let full = Keytab::from_bytes(&data).unwrap();
    for len in 0..data.len() {
        let cut = &data[..len];
        match Keytab::from_bytes(cut) {
            Ok(k) => {
                let records = boundaries.iter().position(|&b| b == len);
                let records = records.unwrap_or_else(|| panic!("length {len} parsed"));
                assert_eq!(k.entries(), &full.entries()[..records], "length {len}");
            }
            Err(e) => {
                let offset = offset_of(&e).unwrap_or_else(|| panic!("length {len}: {e:?}"));
                assert!(offset <= len, "length {len}: offset {offset} in {e}");
                assert!(
                    !boundaries.contains(&len) || len == 0 || len == 1,
                    "length {len}: {e}"
                );
                assert!(e.to_string().contains(&offset.to_string()), "{e}");
            }
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let data = valid();
    for i in 0..data.len() {
        for v in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut d = data.clone();
            d[i] = v;
            if let Ok(k) = Keytab::from_bytes(&d) {
                let again = Keytab::from_bytes(&k.to_bytes().unwrap()).unwrap();
                assert_eq!(again, k, "byte {i} = {v:#x}");
            }
        }
    }
}

fn record(body: &[u8]) -> Vec<u8> {
    let mut out = vec![5, 2];
    out.extend_from_slice(&(body.len() as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

#[test]
fn rejects_bad_versions_and_empty_files() {
    assert!(matches!(
        Keytab::from_bytes(&[]),
        Err(Error::Truncated { offset: 0, .. })
    ));
    assert!(matches!(
        Keytab::from_bytes(&[5]),
        Err(Error::Truncated { offset: 0, .. })
    ));
    for v in [[5, 3], [5, 0], [0, 0], [2, 5], [0xff, 0xff]] {
        let err = Keytab::from_bytes(&v).unwrap_err();
        assert!(matches!(err, Error::BadVersion { .. }), "{v:?}: {err}");
    }
    assert!(Keytab::from_bytes(&[5, 2]).unwrap().is_empty());
    assert!(Keytab::from_bytes(&[5, 1]).unwrap().is_empty());
}

#[test]
fn huge_record_length_is_truncation_not_allocation() {
    let mut d = vec![5, 2];
    d.extend_from_slice(&i32::MAX.to_be_bytes());
    d.extend_from_slice(&[0; 10]);
    let err = Keytab::from_bytes(&d).unwrap_err();
    assert!(
        matches!(err, Error::Truncated { offset: 6, needed, available: 10, .. } if needed == i32::MAX as usize),
        "{err:?}"
    );
}

#[test]
fn negative_lengths_skip_holes_and_fail_at_eof() {
    // A hole of 3 bytes, then the end.
    let mut d = vec![5, 2];
    d.extend_from_slice(&(-3i32).to_be_bytes());
    d.extend_from_slice(&[9, 9, 9]);
    assert!(Keytab::from_bytes(&d).unwrap().is_empty());

    // A hole longer than what is left.
    let mut d = vec![5, 2];
    d.extend_from_slice(&(-8i32).to_be_bytes());
    d.extend_from_slice(&[0; 4]);
    let err = Keytab::from_bytes(&d).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Truncated {
                offset: 6,
                what: "deleted-entry hole",
                ..
            }
        ),
        "{err:?}"
    );

    // i32::MIN cannot be negated (MIT: KRB5_KT_FORMAT).
    let mut d = vec![5, 2];
    d.extend_from_slice(&i32::MIN.to_be_bytes());
    let err = Keytab::from_bytes(&d).unwrap_err();
    assert!(
        matches!(
            err,
            Error::BadRecordLength {
                offset: 2,
                length: i32::MIN,
                ..
            }
        ),
        "{err:?}"
    );

    // A partial length field at the end.
    let mut d = valid();
    d.extend_from_slice(&[0xff, 0xff]);
    let err = Keytab::from_bytes(&d).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Truncated {
                what: "record length",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn holes_between_entries_are_skipped() {
    let data = valid();
    let b = record_boundaries(&data);
    // Turn the second record into a hole, as MIT's delete does.
    let mut d = data.clone();
    let len = i32::from_be_bytes(d[b[1]..b[1] + 4].try_into().unwrap());
    d[b[1]..b[1] + 4].copy_from_slice(&(-len).to_be_bytes());
    let full = Keytab::from_bytes(&data).unwrap();
    let holed = Keytab::from_bytes(&d).unwrap();
    assert_eq!(holed.len(), full.len() - 1);
    assert_eq!(holed.entries()[1], full.entries()[2]);
}

#[test]
fn zero_length_record_ends_the_entries() {
    let mut d = valid();
    let n = Keytab::from_bytes(&d).unwrap().len();
    d.extend_from_slice(&[0, 0, 0, 0, 0xde, 0xad]);
    assert_eq!(Keytab::from_bytes(&d).unwrap().len(), n);
}

#[test]
fn huge_component_count_overruns_the_record() {
    // count 0x7fff, realm "R", one component "a", then the record ends.
    let body = [0x7f, 0xff, 0, 1, b'R', 0, 1, b'a'];
    let err = Keytab::from_bytes(&record(&body)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::RecordOverrun {
                offset: 2,
                length: 8,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn zero_and_negative_lengths_are_refused() {
    let cases: [(&[u8], usize, &str); 4] = [
        (&[0, 0], 6, "component count"),
        (&[0x80, 0], 6, "component count"),
        (&[0, 1, 0, 0], 8, "realm"),
        (&[0, 1, 0, 1, b'R', 0xff, 0xf0], 11, "name component"),
    ];
    for (body, at, field) in cases {
        let err = Keytab::from_bytes(&record(body)).unwrap_err();
        assert!(
            matches!(err, Error::BadLength { offset, what, .. } if offset == at && what == field),
            "{body:?}: {err:?}"
        );
    }
}

#[test]
fn non_utf8_names_give_the_offset() {
    let body = [0, 1, 0, 2, b'R', 0xff, 0, 1, b'a'];
    let err = Keytab::from_bytes(&record(&body)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotUtf8 {
                offset: 10,
                what: "realm"
            }
        ),
        "{err:?}"
    );
}

fn entry_body(vno8: u8, tail: &[u8]) -> Vec<u8> {
    let mut b = vec![
        0, 1, 0, 1, b'R', 0, 1, b'a', 0, 0, 0, 1, 0, 0, 0, 0, vno8, 0, 17, 0, 16,
    ];
    b.extend_from_slice(&[7; 16]);
    b.extend_from_slice(tail);
    b
}

#[test]
fn kvno_extension_follows_the_mit_rule() {
    let kvno = |tail: &[u8]| {
        Keytab::from_bytes(&record(&entry_body(9, tail)))
            .unwrap()
            .entries()[0]
            .kvno()
    };
    assert_eq!(kvno(&[]), 9);
    assert_eq!(kvno(&[0, 0, 1]), 9); // fewer than 4 bytes: padding
    assert_eq!(kvno(&[0, 0, 0, 0]), 9); // zero: zero-fill
    assert_eq!(kvno(&[0, 1, 0, 0]), 65536);
    assert_eq!(kvno(&[0, 0, 1, 44, 0, 0, 0, 0]), 300); // with trailing padding
}

#[test]
fn reads_version_0x0501_in_host_order() {
    // count includes the realm; no name type; host byte order.
    let mut body = Vec::new();
    body.extend_from_slice(&2i16.to_ne_bytes());
    body.extend_from_slice(&1i16.to_ne_bytes());
    body.push(b'R');
    body.extend_from_slice(&3i16.to_ne_bytes());
    body.extend_from_slice(b"svc");
    body.extend_from_slice(&1000u32.to_ne_bytes());
    body.push(4);
    body.extend_from_slice(&17i16.to_ne_bytes());
    body.extend_from_slice(&16i16.to_ne_bytes());
    body.extend_from_slice(&[3; 16]);
    let mut d = vec![5, 1];
    d.extend_from_slice(&(body.len() as i32).to_ne_bytes());
    d.extend_from_slice(&body);
    let k = Keytab::from_bytes(&d).unwrap();
    let e = &k.entries()[0];
    assert_eq!(e.principal().to_string(), "svc@R");
    assert_eq!(e.principal().name_type(), 0);
    assert_eq!((e.kvno(), e.timestamp(), e.enctype()), (4, 1000, 17));
}

#[test]
fn unencodable_entries_are_refused_on_write() {
    let key = KeyBytes::new(18, &[1; 32]);
    let cases = [
        Principal::new(1, vec![], "R"),
        Principal::new(1, vec!["".into()], "R"),
        Principal::new(1, vec!["a".into()], ""),
        Principal::new(1, vec!["x".repeat(40000)], "R"),
    ];
    for p in cases {
        let k: Keytab = [KeytabEntry::new(p.clone(), 1, 0, key.clone())]
            .into_iter()
            .collect();
        assert!(
            matches!(k.to_bytes(), Err(Error::Unencodable { .. })),
            "{p:?}"
        );
    }
    let big_enctype = KeytabEntry::new(
        Principal::parse("a@R").unwrap(),
        1,
        0,
        KeyBytes::new(70000, &[1]),
    );
    let k: Keytab = [big_enctype].into_iter().collect();
    assert!(matches!(
        k.to_bytes(),
        Err(Error::Unencodable {
            what: "enctype",
            ..
        })
    ));
}
