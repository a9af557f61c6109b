//! The calendar's rules on the wire (`gigshield.common.v1.SchemeRule`) and back. Reading
//! checks every form and names the field; [`super::validate`] then checks the rule's sense.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use gigshield_proto::common as pb;

use super::{Confidence, DeadlineDays, Entry, Rule, RuleError, Source, WindowKind};
use crate::region::ProvinceCode;

fn day(field: &str, text: &str) -> Result<NaiveDate, RuleError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| RuleError::new(field, format!("must be a date YYYY-MM-DD, got {text:?}")))
}

fn days(field: &str, list: &[String]) -> Result<BTreeSet<NaiveDate>, RuleError> {
    list.iter()
        .enumerate()
        .map(|(i, d)| day(&format!("{field}[{i}]"), d))
        .collect()
}

fn window_kind(value: i32) -> Result<WindowKind, RuleError> {
    use pb::SchemeWindowKind as K;
    match K::try_from(value) {
        Ok(K::OrderGraceMinutes) => Ok(WindowKind::OrderGraceMinutes),
        Ok(K::OpenOrderMaxMinutes) => Ok(WindowKind::OpenOrderMaxMinutes),
        Ok(K::SuddenIllnessDeathHours) => Ok(WindowKind::SuddenIllnessDeathHours),
        Ok(K::DeterminationWorkingDays) => Ok(WindowKind::DeterminationWorkingDays),
        _ => Err(RuleError::new("rule.window.kind", "is required")),
    }
}

fn window_kind_to_proto(kind: WindowKind) -> pb::SchemeWindowKind {
    use pb::SchemeWindowKind as K;
    match kind {
        WindowKind::OrderGraceMinutes => K::OrderGraceMinutes,
        WindowKind::OpenOrderMaxMinutes => K::OpenOrderMaxMinutes,
        WindowKind::SuddenIllnessDeathHours => K::SuddenIllnessDeathHours,
        WindowKind::DeterminationWorkingDays => K::DeterminationWorkingDays,
    }
}

/// The longest document title or URL kept: a source is a reference, not a copy.
const MAX_SOURCE_CHARS: usize = 500;

