//! RFC 4757 section 7 (RFC 1964 section 1.2 layout) per-message tokens for
//! arcfour-hmac contexts without an acceptor subkey: MIC 01 01 and Wrap 02 01,
//! framed as RFC 2743 3.1 tokens (0x60, length, Kerberos OID).
//!
//! Inner token: TOK_ID(2) SGN_ALG 11 00(2) SEAL_ALG 10 00 or ff ff(2) filler ff ff(2)
//! SND_SEQ(8, encrypted) SGN_CKSUM(8); Wrap adds Confounder(8) and data with one
//! padding byte 0x01, all RC4-encrypted when sealed.

use kerbgate_crypto::{
    rc4_gss_seal_crypt, rc4_gss_seq_crypt, rc4_gss_sign, RC4_GSS_USAGE_MIC, RC4_GSS_USAGE_WRAP,
};
use subtle::ConstantTimeEq;

use crate::consts::oid;
use crate::der::length_octets;
use crate::token::{Mech, GSS_TOKEN_TAG};
use crate::wrap::error::{Defect, TokenKind, WrapError};
use crate::wrap::{Engine, Role, MAX_TOKEN_LEN};

const TOK_MIC: [u8; 2] = [0x01, 0x01];
const TOK_WRAP: [u8; 2] = [0x02, 0x01];
/// RFC 4757 7.1: SGN_ALG for HMAC-MD5.
const SGN_HMAC_MD5: [u8; 2] = [0x11, 0x00];
/// RFC 4757 7.1: SEAL_ALG for RC4, and "none".
const SEAL_RC4: [u8; 2] = [0x10, 0x00];
const SEAL_NONE: [u8; 2] = [0xff, 0xff];
/// Header (8) + SND_SEQ (8) + SGN_CKSUM (8).
const MIC_LEN: usize = 24;
/// MIC part plus the confounder.
const WRAP_FIXED: usize = 32;

fn crypto(reason: kerbgate_crypto::Error) -> WrapError {
    WrapError::Crypto { reason }
}

/// The OID of our tokens: the context's Kerberos OID.
fn token_oid(mech: Mech) -> &'static [u8] {
    match mech {
        Mech::MsKrb5 => oid::MS_KRB5,
        _ => oid::KRB5,
    }
}

/// RFC 2743 3.1 framing around `inner`.
fn frame(mech: Mech, inner: &[u8]) -> Vec<u8> {
    let oid = token_oid(mech);
    let body_len = 2 + oid.len() + inner.len();
    let len = length_octets(body_len);
    let mut out = Vec::with_capacity(1 + len.len() + body_len);
    out.push(GSS_TOKEN_TAG);
    out.extend_from_slice(&len);
    out.push(0x06);
    out.extend_from_slice(&length_octets(oid.len()));
    out.extend_from_slice(oid);
    out.extend_from_slice(inner);
    out
}

/// Strips RFC 2743 3.1 framing; the length must cover the token exactly and the OID
/// must be one of the two Kerberos OIDs.
fn unframe(token: &[u8], kind: TokenKind) -> Result<&[u8], WrapError> {
    let bad = || WrapError::defective(kind, Defect::Framing);
    if token.len() > MAX_TOKEN_LEN {
        return Err(WrapError::defective(
            kind,
            Defect::TooLong {
                len: token.len(),
                max: MAX_TOKEN_LEN,
            },
        ));
    }
    let [tag, first, rest @ ..] = token else {
        return Err(bad());
    };
    if *tag != GSS_TOKEN_TAG {
        return Err(bad());
    }

    // DER definite length, short or long form (at most 4 length octets).
    let (len, rest) = if *first < 0x80 {
        (usize::from(*first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(bad());
        }
        let (octets, rest) = rest.split_at_checked(n).ok_or_else(bad)?;
        let len = octets
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, rest)
    };
    if len != rest.len() {
        return Err(bad());
    }

    let [0x06, oid_len, rest @ ..] = rest else {
        return Err(bad());
    };
    let (oid, inner) = rest
        .split_at_checked(usize::from(*oid_len))
        .ok_or_else(bad)?;
    if oid != oid::KRB5 && oid != oid::MS_KRB5 {
        return Err(bad());
    }
    Ok(inner)
}

/// SND_SEQ plaintext: sequence number big-endian, then four direction bytes
/// (RFC 4757 7.3: 00 from the initiator, ff from the acceptor).
fn seq_plain(sender: Role, seq: u32) -> [u8; 8] {
    let d = match sender {
        Role::Initiator => 0x00,
        Role::Acceptor => 0xff,
    };
    let s = seq.to_be_bytes();
    [s[0], s[1], s[2], s[3], d, d, d, d]
}

