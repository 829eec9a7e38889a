//! Authorization after authentication, with the semantics of Dovecot's GSSAPI
//! mechanism: which acceptor principals answer, which authenticated principal may log
//! in as which user, and how user names are normalised.

use std::fmt;
use std::sync::Arc;

use kerbgate::{AcceptError, AuthzError, GroupPolicy, Pac, Principal, ServiceName, Sid};

use crate::error::SaslError;
use crate::mechanism::Negotiated;

/// Which acceptor principals answer (Dovecot's `auth_gssapi_hostname`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcceptorPrincipals {
    /// `$ALL`: any principal with a key in the keytab.
    All,
    /// `<service>/<host>` for this host name, any realm.
    Host(String),
}

impl AcceptorPrincipals {
    /// Parses `$ALL` or a host name.
    ///
    /// # Errors
    /// [`SaslError::Config`] for an empty name or one with `/`, `@` or whitespace.
    pub fn parse(s: &str) -> Result<Self, SaslError> {
        if s == "$ALL" {
            return Ok(Self::All);
        }
        if s.is_empty() || s.contains(['/', '@']) || s.contains(char::is_whitespace) {
            return Err(SaslError::Config {
                reason: format!("host name {s:?} is not $ALL or a plain host name"),
            });
        }
        Ok(Self::Host(s.to_owned()))
    }

    /// The service name the acceptor answers for, for a mail protocol; `None` means
    /// any principal in the keytab.
    ///
    /// # Errors
    /// [`SaslError::Config`] for an unknown protocol.
    pub fn service_name(&self, protocol: &str) -> Result<Option<ServiceName>, SaslError> {
        let service = service_for_protocol(protocol)?;
        match self {
            Self::All => Ok(None),
            Self::Host(host) => ServiceName::parse(&format!("{service}@{host}"))
                .map(Some)
                .map_err(|e: AcceptError| SaslError::Config {
                    reason: e.to_string(),
                }),
        }
    }
}

/// The GSSAPI service name mail servers use for a protocol: `imap`, `pop` (POP3),
/// `smtp` (SMTP, submission, LMTP).
///
/// # Errors
/// [`SaslError::Config`] for an unknown protocol.
pub fn service_for_protocol(protocol: &str) -> Result<&'static str, SaslError> {
    match protocol.to_ascii_lowercase().as_str() {
        "imap" | "imaps" => Ok("imap"),
        "pop" | "pop3" | "pop3s" => Ok("pop"),
        "smtp" | "submission" | "lmtp" => Ok("smtp"),
        other => Err(SaslError::Config {
            reason: format!("unknown mail protocol {other:?}; expected imap, pop3 or smtp"),
        }),
    }
}

/// What the normaliser does with a realm or domain part (`user@domain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RealmPart {
    /// Keep `@domain` (Dovecot `%u`).
    #[default]
    Keep,
    /// Drop `@domain` (Dovecot `%n`).
    Strip,
}

/// A user-name normaliser in the manner of Dovecot's `auth_username_format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct UsernameFormat {
    /// Lower-case the whole name (`%L`).
    pub lowercase: bool,
    /// Keep or strip the `@domain` part.
    pub realm: RealmPart,
}

impl UsernameFormat {
    /// A format: lower-case or not, with the realm part kept or stripped.
    #[must_use]
    pub fn new(lowercase: bool, realm: RealmPart) -> Self {
        Self { lowercase, realm }
    }

    /// Applies the format to `name`.
    #[must_use]
    pub fn apply(&self, name: &str) -> String {
        let name = match self.realm {
            RealmPart::Keep => name,
            RealmPart::Strip => name.rsplit_once('@').map_or(name, |(user, _)| user),
        };
        if self.lowercase {
            name.to_lowercase()
        } else {
            name.to_owned()
        }
    }
}

/// The `k5principals` lookup: for a user name, the principals (`name@REALM`) that may
/// log in as that user, or `None` when the user has no such list.
pub type K5Principals = Arc<dyn Fn(&str) -> Option<Vec<String>> + Send + Sync>;

/// Who may log in as whom.
#[derive(Clone, Default)]
pub struct Policy {
    realms: Vec<String>,
    format: UsernameFormat,
    k5principals: Option<K5Principals>,
    groups: GroupPolicy,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("realms", &self.realms)
            .field("format", &self.format)
            .field("k5principals", &self.k5principals.is_some())
            .field("groups", &self.groups)
            .finish()
    }
}

impl Policy {
    /// A policy accepting same-realm users of the service's realm only.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an accepted realm: its principals log in as their name without the realm.
    /// Without any, the realm of the service principal is the accepted one.
    #[must_use]
    pub fn accept_realm(mut self, realm: &str) -> Self {
        self.realms.push(realm.to_owned());
        self
    }

