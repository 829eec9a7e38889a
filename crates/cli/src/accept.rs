//! `kerbgate accept`: runs initial context tokens through one acceptor
//! (RFC 4120 section 3.2.3, RFC 4121 section 4.1) and reports each outcome.
//!
//! All tokens of one run share the acceptor and so its replay cache: a token given
//! twice is refused the second time with KRB_AP_ERR_REPEAT.
//!
//! SPNEGO tokens (RFC 4178) run through a fresh [`SpnegoExchange`] each: `"mech"`
//! names the Kerberos mechanism inside, `"spnego": true` is added, and the output
//! token is the NegTokenResp. A NegTokenInit without a usable Kerberos token would
//! need a second leg, which one-token-at-a-time cannot give: it is reported as
//! refused with GSS_S_CONTINUE_NEEDED and the NegTokenResp asking for it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use kerbgate::consts::GssMajor;
use kerbgate::token::{parse_initial_context_token, Mech};
use kerbgate::{
    Accepted, Acceptor, ChannelBindings, Clock, FixedClock, Rejected, SecurityContext, ServiceName,
    SpnegoExchange, SpnegoRejected, SystemClock, DEFAULT_SKEW_SECS,
};
use kerbgate_keytab::KeytabName;
use serde::Serialize;

use crate::error::CliError;
use crate::input::{decode_token_text, next_line, Line, TextError};
use crate::replay_opts::ReplayOpts;

/// `accept` options.
#[derive(Args)]
pub(crate) struct AcceptArgs {
    #[command(flatten)]
    pub(crate) opts: AcceptorOpts,
    /// Write delegated credentials to this MIT ccache file (mode 0600, replaced).
    #[arg(long, value_name = "PATH")]
    write_ccache: Option<PathBuf>,
    /// One JSON object a token, one a line.
    #[arg(long)]
    json: bool,
    /// Tokens, hex (if all hex digits, even length) or base64; `-` reads tokens from
    /// standard input, one a line (blank lines and `#` comments skipped).
    #[arg(value_name = "TOKEN", required = true)]
    tokens: Vec<String>,
}

/// The acceptor's options, shared by `accept` and `pipe`.
#[derive(Args)]
pub(crate) struct AcceptorOpts {
    /// Keytab name (FILE:path, WRFILE:path or a path); default $KRB5_KTNAME,
    /// then FILE:/etc/krb5.keytab.
    #[arg(long, value_name = "NAME")]
    keytab: Option<String>,
    /// Service to answer for (service@host, service, or name/instance[@REALM]);
    /// repeat for several. Without it, any principal in the keytab.
    #[arg(long = "service", value_name = "NAME", value_parser = parse_service)]
    services: Vec<ServiceName>,
    /// Compare service and host names case-insensitively.
    #[arg(long)]
    case_insensitive_service: bool,
    /// Fix the clock at this Unix time (to replay captured tokens).
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    now: Option<i64>,
    /// Maximum clock skew in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_SKEW_SECS)]
    skew: u32,
    /// Channel-binding application data (hex), e.g. tls-server-end-point data.
    #[arg(long, value_name = "HEX", value_parser = parse_hex)]
    channel_bindings_app_data: Option<Hex>,
    /// Channel-binding initiator address: type (number or inet, inet6, unspec) and hex.
    #[arg(long, value_name = "TYPE:HEX", value_parser = parse_address)]
    channel_bindings_initiator_address: Option<Address>,
    /// Channel-binding acceptor address: type (number or inet, inet6, unspec) and hex.
    #[arg(long, value_name = "TYPE:HEX", value_parser = parse_address)]
    channel_bindings_acceptor_address: Option<Address>,
    /// Refuse initiators that send no channel bindings when we have some.
    #[arg(long)]
    strict_channel_bindings: bool,
    /// Turn replay detection off. A replayed token then logs in again; only for
    /// replaying captured tokens.
    #[arg(long, conflicts_with = "replay_cache")]
    dangerous_no_replay_cache: bool,
    #[command(flatten)]
    replay: ReplayOpts,
}

/// Bytes given in hex on the command line.
#[derive(Clone)]
pub(crate) struct Hex(pub(crate) Vec<u8>);

/// A channel-binding address: GSS_C_AF_* type and bytes.
#[derive(Clone)]
pub(crate) struct Address {
    addrtype: u32,
    bytes: Vec<u8>,
}

/// Parses `--service` (shared by the subcommands that take it).
pub(crate) fn parse_service(s: &str) -> Result<ServiceName, String> {
    ServiceName::parse(s).map_err(|e| e.to_string())
}

/// Parses a hex argument (shared by the subcommands that take one).
pub(crate) fn parse_hex(s: &str) -> Result<Hex, String> {
    hex::decode(s.trim())
        .map(Hex)
        .map_err(|e| format!("not hex: {e}"))
}

