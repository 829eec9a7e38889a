//! Known-answer tests from the vector files under `testdata/`. Each failure
//! names the file and the case index (0-based, in file order).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::enctype::{ChecksumType, Enctype};
use crate::key::Key;

/// One `name = value` block of a vector file.
struct Case {
    index: usize,
    fields: HashMap<String, String>,
}

impl Case {
    fn bytes(&self, name: &str) -> Vec<u8> {
        let v = self
            .fields
            .get(name)
            .unwrap_or_else(|| panic!("case {}: no {name}", self.index));
        if let Some(s) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            return s.as_bytes().to_vec();
        }
        hex::decode(v).unwrap_or_else(|e| panic!("case {}: {name}: {e}", self.index))
    }

    fn opt_bytes(&self, name: &str) -> Option<Vec<u8>> {
        self.fields.contains_key(name).then(|| self.bytes(name))
    }

    fn num<T: std::str::FromStr>(&self, name: &str) -> T
    where
        T::Err: std::fmt::Display,
    {
        let v = self
            .fields
            .get(name)
            .unwrap_or_else(|| panic!("case {}: no {name}", self.index));
        v.parse()
            .unwrap_or_else(|e| panic!("case {}: {name}: {e}", self.index))
    }

    fn enctype(&self) -> Enctype {
        Enctype::from_i32(self.num("enctype")).unwrap()
    }

    fn usage(&self) -> u32 {
        self.num("usage")
    }
}

fn load(rel: &str) -> (String, Vec<Case>) {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "testdata", rel]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut cases = Vec::new();
    let mut fields = HashMap::new();
    for line in text.lines().chain(std::iter::once("")) {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if !fields.is_empty() {
                cases.push(Case {
                    index: cases.len(),
                    fields: std::mem::take(&mut fields),
                });
            }
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{rel}: bad line {line}"));
        fields.insert(k.trim().to_string(), v.trim().to_string());
    }
    assert!(!cases.is_empty(), "{rel}: no cases");
    (rel.to_string(), cases)
}

fn check(file: &str, case: &Case, what: &str, got: &[u8], want: &[u8]) {
    assert_eq!(
        hex::encode(got),
        hex::encode(want),
        "{file} case {}: {what} mismatch",
        case.index
    );
}

/// Runs `f` on every case of each file whose enctypes are compiled in.
fn each(files: &[&str], mut f: impl FnMut(&str, &Case)) {
    let mut ran = 0;
    for rel in files {
        let (file, cases) = load(rel);
        for case in &cases {
            if let Some(n) = case.fields.get("enctype") {
                let n: i32 = n.parse().unwrap();
                if Enctype::from_i32(n).is_err() {
                    continue;
                }
            }
            f(&file, case);
            ran += 1;
        }
    }
    assert!(ran > 0, "no case ran in {files:?}");
}

#[test]
fn rfc3961_nfold() {
    each(&["rfc3961/appendix-a1-nfold.txt"], |file, c| {
        let mut out = vec![0u8; c.num::<usize>("bits") / 8];
        crate::nfold::nfold(&c.bytes("input"), &mut out);
        check(file, c, "n-fold", &out, &c.bytes("output"));
    });
}

#[test]
fn rfc3962_cts() {
    each(&["rfc3962/appendix-b-cts.txt"], |file, c| {
        let cipher =
            crate::primitives::Cipher::new(crate::primitives::CipherKind::Aes, &c.bytes("key"))
                .unwrap();
        let mut buf = c.bytes("plaintext");
        assert!(cipher.encrypt_cts(&mut buf));
        check(file, c, "ciphertext", &buf, &c.bytes("ciphertext"));
        let mut first = crate::cts::Block::default();
        let mut rest = Vec::new();
        assert!(cipher.decrypt_cts(&buf, &mut first, &mut rest));
        let back = [first.as_slice(), &rest].concat();
        check(file, c, "decryption", &back, &c.bytes("plaintext"));
    });
}

