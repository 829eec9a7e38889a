//! `kerbgate doctor`: explains every problem of initial context tokens against a
//! keytab and a clock, or of a keytab by itself, with the fix.
//!
//! The checks live in the library ([`kerbgate::doctor`]); this module reads the
//! inputs, prints the findings, and sets the exit code: 0 when no finding is an
//! error, 1 when one is, 2 for usage errors.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use kerbgate::doctor::{check_keytab, Doctor, Finding, Severity, TokenFacts, TokenReport};
use kerbgate::{
    ChannelBindings, Clock, KeyTable, ServiceName, SystemClock, Timestamp, DEFAULT_SKEW_SECS,
};
use kerbgate_keytab::KeytabName;
use serde::Serialize;

use crate::accept::{parse_hex, parse_service, Hex};
use crate::error::CliError;
use crate::input::{decode_token_text, next_line, Line, TextError};
use crate::style::{wrap, Style};

/// `doctor` options.
#[derive(Args)]
pub(crate) struct DoctorArgs {
    /// Keytab name (FILE:path, WRFILE:path or a path); default $KRB5_KTNAME,
    /// then FILE:/etc/krb5.keytab.
    #[arg(long, value_name = "NAME")]
    keytab: Option<String>,
    /// Service the server answers for (service@host, service, or
    /// name/instance[@REALM]); repeat for several. Without it, any keytab principal.
    #[arg(long = "service", value_name = "NAME", value_parser = parse_service)]
    services: Vec<ServiceName>,
    /// Compare service and host names case-insensitively.
    #[arg(long)]
    case_insensitive_service: bool,
    /// Judge the tokens at this Unix time instead of now (for captured tokens).
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    now: Option<i64>,
    /// Maximum clock skew in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_SKEW_SECS)]
    skew: u32,
    /// The server's channel-binding application data (hex), e.g. tls-server-end-point.
    #[arg(long, value_name = "HEX", value_parser = parse_hex)]
    channel_bindings_app_data: Option<Hex>,
    /// One JSON object a token (or one for the keytab), one a line.
    #[arg(long)]
    json: bool,
    /// Tokens, hex or base64; `-` reads them from standard input, one a line. Given
    /// twice, a token is reported as a replay. Without tokens, the keytab is checked.
    #[arg(value_name = "TOKEN")]
    tokens: Vec<String>,
}

/// One finding as JSON.
#[derive(Serialize)]
struct JsonFinding<'a> {
    severity: &'static str,
    check: &'static str,
    code: Option<&'a str>,
    message: &'a str,
    fix: Option<&'a str>,
}

impl<'a> From<&'a Finding> for JsonFinding<'a> {
    fn from(f: &'a Finding) -> Self {
        JsonFinding {
            severity: f.severity.name(),
            check: f.check.name(),
            code: f.code.as_deref(),
            message: &f.message,
            fix: f.fix.as_deref(),
        }
    }
}

/// What could be read from the token, as JSON.
#[derive(Serialize)]
struct JsonFacts<'a> {
    mech: Option<&'static str>,
    service: Option<&'a str>,
    ticket_enctype: Option<String>,
    ticket_kvno: Option<u32>,
    client: Option<&'a str>,
    authtime: Option<i64>,
    starttime: Option<i64>,
    endtime: Option<i64>,
    ctime: Option<i64>,
    flags: Option<&'a [&'static str]>,
}

impl<'a> From<&'a TokenFacts> for JsonFacts<'a> {
    fn from(f: &'a TokenFacts) -> Self {
        JsonFacts {
            mech: f.mech,
            service: f.service.as_deref(),
            ticket_enctype: f.ticket_enctype.map(crate::input::enctype_name),
            ticket_kvno: f.ticket_kvno,
            client: f.client.as_deref(),
            authtime: f.authtime,
            starttime: f.starttime,
            endtime: f.endtime,
            ctime: f.ctime,
            flags: f.flags.as_deref(),
        }
    }
}

/// The `--json` line of one token.
#[derive(Serialize)]
struct JsonToken<'a> {
    token: usize,
    ok: bool,
    errors: usize,
    warnings: usize,
    facts: JsonFacts<'a>,
    findings: Vec<JsonFinding<'a>>,
}

/// The `--json` object of a keytab check.
#[derive(Serialize)]
struct JsonKeytab<'a> {
    keytab: String,
    ok: bool,
    errors: usize,
    warnings: usize,
    findings: Vec<JsonFinding<'a>>,
}

fn count(findings: &[Finding], s: Severity) -> usize {
    findings.iter().filter(|f| f.severity == s).count()
}

/// Prints findings for people: severity, code, message, and the fix below.
fn print_findings(out: &mut impl Write, style: Style, findings: &[Finding]) -> std::io::Result<()> {
    const WIDTH: usize = 100;
    const INDENT: usize = 11;
    for f in findings {
        let painted = match f.severity {
            Severity::Error => style.red("error  "),
            Severity::Warning => style.yellow("warning"),
            _ => style.cyan("info   "),
        };
        let mut text = String::new();
        if let Some(code) = &f.code {
            text.push_str(code);
            text.push_str(": ");
        }
        text.push_str(&f.message);
        let body = wrap(&text, INDENT, INDENT, WIDTH);
        let body = match &f.code {
            Some(code) => body.replacen(code.as_str(), &style.bold(code), 1),
            None => body,
        };
        writeln!(out, "  {painted}  {body}")?;
        if let Some(fix) = &f.fix {
            let fix = wrap(&format!("fix: {fix}"), INDENT, INDENT, WIDTH);
            writeln!(out, "{}{}", " ".repeat(INDENT), style.green(&fix))?;
        }
    }
    Ok(())
}