    /// Sets the user-name normaliser.
    #[must_use]
    pub fn username_format(mut self, format: UsernameFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets the per-user `k5principals` lookup.
    #[must_use]
    pub fn k5principals(mut self, lookup: K5Principals) -> Self {
        self.k5principals = Some(lookup);
        self
    }

    /// Requires membership in Active Directory group `sid` (any one of the required
    /// groups suffices), read from the ticket's verified PAC. A login without a PAC is
    /// then refused.
    #[must_use]
    pub fn require_group(mut self, sid: Sid) -> Self {
        self.groups = std::mem::take(&mut self.groups).require_any_of([sid]);
        self
    }

    /// Refuses members of Active Directory group `sid` (or the user with that SID).
    #[must_use]
    pub fn deny_group(mut self, sid: Sid) -> Self {
        self.groups = std::mem::take(&mut self.groups).deny(sid);
        self
    }

    /// Sets all group rules at once.
    #[must_use]
    pub fn group_policy(mut self, groups: GroupPolicy) -> Self {
        self.groups = groups;
        self
    }

    /// As [`Policy::authorize_with_pac`] for a finished exchange.
    ///
    /// # Errors
    /// As [`Policy::authorize_with_pac`].
    pub fn authorize_negotiated(&self, done: &Negotiated) -> Result<String, SaslError> {
        self.authorize_with_pac(
            &done.client,
            &done.service,
            &done.authzid,
            done.pac.as_ref(),
        )
    }

    /// Decides whether `client` may log in with `authzid` as [`Policy::authorize`]
    /// does, then applies the group rules to the ticket's verified PAC (`None`: the
    /// ticket had none).
    ///
    /// # Errors
    /// [`SaslError::NotAuthorized`], or [`SaslError::GroupRule`] when a group rule
    /// refuses (no PAC, a denied group, no required group).
    pub fn authorize_with_pac(
        &self,
        client: &Principal,
        service: &Principal,
        authzid: &str,
        pac: Option<&Pac>,
    ) -> Result<String, SaslError> {
        let user = self.authorize_names(client, service, authzid)?;
        if let Err(e) = self.groups.check_pac(pac) {
            let principal = format!("{}@{}", client.components().join("/"), client.realm());
            match &e {
                AuthzError::Denied { sid } => {
                    tracing::debug!(principal = %principal, sid = %sid, "refused: denied group");
                }
                _ => tracing::debug!(principal = %principal, reason = %e, "refused: group rule"),
            }
            return Err(SaslError::GroupRule {
                principal,
                source: e,
            });
        }
        Ok(user)
    }

    /// Decides whether `client` (authenticated against `service`) may log in with
    /// `authzid` (empty: none); returns the normalised user name. With group rules
    /// set this refuses every login, having no PAC: use
    /// [`Policy::authorize_negotiated`] or [`Policy::authorize_with_pac`].
    ///
    /// # Errors
    /// [`SaslError::NotAuthorized`], or [`SaslError::GroupRule`] with group rules.
    pub fn authorize(
        &self,
        client: &Principal,
        service: &Principal,
        authzid: &str,
    ) -> Result<String, SaslError> {
        self.authorize_with_pac(client, service, authzid, None)
    }

    fn authorize_names(
        &self,
        client: &Principal,
        service: &Principal,
        authzid: &str,
    ) -> Result<String, SaslError> {
        let name = client.components().join("/");
        let full = format!("{name}@{}", client.realm());
        let realm_ok = if self.realms.is_empty() {
            client.realm() == service.realm()
        } else {
            self.realms.iter().any(|r| r == client.realm())
        };

        // Dovecot: without an authzid the principal names the user; with one, the
        // authzid does.
        let target = if !authzid.is_empty() {
            authzid.to_owned()
        } else if realm_ok {
            name.clone()
        } else {
            full.clone()
        };
        let user = self.format.apply(&target);

        // Default rule: a principal of an accepted realm is its own user.
        if realm_ok && self.format.apply(&name) == user {
            tracing::debug!(principal = %full, authzid, user = %user, "authorized: same-realm user");
            return Ok(user);
        }

        // k5principals: the user's list names other principals (cross-realm too).
        let listed = self
            .k5principals
            .as_ref()
            .and_then(|lookup| lookup(&user))
            .is_some_and(|list| list.iter().any(|p| p.trim() == full));
        if listed {
            tracing::debug!(principal = %full, authzid, user = %user, "authorized: k5principals");
            return Ok(user);
        }
        tracing::debug!(principal = %full, authzid, "refused: not authorized");
        Err(SaslError::NotAuthorized {
            principal: full,
            authzid: authzid.to_owned(),
        })
    }
}

/// Parses a `k5principals` file: lines `user: principal, principal...`; `#` starts a
/// comment. Returns the pairs in file order.
///
/// # Errors
/// [`SaslError::Config`] naming the first line without a `:`.
pub fn parse_k5principals(text: &str) -> Result<Vec<(String, Vec<String>)>, SaslError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let Some((user, list)) = line.split_once(':') else {
            return Err(SaslError::Config {
                reason: format!(
                    "k5principals line {}: expected `user: principal,...`",
                    i + 1
                ),
            });
        };
        let principals = list
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        out.push((user.trim().to_owned(), principals));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Principal {
        Principal::parse(s).unwrap()
    }

