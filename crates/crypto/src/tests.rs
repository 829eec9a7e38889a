//! Behaviour tests: refusals, malformed input, tampering, secrecy of Debug.

use crate::{enctype_from_name, enctype_name, ChecksumType, Enctype, Error, Key, Unsupported};

fn keys() -> Vec<Key> {
    Enctype::all()
        .iter()
        .map(|&e| Key::random_to_key(e, &vec![0x5a; e.key_len()]).unwrap())
        .collect()
}

#[test]
fn refuses_des_and_des3_as_deprecated() {
    for n in [1, 2, 3, 4, 5, 6, 7, 8, 16, 24] {
        assert_eq!(
            Enctype::from_i32(n),
            Err(Error::UnsupportedEnctype {
                enctype: n,
                reason: Unsupported::Deprecated
            }),
            "enctype {n}"
        );
        assert!(enctype_name(n).is_some(), "enctype {n} has a name");
    }
    let msg = Enctype::from_i32(16).unwrap_err().to_string();
    assert!(
        msg.contains("des3-cbc-sha1") && msg.contains("RFC 8429"),
        "{msg}"
    );
}

#[test]
fn refuses_unknown_enctypes_and_checksums() {
    for n in [0, 9, 21, 22, 27, -1, i32::MAX, i32::MIN] {
        assert_eq!(
            Enctype::from_i32(n),
            Err(Error::UnsupportedEnctype {
                enctype: n,
                reason: Unsupported::Unknown
            })
        );
    }
    assert!(matches!(
        ChecksumType::from_i32(1),
        Err(Error::UnsupportedChecksumType {
            cksumtype: 1,
            reason: Unsupported::Deprecated
        })
    ));
    assert!(matches!(
        ChecksumType::from_i32(9999),
        Err(Error::UnsupportedChecksumType {
            reason: Unsupported::Unknown,
            ..
        })
    ));
}

#[test]
fn feature_gated_enctypes_follow_features() {
    let rc4 = Enctype::from_i32(23);
    let cam = Enctype::from_i32(26);
    if cfg!(feature = "rc4") {
        assert_eq!(rc4.map(Enctype::to_i32), Ok(23));
    } else {
        assert_eq!(
            rc4,
            Err(Error::UnsupportedEnctype {
                enctype: 23,
                reason: Unsupported::FeatureDisabled("rc4")
            })
        );
        assert!(ChecksumType::from_i32(-138).is_err());
    }
    if cfg!(feature = "camellia") {
        assert_eq!(cam.map(Enctype::to_i32), Ok(26));
    } else {
        assert_eq!(
            cam,
            Err(Error::UnsupportedEnctype {
                enctype: 26,
                reason: Unsupported::FeatureDisabled("camellia")
            })
        );
    }
}

#[test]
fn names_and_aliases_parse_like_mit() {
    let cases = [
        ("aes256-cts-hmac-sha1-96", 18),
        ("AES256-CTS", 18),
        ("aes256-sha1", 18),
        ("aes", 18),
        ("aes128-cts", 17),
        ("aes128-sha2", 19),
        ("aes256-sha2", 20),
        ("rc4-hmac", 23),
        ("arcfour-hmac-md5", 23),
        ("camellia256-cts", 26),
        ("des3-cbc-sha1", 16),
        ("des3-hmac-sha1", 16),
        ("des-cbc-crc", 1),
        ("18", 18),
    ];
    for (s, n) in cases {
        assert_eq!(enctype_from_name(s), Some(n), "{s}");
    }
    assert_eq!(enctype_from_name("no-such-enctype"), None);
    for &e in Enctype::all() {
        assert_eq!(enctype_from_name(e.name()), Some(e.to_i32()));
        assert_eq!(enctype_name(e.to_i32()), Some(e.name()));
        assert_eq!(Enctype::from_i32(e.to_i32()), Ok(e));
        let ck = e.checksum_type();
        assert_eq!(ChecksumType::from_i32(ck.to_i32()), Ok(ck));
        assert_eq!(ck.enctype(), e);
    }
    assert_eq!(
        Enctype::all().first(),
        Some(&Enctype::Aes256CtsHmacSha384192)
    );
}

