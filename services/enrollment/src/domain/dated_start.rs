//! When a membership or a platform's participation began, if an operator dates it: importing
//! a platform's existing workforce, or a platform joining with history. Only operators may
//! (the api checks who), and only within a bound, so records cannot be moved arbitrarily far.

use chrono::{DateTime, Duration, Utc};

/// A year and a day, so a leap year's anniversary still fits.
pub const MAX_BACKDATE_DAYS: i64 = 366;

/// The start as asked, or why it cannot be.
pub fn check(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if at > now {
        Err(format!("{at} is in the future"))
    } else if now - at > Duration::days(MAX_BACKDATE_DAYS) {
        Err(format!("{at} is more than {MAX_BACKDATE_DAYS} days back"))
    } else {
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_to_366_days_back_never_ahead() {
        let now: DateTime<Utc> = "2026-11-29T04:00:00Z".parse().unwrap();
        let year_back = now - Duration::days(MAX_BACKDATE_DAYS);
        assert_eq!(check(year_back, now), Ok(year_back));
        assert_eq!(check(now, now), Ok(now));
        assert!(
            check(year_back - Duration::seconds(1), now)
                .unwrap_err()
                .contains("366 days")
        );
        assert!(
            check(now + Duration::milliseconds(1), now)
                .unwrap_err()
                .contains("future")
        );
    }
}
