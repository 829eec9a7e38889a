//! `kerbgate pipe`: a JSON-lines protocol on standard input and output that makes the
//! acceptor and its per-message protection (RFC 4121 wrap/MIC, RFC 4757 legacy tokens)
//! scriptable from any language.
//!
//! Each request line is one JSON object with an `op`; each gets one JSON line back:
//! - `{"op":"accept","token":HEX}`: as `kerbgate accept --json`; starts a new context
//!   (Kerberos or SPNEGO) that the following operations use.
//! - `{"op":"unwrap","token":HEX}`: `{"ok":true,"data":HEX,"conf":BOOL,"supplementary":[...]}`
//! - `{"op":"wrap","data":HEX,"conf":BOOL}`: `{"ok":true,"token":HEX}`
//! - `{"op":"get_mic","data":HEX}`: `{"ok":true,"token":HEX}`
//! - `{"op":"verify_mic","data":HEX,"token":HEX}`: `{"ok":true,"supplementary":[...]}`
//!
//! A failure is `{"ok":false,"error":NAME,"gss_major":NAME,"message":TEXT}`; the pipe
//! keeps serving after it.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use kerbgate::consts::GssMajor;
use kerbgate::wrap::{MessageContext, Supplementary};
use kerbgate::{Acceptor, Clock, SpnegoExchange};
use serde::Serialize;
use serde_json::Value;

use crate::accept::{accepted_json, is_spnego, refused, spnego_refused, AcceptorOpts};
use crate::error::CliError;
use crate::input::{next_line, Line};

/// `pipe` options: the acceptor's, as for `accept`.
#[derive(Args)]
pub(crate) struct PipeArgs {
    #[command(flatten)]
    opts: AcceptorOpts,
    /// Answer in JSON (the only format; accepted for symmetry with `accept`).
    #[arg(long)]
    json: bool,
}

/// A failed request: names the condition, as the library does.
#[derive(Serialize)]
struct Failure {
    ok: bool,
    error: String,
    gss_major: &'static str,
    message: String,
}

/// `{"ok":true,...}` answers to per-message operations, fields in this order.
#[derive(Serialize)]
struct Answer {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conf: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplementary: Option<Vec<&'static str>>,
}

impl Answer {
    fn token(token: &[u8]) -> String {
        line(&Answer {
            ok: true,
            token: Some(hex::encode(token)),
            data: None,
            conf: None,
            supplementary: None,
        })
    }
}

/// One JSON line; serialization of these plain structs cannot fail.
fn line(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{\"ok\":false}".into())
}

fn failure(major: GssMajor, error: String, message: String) -> String {
    line(&Failure {
        ok: false,
        error,
        gss_major: major.name(),
        message,
    })
}

fn bad_request(message: &str) -> String {
    let major = GssMajor::Failure;
    failure(
        major,
        "BAD_REQUEST".into(),
        format!("bad request: {message}"),
    )
}

fn supplementary(s: &[Supplementary]) -> Vec<&'static str> {
    s.iter().map(|x| x.gss_major().name()).collect()
}

fn hex_field(req: &Value, name: &str) -> Result<Vec<u8>, String> {
    let text = req
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request(&format!("`{name}` (hex string) is missing")))?;
    hex::decode(text).map_err(|e| bad_request(&format!("`{name}` is not hex: {e}")))
}

struct Pipe {
    acceptor: Arc<Acceptor>,
    clock: Arc<dyn Clock>,
    context: Option<MessageContext>,
}

impl Pipe {
    fn handle(&mut self, text: &str) -> String {
        let req: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return bad_request(&format!("not JSON: {e}")),
        };
        let op = req.get("op").and_then(Value::as_str).unwrap_or("");
        let result = match op {
            "accept" => self.accept(&req),
            "wrap" | "unwrap" | "get_mic" | "verify_mic" => self.per_message(op, &req),
            "" => Err(bad_request("`op` is missing")),
            other => Err(bad_request(&format!(
                "unknown op {other:?}; expected accept, wrap, unwrap, get_mic or verify_mic"
            ))),
        };
        result.unwrap_or_else(|e| e)
    }

    fn accept(&mut self, req: &Value) -> Result<String, String> {
        let token = hex_field(req, "token")?;
        self.context = None;
        if is_spnego(&token) {
            let mut exchange = SpnegoExchange::new(Arc::clone(&self.acceptor));
            return match exchange.step(&token) {
                Ok(progress) => {
                    let output = progress.output_token;
                    match exchange.into_context() {
                        Some(ctx) if progress.complete => {
                            let mut answer = accepted_json(ctx.context(), output.as_deref());
                            answer.spnego = true;
                            self.context = Some(ctx);
                            Ok(line(&answer))
                        }
                        _ => Ok(line(&crate::accept::continue_needed(output.as_deref()))),
                    }
                }
                Err(rejected) => Ok(line(&spnego_refused(&rejected))),
            };
        }
        match self.acceptor.accept(&token) {
            Ok(done) => {
                let answer = accepted_json(&done.context, done.output_token.as_deref());
                self.context = Some(done.context.into_message_context(Arc::clone(&self.clock)));
                Ok(line(&answer))
            }
            Err(rejected) => Ok(line(&refused(&rejected))),
        }
    }

    fn per_message(&mut self, op: &str, req: &Value) -> Result<String, String> {
        let Some(ctx) = self.context.as_mut() else {
            return Err(failure(
                GssMajor::NoContext,
                GssMajor::NoContext.name().into(),
                format!("no context (GSS_S_NO_CONTEXT): `{op}` needs a successful accept first"),
            ));
        };
        let wrap_failure = |e: kerbgate::wrap::WrapError| {
            let major = e.gss_major();
            failure(major, major.name().into(), e.to_string())
        };
        match op {
            "wrap" => {
                let data = hex_field(req, "data")?;
                let conf = req.get("conf").and_then(Value::as_bool).unwrap_or(true);
                let token = ctx.wrap(&data, conf).map_err(wrap_failure)?;
                Ok(Answer::token(&token))
            }
            "unwrap" => {
                let token = hex_field(req, "token")?;
                let out = ctx.unwrap(&token).map_err(wrap_failure)?;
                Ok(line(&Answer {
                    ok: true,
                    token: None,
                    data: Some(hex::encode(&out.data)),
                    conf: Some(out.conf),
                    supplementary: Some(supplementary(&out.supplementary)),
                }))
            }
            "get_mic" => {
                let data = hex_field(req, "data")?;
                let token = ctx.get_mic(&data).map_err(wrap_failure)?;
                Ok(Answer::token(&token))
            }
            _ => {
                let data = hex_field(req, "data")?;
                let token = hex_field(req, "token")?;
                let sup = ctx.verify_mic(&data, &token).map_err(wrap_failure)?;
                Ok(line(&Answer {
                    ok: true,
                    token: None,
                    data: None,
                    conf: None,
                    supplementary: Some(supplementary(&sup)),
                }))
            }
        }
    }
}

/// Runs `kerbgate pipe` until standard input ends. Exit status 0 unless the acceptor
/// cannot be built or output fails; refusals are answers, not failures of the pipe.
pub(crate) fn run(args: &PipeArgs) -> Result<ExitCode, CliError> {
    let _ = args.json;
    let mut pipe = Pipe {
        acceptor: Arc::new(args.opts.acceptor()?),
        clock: args.opts.clock(),
        context: None,
    };
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    while let Some(line) = next_line(&mut input)? {
        let answer = match line {
            Line::Text(text) => pipe.handle(&text),
            Line::Bad(e) => bad_request(&e.to_string()),
        };
        writeln!(out, "{answer}")?;
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}
