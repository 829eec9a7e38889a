//! `kerbgate demo`: a complete Kerberos login in memory, narrated, with no KDC.
//!
//! An in-memory realm (testkit's KDC, fresh random keys) issues a ticket to a
//! client; the client sends its AP-REQ (RFC 4121 4.1) to kerbgate's real acceptor,
//! checks the AP-REP, runs the SASL GSSAPI security-layer negotiation (RFC 4752
//! 3.1) and exchanges one sealed message each way (RFC 4121 4.2). The server side is
//! the library as servers use it; the client side is testkit's AP-REQ minting plus
//! the demo's own initiator Wrap ([`crate::demo_client`]).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use kerbgate::consts::gss_flags;
use kerbgate::{Acceptor, Clock, GssFlags, ServiceName, SystemClock, DEFAULT_SKEW_SECS};
use kerbgate_crypto::Enctype;
use kerbgate_testkit::{
    verify_ap_rep_for, ApReq, ApReqBuilder, AuthChecksum, GssChecksum, Kdc, KerberosTime, Rng,
    ServiceKeyOpts, Ticket,
};
use serde_json::{json, Value};

use crate::error::CliError;
use crate::style::{wrap, Style};
use kerbgate_testkit::InitiatorWrap as Initiator;

/// The demo realm; `.test` names (RFC 2606) so nothing resolves.
const REALM: &str = "DEMO.KERBGATE.TEST";
const SERVICE: &str = "imap/mail.demo.kerbgate.test";
const SERVICE_GSS_NAME: &str = "imap@mail.demo.kerbgate.test";
const CLIENT: &str = "alice";
const KVNO: u32 = 1;

/// RFC 4752 3.1 security-layer bits.
const LAYER_NONE: u8 = 1;
const LAYER_INTEGRITY: u8 = 2;
const LAYER_CONFIDENTIALITY: u8 = 4;
/// Largest message either side takes, as RFC 4752 3.1's three-octet size.
const MAX_MESSAGE: u32 = 65_536;

/// `demo` options.
#[derive(Args)]
pub(crate) struct DemoArgs {
    /// Print one JSON object instead of the narration.
    #[arg(long)]
    json: bool,
    /// Write the demo realm's service keytab here (mode 0600), to try `accept` and
    /// `doctor` with.
    #[arg(long, value_name = "FILE")]
    write_keytab: Option<PathBuf>,
    /// Write AP-REQ tokens here, hex, one a line (mode 0600). They are valid for
    /// the real current time: `kerbgate accept --keytab KEYTAB - < FILE` accepts
    /// them within the clock skew (five minutes).
    #[arg(long, value_name = "FILE", requires = "write_keytab")]
    write_tokens: Option<PathBuf>,
}

/// `writeln!` to standard output; a closed pipe becomes an error, not a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)
    };
}

/// Prints the narration (or collects JSON steps).
struct Narrator {
    json: bool,
    style: Style,
    steps: Vec<Value>,
}

impl Narrator {
    fn heading(&self, n: u32, text: &str) -> std::io::Result<()> {
        if self.json {
            return Ok(());
        }
        say!("\n{}", self.style.bold(&format!("{n}. {text}")))
    }

    fn line(&self, who: &str, text: &str) -> std::io::Result<()> {
        if self.json {
            return Ok(());
        }
        let who = format!("{who:<8}");
        let body = wrap(text, 13, 13, 100);
        say!("   {}  {body}", self.style.cyan(&who))
    }

    fn step(&mut self, v: Value) {
        self.steps.push(v);
    }
}

/// The first bytes of a token in hex, for the eye.
fn preview(bytes: &[u8]) -> String {
    let head: Vec<String> = bytes.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("{} .. ({} bytes)", head.join(" "), bytes.len())
}

fn layers(bits: u8) -> Vec<&'static str> {
    [
        (LAYER_NONE, "none"),
        (LAYER_INTEGRITY, "integrity"),
        (LAYER_CONFIDENTIALITY, "confidentiality"),
    ]
    .into_iter()
    .filter(|(b, _)| bits & b != 0)
    .map(|(_, n)| n)
    .collect()
}

/// RFC 4752 3.1: one octet of layers, three of maximum size, then (from the client)
/// the authorization identity.
fn layer_message(bits: u8, max: u32, authzid: &str) -> Vec<u8> {
    let [_, a, b, c] = max.to_be_bytes();
    let mut m = vec![bits, a, b, c];
    m.extend_from_slice(authzid.as_bytes());
    m
}

