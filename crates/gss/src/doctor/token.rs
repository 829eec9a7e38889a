//! The token checks of [`Doctor::examine`]: the acceptor's checks of RFC 4120
//! section 3.2.3 and RFC 4121 section 4.1, in the same order, each turned into
//! findings instead of a first error.

use std::sync::Arc;

use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::Principal;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::acceptor::Acceptor;
use crate::clock::FixedClock;
use crate::consts::{key_usage, GssMajor};
use crate::doctor::{Check, Doctor, Finding, Severity, TokenFacts, TokenReport, MAX_REMEMBERED};
use crate::error::AcceptError;
use crate::keys::{KeySource, KeyTable, ServiceKey};
use crate::messages::ApReq;
use crate::token::{parse_initial_context_token, TokenId};

/// The MIT name of an enctype number, or `enctype N`.
pub(super) fn enctype_name(n: i32) -> String {
    kerbgate_crypto::enctype_name(n).map_or_else(|| format!("enctype {n}"), String::from)
}

pub(super) fn join<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One examination in progress.
pub(super) struct Exam<'d> {
    pub(super) doctor: &'d Doctor,
    pub(super) facts: TokenFacts,
    pub(super) findings: Vec<Finding>,
}

impl Exam<'_> {
    pub(super) fn push(&mut self, f: Finding) {
        self.findings.push(f);
    }

    pub(super) fn error(&mut self, check: Check, code: &str, message: String, fix: &str) {
        self.push(
            Finding::new(Severity::Error, check, message)
                .code(code)
                .fix(fix),
        );
    }
}

/// Runs every check the token allows; see [`Doctor::examine`].
pub(super) fn examine(doctor: &mut Doctor, token: &[u8]) -> TokenReport {
    let index = doctor.examined;
    let mut exam = Exam {
        doctor,
        facts: TokenFacts::default(),
        findings: Vec::new(),
    };
    let authenticator = exam.run(token);
    let Exam {
        facts,
        mut findings,
        ..
    } = exam;

    // Replays: the same authenticator earlier in this run (RFC 4120 3.2.3).
    if let Some(cipher) = authenticator {
        let earlier = doctor
            .seen
            .iter()
            .find(|(c, _)| bool::from(c.as_slice().ct_eq(&cipher)))
            .map(|(_, i)| *i);
        if let Some(first) = earlier {
            findings.push(
                Finding::new(
                    Severity::Error,
                    Check::Replay,
                    format!(
                        "token {index} repeats token {first} of this run (the same \
                         authenticator): an acceptor refuses it the second time"
                    ),
                )
                .code("KRB_AP_ERR_REPEAT")
                .fix(
                    "every login needs a fresh token from the client: look for a client or \
                     proxy that resends the same token (an HTTP retry reusing its \
                     Authorization header), or someone replaying a captured token",
                ),
            );
        } else if doctor.seen.len() < MAX_REMEMBERED {
            doctor.seen.push((cipher, index));
        }
    }

    let mut report = TokenReport {
        index,
        facts,
        findings,
        acceptor_accepted: false,
    };
    verdict(doctor, token, &mut report);
    report
}

