//! kerbgate as HTTP Negotiate middleware in an async Rust web server (hyper 1, tokio).
//!
//! `Negotiate<H>` wraps any handler: requests without a valid Kerberos/SPNEGO token get
//! `401` (or `400` for malformed ones) and never reach the handler; authenticated ones
//! reach it with the client principal in the request extensions, and the response
//! gets the `WWW-Authenticate` token that completes mutual authentication.
//!
//! ```text
//! cargo run -p kerbgate-cli --example negotiate_middleware -- \
//!     FILE:/etc/http.keytab 127.0.0.1:8081
//! curl --negotiate -u : http://www.example.com:8081/hello
//! ```
//!
//! It listens on loopback by default. Each request gets a fresh exchange, which serves
//! every single-leg client (MIT, Heimdal, Windows with Kerberos first); see
//! `kerbgate serve --http` for per-connection state that also serves second legs.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use kerbgate::negotiate::{self, Outcome};
use kerbgate::{Acceptor, ReloadingKeytab, SpnegoExchange};

/// The authenticated client, as handlers find it in the request extensions.
#[derive(Clone, Debug)]
struct ClientPrincipal(String);

type Body = Full<Bytes>;
type BoxFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

/// The middleware: Negotiate authentication in front of `handler`.
#[derive(Clone)]
struct Negotiate<H> {
    acceptor: Arc<Acceptor>,
    handler: H,
}

fn plain(status: StatusCode, body: String, www_authenticate: Option<&str>) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    if let Some(v) = www_authenticate.and_then(|v| HeaderValue::from_str(v).ok()) {
        resp.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    resp
}

impl<H, F> Service<Request<Incoming>> for Negotiate<H>
where
    H: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        let header = req.headers().get(AUTHORIZATION).map(HeaderValue::as_bytes);
        let mut exchange = SpnegoExchange::new(Arc::clone(&self.acceptor));
        let outcome = negotiate::authenticate(&mut exchange, header);
        let status = StatusCode::from_u16(outcome.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        let header = outcome.www_authenticate().map(str::to_owned);
        match outcome {
            Outcome::Authenticated { principal, .. } => {
                req.extensions_mut().insert(ClientPrincipal(principal));
                let handler = self.handler.clone();
                Box::pin(async move {
                    let mut resp = handler(req).await;
                    if let Some(v) = header.and_then(|v| HeaderValue::from_str(&v).ok()) {
                        resp.headers_mut().insert(WWW_AUTHENTICATE, v);
                    }
                    Ok(resp)
                })
            }
            Outcome::Refused { message, .. } => {
                let resp = plain(status, format!("{message}\n"), header.as_deref());
                Box::pin(async move { Ok(resp) })
            }
            _ => {
                let body = "Negotiate authentication required\n".to_owned();
                let resp = plain(status, body, header.as_deref());
                Box::pin(async move { Ok(resp) })
            }
        }
    }
}

/// The application: it only ever sees authenticated requests.
async fn hello(req: Request<Incoming>) -> Response<Body> {
    let who = req
        .extensions()
        .get::<ClientPrincipal>()
        .map_or("nobody", |p| p.0.as_str())
        .to_owned();
    plain(
        StatusCode::OK,
        format!("hello {who}, you asked for {}\n", req.uri().path()),
        None,
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let keytab = args
        .next()
        .unwrap_or_else(|| "FILE:/etc/krb5.keytab".to_owned());
    let addr: SocketAddr = args.next().as_deref().unwrap_or("127.0.0.1:8081").parse()?;
    let acceptor = Arc::new(
        Acceptor::builder()
            .key_source(Arc::new(ReloadingKeytab::open(&keytab)?))
            .build()?,
    );
    let middleware = Negotiate {
        acceptor,
        handler: hello,
    };

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("listening on http://{}/", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            let service = middleware.clone();
            tokio::spawn(async move {
                let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                if let Err(e) = conn.await {
                    eprintln!("connection: {e}");
                }
            });
        }
    })
}
