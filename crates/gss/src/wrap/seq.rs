//! Sequence numbers of received tokens: the replay and ordering window of
//! RFC 2743 section 1.2.3.
//!
//! RFC 4121 tokens carry 64-bit sequence numbers, RFC 4757 (and RFC 1964) ones 32-bit.
//! Some RFC 4121 initiators also count in 32 bits (Heimdal keeps `OM_uint32` counters
//! and sends the high word as zero), so after 0xFFFFFFFF their next token says 0, where
//! MIT's says 2^32. The window starts in 64-bit mode and switches to 32-bit serial
//! arithmetic (RFC 1982 style: a received number is read as the 64-bit value with the
//! same low 32 bits nearest the newest one) when, with the newest number within
//! [`WINDOW`] below 2^32, a token numbered below [`WINDOW`] arrives: a peer that wrapped.
//! RFC 4757 peers always wrap that way. The cost: in that one position a replayed token
//! from 2^32 tokens earlier is taken as new, which 32-bit numbering cannot tell apart.

use crate::wrap::error::WrapError;

/// How many sequence numbers behind the newest are remembered for duplicate detection.
pub(crate) const WINDOW: u64 = 64;

/// A received token's place in the sequence, reported beside the message
/// (RFC 2743 1.2.3 supplementary status). The message itself is good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Supplementary {
    /// GSS_S_GAP_TOKEN: tokens between the expected and this one were skipped.
    Gap {
        /// The sequence number expected next.
        expected: u64,
        /// The sequence number received.
        received: u64,
    },
    /// GSS_S_UNSEQ_TOKEN: this token is older than one already received, but new.
    Unsequenced {
        /// The sequence number received.
        received: u64,
    },
}

impl Supplementary {
    /// The GSS-API supplementary status bit.
    #[must_use]
    pub fn gss_major(self) -> crate::consts::GssMajor {
        match self {
            Self::Gap { .. } => crate::consts::GssMajor::GapToken,
            Self::Unsequenced { .. } => crate::consts::GssMajor::UnseqToken,
        }
    }
}

/// The receive window of one context.
#[derive(Clone, Debug)]
pub(crate) struct RecvWindow {
    /// Checks on at all (the context has the replay or sequence flag).
    replay: bool,
    /// Report gaps and out-of-order tokens (the sequence flag).
    sequence: bool,
    /// The first sequence number the peer uses.
    base: u64,
    /// One past the highest sequence number received (u128: no overflow at u64::MAX).
    next: u128,
    /// Bit i set: `next - 1 - i` was received.
    seen: u64,
    /// The peer wrapped its numbering at 2^32: read numbers as their low 32 bits.
    wrapped32: bool,
}

/// 2^32, where 32-bit sequence numbers wrap.
const WRAP32: u128 = 1 << 32;

impl RecvWindow {
    pub(crate) fn new(base: u64, replay: bool, sequence: bool) -> Self {
        Self {
            replay: replay || sequence,
            sequence,
            base,
            next: u128::from(base),
            seen: 0,
            wrapped32: false,
        }
    }

    /// `seq` as a position in the 64-bit (or, after a 32-bit wrap, extended) sequence.
    fn position(&mut self, seq: u64) -> u128 {
        let wide = u128::from(seq);
        let newest = self.next.checked_sub(1);

        // A peer counting in 32 bits went from 0xFFFFFFFF (or just below) to 0.
        if !self.wrapped32
            && wide < u128::from(WINDOW)
            && newest.is_some_and(|n| n < WRAP32 && n >= WRAP32 - u128::from(WINDOW))
        {
            self.wrapped32 = true;
        }
        let Some(newest) = newest.filter(|_| self.wrapped32 && wide < WRAP32) else {
            return wide;
        };

        // RFC 1982 serial arithmetic on 32 bits: the candidate nearest the newest.
        let base = newest & !(WRAP32 - 1);
        [
            base.checked_sub(WRAP32),
            Some(base),
            base.checked_add(WRAP32),
        ]
        .into_iter()
        .flatten()
        .map(|hi| hi | wide)
        .min_by_key(|&c| c.abs_diff(newest))
        .unwrap_or(wide)
    }

