//! RFC 4178 section 4.2 negotiation tokens: NegTokenInit and NegTokenResp.
//!
//! ```text
//! NegotiationToken ::= CHOICE {
//!     negTokenInit    [0] NegTokenInit,
//!     negTokenResp    [1] NegTokenResp }
//! NegTokenInit ::= SEQUENCE {
//!     mechTypes       [0] MechTypeList,
//!     reqFlags        [1] ContextFlags  OPTIONAL,
//!     mechToken       [2] OCTET STRING  OPTIONAL,
//!     mechListMIC     [3] OCTET STRING  OPTIONAL, ... }
//! NegTokenResp ::= SEQUENCE {
//!     negState        [0] ENUMERATED { accept-completed (0), accept-incomplete (1),
//!                                      reject (2), request-mic (3) } OPTIONAL,
//!     supportedMech   [1] MechType      OPTIONAL,
//!     responseToken   [2] OCTET STRING  OPTIONAL,
//!     mechListMIC     [3] OCTET STRING  OPTIONAL, ... }
//! ```
//!
//! The initiator's first token is framed (RFC 2743 3.1, the SPNEGO OID); every later
//! token, both ways, is a bare NegotiationToken.

use std::fmt;

use crate::consts::oid;
use crate::der::{
    context, DecodeError, DecodeErrorKind, Reader, Writer, TAG_BIT_STRING, TAG_OCTET_STRING,
    TAG_OID, TAG_SEQUENCE,
};
use crate::token::{parse_initial_context_token, Mech};

/// Most mechanism OIDs read from one MechTypeList; Windows sends four or five.
pub const MAX_MECH_TYPES: usize = 32;

/// The ENUMERATED tag.
const TAG_ENUMERATED: u8 = 0x0a;

/// RFC 4178 4.2.2 negState.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NegState {
    /// accept-completed (0): no further negotiation tokens are expected from the peer.
    AcceptCompleted,
    /// accept-incomplete (1): more tokens follow.
    AcceptIncomplete,
    /// reject (2): negotiation failed.
    Reject,
    /// request-mic (3): the target chose a mechanism other than the initiator's first
    /// and asks for a mechListMIC.
    RequestMic,
}

impl NegState {
    /// The ENUMERATED value.
    #[must_use]
    pub fn to_u8(self) -> u8 {
        match self {
            Self::AcceptCompleted => 0,
            Self::AcceptIncomplete => 1,
            Self::Reject => 2,
            Self::RequestMic => 3,
        }
    }

    /// The state for an ENUMERATED value, if defined.
    #[must_use]
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::AcceptCompleted),
            1 => Some(Self::AcceptIncomplete),
            2 => Some(Self::Reject),
            3 => Some(Self::RequestMic),
            _ => None,
        }
    }

    /// The RFC 4178 name, e.g. "accept-completed".
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::AcceptCompleted => "accept-completed",
            Self::AcceptIncomplete => "accept-incomplete",
            Self::Reject => "reject",
            Self::RequestMic => "request-mic",
        }
    }
}

/// A parsed NegTokenInit. Debug shows lengths, never token bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct NegTokenInit<'a> {
    /// The mechanism OIDs (contents octets) in the initiator's order of preference.
    pub mech_types: Vec<&'a [u8]>,
    /// The DER of the MechTypeList SEQUENCE exactly as sent: the mechListMIC input.
    pub mech_types_der: &'a [u8],
    /// The optimistic token for the first mechanism, if sent.
    pub mech_token: Option<&'a [u8]>,
    /// The mechListMIC, if sent under `[3]`.
    pub mech_list_mic: Option<&'a [u8]>,
}

impl fmt::Debug for NegTokenInit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mechs: Vec<String> = self.mech_types.iter().map(|o| dotted(o)).collect();
        f.debug_struct("NegTokenInit")
            .field("mech_types", &mechs)
            .field("mech_token_len", &self.mech_token.map(<[u8]>::len))
            .field("mech_list_mic_len", &self.mech_list_mic.map(<[u8]>::len))
            .finish()
    }
}

/// A parsed NegTokenResp. Debug shows lengths, never token bytes.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct NegTokenResp<'a> {
    /// negState, if present.
    pub neg_state: Option<NegState>,
    /// supportedMech (OID contents octets), if present.
    pub supported_mech: Option<&'a [u8]>,
    /// responseToken: the mechanism token, if present.
    pub response_token: Option<&'a [u8]>,
    /// mechListMIC, if present under `[3]`.
    pub mech_list_mic: Option<&'a [u8]>,
}

impl fmt::Debug for NegTokenResp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NegTokenResp")
            .field("neg_state", &self.neg_state)
            .field("supported_mech", &self.supported_mech.map(dotted))
            .field("response_token_len", &self.response_token.map(<[u8]>::len))
            .field("mech_list_mic_len", &self.mech_list_mic.map(<[u8]>::len))
            .finish()
    }
}

