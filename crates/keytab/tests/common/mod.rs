//! Shared helpers for the integration tests: the `testdata/keytab` vector files.
// Test-only helpers: panicking on bad vector files is the intended failure.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

/// `testdata/keytab/<sub>`.
pub fn testdata(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/keytab")
        .join(sub)
}

/// One block of `name = value` lines, with the file and block index it came from.
pub struct Block {
    pub source: String,
    pub index: usize,
    pub fields: BTreeMap<String, String>,
}

impl Block {
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .unwrap_or_else(|| panic!("{} block {}: no {name}", self.source, self.index))
    }

    pub fn hex(&self, name: &str) -> Vec<u8> {
        hex::decode(self.get(name)).unwrap()
    }

    pub fn opt_hex(&self, name: &str) -> Option<Vec<u8>> {
        self.fields.get(name).map(|v| hex::decode(v).unwrap())
    }

    pub fn at(&self) -> String {
        format!("{} block {}", self.source, self.index)
    }
}

/// Reads a vector file: `#` comment lines, blocks separated by blank lines.
pub fn read_blocks(path: &PathBuf) -> Vec<Block> {
    let text = std::fs::read_to_string(path).unwrap();
    let source = path.display().to_string();
    let mut blocks = Vec::new();
    let mut fields = BTreeMap::new();
    for line in text.lines().chain(std::iter::once("")) {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if !fields.is_empty() {
                let index = blocks.len();
                blocks.push(Block {
                    source: source.clone(),
                    index,
                    fields: std::mem::take(&mut fields),
                });
            }
            continue;
        }
        let (name, value) = line
            .split_once(" = ")
            .unwrap_or_else(|| panic!("{source}: {line}"));
        fields.insert(name.to_owned(), value.to_owned());
    }
    blocks
}

/// An enctype given as an MIT name or a number.
pub fn enctype_number(s: &str) -> i32 {
    s.parse()
        .ok()
        .or_else(|| kerbgate_crypto::enctype_from_name(s))
        .unwrap()
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir =
        std::env::temp_dir().join(format!("kerbgate-keytab-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
