//! Real Dovecot (Debian's dovecot-imapd with dovecot-gssapi) as the reference IMAP
//! server for SASL GSSAPI: a self-contained configuration in a temporary directory,
//! `dovecot -F` on 127.0.0.1 at a free port, the realm's keytab and krb5.conf.
//!
//! Nothing here touches `/etc/dovecot` or a system Dovecot: the configuration names
//! its own base, state and log paths, and `-c` points the master at it. Dropping the
//! value stops exactly the master process it started (SIGTERM, then SIGKILL); the
//! master takes its own children down with it.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{io, HarnessError};
use crate::realm::MitRealm;
use crate::setup::{on_free_port, random_hex};
use crate::tools;

/// How long the master may take to listen on its IMAP port.
const START_LIMIT: Duration = Duration::from_secs(20);

/// How long the master may take to exit after SIGTERM.
const STOP_LIMIT: Duration = Duration::from_secs(10);

/// How many ports to try when another process takes ours first.
const PORT_ATTEMPTS: usize = 3;

/// The GSSAPI mechanism plug-in dovecot-gssapi installs.
const GSSAPI_MODULE: &str = "/usr/lib/dovecot/modules/auth/libmech_gssapi.so";

/// The IMAP login process dovecot-imapd installs.
const IMAP_LOGIN: &str = "/usr/lib/dovecot/imap-login";

/// One user Dovecot's passdb knows, optionally with a `k5principals` extra field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DovecotUser {
    /// The login name.
    pub name: String,
    /// Principals (`name@REALM`) that may log in as this user besides the default rule.
    pub k5principals: Vec<String>,
}

impl DovecotUser {
    /// A user with no `k5principals` field.
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            k5principals: Vec::new(),
        }
    }

    /// Adds a principal to the user's `k5principals` field.
    #[must_use]
    pub fn k5principal(mut self, principal: &str) -> Self {
        self.k5principals.push(principal.to_owned());
        self
    }
}

/// Settings for [`Dovecot::start`].
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct DovecotOptions {
    /// The service keytab (`auth_krb5_keytab`).
    pub keytab: PathBuf,
    /// `auth_gssapi_hostname`: `$ALL` or a host name.
    pub gssapi_hostname: String,
    /// `auth_username_format`, e.g. `%n` (user without `@domain`).
    pub username_format: String,
    /// The passdb's users.
    pub users: Vec<DovecotUser>,
}

impl DovecotOptions {
    /// `$ALL`, username format `%n`, no users yet.
    #[must_use]
    pub fn new(keytab: &Path) -> Self {
        Self {
            keytab: keytab.to_path_buf(),
            gssapi_hostname: "$ALL".to_owned(),
            username_format: "%n".to_owned(),
            users: Vec::new(),
        }
    }

    /// Adds a passdb user.
    #[must_use]
    pub fn user(mut self, user: DovecotUser) -> Self {
        self.users.push(user);
        self
    }

    /// Sets `auth_gssapi_hostname`.
    #[must_use]
    pub fn gssapi_hostname(mut self, host: &str) -> Self {
        self.gssapi_hostname = host.to_owned();
        self
    }

    /// Sets `auth_username_format`.
    #[must_use]
    pub fn username_format(mut self, format: &str) -> Self {
        self.username_format = format.to_owned();
        self
    }
}

/// A running Dovecot IMAP server, stopped on drop.
///
/// Set `KERBGATE_KEEP_REALM=1` to keep its directory (configuration and log).
#[derive(Debug)]
pub struct Dovecot {
    dir: PathBuf,
    port: u16,
    master: Child,
}

impl Dovecot {
    /// Writes the configuration and starts `dovecot -F -c <conf>` with `realm`'s
    /// krb5.conf, waiting until it accepts IMAP connections.
    ///
    /// # Errors
    /// [`HarnessError::ToolMissing`] without dovecot-imapd or dovecot-gssapi;
    /// [`HarnessError::ServerStartFailed`] when not root or when Dovecot does not
    /// come up; I/O errors writing the files.
    pub fn start(realm: &MitRealm, opts: &DovecotOptions) -> Result<Self, HarnessError> {
        let dovecot = find_dovecot()?;
        if !running_as_root() {
            return Err(HarnessError::ServerStartFailed {
                server: "dovecot",
                reason: "the reference test runs Dovecot as root (it drops to its \
                         dovecot and dovenull users)"
                    .to_owned(),
                log_tail: String::new(),
            });
        }
        let dir = make_dir(realm)?;
        let result = Self::start_in(&dovecot, &dir, realm, opts);
        if result.is_err() && std::env::var_os("KERBGATE_KEEP_REALM").is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        result
    }

