//! Diagnosis for operators: why a token would be refused, and what is wrong with a
//! keytab, explained in plain words with the fix.
//!
//! Unlike [`Acceptor::accept`](crate::Acceptor::accept), which stops at the first
//! failed check (RFC 4120 section 3.2.3), a [`Doctor`] goes on wherever it still can:
//! a ticket for the wrong `--service` is still decrypted when the keytab has its key,
//! an expired ticket still has its authenticator's clock skew measured. Every problem
//! becomes a [`Finding`] with a [`Severity`], the Kerberos or GSS code name where one
//! applies, the values involved and a fix. At the end the real acceptor is run on
//! the same token with the same configuration, so the doctor never calls a token
//! good that the acceptor refuses.
//!
//! [`check_keytab`] looks at a keytab alone: weak or unusable enctypes, duplicate
//! entries, kvno gaps, file permissions.
//!
//! ```
//! use std::sync::Arc;
//! use kerbgate::doctor::Doctor;
//! use kerbgate::{KeyTable, Timestamp};
//!
//! let keys = Arc::new(KeyTable::from_keytab(&kerbgate_keytab::Keytab::new()));
//! let mut doctor = Doctor::new(keys, Timestamp::from_secs(1_700_000_000));
//! let report = doctor.examine(b"not a token");
//! assert!(report.has_errors());
//! ```
//!
//! Nothing here logs, and no finding holds key bytes, plaintext or token bytes.

mod keytab;
mod pac;
mod ticket;
mod token;

use std::fmt;
use std::sync::Arc;

use crate::acceptor::ServiceName;
use crate::clock::Timestamp;
use crate::gss_checksum::ChannelBindings;
use crate::keys::KeyTable;
use crate::DEFAULT_SKEW_SECS;

pub use keytab::check_keytab;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Severity {
    /// The acceptor refuses the token (or the keytab cannot serve logins).
    Error,
    /// Works now, but is risky or will break.
    Warning,
    /// A fact worth knowing.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Which check produced a finding; the names are stable, for scripts and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// RFC 2743 3.1 framing or DER of the token.
    Framing,
    /// The token's mechanism.
    Mechanism,
    /// What the token asks for, readable without keys.
    Request,
    /// The ticket's service against the configured service names.
    Service,
    /// The ticket's service principal against the keytab.
    KeytabPrincipal,
    /// The ticket's enctype against the keytab and this build.
    Enctype,
    /// The ticket's key version against the keytab.
    Kvno,
    /// Decrypting the ticket with the keytab key.
    TicketKey,
    /// What the decrypted ticket says.
    Ticket,
    /// Ticket start and end times against the clock.
    TicketTimes,
    /// The ticket's PAC (MS-PAC): its contents and signatures.
    Pac,
    /// The session key's enctype.
    SessionKey,
    /// Decrypting the authenticator with the session key.
    Authenticator,
    /// The authenticator's client against the ticket's.
    ClientName,
    /// The authenticator's time against the clock.
    ClockSkew,
    /// The authenticator checksum (RFC 4121 4.1.1 or a keyed one).
    Checksum,
    /// The GSS flags the client requested.
    Flags,
    /// Channel bindings (RFC 4121 4.1.1.2).
    ChannelBindings,
    /// Delegated credentials.
    Delegation,
    /// The same authenticator earlier in the same run.
    Replay,
    /// The acceptor's own verdict on the token.
    Verdict,
    /// A keytab with no entries.
    KeytabEmpty,
    /// Keytab file permissions.
    KeytabPermissions,
    /// A weak enctype in the keytab.
    WeakEnctype,
    /// A keytab enctype this build cannot use.
    UnusableEnctype,
    /// The same principal, kvno and enctype more than once.
    DuplicateEntry,
    /// Several key versions of one principal.
    SeveralKvnos,
    /// Missing key versions between the lowest and highest.
    KvnoGap,
    /// What the keytab holds.
    KeytabSummary,
}

impl Check {
    /// The check's stable name, e.g. `kvno` or `clock-skew`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Check::Framing => "framing",
            Check::Mechanism => "mechanism",
            Check::Request => "request",
            Check::Service => "service",
            Check::KeytabPrincipal => "keytab-principal",
            Check::Enctype => "enctype",
            Check::Kvno => "kvno",
            Check::TicketKey => "ticket-key",
            Check::Ticket => "ticket",
            Check::TicketTimes => "ticket-times",
            Check::Pac => "pac",
            Check::SessionKey => "session-key",
            Check::Authenticator => "authenticator",
            Check::ClientName => "client-name",
            Check::ClockSkew => "clock-skew",
            Check::Checksum => "checksum",
            Check::Flags => "flags",
            Check::ChannelBindings => "channel-bindings",
            Check::Delegation => "delegation",
            Check::Replay => "replay",
            Check::Verdict => "verdict",
            Check::KeytabEmpty => "keytab-empty",
            Check::KeytabPermissions => "keytab-permissions",
            Check::WeakEnctype => "weak-enctype",
            Check::UnusableEnctype => "unusable-enctype",
            Check::DuplicateEntry => "duplicate-entry",
            Check::SeveralKvnos => "several-kvnos",
            Check::KvnoGap => "kvno-gap",
            Check::KeytabSummary => "keytab-summary",
        }
    }
}