/// Either negotiation token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationToken<'a> {
    /// `[0]` NegTokenInit.
    Init(NegTokenInit<'a>),
    /// `[1]` NegTokenResp.
    Resp(NegTokenResp<'a>),
}

fn dotted(oid: &[u8]) -> String {
    crate::der::oid_to_dotted(oid.get(..64).unwrap_or(oid))
}

/// The mechanism named by OID contents octets, as this crate knows it.
#[must_use]
pub fn kerberos_mech(oid: &[u8]) -> Option<Mech> {
    Mech::from_oid(oid).filter(|m| m.is_kerberos())
}

/// True for the NTLMSSP OID.
#[must_use]
pub fn is_ntlm_oid(o: &[u8]) -> bool {
    o == oid::NTLM
}

/// True when `token` is a raw NTLMSSP message (signature "NTLMSSP\0"), as browsers
/// send in a `Negotiate` header when they have no Kerberos ticket.
#[must_use]
pub fn is_raw_ntlmssp(token: &[u8]) -> bool {
    token.starts_with(b"NTLMSSP\0")
}

/// Parses the initiator's first token: RFC 2743 framing with the SPNEGO OID around
/// a `[0]` NegTokenInit.
///
/// # Errors
/// [`DecodeErrorKind::UnknownMech`] or another framing error when the token is not
/// SPNEGO; other kinds when the NegTokenInit is malformed (e.g. more than
/// [`MAX_MECH_TYPES`] mechanisms, a non-OCTET STRING mechListMIC, trailing data).
pub fn parse_initial(input: &[u8]) -> Result<NegTokenInit<'_>, DecodeError> {
    let framed = parse_initial_context_token(input)?;
    if framed.mech != Mech::Spnego {
        return Err(DecodeError::new(
            "SPNEGO token",
            0,
            DecodeErrorKind::UnknownMech {
                oid: framed.mech.dotted().to_string(),
            },
        ));
    }
    match parse_negotiation_token(framed.body)? {
        NegotiationToken::Init(init) => Ok(init),
        NegotiationToken::Resp(_) => Err(DecodeError::new(
            "SPNEGO token",
            0,
            DecodeErrorKind::UnexpectedTag {
                field: "negTokenInit",
                expected: crate::der::Tag(context(0)),
                found: crate::der::Tag(context(1)),
            },
        )),
    }
}

/// Parses a bare NegotiationToken (`[0]` NegTokenInit or `[1]` NegTokenResp).
///
/// # Errors
/// On malformed DER, a wrong CHOICE tag, an undefined negState, or trailing data.
pub fn parse_negotiation_token(input: &[u8]) -> Result<NegotiationToken<'_>, DecodeError> {
    let mut r = Reader::new(input, "SPNEGO token");
    let choice = match r.peek_tag() {
        Some(t) if t == context(1) => 1,
        _ => 0,
    };
    let outer = r.expect(context(choice), "NegotiationToken")?;
    r.finish("NegotiationToken")?;
    let mut inner = r.enter(&outer)?;
    let mut seq = inner.read_sequence(if choice == 0 {
        "NegTokenInit"
    } else {
        "NegTokenResp"
    })?;
    inner.finish("NegotiationToken")?;
    if choice == 0 {
        parse_init(&mut seq).map(NegotiationToken::Init)
    } else {
        parse_resp(&mut seq).map(NegotiationToken::Resp)
    }
}

fn octets<'a>(r: &mut Reader<'a>, field: &'static str) -> Result<&'a [u8], DecodeError> {
    Ok(r.expect(TAG_OCTET_STRING, field)?.value)
}

fn parse_init<'a>(seq: &mut Reader<'a>) -> Result<NegTokenInit<'a>, DecodeError> {
    // RFC 4178 4.2.1: mechTypes is required; keep its DER for the mechListMIC.
    let (mech_types, mech_types_der) = seq.explicit(0, "mechTypes", |r| {
        let list = r.expect(TAG_SEQUENCE, "MechTypeList")?;
        let mut items = r.enter(&list)?;
        let mut oids = Vec::new();
        while !items.is_empty() {
            if oids.len() >= MAX_MECH_TYPES {
                return Err(items.error(DecodeErrorKind::TooMany {
                    field: "MechTypeList",
                    limit: MAX_MECH_TYPES,
                }));
            }
            oids.push(items.read_oid("MechType")?);
        }
        Ok((oids, list.raw))
    })?;

    // RFC 4178 4.2.1: reqFlags carries no meaning for the acceptor; check it is a
    // BIT STRING and ignore it.
    seq.optional(1, "reqFlags", |r| {
        r.expect(TAG_BIT_STRING, "ContextFlags").map(|_| ())
    })?;
    let mech_token = seq.optional(2, "mechToken", |r| octets(r, "mechToken"))?;
    let mech_list_mic = seq.optional(3, "mechListMIC", |r| octets(r, "mechListMIC"))?;

    // RFC 4178 4.2.1: the SEQUENCE is extensible; later elements are skipped, and
    // nothing there is ever taken as a MIC.
    seq.skip_extensions(3, "NegTokenInit")?;
    Ok(NegTokenInit {
        mech_types,
        mech_types_der,
        mech_token,
        mech_list_mic,
    })
}

