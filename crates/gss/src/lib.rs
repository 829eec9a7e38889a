//! kerbgate: a pure-Rust Kerberos V5 GSS-API acceptor.
//!
//! It decodes GSS initial context tokens (RFC 2743 framing, the Kerberos V5 and
//! Microsoft Kerberos OIDs, or a bare AP-REQ), checks the AP-REQ inside against a keytab
//! (RFC 4120 section 3.2.3, RFC 4121 section 4.1), and returns an established
//! [`SecurityContext`] plus the AP-REP for mutual authentication. It does no network I/O
//! and reads no clock of its own: time comes from a [`Clock`], replays are checked in a
//! [`ReplayCache`].
//!
//! ```no_run
//! use kerbgate::{Acceptor, ReloadingKeytab, ServiceName};
//! use std::sync::Arc;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let acceptor = Acceptor::builder()
//!     .key_source(Arc::new(ReloadingKeytab::open("FILE:/etc/imap.keytab")?))
//!     .service(ServiceName::parse("imap@mail.example.com")?)
//!     .build()?;
//! # let token_from_client: Vec<u8> = Vec::new();
//! match acceptor.accept(&token_from_client) {
//!     Ok(done) => {
//!         println!("authenticated {}", done.context.client());
//!         if let Some(reply) = done.output_token {
//!             // send `reply` (the AP-REP) to the client
//!             # let _ = reply;
//!         }
//!     }
//!     Err(refused) => eprintln!("{}", refused.error),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Errors: each step returns its own enum ([`AcceptError`], [`SpnegoError`],
//! [`WrapError`], [`AuthzError`], ...), and all of them convert into [`Error`], the
//! crate's one error type for handlers that use `?` across steps ([`Rejected`] and
//! [`SpnegoRejected`] convert too; their token for the client does not).
//!
//! # Limitations
//! - [`Acceptor::accept`] takes Kerberos tokens only; SPNEGO goes through
//!   [`spnego::SpnegoExchange`] (Kerberos is the only mechanism negotiated).
//! - User-to-user (use-session-key) AP-REQs are refused with KRB_AP_ERR_METHOD.
//! - DCE-style contexts get their AP-REP, but the third leg is not implemented.
//! - Per-message tokens: DCE-style RC4 tokens without GSS framing are refused. Across
//!   the 2^32 wrap of 32-bit sequence numbers (RFC 4757, some RFC 4121 initiators) a
//!   token replayed from exactly 2^32 tokens earlier is not recognised as a duplicate.
#![forbid(unsafe_code)]

pub mod acceptor;
pub mod authz;
pub mod clock;
pub mod consts;
pub mod context;
pub mod delegation;
pub mod der;
pub mod doctor;
pub mod error;
pub mod gss_checksum;
pub mod keys;
pub mod messages;
pub mod negotiate;
pub mod pac;
mod plaintext;
pub mod replay;
#[cfg(unix)]
pub mod replay_file;
pub mod spnego;
mod time_fmt;
pub mod token;
pub mod wrap;

pub use acceptor::{Accepted, Acceptor, AcceptorBuilder, Rejected, ServiceName, DEFAULT_SKEW_SECS};
pub use authz::{AuthzError, GroupPolicy};
pub use clock::{Clock, FixedClock, SystemClock, Timestamp};
pub use context::{AuthzElement, GssFlags, SecurityContext};
pub use delegation::{Credential, DelegatedCredentials};
pub use error::{AcceptError, BindingsMismatch, Error};
pub use gss_checksum::ChannelBindings;
pub use kerbgate_keytab::Principal;
pub use keys::{KeySource, KeyTable, ReloadingKeytab, ServiceKey, StaticKeys};
pub use pac::{Pac, PacError, Sid};
pub use replay::{MemoryReplayCache, ReplayCache, ReplayCacheError, ReplayRecord, ReplayVerdict};
pub use spnego::{Progress, SpnegoError, SpnegoExchange, SpnegoRejected};
pub use token::Mech;
pub use wrap::{MessageContext, Unwrapped, WrapError, WrapOptions};