fn parse_layer_message(m: &[u8]) -> Result<(u8, u32, String), CliError> {
    let Some((&[bits, a, b, c], rest)) = m.split_first_chunk::<4>() else {
        return Err(CliError::msg("SASL layer message shorter than 4 octets"));
    };
    let authzid = String::from_utf8(rest.to_vec())
        .map_err(|_| CliError::msg("SASL authorization identity is not UTF-8"))?;
    Ok((bits, u32::from_be_bytes([0, a, b, c]), authzid))
}

fn random_seq(rng: &mut Rng) -> Result<u32, CliError> {
    let mut b = [0u8; 4];
    rng.fill(&mut b)?;
    // Keep the top bits clear, as MIT does, for peers that read them as signed.
    Ok(u32::from_be_bytes(b) & 0x3fff_ffff)
}

fn mint(
    ticket: &Ticket,
    now: kerbgate::Timestamp,
    flags: u32,
    seq: u32,
) -> Result<ApReq, CliError> {
    let mut b = ApReqBuilder::new(ticket)
        .time(KerberosTime::from_unix(now.secs), now.usecs)
        .subkey_enctype(Enctype::Aes256CtsHmacSha196)
        .seq_number(Some(seq))
        .checksum(AuthChecksum::Gss(GssChecksum::with_flags(flags)));
    if flags & gss_flags::MUTUAL == 0 {
        b = b.ap_options(0);
    }
    Ok(b.build()?)
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

/// Runs `kerbgate demo`.
#[allow(clippy::too_many_lines)] // one narrated story, step after step
pub(crate) fn run(args: &DemoArgs) -> Result<ExitCode, CliError> {
    let mut n = Narrator {
        json: args.json,
        style: Style::detect(),
        steps: Vec::new(),
    };
    let clock = SystemClock;
    let now = clock.now();
    let mut rng = Rng::os();

    // The realm: a KDC with the service's key, and the client's ticket.
    let mut kdc = Kdc::with_rng(REALM, Rng::os());
    kdc.add_service(
        SERVICE,
        ServiceKeyOpts::random(Enctype::Aes256CtsHmacSha196, KVNO),
    )?;
    let keytab = kdc.keytab();
    let ticket = kdc
        .ticket(CLIENT, SERVICE)?
        .authtime(KerberosTime::from_unix(now.secs))
        .build()?;
    let service = ticket.service.to_string();
    let client = ticket.client.to_string();
    if !n.json {
        say!(
            "{}",
            n.style
                .bold("kerbgate demo: a Kerberos login from start to end, in memory, no KDC")
        )?;
        n.line(
            "realm",
            &format!("{REALM}, made just now with fresh random keys"),
        )?;
        n.line(
            "keytab",
            &format!("{service} kvno {KVNO} aes256-cts-hmac-sha1-96 (the server's only secret)"),
        )?;
        n.line(
            "client",
            &format!(
                "{client} already holds a ticket for {service}, valid for 10 hours \
                 (the KDC's part, done in memory)"
            ),
        )?;
    }
    n.step(
        json!({"step": "realm", "realm": REALM, "service": service, "client": client,
        "keytab": {"entries": keytab.len(), "kvno": KVNO, "enctype": "aes256-cts-hmac-sha1-96"}}),
    );

    // 1. The client's AP-REQ (RFC 4121 4.1).
    let flags = gss_flags::MUTUAL
        | gss_flags::REPLAY
        | gss_flags::SEQUENCE
        | gss_flags::CONF
        | gss_flags::INTEG;
    let client_seq = random_seq(&mut rng)?;
    let ap_req = mint(&ticket, now, flags, client_seq)?;
    let token = ap_req.gss_token();
    n.heading(
        1,
        "client -> server: AP-REQ (RFC 4120 5.5.1 in RFC 4121 4.1 framing)",
    )?;
    n.line("client", &preview(&token))?;
    n.line(
        "",
        &format!(
            "the ticket (encrypted in the service key, kvno {KVNO}) and an authenticator \
             (encrypted in the ticket's session key) with the time, a fresh subkey, sequence \
             number {client_seq} and GSS flags {}",
            GssFlags(flags).names().join(",")
        ),
    )?;
    n.step(
        json!({"step": "ap-req", "from": "client", "bytes": token.len(),
        "token": hex::encode(&token), "flags": GssFlags(flags).names()}),
    );

    // 2. The server: kerbgate's acceptor with the keytab.
    let acceptor = Acceptor::builder()
        .keytab(&keytab)
        .service(ServiceName::parse(SERVICE_GSS_NAME)?)
        .build()?;
    let accepted = acceptor
        .accept(&token)
        .map_err(|r| CliError::msg(format!("the demo's acceptor refused its token: {r}")))?;
    let ctx = &accepted.context;
    let Some(ap_rep) = accepted.output_token.clone() else {
        return Err(CliError::msg(
            "the acceptor sent no AP-REP for a mutual request",
        ));
    };
    n.heading(2, "server: kerbgate accepts the AP-REQ")?;
    n.line(
        "server",
        &format!(
            "ticket decrypted with keytab kvno {} {}, authenticator checked (client, time \
             within {DEFAULT_SKEW_SECS} s, checksum, not a replay)",
            ctx.ticket_kvno(),
            ctx.ticket_enctype().name()
        ),
    )?;
    n.line(
        "",
        &format!(
            "authenticated {} for {}, context flags {}",
            ctx.client(),
            ctx.service(),
            ctx.flags().names().join(",")
        ),
    )?;
    n.line("server", &format!("-> AP-REP {}", preview(&ap_rep)))?;
    n.step(
        json!({"step": "accepted", "client": ctx.client().to_string(),
        "service": ctx.service().to_string(), "kvno": ctx.ticket_kvno(),
        "ticket_enctype": ctx.ticket_enctype().name(), "flags": ctx.flags().names()}),
    );
    n.step(
        json!({"step": "ap-rep", "from": "server", "bytes": ap_rep.len(),
        "token": hex::encode(&ap_rep), "acceptor_subkey": ctx.acceptor_subkey().is_some()}),
    );

    // 3. The client checks the AP-REP (RFC 4120 3.2.5).
    let info = verify_ap_rep_for(&ap_rep, &ap_req)?;
    let server_seq = info.seq_number.unwrap_or(client_seq);
    n.heading(3, "client: checks the AP-REP (mutual authentication)")?;
    n.line(
        "client",
        &format!(
            "it decrypts with the session key and echoes the authenticator's time: only a \
             holder of the service key could have made it; acceptor subkey {}, server \
             sequence number {server_seq}",
            if info.acceptor_subkey() {
                "received"
            } else {
                "absent"
            }
        ),
    )?;
    n.step(json!({"step": "ap-rep-verified", "by": "client",
        "acceptor_subkey": info.acceptor_subkey(), "server_seq": server_seq}));

    let mut client_side = Initiator::new(
        info.context_key(&ap_req).clone(),
        info.acceptor_subkey(),
        client_seq,
        server_seq,
    );
    let mut server_side = accepted.context.into_message_context(Arc::new(SystemClock));

    // 4. RFC 4752 3.1: the security-layer negotiation, integrity-protected.
    n.heading(4, "SASL GSSAPI (RFC 4752) layer negotiation")?;
    let offer = layer_message(
        LAYER_NONE | LAYER_INTEGRITY | LAYER_CONFIDENTIALITY,
        MAX_MESSAGE,
        "",
    );
    let offer_token = server_side.wrap(&offer, false)?;
    let (got, _) = client_side.unwrap(&offer_token)?;
    let (bits, max, _) = parse_layer_message(&got)?;
    n.line(
        "server",
        &format!(
            "-> Wrap token (integrity only) {}: offers layers {}, max message {max}",
            preview(&offer_token),
            layers(bits).join(",")
        ),
    )?;
    n.step(
        json!({"step": "sasl-offer", "from": "server", "bytes": offer_token.len(),
        "layers": layers(bits), "max_message": max}),
    );
    let chosen = if bits & LAYER_CONFIDENTIALITY != 0 {
        LAYER_CONFIDENTIALITY
    } else {
        LAYER_INTEGRITY
    };
    let choice = layer_message(chosen, MAX_MESSAGE, "");
    let choice_token = client_side.wrap(&choice, false)?;
    let opened = server_side.unwrap(&choice_token)?;
    let (cbits, cmax, authzid) = parse_layer_message(&opened.data)?;
    n.line(
        "client",
        &format!(
            "-> Wrap token (integrity only) {}: chooses {}, max message {cmax}, authorization \
             identity {}",
            preview(&choice_token),
            layers(cbits).join(","),
            if authzid.is_empty() {
                "none (act as itself)"
            } else {
                authzid.as_str()
            }
        ),
    )?;
    n.step(
        json!({"step": "sasl-choice", "from": "client", "bytes": choice_token.len(),
        "layer": layers(cbits), "max_message": cmax, "authzid": authzid}),
    );
    let conf = cbits & LAYER_CONFIDENTIALITY != 0;

    // 5. RFC 4121 4.2.4: one sealed message each way.
    n.heading(5, "wrapped messages (RFC 4121 4.2.6.2 Wrap tokens, sealed)")?;
    let request = "a001 SELECT INBOX";
    let t = client_side.wrap(request.as_bytes(), conf)?;
    let got = server_side.unwrap(&t)?;
    let seen = String::from_utf8_lossy(&got.data).into_owned();
    n.line(
        "client",
        &format!("{request:?} -> Wrap token {}", preview(&t)),
    )?;
    n.line(
        "server",
        &format!("unwraps {seen:?} (encrypted: {})", got.conf),
    )?;
    n.step(
        json!({"step": "wrap", "from": "client", "message": request, "bytes": t.len(),
        "conf": conf, "unwrapped": seen}),
    );
    let reply = "a001 OK [READ-WRITE] SELECT completed";
    let t = server_side.wrap(reply.as_bytes(), conf)?;
    let (got, sealed) = client_side.unwrap(&t)?;
    let seen = String::from_utf8_lossy(&got).into_owned();
    n.line(
        "server",
        &format!("{reply:?} -> Wrap token {}", preview(&t)),
    )?;
    n.line("client", &format!("unwraps {seen:?} (encrypted: {sealed})"))?;
    n.step(
        json!({"step": "wrap", "from": "server", "message": reply, "bytes": t.len(),
        "conf": conf, "unwrapped": seen}),
    );

    let wrote = write_files(args, &keytab, &ticket, now, &mut rng)?;
    let layer = layers(cbits).join(",");
    if n.json {
        let out = json!({"ok": true, "authenticated": client, "service": service,
            "layer": layer, "steps": n.steps, "wrote": wrote});
        say!("{}", serde_json::to_string(&out)?)?;
    } else {
        if let Some(w) = &wrote {
            print_wrote(n.style, w)?;
        }
        say!(
            "\n{} {client} to {service} (mutual authentication, {layer} layer)",
            n.style.green("authenticated")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the keytab and fresh tokens when asked; returns what was written.
fn write_files(
    args: &DemoArgs,
    keytab: &kerbgate_keytab::Keytab,
    ticket: &Ticket,
    now: kerbgate::Timestamp,
    rng: &mut Rng,
) -> Result<Option<Value>, CliError> {
    let Some(kt_path) = &args.write_keytab else {
        return Ok(None);
    };
    keytab
        .save(kt_path)
        .map_err(|e| CliError::msg(format!("writing {}: {e}", kt_path.display())))?;
    let mut wrote = serde_json::Map::new();
    wrote.insert("keytab".into(), json!(kt_path.display().to_string()));
    if let Some(path) = &args.write_tokens {
        // One mutual login and one without an AP-REP, each with its own authenticator.
        let mutual = gss_flags::MUTUAL
            | gss_flags::REPLAY
            | gss_flags::SEQUENCE
            | gss_flags::CONF
            | gss_flags::INTEG;
        let plain = gss_flags::REPLAY | gss_flags::SEQUENCE | gss_flags::CONF | gss_flags::INTEG;
        let mut text = String::new();
        for flags in [mutual, plain] {
            let t = mint(ticket, now, flags, random_seq(rng)?)?;
            text.push_str(&hex::encode(t.gss_token()));
            text.push('\n');
        }
        create_private(path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| CliError::msg(format!("writing {}: {e}", path.display())))?;
        let valid_until = now.secs.saturating_add(i64::from(DEFAULT_SKEW_SECS));
        wrote.insert("tokens".into(), json!(path.display().to_string()));
        wrote.insert("token_count".into(), json!(2));
        wrote.insert("valid_until".into(), json!(valid_until));
    }
    Ok(Some(Value::Object(wrote)))
}

fn print_wrote(style: Style, w: &Value) -> std::io::Result<()> {
    let keytab = w["keytab"].as_str().unwrap_or_default();
    say!("\n{}", style.bold("try it yourself"))?;
    say!("   wrote the service keytab to {keytab}")?;
    if let Some(tokens) = w["tokens"].as_str() {
        say!(
            "   wrote 2 AP-REQs to {tokens}; accepted until Unix time {} (the authenticator \
             time must be within the {DEFAULT_SKEW_SECS} s skew)",
            w["valid_until"]
        )?;
        say!("     kerbgate accept --keytab {keytab} - < {tokens}")?;
        say!("     kerbgate doctor --keytab {keytab} - < {tokens}")?;
    }
    say!("     kerbgate doctor --keytab {keytab}")?;
    say!("     kerbgate keytab list --keytab {keytab}")
}