    fn svc() -> Principal {
        p("imap/mail.example.com@EXAMPLE.COM")
    }

    #[test]
    fn same_realm_user_without_or_with_own_authzid() {
        let pol = Policy::new();
        assert_eq!(
            pol.authorize(&p("alice@EXAMPLE.COM"), &svc(), "").unwrap(),
            "alice"
        );
        assert_eq!(
            pol.authorize(&p("alice@EXAMPLE.COM"), &svc(), "alice")
                .unwrap(),
            "alice"
        );
    }

    #[test]
    fn refuses_someone_elses_authzid_and_foreign_realm() {
        let pol = Policy::new();
        let e = pol
            .authorize(&p("alice@EXAMPLE.COM"), &svc(), "bob")
            .unwrap_err();
        assert!(matches!(e, SaslError::NotAuthorized { ref authzid, .. } if authzid == "bob"));
        assert!(pol
            .authorize(&p("alice@OTHER.ORG"), &svc(), "alice")
            .is_err());
        assert!(pol.authorize(&p("alice@OTHER.ORG"), &svc(), "").is_err());
    }

    #[test]
    fn k5principals_allows_listed_principals_only() {
        let lookup: K5Principals = Arc::new(|user: &str| {
            (user == "shared").then(|| vec!["alice@EXAMPLE.COM".into(), "carol@OTHER.ORG".into()])
        });
        let pol = Policy::new().k5principals(lookup);
        assert_eq!(
            pol.authorize(&p("alice@EXAMPLE.COM"), &svc(), "shared")
                .unwrap(),
            "shared"
        );
        assert_eq!(
            pol.authorize(&p("carol@OTHER.ORG"), &svc(), "shared")
                .unwrap(),
            "shared"
        );
        assert!(pol
            .authorize(&p("bob@EXAMPLE.COM"), &svc(), "shared")
            .is_err());
        assert!(pol.authorize(&p("carol@OTHER.ORG"), &svc(), "bob").is_err());
    }

    #[test]
    fn extra_realm_and_username_format() {
        let pol = Policy::new()
            .accept_realm("EXAMPLE.COM")
            .accept_realm("CORP.EXAMPLE.COM")
            .username_format(UsernameFormat::new(true, RealmPart::Strip));
        assert_eq!(
            pol.authorize(&p("Alice@CORP.EXAMPLE.COM"), &svc(), "")
                .unwrap(),
            "alice"
        );
        assert_eq!(
            pol.authorize(&p("Alice@EXAMPLE.COM"), &svc(), "ALICE@example.com")
                .unwrap(),
            "alice"
        );
        let keep = UsernameFormat::new(true, RealmPart::Keep);
        assert_eq!(keep.apply("Bob@Example.COM"), "bob@example.com");
    }

    #[test]
    fn acceptor_principals_map_protocols() {
        let host = AcceptorPrincipals::parse("mail.example.com").unwrap();
        let name = host.service_name("pop3").unwrap().unwrap();
        assert!(name.matches(&p("pop/mail.example.com@EXAMPLE.COM"), false));
        let name = host.service_name("submission").unwrap().unwrap();
        assert!(name.matches(&p("smtp/mail.example.com@X"), false));
        assert!(AcceptorPrincipals::parse("$ALL")
            .unwrap()
            .service_name("imap")
            .unwrap()
            .is_none());
        assert!(AcceptorPrincipals::parse("a/b").is_err());
        assert!(host.service_name("gopher").is_err());
    }

    #[test]
    fn parses_k5principals_file() {
        let got = parse_k5principals("# c\nshared: alice@A, carol@B \n\nbob:bob@A # x\n").unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, vec!["alice@A".to_string(), "carol@B".to_string()]);
        assert!(parse_k5principals("nocolon").is_err());
    }
}
