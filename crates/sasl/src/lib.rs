//! kerbgate-sasl: the server side of the SASL GSSAPI mechanism ([RFC 4752]) on the
//! kerbgate acceptor, with Dovecot-style authorization.
//!
//! [`GssapiServer`] is sans-IO: feed it each client response, send back each
//! challenge, and on [`Step::Done`] ask a [`Policy`] whether the authenticated
//! principal may log in as the requested authorization identity. A negotiated
//! integrity or confidentiality layer is a [`SecurityLayer`] that frames and protects
//! application buffers (RFC 4752 3.1).
//!
//! ```no_run
//! use std::sync::Arc;
//! use kerbgate::{Acceptor, SystemClock};
//! use kerbgate_sasl::{GssapiServer, Policy, ServerConfig, Step};
//!
//! # fn demo(acceptor: Arc<Acceptor>, responses: Vec<Vec<u8>>) -> Result<(), kerbgate_sasl::SaslError> {
//! let mut server = GssapiServer::new(acceptor, Arc::new(SystemClock), ServerConfig::default());
//! for response in responses {
//!     match server.step(&response)? {
//!         Step::Challenge(challenge) => { /* send it base64-encoded */ let _ = challenge; }
//!         Step::Done(done) => {
//!             let user = Policy::new().authorize(&done.client, &done.service, &done.authzid)?;
//!             println!("logged in as {user}");
//!         }
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Limitations
//! - Kerberos V5 only (one context leg); SPNEGO is not offered under SASL.
//! - No channel bindings (GS2 / RFC 5801 is a different mechanism).
//!
//! [RFC 4752]: https://www.rfc-editor.org/rfc/rfc4752
#![forbid(unsafe_code)]

pub mod authz;
pub mod error;
pub mod layer;
pub mod mechanism;

pub use authz::{
    parse_k5principals, service_for_protocol, AcceptorPrincipals, K5Principals, Policy, RealmPart,
    UsernameFormat,
};
pub use error::SaslError;
pub use layer::SecurityLayer;
pub use mechanism::{GssapiServer, Layer, Negotiated, ServerConfig, Step};
