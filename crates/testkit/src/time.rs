//! KerberosTime (RFC 4120 5.2.3): whole seconds, UTC, as GeneralizedTime.

/// A KerberosTime: seconds since the Unix epoch, UTC.
///
/// The microsecond parts of Kerberos messages (cusec, susec) are separate fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KerberosTime(pub i64);

impl KerberosTime {
    /// The time `unix` seconds after 1970-01-01T00:00:00Z.
    #[must_use]
    pub const fn from_unix(unix: i64) -> Self {
        Self(unix)
    }

    /// Seconds since the Unix epoch.
    #[must_use]
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// This time plus `secs` seconds (saturating).
    #[must_use]
    pub const fn plus(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// The GeneralizedTime text "YYYYMMDDHHMMSSZ" (RFC 4120 5.2.3: no fractions, always Z).
    #[must_use]
    pub fn to_generalized_time(self) -> String {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}Z",
            y,
            m,
            d,
            secs / 3600,
            (secs / 60) % 60,
            secs % 60
        )
    }

    /// Parses "YYYYMMDDHHMMSSZ"; `None` for any other form.
    #[must_use]
    pub fn parse_generalized_time(text: &[u8]) -> Option<Self> {
        let (digits, z) = text.split_at_checked(14)?;
        if z != b"Z" || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<i64> {
            digits
                .get(from..to)?
                .iter()
                .try_fold(0i64, |acc, b| Some(acc * 10 + i64::from(b - b'0')))
        };
        let (y, mo, d) = (num(0, 4)?, num(4, 6)?, num(6, 8)?);
        let (h, mi, s) = (num(8, 10)?, num(10, 12)?, num(12, 14)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        Some(Self(days * 86_400 + h * 3600 + mi * 60 + s))
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (era-based arithmetic:
/// 400-year eras of 146097 days, years counted from March).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(KerberosTime(0).to_generalized_time(), "19700101000000Z");
        assert_eq!(
            KerberosTime(951_782_400).to_generalized_time(),
            "20000229000000Z"
        );
        assert_eq!(
            KerberosTime(1_700_000_000).to_generalized_time(),
            "20231114221320Z"
        );
        assert_eq!(
            KerberosTime(4_102_444_799).to_generalized_time(),
            "20991231235959Z"
        );
    }

    #[test]
    fn parses_what_it_formats() {
        for t in [
            0i64,
            1,
            59,
            86_399,
            951_782_400,
            1_700_000_000,
            2_147_483_647,
            4_102_444_799,
        ] {
            let text = KerberosTime(t).to_generalized_time();
            assert_eq!(
                KerberosTime::parse_generalized_time(text.as_bytes()),
                Some(KerberosTime(t))
            );
        }
        assert_eq!(
            KerberosTime::parse_generalized_time(b"20231114221320.5Z"),
            None
        );
        assert_eq!(
            KerberosTime::parse_generalized_time(b"2023111422132Z"),
            None
        );
        assert_eq!(
            KerberosTime::parse_generalized_time(b"20231314221320Z"),
            None
        );
    }
}
