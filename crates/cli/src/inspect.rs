//! `kerbgate inspect`: what a context token says in the clear, without keys.
//!
//! Shows the RFC 2743 section 3.1 framing and mechanism, the RFC 4121 section 4.1
//! token ID, and the unencrypted fields of the message inside: for an AP-REQ
//! (RFC 4120 section 5.5.1) its options and the ticket's realm, service, enctype and
//! kvno; for an AP-REP (5.5.2) the enc-part's enctype; for a KRB-ERROR (5.9.1) the
//! error code, server time, realm, service and e-text. SPNEGO is named, not unwrapped.
//!
//! The ticket's PAC (MS-PAC) is encrypted with the service key: with `--keytab` the
//! ticket is decrypted (RFC 4120 5.3, key usage 2) and the PAC shown with its server
//! signature checked; without, the output says it is there to be decrypted.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use kerbgate::consts::{ap_options, key_usage, GssMajor};
use kerbgate::der::{DecodeError, Reader};
use kerbgate::messages::{ApRep, ApReq, KrbError, PrincipalName};
use kerbgate::pac::{Pac, SignatureKeys, SignatureReport};
use kerbgate::token::{parse_initial_context_token, Framing, Mech, TokenId};
use kerbgate::KeyTable;
use kerbgate_keytab::KeytabName;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::input::{decode_token_text, enctype_name, next_line, Line, TextError};
use crate::pac_json::{pac_json, print_pac_text, JsonPac};

/// `inspect` options.
#[derive(Args)]
pub(crate) struct InspectArgs {
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Decrypt an AP-REQ's ticket with this keytab (FILE:path or a path) and show its
    /// PAC. Nothing else is checked: use `doctor` or `accept` for that.
    #[arg(long, value_name = "NAME")]
    keytab: Option<String>,
    /// The token, hex or base64; `-` reads it from standard input.
    #[arg(value_name = "TOKEN")]
    token: String,
}

/// What `inspect` found. Fields of messages the token is not are left out.
#[derive(Serialize, Default)]
struct Report {
    ok: bool,
    /// `gss` (RFC 2743 framing) or `raw` (a bare Kerberos or SPNEGO message).
    framing: &'static str,
    mech: &'static str,
    mech_name: &'static str,
    /// `AP-REQ`, `AP-REP`, `KRB-ERROR`, or null for SPNEGO.
    token_id: Option<&'static str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    ap_req: Option<ApReqInfo>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    ap_rep: Option<ApRepInfo>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    krb_error: Option<KrbErrorInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
    /// With `--keytab`: the ticket's PAC, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pac: Option<JsonPac>,
    /// What is known of the PAC when it is not shown (encrypted, absent, unreadable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pac_note: Option<String>,
    #[serde(skip)]
    pac_reports: Vec<SignatureReport>,
}

#[derive(Serialize)]
struct ApReqInfo {
    ap_options: Vec<&'static str>,
    ticket_realm: String,
    ticket_sname: String,
    ticket_enctype: String,
    ticket_kvno: Option<u32>,
    authenticator_enctype: String,
}

#[derive(Serialize)]
struct ApRepInfo {
    enc_part_enctype: String,
}

#[derive(Serialize)]
struct KrbErrorInfo {
    error_code: i32,
    error: Option<&'static str>,
    stime: i64,
    realm: String,
    sname: String,
    e_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ctime: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<String>,
}

#[derive(Serialize)]
struct JsonFailure {
    ok: bool,
    error: &'static str,
    message: String,
}

fn mech_name(mech: Mech) -> &'static str {
    match mech {
        Mech::Krb5 => "krb5",
        Mech::MsKrb5 => "ms-krb5",
        _ => "spnego",
    }
}

fn name_string(n: &PrincipalName<'_>) -> String {
    n.components().collect::<Vec<_>>().join("/")
}

fn ap_req_info(der: &[u8]) -> Result<ApReqInfo, DecodeError> {
    let req = ApReq::from_der(der)?;
    // RFC 4120 5.5.1: ap-options bits 1 and 2 are the ones defined besides reserved.
    let mut opts = Vec::new();
    if req.ap_options.bit(ap_options::USE_SESSION_KEY) {
        opts.push("use-session-key");
    }
    if req.ap_options.bit(ap_options::MUTUAL_REQUIRED) {
        opts.push("mutual-required");
    }
    let t = &req.ticket;
    Ok(ApReqInfo {
        ap_options: opts,
        ticket_realm: t.realm.to_string(),
        ticket_sname: name_string(&t.sname),
        ticket_enctype: enctype_name(t.enc_part.etype),
        ticket_kvno: t.enc_part.kvno,
        authenticator_enctype: enctype_name(req.authenticator.etype),
    })
}