#[test]
fn rejects_bad_key_lengths() {
    assert_eq!(
        Key::new(Enctype::Aes256CtsHmacSha196, &[0; 16]).unwrap_err(),
        Error::BadKeyLength {
            enctype: Enctype::Aes256CtsHmacSha196,
            len: 16,
            expected: 32
        }
    );
}

#[test]
fn rejects_bad_string_to_key_params() {
    let e = Enctype::Aes128CtsHmacSha196;
    for p in [
        &[0u8, 0, 0][..],
        &[0, 0, 0, 0, 1],
        &[0, 0, 0, 0],
        &[0xff, 0xff, 0xff, 0xff],
    ] {
        assert!(matches!(
            Key::from_password(e, b"pw", b"salt", Some(p)),
            Err(Error::BadStringToKeyParams { .. })
        ));
    }
}

#[test]
fn round_trips_every_enctype_and_length() {
    for key in keys() {
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 350, 1024] {
            let pt: Vec<u8> = (0..=255u8).cycle().take(len).collect();
            let ct = key.encrypt(11, &pt).unwrap();
            assert_eq!(ct.len(), len + key.enctype().ciphertext_overhead());
            assert_eq!(
                key.decrypt(11, &ct).unwrap(),
                pt,
                "{:?} len {len}",
                key.enctype()
            );
            assert_eq!(key.decrypt(12, &ct), Err(Error::IntegrityCheckFailed));
        }
    }
}

#[test]
fn short_ciphertexts_are_errors_not_panics() {
    for key in keys() {
        let min = key.enctype().ciphertext_overhead();
        for len in 0..=min + 16 {
            let junk = vec![0xa5u8; len];
            match key.decrypt(2, &junk) {
                Err(Error::CiphertextTooShort { len: l, min: m }) => {
                    assert!(len < min && l == len && m == min)
                }
                Err(Error::IntegrityCheckFailed) => assert!(len >= min),
                other => panic!("{:?} len {len}: {other:?}", key.enctype()),
            }
        }
    }
}

#[test]
fn any_flipped_bit_fails_integrity() {
    for key in keys() {
        let ct = key
            .encrypt(3, b"a ticket encrypted part, 35 bytes.")
            .unwrap();
        for bit in 0..ct.len() * 8 {
            let mut bad = ct.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                key.decrypt(3, &bad),
                Err(Error::IntegrityCheckFailed),
                "{:?} bit {bit}",
                key.enctype()
            );
        }
    }
}

#[test]
fn checksums_verify_and_reject_tampering() {
    for key in keys() {
        let ty = key.enctype().checksum_type();
        let ck = key.checksum(17, b"data").unwrap();
        assert_eq!(ck.len(), ty.size());
        assert_eq!(key.verify_checksum(ty, 17, b"data", &ck), Ok(()));
        assert_eq!(
            key.verify_checksum(ty, 18, b"data", &ck),
            Err(Error::IntegrityCheckFailed)
        );
        assert_eq!(
            key.verify_checksum(ty, 17, b"date", &ck),
            Err(Error::IntegrityCheckFailed)
        );
        assert!(matches!(
            key.verify_checksum(ty, 17, b"data", &ck[1..]),
            Err(Error::BadChecksumLength { .. })
        ));
        assert!(matches!(
            key.verify_checksum(ty, 17, b"data", &[]),
            Err(Error::BadChecksumLength { .. })
        ));
    }
    let aes = Key::generate(Enctype::Aes128CtsHmacSha196).unwrap();
    assert!(matches!(
        aes.checksum_with(ChecksumType::HmacSha196Aes256, 1, b"x"),
        Err(Error::ChecksumTypeMismatch { .. })
    ));
}

#[test]
fn debug_shows_no_key_bytes() {
    let key = Key::new(Enctype::Aes128CtsHmacSha196, &[0xAB; 16]).unwrap();
    let dbg = format!("{key:?}");
    assert!(
        dbg.contains("aes128-cts-hmac-sha1-96") && dbg.contains("16"),
        "{dbg}"
    );
    assert!(
        !dbg.to_lowercase().contains("ab, ") && !dbg.contains("171"),
        "{dbg}"
    );
    assert!(!dbg.to_lowercase().contains("abab"), "{dbg}");
}

