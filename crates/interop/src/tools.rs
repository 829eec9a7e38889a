//! Finding the MIT programs and running them with a time limit.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::{io, HarnessError};

/// The Debian interpreter that has python3-gssapi (the one earlier on PATH may not).
pub const PYTHON: &str = "/usr/bin/python3";

/// How long any one MIT command may run.
const COMMAND_LIMIT: Duration = Duration::from_secs(60);

/// Paths of the MIT programs the harness drives.
#[derive(Clone, Debug)]
pub struct Tools {
    /// `krb5kdc` (krb5-kdc).
    pub krb5kdc: PathBuf,
    /// `kdb5_util` (krb5-kdc).
    pub kdb5_util: PathBuf,
    /// `kadmin.local` (krb5-admin-server).
    pub kadmin_local: PathBuf,
    /// `kinit` (krb5-user).
    pub kinit: PathBuf,
    /// `klist` (krb5-user).
    pub klist: PathBuf,
    /// `kvno` (krb5-user).
    pub kvno: PathBuf,
}

impl Tools {
    /// Looks the programs up on PATH and in the sbin directories.
    ///
    /// # Errors
    /// [`HarnessError::ToolMissing`] naming the first absent program.
    pub fn find() -> Result<Self, HarnessError> {
        Ok(Self {
            krb5kdc: find_program("krb5kdc", "krb5-kdc")?,
            kdb5_util: find_program("kdb5_util", "krb5-kdc")?,
            kadmin_local: find_program("kadmin.local", "krb5-admin-server")?,
            kinit: find_program("kinit", "krb5-user")?,
            klist: find_program("klist", "krb5-user")?,
            kvno: find_program("kvno", "krb5-user")?,
        })
    }
}

fn find_program(name: &'static str, package: &'static str) -> Result<PathBuf, HarnessError> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for extra in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        dirs.push(PathBuf::from(extra));
    }
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(HarnessError::ToolMissing {
            tool: name,
            package,
        })
}

/// Checks that Debian's python3 can import the `gssapi` module.
///
/// # Errors
/// [`HarnessError::ToolMissing`] when python3 or python3-gssapi is absent.
pub fn check_python_gssapi() -> Result<(), HarnessError> {
    let missing = HarnessError::ToolMissing {
        tool: "python3 gssapi module",
        package: "python3-gssapi",
    };
    let status = Command::new(PYTHON)
        .args(["-c", "import gssapi"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => Ok(()),
        _ => Err(missing),
    }
}

/// Output of a finished command.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `program args` with `env`, feeding `stdin`, within the time limit.
///
/// Output goes through files in `scratch` so a chatty program cannot block
/// on a full pipe while we wait. `shown` is the command line for errors
/// (it must not contain passwords).
pub(crate) fn run(
    program: &Path,
    args: &[&str],
    env: &[(String, OsString)],
    stdin: Option<&[u8]>,
    scratch: &Path,
    shown: &str,
) -> Result<Output, HarnessError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let out_path = scratch.join(format!("cmd-{seq}.stdout"));
    let err_path = scratch.join(format!("cmd-{seq}.stderr"));
    let out_file = std::fs::File::create(&out_path).map_err(io("creating command output file"))?;
    let err_file = std::fs::File::create(&err_path).map_err(io("creating command output file"))?;

    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_os_str())))
        .stdout(out_file)
        .stderr(err_file)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().map_err(io(format!("starting `{shown}`")))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A program that exits without reading is fine; its status tells.
        let _ = pipe.write_all(input);
    }

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(io(format!("waiting for `{shown}`")))?
        {
            break status;
        }
        if started.elapsed() > COMMAND_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(HarnessError::Timeout {
                what: format!("running `{shown}`"),
                seconds: COMMAND_LIMIT.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    };

    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    if !status.success() {
        return Err(HarnessError::CommandFailed {
            command: shown.to_owned(),
            status: status.to_string(),
            output: tail(&format!("{stdout}{stderr}"), 2000),
        });
    }
    Ok(Output { stdout, stderr })
}

/// The last `max` bytes of `text`, cut at a character boundary.
pub(crate) fn tail(text: &str, max: usize) -> String {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text.get(start..).unwrap_or_default().trim().to_owned()
}
