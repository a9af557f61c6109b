//! Deadlines for the application for injury determination (职业伤害确认申请).
//!
//! The days come from the scheme calendar ([`SchemeRules`]): the platform within 30 days, the
//! worker or close relatives within 90 days of the accident by default, dated, so the entry in
//! force on the accident's date applies and a later change of the rules does not move the
//! deadline of an accident that already happened.
//!
//! Days are Asia/Shanghai calendar days and the accident day is not counted (Civil Code art.
//! 201), the count the claims service applies too: an accident on 1 July with 30 days may be
//! filed up to and including 31 July. A last day that is not a working day moves to the next
//! working day (art. 203), by the calendar's holiday schedule. A late filing with an
//! explanation is accepted and a human decides.

use chrono::{DateTime, NaiveDate, Utc};
use gigshield_scheme::calendar::shanghai_date;
use gigshield_scheme::rules::{Filer, SchemeRules};

use super::actor::ActorKind;

/// Who files an application, by the kind of actor: the three parties the form provides for.
/// Operators act on incidents but never file in someone's name.
pub fn filer_of(kind: ActorKind) -> Option<Filer> {
    match kind {
        ActorKind::Platform => Some(Filer::Platform),
        ActorKind::Worker => Some(Filer::Worker),
        ActorKind::CloseRelative => Some(Filer::CloseRelative),
        ActorKind::Operator => None,
    }
}

fn describe(filer: Filer) -> &'static str {
    match filer {
        Filer::Platform => "a platform",
        Filer::Worker => "the worker",
        Filer::CloseRelative => "a close relative",
    }
}

/// Whether an application came in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeliness {
    pub deadline_days: u32,
    /// Shanghai calendar days from the accident date to the filing date (0 on the same day).
    pub days_after_accident: u32,
    /// The last Shanghai date on which filing is timely.
    pub last_timely_day: NaiveDate,
    pub late: bool,
}

impl Timeliness {
    /// The refusal text for a late filing without an explanation.
    pub fn late_refusal(&self, filer: Filer) -> String {
        format!(
            "the application comes {} days after the accident; {} must file within {} days \
             (by {}, Asia/Shanghai); after that a written explanation (超期说明) is required",
            self.days_after_accident,
            describe(filer),
            self.deadline_days,
            self.last_timely_day
        )
    }
}

pub fn assess(
    rules: &SchemeRules,
    filer: Filer,
    occurred_at: DateTime<Utc>,
    filed_at: DateTime<Utc>,
) -> Timeliness {
    let accident_date = shanghai_date(occurred_at);
    let deadline_days = rules.deadlines(accident_date).for_filer(filer);
    let filed_on = shanghai_date(filed_at);
    // A filing a moment "before" the accident can only come from the allowed clock skew.
    let days = (filed_on - accident_date).num_days().max(0);
    let days_after_accident = u32::try_from(days).unwrap_or(u32::MAX);
    let last_timely_day = rules.filing_last_day(accident_date, deadline_days);
    Timeliness {
        deadline_days,
        days_after_accident,
        last_timely_day,
        late: filed_on > last_timely_day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_platform_has_thirty_shanghai_days_after_the_accident_day() {
        let table = SchemeRules::shipped();
        // 2025-07-01 10:00 in Shanghai.
        let accident = utc("2025-07-01T02:00:00Z");
        // 2025-07-31 23:59:59 in Shanghai: the last timely second.
        let last = assess(
            &table,
            Filer::Platform,
            accident,
            utc("2025-07-31T15:59:59Z"),
        );
        assert_eq!(last.days_after_accident, 30);
        assert_eq!(last.last_timely_day, date(2025, 7, 31));
        assert!(!last.late);
        // 2025-08-01 00:00:00 in Shanghai, still 31 July in UTC: late.
        let first_late = assess(
            &table,
            Filer::Platform,
            accident,
            utc("2025-07-31T16:00:00Z"),
        );
        assert_eq!(first_late.days_after_accident, 31);
        assert!(first_late.late);
    }

    #[test]
    fn the_accident_day_turns_at_shanghai_midnight() {
        let table = SchemeRules::shipped();
        let filed = utc("2025-07-31T10:00:00Z"); // 31 July in Shanghai.
        // 23:59:59 on 30 June in Shanghai: the accident day is 30 June, day 31 → late.
        let before = assess(&table, Filer::Platform, utc("2025-06-30T15:59:59Z"), filed);
        assert_eq!(before.days_after_accident, 31);
        assert!(before.late);
        // One second later it is 1 July in Shanghai: day 30 → timely.
        let after = assess(&table, Filer::Platform, utc("2025-06-30T16:00:00Z"), filed);
        assert_eq!(after.days_after_accident, 30);
        assert!(!after.late);
    }

    #[test]
    fn workers_and_relatives_have_ninety_days() {
        let table = SchemeRules::shipped();
        let accident = utc("2025-07-01T02:00:00Z");
        // 29 September Shanghai = day 90.
        let day_90 = utc("2025-09-29T12:00:00Z");
        let day_91 = utc("2025-09-30T12:00:00Z");
        for filer in [Filer::Worker, Filer::CloseRelative] {
            assert!(!assess(&table, filer, accident, day_90).late, "{filer:?}");
            let late = assess(&table, filer, accident, day_91);
            assert!(late.late, "{filer:?}");
            assert_eq!(late.deadline_days, 90);
        }
        assert!(assess(&table, Filer::Platform, accident, day_90).late);
    }

    #[test]
    fn a_last_day_on_a_holiday_moves_to_the_next_working_day() {
        let rules = SchemeRules::shipped();
        // 2025-09-01 + 30 days = 2025-10-01, National Day; the holiday runs to 8 October.
        let accident = utc("2025-09-01T02:00:00Z");
        let t = assess(
            &rules,
            Filer::Platform,
            accident,
            utc("2025-10-09T02:00:00Z"),
        );
        assert_eq!(t.last_timely_day, date(2025, 10, 9));
        assert!(!t.late);
        assert!(
            assess(
                &rules,
                Filer::Platform,
                accident,
                utc("2025-10-10T02:00:00Z")
            )
            .late
        );
    }

    #[test]
    fn a_filing_within_the_clock_skew_before_the_accident_counts_as_day_zero() {
        let t = assess(
            &SchemeRules::shipped(),
            Filer::Worker,
            utc("2025-07-01T16:01:00Z"),
            utc("2025-07-01T15:59:00Z"),
        );
        assert_eq!(t.days_after_accident, 0);
        assert!(!t.late);
    }

    #[test]
    fn the_refusal_names_the_deadline() {
        let t = assess(
            &SchemeRules::shipped(),
            Filer::Platform,
            utc("2025-07-01T02:00:00Z"),
            utc("2025-08-10T02:00:00Z"),
        );
        let text = t.late_refusal(Filer::Platform);
        assert!(
            text.contains("40 days") && text.contains("30 days") && text.contains("2025-07-31")
        );
    }
}
