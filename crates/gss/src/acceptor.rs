//! Accepting an initial context token: RFC 4120 section 3.2.3 and RFC 4121 section 4.1.
//!
//! [`Acceptor::accept`] takes the client's token and returns an established
//! [`SecurityContext`] plus, for mutual authentication, the AP-REP token to send back.
//! It does no I/O besides asking its [`KeySource`] for keys: time comes from a
//! [`Clock`], replays are checked in a [`ReplayCache`].
//!
//! The AP-REP's acceptor subkey, sequence number and confounder come from
//! [`kerbgate_crypto::fill_hedged`]: a per-thread generator keyed from the operating
//! system, hedged with the authenticator being answered and the clock, so an accept
//! makes no system call and a forked child still answers other logins with other keys.

use std::fmt;
use std::sync::Arc;

use kerbgate_crypto::{ChecksumType, Enctype, Key};
use kerbgate_keytab::{Keytab, Principal};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::clock::{Clock, SystemClock, Timestamp};
use crate::consts::{ad_type, gss_flags, key_usage, ticket_flags, KrbErrorCode, CKSUMTYPE_GSSAPI};
use crate::context::{AuthzElement, GssFlags, SecurityContext};
use crate::delegation::open_krb_cred;
use crate::error::{AcceptError, BindingsMismatch};
use crate::gss_checksum::{channel_binding_hash, ChannelBindings, GssChecksum};
use crate::keys::{KeySource, KeyTable, ServiceKey, StaticKeys};
use crate::messages::{
    ApRep, ApReq, Authenticator, AuthorizationData, EncApRepPart, EncTicketPart, EncryptedData,
    EncryptionKey, KrbError, PrincipalName, Ticket,
};
use crate::pac::{check_ticket_pac, PacPolicy};
use crate::plaintext::Plaintext;
use crate::replay::{MemoryReplayCache, ReplayCache, ReplayRecord, ReplayVerdict};
use crate::token::{self, Framing, Mech, TokenId};

/// Default maximum clock skew, as MIT and Windows use: five minutes.
pub const DEFAULT_SKEW_SECS: u32 = 300;

/// A service name the acceptor answers for.
///
/// Parsed from `service@host` (GSS host-based form: any realm), `service` (any host,
/// any realm), `name/instance@REALM` (exactly that principal) or `name/instance` (any
/// realm).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceName {
    components: Vec<String>,
    /// Only the first component must match (host-based name without a host).
    prefix_only: bool,
    realm: Option<String>,
}

impl ServiceName {
    /// Parses a service name (see the type's documentation for the forms).
    ///
    /// # Errors
    /// [`AcceptError::Config`] when the name is empty or malformed.
    pub fn parse(name: &str) -> Result<Self, AcceptError> {
        let bad = |why: String| AcceptError::Config {
            reason: format!("service name {name:?}: {why}"),
        };
        if name.is_empty() {
            return Err(bad("empty".into()));
        }
        if name.contains('/') || name.contains('\\') {
            let p = Principal::parse(name).map_err(|e| bad(e.to_string()))?;
            let realm = (!p.realm().is_empty()).then(|| p.realm().to_string());
            return Ok(ServiceName {
                components: p.components().to_vec(),
                prefix_only: false,
                realm,
            });
        }
        match name.split_once('@') {
            Some((service, host)) if !service.is_empty() && !host.is_empty() => Ok(ServiceName {
                components: vec![service.to_string(), host.to_string()],
                prefix_only: false,
                realm: None,
            }),
            Some(_) => Err(bad("expected service@host".into())),
            None => Ok(ServiceName {
                components: vec![name.to_string()],
                prefix_only: true,
                realm: None,
            }),
        }
    }

    /// An exact principal.
    pub fn principal(p: &Principal) -> Self {
        ServiceName {
            components: p.components().to_vec(),
            prefix_only: false,
            realm: Some(p.realm().to_string()),
        }
    }

    /// Whether the ticket's service principal is this name. With `ignore_case`, the
    /// components (service and host) compare case-insensitively; realms always exactly.
    pub fn matches(&self, sname: &Principal, ignore_case: bool) -> bool {
        self.matches_name(
            sname.realm(),
            &PrincipalName::from_principal(sname),
            ignore_case,
        )
    }