/// One problem or fact, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// Which check found it.
    pub check: Check,
    /// The Kerberos error name (e.g. `KRB_AP_ERR_BADKEYVER`) or GSS major status name
    /// the acceptor reports for it, where one applies.
    pub code: Option<String>,
    /// What is wrong, with the values involved.
    pub message: String,
    /// What to do about it.
    pub fix: Option<String>,
}

impl Finding {
    /// A finding without code or fix.
    #[must_use]
    pub fn new(severity: Severity, check: Check, message: impl Into<String>) -> Self {
        Finding {
            severity,
            check,
            code: None,
            message: message.into(),
            fix: None,
        }
    }

    /// Sets the code name.
    #[must_use]
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the fix.
    #[must_use]
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.severity.name())?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "; fix: {fix}")?;
        }
        Ok(())
    }
}

/// What could be read from a token, as far as the doctor got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenFacts {
    /// The mechanism OID, dotted.
    pub mech: Option<&'static str>,
    /// The ticket's service principal.
    pub service: Option<String>,
    /// The ticket's enctype number.
    pub ticket_enctype: Option<i32>,
    /// The ticket's kvno, when the ticket carries one.
    pub ticket_kvno: Option<u32>,
    /// The client principal from the decrypted ticket.
    pub client: Option<String>,
    /// The ticket's authtime, Unix seconds.
    pub authtime: Option<i64>,
    /// The ticket's starttime (authtime when absent), Unix seconds.
    pub starttime: Option<i64>,
    /// The ticket's endtime, Unix seconds.
    pub endtime: Option<i64>,
    /// The authenticator's time, Unix seconds.
    pub ctime: Option<i64>,
    /// The GSS flags the client requested, by name.
    pub flags: Option<Vec<&'static str>>,
}

/// The doctor's verdict on one token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct TokenReport {
    /// Its position in this doctor's run, from 1.
    pub index: usize,
    /// What could be read.
    pub facts: TokenFacts,
    /// Every finding, in the order the checks ran.
    pub findings: Vec<Finding>,
    /// Whether the acceptor accepted the token (replay detection aside, which the
    /// doctor does itself over the run).
    pub acceptor_accepted: bool,
}

impl TokenReport {
    /// Whether any finding is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// How many findings have this severity.
    #[must_use]
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Most tokens remembered for replay detection in one run; later ones are still
/// examined but no longer remembered.
pub const MAX_REMEMBERED: usize = 100_000;

/// Examines tokens against a key table and a clock, remembering authenticators
/// across calls to spot replays.
#[derive(Debug)]
pub struct Doctor {
    keys: Arc<KeyTable>,
    services: Vec<ServiceName>,
    ignore_case: bool,
    now: Timestamp,
    skew: u32,
    bindings: Option<ChannelBindings>,
    /// Authenticator ciphertexts seen, with the index of the token they came in.
    seen: Vec<(Vec<u8>, usize)>,
    examined: usize,
}

impl Doctor {
    /// A doctor for tokens that should be accepted with `keys` at time `now`, any
    /// service in the keys, the default skew and no channel bindings.
    pub fn new(keys: Arc<KeyTable>, now: Timestamp) -> Self {
        Doctor {
            keys,
            services: Vec::new(),
            ignore_case: false,
            now,
            skew: DEFAULT_SKEW_SECS,
            bindings: None,
            seen: Vec::new(),
            examined: 0,
        }
    }

    /// Also answers for `name` (as `--service`; without any, every keytab principal).
    #[must_use]
    pub fn service(mut self, name: ServiceName) -> Self {
        self.services.push(name);
        self
    }

    /// Compares service names and keytab principals case-insensitively.
    #[must_use]
    pub fn ignore_service_case(mut self, yes: bool) -> Self {
        self.ignore_case = yes;
        self
    }

    /// The allowed clock skew in seconds (default 300).
    #[must_use]
    pub fn max_skew_secs(mut self, secs: u32) -> Self {
        self.skew = secs;
        self
    }

    /// The channel bindings the server sees.
    #[must_use]
    pub fn channel_bindings(mut self, cb: ChannelBindings) -> Self {
        self.bindings = Some(cb);
        self
    }

    /// Counts a token the caller could not read at all (text that is not hex or
    /// base64), so the indices of later reports match the caller's; returns its index.
    pub fn skip_token(&mut self) -> usize {
        self.examined = self.examined.saturating_add(1);
        self.examined
    }

    /// Examines one initial context token; every call counts as the next token of
    /// the run for replay detection.
    pub fn examine(&mut self, token: &[u8]) -> TokenReport {
        self.examined = self.examined.saturating_add(1);
        token::examine(self, token)
    }
}

#[cfg(test)]
mod tests;
