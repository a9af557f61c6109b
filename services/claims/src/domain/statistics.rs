//! Aggregates of claims for regulators: pure counting over one row per claim, with small cells
//! suppressed so that no figure describes fewer persons than the threshold.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use gigshield_kit::statistics::{percentile, shown};

use super::lifecycle::{ClaimStatus, RefusalReason};

/// The longest span one request may aggregate, in months.
pub const MAX_MONTHS: u32 = 24;

/// What one claim contributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFact {
    /// Shanghai month of filing, `YYYY-MM`.
    pub month: String,
    pub province_code: String,
    pub platform_id: Option<Uuid>,
    pub person_id: Uuid,
    pub status: ClaimStatus,
    pub automatic: bool,
    /// Whole days from filing to the decision the claim stands on.
    pub decision_days: Option<i64>,
    /// Whole days from filing to its first payout leaving (issued to the registered account,
    /// or approved when held).
    pub payment_days: Option<i64>,
    pub refusal_reason: Option<RefusalReason>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellKey {
    pub month: String,
    pub province_code: String,
    pub platform_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub claims: i64,
    pub persons: i64,
    pub awaiting_decision: i64,
    pub confirmed: i64,
    pub refused: i64,
    pub withdrawn: i64,
    pub confirmed_automatically: i64,
    pub decision_days_median: i64,
    pub decision_days_p90: i64,
    pub payment_days_median: i64,
    pub payment_days_p90: i64,
    pub refusals_by_reason: BTreeMap<String, i64>,
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
    payment_days: Vec<i64>,
}

/// One cell per month × province × platform that has claims, in key order.
pub fn aggregate(facts: &[ClaimFact], min_persons: u32) -> Vec<Cell> {
    let mut tallies: BTreeMap<CellKey, Tally> = BTreeMap::new();
    for fact in facts {
        let key = CellKey {
            month: fact.month.clone(),
            province_code: fact.province_code.clone(),
            platform_id: fact.platform_id,
        };
        count(tallies.entry(key).or_default(), fact);
    }
    tallies
        .into_iter()
        .map(|(key, tally)| Cell {
            key,
            figures: finish(tally, min_persons),
        })
        .collect()
}

fn count(tally: &mut Tally, fact: &ClaimFact) {
    tally.persons.insert(fact.person_id);
    let f = &mut tally.figures;
    f.claims += 1;
    match fact.status {
        ClaimStatus::InReview | ClaimStatus::InformationRequested => f.awaiting_decision += 1,
        ClaimStatus::Confirmed => {
            f.confirmed += 1;
            f.confirmed_automatically += i64::from(fact.automatic);
        }
        ClaimStatus::Refused => {
            f.refused += 1;
            if let Some(reason) = fact.refusal_reason {
                *f.refusals_by_reason
                    .entry(reason.as_str().to_string())
                    .or_default() += 1;
            }
        }
        ClaimStatus::Withdrawn => f.withdrawn += 1,
    }
    tally.payment_days.extend(fact.payment_days);
    if let (Some(days), ClaimStatus::Confirmed | ClaimStatus::Refused) =
        (fact.decision_days, fact.status)
    {
        tally.days.push(days);
    }
}

fn finish(mut tally: Tally, min_persons: u32) -> Option<Figures> {
    if !shown(tally.persons.len(), min_persons) {
        return None;
    }
    let persons = i64::try_from(tally.persons.len()).unwrap_or(i64::MAX);
    tally.days.sort_unstable();
    tally.payment_days.sort_unstable();
    let mut figures = tally.figures;
    figures.persons = persons;
    figures.decision_days_median = percentile(&tally.days, 50);
    figures.decision_days_p90 = percentile(&tally.days, 90);
    figures.payment_days_median = percentile(&tally.payment_days, 50);
    figures.payment_days_p90 = percentile(&tally.payment_days, 90);
    Some(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(person: Uuid, status: ClaimStatus, days: Option<i64>) -> ClaimFact {
        ClaimFact {
            month: "2026-10".into(),
            province_code: "440000".into(),
            platform_id: None,
            person_id: person,
            status,
            automatic: false,
            decision_days: days,
            payment_days: None,
            refusal_reason: None,
        }
    }

    #[test]
    fn a_cell_counts_statuses_persons_and_decision_days() {
        let people: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
        let mut facts = vec![
            ClaimFact {
                automatic: true,
                payment_days: Some(2),
                ..fact(people[0], ClaimStatus::Confirmed, Some(0))
            },
            ClaimFact {
                payment_days: Some(30),
                ..fact(people[1], ClaimStatus::Confirmed, Some(12))
            },
            ClaimFact {
                refusal_reason: Some(RefusalReason::FiledLate),
                ..fact(people[2], ClaimStatus::Refused, Some(20))
            },
            fact(people[3], ClaimStatus::InReview, None),
            // The same person twice: two claims, one person.
            fact(people[3], ClaimStatus::Withdrawn, None),
        ];
        facts.push(ClaimFact {
            month: "2026-11".into(),
            ..fact(people[0], ClaimStatus::Confirmed, Some(3))
        });
        let cells = aggregate(&facts, 4);
        assert_eq!(cells.len(), 2);
        let october = cells[0].figures.clone().expect("four persons: shown");
        assert_eq!(
            (october.claims, october.persons, october.awaiting_decision),
            (5, 4, 1)
        );
        assert_eq!((october.confirmed, october.confirmed_automatically), (2, 1));
        assert_eq!((october.refused, october.withdrawn), (1, 1));
        assert_eq!(october.refusals_by_reason.get("FILED_LATE"), Some(&1));
        assert_eq!(
            (october.decision_days_median, october.decision_days_p90),
            (12, 20)
        );
        assert_eq!(
            (october.payment_days_median, october.payment_days_p90),
            (2, 30),
            "over the paid claims only"
        );
        assert_eq!(cells[1].key.month, "2026-11");
        assert_eq!(cells[1].figures, None, "one person: suppressed");
    }
}
