//! Kerberos principal names: the MIT string syntax (`krb5_parse_name`,
//! `krb5_unparse_name`) and comparison.

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::consts::{KRB5_NT_PRINCIPAL, KRB5_NT_SRV_INST, KRB5_NT_WELLKNOWN};
use crate::error::{Error, PrincipalSyntax, Result};

/// A Kerberos principal: name type, name components and realm.
///
/// Equality (`==`) and hashing ignore the name type, as MIT's
/// `krb5_principal_compare` does: `HTTP/h@R` with type 1 (as `ktutil` writes it)
/// and type 3 (as Windows writes it) are the same principal. Comparison is exact
/// (case-sensitive); see [`Principal::eq_ignore_case`].
#[derive(Clone, Debug)]
pub struct Principal {
    name_type: i32,
    components: Vec<String>,
    realm: String,
}

impl Principal {
    /// Builds a principal from its parts.
    pub fn new(name_type: i32, components: Vec<String>, realm: impl Into<String>) -> Self {
        Principal {
            name_type,
            components,
            realm: realm.into(),
        }
    }

    /// Parses `name` in the MIT syntax; the realm is required.
    ///
    /// Components are separated by `/`, the realm follows `@`; `\/`, `\@`, `\\`,
    /// `\n`, `\t`, `\b` and `\0` quote. The name type is inferred as MIT does:
    /// `krbtgt/X` is `KRB5_NT_SRV_INST`, `WELLKNOWN/...` is `KRB5_NT_WELLKNOWN`,
    /// anything else `KRB5_NT_PRINCIPAL`.
    ///
    /// # Errors
    /// [`Error::BadPrincipal`] for empty names, a trailing `\`, a second `@`,
    /// a `/` in the realm, or no realm.
    pub fn parse(name: &str) -> Result<Self> {
        Self::parse_with_default_realm(name, None)
    }

    /// Parses `name` like [`Principal::parse`], using `default_realm` when the
    /// name has no `@REALM`.
    ///
    /// # Errors
    /// As [`Principal::parse`]; no realm is an error only without a default.
    pub fn parse_with_default_realm(name: &str, default_realm: Option<&str>) -> Result<Self> {
        let bad = |reason| Error::BadPrincipal {
            name: name.to_owned(),
            reason,
        };
        if name.is_empty() {
            return Err(bad(PrincipalSyntax::Empty));
        }

        let mut components = vec![String::new()];
        let mut realm: Option<String> = None;
        let mut chars = name.chars();
        while let Some(c) = chars.next() {
            let in_realm = realm.is_some();
            match c {
                '/' if in_realm => return Err(bad(PrincipalSyntax::SlashInRealm)),
                '/' => components.push(String::new()),
                '@' if in_realm => return Err(bad(PrincipalSyntax::SecondAt)),
                '@' => realm = Some(String::new()),
                _ => {
                    let c = if c == '\\' {
                        unquote(
                            chars
                                .next()
                                .ok_or(bad(PrincipalSyntax::TrailingBackslash))?,
                        )
                    } else {
                        c
                    };
                    // `components` starts non-empty and only grows.
                    if let Some(current) = realm.as_mut().or(components.last_mut()) {
                        current.push(c);
                    }
                }
            }
        }

        let realm = match (realm, default_realm) {
            (Some(r), _) => r,
            (None, Some(d)) => d.to_owned(),
            (None, None) => return Err(bad(PrincipalSyntax::MissingRealm)),
        };
        let name_type = infer_name_type(&components);
        Ok(Principal {
            name_type,
            components,
            realm,
        })
    }

    /// The name type (see the `KRB5_NT_*` constants).
    pub fn name_type(&self) -> i32 {
        self.name_type
    }

    /// The name components, e.g. `["imap", "mail.example.com"]`.
    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// The realm, e.g. `EXAMPLE.COM`.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// Returns the same principal with another name type.
    #[must_use]
    pub fn with_name_type(mut self, name_type: i32) -> Self {
        self.name_type = name_type;
        self
    }

    /// Returns the same principal in another realm.
    #[must_use]
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Compares components and realm ignoring case (Unicode lower-casing) and
    /// the name type, like MIT's `KRB5_PRINCIPAL_COMPARE_CASEFOLD`.
    pub fn eq_ignore_case(&self, other: &Principal) -> bool {
        fn fold_eq(a: &str, b: &str) -> bool {
            a.chars()
                .flat_map(char::to_lowercase)
                .eq(b.chars().flat_map(char::to_lowercase))
        }
        self.components.len() == other.components.len()
            && fold_eq(&self.realm, &other.realm)
            && self
                .components
                .iter()
                .zip(&other.components)
                .all(|(a, b)| fold_eq(a, b))
    }

    /// The salt MIT uses by default for password keys: the realm, then every
    /// component, concatenated with no separator (RFC 4120 4).
    pub fn default_salt(&self) -> Vec<u8> {
        let components: Vec<&str> = self.components.iter().map(String::as_str).collect();
        kerbgate_crypto::default_salt(&self.realm, &components)
    }
}

