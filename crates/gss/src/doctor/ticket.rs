//! The checks after the ticket decrypted: its times, the authenticator, the clock
//! skew, the RFC 4121 4.1.1 checksum with its flags and channel bindings.

use kerbgate_crypto::{ChecksumType, Enctype, Key};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::consts::{gss_flags, key_usage, ticket_flags, GssMajor, CKSUMTYPE_GSSAPI};
use crate::context::GssFlags;
use crate::doctor::token::{enctype_name, Exam};
use crate::doctor::{Check, Finding, Severity};
use crate::gss_checksum::{channel_binding_hash, GssChecksum};
use crate::messages::{ApReq, Authenticator, EncTicketPart, KerberosFlags};
use crate::time_fmt::Utc;

const TICKET_FLAG_NAMES: &[(u8, &str)] = &[
    (ticket_flags::FORWARDABLE, "forwardable"),
    (ticket_flags::FORWARDED, "forwarded"),
    (ticket_flags::PROXIABLE, "proxiable"),
    (ticket_flags::PROXY, "proxy"),
    (ticket_flags::MAY_POSTDATE, "may-postdate"),
    (ticket_flags::POSTDATED, "postdated"),
    (ticket_flags::INVALID, "invalid"),
    (ticket_flags::RENEWABLE, "renewable"),
    (ticket_flags::INITIAL, "initial"),
    (ticket_flags::PRE_AUTHENT, "pre-authent"),
    (ticket_flags::HW_AUTHENT, "hw-authent"),
    (
        ticket_flags::TRANSITED_POLICY_CHECKED,
        "transited-policy-checked",
    ),
    (ticket_flags::OK_AS_DELEGATE, "ok-as-delegate"),
];

fn ticket_flag_names(flags: KerberosFlags) -> String {
    let names: Vec<&str> = TICKET_FLAG_NAMES
        .iter()
        .filter(|(bit, _)| flags.bit(*bit))
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(",")
    }
}

/// "N s ahead of" or "N s behind" this clock.
fn offset_words(offset: i64) -> String {
    if offset == 0 {
        "in step with".into()
    } else if offset > 0 {
        format!("{offset} s ahead of")
    } else {
        format!("{} s behind", offset.unsigned_abs())
    }
}

