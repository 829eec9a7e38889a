//! RFC 2743 section 3.1 token framing and the RFC 4121 section 4.1 token IDs.
//!
//! An initial context token is `[APPLICATION 0]` (0x60) holding the
//! mechanism OID followed by the mechanism's inner token. For Kerberos V5 the
//! inner token is a two-byte TOK_ID and a DER AP-REQ, AP-REP or KRB-ERROR.
//! Windows DCE-style RPC clients send a bare AP-REQ (0x6e) without framing;
//! that is accepted and reported as [`Framing::RawApReq`].

use crate::consts::oid;
use crate::der::{length_octets, oid_to_dotted, DecodeError, DecodeErrorKind, Reader, TAG_OID};

/// The GSS framing tag, `[APPLICATION 0]` constructed.
pub const GSS_TOKEN_TAG: u8 = 0x60;
/// The first byte of a bare AP-REQ, `[APPLICATION 14]`.
pub const RAW_AP_REQ_TAG: u8 = 0x6e;

/// A mechanism this crate recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mech {
    /// Kerberos V5, 1.2.840.113554.1.2.2 (RFC 1964, RFC 4121).
    Krb5,
    /// Microsoft's Kerberos V5 OID, 1.2.840.48018.1.2.2.
    MsKrb5,
    /// SPNEGO, 1.3.6.1.5.5.2 (RFC 4178); the body is the SPNEGO inner token.
    Spnego,
}

impl Mech {
    /// The OID contents octets.
    #[must_use]
    pub fn oid(self) -> &'static [u8] {
        match self {
            Self::Krb5 => oid::KRB5,
            Self::MsKrb5 => oid::MS_KRB5,
            Self::Spnego => oid::SPNEGO,
        }
    }

    /// The OID in dotted form.
    #[must_use]
    pub fn dotted(self) -> &'static str {
        match self {
            Self::Krb5 => "1.2.840.113554.1.2.2",
            Self::MsKrb5 => "1.2.840.48018.1.2.2",
            Self::Spnego => "1.3.6.1.5.5.2",
        }
    }

    /// The mechanism with these OID contents octets, if recognised.
    #[must_use]
    pub fn from_oid(oid: &[u8]) -> Option<Self> {
        [Self::Krb5, Self::MsKrb5, Self::Spnego]
            .into_iter()
            .find(|m| m.oid() == oid)
    }

    /// True for the two Kerberos V5 OIDs.
    #[must_use]
    pub fn is_kerberos(self) -> bool {
        matches!(self, Self::Krb5 | Self::MsKrb5)
    }
}

/// RFC 4121 4.1 TOK_ID values of context-establishment tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenId {
    /// 01 00: KRB_AP_REQ.
    ApReq,
    /// 02 00: KRB_AP_REP.
    ApRep,
    /// 03 00: KRB_ERROR.
    KrbError,
}

impl TokenId {
    /// The two TOK_ID bytes.
    #[must_use]
    pub fn to_bytes(self) -> [u8; 2] {
        match self {
            Self::ApReq => [0x01, 0x00],
            Self::ApRep => [0x02, 0x00],
            Self::KrbError => [0x03, 0x00],
        }
    }

    /// The token ID for two TOK_ID bytes, if it is one of these.
    #[must_use]
    pub fn from_bytes(b: [u8; 2]) -> Option<Self> {
        match b {
            [0x01, 0x00] => Some(Self::ApReq),
            [0x02, 0x00] => Some(Self::ApRep),
            [0x03, 0x00] => Some(Self::KrbError),
            _ => None,
        }
    }
}

/// How the token arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Framing {
    /// RFC 2743 3.1 framing (0x60, OID, inner token).
    Gss,
    /// A bare AP-REQ without the GSS header (DCE-style RPC clients).
    RawApReq,
}

/// A parsed initial context token. Debug shows the body length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct InitialContextToken<'a> {
    /// The mechanism named by the token.
    pub mech: Mech,
    /// TOK_ID for Kerberos mechanisms; `None` for SPNEGO.
    pub token_id: Option<TokenId>,
    /// The message after the TOK_ID (DER AP-REQ etc.), or the SPNEGO token.
    pub body: &'a [u8],
    /// How it was framed.
    pub framing: Framing,
}