/// RFC 2744 section 3.11 address types, by number or a short name.
fn parse_address(s: &str) -> Result<Address, String> {
    let (kind, data) = s
        .split_once(':')
        .ok_or_else(|| "expected TYPE:HEX, e.g. inet:7f000001".to_string())?;
    let addrtype = match kind.to_ascii_lowercase().as_str() {
        "unspec" => 0,
        "local" => 1,
        "inet" => 2,
        "inet6" => 24,
        "null" => 255,
        n => n
            .parse()
            .map_err(|_| format!("unknown address type {kind:?}"))?,
    };
    let bytes = hex::decode(data).map_err(|e| format!("address is not hex: {e}"))?;
    Ok(Address { addrtype, bytes })
}

impl AcceptorOpts {
    fn bindings(&self) -> Option<ChannelBindings> {
        let any = self.channel_bindings_app_data.is_some()
            || self.channel_bindings_initiator_address.is_some()
            || self.channel_bindings_acceptor_address.is_some();
        if !any {
            return None;
        }
        let mut cb = ChannelBindings::default();
        if let Some(Hex(data)) = &self.channel_bindings_app_data {
            cb.application_data.clone_from(data);
        }
        if let Some(a) = &self.channel_bindings_initiator_address {
            cb.initiator_addrtype = a.addrtype;
            cb.initiator_address.clone_from(&a.bytes);
        }
        if let Some(a) = &self.channel_bindings_acceptor_address {
            cb.acceptor_addrtype = a.addrtype;
            cb.acceptor_address.clone_from(&a.bytes);
        }
        Some(cb)
    }

    /// The clock: fixed by `--now`, else the system clock.
    pub(crate) fn clock(&self) -> Arc<dyn Clock> {
        match self.now {
            Some(now) => Arc::new(FixedClock::at(now)),
            None => Arc::new(SystemClock),
        }
    }

    /// Builds the acceptor these options describe.
    pub(crate) fn acceptor(&self) -> Result<Acceptor, CliError> {
        let name = match &self.keytab {
            Some(n) => KeytabName::parse(n)?,
            None => KeytabName::from_env_or_default()?,
        };
        let keytab = name
            .load()
            .map_err(|e| CliError::msg(format!("keytab {name}: {e}")))?;
        let mut b = Acceptor::builder()
            .keytab(&keytab)
            .ignore_service_case(self.case_insensitive_service)
            .max_skew_secs(self.skew)
            .strict_channel_bindings(self.strict_channel_bindings);
        for s in &self.services {
            b = b.service(s.clone());
        }
        b = b.clock(self.clock());
        if let Some(cb) = self.bindings() {
            b = b.channel_bindings(cb);
        }
        if self.dangerous_no_replay_cache {
            b = b.dangerous_disable_replay_cache();
        }
        Ok(self.replay.apply(b)?.build()?)
    }
}

/// The `--json` line of an accepted token (field order is part of the contract).
#[derive(Serialize)]
pub(crate) struct JsonAccepted {
    ok: bool,
    client: String,
    service: String,
    mech: &'static str,
    ticket_enctype: &'static str,
    kvno: u32,
    session_enctype: &'static str,
    flags: Vec<&'static str>,
    output_token: Option<String>,
    delegated: bool,
    expires: i64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) spnego: bool,
    /// The ticket's PAC, last and only when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pac: Option<crate::pac_json::JsonPac>,
}

/// The `--json` line of a refused token.
#[derive(Serialize)]
pub(crate) struct JsonRefused {
    ok: bool,
    error: String,
    gss_major: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_token: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    spnego: bool,
}

/// What one token came to, ready to print.
enum Outcome {
    Accepted(Box<Accepted>),
    /// A SPNEGO exchange that established a context, and its NegTokenResp.
    Spnego(Box<SecurityContext>, Option<Vec<u8>>),
    Refused(JsonRefused),
}

pub(crate) fn spnego_refused(rejected: &SpnegoRejected) -> JsonRefused {
    JsonRefused {
        ok: false,
        error: rejected.error.code_name(),
        gss_major: rejected.error.gss_major().name(),
        message: rejected.error.to_string(),
        output_token: rejected.output_token.as_deref().map(hex::encode),
        spnego: true,
    }
}

/// A SPNEGO token that asks for a second leg, which `accept` cannot take.
pub(crate) fn continue_needed(output: Option<&[u8]>) -> JsonRefused {
    let major = GssMajor::ContinueNeeded.name();
    JsonRefused {
        ok: false,
        error: major.to_string(),
        gss_major: major,
        message: format!(
            "SPNEGO needs another leg ({major}): the client sent no Kerberos token kerbgate \
             could take first; `kerbgate accept` handles one token per context"
        ),
        output_token: output.map(hex::encode),
        spnego: true,
    }
}

pub(crate) fn is_spnego(token: &[u8]) -> bool {
    parse_initial_context_token(token).is_ok_and(|t| t.mech == Mech::Spnego)
}

pub(crate) fn refused(rejected: &Rejected) -> JsonRefused {
    JsonRefused {
        ok: false,
        error: rejected.error.code_name(),
        gss_major: rejected.error.gss_major().name(),
        message: rejected.error.to_string(),
        output_token: rejected.output_token.as_deref().map(hex::encode),
        spnego: false,
    }
}

