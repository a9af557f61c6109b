//! The Asia/Shanghai calendar that coverage days, billing months, deadlines, scheme dates and
//! payout months are counted in.
//!
//! China has used a single zone at UTC+8 with no daylight saving since 1991, so a fixed offset
//! gives the same answer as the tz database for every date this scheme can touch (it began in
//! 2022) and spares a tz dependency. Shanghai midnight is 16:00 UTC of the previous day.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// UTC+8, the offset of Asia/Shanghai all year round.
pub fn shanghai_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The Asia/Shanghai calendar date of an instant.
pub fn shanghai_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&shanghai_offset()).date_naive()
}

/// The instant a Shanghai calendar day begins.
pub fn shanghai_midnight(date: NaiveDate) -> DateTime<Utc> {
    shanghai_offset()
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .single()
        .expect("a fixed offset maps every local time to exactly one instant")
        .with_timezone(&Utc)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonthError {
    #[error("month must be 1..=12, got {0}")]
    MonthOutOfRange(u32),
    #[error("year must be 1..=9999, got {0}")]
    YearOutOfRange(i32),
    #[error("month must look like YYYY-MM, got {0:?}")]
    Malformed(String),
}

/// A calendar month in Asia/Shanghai: a billing month, the period of a monthly benefit
/// instalment. Years run 1..=9999 so the `YYYY-MM` form (used in idempotency keys and on the
/// wire) stays unambiguous and round-trips.
///
/// Ordered chronologically: the derived `Ord` compares year before month, so field order
/// matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CalendarMonth {
    year: i32,
    month: u32,
}

impl CalendarMonth {
    pub fn new(year: i32, month: u32) -> Result<Self, MonthError> {
        if !(1..=12).contains(&month) {
            return Err(MonthError::MonthOutOfRange(month));
        }
        if !(1..=9999).contains(&year) {
            return Err(MonthError::YearOutOfRange(year));
        }
        Ok(Self { year, month })
    }

    /// The Shanghai calendar month an instant falls in.
    pub fn of(at: DateTime<Utc>) -> Self {
        let date = shanghai_date(at);
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// The following month, or `None` after 9999-12.
    pub fn next(self) -> Option<Self> {
        match self.month {
            12 => Self::new(self.year + 1, 1).ok(),
            month => Some(Self {
                month: month + 1,
                ..self
            }),
        }
    }

    /// The preceding month, or `None` before 0001-01.
    pub fn previous(self) -> Option<Self> {
        match self.month {
            1 => Self::new(self.year - 1, 12).ok(),
            month => Some(Self {
                month: month - 1,
                ..self
            }),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("validated in new")
    }

    pub fn last_day(self) -> NaiveDate {
        self.first_day_after().pred_opt().expect("validated in new")
    }

    /// The instant the month begins (Shanghai midnight of the 1st).
    pub fn starts_at(self) -> DateTime<Utc> {
        shanghai_midnight(self.first_day())
    }

    /// The instant the month ends, exclusive: the start of the next month. Defined for every
    /// month, 9999-12 included.
    pub fn ends_at(self) -> DateTime<Utc> {
        shanghai_midnight(self.first_day_after())
    }

    pub fn contains(self, at: DateTime<Utc>) -> bool {
        Self::of(at) == self
    }

    /// The first day of the following month; chrono's calendar reaches far past 9999.
    fn first_day_after(self) -> NaiveDate {
        let (year, month) = match self.month {
            12 => (self.year + 1, 1),
            month => (self.year, month + 1),
        };
        NaiveDate::from_ymd_opt(year, month, 1).expect("validated in new")
    }
}

/// Why a span of months asked for on the wire (`from_month` .. `through_month`) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    #[error("is before from_month")]
    Reversed,
    #[error("spans more than {0} months")]
    TooLong(u32),
}

impl CalendarMonth {
    /// Months from `self` through `through`, both included, when that is 1..=`max`: the one
    /// check behind every "from month through month" request, so every service bounds its
    /// aggregation the same way.
    pub fn months_through(self, through: Self, max: u32) -> Result<u32, SpanError> {
        let span = i64::from(through.year - self.year) * 12 + i64::from(through.month)
            - i64::from(self.month)
            + 1;
        if span < 1 {
            return Err(SpanError::Reversed);
        }
        u32::try_from(span)
            .ok()
            .filter(|n| *n <= max)
            .ok_or(SpanError::TooLong(max))
    }
}

impl fmt::Display for CalendarMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for CalendarMonth {
    type Err = MonthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || MonthError::Malformed(s.to_owned());
        let (year, month) = s.split_once('-').ok_or_else(malformed)?;
        let digits =
            |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return Err(malformed());
        }
        let year = year.parse().map_err(|_| malformed())?;
        let month = month.parse().map_err(|_| malformed())?;
        Self::new(year, month)
    }
}

