//! Injected time: the acceptor never reads the wall clock itself.

use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time as Kerberos carries it: seconds since the Unix epoch plus microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub secs: i64,
    /// Microseconds within the second, `0..1_000_000`.
    pub usecs: u32,
}

impl Timestamp {
    /// A timestamp at a whole second.
    pub const fn from_secs(secs: i64) -> Self {
        Timestamp { secs, usecs: 0 }
    }

    /// Whether `self` and `other` are at most `secs` seconds apart, to the microsecond.
    ///
    /// The skew check must be exact: rounding the difference to whole seconds would let
    /// an authenticator through up to a second past the window that replay caches keep
    /// its entry for.
    pub fn within(self, other: Timestamp, secs: u32) -> bool {
        let micros = (i128::from(self.secs) - i128::from(other.secs)) * 1_000_000
            + i128::from(self.usecs)
            - i128::from(other.usecs);
        micros.unsigned_abs() <= u128::from(secs) * 1_000_000
    }

    /// Signed difference `self - other` in whole seconds, rounded toward zero.
    pub fn secs_since(self, other: Timestamp) -> i64 {
        let micros = (i128::from(self.secs) - i128::from(other.secs)) * 1_000_000
            + i128::from(self.usecs)
            - i128::from(other.usecs);
        i64::try_from(micros / 1_000_000).unwrap_or(if micros < 0 { i64::MIN } else { i64::MAX })
    }
}

/// A source of the current time.
///
/// Tests and replays of captured tokens use [`FixedClock`]; servers use [`SystemClock`].
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp {
                secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                usecs: d.subsec_micros(),
            },
            // A clock set before 1970: report the epoch; every ticket will look far in the
            // future and fail with a clear not-yet-valid error.
            Err(_) => Timestamp::from_secs(0),
        }
    }
}

/// A clock stopped at one instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl FixedClock {
    /// A clock stopped at `secs` seconds after the epoch.
    pub const fn at(secs: i64) -> Self {
        FixedClock(Timestamp::from_secs(secs))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secs_since_rounds_toward_zero() {
        let a = Timestamp {
            secs: 10,
            usecs: 500_000,
        };
        let b = Timestamp {
            secs: 9,
            usecs: 900_000,
        };
        assert_eq!(a.secs_since(b), 0);
        assert_eq!(b.secs_since(a), 0);
        assert_eq!(
            Timestamp::from_secs(400).secs_since(Timestamp::from_secs(100)),
            300
        );
    }
}