impl Exam<'_> {
    /// Everything after the ticket decrypted with `key`'s principal key.
    pub(super) fn after_ticket(&mut self, ap_req: &ApReq<'_>, plain: &[u8], key: &Key) {
        let ticket = match EncTicketPart::from_der(plain) {
            Ok(t) => t,
            Err(e) => {
                self.error(
                    Check::Ticket,
                    GssMajor::DefectiveToken.name(),
                    format!("the ticket decrypted but its contents are malformed: {e}"),
                    "the KDC issued a ticket kerbgate cannot read: report it with the output \
                     of kerbgate inspect",
                );
                return;
            }
        };
        let client = ticket.client_principal();
        let start = ticket.starttime.unwrap_or(ticket.authtime);
        self.facts.client = Some(client.to_string());
        self.facts.authtime = Some(ticket.authtime);
        self.facts.starttime = Some(start);
        self.facts.endtime = Some(ticket.endtime);
        self.push(Finding::new(
            Severity::Info,
            Check::Ticket,
            format!(
                "ticket of {client}, issued {}, valid from {} until {}, ticket flags {}",
                Utc(ticket.authtime),
                Utc(start),
                Utc(ticket.endtime),
                ticket_flag_names(ticket.flags)
            ),
        ));
        self.ticket_times(&ticket, start);
        self.pac(plain, key, &client.to_string(), ticket.authtime);

        let Some(session_key) = self.session_key(&ticket) else {
            return;
        };
        let Some(auth_plain) = self.open_authenticator(ap_req, &session_key) else {
            return;
        };
        let auth = match Authenticator::from_der(&auth_plain) {
            Ok(a) => a,
            Err(e) => {
                self.error(
                    Check::Authenticator,
                    GssMajor::DefectiveToken.name(),
                    format!("the authenticator decrypted but is malformed: {e}"),
                    "the client's Kerberos library built a broken authenticator: report it",
                );
                return;
            }
        };
        self.facts.ctime = Some(auth.ctime);

        // RFC 4120 3.2.3: the authenticator's client must be the ticket's.
        let auth_client = auth.client_principal();
        if auth_client != client {
            self.error(
                Check::ClientName,
                "KRB_AP_ERR_BADMATCH",
                format!("the ticket is for {client} but the authenticator names {auth_client}"),
                "the token was assembled from two clients' parts: get a fresh token",
            );
        }
        self.clock_skew(&auth);
        self.checksum(ap_req, &auth, &session_key);
    }

    /// RFC 4120 3.2.3: starttime and endtime against the clock, with the skew.
    fn ticket_times(&mut self, ticket: &EncTicketPart<'_>, start: i64) {
        let now = self.doctor.now.secs;
        let skew = self.doctor.skew;
        if ticket.flags.bit(ticket_flags::INVALID) {
            self.error(
                Check::TicketTimes,
                "KRB_AP_ERR_TKT_NYV",
                "the ticket carries the INVALID flag: it is postdated and was never validated"
                    .into(),
                "the client must validate it at the KDC (kinit -v) before use",
            );
        }
        let early = start.saturating_sub(now);
        if early > i64::from(skew) {
            self.error(
                Check::TicketTimes,
                "KRB_AP_ERR_TKT_NYV",
                format!(
                    "the ticket is not valid yet: it starts {}, {early} s after this clock ({}), \
                     beyond the {skew} s skew allowance",
                    Utc(start),
                    Utc(now)
                ),
                "check time sync (NTP) on the KDC and this server; if the token was captured, \
                 pass --now with its capture time",
            );
        }
        let late = now.saturating_sub(ticket.endtime);
        if late > i64::from(skew) {
            self.error(
                Check::TicketTimes,
                "KRB_AP_ERR_TKT_EXPIRED",
                format!(
                    "the ticket expired {}, {late} s before this clock ({}), beyond the {skew} s \
                     skew allowance",
                    Utc(ticket.endtime),
                    Utc(now)
                ),
                "the client must get a new ticket (kinit, or renew with kinit -R); if that \
                 is unexpected, check this server's clock; for a captured token pass --now",
            );
        } else if late > 0 {
            self.push(
                Finding::new(
                    Severity::Warning,
                    Check::TicketTimes,
                    format!(
                        "the ticket expired {late} s ago ({}) and is accepted only thanks to \
                         the {skew} s skew allowance",
                        Utc(ticket.endtime)
                    ),
                )
                .fix("the client should get a new ticket now"),
            );
        }
    }

    fn session_key(&mut self, ticket: &EncTicketPart<'_>) -> Option<Key> {
        let etype = ticket.key.keytype;
        let key = Enctype::from_i32(etype)
            .map_err(|e| e.to_string())
            .and_then(|et| Key::new(et, ticket.key.keyvalue).map_err(|e| e.to_string()));
        match key {
            Ok(k) => Some(k),
            Err(reason) => {
                self.error(
                    Check::SessionKey,
                    "KDC_ERR_ETYPE_NOSUPP",
                    format!(
                        "the ticket's session key is {}, which this build cannot use: {reason}",
                        enctype_name(etype)
                    ),
                    "have the KDC use AES session keys for this service (the principal's \
                     session enctypes, or msDS-SupportedEncryptionTypes)",
                );
                None
            }
        }
    }

    /// RFC 4120 5.5.1: the authenticator, key usage 11 with the session key.
    fn open_authenticator(
        &mut self,
        ap_req: &ApReq<'_>,
        session_key: &Key,
    ) -> Option<Zeroizing<Vec<u8>>> {
        let enc = &ap_req.authenticator;
        let session_etype = session_key.enctype().to_i32();
        if enc.etype != session_etype {
            self.error(
                Check::Authenticator,
                "KRB_AP_ERR_BAD_INTEGRITY",
                format!(
                    "the authenticator is encrypted with {} but the ticket's session key is {}",
                    enctype_name(enc.etype),
                    enctype_name(session_etype)
                ),
                "the token was assembled from two logins' parts: get a fresh token",
            );
            return None;
        }
        match session_key.decrypt(key_usage::AP_REQ_AUTH, enc.cipher) {
            Ok(p) => Some(Zeroizing::new(p)),
            Err(_) => {
                self.error(
                    Check::Authenticator,
                    "KRB_AP_ERR_BAD_INTEGRITY",
                    "the authenticator does not decrypt with the ticket's session key: the \
                     token was altered on its way, or its authenticator belongs to another \
                     ticket"
                        .into(),
                    "get a fresh token; if this repeats, look for something that truncates or \
                     rewrites tokens (header size limits in proxies)",
                );
                None
            }
        }
    }

    /// RFC 4120 3.2.3: the authenticator's time within the skew of the clock.
    fn clock_skew(&mut self, auth: &Authenticator<'_>) {
        let now = self.doctor.now;
        let skew = self.doctor.skew;
        let ctime = crate::clock::Timestamp {
            secs: auth.ctime,
            usecs: auth.cusec,
        };
        let offset = ctime.secs_since(now);
        if !ctime.within(now, skew) {
            self.error(
                Check::ClockSkew,
                "KRB_AP_ERR_SKEW",
                format!(
                    "clock skew of {} s, limit {skew} s: the client's clock is {} this clock \
                     (authenticator time {}, this clock {})",
                    offset.unsigned_abs(),
                    offset_words(offset),
                    Utc(auth.ctime),
                    Utc(now.secs)
                ),
                &format!(
                    "synchronise the clocks of client and server (NTP, chrony); if the token \
                     was captured earlier, pass --now {}",
                    auth.ctime
                ),
            );
        } else {
            self.push(Finding::new(
                Severity::Info,
                Check::ClockSkew,
                format!(
                    "the client's clock is {} this clock, within the {skew} s limit",
                    offset_words(offset)
                ),
            ));
        }
    }

    /// RFC 4121 4.1.1: the checksum, its flags, channel bindings and delegation.
    fn checksum(&mut self, ap_req: &ApReq<'_>, auth: &Authenticator<'_>, session_key: &Key) {
        let Some(cksum) = auth.cksum else {
            self.push(Finding::new(
                Severity::Info,
                Check::Checksum,
                format!(
                    "the authenticator has no checksum (as some SMB clients send): no GSS flags, \
                     mutual authentication {} by the AP-REQ options",
                    if ap_req.mutual_required() {
                        "requested"
                    } else {
                        "not requested"
                    }
                ),
            ));
            return;
        };
        if cksum.cksumtype != CKSUMTYPE_GSSAPI {
            self.keyed_checksum(cksum.cksumtype, cksum.checksum, auth, session_key);
            return;
        }
        let gss = match GssChecksum::decode(cksum.checksum) {
            Ok(g) => g,
            Err(e) => {
                self.error(
                    Check::Checksum,
                    GssMajor::DefectiveToken.name(),
                    format!("the GSS checksum (0x8003) is malformed: {e}"),
                    "the client's GSS library built a broken checksum: report it",
                );
                return;
            }
        };
        let flags = GssFlags(gss.flags);
        self.facts.flags = Some(flags.names());
        let mut words = vec![if flags.names().is_empty() {
            "the client requested no GSS flags".to_string()
        } else {
            format!("the client requested GSS flags {}", flags.names().join(","))
        }];
        if !flags.contains(gss_flags::MUTUAL) && !ap_req.mutual_required() {
            words.push("no mutual authentication: no AP-REP is sent back".into());
        }
        if !flags.contains(gss_flags::CONF) {
            words.push("no confidentiality (conf): wrapped messages may be unencrypted".into());
        }
        self.push(Finding::new(Severity::Info, Check::Flags, words.join("; ")));
        self.bindings(&gss);
        if let Some(deleg) = gss.delegation {
            self.push(Finding::new(
                Severity::Info,
                Check::Delegation,
                format!(
                    "the client delegated credentials (a KRB-CRED of {} bytes, usually a \
                     forwarded TGT); accept --write-ccache stores them",
                    deleg.len()
                ),
            ));
        }
    }

    fn keyed_checksum(
        &mut self,
        cksumtype: i32,
        value: &[u8],
        auth: &Authenticator<'_>,
        session_key: &Key,
    ) {
        let Ok(ctype) = ChecksumType::from_i32(cksumtype) else {
            self.error(
                Check::Checksum,
                "KRB_AP_ERR_INAPP_CKSUM",
                format!(
                    "the authenticator checksum has type {cksumtype}, neither the GSS type \
                     0x8003 nor a keyed checksum this build knows"
                ),
                "the client is not a GSS-API client or uses an unsupported checksum",
            );
            return;
        };
        let subkey = auth.subkey.and_then(|k| {
            let et = Enctype::from_i32(k.keytype).ok()?;
            Key::new(et, k.keyvalue).ok()
        });
        let key = subkey.as_ref().unwrap_or(session_key);
        if key
            .verify_checksum(ctype, key_usage::AP_REQ_AUTH_CKSUM, &[], value)
            .is_err()
        {
            self.error(
                Check::Checksum,
                "KRB_AP_ERR_MODIFIED",
                format!("the keyed authenticator checksum (type {cksumtype}) does not verify"),
                "the token was altered or built incorrectly: get a fresh token",
            );
            return;
        }
        self.push(Finding::new(
            Severity::Info,
            Check::Checksum,
            format!(
                "the authenticator carries a keyed checksum (type {cksumtype}) instead of GSS \
                 flags, as Samba and SMB clients send"
            ),
        ));
    }

    /// RFC 4121 4.1.1.2: the client's Bnd against the server's bindings.
    fn bindings(&mut self, gss: &GssChecksum<'_>) {
        let Some(cb) = &self.doctor.bindings else {
            if !gss.bindings_absent() {
                self.push(Finding::new(
                    Severity::Info,
                    Check::ChannelBindings,
                    "the client bound the token to a channel (e.g. its TLS connection); the \
                     acceptor ignores them without bindings of its own, as MIT does; pass \
                     --channel-bindings-app-data to check them",
                ));
            }
            return;
        };
        let ours = channel_binding_hash(cb);
        if gss.bindings_absent() {
            self.push(
                Finding::new(
                    Severity::Warning,
                    Check::ChannelBindings,
                    "the client sent no channel bindings while the server has some: accepted, \
                     unless strict channel bindings are required",
                )
                .fix(
                    "configure the client to send channel bindings (e.g. TLS tls-server-end-point)",
                ),
            );
        } else if bool::from(ours.ct_eq(&gss.bnd)) {
            self.push(Finding::new(
                Severity::Info,
                Check::ChannelBindings,
                "channel bindings match",
            ));
        } else {
            self.error(
                Check::ChannelBindings,
                GssMajor::BadBindings.name(),
                format!(
                    "channel bindings differ: the client's hash is {}, the server's {}, so \
                     they saw different channels",
                    hex16(&gss.bnd),
                    hex16(&ours)
                ),
                "a TLS-terminating proxy or load balancer between client and server, or \
                 another server certificate, changes the channel; check the value given to \
                 --channel-bindings-app-data (tls-server-end-point: a hash of the server's \
                 certificate)",
            );
        }
    }
}

/// The MD5 binding hashes are digests of public data, not secrets.
fn hex16(b: &[u8; 16]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