impl TryFrom<String> for CalendarMonth {
    type Error = MonthError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<CalendarMonth> for String {
    fn from(month: CalendarMonth) -> Self {
        month.to_string()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn month(year: i32, month: u32) -> CalendarMonth {
        CalendarMonth::new(year, month).unwrap()
    }

    #[test]
    fn shanghai_midnight_is_16_utc_of_the_previous_day() {
        let date = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        assert_eq!(shanghai_midnight(date), utc("2025-06-30T16:00:00Z"));
        assert_eq!(shanghai_date(utc("2025-06-30T15:59:59Z")).day(), 30);
        assert_eq!(shanghai_date(utc("2025-06-30T16:00:00Z")), date);
        assert_eq!(
            shanghai_date(utc("2026-11-29T15:59:59Z")),
            NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
        );
        assert_eq!(
            shanghai_date(utc("2026-11-29T16:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        assert_eq!(shanghai_offset().local_minus_utc(), 8 * 3600);
    }

    #[test]
    fn months_turn_at_shanghai_midnight_not_utc_midnight() {
        for (instant, expected) in [
            ("2025-07-31T15:59:59.999Z", month(2025, 7)),
            ("2025-07-31T16:00:00Z", month(2025, 8)),
            // Already 08:30 on 1 August in Shanghai.
            ("2025-08-01T00:30:00Z", month(2025, 8)),
            ("2025-12-31T15:59:59Z", month(2025, 12)),
            ("2025-12-31T16:00:00Z", month(2026, 1)),
        ] {
            assert_eq!(CalendarMonth::of(utc(instant)), expected, "{instant}");
        }
    }

    #[test]
    fn december_rolls_into_january_of_the_next_year() {
        assert_eq!(month(2025, 12).next(), Some(month(2026, 1)));
        assert_eq!(month(2026, 1).previous(), Some(month(2025, 12)));
        assert_eq!(month(2025, 12).ends_at(), utc("2025-12-31T16:00:00Z"));
        assert_eq!(month(2025, 12).last_day().day(), 31);
    }

    #[test]
    fn the_calendar_ends_at_9999_12_and_begins_at_0001_01() {
        assert_eq!(month(9999, 12).next(), None);
        assert_eq!(month(1, 1).previous(), None);
        assert_eq!(
            month(9999, 12).last_day(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()
        );
        assert_eq!(month(9999, 12).ends_at(), utc("9999-12-31T16:00:00Z"));
        assert_eq!(CalendarMonth::new(0, 1), Err(MonthError::YearOutOfRange(0)));
        assert_eq!(
            CalendarMonth::new(10_000, 1),
            Err(MonthError::YearOutOfRange(10_000))
        );
    }

    #[test]
    fn month_bounds_are_half_open_and_contain_their_instants() {
        let july = month(2025, 7);
        assert_eq!(july.starts_at(), utc("2025-06-30T16:00:00Z"));
        assert_eq!(july.ends_at(), utc("2025-07-31T16:00:00Z"));
        assert!(july.contains(july.starts_at()));
        assert!(!july.contains(july.ends_at()));
        assert_eq!(month(2024, 2).last_day().day(), 29);
        assert_eq!(month(2025, 2).last_day().day(), 28);
    }

    #[test]
    fn months_order_chronologically_across_years() {
        assert!(month(2025, 12) < month(2026, 1));
        assert!(month(2026, 1) < month(2026, 2));
    }

    #[test]
    fn parses_and_prints_yyyy_mm() {
        assert_eq!("2025-07".parse::<CalendarMonth>().unwrap(), month(2025, 7));
        assert_eq!(month(2026, 1).to_string(), "2026-01");
        assert_eq!(month(1, 1).to_string(), "0001-01");
        assert_eq!(
            "2025-13".parse::<CalendarMonth>(),
            Err(MonthError::MonthOutOfRange(13))
        );
        for bad in ["2025-7", "202507", "+202-07", "2025-+7", "2025-07-01", ""] {
            assert_eq!(
                bad.parse::<CalendarMonth>(),
                Err(MonthError::Malformed(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn serde_uses_yyyy_mm() {
        let json = serde_json::to_string(&month(2025, 7)).unwrap();
        assert_eq!(json, "\"2025-07\"");
        assert_eq!(
            serde_json::from_str::<CalendarMonth>(&json).unwrap(),
            month(2025, 7)
        );
        assert!(serde_json::from_str::<CalendarMonth>("\"2025-00\"").is_err());
    }

    fn any_month() -> impl Strategy<Value = CalendarMonth> {
        (1i32..=9999, 1u32..=12).prop_map(|(y, m)| month(y, m))
    }

    proptest! {
        #[test]
        fn text_round_trips(m in any_month()) {
            prop_assert_eq!(m.to_string().parse::<CalendarMonth>(), Ok(m));
        }

        #[test]
        fn neighbours_are_adjacent_and_inverse(m in any_month()) {
            if let Some(next) = m.next() {
                prop_assert!(m < next);
                prop_assert_eq!(next.previous(), Some(m));
                prop_assert_eq!(m.ends_at(), next.starts_at());
                prop_assert_eq!(m.last_day().succ_opt(), Some(next.first_day()));
            }
            if let Some(previous) = m.previous() {
                prop_assert_eq!(previous.next(), Some(m));
            }
        }

        #[test]
        fn an_instant_lies_in_exactly_its_month(secs in 1_600_000_000i64..2_000_000_000) {
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            let m = CalendarMonth::of(at);
            prop_assert!(m.contains(at));
            prop_assert!(m.starts_at() <= at && at < m.ends_at());
            prop_assert_eq!(m.first_day() <= shanghai_date(at), true);
            prop_assert_eq!(shanghai_date(at) <= m.last_day(), true);
        }
    }

    #[test]
    fn spans_count_both_ends_and_refuse_reversed_or_long_ones() {
        let m = |s: &str| s.parse::<CalendarMonth>().unwrap();
        assert_eq!(m("2026-11").months_through(m("2026-11"), 1), Ok(1));
        assert_eq!(m("2022-07").months_through(m("2024-12"), 30), Ok(30));
        assert_eq!(
            m("2022-07").months_through(m("2024-12"), 29),
            Err(SpanError::TooLong(29))
        );
        assert_eq!(
            m("2026-11").months_through(m("2026-10"), 24),
            Err(SpanError::Reversed)
        );
        assert_eq!(
            m("0001-01").months_through(m("9999-12"), u32::MAX),
            Ok(119_988)
        );
    }
}