/// A source as an operator enters it: the document and the confidence are required.
pub fn source_from_proto(source: Option<&pb::Source>) -> Result<Source, RuleError> {
    let source = source.ok_or_else(|| RuleError::new("rule.source", "is required"))?;
    let document = source.document.trim();
    if document.is_empty() {
        return Err(RuleError::new("rule.source.document", "is required"));
    }
    for (field, text) in [("document", document), ("url", source.url.trim())] {
        if text.chars().count() > MAX_SOURCE_CHARS {
            return Err(RuleError::new(
                format!("rule.source.{field}"),
                format!("at most {MAX_SOURCE_CHARS} characters"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(RuleError::new(
                format!("rule.source.{field}"),
                "must not contain control characters",
            ));
        }
    }
    let published_on = match source.published_on.trim() {
        "" => None,
        text => Some(day("rule.source.published_on", text)?),
    };
    let confidence = match pb::Confidence::try_from(source.confidence) {
        Ok(pb::Confidence::High) => Confidence::High,
        Ok(pb::Confidence::Medium) => Confidence::Medium,
        Ok(pb::Confidence::Unconfirmed) => Confidence::Unconfirmed,
        _ => return Err(RuleError::new("rule.source.confidence", "is required")),
    };
    if document.to_lowercase().starts_with("example") && confidence != Confidence::Unconfirmed {
        return Err(RuleError::new(
            "rule.source.confidence",
            "an example is never more than UNCONFIRMED",
        ));
    }
    Ok(Source {
        document: document.into(),
        url: source.url.trim().into(),
        published_on,
        confidence,
    })
}

pub fn source_to_proto(source: &Source) -> pb::Source {
    pb::Source {
        document: source.document.clone(),
        url: source.url.clone(),
        published_on: source
            .published_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        confidence: match source.confidence {
            Confidence::High => pb::Confidence::High,
            Confidence::Medium => pb::Confidence::Medium,
            Confidence::Unconfirmed => pb::Confidence::Unconfirmed,
        } as i32,
    }
}

/// A rule and its source from the wire, forms and sense checked.
pub fn rule_from_proto(rule: &pb::SchemeRule) -> Result<(Rule, Source), RuleError> {
    use pb::scheme_rule::Rule as R;
    let parsed = match rule.rule.as_ref() {
        None => return Err(RuleError::new("rule", "names no rule")),
        Some(R::ProvinceStart(p)) => Rule::ProvinceStart {
            province: ProvinceCode::parse(&p.province_code)
                .map_err(|e| RuleError::new("rule.province_start.province_code", e.to_string()))?,
            starts_on: day("rule.province_start.starts_on", &p.starts_on)?,
        },
        Some(R::FilingDeadlines(f)) => Rule::FilingDeadlines {
            effective_from: day("rule.filing_deadlines.effective_from", &f.effective_from)?,
            days: DeadlineDays {
                platform: f.platform_days,
                worker: f.worker_days,
                close_relative: f.close_relative_days,
            },
        },
        Some(R::Window(w)) => Rule::Window {
            kind: window_kind(w.kind)?,
            effective_from: day("rule.window.effective_from", &w.effective_from)?,
            value: w.value,
        },
        Some(R::HolidayYear(h)) => Rule::HolidayYear {
            year: h.year,
            holidays: days("rule.holiday_year.holidays", &h.holidays)?,
            workdays: days("rule.holiday_year.workdays", &h.workdays)?,
        },
    };
    super::validate(&parsed)?;
    Ok((parsed, source_from_proto(rule.source.as_ref())?))
}

pub fn rule_to_proto(rule: &Rule, source: &Source) -> pb::SchemeRule {
    use pb::scheme_rule::Rule as R;
    let rule = match rule {
        Rule::ProvinceStart {
            province,
            starts_on,
        } => R::ProvinceStart(pb::ProvinceStart {
            province_code: province.region_code(),
            starts_on: starts_on.to_string(),
        }),
        Rule::FilingDeadlines {
            effective_from,
            days,
        } => R::FilingDeadlines(pb::FilingDeadlines {
            effective_from: effective_from.to_string(),
            platform_days: days.platform,
            worker_days: days.worker,
            close_relative_days: days.close_relative,
        }),
        Rule::Window {
            kind,
            effective_from,
            value,
        } => R::Window(pb::SchemeWindow {
            kind: window_kind_to_proto(*kind) as i32,
            effective_from: effective_from.to_string(),
            value: *value,
        }),
        Rule::HolidayYear {
            year,
            holidays,
            workdays,
        } => R::HolidayYear(pb::HolidayYear {
            year: *year,
            holidays: holidays.iter().map(ToString::to_string).collect(),
            workdays: workdays.iter().map(ToString::to_string).collect(),
        }),
    };
    pb::SchemeRule {
        rule: Some(rule),
        source: Some(source_to_proto(source)),
    }
}

pub fn entry_to_proto(entry: &Entry) -> pb::SchemeRuleEntry {
    pb::SchemeRuleEntry {
        rule_id: entry.rule_id.clone().unwrap_or_default(),
        rule: Some(rule_to_proto(&entry.rule, &entry.source)),
        entered_by: entry.entered_by.clone(),
        recorded_at: Some(prost_types::Timestamp {
            seconds: entry.recorded_at.timestamp(),
            nanos: entry.recorded_at.timestamp_subsec_nanos() as i32,
        }),
        shipped: entry.shipped(),
    }
}

/// An entry as recorded (in an event or a replica row). It was checked when it was entered;
/// it is checked again, so a corrupt or forged entry is refused rather than applied.
pub fn entry_from_proto(entry: &pb::SchemeRuleEntry) -> Result<Entry, RuleError> {
    let rule = entry
        .rule
        .as_ref()
        .ok_or_else(|| RuleError::new("entry.rule", "is required"))?;
    let (rule, source) = rule_from_proto(rule)?;
    let recorded_at = entry
        .recorded_at
        .as_ref()
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .ok_or_else(|| RuleError::new("entry.recorded_at", "is required"))?;
    if entry.rule_id.is_empty() {
        return Err(RuleError::new("entry.rule_id", "is required"));
    }
    Ok(Entry {
        rule_id: Some(entry.rule_id.clone()),
        rule,
        source,
        entered_by: entry.entered_by.clone(),
        recorded_at,
    })
}
