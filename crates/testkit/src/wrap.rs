//! The initiator's side of RFC 4121 section 4.2 Wrap tokens, for tests and the demo.
//!
//! It wraps with the keys the initiator learned from its own AP-REQ and the acceptor's
//! AP-REP (never from the acceptor's context), at the initiator's key usage 24, and
//! opens the acceptor's tokens at usage 22. It covers RFC 4121 tokens (AES and
//! Camellia keys, any RRC on receipt); RFC 4757 legacy tokens are not minted.

use kerbgate_crypto::Key;

use crate::error::Error;

/// RFC 4121 2: the acceptor's and the initiator's sealing key usages.
const KU_ACCEPTOR_SEAL: u32 = 22;
const KU_INITIATOR_SEAL: u32 = 24;

/// RFC 4121 4.2.6.2: TOK_ID of a Wrap token.
const TOK_WRAP: [u8; 2] = [0x05, 0x04];
/// RFC 4121 4.2.2 flags.
const SENT_BY_ACCEPTOR: u8 = 0x01;
const SEALED: u8 = 0x02;
const ACCEPTOR_SUBKEY: u8 = 0x04;
const HEADER: usize = 16;

/// The initiator's per-message state for RFC 4121 Wrap tokens.
#[derive(Debug)]
pub struct InitiatorWrap {
    key: Key,
    acceptor_subkey: bool,
    send_seq: u64,
    recv_seq: u64,
}

fn header(flags: u8, ec: u16, rrc: u16, seq: u64) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    for (slot, byte) in h.iter_mut().zip(
        TOK_WRAP
            .iter()
            .chain(&[flags, 0xff])
            .chain(&ec.to_be_bytes())
            .chain(&rrc.to_be_bytes())
            .chain(&seq.to_be_bytes()),
    ) {
        *slot = *byte;
    }
    h
}

fn bad(what: &'static str) -> Error {
    Error::Malformed { what, offset: 0 }
}

impl InitiatorWrap {
    /// The client's context: the RFC 4121 section 2 context key, whether the
    /// acceptor sent a subkey, our first sequence number and the server's.
    #[must_use]
    pub fn new(key: Key, acceptor_subkey: bool, send_seq: u32, recv_seq: u32) -> Self {
        InitiatorWrap {
            key,
            acceptor_subkey,
            send_seq: u64::from(send_seq),
            recv_seq: u64::from(recv_seq),
        }
    }

    fn flags(&self, sealed: bool) -> u8 {
        let mut f = 0;
        if sealed {
            f |= SEALED;
        }
        if self.acceptor_subkey {
            f |= ACCEPTOR_SUBKEY;
        }
        f
    }

    /// GSS_Wrap as the initiator, RRC 0 and EC 0.
    ///
    /// # Errors
    /// [`Error::Crypto`] if the key cannot encrypt or checksum.
    pub fn wrap(&mut self, data: &[u8], conf: bool) -> Result<Vec<u8>, Error> {
        let flags = self.flags(conf);
        let seq = self.send_seq;
        self.send_seq = self.send_seq.wrapping_add(1);
        let mut token = header(flags, 0, 0, seq).to_vec();
        if conf {
            // RFC 4121 4.2.4: encrypt plaintext | header (EC 0, so no filler).
            let mut plain = data.to_vec();
            plain.extend_from_slice(&header(flags, 0, 0, seq));
            token.extend(self.key.encrypt(KU_INITIATOR_SEAL, &plain)?);
        } else {
            // RFC 4121 4.2.4: checksum over plaintext | header with EC and RRC 0;
            // EC then says how long the checksum is.
            let mut signed = data.to_vec();
            signed.extend_from_slice(&header(flags, 0, 0, seq));
            let cksum = self.key.checksum(KU_INITIATOR_SEAL, &signed)?;
            let ec = u16::try_from(cksum.len()).map_err(|_| bad("Wrap checksum too long"))?;
            token = header(flags, ec, 0, seq).to_vec();
            token.extend_from_slice(data);
            token.extend_from_slice(&cksum);
        }
        Ok(token)
    }

    /// GSS_Unwrap of the acceptor's token; returns the message and whether it was
    /// encrypted.
    ///
    /// # Errors
    /// [`Error::Malformed`] naming what is wrong with the token, or [`Error::Crypto`].
    pub fn unwrap(&mut self, token: &[u8]) -> Result<(Vec<u8>, bool), Error> {
        let (head, body) = token
            .split_at_checked(HEADER)
            .ok_or_else(|| bad("Wrap token shorter than its header"))?;
        let mut h = [0u8; HEADER];
        h.copy_from_slice(head);
        let [t0, t1, flags, filler, ec0, ec1, rrc0, rrc1, s0, s1, s2, s3, s4, s5, s6, s7] = h;

        // RFC 4121 4.2.6.2 and 4.2.2: token ID, direction, subkey flag, filler.
        if [t0, t1] != TOK_WRAP || filler != 0xff {
            return Err(bad("Wrap token ID or filler"));
        }
        if flags & SENT_BY_ACCEPTOR == 0 {
            return Err(bad("Wrap token not sent by the acceptor"));
        }
        if (flags & ACCEPTOR_SUBKEY != 0) != self.acceptor_subkey {
            return Err(bad("Wrap token AcceptorSubkey flag"));
        }
        let ec = usize::from(u16::from_be_bytes([ec0, ec1]));
        let rrc = usize::from(u16::from_be_bytes([rrc0, rrc1]));
        let seq = u64::from_be_bytes([s0, s1, s2, s3, s4, s5, s6, s7]);
        if seq != self.recv_seq {
            return Err(bad("Wrap token out of sequence"));
        }

        // RFC 4121 4.2.5: undo the right rotation.
        let mut body = body.to_vec();
        if !body.is_empty() {
            let by = rrc % body.len();
            body.rotate_left(by);
        }
        let sealed = flags & SEALED != 0;
        let data = if sealed {
            let plain = self.key.decrypt(KU_ACCEPTOR_SEAL, &body)?;
            // The encrypted copy of the header carries RRC 0.
            let keep = plain
                .len()
                .checked_sub(HEADER + ec)
                .ok_or_else(|| bad("Wrap token too short for its EC"))?;
            let (msg, rest) = plain.split_at(keep);
            let (_filler, copy) = rest.split_at(ec);
            if copy != header(flags, u16::try_from(ec).unwrap_or(0), 0, seq) {
                return Err(bad("Wrap token encrypted header copy"));
            }
            msg.to_vec()
        } else {
            let keep = body
                .len()
                .checked_sub(ec)
                .ok_or_else(|| bad("Wrap token too short for its checksum"))?;
            let (msg, cksum) = body.split_at(keep);
            let mut signed = msg.to_vec();
            signed.extend_from_slice(&header(flags, 0, 0, seq));
            let ctype = self.key.enctype().checksum_type();
            self.key
                .verify_checksum(ctype, KU_ACCEPTOR_SEAL, &signed, cksum)
                .map_err(|_| bad("Wrap token integrity check"))?;
            msg.to_vec()
        };
        self.recv_seq = self.recv_seq.wrapping_add(1);
        Ok((data, sealed))
    }
}