    /// [`ServiceName::matches`] for a name borrowed from a ticket.
    fn matches_name(
        &self,
        ticket_realm: &str,
        sname: &PrincipalName<'_>,
        ignore_case: bool,
    ) -> bool {
        let eq = |a: &str, b: &str| {
            if ignore_case {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        if let Some(realm) = &self.realm {
            if realm != ticket_realm {
                return false;
            }
        }
        let mut theirs = sname.components();
        if self.prefix_only {
            return sname.len() == 2
                && theirs
                    .next()
                    .zip(self.components.first())
                    .is_some_and(|(a, b)| eq(a, b));
        }
        sname.len() == self.components.len() && theirs.zip(&self.components).all(|(a, b)| eq(a, b))
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.prefix_only, &self.realm, self.components.as_slice()) {
            (true, _, [s]) => write!(f, "{s}@*"),
            (false, None, [s, h]) => write!(f, "{s}@{h}"),
            (_, realm, comps) => {
                write!(f, "{}", comps.join("/"))?;
                match realm {
                    Some(r) => write!(f, "@{r}"),
                    None => write!(f, "@*"),
                }
            }
        }
    }
}

/// Which services the acceptor answers for.
#[derive(Debug, Clone)]
enum Services {
    /// Any principal with a key in the keytab (MIT's GSS_C_NO_NAME, Dovecot's `$ALL`).
    AnyInKeytab,
    /// Only these names.
    List(Vec<ServiceName>),
}

/// Builds an [`Acceptor`]; [`AcceptorBuilder::build`] validates the configuration.
#[derive(Debug)]
#[must_use]
pub struct AcceptorBuilder {
    keys: Option<Arc<dyn KeySource>>,
    services: Vec<ServiceName>,
    ignore_service_case: bool,
    clock: Arc<dyn Clock>,
    skew: u32,
    replay: Option<Arc<dyn ReplayCache>>,
    replay_disabled: bool,
    bindings: Option<ChannelBindings>,
    strict_bindings: bool,
    enctypes: Option<Vec<Enctype>>,
    pac_policy: PacPolicy,
}

impl AcceptorBuilder {
    /// Uses the keys of an in-memory keytab.
    pub fn keytab(mut self, keytab: &Keytab) -> Self {
        self.keys = Some(Arc::new(StaticKeys::new(keytab)));
        self
    }

    /// Uses a key source, e.g. a [`crate::ReloadingKeytab`].
    pub fn key_source(mut self, source: Arc<dyn KeySource>) -> Self {
        self.keys = Some(source);
        self
    }

    /// Answers for `name` (may be called several times). Without any, the acceptor
    /// answers for every principal in its keytab.
    pub fn service(mut self, name: ServiceName) -> Self {
        self.services.push(name);
        self
    }