fn ap_rep_info(der: &[u8]) -> Result<ApRepInfo, DecodeError> {
    let rep = ApRep::from_der(der)?;
    Ok(ApRepInfo {
        enc_part_enctype: enctype_name(rep.enc_part.etype),
    })
}

fn krb_error_info(der: &[u8]) -> Result<KrbErrorInfo, DecodeError> {
    let e = KrbError::from_der(der)?;
    let client = e
        .cname
        .map(|n| format!("{}@{}", name_string(&n), e.crealm.unwrap_or("")));
    Ok(KrbErrorInfo {
        error_code: e.error_code.0,
        error: e.error_code.name(),
        stime: e.stime,
        realm: e.realm.to_string(),
        sname: name_string(&e.sname),
        e_text: e.e_text.map(str::to_string),
        ctime: e.ctime,
        client,
    })
}

const PAC_ENCRYPTED: &str =
    "any PAC is encrypted in the ticket; pass --keytab with the service key to show it";

/// With the service's keytab: decrypts the ticket (key usage 2) and reads its PAC.
fn fill_pac(r: &mut Report, der: &[u8], keys: &KeyTable) {
    let Ok(req) = ApReq::from_der(der) else {
        return;
    };
    let enc = req.ticket.enc_part;
    let sname = req.ticket.server_principal();
    // RFC 4120 5.2.9: the keytab's key of the ticket's enctype and kvno decrypts it.
    let opened = keys
        .for_principal(&sname, false)
        .filter(|k| k.enctype() == enc.etype)
        .filter(|k| {
            enc.kvno
                .is_none_or(|v| k.kvno() == v || k.kvno() == v & 0xff)
        })
        .find_map(|k| {
            let key = k.key()?;
            let plain = key.decrypt(key_usage::TICKET, enc.cipher).ok()?;
            Some((key, Zeroizing::new(plain)))
        });
    let Some((key, plain)) = opened else {
        r.pac_note = Some(format!(
            "the keytab has no key of this ticket's enctype and kvno for {sname} that \
             decrypts it; the PAC stays hidden"
        ));
        return;
    };
    match Pac::from_enc_ticket_part(&plain) {
        Ok(Some(pac)) => {
            let keys = SignatureKeys::none().service(key).enc_ticket_part(&plain);
            r.pac_reports = pac.check_signatures(&keys);
            r.pac = Some(pac_json(&pac, &r.pac_reports));
        }
        Ok(None) => r.pac_note = Some("the ticket carries no PAC".into()),
        Err(e) => r.pac_note = Some(format!("the ticket's PAC is unreadable: {e}")),
    }
}

fn fill_kerberos(r: &mut Report, id: TokenId, body: &[u8]) -> Result<(), DecodeError> {
    match id {
        TokenId::ApReq => {
            r.token_id = Some("AP-REQ");
            r.ap_req = Some(ap_req_info(body)?);
            r.pac_note = Some(PAC_ENCRYPTED.into());
        }
        TokenId::ApRep => {
            r.token_id = Some("AP-REP");
            r.ap_rep = Some(ap_rep_info(body)?);
        }
        _ => {
            r.token_id = Some("KRB-ERROR");
            r.krb_error = Some(krb_error_info(body)?);
        }
    }
    Ok(())
}

const SPNEGO_NOTE: &str = "SPNEGO (RFC 4178) token; not yet unwrapped";

/// Decodes what can be read without keys, and the PAC with them.
fn inspect(token: &[u8], keys: Option<&KeyTable>) -> Result<Report, DecodeError> {
    let mut r = inspect_clear(token)?;
    if let (Some(keys), Some(_)) = (keys, &r.ap_req) {
        // The AP-REQ parsed once already; find its body again the same way.
        let body = match parse_initial_context_token(token) {
            Ok(t) => t.body,
            Err(_) => token,
        };
        r.pac_note = None;
        fill_pac(&mut r, body, keys);
    }
    Ok(r)
}

