//! Payout schedules: how an assessment turns into individual payments.
//!
//! One-time items become one payout each, due in the start month; monthly items become one
//! instalment per Asia/Shanghai calendar month from the start month, for a number of months or
//! through an end month. Lifelong benefits (pensions, allowances) are scheduled one horizon at a
//! time: scheduling again with a later end repeats the same payouts for the months already
//! covered, with the same keys, so only the new months are new.
//!
//! Every payout carries an idempotency key built only from the claim, the item kind and the
//! period, so the ledger can refuse to issue the same payout twice however often a schedule is
//! recomputed. The key deliberately leaves out the amount and the assessment: after a
//! re-appraisal the one-time subsidy keeps its key, and a changed amount shows up as a
//! difference for an adjuster (top-up or recovery), never as a second payment.

use gigshield_scheme::calendar::CalendarMonth;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::benefits::{Amount, BenefitAssessment, BenefitKind};

/// The longest run of instalments one schedule may produce: a hundred years of months. A
/// guard against a mistyped term, not a rule of the scheme.
pub const MAX_INSTALMENTS: u32 = 1_200;

/// How long a monthly item is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "term", content = "value", rename_all = "snake_case")]
pub enum Term {
    /// This many instalments, starting with the start month (at least one).
    Months(u32),
    /// Every month from the start month through this month, inclusive.
    Through(CalendarMonth),
}

/// A term for one monthly item instead of the default (a child's pension ending at 18, a
/// nursing allowance until re-appraisal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermOverride {
    pub kind: BenefitKind,
    pub term: Term,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulePlan {
    /// The month one-time items are due and monthly items start.
    pub start: CalendarMonth,
    /// The term of every monthly item without an override.
    pub monthly_term: Term,
    pub overrides: Vec<TermOverride>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "period", content = "month", rename_all = "snake_case")]
pub enum Period {
    Once,
    Month(CalendarMonth),
}

