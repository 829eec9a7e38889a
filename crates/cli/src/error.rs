//! The CLI's error: a message for `kerbgate: <message>` on stderr, exit 1.

use std::fmt;

/// A failed or refused operation.
#[derive(Debug)]
pub(crate) struct CliError(String);

impl CliError {
    /// An error with this message.
    pub(crate) fn msg(message: impl Into<String>) -> Self {
        CliError(message.into())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

/// What subcommands return.
pub(crate) type CliResult = Result<(), CliError>;
