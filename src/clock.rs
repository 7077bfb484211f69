//! Wall-clock time as Unix milliseconds, and UTC ISO 8601 formatting of Unix seconds
//! (hand-written so that no date crate is needed for one message).

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as milliseconds since the Unix epoch (UTC); negative if the clock is before 1970.
pub fn now_unix_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

const SECONDS_PER_DAY: i64 = 86_400;

/// `unix_s` as `YYYY-MM-DDTHH:MM:SSZ` (years beyond 9999 or before 0 get more digits or a sign).
pub fn format_utc_iso8601(unix_s: i64) -> String {
    let days = unix_s.div_euclid(SECONDS_PER_DAY);
    let second_of_day = unix_s.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_date_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// Days in each 400-year Gregorian cycle; the calendar repeats after it.
const DAYS_PER_CYCLE: i64 = 146_097;
/// Days from 0000-03-01 to 1970-01-01. Counting years from March puts the leap day at the end
/// of a year, so a year's day number maps to its month without a leap-year branch.
const DAYS_FROM_MARCH_0000_TO_EPOCH: i64 = 719_468;

/// Proleptic Gregorian (year, month 1-12, day 1-31) of the day `days` after 1970-01-01.
fn civil_date_from_days(days: i64) -> (i64, i64, i64) {
    let days_since_march_0000 = days + DAYS_FROM_MARCH_0000_TO_EPOCH;
    let cycle = days_since_march_0000.div_euclid(DAYS_PER_CYCLE);
    let day_of_cycle = days_since_march_0000.rem_euclid(DAYS_PER_CYCLE);
    // Each 4-year block has one leap day, each century one fewer, the cycle's last day one more.
    let year_of_cycle = (day_of_cycle - day_of_cycle / 1_460 + day_of_cycle / 36_524
        - day_of_cycle / (DAYS_PER_CYCLE - 1))
        / 365;
    let day_of_year =
        day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
    // Months from March have lengths 31,30,31,30,31 repeating: 153 days per 5 months.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = cycle * 400 + year_of_cycle + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc_iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc_iso8601(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format_utc_iso8601(951_868_799), "2000-02-29T23:59:59Z");
        assert_eq!(format_utc_iso8601(1_795_442_700), "2026-11-23T14:05:00Z");
        assert_eq!(format_utc_iso8601(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn now_is_after_2020() {
        assert!(now_unix_ms() > 1_577_836_800_000);
    }

    /// Whether `year` has a 29 February.
    fn is_leap(year: i64) -> bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    proptest! {
        #[test]
        fn consecutive_days_are_consecutive_dates(days in -1_000_000i64..1_000_000) {
            let (year, month, day) = civil_date_from_days(days);
            let (next_year, next_month, next_day) = civil_date_from_days(days + 1);
            prop_assert!((1..=12).contains(&month) && (1..=31).contains(&day));
            if next_day != 1 {
                prop_assert_eq!((next_year, next_month, next_day), (year, month, day + 1));
            } else if next_month != 1 {
                prop_assert_eq!((next_year, next_month), (year, month + 1));
                let month_length = match month {
                    2 if is_leap(year) => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                prop_assert_eq!(day, month_length);
            } else {
                prop_assert_eq!((next_year, month, day), (year + 1, 12, 31));
            }
        }

        #[test]
        fn formatting_never_panics(unix_s in any::<i64>()) {
            prop_assert!(format_utc_iso8601(unix_s).ends_with('Z'));
        }
    }
}
