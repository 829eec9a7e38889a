//! Shared helpers for the acceptor's integration tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(unreachable_pub, dead_code)]

pub mod mint;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The workspace's `testdata/` folder.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// One `name = value` block of a vector file.
#[derive(Debug, Clone)]
pub struct Case {
    pub index: usize,
    pub fields: BTreeMap<String, String>,
}

impl Case {
    pub fn get(&self, key: &str) -> &str {
        self.fields
            .get(key)
            .unwrap_or_else(|| panic!("case {} lacks `{key}`", self.index))
    }

    pub fn opt(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    pub fn hex(&self, key: &str) -> Vec<u8> {
        hex::decode(self.get(key)).unwrap_or_else(|e| panic!("case {} `{key}`: {e}", self.index))
    }
}

/// Reads a vector file: `#` comments, blocks separated by blank lines.
pub fn read_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cases = Vec::new();
    let mut cur = BTreeMap::new();
    for line in text.lines().chain(std::iter::once("")) {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if !cur.is_empty() {
                cases.push(Case {
                    index: cases.len(),
                    fields: std::mem::take(&mut cur),
                });
            }
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("bad line {line:?}"));
        cur.insert(k.trim().to_string(), v.trim().to_string());
    }
    cases
}
