//! Reads `testdata/*.txt` vector files: a header of `#` lines, then blocks of
//! `name = hex` lines separated by blank lines.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// One block of a vector file, with its position for failure messages.
pub(crate) struct Case {
    /// The vector file name.
    pub(crate) file: String,
    /// The block's index in the file.
    pub(crate) index: usize,
    /// The block's `name = hex` lines.
    pub(crate) fields: BTreeMap<String, Vec<u8>>,
}

impl Case {
    /// The named field; panics naming file and index when absent.
    pub(crate) fn get(&self, name: &str) -> &[u8] {
        self.fields
            .get(name)
            .unwrap_or_else(|| panic!("{} case {}: no field {name}", self.file, self.index))
    }

    /// "file case index", for failure messages.
    pub(crate) fn at(&self) -> String {
        format!("{} case {}", self.file, self.index)
    }
}

/// Loads `testdata/<name>`.
pub(crate) fn load(name: &str) -> Vec<Case> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "testdata", name]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cases = Vec::new();
    let mut fields = BTreeMap::new();
    for line in text.lines().chain([""]) {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if !fields.is_empty() {
                let index = cases.len();
                cases.push(Case {
                    file: name.to_owned(),
                    index,
                    fields: std::mem::take(&mut fields),
                });
            }
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{name}: bad line {line}"));
        let bytes = hex::decode(v.trim()).unwrap_or_else(|e| panic!("{name}: {k}: {e}"));
        fields.insert(k.trim().to_owned(), bytes);
    }
    cases
}
