//! A throwaway MIT realm: krb5.conf, kdc.conf, database and `krb5kdc -n`
//! on 127.0.0.1 at a free port, all inside one temporary directory.

use std::ffi::OsString;
use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::enctypes::{self, TicketEnctypes};
use crate::error::{io, HarnessError};
use crate::tools::{self, Tools};

/// The realm name used unless a test picks another.
pub const DEFAULT_REALM: &str = "KERBGATE.TEST";

/// How long `krb5kdc` may take to report "commencing operation".
const KDC_START_LIMIT: Duration = Duration::from_secs(15);

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
    /// As [`MitRealm::kadmin`], or I/O removing the old file.
    pub fn export_keytab(
        &self,
        principals: &[&str],
        path: &Path,
        mode: KeytabMode,
    ) -> Result<(), HarnessError> {
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

fn realm_env(dir: &Path) -> Vec<(String, OsString)> {
    let path = |name: &str| dir.join(name).into_os_string();
    let mut cc = OsString::from("FILE:");
    cc.push(dir.join("ccache"));
    let mut kt = OsString::from("FILE:");
    kt.push(dir.join("default.keytab"));
    let mut ckt = OsString::from("FILE:");
    ckt.push(dir.join("client.keytab"));
    vec![
        ("KRB5_CONFIG".to_owned(), path("krb5.conf")),
        ("KRB5_KDC_PROFILE".to_owned(), path("kdc.conf")),
        ("KRB5RCACHEDIR".to_owned(), dir.as_os_str().to_owned()),
        ("KRB5CCNAME".to_owned(), cc),
        ("KRB5_KTNAME".to_owned(), kt),
        ("KRB5_CLIENT_KTNAME".to_owned(), ckt),
        ("LC_ALL".to_owned(), OsString::from("C")),
    ]
}

fn write_configs(dir: &Path, opts: &RealmOptions, port: u16) -> Result<(), HarnessError> {
    let realm = &opts.realm;
    let list = enctypes::config_list();
    let log = dir.join("kdc.log");
    let log = log.display();
    let domain = realm.to_ascii_lowercase();

    // Everything resolves locally: literal 127.0.0.1, no DNS for KDCs,
    // realms or host names, no reverse lookups.
    let mut krb5 = format!(
        "[libdefaults]\n\
         \tdefault_realm = {realm}\n\
         \tdns_lookup_kdc = false\n\
         \tdns_lookup_realm = false\n\
         \tdns_canonicalize_hostname = false\n\
         \trdns = false\n\
         \tudp_preference_limit = 1\n\
         \tnoaddresses = true\n\
         \tforwardable = true\n\
         \tallow_weak_crypto = true\n\
         \tallow_rc4 = true\n\
         \tallow_des3 = true\n\
         \tpermitted_enctypes = {list}\n\
         \tdefault_tkt_enctypes = {list}\n\
         \tdefault_tgs_enctypes = {list}\n"
    );
    for (k, v) in &opts.libdefaults {
        krb5.push_str(&format!("\t{k} = {v}\n"));
    }
    krb5.push_str(&format!(
        "\n[realms]\n\t{realm} = {{\n\t\tkdc = 127.0.0.1:{port}\n\t}}\n\n\
         [domain_realm]\n\t.{domain} = {realm}\n\t{domain} = {realm}\n\n\
         [logging]\n\tdefault = FILE:{log}\n"
    ));

    let supported: Vec<String> = enctypes::ALL
        .iter()
        .map(|(_, n)| format!("{n}:normal"))
        .collect();
    let d = dir.display();
    let kdc = format!(
        "[kdcdefaults]\n\
         \tkdc_listen = 127.0.0.1:{port}\n\
         \tkdc_tcp_listen = 127.0.0.1:{port}\n\n\
         [realms]\n\t{realm} = {{\n\
         \t\tdatabase_name = {d}/principal\n\
         \t\tkey_stash_file = {d}/stash\n\
         \t\tacl_file = {d}/kadm5.acl\n\
         \t\tkdc_listen = 127.0.0.1:{port}\n\
         \t\tkdc_tcp_listen = 127.0.0.1:{port}\n\
         \t\tmax_life = 1d\n\
         \t\tmax_renewable_life = 7d\n\
         \t\tsupported_enctypes = {}\n\
         \t}}\n\n\
         [logging]\n\tkdc = FILE:{log}\n\tadmin_server = FILE:{log}\n",
        supported.join(" ")
    );

    std::fs::write(dir.join("krb5.conf"), krb5).map_err(io("writing krb5.conf"))?;
    std::fs::write(dir.join("kdc.conf"), kdc).map_err(io("writing kdc.conf"))?;
    std::fs::write(dir.join("kadm5.acl"), "").map_err(io("writing kadm5.acl"))
}

fn start_kdc(
    dir: &Path,
    realm: &str,
    port: u16,
    tools: &Tools,
    env: &[(String, OsString)],
) -> Result<Child, HarnessError> {
    let out = std::fs::File::create(dir.join("krb5kdc.out")).map_err(io("creating kdc output"))?;
    let err = out.try_clone().map_err(io("creating kdc output"))?;
    let mut kdc = Command::new(&tools.krb5kdc)
        .args(["-n", "-r", realm])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_os_str())))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(io("starting krb5kdc"))?;

    // MIT logs "commencing operation" once its sockets are bound.
    let marker = format!("krb5kdc[{}](info): commencing operation", kdc.id());
    let log_path = dir.join("kdc.log");
    let started = Instant::now();
    let fail = |reason: String| HarnessError::KdcStartFailed {
        port,
        reason,
        log_tail: tools::tail(
            &std::fs::read_to_string(&log_path).unwrap_or_default(),
            1500,
        ),
    };
    loop {
        if std::fs::read_to_string(&log_path).is_ok_and(|log| log.contains(&marker)) {
            return Ok(kdc);
        }
        match kdc.try_wait() {
            Ok(Some(status)) => return Err(fail(format!("krb5kdc exited: {status}"))),
            Ok(None) => {}
            Err(e) => return Err(fail(format!("waiting for krb5kdc: {e}"))),
        }
        if started.elapsed() > KDC_START_LIMIT {
            let _ = kdc.kill();
            let _ = kdc.wait();
            return Err(fail(format!(
                "no \"commencing operation\" within {} s",
                KDC_START_LIMIT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A port free for both TCP and UDP on 127.0.0.1 at the time of the check.
fn free_port() -> Result<u16, HarnessError> {
    for _ in 0..50 {
        let Ok(tcp) = TcpListener::bind(("127.0.0.1", 0)) else {
            continue;
        };
        let Ok(addr) = tcp.local_addr() else {
            continue;
        };
        if UdpSocket::bind(("127.0.0.1", addr.port())).is_ok() {
            return Ok(addr.port());
        }
    }
    Err(HarnessError::NoFreePort)
}

fn make_temp_dir() -> Result<PathBuf, HarnessError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    for _ in 0..100 {
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "kerbgate-realm-{}-{seq}-{nanos:08x}",
            std::process::id()
        ));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io("creating realm temp dir")(e)),
        }
    }
    Err(HarnessError::Io {
        what: "creating realm temp dir".to_owned(),
        source: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
    })
}

/// `n` random bytes from the OS, hex-encoded.
pub(crate) fn random_hex(n: usize) -> Result<String, HarnessError> {
    let mut buf = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(io("reading /dev/urandom"))?;
    Ok(hex::encode(buf))
}
