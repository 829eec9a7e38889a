//! `kerbgate serve --imap`: a minimal IMAP4rev1 front end (RFC 3501) for SASL GSSAPI
//! (RFC 4752) logins through kerbgate-sasl. It knows CAPABILITY, NOOP, LOGOUT and
//! AUTHENTICATE GSSAPI (with or without the SASL-IR initial response, RFC 4959);
//! after a security layer is negotiated all traffic is protected (RFC 3501 6.2.2).
//! One thread per connection, a bounded number of connections.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use kerbgate::{
    AcceptError, Acceptor, Clock, FixedClock, ReloadingKeytab, SystemClock, DEFAULT_SKEW_SECS,
};
use kerbgate_sasl::{
    parse_k5principals, AcceptorPrincipals, GssapiServer, K5Principals, Layer, Policy, RealmPart,
    SaslError, SecurityLayer, ServerConfig, Step, UsernameFormat,
};

use crate::error::CliError;
use crate::imap_proto::{
    base64_encode, parse_auth_line, parse_command, Command, InitialResponse, LineBuffer, NextLine,
    MAX_AUTH_LINE, MAX_LINE,
};

/// Most simultaneous connections.
const MAX_CONNECTIONS: usize = 64;
/// Idle time before a connection is dropped.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Largest k5principals file read.
const MAX_K5_FILE: u64 = 4 << 20;
/// Capabilities, the same before and after authentication: a client that compares
/// the AUTH= lists across a security layer to detect a downgrade (Cyrus imtest) sees
/// no change.
const CAPABILITIES: &str = "IMAP4rev1 AUTH=GSSAPI SASL-IR";

// What a refused client is told: RFC 5530 codes, never the reason (that goes to the
// operator's log). Dovecot says AUTHENTICATIONFAILED for every refusal; see the
// README's "Compared with Dovecot".
/// The client's Kerberos login or its SASL exchange failed.
const AUTHENTICATION_FAILED: &str = "NO [AUTHENTICATIONFAILED] Authentication failed.";
/// The client may not act as the authorization identity it asked for.
const AUTHORIZATION_FAILED: &str = "NO [AUTHORIZATIONFAILED] Authorization failed.";
/// The server could not decide (keytab, replay cache or configuration trouble).
const UNAVAILABLE: &str = "NO [UNAVAILABLE] Temporary authentication failure.";

/// `kerbgate serve --imap` options.
#[derive(Parser, Debug)]
#[command(
    name = "kerbgate serve",
    about = "Serve IMAP AUTHENTICATE GSSAPI (RFC 4752) with a keytab",
    after_help = "Examples:\n  \
        kerbgate serve --imap 127.0.0.1:1143 --keytab /etc/imap.keytab --hostname mail.example.com\n  \
        kerbgate serve --imap 127.0.0.1:0 --security-layers none --k5principals k5.txt\n\n\
        k5principals file: lines `user: principal@REALM, principal@REALM`, # comments."
)]
pub(crate) struct ImapArgs {
    /// Log to stderr: -v decisions, -vv sizes.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Serve IMAP on this address (port 0 picks one; printed on standard output).
    #[arg(long = "imap", value_name = "ADDR")]
    imap: SocketAddr,
    #[command(flatten)]
    replay: crate::replay_opts::ReplayOpts,
    #[command(flatten)]
    groups: crate::pac_json::GroupOpts,
    /// Allow an address other than loopback.
    #[arg(long)]
    listen_any: bool,
    /// Keytab name (FILE:path or a path); default $KRB5_KTNAME, then FILE:/etc/krb5.keytab.
    #[arg(long, value_name = "NAME")]
    keytab: Option<String>,
    /// Acceptor principal imap/HOST, or '$ALL' for any principal in the keytab.
    #[arg(long, value_name = "HOST", default_value = "$ALL")]
    hostname: String,
    /// Security layers to offer, comma separated: none, integrity, confidentiality.
    #[arg(
        long,
        value_name = "LIST",
        default_value = "none,integrity,confidentiality"
    )]
    security_layers: String,
    /// Our maximum security-layer buffer size.
    #[arg(long, value_name = "OCTETS", default_value_t = 65536)]
    max_buffer: u32,
    /// File of `user: principal, ...` lines allowing other principals to log in as user.
    #[arg(long, value_name = "FILE")]
    k5principals: Option<std::path::PathBuf>,
    /// Accepted realm (repeat); default: the realm of the service principal.
    #[arg(long = "realm", value_name = "REALM")]
    realms: Vec<String>,
    /// Lower-case user names (auth_username_format %L).
    #[arg(long)]
    lowercase_users: bool,
    /// Strip @domain from user names (auth_username_format %n).
    #[arg(long)]
    strip_domain: bool,
    /// Maximum clock skew in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_SKEW_SECS)]
    skew: u32,
    /// Judge tickets and context expiry at this Unix time instead of the system clock
    /// (for captured or minted tokens).
    #[arg(long, value_name = "UNIX_SECS")]
    now: Option<i64>,
}