/// The acceptor's own verdict, so the doctor never passes what `accept` refuses.
fn verdict(doctor: &Doctor, token: &[u8], report: &mut TokenReport) {
    let acceptor = match acceptor_like(doctor) {
        Ok(a) => a,
        Err(e) => {
            report.findings.push(
                Finding::new(
                    Severity::Error,
                    Check::Verdict,
                    format!("the acceptor could not be configured: {e}"),
                )
                .code(e.code_name()),
            );
            return;
        }
    };
    match acceptor.accept(token) {
        Ok(done) => {
            report.acceptor_accepted = true;
            let ctx = &done.context;
            let flags = ctx.flags().names();
            report.findings.push(Finding::new(
                Severity::Info,
                Check::Verdict,
                format!(
                    "the acceptor accepts the token: {} logs in to {} ({} kvno {}, context flags \
                     {}){}",
                    ctx.client(),
                    ctx.service(),
                    ctx.ticket_enctype().name(),
                    ctx.ticket_kvno(),
                    if flags.is_empty() {
                        "none".to_string()
                    } else {
                        flags.join(",")
                    },
                    if done.output_token.is_some() {
                        ", an AP-REP goes back"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Err(rejected) => {
            let code = rejected.error.code_name();
            let explained = report
                .findings
                .iter()
                .any(|f| f.severity == Severity::Error && f.code.as_deref() == Some(&code));
            if !explained {
                report.findings.push(
                    Finding::new(
                        Severity::Error,
                        Check::Verdict,
                        format!("the acceptor refuses the token: {}", rejected.error),
                    )
                    .code(code),
                );
            }
        }
    }
}

/// The doctor's key table as a key source for the real acceptor.
#[derive(Debug)]
struct Table(Arc<KeyTable>);

impl KeySource for Table {
    fn key_table(&self) -> Result<Arc<KeyTable>, AcceptError> {
        Ok(Arc::clone(&self.0))
    }
}

fn acceptor_like(d: &Doctor) -> Result<Acceptor, AcceptError> {
    let mut b = Acceptor::builder()
        .key_source(Arc::new(Table(Arc::clone(&d.keys))))
        .ignore_service_case(d.ignore_case)
        .clock(Arc::new(FixedClock(d.now)))
        .max_skew_secs(d.skew)
        // The doctor finds replays itself, across the whole run and even in tokens
        // that fail other checks; this acceptor logs nobody in.
        .dangerous_disable_replay_cache();
    for s in &d.services {
        b = b.service(s.clone());
    }
    if let Some(cb) = &d.bindings {
        b = b.channel_bindings(cb.clone());
    }
    b.build()
}

impl Exam<'_> {
    /// Runs the checks; returns the authenticator ciphertext when the AP-REQ parsed.
    fn run(&mut self, input: &[u8]) -> Option<Vec<u8>> {
        // RFC 2743 3.1: framing and mechanism.
        let tok = match parse_initial_context_token(input) {
            Ok(t) => t,
            Err(e) => {
                let code = e.gss_major().name();
                self.error(
                    Check::Framing,
                    code,
                    format!("the token is not a GSS initial context token: {e}"),
                    "pass the client's first token as sent (hex or base64), not an HTTP header \
                     with its `Negotiate ` prefix nor a SASL frame with its length",
                );
                return None;
            }
        };
        self.facts.mech = Some(tok.mech.dotted());
        if !tok.mech.is_kerberos() {
            self.error(
                Check::Mechanism,
                GssMajor::BadMech.name(),
                format!(
                    "the token is for mechanism {}, not Kerberos V5; SPNEGO is not unwrapped \
                     by this build",
                    tok.mech.dotted()
                ),
                "configure the client for the Kerberos mechanism directly (SASL GSSAPI rather \
                 than GSS-SPNEGO), or extract the Kerberos token from the SPNEGO one",
            );
            return None;
        }
        match tok.token_id {
            None | Some(TokenId::ApReq) => {}
            Some(other) => {
                self.error(
                    Check::Framing,
                    GssMajor::DefectiveToken.name(),
                    format!(
                        "the token is {}, not an AP-REQ: it is a server's answer, not a client's \
                         first token",
                        if other == TokenId::ApRep {
                            "an AP-REP"
                        } else {
                            "a KRB-ERROR or per-message token"
                        }
                    ),
                    "give the doctor the client's first token",
                );
                return None;
            }
        }

        // RFC 4120 5.5.1: the AP-REQ.
        let ap_req = match ApReq::from_der(tok.body) {
            Ok(a) => a,
            Err(e) => {
                self.error(
                    Check::Framing,
                    GssMajor::DefectiveToken.name(),
                    format!("the AP-REQ inside the token is malformed: {e}"),
                    "the token was truncated or altered on its way: get a fresh one",
                );
                return None;
            }
        };
        let authenticator = ap_req.authenticator.cipher.to_vec();
        self.request(&ap_req);
        if let Some((key, plain)) = self.ticket_key(&ap_req) {
            self.after_ticket(&ap_req, &plain, &key);
        }
        Some(authenticator)
    }

    /// What the AP-REQ asks for, readable without keys.
    fn request(&mut self, ap_req: &ApReq<'_>) {
        let enc = &ap_req.ticket.enc_part;
        let sname = ap_req.ticket.server_principal();
        self.facts.service = Some(sname.to_string());
        self.facts.ticket_enctype = Some(enc.etype);
        self.facts.ticket_kvno = enc.kvno;
        let kvno = enc
            .kvno
            .map_or_else(|| "no kvno".to_string(), |k| format!("kvno {k}"));
        self.push(Finding::new(
            Severity::Info,
            Check::Request,
            format!(
                "AP-REQ for {sname}: ticket in {} {kvno}, authenticator in {}, mutual \
                 authentication {}",
                enctype_name(enc.etype),
                enctype_name(ap_req.authenticator.etype),
                if ap_req.mutual_required() {
                    "required"
                } else {
                    "not required"
                }
            ),
        ));
        if ap_req.use_session_key() {
            self.error(
                Check::Request,
                "KRB_AP_ERR_METHOD",
                "the client asked for user-to-user authentication (use-session-key), which \
                 kerbgate does not implement"
                    .into(),
                "have the client request a normal service ticket (the service needs a keytab \
                 entry at the KDC, not only a TGT)",
            );
        }

        // RFC 4120 3.2.3: the ticket must be for a service we answer for.
        let d = self.doctor;
        if !d.services.is_empty() && !d.services.iter().any(|n| n.matches(&sname, d.ignore_case)) {
            self.error(
                Check::Service,
                "KRB_AP_ERR_NOT_US",
                format!(
                    "the ticket is for {sname}, but the service answers only for {}",
                    join(&d.services)
                ),
                "if this client should reach this service, it asked for the wrong name: check \
                 the host name it connects to (DNS canonicalisation, aliases, /etc/hosts); \
                 otherwise add that name with --service",
            );
        }
    }

    /// Finds the keytab key and decrypts the ticket (key usage 2), explaining every
    /// way that fails.
    fn ticket_key(&mut self, ap_req: &ApReq<'_>) -> Option<(Key, Zeroizing<Vec<u8>>)> {
        let d = self.doctor;
        let enc = ap_req.ticket.enc_part;
        let sname = ap_req.ticket.server_principal();
        let held: Vec<&ServiceKey> = d.keys.for_principal(&sname, d.ignore_case).collect();
        if held.is_empty() {
            self.not_in_keytab(&sname);
            return None;
        }

        // RFC 3961: an enctype this build cannot run cannot decrypt anything.
        if let Err(e) = Enctype::from_i32(enc.etype) {
            self.error(
                Check::Enctype,
                "KDC_ERR_ETYPE_NOSUPP",
                format!(
                    "the ticket is encrypted with {}, which this build cannot decrypt: {e}",
                    enctype_name(enc.etype)
                ),
                "have the KDC issue AES tickets for this service (limit the principal's \
                 enctypes, or msDS-SupportedEncryptionTypes in Active Directory)",
            );
            return None;
        }
        let of_enctype: Vec<&ServiceKey> = held
            .iter()
            .copied()
            .filter(|k| k.enctype() == enc.etype)
            .collect();
        if of_enctype.is_empty() {
            self.error(
                Check::Enctype,
                "KRB_AP_ERR_NOKEY",
                format!(
                    "the ticket for {sname} is encrypted with {} but the keytab holds for that \
                     principal only {}",
                    enctype_name(enc.etype),
                    join(held.iter().map(|k| format!(
                        "kvno {} {}",
                        k.kvno(),
                        enctype_name(k.enctype())
                    )))
                ),
                &format!(
                    "export the {} key into the keytab (kadmin ktadd -norandkey -e {}); \
                     without -norandkey ktadd makes new keys and old tickets stop working",
                    enctype_name(enc.etype),
                    enctype_name(enc.etype)
                ),
            );
            return None;
        }

        // RFC 4120 5.2.9: the kvno names the key version.
        let kvno_matches = |k: &ServiceKey, kvno: u32| {
            k.kvno() == kvno || (k.kvno() <= 255 && k.kvno() == kvno & 0xff)
        };
        let candidates: Vec<&ServiceKey> = match enc.kvno {
            Some(kvno) => of_enctype
                .iter()
                .copied()
                .filter(|k| kvno_matches(k, kvno))
                .collect(),
            None => of_enctype.clone(),
        };
        if let (true, Some(kvno)) = (candidates.is_empty(), enc.kvno) {
            self.kvno_missing(&sname, kvno, &of_enctype);
            // Go on with another version when one decrypts: then the kvno is wrong,
            // not the key.
            let (found, key, plain) = decrypt_any(&of_enctype, enc.cipher)?;
            self.push(
                Finding::new(
                    Severity::Warning,
                    Check::Kvno,
                    format!(
                        "the keytab's kvno {found} key decrypts this kvno {kvno} ticket: the \
                         key is right but recorded under another version"
                    ),
                )
                .fix("re-export the key so the keytab records the KDC's kvno"),
            );
            return Some((key, plain));
        }

        if let Some((_, key, plain)) = decrypt_any(&candidates, enc.cipher) {
            return Some((key, plain));
        }
        self.error(
            Check::TicketKey,
            "KRB_AP_ERR_BAD_INTEGRITY",
            format!(
                "the ticket for {sname} ({} kvno {}) does not decrypt with the keytab's key: the \
                 keytab key differs from the KDC's, or the token was altered on its way",
                enctype_name(enc.etype),
                join(candidates.iter().map(|k| k.kvno()))
            ),
            "was the keytab made with the wrong password or salt (ktutil addent), or \
             exported again without -norandkey (a new key on the KDC)? Export the key \
             again with kadmin ktadd -norandkey; if other tokens work, get a fresh token",
        );
        None
    }

    fn not_in_keytab(&mut self, sname: &Principal) {
        let d = self.doctor;
        let principals = d.keys.principals();
        let code = if d.services.is_empty() {
            "KRB_AP_ERR_NOT_US"
        } else {
            "KRB_AP_ERR_NOKEY"
        };
        if let Some(p) = principals
            .iter()
            .find(|p| !d.ignore_case && p.eq_ignore_case(sname))
        {
            self.error(
                Check::KeytabPrincipal,
                code,
                format!("the ticket is for {sname}; the keytab holds {p}, which differs in case"),
                "Windows clients often ask for IMAP/host or HTTP/HOST: accept service names \
                 case-insensitively (--case-insensitive-service) or add the name as the client \
                 spells it",
            );
            return;
        }
        if let Some(p) = principals
            .iter()
            .find(|p| p.components() == sname.components() && p.realm() != sname.realm())
        {
            self.error(
                Check::KeytabPrincipal,
                code,
                format!(
                    "the ticket is from realm {}, but the keytab holds this service in realm {} \
                     ({p})",
                    sname.realm(),
                    p.realm()
                ),
                &format!(
                    "the client got its ticket from another realm's KDC: fix its realm mapping \
                     (krb5.conf [domain_realm]) or export the key of {sname} into the keytab"
                ),
            );
            return;
        }
        let held = if principals.is_empty() {
            "no principal at all".to_string()
        } else {
            join(principals)
        };
        self.error(
            Check::KeytabPrincipal,
            code,
            format!("the ticket is for {sname}, but the keytab holds keys only for {held}"),
            &format!(
                "if this service should answer as {sname}, export its key (kadmin ktadd \
                 {sname}); otherwise the client asked for another service's name: check the \
                 host name it uses"
            ),
        );
    }

    fn kvno_missing(&mut self, sname: &Principal, kvno: u32, held: &[&ServiceKey]) {
        let mut kvnos: Vec<u32> = held.iter().map(|k| k.kvno()).collect();
        kvnos.sort_unstable();
        kvnos.dedup();
        let newest = kvnos.last().copied().unwrap_or(0);
        let only = join(&kvnos);
        if kvno < newest {
            self.error(
                Check::Kvno,
                "KRB_AP_ERR_BADKEYVER",
                format!(
                    "the ticket is for kvno {kvno} of {sname} and the keytab holds only kvno \
                     {only}, so the service was rekeyed after the client got its ticket"
                ),
                "keep the old key in the keytab until tickets issued before the rekey have \
                 expired, or have the client get a new ticket (kdestroy, then kinit)",
            );
        } else {
            self.error(
                Check::Kvno,
                "KRB_AP_ERR_BADKEYVER",
                format!(
                    "the ticket is for kvno {kvno} of {sname} and the keytab holds only kvno \
                     {only}, so the KDC has a newer key than this keytab (the service was \
                     rekeyed and this keytab not updated)"
                ),
                &format!(
                    "export the current key into this keytab (kadmin ktadd -norandkey \
                     {sname}); check that kvno {sname} from a client shows {kvno}"
                ),
            );
        }
    }
}

/// The first key that decrypts the ticket (key usage 2): its kvno, the key and the
/// plaintext.
fn decrypt_any(keys: &[&ServiceKey], cipher: &[u8]) -> Option<(u32, Key, Zeroizing<Vec<u8>>)> {
    keys.iter().find_map(|k| {
        let key = k.key()?;
        let plain = key.decrypt(key_usage::TICKET, cipher).ok()?;
        Some((k.kvno(), key.clone(), Zeroizing::new(plain)))
    })
}