    fn start_in(
        dovecot: &Path,
        dir: &Path,
        realm: &MitRealm,
        opts: &DovecotOptions,
    ) -> Result<Self, HarnessError> {
        write_users(dir, &opts.users)?;
        on_free_port(PORT_ATTEMPTS, |port| {
            let conf = config(dir, realm, opts, port)?;
            std::fs::write(dir.join("dovecot.conf"), conf).map_err(io("writing dovecot.conf"))?;
            let master = start_master(dovecot, dir, port)?;
            Ok(Self {
                dir: dir.to_path_buf(),
                port,
                master,
            })
        })
    }

    /// The IMAP port on 127.0.0.1.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Dovecot's directory (configuration, runtime and log).
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Dovecot's whole log so far.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    /// Every login so far as (user, client port), from the `imap-login: Info: Login:`
    /// lines of its log (Dovecot names the user there, not to the client).
    #[must_use]
    pub fn logins(&self) -> Vec<(String, u16)> {
        let field = |line: &str, start: &str, end: char| -> Option<String> {
            let rest = line.split_once(start)?.1;
            Some(rest.split(end).next()?.to_owned())
        };
        self.log()
            .lines()
            .filter(|l| l.contains("imap-login: Info: Login: "))
            .filter_map(|l| {
                let user = field(l, "user=<", '>')?;
                let port = field(l, " rport=", ',')?.parse().ok()?;
                Some((user, port))
            })
            .collect()
    }