/// Runs `serve --imap` when the command line asks for it; `None` otherwise.
pub(crate) fn dispatch(args: &[std::ffi::OsString]) -> Option<ExitCode> {
    // The subcommand is the first argument that is not an option (`-v` may precede it).
    let sub = args
        .iter()
        .skip(1)
        .position(|a| !a.to_string_lossy().starts_with('-'))?;
    let is_serve = args.get(sub + 1).is_some_and(|a| a == "serve");
    let wants_imap = args.iter().any(|a| {
        a.to_str()
            .is_some_and(|s| s == "--imap" || s.starts_with("--imap="))
    });
    if !is_serve || !wants_imap {
        return None;
    }
    let rest = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 0 && *i != sub + 1)
        .map(|(_, a)| a.clone());
    let parsed = ImapArgs::parse_from(std::iter::once("kerbgate serve".into()).chain(rest));
    crate::init_tracing(parsed.verbose);
    Some(match run(&parsed) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kerbgate: {e}");
            ExitCode::from(1)
        }
    })
}

/// Everything a connection needs, shared.
struct Shared {
    acceptor: Arc<Acceptor>,
    clock: Arc<dyn Clock>,
    config: ServerConfig,
    policy: Policy,
}

fn build(args: &ImapArgs) -> Result<Shared, CliError> {
    let source = match &args.keytab {
        Some(n) => ReloadingKeytab::open(n)?,
        None => ReloadingKeytab::from_env_or_default()?,
    };
    let clock: Arc<dyn Clock> = match args.now {
        Some(now) => Arc::new(FixedClock::at(now)),
        None => Arc::new(SystemClock),
    };
    let mut b = Acceptor::builder()
        .key_source(Arc::new(source))
        .clock(Arc::clone(&clock))
        .max_skew_secs(args.skew);
    if let Some(name) = AcceptorPrincipals::parse(&args.hostname)?.service_name("imap")? {
        b = b.service(name);
    }
    let b = args.replay.apply(b)?;
    let acceptor = Arc::new(b.build()?);

    let mut layers = Vec::new();
    for name in args.security_layers.split(',') {
        let layer = Layer::parse(name)
            .ok_or_else(|| CliError::msg(format!("unknown security layer {name:?}")))?;
        layers.push(layer);
    }
    let config = ServerConfig::new(&layers, args.max_buffer)?;

    let realm = if args.strip_domain {
        RealmPart::Strip
    } else {
        RealmPart::Keep
    };
    let mut policy = Policy::new()
        .username_format(UsernameFormat::new(args.lowercase_users, realm))
        .group_policy(args.groups.policy());
    for r in &args.realms {
        policy = policy.accept_realm(r);
    }
    if let Some(path) = &args.k5principals {
        let mut text = String::new();
        std::fs::File::open(path)?
            .take(MAX_K5_FILE)
            .read_to_string(&mut text)?;
        let map: HashMap<String, Vec<String>> = parse_k5principals(&text)?.into_iter().collect();
        let lookup: K5Principals = Arc::new(move |user: &str| map.get(user).cloned());
        policy = policy.k5principals(lookup);
    }
    Ok(Shared {
        acceptor,
        clock,
        config,
        policy,
    })
}

