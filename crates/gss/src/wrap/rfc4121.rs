//! RFC 4121 section 4.2 per-message tokens: MIC (04 04) and Wrap (05 04).
//!
//! Wrap token: TOK_ID(2) Flags(1) Filler 0xFF(1) EC(2) RRC(2) SND_SEQ(8), then the
//! body rotated right by RRC octets. Sealed: body = E(plaintext | EC filler octets |
//! header with RRC 0). Integrity only: body = plaintext | checksum, EC = checksum
//! length. MIC token: TOK_ID(2) Flags(1) Filler 0xFF x5 SND_SEQ(8) checksum.

use std::borrow::Cow;

use kerbgate_crypto::Key;
use subtle::ConstantTimeEq;

use crate::wrap::error::{Defect, TokenKind, WrapError};
use crate::wrap::{Engine, Role, MAX_TOKEN_LEN};

/// TOK_ID of a MIC token (RFC 4121 4.2.6.1).
pub(crate) const TOK_MIC: [u8; 2] = [0x04, 0x04];
/// TOK_ID of a Wrap token (RFC 4121 4.2.6.2).
pub(crate) const TOK_WRAP: [u8; 2] = [0x05, 0x04];

/// RFC 4121 4.2.2 flags.
const FLAG_SENT_BY_ACCEPTOR: u8 = 0x01;
const FLAG_SEALED: u8 = 0x02;
const FLAG_ACCEPTOR_SUBKEY: u8 = 0x04;

/// Length of the fixed header of both token types.
const HEADER: usize = 16;

/// RFC 4121 2: key usages by sender; Wrap tokens (sealed or not) use the seal usage,
/// MIC tokens the sign usage.
fn seal_usage(sender: Role) -> u32 {
    use crate::consts::key_usage;
    match sender {
        Role::Acceptor => key_usage::ACCEPTOR_SEAL,
        Role::Initiator => key_usage::INITIATOR_SEAL,
    }
}

fn sign_usage(sender: Role) -> u32 {
    use crate::consts::key_usage;
    match sender {
        Role::Acceptor => key_usage::ACCEPTOR_SIGN,
        Role::Initiator => key_usage::INITIATOR_SIGN,
    }
}

fn crypto(reason: kerbgate_crypto::Error) -> WrapError {
    WrapError::Crypto { reason }
}

fn cksum_len(key: &Key) -> usize {
    key.enctype().checksum_type().size()
}

/// Flags for a token we send.
fn our_flags(e: &Engine, sealed: bool) -> u8 {
    let mut f = 0;
    if e.role == Role::Acceptor {
        f |= FLAG_SENT_BY_ACCEPTOR;
    }
    if sealed {
        f |= FLAG_SEALED;
    }
    if e.acceptor_subkey {
        f |= FLAG_ACCEPTOR_SUBKEY;
    }
    f
}

fn wrap_header(flags: u8, ec: u16, rrc: u16, seq: u64) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    let (id, rest) = h.split_at_mut(2);
    id.copy_from_slice(&TOK_WRAP);
    let (fl, rest) = rest.split_at_mut(2);
    fl.copy_from_slice(&[flags, 0xff]);
    let (ecb, rest) = rest.split_at_mut(2);
    ecb.copy_from_slice(&ec.to_be_bytes());
    let (rrcb, seqb) = rest.split_at_mut(2);
    rrcb.copy_from_slice(&rrc.to_be_bytes());
    seqb.copy_from_slice(&seq.to_be_bytes());
    h
}

fn mic_header(flags: u8, seq: u64) -> [u8; HEADER] {
    let mut h = [0xffu8; HEADER];
    let (id, rest) = h.split_at_mut(2);
    id.copy_from_slice(&TOK_MIC);
    let (fl, rest) = rest.split_at_mut(1);
    fl.copy_from_slice(&[flags]);
    let (_filler, seqb) = rest.split_at_mut(5);
    seqb.copy_from_slice(&seq.to_be_bytes());
    h
}

/// The rotation actually applied: RRC, plus EC for sealed tokens of DCE-style
/// contexts (MS-KILE 3.4.5.4.1), modulo the length of the rotated part.
fn rotation(e: &Engine, sealed: bool, ec: u16, rrc: u16, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let mut r = usize::from(rrc);
    if e.dce && sealed {
        r += usize::from(ec);
    }
    r % len
}

