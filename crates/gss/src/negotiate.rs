//! HTTP Negotiate authentication ([RFC 4559]) without any HTTP crate.
//!
//! The server answers a request without credentials with `401` and
//! `WWW-Authenticate: Negotiate`; the client retries with
//! `Authorization: Negotiate <base64 token>`; [`authenticate`] runs that token through
//! a [`SpnegoExchange`] and says which status and `WWW-Authenticate` value to send:
//! on success the final token (the NegTokenResp with the AP-REP) that lets the client
//! complete mutual authentication.
//!
//! Tokens from Active Directory with large PACs reach 48 KiB and more; decoded tokens
//! up to [`MAX_TOKEN_LEN`] (64 KiB) are taken, longer header values are refused before
//! decoding.
//!
//! [`apply_group_policy`] then authorizes by Active Directory group (the PAC's SIDs),
//! turning a refused login into `403`.
//!
//! [RFC 4559]: https://www.rfc-editor.org/rfc/rfc4559

use std::fmt;

use crate::authz::GroupPolicy;
use crate::spnego::{SpnegoError, SpnegoExchange};

/// Longest decoded token taken (64 KiB).
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// Longest `Authorization` header value taken: the scheme, a space and the base64 of
/// [`MAX_TOKEN_LEN`] bytes, plus some room for surrounding spaces.
pub const MAX_HEADER_LEN: usize = 10 + MAX_TOKEN_LEN.div_ceil(3) * 4 + 16;

/// The challenge value of `WWW-Authenticate` in the first `401`.
pub const CHALLENGE: &str = "Negotiate";

/// Why an `Authorization` header could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// Another scheme (e.g. Basic); the scheme name is kept, up to 32 characters.
    OtherScheme {
        /// The scheme.
        scheme: String,
    },
    /// `Negotiate` without a token.
    MissingToken,
    /// The header value is longer than [`MAX_HEADER_LEN`].
    TooLong {
        /// Its length.
        len: usize,
    },
    /// The token is not base64 (RFC 4648 section 4).
    BadBase64,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OtherScheme { scheme } => write!(
                f,
                "authorization scheme {scheme:?} is not Negotiate; kerbgate takes Kerberos \
                 through SPNEGO (RFC 4559)"
            ),
            Self::MissingToken => f.write_str("Negotiate authorization header without a token"),
            Self::TooLong { len } => write!(
                f,
                "Negotiate authorization header is {len} bytes, more than {MAX_HEADER_LEN} \
                 (a {MAX_TOKEN_LEN}-byte token)"
            ),
            Self::BadBase64 => f.write_str("Negotiate token is not valid base64"),
        }
    }
}

impl std::error::Error for HeaderError {}

/// Reads `Authorization: Negotiate <base64>` (the header value, as bytes) and returns
/// the decoded token. The scheme is matched case-insensitively (RFC 7235 2.1).
///
/// # Errors
/// [`HeaderError`] for another scheme, a missing token, an over-long value or bad
/// base64.
pub fn parse_authorization(value: &[u8]) -> Result<Vec<u8>, HeaderError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(HeaderError::TooLong { len: value.len() });
    }
    let value = value.trim_ascii();
    let (scheme, rest) = match value.iter().position(|b| *b == b' ') {
        Some(i) => (
            value.get(..i).unwrap_or_default(),
            value.get(i..).unwrap_or_default(),
        ),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"Negotiate") {
        let shown = scheme.get(..32).unwrap_or(scheme);
        return Err(HeaderError::OtherScheme {
            scheme: String::from_utf8_lossy(shown).into_owned(),
        });
    }
    let b64 = rest.trim_ascii();
    if b64.is_empty() {
        return Err(HeaderError::MissingToken);
    }
    base64_decode(b64).ok_or(HeaderError::BadBase64)
}

/// The `WWW-Authenticate` value carrying `token`: `Negotiate <base64>`.
#[must_use]
pub fn www_authenticate(token: &[u8]) -> String {
    let mut s = String::with_capacity(10 + token.len().div_ceil(3) * 4);
    s.push_str("Negotiate ");
    base64_encode(token, &mut s);
    s
}

