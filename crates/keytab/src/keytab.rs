//! The in-memory keytab, lookups, and keytab files on disk.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use zeroize::Zeroizing;

use crate::consts::{KEYTAB_VERSION_2, MAX_KEYTAB_FILE_SIZE};
use crate::entry::KeytabEntry;
use crate::error::{Error, Result};
use crate::{reader, writer, Principal};

/// A keytab: an ordered list of entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keytab {
    entries: Vec<KeytabEntry>,
}

impl Keytab {
    /// An empty keytab.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the bytes of a keytab file (version 0x0502 or 0x0501).
    ///
    /// Deleted-entry holes are skipped; a zero record length ends the entries.
    ///
    /// # Errors
    /// A typed error naming the byte offset: [`Error::Truncated`],
    /// [`Error::BadVersion`], [`Error::BadRecordLength`], [`Error::BadLength`],
    /// [`Error::RecordOverrun`] or [`Error::NotUtf8`].
    pub fn from_bytes(data: &[u8]) -> Result<Self> {
        Ok(Keytab {
            entries: reader::parse(data)?.entries,
        })
    }

    /// Encodes as a version 0x0502 keytab file, with the 32-bit kvno in every
    /// entry as MIT writes it. The result holds key bytes and is zeroized on drop.
    ///
    /// # Errors
    /// [`Error::Unencodable`] for an entry the format cannot hold: no
    /// components, an empty or over-32767-byte realm, component or key, or an
    /// enctype outside the 16-bit range.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(writer::header(KEYTAB_VERSION_2).to_vec());
        for entry in &self.entries {
            writer::record(&mut out, entry, KEYTAB_VERSION_2)?;
        }
        Ok(out)
    }

    /// Reads the keytab file at `path` (at most [`MAX_KEYTAB_FILE_SIZE`] bytes).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::TooLarge`], or a
    /// parse error as in [`Keytab::from_bytes`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(io_err(path, "opening"))?;
        let data = read_capped(file, path)?;
        Self::from_bytes(&data)
    }

    /// Writes the keytab to `path`, replacing the file atomically (a temporary
    /// file in the same directory, created with mode 0600, then renamed).
    ///
    /// # Errors
    /// [`Error::Unencodable`] as in [`Keytab::to_bytes`]; [`Error::Io`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_bytes()?;
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = path.with_file_name(format!(".{file_name}.kerbgate-{}", std::process::id()));
        let mut file = create_options()
            .create_new(true)
            .open(&tmp)
            .map_err(io_err(&tmp, "creating"))?;
        let written = file
            .write_all(&bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_err(path, "writing")(e));
        }
        Ok(())
    }

    /// Appends `entries` to the keytab file at `path`, creating it (mode 0600,
    /// version 0x0502) when missing. An existing file keeps its version; new
    /// records go where MIT would put them: at the end marker or end of file.
    ///
    /// Concurrent writers are not locked out (see the crate's limitations).
    ///
    /// # Errors
    /// [`Error::Io`], a parse error for a corrupt existing file (nothing is
    /// written then), or [`Error::Unencodable`].
    pub fn append_to_file(path: impl AsRef<Path>, entries: &[KeytabEntry]) -> Result<()> {
        let path = path.as_ref();
        let mut file = create_options()
            .read(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err(path, "opening"))?;
        let existing = read_capped(&mut file, path)?;

        let (version, end, mut out) = if existing.is_empty() {
            (
                KEYTAB_VERSION_2,
                0,
                Zeroizing::new(writer::header(KEYTAB_VERSION_2).to_vec()),
            )
        } else {
            let parsed = reader::parse(&existing)?;
            (parsed.version, parsed.end, Zeroizing::new(Vec::new()))
        };
        for entry in entries {
            writer::record(&mut out, entry, version)?;
        }

        let end = u64::try_from(end).unwrap_or(u64::MAX);
        file.set_len(end)
            .and_then(|()| file.seek(SeekFrom::Start(end)))
            .and_then(|_| file.write_all(&out))
            .and_then(|()| file.sync_all())
            .map_err(io_err(path, "writing"))
    }

    /// All entries, in file order.
    pub fn entries(&self) -> &[KeytabEntry] {
        &self.entries
    }

    /// Adds an entry at the end.
    pub fn push(&mut self, entry: KeytabEntry) {
        self.entries.push(entry);
    }

    /// Removes the entries for which `keep` returns false.
    pub fn retain(&mut self, keep: impl FnMut(&KeytabEntry) -> bool) {
        self.entries.retain(keep);
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The distinct principals (name type ignored), in order of first appearance.
    pub fn principals(&self) -> Vec<&Principal> {
        let mut seen = HashSet::new();
        self.entries
            .iter()
            .map(KeytabEntry::principal)
            .filter(|p| seen.insert(*p))
            .collect()
    }

    /// The entries for `principal`, optionally only of key version `kvno` and
    /// enctype `enctype`. The name type is never compared; `case_insensitive`
    /// compares components and realm as [`Principal::eq_ignore_case`] does.
    pub fn find<'a>(
        &'a self,
        principal: &'a Principal,
        kvno: Option<u32>,
        enctype: Option<i32>,
        case_insensitive: bool,
    ) -> impl Iterator<Item = &'a KeytabEntry> + 'a {
        self.entries.iter().filter(move |e| {
            let name_matches = if case_insensitive {
                e.principal().eq_ignore_case(principal)
            } else {
                e.principal() == principal
            };
            name_matches
                && kvno.is_none_or(|k| e.kvno() == k)
                && enctype.is_none_or(|t| e.enctype() == t)
        })
    }

    /// The highest kvno held for `principal` (exact match), optionally of one enctype.
    pub fn highest_kvno(&self, principal: &Principal, enctype: Option<i32>) -> Option<u32> {
        self.find(principal, None, enctype, false)
            .map(KeytabEntry::kvno)
            .max()
    }
}

impl FromIterator<KeytabEntry> for Keytab {
    fn from_iter<I: IntoIterator<Item = KeytabEntry>>(iter: I) -> Self {
        Keytab {
            entries: iter.into_iter().collect(),
        }
    }
}

fn io_err(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_owned();
    move |source| Error::Io {
        path,
        action,
        source,
    }
}

fn create_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Reads a whole file of at most [`MAX_KEYTAB_FILE_SIZE`] bytes.
fn read_capped(file: impl Read, path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let mut data = Zeroizing::new(Vec::new());
    file.take(MAX_KEYTAB_FILE_SIZE + 1)
        .read_to_end(&mut data)
        .map_err(io_err(path, "reading"))?;
    let size = u64::try_from(data.len()).unwrap_or(u64::MAX);
    if size > MAX_KEYTAB_FILE_SIZE {
        return Err(Error::TooLarge {
            size,
            limit: MAX_KEYTAB_FILE_SIZE,
        });
    }
    Ok(data)
}
