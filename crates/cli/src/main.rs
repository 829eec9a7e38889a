//! The `kerbgate` command.
//!
//! `main` parses the command line and dispatches; each subcommand lives in its
//! own module with clap arguments and a `run` function. Exit codes: 0 success,
//! 1 the operation failed or a token was refused (message `kerbgate: ...` on
//! stderr, or a JSON line), 2 usage error (clap's own exit code).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod accept;
mod error;
mod input;
mod inspect;
mod keytab;
mod serve_http;

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
    /// Accept initial context tokens (AP-REQs) with a keytab, one acceptor for all.
    Accept(accept::AcceptArgs),
    /// Show what a context token says without keys.
    Inspect(inspect::InspectArgs),
    /// Serve HTTP Negotiate (SPNEGO, RFC 4559) authentication with a keytab.
    #[command(after_help = "Examples:\n  \
        kerbgate serve --http 127.0.0.1:8080 --keytab /etc/http.keytab --service HTTP@www.example.com\n  \
        curl --negotiate -u : http://www.example.com:8080/")]
    Serve(serve_http::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keytab(command) => keytab::run(command).map(|()| ExitCode::SUCCESS),
        Command::Accept(args) => accept::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Serve(args) => serve_http::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kerbgate: {e}");
            ExitCode::from(1)
        }
    }
}
