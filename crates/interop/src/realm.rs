//! A throwaway MIT realm: krb5.conf, kdc.conf, database and `krb5kdc -n`
//! on 127.0.0.1 at a free port, all inside one temporary directory.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Child;

use crate::enctypes::{self, TicketEnctypes};
use crate::error::{io, HarnessError};
use crate::setup::{free_port, make_temp_dir, random_hex, realm_env, start_kdc, write_configs};
use crate::tools::{self, Tools};

/// The realm name used unless a test picks another.
pub const DEFAULT_REALM: &str = "KERBGATE.TEST";

/// How many ports to try when another process takes ours first.
const PORT_ATTEMPTS: usize = 5;

/// Settings for [`MitRealm::start`].
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct RealmOptions {
    /// The realm name, upper case by convention.
    pub realm: String,
    /// Extra `[libdefaults]` lines, e.g. `("default_tgs_enctypes", "aes128-cts")`.
    pub libdefaults: Vec<(String, String)>,
}

impl Default for RealmOptions {
    fn default() -> Self {
        Self {
            realm: DEFAULT_REALM.to_owned(),
            libdefaults: Vec::new(),
        }
    }
}

impl RealmOptions {
    /// Uses `realm` as the realm name.
    #[must_use]
    pub fn realm(mut self, realm: &str) -> Self {
        self.realm = realm.to_owned();
        self
    }

    /// Adds (or overrides, being later) a `[libdefaults]` setting.
    #[must_use]
    pub fn libdefault(mut self, key: &str, value: &str) -> Self {
        self.libdefaults.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// The long-term key of a new or changed principal.
#[derive(Clone, Copy, Debug)]
pub enum PrincipalKey<'a> {
    /// Derived from this password (string-to-key with the default salt).
    Password(&'a str),
    /// Random keys (`-randkey`).
    Random,
}

/// What [`MitRealm::export_keytab`] does with an existing file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeytabMode {
    /// Start a new file.
    Replace,
    /// Append to the file, keeping the entries (and kvnos) already in it.
    Append,
}

/// A running MIT KDC for one realm, torn down on drop.
///
/// Drop kills exactly the `krb5kdc` this value started and removes the
/// directory (set `KERBGATE_KEEP_REALM=1` to keep it for debugging).
#[derive(Debug)]
pub struct MitRealm {
    dir: PathBuf,
    realm: String,
    port: u16,
    kdc: Child,
    tools: Tools,
}

impl MitRealm {
    /// Creates the configuration and database and starts the KDC.
    ///
    /// # Errors
    /// [`HarnessError::ToolMissing`] if MIT tools are absent,
    /// [`HarnessError::KdcStartFailed`] or [`HarnessError::NoFreePort`] if the
    /// KDC cannot serve, and I/O or command errors from the setup steps.
    pub fn start(opts: RealmOptions) -> Result<Self, HarnessError> {
        let tools = Tools::find()?;
        let dir = make_temp_dir()?;
        let result = Self::start_in(&dir, &opts, tools);
        if result.is_err() && std::env::var_os("KERBGATE_KEEP_REALM").is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        result
    }

    fn start_in(dir: &Path, opts: &RealmOptions, tools: Tools) -> Result<Self, HarnessError> {
        let master = random_hex(16)?;
        let mut last_err = HarnessError::NoFreePort;
        for attempt in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            write_configs(dir, opts, port)?;
            let env = realm_env(dir);

            // The database only needs creating once; it does not name the port.
            if attempt == 0 {
                tools::run(
                    &tools.kdb5_util,
                    &["-r", &opts.realm, "create", "-s", "-P", &master],
                    &env,
                    None,
                    dir,
                    "kdb5_util create -s -P <random>",
                )?;
            }

            match start_kdc(dir, &opts.realm, port, &tools, &env) {
                Ok(kdc) => {
                    return Ok(Self {
                        dir: dir.to_path_buf(),
                        realm: opts.realm.clone(),
                        port,
                        kdc,
                        tools,
                    })
                }
                Err(err) => last_err = err,
            }
        }
        Err(last_err)
    }

    /// The realm name.
    #[must_use]
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The KDC port on 127.0.0.1 (TCP and UDP).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The realm's private temporary directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The process id of `krb5kdc`.
    #[must_use]
    pub fn kdc_pid(&self) -> u32 {
        self.kdc.id()
    }

    /// `name` with `@REALM` appended unless it already names a realm.
    #[must_use]
    pub fn principal(&self, name: &str) -> String {
        if name.contains('@') {
            name.to_owned()
        } else {
            format!("{name}@{}", self.realm)
        }
    }