    /// The user Dovecot logged in for the connection from local port `client_port`;
    /// waits up to 5 s for its log line.
    #[must_use]
    pub fn logged_in_user(&self, client_port: u16) -> Option<String> {
        let started = Instant::now();
        loop {
            let found = self
                .logins()
                .into_iter()
                .find_map(|(user, port)| (port == client_port).then_some(user));
            if found.is_some() || started.elapsed() > Duration::from_secs(5) {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        stop_master(&mut self.master);
        if std::env::var_os("KERBGATE_KEEP_REALM").is_some() {
            eprintln!("kept dovecot directory {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn find_dovecot() -> Result<PathBuf, HarnessError> {
    let dovecot = ["/usr/sbin/dovecot", "/usr/bin/dovecot"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or(HarnessError::ToolMissing {
            tool: "dovecot",
            package: "dovecot-imapd",
        })?;
    if !Path::new(IMAP_LOGIN).is_file() {
        return Err(HarnessError::ToolMissing {
            tool: "imap-login",
            package: "dovecot-imapd",
        });
    }
    if !Path::new(GSSAPI_MODULE).is_file() {
        return Err(HarnessError::ToolMissing {
            tool: "libmech_gssapi.so",
            package: "dovecot-gssapi",
        });
    }
    Ok(dovecot)
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A world-readable directory beside the realm's (Dovecot's unprivileged processes
/// must reach their sockets), with a world-writable sticky `home` for mail.
fn make_dir(realm: &MitRealm) -> Result<PathBuf, HarnessError> {
    let parent = realm.dir().parent().unwrap_or(Path::new("/tmp"));
    let dir = parent.join(format!("kerbgate-dovecot-{}", random_hex(6)?));
    std::fs::DirBuilder::new()
        .mode(0o755)
        .create(&dir)
        .map_err(io(format!("creating {}", dir.display())))?;
    let home = dir.join("home");
    std::fs::create_dir(&home).map_err(io("creating the dovecot home directory"))?;
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o1777))
        .map_err(io("opening the dovecot home directory"))?;
    Ok(dir)
}

/// passwd-file lines: no password (GSSAPI needs none), `k5principals` as extra field.
fn write_users(dir: &Path, users: &[DovecotUser]) -> Result<(), HarnessError> {
    let mut text = String::new();
    for u in users {
        let extra = if u.k5principals.is_empty() {
            String::new()
        } else {
            format!("k5principals={}", u.k5principals.join(","))
        };
        let _ = writeln!(text, "{}:::::::{extra}", u.name);
    }
    std::fs::write(dir.join("users"), text).map_err(io("writing the dovecot users file"))
}

fn config(
    dir: &Path,
    realm: &MitRealm,
    opts: &DovecotOptions,
    port: u16,
) -> Result<String, HarnessError> {
    let d = dir.display();
    let env = realm.env();
    let get = |key: &str| -> Result<String, HarnessError> {
        env.iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.to_str())
            .map(str::to_owned)
            .ok_or_else(|| HarnessError::Io {
                what: format!("the realm environment lacks a UTF-8 {key}"),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            })
    };
    let krb5_config = get("KRB5_CONFIG")?;
    let keytab = opts.keytab.display();
    // The auth process reads the keytab inside the realm's root-only directory, so it
    // stays root; login and mail processes use the package's unprivileged users.
    Ok(format!(
        "# kerbgate reference test: self-contained, nothing from /etc/dovecot\n\
         instance_name = kerbgate-{port}\n\
         base_dir = {d}/run\n\
         state_dir = {d}/state\n\
         log_path = {d}/dovecot.log\n\
         info_log_path = {d}/dovecot.log\n\
         debug_log_path = {d}/dovecot.log\n\
         protocols = imap\n\
         listen = 127.0.0.1\n\
         ssl = no\n\
         disable_plaintext_auth = no\n\
         default_internal_user = dovecot\n\
         default_internal_group = dovecot\n\
         default_login_user = dovenull\n\
         import_environment = TZ KRB5_CONFIG={krb5_config} KRB5RCACHEDIR={d}/state\n\
         auth_mechanisms = gssapi\n\
         auth_gssapi_hostname = \"{host}\"\n\
         auth_krb5_keytab = {keytab}\n\
         auth_username_format = {format}\n\
         auth_verbose = yes\n\
         auth_debug = yes\n\
         auth_failure_delay = 0\n\
         login_log_format_elements = user=<%u> method=%m rip=%r rport=%{{rport}} lip=%l\n\
         mail_location = maildir:~/Maildir\n\
         first_valid_uid = 1\n\
         passdb {{\n  driver = passwd-file\n  args = {d}/users\n}}\n\
         userdb {{\n  driver = static\n  \
           args = uid=dovecot gid=dovecot home={d}/home/%u allow_all_users=yes\n}}\n\
         service auth {{\n  user = root\n}}\n\
         service imap-login {{\n  \
           inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  \
           inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
         service stats {{\n  \
           inet_listener http {{\n    port = 0\n  }}\n}}\n",
        host = opts.gssapi_hostname,
        format = opts.username_format,
    ))
}

fn start_master(dovecot: &Path, dir: &Path, port: u16) -> Result<Child, HarnessError> {
    let out = std::fs::File::create(dir.join("dovecot.out")).map_err(io("creating output"))?;
    let err = out.try_clone().map_err(io("creating output"))?;
    let conf = dir.join("dovecot.conf");
    let mut master = Command::new(dovecot)
        .arg("-F")
        .arg("-c")
        .arg(&conf)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LC_ALL", OsString::from("C"))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(io("starting dovecot"))?;

    let fail = |reason: String| {
        let log = std::fs::read_to_string(dir.join("dovecot.log")).unwrap_or_default();
        let out = std::fs::read_to_string(dir.join("dovecot.out")).unwrap_or_default();
        HarnessError::ServerStartFailed {
            server: "dovecot",
            reason,
            log_tail: tools::tail(&format!("{out}{log}"), 2000),
        }
    };
    let started = Instant::now();
    loop {
        // Another process may have taken the port: only Dovecot's greeting counts.
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) {
            if greets_as_dovecot(stream) {
                return Ok(master);
            }
        }
        match master.try_wait() {
            Ok(Some(status)) => return Err(fail(format!("dovecot exited: {status}"))),
            Ok(None) => {}
            Err(e) => return Err(fail(format!("waiting for dovecot: {e}"))),
        }
        if started.elapsed() > START_LIMIT {
            stop_master(&mut master);
            return Err(fail(format!(
                "not listening on 127.0.0.1:{port} within {} s",
                START_LIMIT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn greets_as_dovecot(stream: TcpStream) -> bool {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut line = String::new();
    let _ = BufReader::new(stream).read_line(&mut line);
    line.starts_with("* OK") && line.contains("Dovecot")
}

/// SIGTERM to exactly this pid (the master shuts its children down), then SIGKILL.
fn stop_master(master: &mut Child) {
    if matches!(master.try_wait(), Ok(Some(_))) {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &master.id().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let started = Instant::now();
    while started.elapsed() < STOP_LIMIT {
        if matches!(master.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = master.kill();
    let _ = master.wait();
}
