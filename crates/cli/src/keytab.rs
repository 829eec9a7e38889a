//! `kerbgate keytab list` and `kerbgate keytab add`.

use std::io::{BufRead, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand};
use kerbgate_keytab::{Keytab, KeytabEntry, KeytabName, Principal};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::CliResult;

/// Keytab subcommands.
#[derive(Subcommand)]
pub(crate) enum KeytabCommand {
    /// List entries like `klist -ket` (timestamps in UTC).
    List(ListArgs),
    /// Append password-derived keys, like `ktutil addent -password` then `wkt`.
    Add(AddArgs),
}

/// `keytab list` options.
#[derive(Args)]
pub(crate) struct ListArgs {
    /// Keytab name (FILE:path, WRFILE:path or a path); default $KRB5_KTNAME,
    /// then FILE:/etc/krb5.keytab.
    #[arg(long, value_name = "NAME")]
    keytab: Option<String>,
    /// Print one JSON array of {principal, kvno, enctype, timestamp}.
    #[arg(long)]
    json: bool,
    /// Also print the keys (hex). They are secrets.
    #[arg(long)]
    keys: bool,
}

/// `keytab add` options.
#[derive(Args)]
pub(crate) struct AddArgs {
    /// Keytab file to append to (created with mode 0600 if missing).
    #[arg(long, value_name = "FILE")]
    keytab: String,
    /// Principal, e.g. HTTP/www.example.com@EXAMPLE.COM (the realm is required).
    #[arg(long)]
    principal: String,
    /// Key version number.
    #[arg(long)]
    kvno: u32,
    /// Enctype name or alias (MIT spelling) or number; repeat for several.
    #[arg(long = "enctype", value_name = "E", required = true, value_parser = parse_enctype)]
    enctypes: Vec<i32>,
    /// Explicit salt instead of the default (realm then name components).
    #[arg(long)]
    salt: Option<String>,
    /// PBKDF2 iteration count (AES, Camellia); default is the enctype's.
    #[arg(long)]
    iterations: Option<u32>,
    /// Read the password as one line from standard input.
    #[arg(long, required = true)]
    password_stdin: bool,
}

fn parse_enctype(s: &str) -> Result<i32, String> {
    kerbgate_crypto::enctype_from_name(s).ok_or_else(|| format!("unknown enctype {s:?}"))
}

/// Runs a keytab subcommand.
pub(crate) fn run(command: KeytabCommand) -> CliResult {
    match command {
        KeytabCommand::List(args) => list(&args),
        KeytabCommand::Add(args) => add(&args),
    }
}

#[derive(Serialize)]
struct JsonEntry {
    principal: String,
    kvno: u32,
    enctype: String,
    timestamp: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

fn list(args: &ListArgs) -> CliResult {
    let name = match &args.keytab {
        Some(n) => KeytabName::parse(n)?,
        None => KeytabName::from_env_or_default()?,
    };
    let keytab = name.load()?;
    let mut out = std::io::stdout().lock();

    if args.json {
        let entries: Vec<JsonEntry> = keytab
            .entries()
            .iter()
            .map(|e| JsonEntry {
                principal: e.principal().to_string(),
                kvno: e.kvno(),
                enctype: enctype_string(e.enctype()),
                timestamp: e.timestamp(),
                key: args
                    .keys
                    .then(|| hex::encode(e.key_bytes().expose_secret_bytes())),
            })
            .collect();
        let text = Zeroizing::new(serde_json::to_string_pretty(&entries)?);
        writeln!(out, "{}", *text)?;
        for mut e in entries {
            if let Some(k) = e.key.as_mut() {
                zeroize::Zeroize::zeroize(k);
            }
        }
        return Ok(());
    }

    // The layout of MIT `klist -ket` (and `-K` for keys).
    writeln!(out, "Keytab name: {name}")?;
    writeln!(out, "KVNO Timestamp         Principal")?;
    writeln!(out, "---- ----------------- {}", "-".repeat(56))?;
    for e in keytab.entries() {
        let mut line = format!(
            "{:>4} {} {} ({}) ",
            e.kvno(),
            mit_time(e.timestamp()),
            e.principal(),
            klist_enctype(e.enctype())
        );
        if args.keys {
            let key = Zeroizing::new(hex::encode(e.key_bytes().expose_secret_bytes()));
            line = format!("{line} (0x{})", *key);
        }
        let line = Zeroizing::new(line);
        writeln!(out, "{}", *line)?;
    }
    Ok(())
}

fn add(args: &AddArgs) -> CliResult {
    let name = KeytabName::parse(&args.keytab)?;
    let principal = Principal::parse(&args.principal)?;

    let mut password = Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut password)?;
    if password.ends_with('\n') {
        password.pop();
    }

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let timestamp = u32::try_from(now).unwrap_or(u32::MAX);
    let mut entries = Vec::new();
    for &enctype in &args.enctypes {
        let entry = KeytabEntry::from_password(
            principal.clone(),
            args.kvno,
            timestamp,
            enctype,
            password.as_bytes(),
            args.salt.as_deref().map(str::as_bytes),
            args.iterations,
        )?;
        entries.push(entry);
    }
    Keytab::append_to_file(name.path(), &entries)?;
    Ok(())
}

/// The MIT name of an enctype, or `etype N` for numbers without one.
fn enctype_string(enctype: i32) -> String {
    kerbgate_crypto::enctype_name(enctype).map_or_else(|| format!("etype {enctype}"), String::from)
}

/// As `klist` shows it: MIT marks every enctype but AES and Camellia deprecated.
fn klist_enctype(enctype: i32) -> String {
    let current = matches!(enctype, 17..=20 | 25 | 26);
    let prefix = if current { "" } else { "DEPRECATED:" };
    format!("{prefix}{}", enctype_string(enctype))
}

/// `MM/DD/YY HH:MM:SS` in UTC (klist uses local time).
fn mit_time(ts: u32) -> String {
    let secs = u64::from(ts);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{m:02}/{d:02}/{:02} {:02}:{:02}:{:02}",
        y % 100,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01 so leap days end each 400-year era.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_like_klist_in_utc() {
        assert_eq!(mit_time(0), "01/01/70 00:00:00");
        assert_eq!(mit_time(1_536_153_269), "09/05/18 13:14:29");
        assert_eq!(mit_time(951_782_400), "02/29/00 00:00:00");
        assert_eq!(mit_time(u32::MAX), "02/07/06 06:28:15");
    }

    #[test]
    fn marks_deprecated_enctypes_like_klist() {
        assert_eq!(klist_enctype(18), "aes256-cts-hmac-sha1-96");
        assert_eq!(klist_enctype(23), "DEPRECATED:arcfour-hmac");
        assert_eq!(klist_enctype(1), "DEPRECATED:des-cbc-crc");
        assert_eq!(klist_enctype(99), "DEPRECATED:etype 99");
    }
}