fn summary(style: Style, findings: &[Finding]) -> String {
    let errors = count(findings, Severity::Error);
    let warnings = count(findings, Severity::Warning);
    let text = format!(
        "{errors} error{}, {warnings} warning{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    );
    if errors > 0 {
        style.red(&text)
    } else if warnings > 0 {
        style.yellow(&text)
    } else {
        style.green(&text)
    }
}

fn keytab_name(args: &DoctorArgs) -> Result<KeytabName, CliError> {
    Ok(match &args.keytab {
        Some(n) => KeytabName::parse(n)?,
        None => KeytabName::from_env_or_default()?,
    })
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_: &Path) -> Option<u32> {
    None
}

/// `kerbgate doctor --keytab K` without tokens.
fn keytab_only(args: &DoctorArgs, out: &mut impl Write) -> Result<ExitCode, CliError> {
    let name = keytab_name(args)?;
    let keytab = name
        .load()
        .map_err(|e| CliError::msg(format!("keytab {name}: {e}")))?;
    let findings = check_keytab(&keytab, file_mode(name.path()));
    let errors = count(&findings, Severity::Error);
    if args.json {
        let line = JsonKeytab {
            keytab: name.to_string(),
            ok: errors == 0,
            errors,
            warnings: count(&findings, Severity::Warning),
            findings: findings.iter().map(JsonFinding::from).collect(),
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    } else {
        let style = Style::detect();
        writeln!(out, "{}", style.bold(&format!("keytab {name}")))?;
        print_findings(out, style, &findings)?;
        writeln!(out, "keytab {name}: {}", summary(style, &findings))?;
    }
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

struct Runner {
    doctor: Doctor,
    json: bool,
    style: Style,
    any_error: bool,
}

impl Runner {
    fn one(&mut self, text: Result<&str, TextError>, out: &mut impl Write) -> Result<(), CliError> {
        let report = match text.and_then(decode_token_text) {
            Ok(token) => self.doctor.examine(&token),
            Err(e) => {
                let index = self.doctor.skip_token();
                self.print_undecodable(index, &e, out)?;
                self.any_error = true;
                return Ok(());
            }
        };
        self.any_error |= report.has_errors();
        self.print(&report, out)
    }

    fn print_undecodable(
        &self,
        index: usize,
        e: &TextError,
        out: &mut impl Write,
    ) -> Result<(), CliError> {
        let f = Finding::new(
            Severity::Error,
            kerbgate::doctor::Check::Framing,
            format!("token text could not be decoded: {e}"),
        )
        .code("GSS_S_DEFECTIVE_TOKEN")
        .fix("give the token as hex or base64, one a line");
        let findings = [f];
        let facts = TokenFacts::default();
        if self.json {
            let line = JsonToken {
                token: index,
                ok: false,
                errors: 1,
                warnings: 0,
                facts: JsonFacts::from(&facts),
                findings: findings.iter().map(JsonFinding::from).collect(),
            };
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        } else {
            writeln!(out, "{}", self.style.bold(&format!("token {index}")))?;
            print_findings(out, self.style, &findings)?;
        }
        Ok(())
    }

    fn print(&self, report: &TokenReport, out: &mut impl Write) -> Result<(), CliError> {
        if self.json {
            let line = JsonToken {
                token: report.index,
                ok: !report.has_errors(),
                errors: report.count(Severity::Error),
                warnings: report.count(Severity::Warning),
                facts: JsonFacts::from(&report.facts),
                findings: report.findings.iter().map(JsonFinding::from).collect(),
            };
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
            out.flush()?;
            return Ok(());
        }
        let what = match (&report.facts.service, &report.facts.client) {
            (Some(s), Some(c)) => format!(": {c} to {s}"),
            (Some(s), None) => format!(": for {s}"),
            _ => String::new(),
        };
        writeln!(
            out,
            "{}",
            self.style.bold(&format!("token {}{what}", report.index))
        )?;
        print_findings(out, self.style, &report.findings)?;
        writeln!(
            out,
            "token {}: {}\n",
            report.index,
            summary(self.style, &report.findings)
        )?;
        out.flush()?;
        Ok(())
    }
}

/// Runs `kerbgate doctor`: exit 0 when no finding is an error, else 1.
pub(crate) fn run(args: &DoctorArgs) -> Result<ExitCode, CliError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.tokens.is_empty() {
        return keytab_only(args, &mut out);
    }

    let name = keytab_name(args)?;
    let keytab = name
        .load()
        .map_err(|e| CliError::msg(format!("keytab {name}: {e}")))?;
    let now = args
        .now
        .map_or_else(|| SystemClock.now(), Timestamp::from_secs);
    let mut doctor = Doctor::new(Arc::new(KeyTable::from_keytab(&keytab)), now)
        .ignore_service_case(args.case_insensitive_service)
        .max_skew_secs(args.skew);
    for s in &args.services {
        doctor = doctor.service(s.clone());
    }
    if let Some(Hex(data)) = &args.channel_bindings_app_data {
        doctor = doctor.channel_bindings(ChannelBindings {
            application_data: data.clone(),
            ..ChannelBindings::default()
        });
    }
    tracing::debug!(keytab = %name, now = now.secs, "doctor starts");

    let mut runner = Runner {
        doctor,
        json: args.json,
        style: Style::detect(),
        any_error: false,
    };
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
    Ok(if runner.any_error {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
