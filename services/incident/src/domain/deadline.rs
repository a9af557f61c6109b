//! Deadlines for the application for injury determination (职业伤害确认申请).
//!
//! docs/domain.md: the platform within 30 days, the worker or close relatives within 90 days of the
//! accident (?), so the days are parameters, and dated ones: the entry in force on the
//! accident's date applies, so a later change of the rules does not move the deadline of an
//! accident that already happened.
//!
//! Days are Asia/Shanghai calendar days and the accident day is not counted (Civil Code art.
//! 201), the same count the claims service applies: an accident on 1 July with 30 days may be
//! filed up to and including 31 July, Shanghai time. Holidays do not extend a deadline (there is
//! no holiday calendar here); a filing that needed one is late, and with an explanation it is
//! accepted and a human decides.
//!
//! Configuration form (`INCIDENT_FILING_DEADLINES`): entries separated by `;`, each
//! `YYYY-MM-DD=PLATFORM/WORKER/RELATIVE` in days, e.g. `2022-07-01=30/90/90`.

use chrono::{DateTime, NaiveDate, Utc};
use gigshield_scheme::calendar::shanghai_date;

use super::actor::ActorKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineDays {
    pub platform: u32,
    pub worker: u32,
    pub close_relative: u32,
}

/// Who files an application: the three parties the form provides for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilerKind {
    Platform,
    Worker,
    CloseRelative,
}

impl FilerKind {
    /// Operators act on incidents but never file in someone's name.
    pub fn of(kind: ActorKind) -> Option<Self> {
        match kind {
            ActorKind::Platform => Some(Self::Platform),
            ActorKind::Worker => Some(Self::Worker),
            ActorKind::CloseRelative => Some(Self::CloseRelative),
            ActorKind::Operator => None,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Platform => "a platform",
            Self::Worker => "the worker",
            Self::CloseRelative => "a close relative",
        }
    }
}

impl DeadlineDays {
    pub fn for_filer(&self, filer: FilerKind) -> u32 {
        match filer {
            FilerKind::Platform => self.platform,
            FilerKind::Worker => self.worker,
            FilerKind::CloseRelative => self.close_relative,
        }
    }
}

/// The dated table, oldest entry first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingDeadlines(Vec<(NaiveDate, DeadlineDays)>);

impl Default for FilingDeadlines {
    fn default() -> Self {
        Self(vec![(
            NaiveDate::from_ymd_opt(2022, 7, 1).expect("valid literal date"),
            DeadlineDays {
                platform: 30,
                worker: 90,
                close_relative: 90,
            },
        )])
    }
}

