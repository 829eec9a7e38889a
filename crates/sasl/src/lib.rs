//! kerbgate-sasl: see the workspace README.
#![forbid(unsafe_code)]
