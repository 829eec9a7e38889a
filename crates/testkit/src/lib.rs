//! kerbgate-testkit mints what a Kerberos KDC and a GSS-API initiator would
//! produce, with keys the test knows, so that the kerbgate acceptor can be
//! tested without a live KDC.
//!
//! **For tests only.** Anything that can mint tickets can forge logins:
//! never link this crate into a production acceptor. Keys from the seeded
//! generator ([`Rng::seeded`], the default of [`Kdc::new`] and [`Scenario`])
//! are predictable by design.
//!
//! What it makes (RFC 4120 section 5, RFC 4121 section 4.1):
//! - [`Kdc`]: service keys per principal, kvno and enctype (password or
//!   random), exported as a [`kerbgate_keytab::Keytab`];
//! - [`TicketBuilder`]: Tickets with chosen session-key enctype, flags, times,
//!   addresses, transited and authorization data, encrypted at key usage 2;
//!   kvno and etype fields can be made absent or wrong;
//! - [`ApReqBuilder`]: AP-REQs whose Authenticator (key usage 11) carries
//!   ctime/cusec, a subkey, a sequence number (DER or MIT's negative
//!   encoding), authorization data such as [`AuthData::enctype_negotiation`]
//!   (RFC 4537), and no checksum, a keyed one, or the RFC 4121 0x8003
//!   checksum ([`GssChecksum`]) with flags, [`ChannelBindings`] and delegation;
//!   [`gss_initial_token`] adds the RFC 2743 3.1 framing;
//! - [`KrbCredBuilder`]: KRB-CRED with a forwarded TGT (key usage 14, or
//!   etype 0 plaintext), and broken variants;
//! - [`verify_ap_rep`] and [`parse_krb_error`]: the initiator's checks of the
//!   acceptor's reply, and the RFC 4121 section 2 [`context_key`];
//! - [`ApReqMinter`]: the fast path for benches and fuzz seeds (one ticket,
//!   many authenticators, seeded confounders).
//!
//! The crate depends on kerbgate-crypto and kerbgate-keytab only, never on
//! the acceptor, and carries its own small DER writer and reader ([`der`]),
//! so its encoder independently cross-checks the acceptor's decoder.
//!
//! # Example
//! ```
//! use kerbgate_testkit::{ApReqOpts, Scenario};
//!
//! let scenario = Scenario::default();
//! let keytab = scenario.keytab_bytes()?; // write where the acceptor reads it
//! let ap_req = scenario.ap_req(ApReqOpts::default().seq_number(0x8000_0000))?;
//! let token = ap_req.gss_token(); // 0x60 .. OID .. 01 00 AP-REQ
//! assert_eq!(token.first(), Some(&0x60));
//! assert!(!keytab.is_empty());
//! # Ok::<(), kerbgate_testkit::Error>(())
//! ```
//!
//! # Limitations
//! - No AS or TGS exchange: tickets are minted directly with the service key.
//! - No PAC minting; authorization data is raw type and bytes.
//! - [`InitiatorWrap`] makes and opens RFC 4121 Wrap tokens as the initiator; MIC
//!   tokens and RFC 4757 legacy tokens are not minted.
//! - The DER reader covers what the initiator checks (AP-REP, KRB-ERROR,
//!   Ticket outer fields), not every Kerberos message.
#![forbid(unsafe_code)]

mod ap_rep;
mod ap_req;
pub mod consts;
pub mod der;
mod error;
mod gss_checksum;
mod kdc;
mod krb_cred;
mod rng;
mod scenario;
mod ticket;
mod time;
mod types;
mod wrap;

pub use ap_rep::{
    context_key, krb_error, parse_krb_error, verify_ap_rep, verify_ap_rep_for, ApRepBuilder,
    ApRepInfo,
};
pub use ap_req::{
    checksum, gss_framed, gss_initial_token, ApReq, ApReqBuilder, ApReqMinter, AuthChecksum,
    SeqEncoding,
};
pub use error::Error;
pub use gss_checksum::{Bindings, ChannelBindings, GssChecksum};
pub use kdc::{Kdc, KeySecret, ServiceKeyOpts};
pub use krb_cred::{CredBreakage, CredEncryption, KrbCred, KrbCredBuilder};
pub use rng::Rng;
pub use scenario::{
    ApReqOpts, Scenario, SCENARIO_CLIENT, SCENARIO_KVNO, SCENARIO_REALM, SCENARIO_SERVICE,
    SCENARIO_SERVICE_PASSWORD,
};
pub use ticket::{
    read_ticket, KvnoField, Ticket, TicketBuilder, TicketOuter, DEFAULT_LIFETIME, FIXED_TIME,
};
pub use time::KerberosTime;
pub use types::{
    authorization_data, encrypt, encrypted_data, encryption_key, encryption_key_raw, fresh_key,
    host_addresses, principal_name, read_encrypted_data, read_encryption_key, read_principal_name,
    AuthData, EncryptedData, HostAddress,
};
pub use wrap::InitiatorWrap;
