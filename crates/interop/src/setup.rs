//! Realm set-up: the temp dir, krb5.conf and kdc.conf, a free port and the
//! `krb5kdc -n` start-up wait.

use std::ffi::OsString;
use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::enctypes;
use crate::error::{io, HarnessError};
use crate::realm::RealmOptions;
use crate::tools::{self, Tools};

/// How long `krb5kdc` may take to report "commencing operation".
const KDC_START_LIMIT: Duration = Duration::from_secs(15);

pub(crate) fn realm_env(dir: &Path) -> Vec<(String, OsString)> {
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

pub(crate) fn write_configs(
    dir: &Path,
    opts: &RealmOptions,
    port: u16,
) -> Result<(), HarnessError> {
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

pub(crate) fn start_kdc(
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

/// Lowest port the harness picks at random.
const RANDOM_PORT_FLOOR: u16 = 10_000;

/// A port free for both TCP and UDP on 127.0.0.1 at the time of the check.
///
/// Picked at random below the kernel's ephemeral range (`ip_local_port_range`) when
/// that leaves room: no `bind(0)` and no outgoing connection, of this process or
/// another, is given such a port, so it cannot be taken between the check and the
/// server's bind, nor while a test restarts the server on it. Otherwise (or after 50
/// busy picks) the kernel chooses with `bind(0)`.
pub(crate) fn free_port() -> Result<u16, HarnessError> {
    let free = |port: u16| {
        TcpListener::bind(("127.0.0.1", port)).is_ok()
            && UdpSocket::bind(("127.0.0.1", port)).is_ok()
    };
    let low = ephemeral_low().unwrap_or(0);
    if low > RANDOM_PORT_FLOOR + 4096 {
        let span = low - RANDOM_PORT_FLOOR;
        for _ in 0..50 {
            let port = RANDOM_PORT_FLOOR + random_u16()? % span;
            if free(port) {
                return Ok(port);
            }
        }
    }
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

/// The first port of the kernel's ephemeral range, from
/// `/proc/sys/net/ipv4/ip_local_port_range`.
fn ephemeral_low() -> Option<u16> {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    range.split_whitespace().next()?.parse().ok()
}

fn random_u16() -> Result<u16, HarnessError> {
    let mut b = [0u8; 2];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(io("reading /dev/urandom"))?;
    Ok(u16::from_be_bytes(b))
}

/// Runs `start` with a fresh free port until it succeeds, at most `attempts` times (a
/// server that lost its port to another process between the check and its bind fails
/// and gets the next one). A missing tool ends it at once; otherwise the last error is
/// returned.
pub(crate) fn on_free_port<T>(
    attempts: usize,
    mut start: impl FnMut(u16) -> Result<T, HarnessError>,
) -> Result<T, HarnessError> {
    let mut last = HarnessError::NoFreePort;
    for _ in 0..attempts {
        match start(free_port()?) {
            Ok(v) => return Ok(v),
            Err(e @ HarnessError::ToolMissing { .. }) => return Err(e),
            Err(e) => last = e,
        }
    }
    Err(last)
}

pub(crate) fn make_temp_dir() -> Result<PathBuf, HarnessError> {
    make_temp_dir_named("realm")
}

/// A new private (0700) directory `kerbgate-<what>-<pid>-<seq>-<nanos>` under the
/// system temp directory.
pub(crate) fn make_temp_dir_named(what: &str) -> Result<PathBuf, HarnessError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    for _ in 0..100 {
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "kerbgate-{what}-{}-{seq}-{nanos:08x}",
            std::process::id()
        ));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io(format!("creating {what} temp dir"))(e)),
        }
    }
    Err(HarnessError::Io {
        what: format!("creating {what} temp dir"),
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
