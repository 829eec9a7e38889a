//! kerbgate: see the workspace README.
#![forbid(unsafe_code)]
pub mod consts;
pub mod der;
pub mod gss_checksum;
pub mod messages;
pub mod token;
