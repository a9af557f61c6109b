//! Enrollment's rules, free of I/O: identifiers, contacts, industries, platform scopes and
//! worker registrations.

pub mod contact;
pub mod credit_code;
pub mod industry;
pub mod platform;
pub mod region;
pub mod registration;
pub mod resident_id;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// China has one time zone, UTC+8, without daylight saving; a fixed offset is exact.
pub fn shanghai_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("valid offset"))
        .date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shanghai_midnight_is_16_utc() {
        let before = Utc.with_ymd_and_hms(2026, 11, 29, 15, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap();
        assert_eq!(
            shanghai_date(before),
            NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
        );
        assert_eq!(
            shanghai_date(after),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
    }
}