/// Builds a Wrap token (RFC 4121 4.2.4, 4.2.6.2).
pub(crate) fn wrap(
    e: &Engine,
    seq: u64,
    data: &[u8],
    conf: bool,
    ec: u16,
    rrc: u16,
) -> Result<Vec<u8>, WrapError> {
    let flags = our_flags(e, conf);
    let sender = e.role;

    let mut token;
    if conf {
        // RFC 4121 4.2.4: encrypt plaintext | EC filler octets | header with RRC 0.
        let mut plain = Vec::with_capacity(data.len() + usize::from(ec) + HEADER);
        plain.extend_from_slice(data);
        plain.resize(data.len() + usize::from(ec), 0);
        plain.extend_from_slice(&wrap_header(flags, ec, 0, seq));
        let ct = e.key.encrypt(seal_usage(sender), &plain).map_err(crypto)?;
        token = Vec::with_capacity(HEADER + ct.len());
        token.extend_from_slice(&wrap_header(flags, ec, rrc, seq));
        token.extend_from_slice(&ct);
    } else {
        // RFC 4121 4.2.4: checksum over plaintext | header with EC and RRC 0, with the
        // seal key usage like every Wrap token; EC then carries the checksum length.
        let mut signed = Vec::with_capacity(data.len() + HEADER);
        signed.extend_from_slice(data);
        signed.extend_from_slice(&wrap_header(flags, 0, 0, seq));
        let cksum = e
            .key
            .checksum(seal_usage(sender), &signed)
            .map_err(crypto)?;
        let ec = u16::try_from(cksum.len()).unwrap_or(u16::MAX);
        token = Vec::with_capacity(HEADER + data.len() + cksum.len());
        token.extend_from_slice(&wrap_header(flags, ec, rrc, seq));
        token.extend_from_slice(data);
        token.extend_from_slice(&cksum);
    }

    // RFC 4121 4.2.5: rotate the body right by RRC.
    let body = token.get_mut(HEADER..).unwrap_or_default();
    let r = rotation(e, conf, ec, rrc, body.len());
    body.rotate_right(r);
    Ok(token)
}

/// A received token's verified content.
pub(crate) struct Opened {
    pub(crate) data: Vec<u8>,
    pub(crate) sealed: bool,
    pub(crate) seq: u64,
}

/// Reads the two bytes at `at` as big-endian.
fn be16(h: &[u8; HEADER], at: usize) -> u16 {
    let b = h.get(at..at + 2).unwrap_or(&[0, 0]);
    u16::from_be_bytes([
        b.first().copied().unwrap_or(0),
        b.get(1).copied().unwrap_or(0),
    ])
}

fn seq_of(h: &[u8; HEADER]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(h.get(8..16).unwrap_or(&[0; 8]));
    u64::from_be_bytes(b)
}

/// Splits the header off and checks TOK_ID, direction and subkey flags (RFC 4121
/// 4.2.2, 4.2.6).
fn split_header<'t>(
    e: &Engine,
    token: &'t [u8],
    kind: TokenKind,
) -> Result<([u8; HEADER], &'t [u8]), WrapError> {
    let bad = |d| WrapError::defective(kind, d);
    if token.len() > MAX_TOKEN_LEN {
        return Err(bad(Defect::TooLong {
            len: token.len(),
            max: MAX_TOKEN_LEN,
        }));
    }
    let Some((head, body)) = token.split_at_checked(HEADER) else {
        return Err(bad(Defect::TooShort {
            len: token.len(),
            min: HEADER,
        }));
    };
    let mut h = [0u8; HEADER];
    h.copy_from_slice(head);

    let expected = match kind {
        TokenKind::Wrap => TOK_WRAP,
        TokenKind::Mic => TOK_MIC,
    };
    let found = [h[0], h[1]];
    if found != expected {
        return Err(bad(Defect::TokenId { found, expected }));
    }

    // RFC 4121 4.2.2: the token must come from the other side.
    let from_acceptor = h[2] & FLAG_SENT_BY_ACCEPTOR != 0;
    if from_acceptor == (e.role == Role::Acceptor) {
        return Err(WrapError::WrongDirection { token: kind });
    }
    // RFC 4121 4.2.2: AcceptorSubkey is set exactly when the context has one.
    let subkey = h[2] & FLAG_ACCEPTOR_SUBKEY != 0;
    if subkey != e.acceptor_subkey {
        return Err(bad(Defect::SubkeyFlag { set: subkey }));
    }
    // RFC 4121 4.2.3 / 4.2.6.1: filler octets are 0xFF.
    let filler_ok = match kind {
        TokenKind::Wrap => h[3] == 0xff,
        TokenKind::Mic => h.get(3..8).is_some_and(|f| f.iter().all(|b| *b == 0xff)),
    };
    if !filler_ok {
        return Err(bad(Defect::Filler));
    }
    Ok((h, body))
}

