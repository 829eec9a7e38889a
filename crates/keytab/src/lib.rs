//! kerbgate-keytab: see the workspace README.
#![forbid(unsafe_code)]