impl FilingDeadlines {
    pub fn new(mut entries: Vec<(NaiveDate, DeadlineDays)>) -> Result<Self, String> {
        if entries.is_empty() {
            return Err("no entry given".into());
        }
        entries.sort_by_key(|(from, _)| *from);
        if let Some(pair) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(format!("two entries from {}", pair[0].0));
        }
        Ok(Self(entries))
    }

    /// The days in force on the accident's Shanghai date; before the first entry, the first.
    pub fn in_force_on(&self, accident_date: NaiveDate) -> DeadlineDays {
        self.0
            .iter()
            .rev()
            .find(|(from, _)| *from <= accident_date)
            .or(self.0.first())
            .map(|(_, days)| *days)
            .expect("the table is never empty")
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (date, days) = part
                .split_once('=')
                .ok_or_else(|| format!("entry {part:?} is not DATE=PLATFORM/WORKER/RELATIVE"))?;
            let from = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|e| format!("entry date {date:?}: {e}"))?;
            let numbers = days
                .split('/')
                .map(|d| {
                    d.trim()
                        .parse::<u32>()
                        .map_err(|e| format!("days {d:?} in {part:?}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let [platform, worker, close_relative] = numbers[..] else {
                return Err(format!(
                    "entry {part:?} needs three day counts: platform/worker/relative"
                ));
            };
            entries.push((
                from,
                DeadlineDays {
                    platform,
                    worker,
                    close_relative,
                },
            ));
        }
        Self::new(entries)
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
    pub fn late_refusal(&self, filer: FilerKind) -> String {
        format!(
            "the application comes {} days after the accident; {} must file within {} days \
             (by {}, Asia/Shanghai); after that a written explanation (超期说明) is required",
            self.days_after_accident,
            filer.describe(),
            self.deadline_days,
            self.last_timely_day
        )
    }
}

pub fn assess(
    deadlines: &FilingDeadlines,
    filer: FilerKind,
    occurred_at: DateTime<Utc>,
    filed_at: DateTime<Utc>,
) -> Timeliness {
    let accident_date = shanghai_date(occurred_at);
    let deadline_days = deadlines.in_force_on(accident_date).for_filer(filer);
    // A filing a moment "before" the accident can only come from the allowed clock skew.
    let days = (shanghai_date(filed_at) - accident_date).num_days().max(0);
    let days_after_accident = u32::try_from(days).unwrap_or(u32::MAX);
    let last_timely_day = accident_date
        .checked_add_days(chrono::Days::new(u64::from(deadline_days)))
        .unwrap_or(NaiveDate::MAX);
    Timeliness {
        deadline_days,
        days_after_accident,
        last_timely_day,
        late: days_after_accident > deadline_days,
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
        let table = FilingDeadlines::default();
        // 2025-07-01 10:00 in Shanghai.
        let accident = utc("2025-07-01T02:00:00Z");
        // 2025-07-31 23:59:59 in Shanghai: the last timely second.
        let last = assess(
            &table,
            FilerKind::Platform,
            accident,
            utc("2025-07-31T15:59:59Z"),
        );
        assert_eq!(last.days_after_accident, 30);
        assert_eq!(last.last_timely_day, date(2025, 7, 31));
        assert!(!last.late);
        // 2025-08-01 00:00:00 in Shanghai, still 31 July in UTC: late.
        let first_late = assess(
            &table,
            FilerKind::Platform,
            accident,
            utc("2025-07-31T16:00:00Z"),
        );
        assert_eq!(first_late.days_after_accident, 31);
        assert!(first_late.late);
    }

    #[test]
    fn the_accident_day_turns_at_shanghai_midnight() {
        let table = FilingDeadlines::default();
        let filed = utc("2025-07-31T10:00:00Z"); // 31 July in Shanghai.
        // 23:59:59 on 30 June in Shanghai: the accident day is 30 June, day 31 → late.
        let before = assess(
            &table,
            FilerKind::Platform,
            utc("2025-06-30T15:59:59Z"),
            filed,
        );
        assert_eq!(before.days_after_accident, 31);
        assert!(before.late);
        // One second later it is 1 July in Shanghai: day 30 → timely.
        let after = assess(
            &table,
            FilerKind::Platform,
            utc("2025-06-30T16:00:00Z"),
            filed,
        );
        assert_eq!(after.days_after_accident, 30);
        assert!(!after.late);
    }

    #[test]
    fn workers_and_relatives_have_ninety_days() {
        let table = FilingDeadlines::default();
        let accident = utc("2025-07-01T02:00:00Z");
        // 29 September Shanghai = day 90.
        let day_90 = utc("2025-09-29T12:00:00Z");
        let day_91 = utc("2025-09-30T12:00:00Z");
        for filer in [FilerKind::Worker, FilerKind::CloseRelative] {
            assert!(!assess(&table, filer, accident, day_90).late, "{filer:?}");
            let late = assess(&table, filer, accident, day_91);
            assert!(late.late, "{filer:?}");
            assert_eq!(late.deadline_days, 90);
        }
        assert!(assess(&table, FilerKind::Platform, accident, day_90).late);
    }

    #[test]
    fn the_entry_in_force_on_the_accident_date_applies() {
        let table = FilingDeadlines::parse("2022-07-01=30/90/90; 2026-01-01=20/60/45").unwrap();
        let old = utc("2025-12-31T15:59:59Z"); // 31 Dec 2025 in Shanghai
        let new = utc("2025-12-31T16:00:00Z"); // 1 Jan 2026 in Shanghai
        let filed = utc("2026-01-25T04:00:00Z");
        assert_eq!(
            assess(&table, FilerKind::Platform, old, filed).deadline_days,
            30
        );
        assert_eq!(
            assess(&table, FilerKind::Platform, new, filed).deadline_days,
            20
        );
        assert_eq!(
            assess(&table, FilerKind::CloseRelative, new, filed).deadline_days,
            45
        );
        // Before the first entry the first applies.
        assert_eq!(table.in_force_on(date(2020, 1, 1)).platform, 30);
    }

    #[test]
    fn a_filing_within_the_clock_skew_before_the_accident_counts_as_day_zero() {
        let t = assess(
            &FilingDeadlines::default(),
            FilerKind::Worker,
            utc("2025-07-01T16:01:00Z"),
            utc("2025-07-01T15:59:00Z"),
        );
        assert_eq!(t.days_after_accident, 0);
        assert!(!t.late);
    }

    #[test]
    fn the_refusal_names_the_deadline() {
        let t = assess(
            &FilingDeadlines::default(),
            FilerKind::Platform,
            utc("2025-07-01T02:00:00Z"),
            utc("2025-08-10T02:00:00Z"),
        );
        let text = t.late_refusal(FilerKind::Platform);
        assert!(
            text.contains("40 days") && text.contains("30 days") && text.contains("2025-07-31")
        );
    }

    #[test]
    fn bad_configuration_is_refused() {
        assert!(FilingDeadlines::parse("").is_err());
        assert!(FilingDeadlines::parse("2022-07-01=30/90").is_err());
        assert!(FilingDeadlines::parse("2022-07-01=30/x/90").is_err());
        assert!(FilingDeadlines::parse("2022-07-01=30/90/90;2022-07-01=1/2/3").is_err());
        assert!(FilingDeadlines::parse("30/90/90").is_err());
        assert_eq!(
            FilingDeadlines::parse("2022-07-01=30/90/90").unwrap(),
            FilingDeadlines::default()
        );
    }
}