fn cksum8(full: &[u8; 16]) -> [u8; 8] {
    let mut c = [0u8; 8];
    c.copy_from_slice(full.get(..8).unwrap_or(&[0; 8]));
    c
}

/// Builds a Wrap token (RFC 4757 7.3).
pub(crate) fn wrap(e: &Engine, seq: u32, data: &[u8], conf: bool) -> Result<Vec<u8>, WrapError> {
    let seal = if conf { SEAL_RC4 } else { SEAL_NONE };
    let header = [
        TOK_WRAP[0],
        TOK_WRAP[1],
        SGN_HMAC_MD5[0],
        SGN_HMAC_MD5[1],
        seal[0],
        seal[1],
        0xff,
        0xff,
    ];
    let mut inner = Vec::with_capacity(WRAP_FIXED + data.len() + 1);
    inner.extend_from_slice(&header);
    inner.extend_from_slice(&[0u8; 16]);
    let mut confounder = [0u8; 8];
    getrandom::fill(&mut confounder)
        .map_err(|_| crypto(kerbgate_crypto::Error::RandomUnavailable))?;
    inner.extend_from_slice(&confounder);
    inner.extend_from_slice(data);
    // RFC 4757 7.3: one padding byte (RC4 is a stream cipher, block size 1).
    inner.push(0x01);

    let body = inner.get(WRAP_FIXED - 8..).unwrap_or_default();
    let full = rc4_gss_sign(&e.key, RC4_GSS_USAGE_WRAP, &[&header, body]).map_err(crypto)?;
    let cksum = cksum8(&full);
    let mut snd = seq_plain(e.role, seq);
    rc4_gss_seq_crypt(&e.key, &cksum, &mut snd).map_err(crypto)?;
    if let Some(f) = inner.get_mut(8..24) {
        let (s, c) = f.split_at_mut(8);
        s.copy_from_slice(&snd);
        c.copy_from_slice(&cksum);
    }
    if conf {
        let body = inner.get_mut(WRAP_FIXED - 8..).unwrap_or_default();
        rc4_gss_seal_crypt(&e.key, seq.to_be_bytes(), body).map_err(crypto)?;
    }
    Ok(frame(e.mech, &inner))
}

/// Checks the 8-byte header; returns whether the token is sealed.
fn check_header(inner: &[u8], kind: TokenKind) -> Result<bool, WrapError> {
    let bad = |d| WrapError::defective(kind, d);
    let (min, expected) = match kind {
        TokenKind::Wrap => (WRAP_FIXED + 1, TOK_WRAP),
        TokenKind::Mic => (MIC_LEN, TOK_MIC),
    };
    let [t0, t1, s0, s1, e0, e1, f0, f1, ..] = *inner else {
        return Err(bad(Defect::TooShort {
            len: inner.len(),
            min,
        }));
    };
    if [t0, t1] != expected {
        return Err(bad(Defect::TokenId {
            found: [t0, t1],
            expected,
        }));
    }
    if inner.len() < min {
        return Err(bad(Defect::TooShort {
            len: inner.len(),
            min,
        }));
    }
    let (sgn, seal) = ([s0, s1], [e0, e1]);
    // RFC 4757 7.1: HMAC-MD5 signatures; RC4 or no sealing (MIC: no sealing).
    let seal_ok = seal == SEAL_NONE || (kind == TokenKind::Wrap && seal == SEAL_RC4);
    if sgn != SGN_HMAC_MD5 || !seal_ok {
        return Err(bad(Defect::Algorithm { sgn, seal }));
    }
    if [f0, f1] != [0xff, 0xff] {
        return Err(bad(Defect::Filler));
    }
    Ok(seal == SEAL_RC4)
}

/// Decrypts SND_SEQ; returns the sequence number and whether the direction bytes
/// name the peer (checked by the caller after the signature).
fn open_seq(e: &Engine, inner: &[u8], cksum: &[u8]) -> Result<(u32, bool), WrapError> {
    let mut snd = [0u8; 8];
    snd.copy_from_slice(inner.get(8..16).unwrap_or(&[0; 8]));
    rc4_gss_seq_crypt(&e.key, cksum, &mut snd).map_err(crypto)?;
    let seq = u32::from_be_bytes([snd[0], snd[1], snd[2], snd[3]]);
    let from_peer = snd == seq_plain(e.role.peer(), seq);
    Ok((seq, from_peer))
}

