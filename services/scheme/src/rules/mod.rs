//! The scheme calendar: when the scheme started in each province, how long each filer has to
//! apply, the dated windows determination uses, and the official working-day calendar.
//!
//! One home for all four services. The rules are data: the software ships the sourced
//! defaults ([`shipped`]), operators add entries through enrollment's `AddSchemeRule`, every
//! entry travels as `SchemeRuleAdded` on `enrollment.events.v1`, and every service applies the
//! same entries over the same defaults ([`SchemeRules::with_entries`]), so enrollment, premium,
//! incident and claims answer "was the scheme in force here on that day" alike.
//!
//! Entries are only ever added. For the same province, kind and effective date, or year, the
//! entry recorded last wins; the older one stays listed (and decisions taken under it keep
//! their trace).

mod shipped;
mod wire;

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};

use crate::region::ProvinceCode;

pub use wire::{entry_from_proto, entry_to_proto, rule_from_proto, source_from_proto};

/// How sure we are of a rule (docs/domain.md grades every fact so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    High,
    Medium,
    Unconfirmed,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "H",
            Self::Medium => "M",
            Self::Unconfirmed => "?",
        }
    }
}

/// Where a rule comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub document: String,
    pub url: String,
    pub published_on: Option<NaiveDate>,
    pub confidence: Confidence,
}

/// The dated numbers of the calendar that are not days of a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WindowKind {
    OrderGraceMinutes,
    OpenOrderMaxMinutes,
    SuddenIllnessDeathHours,
    DeterminationWorkingDays,
}

impl WindowKind {
    pub const ALL: [WindowKind; 4] = [
        WindowKind::OrderGraceMinutes,
        WindowKind::OpenOrderMaxMinutes,
        WindowKind::SuddenIllnessDeathHours,
        WindowKind::DeterminationWorkingDays,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderGraceMinutes => "order_grace_minutes",
            Self::OpenOrderMaxMinutes => "open_order_max_minutes",
            Self::SuddenIllnessDeathHours => "sudden_illness_death_hours",
            Self::DeterminationWorkingDays => "determination_working_days",
        }
    }

    /// The largest value an entry may carry: beyond it the number is a typo, not a rule.
    /// The grace is sent to premium as `VerifyWorkActivity`'s margin, at most a day.
    pub fn limit(self) -> u32 {
        match self {
            Self::OrderGraceMinutes => 24 * 60,
            Self::OpenOrderMaxMinutes => 24 * 60,
            Self::SuddenIllnessDeathHours => 30 * 24,
            Self::DeterminationWorkingDays => 250,
        }
    }
}

/// Days after the accident each filer has (Asia/Shanghai calendar days, the accident day not
/// counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineDays {
    pub platform: u32,
    pub worker: u32,
    pub close_relative: u32,
}

/// Who files an application for determination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filer {
    Platform,
    Worker,
    CloseRelative,
}

impl DeadlineDays {
    pub fn for_filer(&self, filer: Filer) -> u32 {
        match filer {
            Filer::Platform => self.platform,
            Filer::Worker => self.worker,
            Filer::CloseRelative => self.close_relative,
        }
    }
}

/// One rule of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    ProvinceStart {
        province: ProvinceCode,
        starts_on: NaiveDate,
    },
    FilingDeadlines {
        effective_from: NaiveDate,
        days: DeadlineDays,
    },
    Window {
        kind: WindowKind,
        effective_from: NaiveDate,
        value: u32,
    },
    HolidayYear {
        year: i32,
        holidays: BTreeSet<NaiveDate>,
        workdays: BTreeSet<NaiveDate>,
    },
}

/// A rule as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `None` for a shipped rule; the entry's UUID (as text) otherwise.
    pub rule_id: Option<String>,
    pub rule: Rule,
    pub source: Source,
    pub entered_by: String,
    pub recorded_at: DateTime<Utc>,
}

impl Entry {
    pub fn shipped(&self) -> bool {
        self.rule_id.is_none()
    }
}

/// Whether the scheme covers a province on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InForce {
    Since(NaiveDate),
    From(NaiveDate),
    /// No start is known for the province.
    Unknown,
}