/// A token whose text did not decode is a defective token, as the library would say.
fn undecodable(e: &TextError) -> JsonRefused {
    let major = GssMajor::DefectiveToken.name();
    JsonRefused {
        ok: false,
        error: major.to_string(),
        gss_major: major,
        message: format!("defective token ({major}): {e}"),
        output_token: None,
        spnego: false,
    }
}

pub(crate) fn accepted_json(ctx: &SecurityContext, output: Option<&[u8]>) -> JsonAccepted {
    JsonAccepted {
        ok: true,
        client: ctx.client().to_string(),
        service: ctx.service().to_string(),
        mech: ctx.mech().dotted(),
        ticket_enctype: ctx.ticket_enctype().name(),
        kvno: ctx.ticket_kvno(),
        session_enctype: ctx.session_enctype().name(),
        flags: ctx.flags().names(),
        output_token: output.map(hex::encode),
        delegated: ctx.delegated().is_some(),
        expires: ctx.expires(),
        spnego: false,
        pac: ctx.pac().map(|p| {
            // The acceptor verified the server signature; the rest needs the krbtgt key.
            let reports = p.check_signatures(&kerbgate::pac::SignatureKeys::none());
            crate::pac_json::pac_json(p, &reports)
        }),
    }
}

struct Runner<'a> {
    args: &'a AcceptArgs,
    acceptor: Arc<Acceptor>,
    all_ok: bool,
}

impl Runner<'_> {
    fn one(&mut self, text: Result<&str, TextError>, out: &mut impl Write) -> Result<(), CliError> {
        let outcome = match text.and_then(decode_token_text) {
            Err(e) => Outcome::Refused(undecodable(&e)),
            Ok(token) if is_spnego(&token) => {
                let mut exchange = SpnegoExchange::new(Arc::clone(&self.acceptor));
                match exchange.step(&token) {
                    Ok(progress) => match exchange.into_context() {
                        Some(ctx) => {
                            Outcome::Spnego(Box::new(ctx.into_inner()), progress.output_token)
                        }
                        None => Outcome::Refused(continue_needed(progress.output_token.as_deref())),
                    },
                    Err(rejected) => Outcome::Refused(spnego_refused(&rejected)),
                }
            }
            Ok(token) => match self.acceptor.accept(&token) {
                Ok(done) => Outcome::Accepted(Box::new(done)),
                Err(rejected) => Outcome::Refused(refused(&rejected)),
            },
        };
        match outcome {
            Outcome::Accepted(done) => {
                self.print_accepted(&done.context, done.output_token.as_deref(), false, out)?;
            }
            Outcome::Spnego(ctx, output) => {
                self.print_accepted(&ctx, output.as_deref(), true, out)?;
            }
            Outcome::Refused(r) => {
                self.all_ok = false;
                if self.args.json {
                    writeln!(out, "{}", serde_json::to_string(&r)?)?;
                } else {
                    writeln!(out, "refused: {}", r.message)?;
                    if let Some(t) = &r.output_token {
                        writeln!(out, "{t}")?;
                    }
                }
            }
        }
        out.flush()?;
        Ok(())
    }

    fn print_accepted(
        &mut self,
        ctx: &SecurityContext,
        output: Option<&[u8]>,
        spnego: bool,
        out: &mut impl Write,
    ) -> Result<(), CliError> {
        let mut line = accepted_json(ctx, output);
        line.spnego = spnego;
        if self.args.json {
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        } else {
            let flags = if line.flags.is_empty() {
                "none".to_string()
            } else {
                line.flags.join(",")
            };
            writeln!(
                out,
                "accepted {} for {} ({} kvno {}, flags {flags}{})",
                line.client,
                line.service,
                line.ticket_enctype,
                line.kvno,
                if spnego { ", SPNEGO" } else { "" }
            )?;
            if let Some(t) = &line.output_token {
                writeln!(out, "{t}")?;
            }
        }

        // Delegated credentials go to the ccache only when asked for.
        if let (Some(path), Some(creds)) = (&self.args.write_ccache, ctx.delegated()) {
            if let Err(e) = creds.write_ccache(path) {
                self.all_ok = false;
                eprintln!("kerbgate: {e}");
            } else if !self.args.json {
                writeln!(out, "delegated credentials written to {}", path.display())?;
            }
        }
        Ok(())
    }
}

/// Runs `kerbgate accept`: exit 0 when every token was accepted, 1 when any was refused.
pub(crate) fn run(args: &AcceptArgs) -> Result<ExitCode, CliError> {
    let acceptor = Arc::new(args.opts.acceptor()?);
    let mut runner = Runner {
        args,
        acceptor,
        all_ok: true,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for token in &args.tokens {
        if token != "-" {
            runner.one(Ok(token), &mut out)?;
            continue;
        }
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        while let Some(line) = next_line(&mut input)? {
            match line {
                Line::Text(t) => runner.one(Ok(&t), &mut out)?,
                Line::Bad(e) => runner.one(Err(e), &mut out)?,
            }
        }
    }
    Ok(if runner.all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
