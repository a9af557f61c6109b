//! Aggregates of incidents for regulators: pure counting over one row per incident, with small
//! cells suppressed so that no figure describes fewer persons than the threshold.

use std::collections::{BTreeMap, BTreeSet};

use gigshield_kit::statistics::{percentile, shown};
use uuid::Uuid;

/// The longest span one request may aggregate, in months.
pub const MAX_MONTHS: u32 = 24;

/// What one incident contributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFact {
    /// Shanghai month of the report, `YYYY-MM`.
    pub month: String,
    pub province_code: String,
    pub platform_id: Option<Uuid>,
    pub person_id: Uuid,
    pub withdrawn: bool,
    /// `Some(late)` once an application was filed.
    pub application: Option<bool>,
    /// Whole Shanghai days from the accident to the report.
    pub report_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellKey {
    pub month: String,
    pub province_code: String,
    pub platform_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub incidents: i64,
    pub persons: i64,
    pub applications: i64,
    pub applications_late: i64,
    pub withdrawn: i64,
    pub report_days_median: i64,
    pub report_days_p90: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub key: CellKey,
    /// `None`: suppressed (fewer persons than the threshold).
    pub figures: Option<Figures>,
}

#[derive(Default)]
struct Tally {
    persons: BTreeSet<Uuid>,
    figures: Figures,
    days: Vec<i64>,
}

/// One cell per month × province × platform that has incidents, in key order.
pub fn aggregate(facts: &[IncidentFact], min_persons: u32) -> Vec<Cell> {
    let mut tallies: BTreeMap<CellKey, Tally> = BTreeMap::new();
    for fact in facts {
        let key = CellKey {
            month: fact.month.clone(),
            province_code: fact.province_code.clone(),
            platform_id: fact.platform_id,
        };
        let tally = tallies.entry(key).or_default();
        tally.persons.insert(fact.person_id);
        tally.days.push(fact.report_days);
        let f = &mut tally.figures;
        f.incidents += 1;
        f.withdrawn += i64::from(fact.withdrawn);
        if let Some(late) = fact.application {
            f.applications += 1;
            f.applications_late += i64::from(late);
        }
    }
    tallies
        .into_iter()
        .map(|(key, mut tally)| {
            let figures = shown(tally.persons.len(), min_persons).then(|| {
                tally.days.sort_unstable();
                Figures {
                    persons: i64::try_from(tally.persons.len()).unwrap_or(i64::MAX),
                    report_days_median: percentile(&tally.days, 50),
                    report_days_p90: percentile(&tally.days, 90),
                    ..tally.figures
                }
            });
            Cell { key, figures }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(person: Uuid, platform: Uuid, application: Option<bool>, days: i64) -> IncidentFact {
        IncidentFact {
            month: "2026-11".into(),
            province_code: "110000".into(),
            platform_id: Some(platform),
            person_id: person,
            withdrawn: false,
            application,
            report_days: days,
        }
    }

    #[test]
    fn a_cell_counts_incidents_persons_applications_and_report_days() {
        let (p, q) = (Uuid::now_v7(), Uuid::now_v7());
        let persons: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let mut facts = vec![
            fact(persons[0], p, Some(false), 0),
            fact(persons[0], p, None, 2),
            fact(persons[1], p, Some(true), 9),
            fact(persons[2], p, None, 1),
            fact(Uuid::now_v7(), q, None, 0),
        ];
        facts[3].withdrawn = true;
        let cells = aggregate(&facts, 3);
        assert_eq!(cells.len(), 2);
        let f = cells
            .iter()
            .find(|c| c.key.platform_id == Some(p))
            .and_then(|c| c.figures.clone())
            .unwrap();
        assert_eq!((f.incidents, f.persons), (4, 3));
        assert_eq!(
            (f.applications, f.applications_late, f.withdrawn),
            (2, 1, 1)
        );
        assert_eq!((f.report_days_median, f.report_days_p90), (1, 9));
        let small = cells.iter().find(|c| c.key.platform_id == Some(q)).unwrap();
        assert_eq!(small.figures, None, "one person: suppressed");
    }
}
