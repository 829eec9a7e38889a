//! Zero-copy Kerberos message decoders and the encoders the acceptor needs
//! (RFC 4120 section 5).
//!
//! Decoded structs borrow from the input: ciphertexts, names and key bytes
//! are slices of it, and [`Ticket::raw`] keeps the exact DER of the ticket.
//! Counts are capped (name components, addresses, authorization data,
//! tickets) and AD-IF-RELEVANT nesting is limited, so decoding allocates
//! nothing and does work linear in the input. Unknown trailing fields in a
//! SEQUENCE are skipped as MIT does (see [`crate::der`]).

mod ap_rep;
mod ap_req;
mod authz;
mod common;
mod krb_cred;
mod krb_error;
mod ticket;

pub use ap_rep::{ApRep, EncApRepPart};
pub use ap_req::{ApReq, Authenticator};
pub use authz::{AdElement, AuthorizationData, Flatten, MAX_AD_DEPTH, MAX_AD_ELEMENTS, MAX_ETYPES};
pub use common::{
    Checksum, Components, Element, EncryptedData, EncryptionKey, HostAddress, HostAddresses,
    KerberosFlags, PrincipalName, SeqOf, SeqOfIter, TransitedEncoding, MAX_ADDRESSES,
    MAX_NAME_COMPONENTS,
};
pub use krb_cred::{EncKrbCredPart, KrbCred, KrbCredInfo, MAX_CRED_TICKETS};
pub use krb_error::KrbError;
pub use ticket::{EncTicketPart, Ticket};
