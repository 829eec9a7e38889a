//! [`check_keytab`]: what is wrong with a keytab by itself.

use std::collections::BTreeMap;

use kerbgate_keytab::{Keytab, KeytabEntry};
use subtle::ConstantTimeEq;

use crate::doctor::token::{enctype_name, join};
use crate::doctor::{Check, Finding, Severity};

/// Enctypes deprecated for their weakness: single DES (RFC 6649), triple DES and
/// arcfour (RFC 8429).
const WEAK: &[(i32, &str)] = &[
    (1, "RFC 6649"),
    (2, "RFC 6649"),
    (3, "RFC 6649"),
    (16, "RFC 8429"),
    (23, "RFC 8429"),
    (24, "RFC 8429"),
];

/// Checks a keytab alone: no entries, weak enctypes, enctypes this build cannot use,
/// duplicate entries, several kvnos per principal and gaps between them, and, when
/// `mode` (the file's Unix permission bits) is given, access by other users.
#[must_use]
pub fn check_keytab(keytab: &Keytab, mode: Option<u32>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(mode) = mode {
        permissions(mode, &mut out);
    }
    if keytab.is_empty() {
        out.push(
            Finding::new(
                Severity::Error,
                Check::KeytabEmpty,
                "the keytab has no entries: no ticket can be accepted with it",
            )
            .fix("export the service's keys into it (kadmin ktadd -k FILE service/host)"),
        );
        return out;
    }

    let principals = keytab.principals();
    out.push(Finding::new(
        Severity::Info,
        Check::KeytabSummary,
        format!(
            "{} entr{} for {} principal{}: {}",
            keytab.len(),
            if keytab.len() == 1 { "y" } else { "ies" },
            principals.len(),
            if principals.len() == 1 { "" } else { "s" },
            join(&principals)
        ),
    ));

    let mut usable = 0usize;
    for e in keytab.entries() {
        enctype_checks(e, &mut usable, &mut out);
    }
    if usable == 0 {
        out.push(
            Finding::new(
                Severity::Error,
                Check::UnusableEnctype,
                "no entry of the keytab has an enctype this build can use",
            )
            .fix("export AES keys (aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha384-192)"),
        );
    }
    duplicates(keytab, &mut out);
    for p in principals {
        let mut kvnos: Vec<u32> = keytab
            .entries()
            .iter()
            .filter(|e| e.principal() == p)
            .map(KeytabEntry::kvno)
            .collect();
        kvnos.sort_unstable();
        kvnos.dedup();
        kvno_checks(&p.to_string(), &kvnos, &mut out);
    }
    out
}

fn permissions(mode: u32, out: &mut Vec<Finding>) {
    let bits = mode & 0o777;
    if bits & 0o077 == 0 {
        return;
    }
    // Anyone who reads a keytab can forge tickets to its services as any user.
    let severity = if bits & 0o007 != 0 {
        Severity::Error
    } else {
        Severity::Warning
    };
    let who = if bits & 0o007 != 0 {
        "every user on this host"
    } else {
        "the file's group"
    };
    out.push(
        Finding::new(
            severity,
            Check::KeytabPermissions,
            format!(
                "the keytab file has mode {bits:04o}, so {who} can use it: whoever reads it can \
                 forge tickets to its services in any user's name"
            ),
        )
        .fix("chmod 600 the file and chown it to the service's user"),
    );
}

fn enctype_checks(e: &KeytabEntry, usable: &mut usize, out: &mut Vec<Finding>) {
    let et = e.enctype();
    let name = enctype_name(et);
    if let Some((_, rfc)) = WEAK.iter().find(|(n, _)| *n == et) {
        out.push(
            Finding::new(
                Severity::Warning,
                Check::WeakEnctype,
                format!(
                    "{} kvno {} has a {name} key, a weak enctype deprecated by {rfc}",
                    e.principal(),
                    e.kvno()
                ),
            )
            .fix(
                "once every client does AES, remove it (ktutil delent) and take the enctype \
                 off the principal at the KDC",
            ),
        );
    }
    match e.key() {
        Ok(_) => *usable += 1,
        Err(reason) => out.push(
            Finding::new(
                Severity::Warning,
                Check::UnusableEnctype,
                format!(
                    "{} kvno {} has a {name} key, which this build cannot use ({reason}): \
                     tickets in it are refused",
                    e.principal(),
                    e.kvno()
                ),
            )
            .fix("make sure the KDC issues tickets in an enctype of another entry (AES)"),
        ),
    }
}

fn duplicates(keytab: &Keytab, out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<(String, u32, i32), Vec<&KeytabEntry>> = BTreeMap::new();
    for e in keytab.entries() {
        groups
            .entry((e.principal().to_string(), e.kvno(), e.enctype()))
            .or_default()
            .push(e);
    }
    for ((principal, kvno, et), entries) in groups {
        let Some((first, rest)) = entries.split_first() else {
            continue;
        };
        if rest.is_empty() {
            continue;
        }
        let same = rest.iter().all(|e| {
            bool::from(
                e.key_bytes()
                    .expose_secret_bytes()
                    .ct_eq(first.key_bytes().expose_secret_bytes()),
            )
        });
        let (severity, what, fix) = if same {
            (
                Severity::Warning,
                "with the same key",
                "remove the copies (ktutil delent); they are harmless but suggest the keytab \
                 was merged twice",
            )
        } else {
            (
                Severity::Warning,
                "with different keys: at most one matches the KDC",
                "export the key again (kadmin ktadd -norandkey) into a fresh keytab; the \
                 acceptor tries each, which hides the stale one",
            )
        };
        out.push(
            Finding::new(
                severity,
                Check::DuplicateEntry,
                format!(
                    "{principal} kvno {kvno} {} appears {} times, {what}",
                    enctype_name(et),
                    entries.len()
                ),
            )
            .fix(fix),
        );
    }
}

fn kvno_checks(principal: &str, kvnos: &[u32], out: &mut Vec<Finding>) {
    let (Some(&low), Some(&high)) = (kvnos.first(), kvnos.last()) else {
        return;
    };
    if kvnos.len() < 2 {
        return;
    }
    out.push(Finding::new(
        Severity::Info,
        Check::SeveralKvnos,
        format!(
            "{principal} has keys of kvno {}: old versions serve tickets issued before a rekey \
             and can go once those have expired",
            join(kvnos)
        ),
    ));
    let span = u64::from(high - low) + 1;
    if span > kvnos.len() as u64 {
        let missing: Vec<u32> = (low..high)
            .filter(|k| kvnos.binary_search(k).is_err())
            .take(10)
            .collect();
        out.push(Finding::new(
            Severity::Info,
            Check::KvnoGap,
            format!(
                "{principal} has kvno {low} to {high} but not {}: tickets under a missing \
                 version are refused with KRB_AP_ERR_BADKEYVER",
                join(&missing)
            ),
        ));
    }
}
