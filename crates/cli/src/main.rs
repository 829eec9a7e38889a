//! The `kerbgate` command.
//!
//! `main` parses the command line and dispatches; each subcommand group lives
//! in its own module with a clap `Subcommand` enum and a `run` function
//! returning [`error::CliResult`]. Exit codes: 0 success, 1 the operation
//! failed or was refused (message `kerbgate: ...` on stderr), 2 usage error
//! (clap's own exit code).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod error;
mod keytab;

/// Kerberos V5 acceptor tools.
#[derive(Parser)]
#[command(name = "kerbgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List and add keytab entries (MIT keytab files).
    #[command(subcommand)]
    Keytab(keytab::KeytabCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keytab(command) => keytab::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kerbgate: {e}");
            ExitCode::from(1)
        }
    }
}