#[test]
fn confounder_length_is_checked() {
    let key = Key::generate(Enctype::Aes256CtsHmacSha196).unwrap();
    assert_eq!(
        key.encrypt_with_confounder(1, &[0; 8], b"x"),
        Err(Error::BadConfounderLength {
            len: 8,
            expected: 16
        })
    );
}

#[test]
fn clones_share_the_usage_cache_across_threads() {
    let key = Key::generate(Enctype::Aes256CtsHmacSha384192).unwrap();
    let ct = key.encrypt(2, b"shared").unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let k = key.clone();
            let c = ct.clone();
            std::thread::spawn(move || k.decrypt(2, &c).unwrap())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), b"shared");
    }
}

#[test]
fn many_usages_still_work_past_the_cache_limit() {
    let key = Key::generate(Enctype::Aes128CtsHmacSha196).unwrap();
    for usage in 0..100 {
        let ct = key.encrypt(usage, b"u").unwrap();
        assert_eq!(key.decrypt(usage, &ct).unwrap(), b"u");
    }
}

#[test]
fn decrypt_into_appends_and_leaves_nothing_on_failure() {
    for key in keys() {
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 200] {
            let plain = vec![0x5a; len];
            let ct = key.encrypt(11, &plain).unwrap();
            let mut out = b"prefix".to_vec();
            key.decrypt_into(11, &ct, &mut out).unwrap();
            assert_eq!(&out[..6], b"prefix", "{key:?} {len}");
            assert_eq!(&out[6..], &plain[..], "{key:?} {len}");

            let mut bad = ct.clone();
            bad[0] ^= 1;
            let mut out = b"prefix".to_vec();
            assert!(key.decrypt_into(11, &bad, &mut out).is_err());
            assert_eq!(out, b"prefix", "{key:?} {len}");
            assert!(key.decrypt_into(12, &ct, &mut out).is_err());
            assert_eq!(out, b"prefix", "{key:?} {len}");
        }
    }
}

#[test]
fn checksum_and_encryption_keys_are_independent_per_usage() {
    // Kc is derived lazily and apart from Ke/Ki: using one first must not
    // change the other, for fast-slot usages and map usages alike.
    for key in keys() {
        for usage in [1u32, 23, 31, 32, 1000, u32::MAX] {
            let fresh = Key::new(key.enctype(), key.expose_secret_bytes()).unwrap();
            let cksum = fresh.checksum(usage, b"data").unwrap();
            let ct = fresh.encrypt(usage, b"data").unwrap();
            assert_eq!(key.decrypt(usage, &ct).unwrap(), b"data");
            assert_eq!(key.checksum(usage, b"data").unwrap(), cksum);
            let ct = key.encrypt(usage, b"data").unwrap();
            let other = Key::new(key.enctype(), key.expose_secret_bytes()).unwrap();
            assert_eq!(other.decrypt(usage, &ct).unwrap(), b"data");
            assert_eq!(other.checksum(usage, b"data").unwrap(), cksum);
        }
    }
}

#[test]
fn uncached_operations_match_the_cached_ones() {
    for key in keys() {
        let conf = vec![0x42; key.enctype().confounder_len()];
        for usage in [11u32, 12, 2000] {
            let plain = b"one authenticator per session key";
            let cached = key.encrypt_with_confounder(usage, &conf, plain).unwrap();
            let uncached = key
                .encrypt_with_confounder_uncached(usage, &conf, plain)
                .unwrap();
            assert_eq!(cached, uncached, "{:?} usage {usage}", key.enctype());
            let mut out = b"kept".to_vec();
            key.decrypt_into_uncached(usage, &cached, &mut out).unwrap();
            assert_eq!(&out[..4], b"kept");
            assert_eq!(&out[4..], plain);
            // A wrong usage fails integrity and appends nothing.
            let mut out = Vec::new();
            assert!(key
                .decrypt_into_uncached(usage + 1, &cached, &mut out)
                .is_err());
            assert!(out.is_empty());
        }
        assert!(key
            .encrypt_with_confounder_uncached(11, &[0; 3], b"x")
            .is_err());
    }
}