/// The shipped rules with every recorded entry over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeRules {
    /// Shipped first, then entries in recorded order: later ones win.
    entries: Vec<Entry>,
}

impl Default for SchemeRules {
    fn default() -> Self {
        Self::shipped()
    }
}

impl SchemeRules {
    /// The sourced defaults the software ships (see [`shipped`]).
    pub fn shipped() -> Self {
        Self {
            entries: shipped::entries(),
        }
    }

    /// The shipped rules with `added` over them, oldest recorded first.
    pub fn with_entries(added: impl IntoIterator<Item = Entry>) -> Self {
        let mut rules = Self::shipped();
        let mut added: Vec<Entry> = added.into_iter().collect();
        added.sort_by_key(|e| e.recorded_at);
        rules.entries.extend(added);
        rules
    }

    /// Every entry, shipped first, then as recorded.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// When the scheme began in `province`: the entry recorded last for it.
    pub fn province_start(&self, province: ProvinceCode) -> Option<NaiveDate> {
        self.entries.iter().rev().find_map(|e| match &e.rule {
            Rule::ProvinceStart {
                province: p,
                starts_on,
            } if *p == province => Some(*starts_on),
            _ => None,
        })
    }

    /// Whether the scheme covers `province` on the Shanghai day `date`.
    pub fn in_force(&self, province: ProvinceCode, date: NaiveDate) -> InForce {
        match self.province_start(province) {
            Some(start) if start <= date => InForce::Since(start),
            Some(start) => InForce::From(start),
            None => InForce::Unknown,
        }
    }

    /// The filing deadlines for an accident on `accident_date`: the entry with the latest
    /// `effective_from` not after it (before the first, the first).
    pub fn deadlines(&self, accident_date: NaiveDate) -> DeadlineDays {
        dated(
            self.entries.iter().filter_map(|e| match e.rule {
                Rule::FilingDeadlines {
                    effective_from,
                    days,
                } => Some((effective_from, days)),
                _ => None,
            }),
            accident_date,
        )
        .expect("the shipped rules hold filing deadlines")
    }

    /// The value of a window on `date`, chosen like [`deadlines`](Self::deadlines).
    pub fn window(&self, kind: WindowKind, date: NaiveDate) -> u32 {
        dated(
            self.entries.iter().filter_map(|e| match e.rule {
                Rule::Window {
                    kind: k,
                    effective_from,
                    value,
                } if k == kind => Some((effective_from, value)),
                _ => None,
            }),
            date,
        )
        .expect("the shipped rules hold every window")
    }

    /// The last day on which an application for an accident on `accident_date` is timely:
    /// `days` calendar days after it (the accident day not counted, Civil Code art. 201),
    /// moved to the next working day when that day is off (art. 203).
    pub fn filing_last_day(&self, accident_date: NaiveDate, days: u32) -> NaiveDate {
        let mut last = accident_date
            .checked_add_days(chrono::Days::new(u64::from(days)))
            .unwrap_or(NaiveDate::MAX);
        // Holiday blocks are at most nine days long; the bound only guards a corrupt calendar.
        for _ in 0..31 {
            if self.is_working_day(last) {
                break;
            }
            last = last.succ_opt().unwrap_or(last);
        }
        last
    }

    /// The holiday schedule of `year`, if one is recorded (the last recorded wins).
    pub fn holiday_year(&self, year: i32) -> Option<(&BTreeSet<NaiveDate>, &BTreeSet<NaiveDate>)> {
        self.entries.iter().rev().find_map(|e| match &e.rule {
            Rule::HolidayYear {
                year: y,
                holidays,
                workdays,
            } if *y == year => Some((holidays, workdays)),
            _ => None,
        })
    }

