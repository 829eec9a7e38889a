//! `kerbgate serve --http ADDR`: a small HTTP server doing Negotiate authentication
//! (RFC 4559) with SPNEGO (RFC 4178) over the Kerberos acceptor.
//!
//! Every request without credentials gets `401` and `WWW-Authenticate: Negotiate`;
//! with a good token, `200` and a body naming the principal, plus the
//! `WWW-Authenticate` token that completes mutual authentication. Bad or NTLM tokens
//! get a 4xx with a message, and the server keeps serving. A negotiation that needs a
//! second leg keeps its state on the connection. It listens on loopback unless
//! `--listen-any` is given.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use kerbgate::negotiate::{self, Outcome};
use kerbgate::{
    Acceptor, GroupPolicy, ReloadingKeytab, ServiceName, SpnegoExchange, DEFAULT_SKEW_SECS,
};

use crate::error::CliError;

/// Most connections served at once; more are closed on arrival.
const MAX_CONNECTIONS: usize = 512;

/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// `serve` options.
#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Serve HTTP Negotiate on this address, e.g. 127.0.0.1:8080 (port 0 picks one;
    /// the address is printed on standard output).
    #[arg(long = "http", value_name = "ADDR")]
    http: SocketAddr,
    /// Allow an address other than loopback (127.0.0.0/8, ::1).
    #[arg(long)]
    listen_any: bool,
    /// Keytab name (FILE:path or a path); default $KRB5_KTNAME, then
    /// FILE:/etc/krb5.keytab.
    #[arg(long, value_name = "NAME")]
    keytab: Option<String>,
    /// Service to answer for (HTTP@host, or name/instance[@REALM]); repeat for several.
    /// Without it, any principal in the keytab.
    #[arg(long = "service", value_name = "NAME", value_parser = crate::accept::parse_service)]
    services: Vec<ServiceName>,
    /// Maximum clock skew in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_SKEW_SECS)]
    skew: u32,
    #[command(flatten)]
    replay: crate::replay_opts::ReplayOpts,
    #[command(flatten)]
    groups: crate::pac_json::GroupOpts,
}

impl ServeArgs {
    fn acceptor(&self) -> Result<Acceptor, CliError> {
        let source = match &self.keytab {
            Some(n) => ReloadingKeytab::open(n)?,
            None => ReloadingKeytab::from_env_or_default()?,
        };
        let mut b = Acceptor::builder()
            .key_source(Arc::new(source))
            .max_skew_secs(self.skew);
        for s in &self.services {
            b = b.service(s.clone());
        }
        Ok(self.replay.apply(b)?.build()?)
    }
}

/// Runs the server until the process is stopped.
pub(crate) fn run(args: &ServeArgs) -> Result<ExitCode, CliError> {
    if !args.http.ip().is_loopback() && !args.listen_any {
        return Err(CliError::msg(format!(
            "refusing to listen on {}, which is not loopback; add --listen-any to serve \
             other hosts",
            args.http
        )));
    }
    let acceptor = Arc::new(args.acceptor()?);
    let groups = Arc::new(args.groups.policy());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    runtime.block_on(serve(args.http, acceptor, groups))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    addr: SocketAddr,
    acceptor: Arc<Acceptor>,
    groups: Arc<GroupPolicy>,
) -> Result<(), CliError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::msg(format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr()?;
    println!("kerbgate: serving HTTP Negotiate on http://{local}/");
    let open = Arc::new(AtomicUsize::new(0));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("kerbgate: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            drop(stream);
            continue;
        }
        let acceptor = Arc::clone(&acceptor);
        let groups = Arc::clone(&groups);
        let open = Arc::clone(&open);
        tokio::spawn(async move {
            // One pending negotiation per connection (for second legs).
            let pending: Arc<Mutex<Option<SpnegoExchange>>> = Arc::new(Mutex::new(None));
            let service = service_fn(move |req| {
                let reply = respond(&req, &acceptor, &groups, &pending, peer);
                async move { Ok::<_, Infallible>(reply) }
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                eprintln!("kerbgate: connection from {peer}: {e}");
            }
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

fn respond(
    req: &Request<Incoming>,
    acceptor: &Arc<Acceptor>,
    groups: &GroupPolicy,
    pending: &Mutex<Option<SpnegoExchange>>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let header = req.headers().get(AUTHORIZATION).map(HeaderValue::as_bytes);
    let outcome = match header.map(negotiate::parse_authorization) {
        None | Some(Err(negotiate::HeaderError::OtherScheme { .. })) => Outcome::Challenge,
        Some(Err(e)) => {
            eprintln!("kerbgate: {peer}: refused: {e}");
            return text(StatusCode::BAD_REQUEST, &format!("{e}\n"), None);
        }
        Some(Ok(token)) => {
            let mut slot = pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut exchange = match slot.take() {
                Some(ex) if !negotiate::is_initial_token(&token) => ex,
                _ => SpnegoExchange::new(Arc::clone(acceptor)),
            };
            let outcome = negotiate::authenticate_token(&mut exchange, &token);
            if matches!(outcome, Outcome::Continue { .. }) {
                *slot = Some(exchange);
                outcome
            } else {
                // --require-group / --deny-group: 403 when the PAC's groups do not fit.
                negotiate::apply_group_policy(outcome, &exchange, groups)
            }
        }
    };

    match &outcome {
        Outcome::Authenticated { principal, .. } => {
            eprintln!("kerbgate: {peer}: authenticated {principal}");
            let body = format!("authenticated as {principal}\n");
            text(StatusCode::OK, &body, outcome.www_authenticate())
        }
        Outcome::Refused {
            status, message, ..
        } => {
            eprintln!("kerbgate: {peer}: refused: {message}");
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::UNAUTHORIZED);
            text(status, &format!("{message}\n"), outcome.www_authenticate())
        }
        _ => text(
            StatusCode::UNAUTHORIZED,
            "Negotiate authentication required\n",
            outcome.www_authenticate(),
        ),
    }
}

fn text(status: StatusCode, body: &str, www_authenticate: Option<&str>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_owned())));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    // RFC 7235 3.1: every 401 carries a challenge.
    let challenge = match (www_authenticate, status) {
        (Some(v), _) => Some(v),
        (None, StatusCode::UNAUTHORIZED) => Some(negotiate::CHALLENGE),
        (None, _) => None,
    };
    if let Some(v) = challenge.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(WWW_AUTHENTICATE, v);
    }
    resp
}
