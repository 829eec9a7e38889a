//! Live interop harness for kerbgate: throwaway MIT Kerberos realms and MIT
//! GSS-API peers, for tests only (`publish = false`).
//!
//! [`MitRealm::start`] writes a krb5.conf and kdc.conf into a private
//! temporary directory, creates a database with `kdb5_util`, and runs
//! `krb5kdc -n` on 127.0.0.1 at a free port; every enctype kerbgate knows is
//! enabled (AES SHA-1 and SHA-2, Camellia, RC4). DNS is off everywhere, so
//! nothing leaves the loopback interface. Dropping the realm kills that KDC
//! process and removes the directory.
//!
//! [`Initiator`] and [`MitAcceptor`] run `scripts/initiator.py` under
//! Debian's `/usr/bin/python3` (python3-gssapi, MIT libgssapi_krb5) and
//! speak JSON lines to it; see the script's docstring for the protocol.
//! [`ImapClient`] does SASL GSSAPI (RFC 4752) by hand over IMAP with that
//! initiator, against [`KerbgateImap`] (a `kerbgate serve --imap` process) or
//! [`Dovecot`], the reference server: Debian's dovecot-imapd and dovecot-gssapi
//! run as root from a self-contained configuration in a temporary directory,
//! on 127.0.0.1 at a free port, with the realm's keytab and krb5.conf.
//! [`RedisServer`] is a throwaway redis-server on 127.0.0.1 for the replay-cache
//! tests.
//!
//! ```no_run
//! use kerbgate_interop::{live, GssFlag, InitRequest, Initiator, MitRealm, PrincipalKey, RealmOptions};
//! # fn main() -> Result<(), kerbgate_interop::HarnessError> {
//! let Some(realm) = live(MitRealm::start(RealmOptions::default())) else { return Ok(()) };
//! realm.add_principal("alice", PrincipalKey::Password("alicepw"), &[])?;
//! realm.add_principal("imap/mail.kerbgate.test", PrincipalKey::Random, &["aes256-cts-hmac-sha1-96"])?;
//! let cc = realm.dir().join("alice.cc");
//! realm.kinit("alice", "alicepw", &cc, false)?;
//! let mut init = Initiator::spawn(&realm, &cc)?;
//! let first = init.init(&InitRequest::new("imap@mail.kerbgate.test").flags(&[GssFlag::Mutual]))?;
//! # let _ = first; Ok(()) }
//! ```
//!
//! # Test policy
//! Live tests call [`live`] on the realm (and driver) start: when MIT tools
//! are missing or the KDC cannot start, the test fails if `CI` is set and
//! otherwise prints `skipped: <reason>` to stderr and returns.
//!
//! # Limitations
//! - MIT only; Heimdal peers come later.
//! - [`Dovecot`] needs root (it drops to the package's dovecot and dovenull users).
//! - Captured tokens are valid only around their capture time.
#![forbid(unsafe_code)]

mod dovecot;
mod driver;
pub mod enctypes;
mod error;
mod imap;
mod realm;
mod redis;
mod requests;
mod setup;
mod tools;

pub use dovecot::{Dovecot, DovecotOptions, DovecotUser};
pub use driver::{script_path, Driver, Initiator, MitAcceptor};
pub use error::HarnessError;
pub use imap::{
    base64_decode, base64_encode, imtest_session, ImapClient, KerbgateImap, LoginOutcome,
    Rfc4752Login, IMTEST,
};
pub use realm::{ccache_name, KeytabMode, MitRealm, PrincipalKey, RealmOptions, DEFAULT_REALM};
pub use redis::RedisServer;
pub use requests::{ChannelBindings, ContextInfo, GssFlag, InitRequest, Mech, StepResult};
pub use tools::{check_python_gssapi, Tools, PYTHON};

/// Applies the live-test policy to a harness start-up result.
///
/// Returns the value on success. When the environment lacks MIT tools or
/// the realm cannot start, panics (failing the test) if the `CI` environment
/// variable is set, and otherwise prints `skipped: <reason>` to stderr and
/// returns `None`. Any other error always panics: it is a real failure.
#[must_use]
#[allow(
    clippy::panic,
    reason = "this is the test-failure path of the live-test policy"
)]
pub fn live<T>(result: Result<T, HarnessError>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(
            e @ (HarnessError::ToolMissing { .. }
            | HarnessError::KdcStartFailed { .. }
            | HarnessError::ServerStartFailed { .. }
            | HarnessError::NoFreePort),
        ) => {
            if std::env::var_os("CI").is_some() {
                panic!("live test environment unavailable with CI set: {e}");
            }
            eprintln!("skipped: {e}");
            None
        }
        Err(e) => panic!("live test harness failed: {e}"),
    }
}
