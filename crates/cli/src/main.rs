//! The `kerbgate` command.
//!
//! `main` parses the command line and dispatches; each subcommand lives in its
//! own module with clap arguments and a `run` function. Exit codes: 0 success,
//! 1 the operation failed, a token was refused or `doctor` found an error
//! (message `kerbgate: ...` on stderr, or a JSON line), 2 usage error (clap's own
//! exit code). `-v` and `-vv` log decisions and sizes to stderr.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod accept;
mod demo;
mod doctor;
mod error;
mod imap_proto;
mod input;
mod inspect;
mod keytab;
mod pac_json;
mod pipe;
mod replay_opts;
mod serve_http;
mod serve_imap;
mod style;

/// Kerberos V5 acceptor tools.
#[derive(Parser)]
#[command(
    name = "kerbgate",
    version,
    about,
    after_help = "Examples:\n  kerbgate demo\n  kerbgate doctor --keytab /etc/imap.keytab\n  \
                  kerbgate accept --keytab /etc/imap.keytab --service imap@mail.example.com TOKEN\n\n\
                  Exit codes: 0 success, 1 refused or errors found, 2 usage error.\n\
                  Keytab default: $KRB5_KTNAME, then FILE:/etc/krb5.keytab."
)]
struct Cli {
    /// Log to stderr: -v decisions (debug), -vv also sizes and type codes (trace).
    /// Default: warnings only.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List and add keytab entries (MIT keytab files).
    #[command(
        subcommand,
        after_help = "Examples:\n  kerbgate keytab list --keytab /etc/imap.keytab\n  \
                      kerbgate keytab list --json\n  \
                      echo \"$PASSWORD\" | kerbgate keytab add --keytab imap.keytab \\\n      \
                      --principal imap/mail.example.com@EXAMPLE.COM --kvno 2 \\\n      \
                      --enctype aes256-cts-hmac-sha1-96 --password-stdin"
    )]
    Keytab(keytab::KeytabCommand),
    /// Accept initial context tokens (AP-REQs) with a keytab, one acceptor for all.
    #[command(after_help = "Examples:\n  \
        kerbgate accept --keytab /etc/imap.keytab --service imap@mail.example.com 6082...\n  \
        kerbgate accept --keytab demo.keytab --json - < tokens.txt\n  \
        kerbgate accept --keytab k.keytab --now 1796403059 --channel-bindings-app-data 74... TOKEN\n\n\
        Exit codes: 0 every token accepted, 1 one refused, 2 usage error.")]
    Accept(accept::AcceptArgs),
    /// Show what a context token says without keys.
    #[command(after_help = "Examples:\n  kerbgate inspect 60820...\n  \
        kerbgate inspect --json - < token.txt\n\n\
        Exit codes: 0 readable, 1 not a token, 2 usage error.")]
    Inspect(inspect::InspectArgs),
    /// Accept, wrap, unwrap, get_mic and verify_mic through JSON lines on stdin/stdout.
    #[command(after_help = "Examples:\n  \
        echo '{\"op\":\"accept\",\"token\":\"6082...\"}' | kerbgate pipe --keytab k.keytab\n  \
        kerbgate pipe --keytab k.keytab --now 1796403060 < requests.jsonl\n\n\
        Requests: {\"op\":\"accept\",\"token\":HEX}, {\"op\":\"unwrap\",\"token\":HEX},\n\
        {\"op\":\"wrap\",\"data\":HEX,\"conf\":BOOL}, {\"op\":\"get_mic\",\"data\":HEX},\n\
        {\"op\":\"verify_mic\",\"data\":HEX,\"token\":HEX}; one JSON answer a line.\n\
        Exit codes: 0 input ended, 1 the acceptor could not be set up, 2 usage error.")]
    Pipe(pipe::PipeArgs),
    /// Run a complete Kerberos login in memory and narrate it (no KDC, no files).
    #[command(after_help = "Examples:\n  kerbgate demo\n  kerbgate demo --json\n  \
        kerbgate demo --write-keytab demo.keytab --write-tokens demo.tokens\n  \
        kerbgate accept --keytab demo.keytab - < demo.tokens\n\n\
        Exit codes: 0 the login succeeded, 1 it failed, 2 usage error.")]
    Demo(demo::DemoArgs),
    /// Explain every problem of tokens against a keytab and clock, or of a keytab.
    #[command(
        after_help = "Examples:\n  kerbgate doctor --keytab /etc/imap.keytab\n  \
        kerbgate doctor --keytab /etc/imap.keytab --service imap@mail.example.com 6082...\n  \
        kerbgate doctor --keytab k.keytab --now 1796403059 --json - < tokens.txt\n\n\
        Exit codes: 0 no errors found, 1 errors found, 2 usage error."
    )]
    Doctor(doctor::DoctorArgs),
    /// Serve HTTP Negotiate (SPNEGO, RFC 4559) authentication with a keytab.
    #[command(after_help = "Examples:\n  \
        kerbgate serve --http 127.0.0.1:8080 --keytab /etc/http.keytab --service HTTP@www.example.com\n  \
        curl --negotiate -u : http://www.example.com:8080/\n\n\
        IMAP AUTHENTICATE GSSAPI (RFC 4752) has its own options: kerbgate serve --imap ADDR --help")]
    Serve(serve_http::ServeArgs),
}

/// Sends tracing events to stderr: warnings by default, `-v` debug, `-vv` trace.
fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .init();
}

fn main() -> ExitCode {
    // `serve --imap` has its own option set; see serve_imap.rs.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(code) = serve_imap::dispatch(&args) {
        return code;
    }
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let result = match cli.command {
        Command::Keytab(command) => keytab::run(command).map(|()| ExitCode::SUCCESS),
        Command::Accept(args) => accept::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Pipe(args) => pipe::run(&args),
        Command::Serve(args) => serve_http::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Doctor(args) => doctor::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kerbgate: {e}");
            ExitCode::from(1)
        }
    }
}