/// What to answer one HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// No credentials: send `401` with `WWW-Authenticate: Negotiate`.
    Challenge,
    /// The exchange needs another leg: `401` with this `WWW-Authenticate` value.
    Continue {
        /// The `WWW-Authenticate` value.
        www_authenticate: String,
    },
    /// Authenticated: serve the request, adding `WWW-Authenticate` when present so
    /// the client can complete mutual authentication.
    Authenticated {
        /// The client principal, e.g. `alice@EXAMPLE.COM`.
        principal: String,
        /// The `WWW-Authenticate` value, if there is a final token.
        www_authenticate: Option<String>,
    },
    /// Refused: answer `status` (400 for an unreadable header or token, 401 when
    /// authentication failed) with `message`, and the reject token when present.
    Refused {
        /// The HTTP status code.
        status: u16,
        /// A sentence for the response body and the log.
        message: String,
        /// The `WWW-Authenticate` value with the reject token, if any.
        www_authenticate: Option<String>,
    },
}

impl Outcome {
    /// The HTTP status to send.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::Challenge | Self::Continue { .. } => 401,
            Self::Authenticated { .. } => 200,
            Self::Refused { status, .. } => *status,
        }
    }

    /// The `WWW-Authenticate` value to send, if any.
    #[must_use]
    pub fn www_authenticate(&self) -> Option<&str> {
        match self {
            Self::Challenge => Some(CHALLENGE),
            Self::Continue { www_authenticate } => Some(www_authenticate),
            Self::Authenticated {
                www_authenticate, ..
            }
            | Self::Refused {
                www_authenticate, ..
            } => www_authenticate.as_deref(),
        }
    }
}

/// Runs one request's `Authorization` header value (or `None`) through `exchange`.
///
/// Keep `exchange` per connection when clients may need two legs (NegoEx-first
/// Windows clients); single-leg clients need a fresh one per request.
pub fn authenticate(exchange: &mut SpnegoExchange, authorization: Option<&[u8]>) -> Outcome {
    let Some(value) = authorization else {
        return Outcome::Challenge;
    };
    let token = match parse_authorization(value) {
        Ok(t) => t,
        Err(HeaderError::OtherScheme { .. }) => return Outcome::Challenge,
        Err(e) => return refused(400, e.to_string(), None),
    };
    authenticate_token(exchange, &token)
}

/// True when `token` opens a new exchange (a framed initial token, a bare AP-REQ or a
/// raw NTLMSSP message) rather than continuing one: a server keeping an exchange per
/// connection starts afresh on such a token.
#[must_use]
pub fn is_initial_token(token: &[u8]) -> bool {
    matches!(token.first(), Some(0x60 | 0x6e)) || crate::spnego::token::is_raw_ntlmssp(token)
}

/// As [`authenticate`], for a token already taken from the header with
/// [`parse_authorization`].
pub fn authenticate_token(exchange: &mut SpnegoExchange, token: &[u8]) -> Outcome {
    if token.len() > MAX_TOKEN_LEN {
        let message = format!(
            "Negotiate token is {} bytes, more than {MAX_TOKEN_LEN}",
            token.len()
        );
        return refused(400, message, None);
    }
    match exchange.step(token) {
        Ok(progress) if progress.complete => {
            let principal = exchange
                .context()
                .map(|c| c.context().client().to_string())
                .unwrap_or_default();
            Outcome::Authenticated {
                principal,
                www_authenticate: progress.output_token.as_deref().map(www_authenticate),
            }
        }
        Ok(progress) => match progress.output_token {
            Some(t) => Outcome::Continue {
                www_authenticate: www_authenticate(&t),
            },
            None => refused(400, "negotiation stalled without a token".to_string(), None),
        },
        Err(r) => {
            let status = match r.error {
                SpnegoError::Defective(_) | SpnegoError::UnexpectedToken { .. } => 400,
                _ => 401,
            };
            let header = r.output_token.as_deref().map(www_authenticate);
            refused(status, r.error.to_string(), header)
        }
    }
}

/// Applies group rules to an [`Outcome::Authenticated`] from `exchange`: a login the
/// policy refuses becomes `403 Forbidden` naming the reason (no PAC, denied group, not
/// a member). Other outcomes pass unchanged; an empty policy changes nothing.
///
/// ```
/// use kerbgate::negotiate::{apply_group_policy, Outcome};
/// use kerbgate::GroupPolicy;
/// # fn f(exchange: &kerbgate::SpnegoExchange, outcome: Outcome) -> Outcome {
/// let policy = GroupPolicy::new().require_any_of(["S-1-5-21-1-2-3-513".parse().unwrap()]);
/// apply_group_policy(outcome, exchange, &policy)
/// # }
/// ```
#[must_use]
pub fn apply_group_policy(
    outcome: Outcome,
    exchange: &SpnegoExchange,
    policy: &GroupPolicy,
) -> Outcome {
    if policy.is_empty() {
        return outcome;
    }
    let Outcome::Authenticated {
        principal,
        www_authenticate,
    } = outcome
    else {
        return outcome;
    };
    let pac = exchange.context().and_then(|c| c.context().pac());
    match policy.check_pac(pac) {
        Ok(()) => Outcome::Authenticated {
            principal,
            www_authenticate,
        },
        Err(e) => {
            tracing::debug!(principal = %principal, reason = %e, "negotiate: group rule refused");
            // RFC 4559 has no status for this: authentication succeeded, access did not.
            refused(403, format!("{principal}: {e}"), None)
        }
    }
}