/// MIT's name-type inference for parsed names (`k5_infer_principal_type`).
fn infer_name_type(components: &[String]) -> i32 {
    // RFC 4120 7.3: the TGS name is krbtgt/REALM.
    if components.len() == 2 && components.first().is_some_and(|c| c == "krbtgt") {
        return KRB5_NT_SRV_INST;
    }
    // RFC 6111 3.1: well-known names start with WELLKNOWN.
    if components.first().is_some_and(|c| c == "WELLKNOWN") {
        return KRB5_NT_WELLKNOWN;
    }
    KRB5_NT_PRINCIPAL
}

fn unquote(c: char) -> char {
    match c {
        'n' => '\n',
        't' => '\t',
        'b' => '\u{8}',
        '0' => '\0',
        other => other,
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    for c in s.chars() {
        match c {
            '/' | '@' | '\\' => write!(f, "\\{c}")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\0' => f.write_str("\\0")?,
            other => write!(f, "{other}")?,
        }
    }
    Ok(())
}

/// The MIT unparsed form, `comp1/comp2@REALM`, quoting as `krb5_unparse_name`
/// does, so that [`Principal::parse`] reads it back.
impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, component) in self.components.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            write_quoted(f, component)?;
        }
        f.write_str("@")?;
        write_quoted(f, &self.realm)
    }
}

impl PartialEq for Principal {
    fn eq(&self, other: &Self) -> bool {
        self.components == other.components && self.realm == other.realm
    }
}

impl Eq for Principal {}

impl Hash for Principal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.components.hash(state);
        self.realm.hash(state);
    }
}

impl std::str::FromStr for Principal {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::KRB5_NT_SRV_HST;

    #[test]
    fn parses_service_principal() {
        let p = Principal::parse("imap/mail.example.com@EXAMPLE.COM").unwrap();
        assert_eq!(p.components(), ["imap", "mail.example.com"]);
        assert_eq!(p.realm(), "EXAMPLE.COM");
        assert_eq!(p.name_type(), KRB5_NT_PRINCIPAL);
        assert_eq!(p.to_string(), "imap/mail.example.com@EXAMPLE.COM");
    }

    #[test]
    fn infers_name_types_like_mit() {
        assert_eq!(
            Principal::parse("krbtgt/A@A").unwrap().name_type(),
            KRB5_NT_SRV_INST
        );
        assert_eq!(
            Principal::parse("krbtgt@A").unwrap().name_type(),
            KRB5_NT_PRINCIPAL
        );
        assert_eq!(
            Principal::parse("WELLKNOWN/ANONYMOUS@A")
                .unwrap()
                .name_type(),
            KRB5_NT_WELLKNOWN
        );
    }

    #[test]
    fn unquotes_and_requotes_every_escape() {
        let p = Principal::parse(r"a\/b\@c\\d\ne\tf\bg\0h\x/two@RE\@AL\/M").unwrap();
        assert_eq!(p.components(), ["a/b@c\\d\ne\tf\u{8}g\0hx", "two"]);
        assert_eq!(p.realm(), "RE@AL/M");
        assert_eq!(p.to_string(), r"a\/b\@c\\d\ne\tf\bg\0hx/two@RE\@AL\/M");
        assert_eq!(Principal::parse(&p.to_string()).unwrap(), p);
    }

    #[test]
    fn rejects_malformed_names() {
        let reason = |s: &str| match Principal::parse(s) {
            Err(Error::BadPrincipal { reason, .. }) => reason,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(reason(""), PrincipalSyntax::Empty);
        assert_eq!(reason("a\\"), PrincipalSyntax::TrailingBackslash);
        assert_eq!(reason("a@B/C"), PrincipalSyntax::SlashInRealm);
        assert_eq!(reason("a@B@C"), PrincipalSyntax::SecondAt);
        assert_eq!(reason("a/b"), PrincipalSyntax::MissingRealm);
    }

    #[test]
    fn uses_default_realm_only_when_absent() {
        let p = Principal::parse_with_default_realm("a/b", Some("D.COM")).unwrap();
        assert_eq!(p.to_string(), "a/b@D.COM");
        let p = Principal::parse_with_default_realm("a@X", Some("D.COM")).unwrap();
        assert_eq!(p.realm(), "X");
        let p = Principal::parse_with_default_realm("a@", Some("D.COM")).unwrap();
        assert_eq!(p.realm(), "");
    }

    #[test]
    fn equality_ignores_name_type_not_case() {
        let a = Principal::parse("HTTP/h.example.com@EXAMPLE.COM").unwrap();
        let b = a.clone().with_name_type(KRB5_NT_SRV_HST);
        assert_eq!(a, b);
        let c = Principal::parse("http/H.Example.com@example.com").unwrap();
        assert_ne!(a, c);
        assert!(a.eq_ignore_case(&c));
        let d = Principal::parse("Ünï/X@É").unwrap();
        assert!(d.eq_ignore_case(&Principal::parse("üNÏ/x@é").unwrap()));
        assert!(!a.eq_ignore_case(&Principal::parse("HTTP@EXAMPLE.COM").unwrap()));
    }
}
