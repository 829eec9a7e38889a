//! The PAC check of the doctor: what the ticket's PAC says (MS-PAC 2.5, 2.10) and
//! how each of its signatures checks out (MS-PAC 2.8) with the service key.

use kerbgate_crypto::Key;

use crate::doctor::token::Exam;
use crate::doctor::{Check, Finding, Severity};
use crate::pac::{Pac, PacError, SignatureCheck, SignatureKeys};

impl Exam<'_> {
    /// MS-PAC: the PAC in the decrypted ticket, its summary, client info and signatures.
    pub(super) fn pac(&mut self, plain: &[u8], key: &Key, client: &str, authtime: i64) {
        let pac = match Pac::from_enc_ticket_part(plain) {
            Ok(Some(p)) => p,
            Ok(None) => {
                self.push(Finding::new(
                    Severity::Info,
                    Check::Pac,
                    "the ticket carries no PAC: no groups to authorize by (MIT and Heimdal \
                     KDCs may omit it; Active Directory always adds one)",
                ));
                return;
            }
            Err(e) => {
                self.error(
                    Check::Pac,
                    "KRB_AP_ERR_MODIFIED",
                    format!("the ticket's PAC is unreadable: {e}"),
                    "the KDC issued a PAC kerbgate cannot decode: report it with the ticket",
                );
                return;
            }
        };
        self.push(Finding::new(Severity::Info, Check::Pac, summary(&pac)));

        // MS-PAC 2.7: the PAC must name this ticket's client and authtime.
        if let Err(e) = pac.check_client_info(client, authtime) {
            self.error(
                Check::Pac,
                "KRB_AP_ERR_MODIFIED",
                e.to_string(),
                "the PAC was copied from another ticket: the KDC or something on the way \
                 altered the ticket",
            );
        }

        // MS-PAC 2.8: each signature, with the service key only.
        let keys = SignatureKeys::none().service(key).enc_ticket_part(plain);
        for r in pac.check_signatures(&keys) {
            let what = format!("the PAC's {} signature (type {})", r.which, r.cksumtype);
            match r.check {
                SignatureCheck::Verified => {
                    self.push(Finding::new(
                        Severity::Info,
                        Check::Pac,
                        format!("{what} verifies with the service key"),
                    ));
                }
                SignatureCheck::Failed(e) => self.failed(&what, &e),
                SignatureCheck::NotChecked(why) => {
                    self.push(Finding::new(
                        Severity::Info,
                        Check::Pac,
                        format!("{what} not checked: {why}"),
                    ));
                }
            }
        }
    }

    fn failed(&mut self, what: &str, e: &PacError) {
        self.error(
            Check::Pac,
            "KRB_AP_ERR_MODIFIED",
            format!("{what} does not verify: {e}"),
            "the acceptor refuses this ticket (as Windows does); check that the keytab holds \
             the key the KDC used, or whether the PAC was altered",
        );
    }
}

fn summary(pac: &Pac) -> String {
    let groups = pac.group_sids();
    let named: Vec<String> = groups
        .iter()
        .map(|s| match s.well_known_name() {
            Some(n) => format!("{s} ({n})"),
            None => s.to_string(),
        })
        .collect();
    let user = pac
        .user_sid()
        .map_or_else(|| "none".into(), |s| s.to_string());
    let mut parts = vec![format!("the ticket carries a PAC: user SID {user}")];
    if let Some(l) = pac.logon_info() {
        parts.push(format!(
            "account {}\\{}",
            l.logon_domain_name, l.effective_name
        ));
    }
    if let Some(u) = pac.upn_dns_info() {
        parts.push(format!("UPN {}, DNS domain {}", u.upn, u.dns_domain));
    }
    if pac.logon_info().is_none() {
        parts.push("no logon info, so no groups (a minimal MIT or Heimdal PAC)".into());
    } else {
        parts.push(format!("{} groups: {}", groups.len(), named.join(", ")));
    }
    parts.join("; ")
}