    /// Matches service and host components case-insensitively, and looks keys up the
    /// same way (Windows clients ask for `IMAP/host`; Active Directory issues that ticket
    /// in the key the keytab stores as `imap/host`).
    pub fn ignore_service_case(mut self, yes: bool) -> Self {
        self.ignore_service_case = yes;
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Maximum clock skew in seconds (default 300).
    pub fn max_skew_secs(mut self, secs: u32) -> Self {
        self.skew = secs;
        self
    }

    /// The replay cache (default: an in-memory cache private to this acceptor).
    pub fn replay_cache(mut self, cache: Arc<dyn ReplayCache>) -> Self {
        self.replay = Some(cache);
        self
    }

    /// Turns replay detection off.
    ///
    /// **Danger:** a captured token can then be replayed within the skew window to log in
    /// as its client. Only for replaying captured test vectors, or when the application
    /// provably rejects replays itself.
    pub fn dangerous_disable_replay_cache(mut self) -> Self {
        self.replay_disabled = true;
        self
    }

    /// Channel bindings of the connection (RFC 2744 section 3.11, e.g. TLS
    /// `tls-server-end-point` data as application data).
    pub fn channel_bindings(mut self, cb: ChannelBindings) -> Self {
        self.bindings = Some(cb);
        self
    }

    /// Refuses initiators that send no channel bindings (an all-zero hash) when the
    /// acceptor has them. Off by default, as in MIT.
    pub fn strict_channel_bindings(mut self, yes: bool) -> Self {
        self.strict_bindings = yes;
        self
    }

    /// Enctypes allowed for tickets, session keys and subkeys (default: every enctype
    /// this build supports).
    pub fn allowed_enctypes(mut self, enctypes: &[Enctype]) -> Self {
        self.enctypes = Some(enctypes.to_vec());
        self
    }

    /// What to demand of a PAC (MS-PAC) in the ticket. Default: a PAC, when present,
    /// must have a valid server signature and match the ticket's client (as Windows and
    /// Heimdal require; MIT drops a bad PAC instead); tickets without one are accepted.
    pub fn pac_policy(mut self, policy: PacPolicy) -> Self {
        self.pac_policy = policy;
        self
    }

    /// Validates the configuration.
    ///
    /// # Errors
    /// [`AcceptError::Config`] when no key source was given or the enctype list is empty.
    pub fn build(self) -> Result<Acceptor, AcceptError> {
        let Some(keys) = self.keys else {
            return Err(AcceptError::Config {
                reason: "no keytab or key source given".into(),
            });
        };
        let enctypes = self.enctypes.unwrap_or_else(|| Enctype::all().to_vec());
        if enctypes.is_empty() {
            return Err(AcceptError::Config {
                reason: "no enctype allowed".into(),
            });
        }
        let replay = if self.replay_disabled {
            None
        } else {
            Some(
                self.replay
                    .unwrap_or_else(|| Arc::new(MemoryReplayCache::new())),
            )
        };
        let services = if self.services.is_empty() {
            Services::AnyInKeytab
        } else {
            Services::List(self.services)
        };
        let bindings_hash = self.bindings.as_ref().map(channel_binding_hash);
        Ok(Acceptor {
            keys,
            services,
            ignore_service_case: self.ignore_service_case,
            clock: self.clock,
            skew: self.skew,
            replay,
            bindings_hash,
            strict_bindings: self.strict_bindings,
            enctypes,
            pac_policy: self.pac_policy,
        })
    }
}

/// The Kerberos GSS acceptor: configuration shared by every login, safe to share
/// between threads.
#[derive(Debug)]
pub struct Acceptor {
    keys: Arc<dyn KeySource>,
    services: Services,
    ignore_service_case: bool,
    clock: Arc<dyn Clock>,
    skew: u32,
    replay: Option<Arc<dyn ReplayCache>>,
    bindings_hash: Option<[u8; 16]>,
    strict_bindings: bool,
    enctypes: Vec<Enctype>,
    pac_policy: PacPolicy,
}

/// A successful accept.
#[non_exhaustive]
pub struct Accepted {
    /// The established context.
    pub context: SecurityContext,
    /// The token to send back: the AP-REP when mutual authentication was requested.
    pub output_token: Option<Vec<u8>>,
}

/// A refused accept.
#[non_exhaustive]
pub struct Rejected {
    /// Why.
    pub error: Box<AcceptError>,
    /// A KRB-ERROR token for the client, when it asked for mutual authentication and the
    /// AP-REQ was readable (as MIT sends one), so the client can report the reason.
    pub output_token: Option<Vec<u8>>,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Rejected {}

// Debug shows token lengths, never token bytes (STYLE 9).
impl fmt::Debug for Accepted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accepted")
            .field("context", &self.context)
            .field(
                "output_token_len",
                &self.output_token.as_ref().map(Vec::len),
            )
            .finish()
    }
}

impl fmt::Debug for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejected")
            .field("error", &self.error)
            .field(
                "output_token_len",
                &self.output_token.as_ref().map(Vec::len),
            )
            .finish()
    }
}

/// What is known about a request when it fails, for the KRB-ERROR token.
#[derive(Default)]
struct FailureInfo<'t> {
    mech: Option<Mech>,
    framing: Option<Framing>,
    mutual: bool,
    /// The ticket's realm and service name, borrowed from the token.
    server: Option<(&'t str, PrincipalName<'t>)>,
    ctime: Option<(i64, u32)>,
}

fn unsupported(what: &'static str, enctype: i32, e: &kerbgate_crypto::Error) -> AcceptError {
    AcceptError::EnctypeNotSupported {
        what,
        enctype,
        reason: e.to_string(),
    }
}

impl Acceptor {
    /// Starts a builder with defaults: system clock, 300 s skew, in-memory replay cache,
    /// every supported enctype, any service in the keytab.
    pub fn builder() -> AcceptorBuilder {
        AcceptorBuilder {
            keys: None,
            services: Vec::new(),
            ignore_service_case: false,
            clock: Arc::new(SystemClock),
            skew: DEFAULT_SKEW_SECS,
            replay: None,
            replay_disabled: false,
            bindings: None,
            strict_bindings: false,
            enctypes: None,
            pac_policy: PacPolicy::default(),
        }
    }

    /// The allowed clock skew in seconds.
    pub fn max_skew_secs(&self) -> u32 {
        self.skew
    }

    /// The current key table of the acceptor's key source.
    ///
    /// # Errors
    /// The key source cannot be read.
    pub fn key_table(&self) -> Result<Arc<KeyTable>, AcceptError> {
        self.keys.key_table()
    }