impl Period {
    /// "once" or "YYYY-MM", as used in idempotency keys.
    pub fn code(self) -> String {
        match self {
            Self::Once => "once".to_owned(),
            Self::Month(month) => month.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    pub idempotency_key: String,
    pub claim_id: Uuid,
    pub kind: BenefitKind,
    pub period: Period,
    /// The month it is due: the start month for one-time items, the period for instalments.
    pub due: CalendarMonth,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("{field}: {reason}")]
    InvalidTerm { field: String, reason: String },
    #[error("{field}: {reason}")]
    InvalidOverride { field: String, reason: &'static str },
    #[error("assessment item {kind:?} appears twice")]
    DuplicateItem { kind: BenefitKind },
}

/// The key a ledger stores with a payout to issue it at most once:
/// `claim/{claim_id}/{kind code}/{period code}`, e.g.
/// `claim/0190…/dependant_pension.1/2025-09`. The format is persisted: never change it.
pub fn idempotency_key(claim_id: Uuid, kind: BenefitKind, period: Period) -> String {
    format!("claim/{claim_id}/{}/{}", kind.code(), period.code())
}

/// The payouts of an assessment under a plan, ordered by due month, then by the item order of
/// the assessment, so equal inputs give equal schedules.
pub fn schedule(
    assessment: &BenefitAssessment,
    plan: &SchedulePlan,
) -> Result<Vec<Payout>, ScheduleError> {
    check_overrides(assessment, plan)?;
    let mut seen = Vec::new();
    let mut payouts: Vec<(usize, Payout)> = Vec::new();
    for (index, item) in assessment.items.iter().enumerate() {
        if seen.contains(&item.kind) {
            return Err(ScheduleError::DuplicateItem { kind: item.kind });
        }
        seen.push(item.kind);
        let payout = |period: Period, due: CalendarMonth, amount_fen: i64| Payout {
            idempotency_key: idempotency_key(assessment.claim_id, item.kind, period),
            claim_id: assessment.claim_id,
            kind: item.kind,
            period,
            due,
            amount_fen,
        };
        match item.amount {
            Amount::OneTime(0) | Amount::Monthly(0) => {}
            Amount::OneTime(fen) => payouts.push((index, payout(Period::Once, plan.start, fen))),
            Amount::Monthly(fen) => {
                let (term, field) = match plan.overrides.iter().position(|o| o.kind == item.kind) {
                    Some(i) => (plan.overrides[i].term, format!("overrides[{i}].term")),
                    None => (plan.monthly_term, "monthly_term".to_owned()),
                };
                for month in months(plan.start, term, &field)? {
                    payouts.push((index, payout(Period::Month(month), month, fen)));
                }
            }
        }
    }
    payouts.sort_by(|(a_index, a), (b_index, b)| a.due.cmp(&b.due).then(a_index.cmp(b_index)));
    Ok(payouts.into_iter().map(|(_, payout)| payout).collect())
}

fn check_overrides(
    assessment: &BenefitAssessment,
    plan: &SchedulePlan,
) -> Result<(), ScheduleError> {
    for (i, o) in plan.overrides.iter().enumerate() {
        let field = format!("overrides[{i}].kind");
        if plan.overrides[..i]
            .iter()
            .any(|earlier| earlier.kind == o.kind)
        {
            return Err(ScheduleError::InvalidOverride {
                field,
                reason: "the item already has an override",
            });
        }
        match assessment.items.iter().find(|item| item.kind == o.kind) {
            None => {
                return Err(ScheduleError::InvalidOverride {
                    field,
                    reason: "the assessment has no such item",
                });
            }
            Some(item) if matches!(item.amount, Amount::OneTime(_)) => {
                return Err(ScheduleError::InvalidOverride {
                    field,
                    reason: "a one-time item has no term",
                });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The months of a term, starting at `start`.
fn months(
    start: CalendarMonth,
    term: Term,
    field: &str,
) -> Result<Vec<CalendarMonth>, ScheduleError> {
    let invalid = |reason: String| ScheduleError::InvalidTerm {
        field: field.to_owned(),
        reason,
    };
    let count = match term {
        Term::Months(0) => return Err(invalid("must be at least one month".to_owned())),
        Term::Months(n) if n > MAX_INSTALMENTS => {
            return Err(invalid(format!("{n} months exceeds {MAX_INSTALMENTS}")));
        }
        Term::Months(n) => n,
        Term::Through(end) if end < start => {
            return Err(invalid(format!("ends {end}, before the start {start}")));
        }
        Term::Through(end) => {
            let span = i64::from(end.year() - start.year()) * 12 + i64::from(end.month())
                - i64::from(start.month())
                + 1;
            u32::try_from(span)
                .ok()
                .filter(|n| *n <= MAX_INSTALMENTS)
                .ok_or_else(|| invalid(format!("{span} months exceeds {MAX_INSTALMENTS}")))?
        }
    };
    let mut months = Vec::with_capacity(count as usize);
    let mut month = start;
    for i in 0..count {
        months.push(month);
        if i + 1 < count {
            month = month
                .next()
                .ok_or_else(|| invalid("runs past the year 9999".to_owned()))?;
        }
    }
    Ok(months)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::benefits::BenefitItem;

    const CLAIM: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);

    fn month(s: &str) -> CalendarMonth {
        s.parse().unwrap()
    }

    fn item(kind: BenefitKind, amount: Amount) -> BenefitItem {
        BenefitItem {
            kind,
            amount,
            basis: String::new(),
        }
    }

    /// Grade 3 with major nursing dependence, as the calculator lists it.
    fn assessment() -> BenefitAssessment {
        BenefitAssessment {
            claim_id: CLAIM,
            parameters_version: "test".to_owned(),
            items: vec![
                item(BenefitKind::NursingCare, Amount::Monthly(329_383)),
                item(BenefitKind::DisabilitySubsidy, Amount::OneTime(18_939_511)),
                item(BenefitKind::DisabilityAllowance, Amount::Monthly(658_766)),
            ],
            total_one_time_fen: 18_939_511,
            total_monthly_fen: 988_149,
        }
    }

    fn plan(term: Term) -> SchedulePlan {
        SchedulePlan {
            start: month("2025-11"),
            monthly_term: term,
            overrides: vec![],
        }
    }

    fn rows(payouts: &[Payout]) -> Vec<(String, String, i64)> {
        payouts
            .iter()
            .map(|p| (p.due.to_string(), p.kind.code(), p.amount_fen))
            .collect()
    }

    fn row(due: &str, kind: &str, fen: i64) -> (String, String, i64) {
        (due.to_owned(), kind.to_owned(), fen)
    }

    #[test]
    fn one_time_items_pay_once_and_monthly_items_each_month_of_the_term() {
        let payouts = schedule(&assessment(), &plan(Term::Months(3))).unwrap();
        assert_eq!(
            rows(&payouts),
            [
                row("2025-11", "nursing_care", 329_383),
                row("2025-11", "disability_subsidy", 18_939_511),
                row("2025-11", "disability_allowance", 658_766),
                row("2025-12", "nursing_care", 329_383),
                row("2025-12", "disability_allowance", 658_766),
                row("2026-01", "nursing_care", 329_383),
                row("2026-01", "disability_allowance", 658_766),
            ]
        );
        assert_eq!(payouts[1].period, Period::Once);
        assert_eq!(payouts[3].period, Period::Month(month("2025-12")));
        assert!(payouts.iter().all(|p| p.claim_id == CLAIM));
    }

    #[test]
    fn a_term_through_an_end_month_includes_it() {
        let payouts = schedule(&assessment(), &plan(Term::Through(month("2026-02")))).unwrap();
        let nursing: Vec<String> = payouts
            .iter()
            .filter(|p| p.kind == BenefitKind::NursingCare)
            .map(|p| p.due.to_string())
            .collect();
        assert_eq!(nursing, ["2025-11", "2025-12", "2026-01", "2026-02"]);
        let single = schedule(&assessment(), &plan(Term::Through(month("2025-11")))).unwrap();
        assert_eq!(single.len(), 3);
    }

    #[test]
    fn idempotency_keys_name_claim_kind_and_period() {
        let payouts = schedule(&assessment(), &plan(Term::Months(2))).unwrap();
        let keys: Vec<&str> = payouts.iter().map(|p| p.idempotency_key.as_str()).collect();
        let claim = CLAIM.to_string();
        assert_eq!(
            keys,
            [
                format!("claim/{claim}/nursing_care/2025-11"),
                format!("claim/{claim}/disability_subsidy/once"),
                format!("claim/{claim}/disability_allowance/2025-11"),
                format!("claim/{claim}/nursing_care/2025-12"),
                format!("claim/{claim}/disability_allowance/2025-12"),
            ]
        );
        let unique: std::collections::HashSet<&str> = keys.iter().copied().collect();
        assert_eq!(unique.len(), keys.len());
        assert_eq!(
            idempotency_key(
                CLAIM,
                BenefitKind::DependantPension { dependant: 2 },
                Period::Once
            ),
            format!("claim/{claim}/dependant_pension.2/once")
        );
    }

    #[test]
    fn rescheduling_gives_the_same_keys_so_a_second_issue_is_detectable() {
        let first = schedule(&assessment(), &plan(Term::Months(3))).unwrap();
        assert_eq!(
            schedule(&assessment(), &plan(Term::Months(3))).unwrap(),
            first
        );
        // A longer horizon repeats the first schedule's payouts exactly and only adds months.
        let longer = schedule(&assessment(), &plan(Term::Months(12))).unwrap();
        for payout in &first {
            assert!(longer.contains(payout), "{payout:?}");
        }
        // A re-assessment with another amount keeps the one-time item's key: the ledger sees
        // a second issue of the same payout, not a new one.
        let mut reassessed = assessment();
        reassessed.items[1].amount = Amount::OneTime(20_586_425);
        let again = schedule(&reassessed, &plan(Term::Months(3))).unwrap();
        assert_eq!(again[1].idempotency_key, first[1].idempotency_key);
        assert_ne!(again[1].amount_fen, first[1].amount_fen);
    }

    #[test]
    fn an_override_gives_one_monthly_item_its_own_term() {
        let mut assessment = assessment();
        assessment.items = vec![
            item(BenefitKind::FuneralGrant, Amount::OneTime(4_940_742)),
            item(
                BenefitKind::DependantPension { dependant: 0 },
                Amount::Monthly(329_383),
            ),
            item(
                BenefitKind::DependantPension { dependant: 1 },
                Amount::Monthly(247_037),
            ),
        ];
        let plan = SchedulePlan {
            start: month("2025-11"),
            monthly_term: Term::Months(3),
            // The child turns 18 in December.
            overrides: vec![TermOverride {
                kind: BenefitKind::DependantPension { dependant: 1 },
                term: Term::Through(month("2025-12")),
            }],
        };
        assert_eq!(
            rows(&schedule(&assessment, &plan).unwrap()),
            [
                row("2025-11", "funeral_grant", 4_940_742),
                row("2025-11", "dependant_pension.0", 329_383),
                row("2025-11", "dependant_pension.1", 247_037),
                row("2025-12", "dependant_pension.0", 329_383),
                row("2025-12", "dependant_pension.1", 247_037),
                row("2026-01", "dependant_pension.0", 329_383),
            ]
        );
    }

    #[test]
    fn zero_amounts_are_not_paid() {
        let mut assessment = assessment();
        assessment.items[0].amount = Amount::Monthly(0);
        assessment.items[1].amount = Amount::OneTime(0);
        let payouts = schedule(&assessment, &plan(Term::Months(2))).unwrap();
        assert!(
            payouts
                .iter()
                .all(|p| p.kind == BenefitKind::DisabilityAllowance)
        );
        assert_eq!(payouts.len(), 2);
    }

    #[test]
    fn bad_terms_are_rejected_naming_the_field() {
        let field = |result: Result<Vec<Payout>, ScheduleError>| match result {
            Err(ScheduleError::InvalidTerm { field, .. }) => field,
            other => panic!("expected an invalid term, got {other:?}"),
        };
        assert_eq!(
            field(schedule(&assessment(), &plan(Term::Months(0)))),
            "monthly_term"
        );
        assert_eq!(
            field(schedule(
                &assessment(),
                &plan(Term::Months(MAX_INSTALMENTS + 1))
            )),
            "monthly_term"
        );
        assert_eq!(
            field(schedule(
                &assessment(),
                &plan(Term::Through(month("2025-10")))
            )),
            "monthly_term"
        );
        assert_eq!(
            field(schedule(
                &assessment(),
                &plan(Term::Through(month("2200-01")))
            )),
            "monthly_term"
        );
        let mut late = plan(Term::Months(24));
        late.start = month("9999-01");
        assert_eq!(field(schedule(&assessment(), &late)), "monthly_term");
        let mut with_override = plan(Term::Months(3));
        with_override.overrides = vec![TermOverride {
            kind: BenefitKind::NursingCare,
            term: Term::Months(0),
        }];
        assert_eq!(
            field(schedule(&assessment(), &with_override)),
            "overrides[0].term"
        );
        assert!(schedule(&assessment(), &plan(Term::Months(MAX_INSTALMENTS))).is_ok());
    }

    #[test]
    fn overrides_must_name_a_monthly_item_once() {
        let field = |overrides: Vec<TermOverride>| {
            let plan = SchedulePlan {
                overrides,
                ..plan(Term::Months(3))
            };
            match schedule(&assessment(), &plan) {
                Err(ScheduleError::InvalidOverride { field, .. }) => field,
                other => panic!("expected an invalid override, got {other:?}"),
            }
        };
        let over = |kind| TermOverride {
            kind,
            term: Term::Months(1),
        };
        assert_eq!(
            field(vec![over(BenefitKind::FuneralGrant)]),
            "overrides[0].kind"
        );
        assert_eq!(
            field(vec![over(BenefitKind::DisabilitySubsidy)]),
            "overrides[0].kind"
        );
        assert_eq!(
            field(vec![
                over(BenefitKind::NursingCare),
                over(BenefitKind::NursingCare)
            ]),
            "overrides[1].kind"
        );
    }

    #[test]
    fn an_assessment_listing_an_item_twice_cannot_be_scheduled() {
        let mut assessment = assessment();
        assessment
            .items
            .push(item(BenefitKind::NursingCare, Amount::Monthly(1)));
        assert_eq!(
            schedule(&assessment, &plan(Term::Months(1))),
            Err(ScheduleError::DuplicateItem {
                kind: BenefitKind::NursingCare
            })
        );
    }

    #[test]
    fn from_calculator_to_schedule() {
        use crate::domain::benefit_parameters::{
            BenefitParameters, Confidence, Figure, FigureTable,
        };
        use crate::domain::benefits::{
            Appraisal, ClaimFacts, DisabilityGrade, NursingLevel, assess,
        };
        use gigshield_scheme::region::RegionCode;

        let facts = ClaimFacts {
            claim_id: CLAIM,
            region: RegionCode::parse("110105").unwrap(),
            occurred_at: "2025-08-10T02:20:00Z".parse().unwrap(),
            approved_bills: vec![],
            hospital_days: 0,
            death: None,
        };
        let appraisal = Appraisal {
            grade: DisabilityGrade::new(1).unwrap(),
            nursing: NursingLevel::Total,
        };
        let wage = Figure::new(
            FigureTable::AreaAverageMonthlyWage,
            Some(RegionCode::parse("110000").unwrap()),
            2024,
            1_200_000,
            "example, for tests".into(),
            Confidence::Unconfirmed,
        )
        .unwrap();
        let params = BenefitParameters::embedded().unwrap().with_figures(&[wage]);
        let assessment = assess(&facts, Some(&appraisal), &params).unwrap();
        let payouts = schedule(&assessment, &plan(Term::Months(12))).unwrap();
        // One subsidy, then 12 months of nursing and of the allowance.
        assert_eq!(payouts.len(), 1 + 12 * 2);
        let one_time: i64 = payouts
            .iter()
            .filter(|p| p.period == Period::Once)
            .map(|p| p.amount_fen)
            .sum();
        assert_eq!(one_time, assessment.total_one_time_fen);
        let first_month: i64 = payouts
            .iter()
            .filter(|p| p.period == Period::Month(month("2025-11")))
            .map(|p| p.amount_fen)
            .sum();
        assert_eq!(first_month, assessment.total_monthly_fen);
    }
}