    /// Environment for any child that should use this realm: `KRB5_CONFIG`,
    /// `KRB5_KDC_PROFILE`, `KRB5CCNAME`, `KRB5_KTNAME`, `KRB5_CLIENT_KTNAME`,
    /// `KRB5RCACHEDIR`, all inside [`MitRealm::dir`], and `LC_ALL=C`.
    #[must_use]
    pub fn env(&self) -> Vec<(String, OsString)> {
        realm_env(&self.dir)
    }

    /// Runs one `kadmin.local` query and returns its standard output.
    ///
    /// # Errors
    /// [`HarnessError::CommandFailed`] when it exits non-zero or prints an
    /// MIT com_err message ("... while ...") on standard error.
    pub fn kadmin(&self, query: &str) -> Result<String, HarnessError> {
        let shown = format!("kadmin.local -q \"{}\"", redact_password(query));
        let out = tools::run(
            &self.tools.kadmin_local,
            &["-r", &self.realm, "-q", query],
            &self.env(),
            None,
            &self.dir,
            &shown,
        )?;
        // kadmin.local exits 0 even when the query fails.
        if out.stderr.lines().any(|l| l.contains(" while ")) {
            return Err(HarnessError::CommandFailed {
                command: shown,
                status: "exit status 0 with an error message".to_owned(),
                output: tools::tail(&out.stderr, 2000),
            });
        }
        Ok(out.stdout)
    }

    /// Adds a principal with keys of exactly `enctypes` (MIT names, salt
    /// `normal` unless given as `name:salt`); empty means the realm default.
    ///
    /// # Errors
    /// As [`MitRealm::kadmin`].
    pub fn add_principal(
        &self,
        name: &str,
        key: PrincipalKey<'_>,
        enctypes: &[&str],
    ) -> Result<(), HarnessError> {
        let query = format!(
            "addprinc {}{} {}",
            key_args(key)?,
            enctype_arg(enctypes),
            self.principal(name)
        );
        self.kadmin(&query).map(|_| ())
    }

    /// Gives a principal new keys with the next kvno; `keep_old` keeps the
    /// previous kvno's keys in the database (`-keepold`).
    ///
    /// # Errors
    /// As [`MitRealm::kadmin`].
    pub fn change_password(
        &self,
        name: &str,
        key: PrincipalKey<'_>,
        enctypes: &[&str],
        keep_old: bool,
    ) -> Result<(), HarnessError> {
        let query = format!(
            "cpw {}{}{} {}",
            key_args(key)?,
            if keep_old { " -keepold" } else { "" },
            enctype_arg(enctypes),
            self.principal(name)
        );
        self.kadmin(&query).map(|_| ())
    }

    /// Deletes a principal.
    ///
    /// # Errors
    /// As [`MitRealm::kadmin`].
    pub fn delete_principal(&self, name: &str) -> Result<(), HarnessError> {
        let query = format!("delprinc -force {}", self.principal(name));
        self.kadmin(&query).map(|_| ())
    }

    /// Sets a principal string attribute, e.g. `session_enctypes`, which
    /// makes the KDC issue session keys of other enctypes than the ticket's.
    ///
    /// # Errors
    /// As [`MitRealm::kadmin`].
    pub fn set_string(&self, name: &str, key: &str, value: &str) -> Result<(), HarnessError> {
        let query = format!("setstr {} {key} {value}", self.principal(name));
        self.kadmin(&query).map(|_| ())
    }

    /// The (kvno, enctype number) pairs of a principal's keys in the database.
    ///
    /// # Errors
    /// As [`MitRealm::kadmin`].
    pub fn keys(&self, name: &str) -> Result<Vec<(u32, i32)>, HarnessError> {
        let out = self.kadmin(&format!("getprinc {}", self.principal(name)))?;
        let mut keys = Vec::new();
        for line in out.lines() {
            let Some(rest) = line.trim().strip_prefix("Key: vno ") else {
                continue;
            };
            let Some((kvno, etype)) = rest.split_once(',') else {
                continue;
            };
            if let (Ok(kvno), Some(n)) = (kvno.trim().parse(), enctypes::number(etype)) {
                keys.push((kvno, n));
            }
        }
        Ok(keys)
    }

