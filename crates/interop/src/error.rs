//! The harness error type.

use std::fmt;
use std::path::PathBuf;

/// Why the MIT harness could not do what a test asked.
#[non_exhaustive]
#[derive(Debug)]
pub enum HarnessError {
    /// An MIT tool or Debian's python3-gssapi is not installed.
    ToolMissing {
        /// The program or module that was looked for.
        tool: &'static str,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// A file or process operation failed.
    Io {
        /// What the harness was doing.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An MIT command ran but reported failure.
    CommandFailed {
        /// The command line, without secrets.
        command: String,
        /// Its exit status as text.
        status: String,
        /// The end of its combined output.
        output: String,
    },
    /// `krb5kdc` exited or never reported that it was serving.
    KdcStartFailed {
        /// The port it was given.
        port: u16,
        /// What was observed.
        reason: String,
        /// The end of the KDC log.
        log_tail: String,
    },
    /// No free port pair (TCP and UDP) could be found on 127.0.0.1.
    NoFreePort,
    /// A reference server (Dovecot) could not start or cannot run here.
    ServerStartFailed {
        /// Which server.
        server: &'static str,
        /// What was observed.
        reason: String,
        /// The end of its log and output.
        log_tail: String,
    },
    /// A server the harness started is no longer running while a test needs it.
    ServerExited {
        /// Which server.
        server: &'static str,
        /// How it ended.
        reason: String,
        /// The end of its log.
        log_tail: String,
    },
    /// A driver or KDC did not answer in time.
    Timeout {
        /// What was awaited.
        what: String,
        /// The limit in seconds.
        seconds: u64,
    },
    /// The python GSS driver answered `ok: false`.
    Gss {
        /// The op that failed.
        op: String,
        /// MIT's major/minor status text.
        message: String,
    },
    /// The python GSS driver answered something that is not the agreed JSON.
    Protocol {
        /// What was wrong.
        detail: String,
        /// The driver's stderr file, for the traceback.
        stderr_file: PathBuf,
    },
    /// `klist` output lacked the expected service ticket.
    TicketNotFound {
        /// The service principal looked for.
        service: String,
    },
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ToolMissing { tool, package } => {
                write!(
                    f,
                    "tool `{tool}` not found; install debian package {package}"
                )
            }
            Self::Io { what, source } => write!(f, "{what}: {source}"),
            Self::CommandFailed {
                command,
                status,
                output,
            } => write!(f, "`{command}` failed ({status}); output: {output}"),
            Self::KdcStartFailed {
                port,
                reason,
                log_tail,
            } => write!(
                f,
                "mit krb5kdc did not start on 127.0.0.1:{port}: {reason}; kdc log: {log_tail}"
            ),
            Self::NoFreePort => write!(
                f,
                "no free tcp+udp port pair on 127.0.0.1; check for port exhaustion"
            ),
            Self::ServerStartFailed {
                server,
                reason,
                log_tail,
            } => write!(
                f,
                "{server} did not start: {reason}; check the package install and its log: {log_tail}"
            ),
            Self::ServerExited {
                server,
                reason,
                log_tail,
            } => write!(f, "{server} is not running: {reason}; log: {log_tail}"),
            Self::Timeout { what, seconds } => write!(f, "timed out after {seconds} s {what}"),
            Self::Gss { op, message } => write!(f, "mit gss-api op `{op}` failed: {message}"),
            Self::Protocol {
                detail,
                stderr_file,
            } => write!(
                f,
                "gss driver protocol error: {detail}; see {}",
                stderr_file.display()
            ),
            Self::TicketNotFound { service } => write!(
                f,
                "no ticket for {service} in the credential cache; check the target name"
            ),
        }
    }
}

impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Wraps an I/O error with what the harness was doing.
pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> HarnessError {
    let what = what.into();
    move |source| HarnessError::Io { what, source }
}