impl std::fmt::Debug for InitialContextToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitialContextToken")
            .field("mech", &self.mech)
            .field("token_id", &self.token_id)
            .field("body_len", &self.body.len())
            .field("framing", &self.framing)
            .finish()
    }
}

/// Parses an initial context token (RFC 2743 3.1) or a bare AP-REQ.
///
/// # Errors
/// [`DecodeErrorKind::UnknownMech`] for another mechanism OID (dotted in the
/// message); other kinds for bad framing, trailing bytes or a TOK_ID that is
/// not 01 00, 02 00 or 03 00.
pub fn parse_initial_context_token(input: &[u8]) -> Result<InitialContextToken<'_>, DecodeError> {
    let mut r = Reader::new(input, "GSS token");

    // Windows DCE-style: a bare AP-REQ; ApReq::from_der checks the rest.
    if r.peek_tag() == Some(RAW_AP_REQ_TAG) {
        return Ok(InitialContextToken {
            mech: Mech::Krb5,
            token_id: Some(TokenId::ApReq),
            body: input,
            framing: Framing::RawApReq,
        });
    }

    // RFC 2743 3.1: 0x60, definite length, thisMech OID, innerToken.
    let outer = r.expect(GSS_TOKEN_TAG, "InitialContextToken")?;
    r.finish("InitialContextToken")?;
    let mut inner = r.enter(&outer)?;
    let oid_offset = inner.offset();
    let oid = inner.read_oid("thisMech")?;
    let Some(mech) = Mech::from_oid(oid) else {
        let oid = oid_to_dotted(oid.get(..64).unwrap_or(oid));
        return Err(DecodeError::new(
            "GSS token",
            oid_offset,
            DecodeErrorKind::UnknownMech { oid },
        ));
    };
    let rest = inner.remaining();
    if mech == Mech::Spnego {
        return Ok(InitialContextToken {
            mech,
            token_id: None,
            body: rest,
            framing: Framing::Gss,
        });
    }

    // RFC 4121 4.1: TOK_ID, two bytes, big-endian.
    let (Some(&t0), Some(&t1)) = (rest.first(), rest.get(1)) else {
        return Err(inner.error(DecodeErrorKind::Truncated {
            field: "TOK_ID",
            needed: 2,
            available: rest.len(),
        }));
    };
    let Some(token_id) = TokenId::from_bytes([t0, t1]) else {
        return Err(inner.error(DecodeErrorKind::BadTokenId { found: [t0, t1] }));
    };
    let body = rest.get(2..).unwrap_or_default();
    Ok(InitialContextToken {
        mech,
        token_id: Some(token_id),
        body,
        framing: Framing::Gss,
    })
}

/// Frames `body` as an initial context token: 0x60, length, the mechanism
/// OID, the TOK_ID (if any), then `body`.
#[must_use]
pub fn encode_initial_context_token(mech: Mech, token_id: Option<TokenId>, body: &[u8]) -> Vec<u8> {
    let oid = mech.oid();
    let tok = token_id.map(TokenId::to_bytes);
    let tok: &[u8] = tok.as_ref().map_or(&[], |t| t.as_slice());
    let inner_len = 2 + oid.len() + tok.len() + body.len();
    let len = length_octets(inner_len);
    let mut out = Vec::with_capacity(1 + len.len() + inner_len);
    out.push(GSS_TOKEN_TAG);
    out.extend_from_slice(&len);
    out.push(TAG_OID);
    out.extend_from_slice(&length_octets(oid.len()));
    out.extend_from_slice(oid);
    out.extend_from_slice(tok);
    out.extend_from_slice(body);
    out
}

/// The reply mechanism: the Kerberos OID that arrived (SPNEGO maps to Krb5).
fn reply_mech(mech: Mech) -> Mech {
    if mech.is_kerberos() {
        mech
    } else {
        Mech::Krb5
    }
}