fn run(args: &ImapArgs) -> Result<ExitCode, CliError> {
    if !args.imap.ip().is_loopback() && !args.listen_any {
        return Err(CliError::msg(format!(
            "refusing to listen on {}, which is not loopback; add --listen-any to serve \
             other hosts",
            args.imap
        )));
    }
    let shared = Arc::new(build(args)?);
    let listener = TcpListener::bind(args.imap)?;
    println!("kerbgate: serving IMAP on {}", listener.local_addr()?);
    let _ = std::io::stdout().flush();

    let live = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                eprintln!("kerbgate: accept failed: {e}");
                continue;
            }
        };
        if live.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            live.fetch_sub(1, Ordering::SeqCst);
            let mut s = stream;
            let _ = s.write_all(b"* BYE too many connections\r\n");
            continue;
        }
        let shared = Arc::clone(&shared);
        let live = Arc::clone(&live);
        std::thread::spawn(move || {
            let peer = stream.peer_addr().ok();
            if let Err(e) = Connection::new(stream, shared).serve() {
                tracing::debug!(?peer, error = %e, "connection ended");
            }
            live.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(ExitCode::SUCCESS)
}

/// Why reading a line failed.
enum ReadError {
    TooLong,
    Closed,
    Io(std::io::Error),
    Layer(SaslError),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLong => f.write_str("line too long"),
            Self::Closed => f.write_str("connection closed"),
            Self::Io(e) => write!(f, "{e}"),
            Self::Layer(e) => write!(f, "{e}"),
        }
    }
}

struct Connection {
    stream: TcpStream,
    /// The client's address, for the operator's log.
    peer: String,
    shared: Arc<Shared>,
    layer: Option<SecurityLayer>,
    /// Bytes from the socket not yet unwrapped.
    raw: Vec<u8>,
    /// Cleartext not yet consumed as lines.
    plain: LineBuffer,
    user: Option<String>,
}

impl Connection {
    fn new(stream: TcpStream, shared: Arc<Shared>) -> Self {
        let peer = stream
            .peer_addr()
            .map_or_else(|_| "unknown peer".to_owned(), |a| a.to_string());
        Self {
            stream,
            peer,
            shared,
            layer: None,
            raw: Vec::new(),
            plain: LineBuffer::default(),
            user: None,
        }
    }

    fn send(&mut self, text: &str) -> Result<(), ReadError> {
        let bytes = match &mut self.layer {
            Some(layer) => layer.wrap(text.as_bytes()).map_err(ReadError::Layer)?,
            None => text.as_bytes().to_vec(),
        };
        self.stream.write_all(&bytes).map_err(ReadError::Io)
    }

    /// One CRLF- (or LF-) terminated line, without the terminator, at most `max` long.
    fn read_line(&mut self, max: usize) -> Result<Vec<u8>, ReadError> {
        loop {
            match self.plain.next_line(max) {
                NextLine::Line(line) => return Ok(line),
                NextLine::TooLong => return Err(ReadError::TooLong),
                NextLine::NeedMore => self.fill()?,
            }
        }
    }

    fn fill(&mut self) -> Result<(), ReadError> {
        let mut buf = [0u8; 16 * 1024];
        let n = self.stream.read(&mut buf).map_err(ReadError::Io)?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        let got = buf.get(..n).unwrap_or_default();
        match &mut self.layer {
            None => self.plain.push(got),
            Some(layer) => {
                self.raw.extend_from_slice(got);
                while let Some(data) = layer.unwrap(&mut self.raw).map_err(ReadError::Layer)? {
                    self.plain.push(&data);
                }
            }
        }
        Ok(())
    }

