//! Keytab names as MIT resolves them (`krb5_kt_resolve`): `FILE:path`,
//! `WRFILE:path`, a bare path, `KRB5_KTNAME`, the default `/etc/krb5.keytab`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::Keytab;

/// MIT's compiled-in default keytab path.
pub const DEFAULT_KEYTAB_PATH: &str = "/etc/krb5.keytab";

/// The environment variable naming the default keytab.
pub const KEYTAB_ENV_VAR: &str = "KRB5_KTNAME";

/// A resolved keytab name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeytabName {
    /// `FILE:path` or a bare path.
    File(PathBuf),
    /// `WRFILE:path` (MIT: a file keytab opened for writing; read the same way).
    WrFile(PathBuf),
}

impl KeytabName {
    /// Resolves a keytab name like MIT: no colon, a one-letter drive prefix or
    /// a leading `/` means a file path; otherwise the text before the first
    /// colon is the type.
    ///
    /// # Errors
    /// [`Error::EmptyKeytabName`]; [`Error::UnsupportedKeytabType`] for any
    /// type but `FILE` and `WRFILE` (e.g. `MEMORY`, `KEYRING`, `KDB`).
    pub fn parse(name: &str) -> Result<Self> {
        if name.is_empty() {
            return Err(Error::EmptyKeytabName);
        }
        let Some((kind, rest)) = name.split_once(':') else {
            return Ok(Self::File(PathBuf::from(name)));
        };
        let drive_letter = kind.len() == 1 && kind.chars().all(|c| c.is_ascii_alphabetic());
        if drive_letter || name.starts_with('/') {
            return Ok(Self::File(PathBuf::from(name)));
        }
        match kind {
            _ if !matches!(kind, "FILE" | "WRFILE") => Err(Error::UnsupportedKeytabType {
                kind: kind.to_owned(),
            }),
            _ if rest.is_empty() => Err(Error::EmptyKeytabName),
            "FILE" => Ok(Self::File(PathBuf::from(rest))),
            _ => Ok(Self::WrFile(PathBuf::from(rest))),
        }
    }

    /// `KRB5_KTNAME` if set, else `FILE:/etc/krb5.keytab`.
    ///
    /// The `default_keytab_name` of krb5.conf is not read.
    ///
    /// # Errors
    /// As [`KeytabName::parse`] for the variable's value.
    pub fn from_env_or_default() -> Result<Self> {
        match std::env::var(KEYTAB_ENV_VAR) {
            Ok(name) => Self::parse(&name),
            Err(_) => Ok(Self::File(PathBuf::from(DEFAULT_KEYTAB_PATH))),
        }
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        match self {
            Self::File(p) | Self::WrFile(p) => p,
        }
    }

    /// Reads the keytab.
    ///
    /// # Errors
    /// As [`Keytab::load`].
    pub fn load(&self) -> Result<Keytab> {
        Keytab::load(self.path())
    }
}

/// `FILE:path` or `WRFILE:path`, as `klist -k` prints the name.
impl fmt::Display for KeytabName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => write!(f, "FILE:{}", p.display()),
            Self::WrFile(p) => write!(f, "WRFILE:{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names_like_mit() {
        let file = |p: &str| KeytabName::File(PathBuf::from(p));
        assert_eq!(
            KeytabName::parse("FILE:/etc/x.keytab").unwrap(),
            file("/etc/x.keytab")
        );
        assert_eq!(
            KeytabName::parse("/etc/x.keytab").unwrap(),
            file("/etc/x.keytab")
        );
        assert_eq!(KeytabName::parse("rel/x.kt").unwrap(), file("rel/x.kt"));
        assert_eq!(KeytabName::parse("/odd:name").unwrap(), file("/odd:name"));
        assert_eq!(KeytabName::parse("C:\\x.kt").unwrap(), file("C:\\x.kt"));
        assert_eq!(
            KeytabName::parse("WRFILE:/k").unwrap(),
            KeytabName::WrFile(PathBuf::from("/k"))
        );
        assert_eq!(KeytabName::parse("FILE:/k").unwrap().to_string(), "FILE:/k");
    }

    #[test]
    fn refuses_other_kinds_with_typed_error() {
        for name in ["MEMORY:x", "KEYRING:persistent:0", "KDB:", "foo:bar"] {
            let err = KeytabName::parse(name).unwrap_err();
            assert!(
                matches!(err, Error::UnsupportedKeytabType { .. }),
                "{name}: {err}"
            );
        }
        assert!(matches!(KeytabName::parse(""), Err(Error::EmptyKeytabName)));
        assert!(matches!(
            KeytabName::parse("FILE:"),
            Err(Error::EmptyKeytabName)
        ));
    }
}
