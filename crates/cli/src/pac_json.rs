//! The `"pac"` object of `accept --json`, `pipe` and `inspect --keytab`, its text
//! form, and the `--require-group` / `--deny-group` options of `serve`.
//!
//! The object: the user SID, every group SID with its well-known name where there is
//! one, the UPN and DNS domain (UPN_DNS_INFO, MS-PAC 2.10), the NetBIOS logon domain
//! and account name (KERB_VALIDATION_INFO, MS-PAC 2.5), and each signature present
//! with its check: `verified`, `failed` or `not-checked` (MS-PAC 2.8).

use std::io::Write;

use clap::Args;
use kerbgate::pac::{Pac, SignatureCheck, SignatureReport};
use kerbgate::{GroupPolicy, Sid};
use serde::Serialize;

/// One SID, named when well known.
#[derive(Serialize, Clone, PartialEq, Eq, Debug)]
pub(crate) struct JsonSid {
    sid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'static str>,
}

impl From<&Sid> for JsonSid {
    fn from(s: &Sid) -> Self {
        JsonSid {
            sid: s.to_string(),
            name: s.well_known_name(),
        }
    }
}

/// Each signature the PAC carries and how its check came out.
#[derive(Serialize, Default, Clone, PartialEq, Eq, Debug)]
pub(crate) struct JsonSignatures {
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kdc: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_pac: Option<&'static str>,
}

/// The `"pac"` object (field order is part of the contract).
#[derive(Serialize, Clone, PartialEq, Eq, Debug)]
pub(crate) struct JsonPac {
    user_sid: Option<String>,
    groups: Vec<JsonSid>,
    upn: Option<String>,
    dns_domain: Option<String>,
    logon_domain: Option<String>,
    account: Option<String>,
    signatures: JsonSignatures,
}

/// The `"pac"` object of a PAC with its signature reports.
pub(crate) fn pac_json(pac: &Pac, reports: &[SignatureReport]) -> JsonPac {
    let upn = pac.upn_dns_info();
    let account = pac
        .logon_info()
        .map(|l| l.effective_name.clone())
        .or_else(|| upn.and_then(|u| u.sam_name.clone()));
    let mut signatures = JsonSignatures::default();
    for r in reports {
        let slot = match r.which {
            "server" => &mut signatures.server,
            "kdc" => &mut signatures.kdc,
            "ticket" => &mut signatures.ticket,
            _ => &mut signatures.full_pac,
        };
        *slot = Some(r.check.name());
    }
    JsonPac {
        user_sid: pac.user_sid().map(|s| s.to_string()),
        groups: pac.group_sids().iter().map(JsonSid::from).collect(),
        upn: upn.map(|u| u.upn.clone()),
        dns_domain: upn.map(|u| u.dns_domain.clone()),
        logon_domain: pac.logon_domain().map(str::to_owned),
        account,
        signatures,
    }
}

/// The PAC for people: one fact a line, indented by `indent`.
pub(crate) fn print_pac_text(
    out: &mut impl Write,
    pac: &JsonPac,
    reports: &[SignatureReport],
    indent: &str,
) -> std::io::Result<()> {
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    writeln!(out, "{indent}user SID: {}", or_none(&pac.user_sid))?;
    writeln!(out, "{indent}account: {}", or_none(&pac.account))?;
    writeln!(out, "{indent}logon domain: {}", or_none(&pac.logon_domain))?;
    writeln!(out, "{indent}UPN: {}", or_none(&pac.upn))?;
    writeln!(out, "{indent}DNS domain: {}", or_none(&pac.dns_domain))?;
    if pac.groups.is_empty() {
        writeln!(out, "{indent}groups: none (no logon info)")?;
    } else {
        writeln!(out, "{indent}groups: {}", pac.groups.len())?;
    }
    for g in &pac.groups {
        match g.name {
            Some(n) => writeln!(out, "{indent}  {} ({n})", g.sid)?,
            None => writeln!(out, "{indent}  {}", g.sid)?,
        }
    }
    for r in reports {
        let how = match &r.check {
            SignatureCheck::Verified => "verified".to_string(),
            SignatureCheck::Failed(e) => format!("FAILED: {e}"),
            SignatureCheck::NotChecked(why) => format!("not checked: {why}"),
            _ => r.check.name().to_string(),
        };
        writeln!(
            out,
            "{indent}{} signature (type {}): {how}",
            r.which, r.cksumtype
        )?;
    }
    Ok(())
}

/// Parses a SID argument, e.g. `S-1-5-21-...-513`.
pub(crate) fn parse_sid(s: &str) -> Result<Sid, String> {
    s.parse().map_err(|e: kerbgate::PacError| e.to_string())
}

/// Group-SID rules for `serve`: refused logins get 403 (HTTP) or NO (IMAP).
#[derive(Args, Clone, Default, Debug)]
pub(crate) struct GroupOpts {
    /// Admit only members of this Active Directory group SID (from the ticket's PAC);
    /// repeat for several, any one suffices. Tickets without a PAC are then refused.
    #[arg(long = "require-group", value_name = "SID", value_parser = parse_sid)]
    require_groups: Vec<Sid>,
    /// Refuse members of this group SID (or the user with this SID); repeat for several.
    #[arg(long = "deny-group", value_name = "SID", value_parser = parse_sid)]
    deny_groups: Vec<Sid>,
}

impl GroupOpts {
    /// The policy these options describe (empty without any).
    pub(crate) fn policy(&self) -> GroupPolicy {
        let mut p = GroupPolicy::new().require_any_of(self.require_groups.iter().copied());
        for s in &self.deny_groups {
            p = p.deny(*s);
        }
        p
    }
}