/// Verifies and opens a Wrap token (RFC 4121 4.2.4 to 4.2.6.2).
pub(crate) fn unwrap(e: &Engine, token: &[u8]) -> Result<Opened, WrapError> {
    let kind = TokenKind::Wrap;
    let bad = |d| WrapError::defective(kind, d);
    let (h, body) = split_header(e, token, kind)?;
    let sealed = h[2] & FLAG_SEALED != 0;
    let ec = be16(&h, 4);
    let rrc = be16(&h, 6);
    let seq = seq_of(&h);
    let peer = e.role.peer();

    // RFC 4121 4.2.5: undo the right rotation (any RRC, modulo the body length).
    let r = rotation(e, sealed, ec, rrc, body.len());
    let body: Cow<'_, [u8]> = if r == 0 {
        Cow::Borrowed(body)
    } else {
        let mut v = body.to_vec();
        v.rotate_left(r);
        Cow::Owned(v)
    };

    if sealed {
        // RFC 4121 4.2.4: the body must hold the confounder, EC filler, header copy
        // and integrity tag before anything is decrypted.
        let min = e.key.enctype().ciphertext_overhead() + usize::from(ec) + HEADER;
        if body.len() < min {
            return Err(bad(Defect::ExtraCount {
                ec,
                limit: body.len(),
            }));
        }
        let mut plain = e
            .key
            .decrypt(seal_usage(peer), &body)
            .map_err(|_| WrapError::BadMic { token: kind })?;

        // RFC 4121 4.2.4: the decrypted header copy equals the header with RRC 0;
        // this also authenticates EC (CVE-2024-37370).
        let Some(data_len) = plain.len().checked_sub(usize::from(ec) + HEADER) else {
            return Err(bad(Defect::ExtraCount {
                ec,
                limit: plain.len(),
            }));
        };
        let mut expected = h;
        expected[6] = 0;
        expected[7] = 0;
        let copy = plain.get(data_len + usize::from(ec)..).unwrap_or_default();
        if !bool::from(copy.ct_eq(&expected)) {
            return Err(bad(Defect::HeaderCopy));
        }
        plain.truncate(data_len);
        return Ok(Opened {
            data: plain,
            sealed,
            seq,
        });
    }

    // RFC 4121 4.2.4: integrity only; EC is the checksum length.
    let want = cksum_len(&e.key);
    if usize::from(ec) != want {
        return Err(bad(Defect::ExtraCount { ec, limit: want }));
    }
    let Some(data_len) = body.len().checked_sub(want) else {
        return Err(bad(Defect::TooShort {
            len: token.len(),
            min: HEADER + want,
        }));
    };
    let (data, cksum) = body.split_at(data_len);
    let mut signed = Vec::with_capacity(data_len + HEADER);
    signed.extend_from_slice(data);
    let mut zeroed = h;
    zeroed[4..8].fill(0);
    signed.extend_from_slice(&zeroed);
    let cksumtype = e.key.enctype().checksum_type();
    e.key
        .verify_checksum(cksumtype, seal_usage(peer), &signed, cksum)
        .map_err(|_| WrapError::BadMic { token: kind })?;
    signed.truncate(data_len);
    Ok(Opened {
        data: signed,
        sealed,
        seq,
    })
}

/// Builds a MIC token over `data` (RFC 4121 4.2.6.1).
pub(crate) fn get_mic(e: &Engine, seq: u64, data: &[u8]) -> Result<Vec<u8>, WrapError> {
    let header = mic_header(our_flags(e, false), seq);
    let mut signed = Vec::with_capacity(data.len() + HEADER);
    signed.extend_from_slice(data);
    signed.extend_from_slice(&header);
    let cksum = e
        .key
        .checksum(sign_usage(e.role), &signed)
        .map_err(crypto)?;
    let mut token = Vec::with_capacity(HEADER + cksum.len());
    token.extend_from_slice(&header);
    token.extend_from_slice(&cksum);
    Ok(token)
}

/// Verifies a MIC token over `data`; returns its sequence number (RFC 4121 4.2.6.1).
pub(crate) fn verify_mic(e: &Engine, data: &[u8], token: &[u8]) -> Result<u64, WrapError> {
    let kind = TokenKind::Mic;
    let (h, cksum) = split_header(e, token, kind)?;
    let want = cksum_len(&e.key);
    if cksum.len() != want {
        return Err(WrapError::defective(
            kind,
            Defect::ChecksumLength {
                len: cksum.len(),
                expected: want,
            },
        ));
    }
    let mut signed = Vec::with_capacity(data.len() + HEADER);
    signed.extend_from_slice(data);
    signed.extend_from_slice(&h);
    let cksumtype = e.key.enctype().checksum_type();
    e.key
        .verify_checksum(cksumtype, sign_usage(e.role.peer()), &signed, cksum)
        .map_err(|_| WrapError::BadMic { token: kind })?;
    Ok(seq_of(&h))
}

/// Largest plaintext whose Wrap token fits in `max_output` bytes (RFC 2743 2.2.8).
pub(crate) fn size_limit(e: &Engine, max_output: usize, conf: bool) -> usize {
    let overhead = if conf {
        HEADER + e.key.enctype().ciphertext_overhead() + HEADER
    } else {
        HEADER + cksum_len(&e.key)
    };
    max_output.saturating_sub(overhead)
}