    /// The acceptor's clock reading.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Accepts an initial context token (RFC 2743 framing with the Kerberos or Microsoft
    /// Kerberos OID, or a bare AP-REQ).
    ///
    /// # Errors
    /// [`Rejected`] with the reason and, where the client asked for mutual
    /// authentication, a KRB-ERROR token to send it.
    pub fn accept(&self, token: &[u8]) -> Result<Accepted, Rejected> {
        let mut info = FailureInfo::default();
        match self.accept_inner(token, &mut info) {
            Ok(accepted) => Ok(accepted),
            Err(error) => {
                tracing::debug!(code = %error.code_name(), token_len = token.len(), "AP-REQ refused");
                let output_token = self.error_token(&error, &info);
                Err(Rejected {
                    error: Box::new(error),
                    output_token,
                })
            }
        }
    }

    fn error_token(&self, error: &AcceptError, info: &FailureInfo) -> Option<Vec<u8>> {
        let (true, Some((realm, sname)), Some(mech)) = (info.mutual, info.server, info.mech) else {
            return None;
        };
        let code = error
            .krb_error_code()
            .unwrap_or(KrbErrorCode::KRB_ERR_GENERIC);
        // A failure without a Kerberos code (bad bindings, say) names its GSS condition in
        // e-text, so the client shows more than "generic error".
        let e_text = error
            .krb_error_code()
            .is_none()
            .then(|| error.gss_major().name());
        let now = self.clock.now();
        let err = KrbError {
            ctime: info.ctime.map(|c| c.0),
            cusec: info.ctime.map(|c| c.1),
            stime: now.secs,
            susec: now.usecs,
            error_code: code,
            crealm: None,
            cname: None,
            realm,
            sname,
            e_text,
            e_data: None,
        };
        let der = err.to_der();
        Some(match info.framing {
            Some(Framing::RawApReq) => der,
            _ => token::krb_error_token(mech, &der),
        })
    }

