//! Sequence numbers of received tokens: the replay and ordering window of
//! RFC 2743 section 1.2.3.

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
}

impl RecvWindow {
    pub(crate) fn new(base: u64, replay: bool, sequence: bool) -> Self {
        Self {
            replay: replay || sequence,
            sequence,
            base,
            next: u128::from(base),
            seen: 0,
        }
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
        let wide = u128::from(seq);
        if wide >= self.next {
            let expected = u64::try_from(self.next).unwrap_or(u64::MAX);
            let shift = wide - self.next + 1;
            self.seen = if shift >= u128::from(WINDOW) {
                0
            } else {
                self.seen << shift
            };
            self.seen |= 1;
            self.next = wide + 1;
            return Ok(
                (seq != expected && self.sequence).then_some(Supplementary::Gap {
                    expected,
                    received: seq,
                }),
            );
        }

        // Behind the newest: within the window it is a duplicate or a late token.
        let back = self.next - 1 - wide;
        let oldest = self
            .next
            .saturating_sub(u128::from(WINDOW))
            .max(u128::from(self.base));
        if back >= u128::from(WINDOW) || seq < self.base {
            let oldest = u64::try_from(oldest).unwrap_or(u64::MAX);
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