    fn serve(mut self) -> Result<(), ReadError> {
        let _ = self.stream.set_read_timeout(Some(IDLE_TIMEOUT));
        self.send(&format!(
            "* OK [CAPABILITY {CAPABILITIES}] kerbgate IMAP ready\r\n"
        ))?;
        loop {
            let line = match self.read_line(MAX_LINE) {
                Ok(l) => l,
                Err(ReadError::TooLong) => {
                    self.send("* BAD line too long\r\n")?;
                    continue;
                }
                Err(ReadError::Layer(e)) => {
                    tracing::debug!(error = %e, "security layer failed; closing");
                    // The layer is broken; say goodbye in the clear is not allowed, so close.
                    return Err(ReadError::Layer(e));
                }
                Err(e) => return Err(e),
            };
            if !self.command(&line)? {
                return Ok(());
            }
        }
    }

    /// Handles one command line; `false` ends the connection.
    fn command(&mut self, line: &[u8]) -> Result<bool, ReadError> {
        let request = match parse_command(line) {
            Ok(r) => r,
            Err(e) => {
                self.send(&e.reply())?;
                return Ok(true);
            }
        };
        let tag = request.tag;
        match request.command {
            Command::Capability => {
                self.send(&format!("* CAPABILITY {CAPABILITIES}\r\n"))?;
                self.send(&format!("{tag} OK CAPABILITY completed\r\n"))?;
            }
            Command::Noop => self.send(&format!("{tag} OK NOOP completed\r\n"))?,
            Command::Logout => {
                self.send("* BYE kerbgate logging out\r\n")?;
                self.send(&format!("{tag} OK LOGOUT completed\r\n"))?;
                return Ok(false);
            }
            Command::Login => self.send(&format!(
                "{tag} NO [PRIVACYREQUIRED] LOGIN disabled; use AUTHENTICATE GSSAPI\r\n"
            ))?,
            Command::Authenticate { mech, initial } => {
                self.authenticate(tag, mech, initial)?;
            }
        }
        Ok(true)
    }