/// Decodes what can be read without keys.
fn inspect_clear(token: &[u8]) -> Result<Report, DecodeError> {
    let mut r = Report {
        ok: true,
        framing: "raw",
        ..Report::default()
    };
    let raw_id = match token.first() {
        Some(0x6f) => Some(TokenId::ApRep),
        Some(0x7e) => Some(TokenId::KrbError),
        _ => None,
    };
    if let Some(id) = raw_id {
        // A bare AP-REP or KRB-ERROR, as answers to a bare (DCE-style) AP-REQ go.
        (r.mech, r.mech_name) = (Mech::Krb5.dotted(), mech_name(Mech::Krb5));
        fill_kerberos(&mut r, id, token)?;
        return Ok(r);
    }
    if matches!(token.first(), Some(0xa0 | 0xa1)) {
        // RFC 4178 4.2: NegTokenInit [0] or NegTokenResp [1], sent bare after the first.
        let mut reader = Reader::new(token, "SPNEGO token");
        reader.read_tlv("NegotiationToken")?;
        reader.finish("NegotiationToken")?;
        (r.mech, r.mech_name) = (Mech::Spnego.dotted(), mech_name(Mech::Spnego));
        r.note = Some(SPNEGO_NOTE);
        return Ok(r);
    }

    // RFC 2743 3.1 framing, or a bare AP-REQ.
    let tok = parse_initial_context_token(token)?;
    r.framing = match tok.framing {
        Framing::Gss => "gss",
        _ => "raw",
    };
    (r.mech, r.mech_name) = (tok.mech.dotted(), mech_name(tok.mech));
    match tok.token_id {
        Some(id) if tok.mech.is_kerberos() => fill_kerberos(&mut r, id, tok.body)?,
        _ => r.note = Some(SPNEGO_NOTE),
    }
    Ok(r)
}

fn print_text(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "framing: {}", r.framing)?;
    writeln!(out, "mechanism: {} ({})", r.mech, r.mech_name)?;
    if let Some(id) = r.token_id {
        writeln!(out, "token: {id}")?;
    }
    if let Some(q) = &r.ap_req {
        let opts = if q.ap_options.is_empty() {
            "none".to_string()
        } else {
            q.ap_options.join(",")
        };
        writeln!(out, "ap-options: {opts}")?;
        writeln!(out, "ticket realm: {}", q.ticket_realm)?;
        writeln!(out, "ticket sname: {}", q.ticket_sname)?;
        writeln!(out, "ticket enctype: {}", q.ticket_enctype)?;
        match q.ticket_kvno {
            Some(k) => writeln!(out, "ticket kvno: {k}")?,
            None => writeln!(out, "ticket kvno: none")?,
        }
        writeln!(out, "authenticator enctype: {}", q.authenticator_enctype)?;
    }
    if let Some(p) = &r.ap_rep {
        writeln!(out, "enc-part enctype: {}", p.enc_part_enctype)?;
    }
    if let Some(e) = &r.krb_error {
        match e.error {
            Some(name) => writeln!(out, "error: {name} ({})", e.error_code)?,
            None => writeln!(out, "error: {}", e.error_code)?,
        }
        writeln!(out, "server time: {}", e.stime)?;
        writeln!(out, "realm: {}", e.realm)?;
        writeln!(out, "sname: {}", e.sname)?;
        if let Some(c) = e.ctime {
            writeln!(out, "client time: {c}")?;
        }
        if let Some(c) = &e.client {
            writeln!(out, "client: {c}")?;
        }
        if let Some(t) = &e.e_text {
            writeln!(out, "e-text: {t:?}")?;
        }
    }
    if let Some(n) = r.note {
        writeln!(out, "note: {n}")?;
    }
    if let Some(p) = &r.pac {
        writeln!(out, "PAC:")?;
        print_pac_text(out, p, &r.pac_reports, "  ")?;
    }
    if let Some(n) = &r.pac_note {
        writeln!(out, "PAC: {n}")?;
    }
    Ok(())
}

fn token_text(arg: &str) -> Result<Result<String, TextError>, CliError> {
    if arg != "-" {
        return Ok(Ok(arg.to_string()));
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    Ok(match next_line(&mut input)? {
        Some(Line::Text(t)) => Ok(t),
        Some(Line::Bad(e)) => Err(e),
        None => Err(TextError::Empty),
    })
}

/// Runs `kerbgate inspect`: exit 0 when the token decoded, 1 when it is malformed.
pub(crate) fn run(args: &InspectArgs) -> Result<ExitCode, CliError> {
    let keys = match &args.keytab {
        Some(n) => {
            let name = KeytabName::parse(n)?;
            let keytab = name
                .load()
                .map_err(|e| CliError::msg(format!("keytab {name}: {e}")))?;
            Some(KeyTable::from_keytab(&keytab))
        }
        None => None,
    };
    let decoded = match token_text(&args.token)?.and_then(|t| decode_token_text(&t)) {
        Ok(bytes) => inspect(&bytes, keys.as_ref()).map_err(|e| (e.gss_major(), e.to_string())),
        Err(e) => {
            let major = GssMajor::DefectiveToken;
            Err((major, format!("defective token ({}): {e}", major.name())))
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match decoded {
        Ok(report) => {
            if args.json {
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            } else {
                print_text(&report, &mut out)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err((major, message)) if args.json => {
            let fail = JsonFailure {
                ok: false,
                error: major.name(),
                message,
            };
            writeln!(out, "{}", serde_json::to_string(&fail)?)?;
            Ok(ExitCode::from(1))
        }
        Err((_, message)) => Err(CliError::msg(message)),
    }
}