#[test]
fn string_to_key() {
    each(
        &[
            "rfc3962/appendix-b-string-to-key.txt",
            "rfc8009/appendix-a-string-to-key.txt",
            "rfc6803/mit-string-to-key.txt",
            "rfc4757/string-to-key.txt",
        ],
        |file, c| {
            let params = c.opt_bytes("params");
            let key = Key::from_password(
                c.enctype(),
                &c.bytes("password"),
                &c.bytes("salt"),
                params.as_deref(),
            )
            .unwrap_or_else(|e| panic!("{file} case {}: {e}", c.index));
            check(file, c, "key", key.expose_secret_bytes(), &c.bytes("key"));
        },
    );
}

#[test]
fn key_derivation() {
    each(
        &[
            "rfc3962/mit-key-derivation.txt",
            "rfc8009/appendix-a-key-derivation.txt",
            "rfc6803/section-10-key-derivation.txt",
        ],
        |file, c| {
            let enctype = c.enctype();
            let base = c.bytes("base-key");
            let constant = c.bytes("constant");
            let want = c.bytes("derived-key");
            let mut out = vec![0u8; want.len()];
            let done = match enctype.family() {
                crate::enctype::Family::AesSha1 => crate::rfc3962::dk(&base, &constant, &mut out),
                crate::enctype::Family::AesSha2 => crate::rfc8009::kdf(
                    crate::key::sha2_params(enctype),
                    &base,
                    &constant,
                    &[],
                    &mut out,
                ),
                #[cfg(feature = "camellia")]
                crate::enctype::Family::Camellia => crate::rfc6803::dk(&base, &constant, &mut out),
                #[cfg(feature = "rc4")]
                crate::enctype::Family::Rc4 => None,
            };
            assert!(done.is_some(), "{file} case {}: derivation failed", c.index);
            check(file, c, "derived key", &out, &want);
        },
    );
}

#[test]
fn encryption_with_confounder() {
    each(
        &[
            "rfc8009/appendix-a-encryption.txt",
            "rfc6803/section-10-encryption.txt",
        ],
        |file, c| {
            let key = Key::new(c.enctype(), &c.bytes("base-key")).unwrap();
            let ct = key
                .encrypt_with_confounder(c.usage(), &c.bytes("confounder"), &c.bytes("plaintext"))
                .unwrap();
            check(file, c, "ciphertext", &ct, &c.bytes("ciphertext"));
            let pt = key.decrypt(c.usage(), &ct).unwrap();
            check(file, c, "decryption", &pt, &c.bytes("plaintext"));
        },
    );
}

#[test]
fn known_answer_decryption() {
    each(
        &[
            "rfc3962/mit-decrypt.txt",
            "rfc8009/mit-decrypt.txt",
            "rfc6803/mit-decrypt.txt",
            "rfc4757/mit-decrypt.txt",
        ],
        |file, c| {
            let key = Key::new(c.enctype(), &c.bytes("key")).unwrap();
            let pt = key
                .decrypt(c.usage(), &c.bytes("ciphertext"))
                .unwrap_or_else(|e| panic!("{file} case {}: {e}", c.index));
            check(file, c, "plaintext", &pt, &c.bytes("plaintext"));
        },
    );
}

#[test]
fn checksums() {
    each(
        &[
            "rfc3962/mit-checksums.txt",
            "rfc8009/appendix-a-checksums.txt",
            "rfc6803/section-10-checksums.txt",
            "rfc4757/mit-checksums.txt",
        ],
        |file, c| {
            let key = Key::new(c.enctype(), &c.bytes("key")).unwrap();
            let ty = ChecksumType::from_i32(c.num("cksumtype")).unwrap();
            let data = c.bytes("plaintext");
            let got = key.checksum_with(ty, c.usage(), &data).unwrap();
            check(file, c, "checksum", &got, &c.bytes("checksum"));
            key.verify_checksum(ty, c.usage(), &data, &got)
                .unwrap_or_else(|e| panic!("{file} case {}: {e}", c.index));
        },
    );
}

#[test]
fn prf() {
    each(
        &["rfc3962/mit-prf.txt", "rfc8009/appendix-a-prf.txt"],
        |file, c| {
            let key = Key::new(c.enctype(), &c.bytes("key")).unwrap();
            check(
                file,
                c,
                "prf",
                &key.prf(&c.bytes("input")).unwrap(),
                &c.bytes("output"),
            );
        },
    );
}