/// Verifies and opens a Wrap token (RFC 4757 7.3).
pub(crate) fn unwrap(e: &Engine, token: &[u8]) -> Result<(Vec<u8>, bool, u32), WrapError> {
    let kind = TokenKind::Wrap;
    let inner = unframe(token, kind)?;
    let sealed = check_header(inner, kind)?;
    let header = inner.get(..8).unwrap_or_default();
    let cksum = inner.get(16..24).unwrap_or_default();
    let (seq, from_peer) = open_seq(e, inner, cksum)?;

    let mut body = inner.get(24..).unwrap_or_default().to_vec();
    if sealed {
        rc4_gss_seal_crypt(&e.key, seq.to_be_bytes(), &mut body).map_err(crypto)?;
    }
    let full = rc4_gss_sign(&e.key, RC4_GSS_USAGE_WRAP, &[header, &body]).map_err(crypto)?;
    if !bool::from(full.get(..8).unwrap_or_default().ct_eq(cksum)) {
        return Err(WrapError::BadMic { token: kind });
    }
    if !from_peer {
        return Err(WrapError::WrongDirection { token: kind });
    }

    // RFC 1964 1.2.2.3: 1 to 8 padding bytes, each holding the pad length.
    let pad = body.last().copied().unwrap_or(0);
    let p = usize::from(pad);
    let data_len = body.len().saturating_sub(8);
    if !(1..=8).contains(&p) || p > data_len {
        return Err(WrapError::defective(kind, Defect::Padding { pad }));
    }
    if !body.iter().rev().take(p).all(|b| *b == pad) {
        return Err(WrapError::defective(kind, Defect::Padding { pad }));
    }
    body.truncate(body.len() - p);
    body.drain(..8);
    Ok((body, sealed, seq))
}

/// Builds a MIC token (RFC 4757 7.3).
pub(crate) fn get_mic(e: &Engine, seq: u32, data: &[u8]) -> Result<Vec<u8>, WrapError> {
    let header = [
        TOK_MIC[0],
        TOK_MIC[1],
        SGN_HMAC_MD5[0],
        SGN_HMAC_MD5[1],
        0xff,
        0xff,
        0xff,
        0xff,
    ];
    let full = rc4_gss_sign(&e.key, RC4_GSS_USAGE_MIC, &[&header, data]).map_err(crypto)?;
    let cksum = cksum8(&full);
    let mut snd = seq_plain(e.role, seq);
    rc4_gss_seq_crypt(&e.key, &cksum, &mut snd).map_err(crypto)?;
    let mut inner = Vec::with_capacity(MIC_LEN);
    inner.extend_from_slice(&header);
    inner.extend_from_slice(&snd);
    inner.extend_from_slice(&cksum);
    Ok(frame(e.mech, &inner))
}

/// Verifies a MIC token; returns its sequence number (RFC 4757 7.3).
pub(crate) fn verify_mic(e: &Engine, data: &[u8], token: &[u8]) -> Result<u32, WrapError> {
    let kind = TokenKind::Mic;
    let inner = unframe(token, kind)?;
    check_header(inner, kind)?;
    if inner.len() != MIC_LEN {
        return Err(WrapError::defective(
            kind,
            Defect::ChecksumLength {
                len: inner.len().saturating_sub(16),
                expected: 8,
            },
        ));
    }
    let header = inner.get(..8).unwrap_or_default();
    let cksum = inner.get(16..24).unwrap_or_default();
    let (seq, from_peer) = open_seq(e, inner, cksum)?;
    let full = rc4_gss_sign(&e.key, RC4_GSS_USAGE_MIC, &[header, data]).map_err(crypto)?;
    if !bool::from(full.get(..8).unwrap_or_default().ct_eq(cksum)) {
        return Err(WrapError::BadMic { token: kind });
    }
    if !from_peer {
        return Err(WrapError::WrongDirection { token: kind });
    }
    Ok(seq)
}

/// Length of the framed Wrap token for `n` bytes of data.
fn wrapped_len(mech: Mech, n: usize) -> usize {
    let inner = WRAP_FIXED + n + 1;
    let body = 2 + token_oid(mech).len() + inner;
    1 + length_octets(body).len() + body
}

/// Largest plaintext whose Wrap token fits in `max_output` bytes.
pub(crate) fn size_limit(e: &Engine, max_output: usize) -> usize {
    // Framing adds at most 1 + 5 + 2 + OID length; start below and step up.
    let mut n = max_output.saturating_sub(WRAP_FIXED + 1 + 8 + token_oid(e.mech).len());
    while wrapped_len(e.mech, n + 1) <= max_output {
        n += 1;
    }
    while n > 0 && wrapped_len(e.mech, n) > max_output {
        n -= 1;
    }
    n
}