fn parse_resp<'a>(seq: &mut Reader<'a>) -> Result<NegTokenResp<'a>, DecodeError> {
    let neg_state = seq.optional(0, "negState", |r| {
        let tlv = r.expect(TAG_ENUMERATED, "negState")?;
        let value = match tlv.value {
            [v] => NegState::from_u8(*v),
            _ => None,
        };
        value.ok_or_else(|| {
            r.error(DecodeErrorKind::BadValue {
                field: "negState",
                expected: 0,
                found: tlv.value.first().copied().map_or(-1, i64::from),
            })
        })
    })?;
    let supported_mech = seq.optional(1, "supportedMech", |r| r.read_oid("supportedMech"))?;
    let response_token = seq.optional(2, "responseToken", |r| octets(r, "responseToken"))?;
    let mech_list_mic = seq.optional(3, "mechListMIC", |r| octets(r, "mechListMIC"))?;
    seq.skip_extensions(3, "NegTokenResp")?;
    Ok(NegTokenResp {
        neg_state,
        supported_mech,
        response_token,
        mech_list_mic,
    })
}

/// Encodes a bare `[1]` NegTokenResp (RFC 4178 4.2.2), omitting absent fields.
#[must_use]
pub fn encode_resp(resp: &NegTokenResp<'_>) -> Vec<u8> {
    let cap =
        32 + resp.response_token.map_or(0, <[u8]>::len) + resp.mech_list_mic.map_or(0, <[u8]>::len);
    let mut w = Writer::with_capacity(cap);
    w.explicit(1, |w| {
        w.sequence(|w| {
            if let Some(state) = resp.neg_state {
                w.explicit(0, |w| w.primitive(TAG_ENUMERATED, &[state.to_u8()]));
            }
            if let Some(mech) = resp.supported_mech {
                w.explicit(1, |w| w.primitive(TAG_OID, mech));
            }
            if let Some(tok) = resp.response_token {
                w.explicit(2, |w| w.octet_string(tok));
            }
            if let Some(mic) = resp.mech_list_mic {
                w.explicit(3, |w| w.octet_string(mic));
            }
        });
    });
    w.into_bytes()
}

/// Encodes a framed NegTokenInit (RFC 2743 3.1 around RFC 4178 4.2.1), as an
/// initiator sends it; for tests, fuzzing and loopback tools.
#[must_use]
pub fn encode_init(mech_types: &[&[u8]], mech_token: Option<&[u8]>, mic: Option<&[u8]>) -> Vec<u8> {
    let mut w = Writer::with_capacity(64 + mech_token.map_or(0, <[u8]>::len));
    w.explicit(0, |w| {
        w.sequence(|w| {
            w.explicit(0, |w| {
                w.sequence(|w| {
                    for m in mech_types {
                        w.primitive(TAG_OID, m);
                    }
                });
            });
            if let Some(tok) = mech_token {
                w.explicit(2, |w| w.octet_string(tok));
            }
            if let Some(mic) = mic {
                w.explicit(3, |w| w.octet_string(mic));
            }
        });
    });
    crate::token::encode_initial_context_token(Mech::Spnego, None, &w.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_init_and_resp() {
        let t = encode_init(&[oid::NEGOEX, oid::MS_KRB5], Some(b"tok"), Some(b"mic"));
        let init = parse_initial(&t).unwrap();
        assert_eq!(init.mech_types, vec![oid::NEGOEX, oid::MS_KRB5]);
        assert_eq!(init.mech_token, Some(&b"tok"[..]));
        assert_eq!(init.mech_list_mic, Some(&b"mic"[..]));
        assert_eq!(init.mech_types_der.first(), Some(&TAG_SEQUENCE));

        let resp = NegTokenResp {
            neg_state: Some(NegState::RequestMic),
            supported_mech: Some(oid::KRB5),
            response_token: Some(b"rep"),
            mech_list_mic: None,
        };
        let bytes = encode_resp(&resp);
        assert_eq!(
            parse_negotiation_token(&bytes).unwrap(),
            NegotiationToken::Resp(resp)
        );
    }

    #[test]
    fn refuses_undefined_neg_state_and_trailing_bytes() {
        let mut bytes = encode_resp(&NegTokenResp {
            neg_state: Some(NegState::Reject),
            ..NegTokenResp::default()
        });
        // a1 07 30 05 a0 03 0a 01 02: patch the state to 9.
        if let Some(last) = bytes.last_mut() {
            *last = 9;
        }
        assert!(parse_negotiation_token(&bytes).is_err());
        let mut ok = encode_resp(&NegTokenResp::default());
        ok.push(0);
        assert!(parse_negotiation_token(&ok).is_err());
    }

    #[test]
    fn caps_mech_types() {
        let many = vec![oid::NTLM; MAX_MECH_TYPES + 1];
        let t = encode_init(&many, None, None);
        assert!(matches!(
            parse_initial(&t).unwrap_err().kind(),
            DecodeErrorKind::TooMany { .. }
        ));
    }
}