    /// A working day: a make-up workday of the year's schedule, or Monday to Friday and not
    /// one of its holidays. A year without a schedule counts Monday to Friday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        let weekday = !matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        match self.holiday_year(date.year()) {
            Some((holidays, workdays)) => {
                workdays.contains(&date) || (weekday && !holidays.contains(&date))
            }
            None => weekday,
        }
    }

    /// The `n`-th working day after `from` (`from` itself not counted): the last day of a
    /// period of `n` working days that starts the day after `from`.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        // A year has at least 240 working days; the bound keeps a corrupt calendar from
        // looping (every day a holiday) and is far beyond any real period.
        let mut budget = n.saturating_mul(3).saturating_add(60);
        while left > 0 && budget > 0 {
            day = day.succ_opt().unwrap_or(day);
            if self.is_working_day(day) {
                left -= 1;
            }
            budget -= 1;
        }
        day
    }

    /// Years between `from` and `to` (inclusive) for which no holiday schedule is recorded,
    /// so a period across them counts weekdays only.
    pub fn years_without_schedule(&self, from: NaiveDate, to: NaiveDate) -> Vec<i32> {
        (from.year()..=to.year())
            .filter(|y| self.holiday_year(*y).is_none())
            .collect()
    }
}

/// The value with the latest effective date not after `on`; ties go to the later entry
/// (entries come in recorded order). Before every effective date: the earliest entry.
fn dated<T: Copy>(values: impl Iterator<Item = (NaiveDate, T)>, on: NaiveDate) -> Option<T> {
    let mut best: Option<(NaiveDate, T)> = None;
    let mut earliest: Option<(NaiveDate, T)> = None;
    for (from, value) in values {
        if from <= on && best.is_none_or(|(b, _)| from >= b) {
            best = Some((from, value));
        }
        if earliest.is_none_or(|(e, _)| from < e) {
            earliest = Some((from, value));
        }
    }
    best.or(earliest).map(|(_, v)| v)
}

/// What is wrong with a rule an operator entered, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RuleError {
    pub field: String,
    pub reason: String,
}

impl RuleError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The earliest date any rule may carry: the scheme's first day.
pub fn scheme_first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 7, 1).expect("valid date")
}

/// Checks a rule's own consistency (forms are checked when it is read from the wire).
pub fn validate(rule: &Rule) -> Result<(), RuleError> {
    match rule {
        Rule::ProvinceStart { starts_on, .. } => {
            if *starts_on < scheme_first_day() {
                return Err(RuleError::new(
                    "rule.province_start.starts_on",
                    format!(
                        "must not be before the scheme's first day {}",
                        scheme_first_day()
                    ),
                ));
            }
        }
        Rule::FilingDeadlines { days, .. } => {
            for (field, value) in [
                ("platform_days", days.platform),
                ("worker_days", days.worker),
                ("close_relative_days", days.close_relative),
            ] {
                if !(1..=3650).contains(&value) {
                    return Err(RuleError::new(
                        format!("rule.filing_deadlines.{field}"),
                        format!("must be 1..=3650 days, got {value}"),
                    ));
                }
            }
        }
        Rule::Window { kind, value, .. } => {
            if *value > kind.limit() {
                return Err(RuleError::new(
                    "rule.window.value",
                    format!("{} is at most {}, got {value}", kind.as_str(), kind.limit()),
                ));
            }
        }
        Rule::HolidayYear {
            year,
            holidays,
            workdays,
        } => validate_holiday_year(*year, holidays, workdays)?,
    }
    Ok(())
}

fn validate_holiday_year(
    year: i32,
    holidays: &BTreeSet<NaiveDate>,
    workdays: &BTreeSet<NaiveDate>,
) -> Result<(), RuleError> {
    if !(2022..=2100).contains(&year) {
        return Err(RuleError::new(
            "rule.holiday_year.year",
            format!("must be 2022..=2100, got {year}"),
        ));
    }
    if let Some(day) = holidays.iter().chain(workdays).find(|d| d.year() != year) {
        return Err(RuleError::new(
            "rule.holiday_year",
            format!("{day} is not in {year}"),
        ));
    }
    if let Some(day) = workdays
        .iter()
        .find(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
    {
        return Err(RuleError::new(
            "rule.holiday_year.workdays",
            format!("{day} is a weekday; only weekend days are made working days"),
        ));
    }
    if let Some(day) = holidays.intersection(workdays).next() {
        return Err(RuleError::new(
            "rule.holiday_year",
            format!("{day} is both a holiday and a working day"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