    /// Writes the current keys of `principals` (all kvnos still in the
    /// database) to the keytab at `path` without changing them
    /// (`ktadd -norandkey`; plain MIT `ktadd` would rekey).
    ///
    /// # Errors
    /// As [`MitRealm::kadmin`]; I/O removing the old file; a path with
    /// blanks (kadmin.local cannot quote it).
    pub fn export_keytab(
        &self,
        principals: &[&str],
        path: &Path,
        mode: KeytabMode,
    ) -> Result<(), HarnessError> {
        // kadmin.local splits its query on blanks; such a path cannot pass.
        if path.to_string_lossy().contains(char::is_whitespace) {
            return Err(HarnessError::CommandFailed {
                command: format!("ktadd -k {}", path.display()),
                status: "not run".to_owned(),
                output: "keytab paths for kadmin.local must not contain blanks".to_owned(),
            });
        }
        if mode == KeytabMode::Replace && path.exists() {
            std::fs::remove_file(path).map_err(io(format!("removing {}", path.display())))?;
        }
        let names: Vec<String> = principals.iter().map(|p| self.principal(p)).collect();
        let query = format!("ktadd -k {} -norandkey {}", path.display(), names.join(" "));
        self.kadmin(&query).map(|_| ())
    }

    /// Gets initial tickets for `principal` into the FILE ccache at `ccache`.
    ///
    /// # Errors
    /// [`HarnessError::CommandFailed`] when `kinit` fails.
    pub fn kinit(
        &self,
        principal: &str,
        password: &str,
        ccache: &Path,
        forwardable: bool,
    ) -> Result<(), HarnessError> {
        let cache = ccache_name(ccache);
        let flag = if forwardable { "-f" } else { "-F" };
        let principal = self.principal(principal);
        let input = format!("{password}\n");
        tools::run(
            &self.tools.kinit,
            &[flag, "-c", &cache, &principal],
            &self.env(),
            Some(input.as_bytes()),
            &self.dir,
            &format!("kinit {flag} -c {cache} {principal}"),
        )
        .map(|_| ())
    }

    /// Gets a service ticket for `service` into `ccache` (`kvno`).
    ///
    /// # Errors
    /// [`HarnessError::CommandFailed`] when `kvno` fails.
    pub fn get_service_ticket(&self, service: &str, ccache: &Path) -> Result<(), HarnessError> {
        let cache = ccache_name(ccache);
        let service = self.principal(service);
        tools::run(
            &self.tools.kvno,
            &["-c", &cache, &service],
            &self.env(),
            None,
            &self.dir,
            &format!("kvno -c {cache} {service}"),
        )
        .map(|_| ())
    }

    /// The session and ticket enctypes of the cached ticket for `service`.
    ///
    /// # Errors
    /// [`HarnessError::TicketNotFound`] when `klist -e` does not list it.
    pub fn ticket_enctypes(
        &self,
        service: &str,
        ccache: &Path,
    ) -> Result<TicketEnctypes, HarnessError> {
        let cache = ccache_name(ccache);
        let out = tools::run(
            &self.tools.klist,
            &["-e", "-c", &cache],
            &self.env(),
            None,
            &self.dir,
            &format!("klist -e -c {cache}"),
        )?;
        enctypes::parse_klist(&out.stdout, service).ok_or(HarnessError::TicketNotFound {
            service: service.to_owned(),
        })
    }
}

impl Drop for MitRealm {
    fn drop(&mut self) {
        // Child::kill signals exactly the pid we spawned.
        let _ = self.kdc.kill();
        let _ = self.kdc.wait();
        if std::env::var_os("KERBGATE_KEEP_REALM").is_some() {
            eprintln!("kept realm directory {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `FILE:<path>`, the ccache name for a path.
#[must_use]
pub fn ccache_name(path: &Path) -> String {
    format!("FILE:{}", path.display())
}

fn key_args(key: PrincipalKey<'_>) -> Result<String, HarnessError> {
    match key {
        PrincipalKey::Random => Ok("-randkey".to_owned()),
        // kadmin.local splits the query on blanks and has no quoting for -pw.
        PrincipalKey::Password(pw) if pw.is_empty() || pw.contains(char::is_whitespace) => {
            Err(HarnessError::CommandFailed {
                command: "kadmin.local -pw <password>".to_owned(),
                status: "not run".to_owned(),
                output: "passwords for the harness must be non-empty without blanks".to_owned(),
            })
        }
        PrincipalKey::Password(pw) => Ok(format!("-pw {pw}")),
    }
}

fn enctype_arg(enctypes: &[&str]) -> String {
    if enctypes.is_empty() {
        return String::new();
    }
    let list: Vec<String> = enctypes
        .iter()
        .map(|e| {
            if e.contains(':') {
                (*e).to_owned()
            } else {
                format!("{e}:normal")
            }
        })
        .collect();
    format!(" -e {}", list.join(","))
}

fn redact_password(query: &str) -> String {
    let mut words: Vec<&str> = query.split(' ').collect();
    for i in 1..words.len() {
        if words.get(i - 1) == Some(&"-pw") {
            if let Some(w) = words.get_mut(i) {
                *w = "<password>";
            }
        }
    }
    words.join(" ")
}