fn refused(status: u16, message: String, www_authenticate: Option<String>) -> Outcome {
    Outcome::Refused {
        status,
        message,
        www_authenticate,
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// RFC 4648 section 4 with padding.
fn base64_encode(data: &[u8], out: &mut String) {
    let sym = |v: u32| char::from(ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'A'));
    for chunk in data.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
}

fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// RFC 4648 section 4, strictly: padding optional but, when present, exactly what
/// completes the last quantum; no whitespace inside; the unused bits of a last partial
/// quantum zero (RFC 4648 3.5), so one token has one encoding; never empty.
fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    let (body, pad) = match text {
        [body @ .., b'=', b'='] => (body, 2),
        [body @ .., b'='] => (body, 1),
        _ => (text, 0),
    };
    if body.is_empty() || body.len() % 4 == 1 || (pad > 0 && text.len() % 4 != 0) {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    for chunk in body.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= sextet(*c)? << (18 - 6 * i);
        }
        let take = chunk.len() - 1;
        // The bits below the last whole octet must be zero.
        if n & (0x00ff_ffff >> (8 * take)) != 0 {
            return None;
        }
        let bytes = n.to_be_bytes();
        out.extend(bytes.iter().skip(1).take(take));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_every_length() {
        assert!(base64_decode(b"").is_none());
        for len in 1..40usize {
            let data: Vec<u8> = (0..len)
                .map(|i| u8::try_from(i * 37 % 256).unwrap())
                .collect();
            let mut s = String::new();
            base64_encode(&data, &mut s);
            assert_eq!(base64_decode(s.as_bytes()).unwrap(), data, "len {len}");
        }
        assert_eq!(base64_decode(b"YQ").unwrap(), b"a");
        assert_eq!(base64_decode(b"YQ==").unwrap(), b"a");
        assert_eq!(base64_decode(b"YWI=").unwrap(), b"ab");
        assert!(base64_decode(b"Y").is_none());
        assert!(base64_decode(b"Y Q=").is_none());
        // Padding that does not complete the quantum, or stray padding.
        assert!(base64_decode(b"YQ=").is_none());
        assert!(base64_decode(b"YWJj=").is_none());
        assert!(base64_decode(b"YWI==").is_none());
        // Non-zero unused bits: a second encoding of "a" and of "ab".
        assert!(base64_decode(b"YR==").is_none());
        assert!(base64_decode(b"YWJ=").is_none());
        // Nothing to decode.
        assert!(base64_decode(b"==").is_none());
        assert!(base64_decode(b"=").is_none());
        assert_eq!(
            parse_authorization(b"Negotiate ==").unwrap_err(),
            HeaderError::BadBase64
        );
    }

    #[test]
    fn parses_the_header() {
        assert_eq!(parse_authorization(b"Negotiate YWJj").unwrap(), b"abc");
        assert_eq!(
            parse_authorization(b"  negotiate   YWJj  ").unwrap(),
            b"abc"
        );
        assert_eq!(
            parse_authorization(b"Basic YWJj"),
            Err(HeaderError::OtherScheme {
                scheme: "Basic".into()
            })
        );
        assert_eq!(
            parse_authorization(b"Negotiate"),
            Err(HeaderError::MissingToken)
        );
        assert_eq!(
            parse_authorization(b"Negotiate ***"),
            Err(HeaderError::BadBase64)
        );
        let long = vec![b'A'; MAX_HEADER_LEN + 1];
        assert!(matches!(
            parse_authorization(&long),
            Err(HeaderError::TooLong { .. })
        ));
        assert_eq!(www_authenticate(b"abc"), "Negotiate YWJj");
    }

    #[test]
    fn admits_a_64_kib_token() {
        let token = vec![0x5a; MAX_TOKEN_LEN];
        let header = www_authenticate(&token);
        assert!(header.len() <= MAX_HEADER_LEN);
        assert_eq!(parse_authorization(header.as_bytes()).unwrap(), token);
    }
}