/// An AP-REP output token (TOK_ID 02 00), echoing the arriving Kerberos OID.
#[must_use]
pub fn ap_rep_token(mech: Mech, ap_rep_der: &[u8]) -> Vec<u8> {
    encode_initial_context_token(reply_mech(mech), Some(TokenId::ApRep), ap_rep_der)
}

/// A KRB-ERROR output token (TOK_ID 03 00), echoing the arriving Kerberos OID.
#[must_use]
pub fn krb_error_token(mech: Mech, krb_error_der: &[u8]) -> Vec<u8> {
    encode_initial_context_token(reply_mech(mech), Some(TokenId::KrbError), krb_error_der)
}

impl std::fmt::Display for Mech {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.dotted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_each_mech_and_token_id() {
        for mech in [Mech::Krb5, Mech::MsKrb5] {
            for id in [TokenId::ApReq, TokenId::ApRep, TokenId::KrbError] {
                let body = vec![0x30; 300];
                let t = encode_initial_context_token(mech, Some(id), &body);
                let p = parse_initial_context_token(&t).unwrap();
                assert_eq!(p.mech, mech);
                assert_eq!(p.token_id, Some(id));
                assert_eq!(p.body, body.as_slice());
                assert_eq!(p.framing, Framing::Gss);
            }
        }
        let t = encode_initial_context_token(Mech::Spnego, None, b"\xa0\x03\x30\x01\x00");
        let p = parse_initial_context_token(&t).unwrap();
        assert_eq!(
            (p.mech, p.token_id, p.body),
            (Mech::Spnego, None, &b"\xa0\x03\x30\x01\x00"[..])
        );
    }

    #[test]
    fn names_unknown_mech_in_dotted_form() {
        // NTLMSSP OID.
        let t = encode_initial_context_token(Mech::Krb5, None, &[]);
        let mut t2 = vec![0x60, 0x0c, 0x06, 0x0a];
        t2.extend_from_slice(oid::NTLM);
        let err = parse_initial_context_token(&t2).unwrap_err();
        assert_eq!(
            err.kind(),
            &DecodeErrorKind::UnknownMech {
                oid: "1.3.6.1.4.1.311.2.2.10".into()
            }
        );
        assert!(err.to_string().contains("1.3.6.1.4.1.311.2.2.10"), "{err}");
        assert_eq!(err.gss_major(), crate::consts::GssMajor::BadMech);
        drop(t);
    }

    #[test]
    fn rejects_bad_token_id_and_trailing_bytes() {
        let t = encode_initial_context_token(Mech::Krb5, None, &[0x04, 0x04]);
        let err = parse_initial_context_token(&t).unwrap_err();
        assert_eq!(err.kind(), &DecodeErrorKind::BadTokenId { found: [4, 4] });
        let mut t = ap_rep_token(Mech::Krb5, &[0x6f, 0x00]);
        t.push(0);
        assert!(matches!(
            parse_initial_context_token(&t).unwrap_err().kind(),
            DecodeErrorKind::TrailingData { .. }
        ));
        assert!(parse_initial_context_token(&[]).is_err());
        assert!(parse_initial_context_token(&[0x60, 0x80, 0, 0]).is_err());
    }

    #[test]
    fn reports_bare_ap_req() {
        let p = parse_initial_context_token(&[0x6e, 0x00]).unwrap();
        assert_eq!(p.framing, Framing::RawApReq);
        assert_eq!(p.token_id, Some(TokenId::ApReq));
    }

    #[test]
    fn replies_echo_the_kerberos_oid() {
        let t = ap_rep_token(Mech::MsKrb5, &[0x6f, 0x00]);
        assert_eq!(parse_initial_context_token(&t).unwrap().mech, Mech::MsKrb5);
        let t = krb_error_token(Mech::Spnego, &[0x7e, 0x00]);
        let p = parse_initial_context_token(&t).unwrap();
        assert_eq!((p.mech, p.token_id), (Mech::Krb5, Some(TokenId::KrbError)));
    }
}