    fn authenticate(
        &mut self,
        tag: &str,
        mech: &str,
        initial: Option<InitialResponse>,
    ) -> Result<(), ReadError> {
        if self.user.is_some() {
            return self.send(&format!("{tag} BAD already authenticated\r\n"));
        }
        if !mech.eq_ignore_ascii_case("GSSAPI") {
            return self.send(&format!("{tag} NO unsupported mechanism\r\n"));
        }
        let shared = Arc::clone(&self.shared);
        let mut server = GssapiServer::new(
            Arc::clone(&shared.acceptor),
            Arc::clone(&shared.clock),
            shared.config.clone(),
        );

        // RFC 4959: "=" is an empty initial response; none means an empty challenge first.
        let mut response = match initial {
            Some(InitialResponse::Data(v)) => v,
            Some(InitialResponse::InvalidBase64) => {
                return self.send(&format!("{tag} BAD invalid base64\r\n"));
            }
            None => {
                self.send("+ \r\n")?;
                match self.auth_line()? {
                    Ok(v) => v,
                    Err(reply) => return self.send(&format!("{tag} {reply}\r\n")),
                }
            }
        };
        loop {
            match server.step(&response) {
                Ok(Step::Challenge(c)) => {
                    self.send(&format!("+ {}\r\n", base64_encode(&c)))?;
                    response = match self.auth_line()? {
                        Ok(v) => v,
                        Err(reply) => return self.send(&format!("{tag} {reply}\r\n")),
                    };
                }
                Ok(Step::Done(done)) => {
                    let done = *done;
                    let user = match shared.policy.authorize_negotiated(&done) {
                        Ok(u) => u,
                        Err(e) => {
                            eprintln!("kerbgate: imap: {}: refused: {e}", self.peer);
                            let reply = refusal(&e, &done.authzid);
                            return self.send(&format!("{tag} {reply}\r\n"));
                        }
                    };
                    eprintln!(
                        "kerbgate: imap: {}: {} logged in as {user} ({})",
                        self.peer, done.client, done.layer
                    );
                    // RFC 3501 6.2.2: a CAPABILITY response code in the tagged OK only
                    // when no security layer was negotiated (the OK is not protected).
                    let code = match done.layer {
                        Layer::None => format!("[CAPABILITY {CAPABILITIES}] "),
                        _ => String::new(),
                    };
                    self.send(&format!(
                        "{tag} OK {code}{user} authenticated ({} layer)\r\n",
                        done.layer
                    ))?;
                    // RFC 3501 6.2.2: the layer starts after the tagged OK's CRLF; any
                    // bytes the client sent early are protected ones.
                    self.user = Some(user);
                    if let Some(layer) = done.security {
                        self.raw = self.plain.take_buffered();
                        self.layer = Some(layer);
                        if let Some(layer) = &mut self.layer {
                            while let Some(data) =
                                layer.unwrap(&mut self.raw).map_err(ReadError::Layer)?
                            {
                                self.plain.push(&data);
                            }
                        }
                    }
                    return Ok(());
                }
                Ok(_) => return self.send(&format!("{tag} {AUTHENTICATION_FAILED}\r\n")),
                Err(e) => {
                    eprintln!("kerbgate: imap: {}: authentication failed: {e}", self.peer);
                    let reply = refusal(&e, "");
                    return self.send(&format!("{tag} {reply}\r\n"));
                }
            }
        }
    }

    /// A continuation line: base64, or `*` to cancel. The inner `Err` is the tagged reply.
    fn auth_line(&mut self) -> Result<Result<Vec<u8>, &'static str>, ReadError> {
        let line = match self.read_line(MAX_AUTH_LINE) {
            Ok(l) => l,
            Err(ReadError::TooLong) => return Ok(Err("BAD response line too long")),
            Err(e) => return Err(e),
        };
        Ok(parse_auth_line(&line))
    }
}

/// The tagged NO for a refused login: AUTHORIZATIONFAILED only when the client asked
/// for another identity and may not have it (RFC 5530 3), UNAVAILABLE when the server
/// itself could not decide, AUTHENTICATIONFAILED otherwise.
fn refusal(e: &SaslError, authzid: &str) -> &'static str {
    match e {
        SaslError::NotAuthorized { .. } if !authzid.is_empty() => AUTHORIZATION_FAILED,
        SaslError::ContextRefused { source } if server_side(source) => UNAVAILABLE,
        _ => AUTHENTICATION_FAILED,
    }
}

/// Whether an acceptor failure is the server's (its keytab, replay cache,
/// configuration or random number generator) rather than the client's.
fn server_side(e: &AcceptError) -> bool {
    matches!(
        e,
        AcceptError::KeySource { .. }
            | AcceptError::ReplayCache(_)
            | AcceptError::Config { .. }
            | AcceptError::Randomness { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_codes_name_no_reason() {
        let authz = SaslError::NotAuthorized {
            principal: "bob@EXAMPLE.COM".into(),
            authzid: "alice".into(),
        };
        assert_eq!(refusal(&authz, "alice"), AUTHORIZATION_FAILED);
        assert_eq!(refusal(&authz, ""), AUTHENTICATION_FAILED);
        let keytab = SaslError::ContextRefused {
            source: Box::new(AcceptError::KeySource {
                reason: "unreadable".into(),
            }),
        };
        assert_eq!(refusal(&keytab, ""), UNAVAILABLE);
        let short = SaslError::ReplyTooShort { len: 2 };
        assert_eq!(refusal(&short, "alice"), AUTHENTICATION_FAILED);
    }
}