    /// A position reported to the caller: the peer's own 32-bit number after a wrap.
    fn report(&self, pos: u128) -> u64 {
        let pos = if self.wrapped32 { pos % WRAP32 } else { pos };
        u64::try_from(pos).unwrap_or(u64::MAX)
    }

    /// Records `seq` from a token whose integrity was verified.
    ///
    /// RFC 2743 1.2.3: a duplicate is GSS_S_DUPLICATE_TOKEN and a token too old to
    /// check is GSS_S_OLD_TOKEN, both refused; a gap or a late but new token is
    /// reported as supplementary status. Without the replay and sequence flags nothing
    /// is checked.
    pub(crate) fn check(&mut self, seq: u64) -> Result<Option<Supplementary>, WrapError> {
        if !self.replay {
            return Ok(None);
        }

        // Newer than everything so far: slide the window forward.
        let wide = self.position(seq);
        if wide >= self.next {
            let expected = self.report(self.next);
            let shift = wide - self.next + 1;
            self.seen = if shift >= u128::from(WINDOW) {
                0
            } else {
                self.seen << shift
            };
            self.seen |= 1;
            let gap = wide != self.next;
            self.next = wide + 1;
            return Ok((gap && self.sequence).then_some(Supplementary::Gap {
                expected,
                received: seq,
            }));
        }

        // Behind the newest: within the window it is a duplicate or a late token.
        let back = self.next - 1 - wide;
        let oldest = self
            .next
            .saturating_sub(u128::from(WINDOW))
            .max(u128::from(self.base));
        if back >= u128::from(WINDOW) || wide < u128::from(self.base) {
            let oldest = self.report(oldest);
            return Err(WrapError::Old { seq, oldest });
        }
        let bit = 1u64 << back;
        if self.seen & bit != 0 {
            return Err(WrapError::Duplicate { seq });
        }
        self.seen |= bit;
        Ok(self
            .sequence
            .then_some(Supplementary::Unsequenced { received: seq }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_tokens_are_quiet() {
        let mut w = RecvWindow::new(100, true, true);
        for s in 100..300 {
            assert_eq!(w.check(s), Ok(None));
        }
    }

    #[test]
    fn duplicates_old_gaps_and_reordering() {
        let mut w = RecvWindow::new(10, true, true);
        assert_eq!(w.check(10), Ok(None));
        assert_eq!(w.check(10), Err(WrapError::Duplicate { seq: 10 }));
        assert_eq!(
            w.check(13),
            Ok(Some(Supplementary::Gap {
                expected: 11,
                received: 13
            }))
        );
        assert_eq!(
            w.check(12),
            Ok(Some(Supplementary::Unsequenced { received: 12 }))
        );
        assert_eq!(w.check(12), Err(WrapError::Duplicate { seq: 12 }));
        assert_eq!(
            w.check(11),
            Ok(Some(Supplementary::Unsequenced { received: 11 }))
        );
        assert_eq!(w.check(14), Ok(None));
        assert!(matches!(w.check(9), Err(WrapError::Old { seq: 9, .. })));
        assert_eq!(w.check(200).map(|s| s.is_some()), Ok(true));
        assert!(matches!(w.check(100), Err(WrapError::Old { .. })));
        assert_eq!(
            w.check(137),
            Ok(Some(Supplementary::Unsequenced { received: 137 }))
        );
    }

    #[test]
    fn replay_only_reports_no_order_status() {
        let mut w = RecvWindow::new(0, true, false);
        assert_eq!(w.check(5), Ok(None));
        assert_eq!(w.check(3), Ok(None));
        assert_eq!(w.check(3), Err(WrapError::Duplicate { seq: 3 }));
    }

    #[test]
    fn without_flags_nothing_is_checked() {
        let mut w = RecvWindow::new(0, false, false);
        assert_eq!(w.check(5), Ok(None));
        assert_eq!(w.check(5), Ok(None));
    }

    #[test]
    fn extreme_sequence_numbers_do_not_overflow() {
        let mut w = RecvWindow::new(0, true, true);
        assert!(w.check(u64::MAX).is_ok());
        assert_eq!(
            w.check(u64::MAX),
            Err(WrapError::Duplicate { seq: u64::MAX })
        );
        assert!(w.check(u64::MAX - 1).is_ok());
        assert!(w.check(0).is_err());
    }
}