    fn accept_inner<'t>(
        &self,
        input: &'t [u8],
        info: &mut FailureInfo<'t>,
    ) -> Result<Accepted, AcceptError> {
        // RFC 2743 3.1: framing and mechanism.
        let tok = token::parse_initial_context_token(input)?;
        if !tok.mech.is_kerberos() {
            return Err(AcceptError::UnsupportedMechanism {
                oid: tok.mech.dotted().to_string(),
            });
        }
        match tok.token_id {
            None | Some(TokenId::ApReq) => {}
            Some(TokenId::ApRep) => return Err(AcceptError::UnexpectedToken { what: "an AP-REP" }),
            Some(_) => {
                return Err(AcceptError::UnexpectedToken {
                    what: "a KRB-ERROR",
                })
            }
        }
        info.mech = Some(tok.mech);
        info.framing = Some(tok.framing);

        // RFC 4120 3.2.3: the AP-REQ and its options.
        let ap_req = ApReq::from_der(tok.body)?;
        let ticket = &ap_req.ticket;
        info.mutual = ap_req.mutual_required();
        // The service name stays borrowed from the token: a KRB-ERROR is built from the
        // borrow, and the context copies it only if the keytab's own name differs.
        info.server = Some((ticket.realm, ticket.sname));
        if ap_req.use_session_key() {
            return Err(AcceptError::Unsupported {
                what: "user-to-user (use-session-key)",
            });
        }

        // Check 1: the ticket must name a service we answer for, before any key is tried.
        let table = self.keys.key_table()?;
        // One key-table lookup (hash of the folded name) serves both checks.
        let sname_keys = table.for_name(ticket.realm, ticket.sname, self.ignore_service_case);
        self.check_service(ticket, &table, sname_keys.clone())?;

        // Check 2 and 3: find the key and decrypt the ticket (key usage 2).
        let (service_key, ticket_plain) = self.decrypt_ticket(sname_keys, ticket)?;
        // The context names the service as the ticket did. Nearly always that is the
        // keytab's own principal (same name type, same case), which is then shared
        // rather than copied.
        let keytab_name = service_key.principal_shared();
        let service = if keytab_name.realm() == ticket.realm
            && keytab_name.name_type() == ticket.sname.name_type
            && keytab_name.components().len() == ticket.sname.len()
            && keytab_name
                .components()
                .iter()
                .zip(ticket.sname.components())
                .all(|(a, b)| a == b)
        {
            Arc::clone(keytab_name)
        } else {
            Arc::new(ticket.server_principal())
        };
        let enc_ticket = EncTicketPart::from_der(&ticket_plain)?;
        let now = self.clock.now();
        self.check_ticket_times(&enc_ticket, now)?;

        let session_etype = enc_ticket.key.keytype;
        let session_enctype = self.allowed_enctype("session key", session_etype)?;
        let session_key = Key::new(session_enctype, enc_ticket.key.keyvalue)
            .map_err(|e| unsupported("session key", session_etype, &e))?;

        // Check 4: the authenticator (key usage 11), its client and its time.
        let auth_enc = &ap_req.authenticator;
        if auth_enc.etype != session_etype {
            return Err(AcceptError::AuthenticatorIntegrity);
        }
        // The session key decrypts one authenticator: its usage-11 keys are derived on
        // the stack and not cached, so the context's key starts with no cache at all.
        let mut auth_plain = Plaintext::with_capacity(auth_enc.cipher.len());
        session_key
            .decrypt_into_uncached(key_usage::AP_REQ_AUTH, auth_enc.cipher, &mut auth_plain)
            .map_err(|_| AcceptError::AuthenticatorIntegrity)?;
        let auth = Authenticator::from_der(&auth_plain)?;
        info.ctime = Some((auth.ctime, auth.cusec));
        // RFC 4120 3.2.3: the authenticator's client must be the ticket's client. The
        // borrowed names are compared (name type ignored, as Principal's == does), so
        // only one owned client principal is built.
        if auth.crealm != enc_ticket.crealm || !auth.cname.same_components(&enc_ticket.cname) {
            return Err(AcceptError::ClientMismatch {
                ticket_client: enc_ticket.client_principal(),
                authenticator_client: auth.client_principal(),
            });
        }
        let ticket_client = enc_ticket.client_principal();
        // RFC 4120 3.2.3: the authenticator's time must be within the skew.
        let ctime = Timestamp {
            secs: auth.ctime,
            usecs: auth.cusec,
        };
        if !ctime.within(now, self.skew) {
            return Err(AcceptError::Skew {
                ctime: auth.ctime,
                now: now.secs,
                skew: self.skew,
            });
        }

        let initiator_subkey = match auth.subkey {
            Some(k) => {
                let et = self.allowed_enctype("authenticator subkey", k.keytype)?;
                Some(
                    Key::new(et, k.keyvalue)
                        .map_err(|e| unsupported("authenticator subkey", k.keytype, &e))?,
                )
            }
            None => None,
        };

        // Check 5: the RFC 4121 4.1.1 checksum, its flags, bindings and delegation.
        let mut flags = self.check_authenticator_checksum(
            &auth,
            &ap_req,
            &session_key,
            initiator_subkey.as_ref(),
        )?;
        let mut delegated = None;
        if let Some((deleg_flags, deleg)) = flags.1 {
            let mut keys: Vec<&Key> = Vec::with_capacity(2);
            keys.push(&session_key);
            if let Some(k) = initiator_subkey.as_ref() {
                keys.push(k);
            }
            delegated = Some(open_krb_cred(deleg, &keys, &ticket_client)?);
            flags.0 |= deleg_flags;
        }
        let mut flags = GssFlags(flags.0);

        let mut authz = Vec::new();
        collect_authz(&mut authz, enc_ticket.authorization_data.as_ref(), true);
        collect_authz(&mut authz, auth.authorization_data.as_ref(), false);

        // MS-PAC 2.8.1 and 2.7: a PAC in the ticket must carry a valid server signature
        // and name this ticket's client; formatting the name costs only when one is there.
        let pac = if authz
            .iter()
            .any(|e| e.from_ticket && e.ad_type == ad_type::WIN2K_PAC)
        {
            let Some(key) = service_key.key() else {
                return Err(AcceptError::Config {
                    reason: "service key vanished".into(),
                });
            };
            let name = ticket_client.to_string();
            check_ticket_pac(&authz, key, &name, enc_ticket.authtime, self.pac_policy)
                .map_err(AcceptError::Pac)?
        } else if self.pac_policy.require_pac {
            return Err(AcceptError::Pac(crate::pac::PacError::NoPac));
        } else {
            None
        };

        // Check 6: replays, last, so a refused request never uses up a cache entry.
        if let Some(cache) = &self.replay {
            let record = ReplayRecord::new(
                &service,
                &ticket_client,
                ctime,
                auth_enc.etype,
                auth_enc.cipher,
            );
            match cache.check_and_insert(&record, now, self.skew) {
                Ok(ReplayVerdict::Fresh) => {}
                Ok(ReplayVerdict::Replay) => {
                    return Err(AcceptError::Replay {
                        client: ticket_client,
                    })
                }
                Err(e) => return Err(AcceptError::ReplayCache(e)),
            }
        }

        let initiator_seq = auth.seq_number.unwrap_or(0);
        let mutual = flags.contains(gss_flags::MUTUAL)
            || ap_req.mutual_required()
            || flags.contains(gss_flags::DCE_STYLE);
        let mut acceptor_subkey = None;
        let mut acceptor_seq = initiator_seq;
        let mut output_token = None;
        if mutual {
            flags.0 |= gss_flags::MUTUAL;
            let subkey_enctype =
                self.acceptor_subkey_enctype(&auth, initiator_subkey.as_ref(), session_enctype);
            // Subkey, sequence number and confounder from the per-thread generator,
            // hedged with this authenticator (its encrypted confounder and MAC tag) and
            // the clock to the microsecond, so a forked child that inherited the
            // generator still answers other logins, and a replay of this one, with
            // other keys; see `kerbgate_crypto::fill_hedged`.
            let mut rnd = Zeroizing::new([0u8; 32 + 4 + 16]);
            let cipher = auth_enc.cipher;
            let head = cipher.get(..16).unwrap_or(cipher);
            let tail = cipher
                .get(cipher.len().saturating_sub(16)..)
                .unwrap_or(cipher);
            let mut summary = [0u8; 16 + 16 + 8 + 4];
            let (h, rest) = summary.split_at_mut(16);
            let (t, rest) = rest.split_at_mut(16);
            let (secs, usecs) = rest.split_at_mut(8);
            h.iter_mut().zip(head).for_each(|(d, s)| *d = *s);
            t.iter_mut().zip(tail).for_each(|(d, s)| *d = *s);
            secs.copy_from_slice(&now.secs.to_be_bytes());
            usecs.copy_from_slice(&now.usecs.to_be_bytes());
            kerbgate_crypto::fill_hedged(&summary, rnd.as_mut_slice()).map_err(|e| {
                AcceptError::Randomness {
                    reason: e.to_string(),
                }
            })?;
            let (key_rnd, rest) = rnd.split_at(32);
            let (seq_rnd, confounder) = rest.split_at(4);
            let subkey = match subkey_enctype {
                Some(et) => Some(
                    Key::random_to_key(et, key_rnd.get(..et.key_len()).unwrap_or(key_rnd))
                        .map_err(|e| unsupported("acceptor subkey", et.to_i32(), &e))?,
                ),
                None => None,
            };
            // Keep the top bits clear, as MIT does, for peers that treat them as signed.
            let mut seq = [0u8; 4];
            seq.copy_from_slice(seq_rnd);
            acceptor_seq = u32::from_be_bytes(seq) & 0x3fff_ffff;
            let part = EncApRepPart {
                ctime: auth.ctime,
                cusec: auth.cusec,
                subkey: subkey.as_ref().map(|k| EncryptionKey {
                    keytype: k.enctype().to_i32(),
                    keyvalue: k.expose_secret_bytes(),
                }),
                seq_number: Some(acceptor_seq),
            };
            let plain = part.to_der();
            let confounder = confounder
                .get(..session_enctype.confounder_len())
                .unwrap_or(confounder);
            let cipher = session_key
                .encrypt_with_confounder_uncached(key_usage::AP_REP_ENC_PART, confounder, &plain)
                .map_err(|e| unsupported("session key", session_etype, &e))?;
            let rep = ApRep {
                enc_part: EncryptedData {
                    etype: session_etype,
                    kvno: None,
                    cipher: &cipher,
                },
            };
            let der = rep.to_der();
            output_token = Some(match tok.framing {
                Framing::RawApReq => der,
                _ => token::ap_rep_token(tok.mech, &der),
            });
            acceptor_subkey = subkey;
        }

        tracing::debug!(
            client = %ticket_client,
            service = %service,
            enctype = service_key.enctype(),
            kvno = service_key.kvno(),
            mutual,
            "AP-REQ accepted"
        );
        let context = SecurityContext {
            mech: tok.mech,
            framing: tok.framing,
            client: ticket_client,
            service,
            ticket_enctype: service_key
                .key()
                .map(Key::enctype)
                .unwrap_or(session_enctype),
            ticket_kvno: service_key.kvno(),
            session_key,
            initiator_subkey,
            acceptor_subkey,
            flags,
            ticket_flags: enc_ticket.flags.0,
            authtime: enc_ticket.authtime,
            endtime: enc_ticket.endtime,
            initiator_seq,
            acceptor_seq,
            authz,
            pac: pac.map(Box::new),
            delegated: delegated.map(Box::new),
        };
        Ok(Accepted {
            context,
            output_token,
        })
    }

    fn allowed_enctype(&self, what: &'static str, etype: i32) -> Result<Enctype, AcceptError> {
        let enctype = Enctype::from_i32(etype).map_err(|e| unsupported(what, etype, &e))?;
        if !self.enctypes.contains(&enctype) {
            return Err(AcceptError::EnctypeNotSupported {
                what,
                enctype: etype,
                reason: "not in the acceptor's allowed enctypes".into(),
            });
        }
        Ok(enctype)
    }

    fn check_service<'t>(
        &self,
        ticket: &Ticket<'_>,
        table: &KeyTable,
        mut sname_keys: impl Iterator<Item = &'t ServiceKey>,
    ) -> Result<(), AcceptError> {
        let ok = match &self.services {
            Services::AnyInKeytab => sname_keys.next().is_some(),
            Services::List(names) => names
                .iter()
                .any(|n| n.matches_name(ticket.realm, &ticket.sname, self.ignore_service_case)),
        };
        if ok {
            return Ok(());
        }
        let accepted = match &self.services {
            Services::AnyInKeytab => {
                let names: Vec<String> =
                    table.principals().iter().map(ToString::to_string).collect();
                format!("the keytab's principals ({})", names.join(", "))
            }
            Services::List(names) => names
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        };
        Err(AcceptError::NotUs {
            ticket_service: ticket.server_principal(),
            accepted,
        })
    }

    fn decrypt_ticket<'t>(
        &self,
        sname_keys: impl Iterator<Item = &'t ServiceKey> + Clone,
        ticket: &Ticket<'_>,
    ) -> Result<(&'t ServiceKey, Plaintext), AcceptError> {
        let enc = &ticket.enc_part;
        let sname = || ticket.server_principal();
        self.allowed_enctype("ticket", enc.etype)?;

        // Fast path, no allocation: try the keys of this enctype whose kvno matches.
        // Keytabs store kvno modulo 256 in old formats: compare the low byte as MIT does
        // when the keytab entry's kvno fits in 8 bits.
        let of_enctype = || sname_keys.clone().filter(|k| k.enctype() == enc.etype);
        if let Some(kvno) = enc.kvno {
            let mut candidates = of_enctype()
                .filter(|k| k.kvno() == kvno || (k.kvno() <= 255 && k.kvno() == kvno & 0xff));
            if let (Some(k), None) = (candidates.next(), candidates.next()) {
                if let Some(key) = k.key() {
                    return match key.decrypt(key_usage::TICKET, enc.cipher) {
                        Ok(plain) => Ok((k, Plaintext::from(plain))),
                        Err(_) => Err(AcceptError::TicketIntegrity {
                            service: sname(),
                            enctype: enc.etype,
                            kvnos_tried: vec![k.kvno()],
                        }),
                    };
                }
            }
        }

        let held: Vec<&ServiceKey> = sname_keys.clone().collect();
        let of_enctype: Vec<&ServiceKey> = of_enctype().collect();
        if of_enctype.is_empty() {
            return Err(AcceptError::NoKey {
                service: sname(),
                enctype: enc.etype,
                held: held.iter().map(|k| (k.kvno(), k.enctype())).collect(),
            });
        }
        let candidates: Vec<&ServiceKey> = match enc.kvno {
            Some(kvno) => of_enctype
                .iter()
                .copied()
                .filter(|k| k.kvno() == kvno || (k.kvno() <= 255 && k.kvno() == kvno & 0xff))
                .collect(),
            None => {
                let mut all = of_enctype.clone();
                all.sort_by_key(|k| std::cmp::Reverse(k.kvno()));
                all
            }
        };
        if candidates.is_empty() {
            let mut kvnos: Vec<u32> = of_enctype.iter().map(|k| k.kvno()).collect();
            kvnos.sort_unstable();
            kvnos.dedup();
            return Err(AcceptError::BadKeyVersion {
                service: sname(),
                kvno: enc.kvno.unwrap_or(0),
                held: kvnos,
            });
        }
        let mut tried = Vec::new();
        for k in candidates {
            let Some(key) = k.key() else { continue };
            tried.push(k.kvno());
            if let Ok(plain) = key.decrypt(key_usage::TICKET, enc.cipher) {
                return Ok((k, Plaintext::from(plain)));
            }
        }
        Err(AcceptError::TicketIntegrity {
            service: sname(),
            enctype: enc.etype,
            kvnos_tried: tried,
        })
    }

    fn check_ticket_times(&self, t: &EncTicketPart<'_>, now: Timestamp) -> Result<(), AcceptError> {
        // RFC 4120 3.2.3: an INVALID ticket must be validated at the KDC first.
        if t.flags.bit(ticket_flags::INVALID) {
            return Err(AcceptError::TicketInvalidFlag);
        }
        let skew = i64::from(self.skew);
        let start = t.starttime.unwrap_or(t.authtime);
        if start.saturating_sub(now.secs) > skew {
            return Err(AcceptError::TicketNotYetValid {
                starttime: start,
                now: now.secs,
                skew: self.skew,
            });
        }
        if now.secs.saturating_sub(t.endtime) > skew {
            return Err(AcceptError::TicketExpired {
                endtime: t.endtime,
                now: now.secs,
                skew: self.skew,
            });
        }
        Ok(())
    }

    /// RFC 4121 4.1.1. Returns the context flags and, when delegation is present, the
    /// deleg flag with the KRB-CRED bytes.
    #[allow(clippy::type_complexity)] // a private helper's tuple, named at its one caller
    fn check_authenticator_checksum<'a>(
        &self,
        auth: &Authenticator<'a>,
        ap_req: &ApReq<'_>,
        session_key: &Key,
        subkey: Option<&Key>,
    ) -> Result<(u32, Option<(u32, &'a [u8])>), AcceptError> {
        let mutual_from_options = if ap_req.mutual_required() {
            gss_flags::MUTUAL
        } else {
            0
        };
        let Some(cksum) = auth.cksum else {
            // Some SMB clients send no checksum: flags come from the ap-options, as in MIT.
            return Ok((mutual_from_options, None));
        };
        if cksum.cksumtype != CKSUMTYPE_GSSAPI {
            // Samba sends a plain keyed checksum over empty data instead of 0x8003.
            let ctype = ChecksumType::from_i32(cksum.cksumtype).map_err(|_| {
                AcceptError::InappropriateChecksum {
                    cksumtype: cksum.cksumtype,
                }
            })?;
            let key = subkey.unwrap_or(session_key);
            key.verify_checksum(ctype, key_usage::AP_REQ_AUTH_CKSUM, &[], cksum.checksum)
                .map_err(|_| AcceptError::ChecksumMismatch)?;
            return Ok((mutual_from_options, None));
        }
        let gss = GssChecksum::decode(cksum.checksum)?;

        // RFC 4121 4.1.1.2: channel bindings.
        match (self.bindings_hash, gss.bindings_absent()) {
            (Some(ours), false) if !bool::from(ours.ct_eq(&gss.bnd)) => {
                return Err(AcceptError::ChannelBindings {
                    reason: BindingsMismatch::Different,
                });
            }
            (Some(_), true) if self.strict_bindings => {
                return Err(AcceptError::ChannelBindings {
                    reason: BindingsMismatch::MissingFromInitiator,
                });
            }
            _ => {}
        }

        let mask = gss_flags::MUTUAL
            | gss_flags::REPLAY
            | gss_flags::SEQUENCE
            | gss_flags::CONF
            | gss_flags::INTEG
            | gss_flags::DCE_STYLE
            | gss_flags::IDENTIFY
            | gss_flags::EXTENDED_ERROR;
        let flags = gss.flags & mask;
        // The deleg flag stands only when a KRB-CRED came with it.
        let deleg = match gss.delegation {
            Some(d) if gss.flags & gss_flags::DELEG != 0 => Some((gss_flags::DELEG, d)),
            _ => None,
        };
        Ok((flags, deleg))
    }

    /// RFC 4537 and RFC 4121 2: the enctype of the acceptor subkey, if one is sent.
    fn acceptor_subkey_enctype(
        &self,
        auth: &Authenticator<'_>,
        initiator_subkey: Option<&Key>,
        session: Enctype,
    ) -> Option<Enctype> {
        if let Some(list) = auth
            .authorization_data
            .as_ref()
            .and_then(|ad| ad.find(ad_type::ETYPE_NEGOTIATION))
            .and_then(|el| el.etype_negotiation().ok())
        {
            if let Some(et) = list
                .iter()
                .filter_map(|n| Enctype::from_i32(n).ok())
                .find(|et| self.enctypes.contains(et))
            {
                return Some(et);
            }
        }
        let fallback = initiator_subkey.map(Key::enctype).unwrap_or(session);
        // RFC 4757 contexts keep their legacy tokens: no acceptor subkey for arcfour.
        (fallback.to_i32() != 23).then_some(fallback)
    }
}

fn collect_authz(
    out: &mut Vec<AuthzElement>,
    ad: Option<&AuthorizationData<'_>>,
    from_ticket: bool,
) {
    let Some(ad) = ad else { return };
    for (el, depth) in ad.flatten() {
        out.push(AuthzElement {
            ad_type: el.ad_type,
            data: el.ad_data.to_vec(),
            from_ticket,
            if_relevant: depth > 0,
        });
    }
}
