//! The benefit calculator: what the fund owes for a confirmed claim, item by item, each with the
//! formula that produced it.
//!
//! Reference formulas of the work-injury regulation (docs/domain.md, M), with the figures from
//! [`BenefitParameters`]. Platform workers have no employer wage, so the *wage base* is the
//! area's average monthly wage times `wage_base_bp_of_area_average` (default 100 %, ?).
//!
//! # Rounding
//!
//! Money is `i64` fen and rates are basis points (10000 = 100 %). A percentage of an amount is
//! computed exactly in `i128` as `base × bp / 10000` and rounded **half up to the fen** (every
//! base is non-negative, so this is also half away from zero): 411 728.5 fen → 411 729 fen,
//! 247 037.1 fen → 247 037 fen. See [`percent_of_fen`]. Month counts and income multiples are
//! exact products. Each figure is rounded once: the wage base first (exact while it is 100 % of
//! the area wage), then each item from it; totals add rounded items.
//!
//! # Cap on dependants' pensions
//!
//! Spouse 40 %, anyone else 30 %, +10 % for a lone elder or an orphan, each of the wage base
//! and rounded half up. If the rounded pensions together exceed `cap_of_wage_base` of the wage
//! base (the cap, itself rounded half up; default 100 %), the cap is shared out in proportion
//! to each dependant's rate: each gets `floor(cap × rate / Σ rates)` fen, and the few fen left
//! over go one each to the largest fractional remainders, ties to the dependant listed first
//! (Hamilton's method). So the capped pensions sum to exactly the cap, nobody's exceeds their
//! uncapped pension, and equal rates get amounts at most one fen apart. The comparison is made
//! in rounded fen, so rates summing exactly to the cap whose roundings add a fen are
//! apportioned too.
//!
//! # Reference years
//!
//! Wage and income figures are those of the year before (`reference_year_offset`, M) the
//! incident's Shanghai calendar year — for death benefits, before the year of death, since the
//! regulation fixes them at death. The hospital meal standard is the one applying in the
//! incident year. A missing figure is an error naming the table, region and year; the
//! calculator never borrows another year's figure.
//!
//! # Not covered here
//!
//! A claim with both a death and an appraisal (a disabled worker dying later) is rejected with
//! [`AssessmentError::InvalidFacts`]: the regulation then pays some death items and not others
//! depending on when and of what the worker died (art. 39), which is an adjuster's call.
//! Periodic re-indexing of monthly benefits is a new assessment with newer figures.

use chrono::{DateTime, Datelike, Utc};
use gigshield_scheme::calendar::shanghai_date;
use gigshield_scheme::region::RegionCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::benefit_parameters::{BenefitParameters, GradeFigure, RegionYearFigure};

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// The benefit-relevant facts of a confirmed claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimFacts {
    pub claim_id: Uuid,
    /// The area whose figures apply: the covering order's region
    /// ([`super::determination::Liability::region`]), as coverage follows the order.
    pub region: RegionCode,
    pub occurred_at: DateTime<Utc>,
    /// Bills an adjuster approved as within the catalogues and standards.
    pub approved_bills: Vec<ApprovedBill>,
    /// Days in hospital for the injury (meal allowance).
    pub hospital_days: u32,
    pub death: Option<Death>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedBill {
    pub kind: BillKind,
    pub amount_fen: i64,
}

/// What a bill pays for; each kind becomes its own benefit item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillKind {
    /// Treatment and rehabilitation within the catalogues, at actual cost.
    MedicalAndRehabilitation,
    /// Assistive devices (prostheses, wheelchairs …), actual cost within the standard.
    AssistiveDevice,
    /// Travel and lodging for approved care outside the area, within the local standard.
    OutOfAreaTravel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Death {
    pub died_at: DateTime<Utc>,
    /// The dependants the deceased supported (供养亲属), in the order the pensions are listed.
    pub dependants: Vec<Dependant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependant {
    pub relation: Relation,
    /// +10 % for a lone elder (parent or grandparent) or an orphan (child, grandchild or
    /// sibling).
    pub supplement: Option<Supplement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Spouse,
    Child,
    Parent,
    Grandparent,
    Grandchild,
    Sibling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Supplement {
    /// 孤寡老人
    LoneElder,
    /// 孤儿
    Orphan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("disability grade must be 1..=10 (GB/T 16180), got {0}")]
pub struct GradeOutOfRange(pub u8);

/// A disability grade under GB/T 16180-2014: 1 is the most severe, 10 the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct DisabilityGrade(u8);

impl DisabilityGrade {
    pub fn new(grade: u8) -> Result<Self, GradeOutOfRange> {
        if (1..=10).contains(&grade) {
            Ok(Self(grade))
        } else {
            Err(GradeOutOfRange(grade))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for DisabilityGrade {
    type Error = GradeOutOfRange;

    fn try_from(grade: u8) -> Result<Self, Self::Error> {
        Self::new(grade)
    }
}

impl From<DisabilityGrade> for u8 {
    fn from(grade: DisabilityGrade) -> Self {
        grade.0
    }
}

/// Dependence on nursing care (生活自理障碍) as appraised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NursingLevel {
    None,
    Partial,
    Major,
    Total,
}

/// The capacity appraisal's conclusion (劳动能力鉴定).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appraisal {
    pub grade: DisabilityGrade,
    pub nursing: NursingLevel,
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BenefitKind {
    MedicalAndRehabilitation,
    AssistiveDevices,
    OutOfAreaTravel,
    HospitalMealAllowance,
    NursingCare,
    DisabilitySubsidy,
    DisabilityAllowance,
    FuneralGrant,
    DeathGrant,
    /// The pension of `death.dependants[dependant]`.
    DependantPension {
        dependant: u32,
    },
}

impl BenefitKind {
    /// A stable name, part of payout idempotency keys: never change an existing one.
    pub fn code(self) -> String {
        match self {
            Self::MedicalAndRehabilitation => "medical_and_rehabilitation".to_owned(),
            Self::AssistiveDevices => "assistive_devices".to_owned(),
            Self::OutOfAreaTravel => "out_of_area_travel".to_owned(),
            Self::HospitalMealAllowance => "hospital_meal_allowance".to_owned(),
            Self::NursingCare => "nursing_care".to_owned(),
            Self::DisabilitySubsidy => "disability_subsidy".to_owned(),
            Self::DisabilityAllowance => "disability_allowance".to_owned(),
            Self::FuneralGrant => "funeral_grant".to_owned(),
            Self::DeathGrant => "death_grant".to_owned(),
            Self::DependantPension { dependant } => format!("dependant_pension.{dependant}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "schedule", content = "fen", rename_all = "snake_case")]
pub enum Amount {
    OneTime(i64),
    Monthly(i64),
}

impl Amount {
    pub fn fen(self) -> i64 {
        match self {
            Self::OneTime(fen) | Self::Monthly(fen) => fen,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenefitItem {
    pub kind: BenefitKind,
    pub amount: Amount,
    /// The formula with its figures and their sources, for the adjuster and the audit.
    pub basis: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenefitAssessment {
    pub claim_id: Uuid,
    /// The parameter file version the figures came from.
    pub parameters_version: String,
    /// Items with a non-zero amount, in a fixed order: bills, meal allowance, nursing,
    /// disability subsidy and allowance, funeral grant, death grant, pensions.
    pub items: Vec<BenefitItem>,
    pub total_one_time_fen: i64,
    /// What is due each month at the start (before any item ends).
    pub total_monthly_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessmentError {
    #[error("{field} must not be negative, got {value}")]
    NegativeAmount { field: String, value: i64 },
    #[error("{field}: {reason}")]
    InvalidFacts { field: String, reason: &'static str },
    #[error(
        "no {table} figure for region {region} (or its prefecture or province) and year {year}"
    )]
    MissingRegionalFigure {
        table: &'static str,
        region: RegionCode,
        year: i32,
    },
    #[error("no {table} figure for year {year}")]
    MissingNationalFigure { table: &'static str, year: i32 },
    #[error("{field} overflows the range of i64 fen")]
    Overflow { field: String },
}

// ---------------------------------------------------------------------------------------------
// Calculator
// ---------------------------------------------------------------------------------------------

/// `basis_points`/10000 of `base_fen`, rounded half up to the fen. `None` for a negative base
/// (no benefit is a percentage of a negative amount) or a result beyond `i64`.
pub fn percent_of_fen(base_fen: i64, basis_points: u32) -> Option<i64> {
    if base_fen < 0 {
        return None;
    }
    let scaled = i128::from(base_fen) * i128::from(basis_points);
    i64::try_from((scaled + 5_000) / 10_000).ok()
}

/// Assesses every benefit item the facts and the appraisal give rise to.
///
/// - bills of each kind → a one-time item, their sum;
/// - hospital days → meal allowance, days × the area's daily standard;
/// - an appraisal → nursing care (monthly, a share of the area's average wage, if dependent),
///   the one-time disability subsidy (months × wage base) and, for grades 1–4, the monthly
///   disability allowance (a share of the wage base); grades 5–10 get no monthly allowance,
///   the ordinary law's version presumes an employer;
/// - a death → funeral grant (months × area average wage), one-time death grant (multiple ×
///   national urban per-capita disposable income) and a monthly pension per dependant (a share
///   of the wage base, the total capped as the module documentation describes).
pub fn assess(
    facts: &ClaimFacts,
    appraisal: Option<&Appraisal>,
    params: &BenefitParameters,
) -> Result<BenefitAssessment, AssessmentError> {
    validate(facts, appraisal)?;
    let mut items = bill_items(facts)?;
    if facts.hospital_days > 0 {
        items.push(meal_allowance(facts, params)?);
    }
    if let Some(appraisal) = appraisal {
        items.extend(disability_items(facts, appraisal, params)?);
    }
    if let Some(death) = &facts.death {
        items.extend(death_items(facts, death, params)?);
    }
    items.retain(|item| item.amount.fen() != 0);

    let mut total_one_time_fen: i64 = 0;
    let mut total_monthly_fen: i64 = 0;
    for item in &items {
        let (total, field) = match item.amount {
            Amount::OneTime(_) => (&mut total_one_time_fen, "total_one_time_fen"),
            Amount::Monthly(_) => (&mut total_monthly_fen, "total_monthly_fen"),
        };
        *total = total
            .checked_add(item.amount.fen())
            .ok_or_else(|| overflow(field))?;
    }
    Ok(BenefitAssessment {
        claim_id: facts.claim_id,
        parameters_version: params.version.clone(),
        items,
        total_one_time_fen,
        total_monthly_fen,
    })
}

fn overflow(field: impl Into<String>) -> AssessmentError {
    AssessmentError::Overflow {
        field: field.into(),
    }
}

fn invalid_facts(field: impl Into<String>, reason: &'static str) -> AssessmentError {
    AssessmentError::InvalidFacts {
        field: field.into(),
        reason,
    }
}

fn validate(facts: &ClaimFacts, appraisal: Option<&Appraisal>) -> Result<(), AssessmentError> {
    for (i, bill) in facts.approved_bills.iter().enumerate() {
        if bill.amount_fen < 0 {
            return Err(AssessmentError::NegativeAmount {
                field: format!("approved_bills[{i}].amount_fen"),
                value: bill.amount_fen,
            });
        }
    }
    let Some(death) = &facts.death else {
        return Ok(());
    };
    if appraisal.is_some() {
        return Err(invalid_facts(
            "appraisal",
            "a death claim with a disability appraisal needs an adjuster (regulation art. 39)",
        ));
    }
    if death.died_at < facts.occurred_at {
        return Err(invalid_facts("death.died_at", "is before the incident"));
    }
    let mut spouse_seen = false;
    for (i, dependant) in death.dependants.iter().enumerate() {
        if dependant.relation == Relation::Spouse {
            if spouse_seen {
                return Err(invalid_facts(
                    format!("death.dependants[{i}].relation"),
                    "a second spouse",
                ));
            }
            spouse_seen = true;
        }
        let fits = match dependant.supplement {
            None => true,
            Some(Supplement::LoneElder) => {
                matches!(dependant.relation, Relation::Parent | Relation::Grandparent)
            }
            Some(Supplement::Orphan) => matches!(
                dependant.relation,
                Relation::Child | Relation::Grandchild | Relation::Sibling
            ),
        };
        if !fits {
            return Err(invalid_facts(
                format!("death.dependants[{i}].supplement"),
                "a lone elder must be a parent or grandparent, an orphan a child, grandchild or sibling",
            ));
        }
    }
    Ok(())
}

fn bill_items(facts: &ClaimFacts) -> Result<Vec<BenefitItem>, AssessmentError> {
    let kinds = [
        (
            BillKind::MedicalAndRehabilitation,
            BenefitKind::MedicalAndRehabilitation,
            "medical and rehabilitation",
        ),
        (
            BillKind::AssistiveDevice,
            BenefitKind::AssistiveDevices,
            "assistive devices",
        ),
        (
            BillKind::OutOfAreaTravel,
            BenefitKind::OutOfAreaTravel,
            "out-of-area travel",
        ),
    ];
    let mut items = Vec::new();
    for (bill_kind, kind, label) in kinds {
        let amounts: Vec<i64> = facts
            .approved_bills
            .iter()
            .filter(|bill| bill.kind == bill_kind)
            .map(|bill| bill.amount_fen)
            .collect();
        let mut sum: i64 = 0;
        for amount in &amounts {
            sum = sum
                .checked_add(*amount)
                .ok_or_else(|| overflow("approved_bills"))?;
        }
        let terms: Vec<String> = amounts.iter().map(i64::to_string).collect();
        items.push(BenefitItem {
            kind,
            amount: Amount::OneTime(sum),
            basis: format!(
                "{label}: sum of {} approved bill(s), {} = {sum} fen",
                amounts.len(),
                if terms.is_empty() {
                    "0".to_owned()
                } else {
                    terms.join(" + ")
                }
            ),
        });
    }
    Ok(items)
}

fn meal_allowance(
    facts: &ClaimFacts,
    params: &BenefitParameters,
) -> Result<BenefitItem, AssessmentError> {
    // A standard in force, not a statistic: the incident's own year.
    let year = shanghai_date(facts.occurred_at).year();
    let daily = params
        .hospital_meal_allowance_daily(&facts.region, year)
        .ok_or_else(|| AssessmentError::MissingRegionalFigure {
            table: "hospital_meal_allowance_daily_fen",
            region: facts.region.clone(),
            year,
        })?;
    let amount = daily
        .value
        .checked_mul(i64::from(facts.hospital_days))
        .ok_or_else(|| overflow("hospital_days"))?;
    Ok(BenefitItem {
        kind: BenefitKind::HospitalMealAllowance,
        amount: Amount::OneTime(amount),
        basis: format!(
            "hospital meal allowance: {} day(s) × {} = {amount} fen",
            facts.hospital_days,
            describe_regional("daily standard", daily)
        ),
    })
}

fn disability_items(
    facts: &ClaimFacts,
    appraisal: &Appraisal,
    params: &BenefitParameters,
) -> Result<Vec<BenefitItem>, AssessmentError> {
    let area = area_wage(
        params,
        &facts.region,
        reference_year(facts.occurred_at, params),
    )?;
    let base = wage_base(params, area)?;
    let grade = appraisal.grade.get();
    let mut items = Vec::new();

    let nursing = &params.nursing_care_bp;
    let nursing_rate = match appraisal.nursing {
        NursingLevel::None => None,
        NursingLevel::Partial => Some(("partial", nursing.partial.value)),
        NursingLevel::Major => Some(("major", nursing.major.value)),
        NursingLevel::Total => Some(("total", nursing.total.value)),
    };
    if let Some((level, bp)) = nursing_rate {
        let amount = percent_of_fen(area.value, bp).ok_or_else(|| overflow("nursing_care"))?;
        items.push(BenefitItem {
            kind: BenefitKind::NursingCare,
            amount: Amount::Monthly(amount),
            basis: format!(
                "nursing care, {level} dependence: {} of {} = {amount} fen per month \
                 (rounded half up to the fen)",
                percent(bp),
                describe_regional("average monthly wage", area)
            ),
        });
    }

    let months = grade_figure(params.disability_subsidy_months(grade))?;
    let amount = base
        .fen
        .checked_mul(i64::from(months.value))
        .ok_or_else(|| overflow("disability_subsidy"))?;
    items.push(BenefitItem {
        kind: BenefitKind::DisabilitySubsidy,
        amount: Amount::OneTime(amount),
        basis: format!(
            "one-time disability subsidy, grade {grade}: {} months ({}) × {} = {amount} fen",
            months.value, months.source, base.basis
        ),
    });

    if let Some(rate) = params.disability_allowance_bp(grade) {
        let amount =
            percent_of_fen(base.fen, rate.value).ok_or_else(|| overflow("disability_allowance"))?;
        items.push(BenefitItem {
            kind: BenefitKind::DisabilityAllowance,
            amount: Amount::Monthly(amount),
            basis: format!(
                "disability allowance, grade {grade}: {} ({}) of {} = {amount} fen per month \
                 (rounded half up to the fen)",
                percent(rate.value),
                rate.source,
                base.basis
            ),
        });
    }
    Ok(items)
}

fn death_items(
    facts: &ClaimFacts,
    death: &Death,
    params: &BenefitParameters,
) -> Result<Vec<BenefitItem>, AssessmentError> {
    let year = reference_year(death.died_at, params);
    let area = area_wage(params, &facts.region, year)?;
    let mut items = Vec::new();

    let months = &params.funeral_grant_months;
    let amount = area
        .value
        .checked_mul(i64::from(months.value))
        .ok_or_else(|| overflow("funeral_grant"))?;
    items.push(BenefitItem {
        kind: BenefitKind::FuneralGrant,
        amount: Amount::OneTime(amount),
        basis: format!(
            "funeral grant: {} months × {} = {amount} fen",
            months.value,
            describe_regional("average monthly wage", area)
        ),
    });

    let income = params.national_urban_disposable_income(year).ok_or(
        AssessmentError::MissingNationalFigure {
            table: "national_urban_disposable_income_fen",
            year,
        },
    )?;
    let multiple = &params.death_grant_multiple;
    let amount = income
        .value
        .checked_mul(i64::from(multiple.value))
        .ok_or_else(|| overflow("death_grant"))?;
    items.push(BenefitItem {
        kind: BenefitKind::DeathGrant,
        amount: Amount::OneTime(amount),
        basis: format!(
            "one-time death grant: {} × national urban per-capita disposable income for {} \
             ({} fen; source: {}; confidence {}) = {amount} fen",
            multiple.value,
            income.year,
            income.value,
            income.source,
            income.confidence.as_str()
        ),
    });

    if !death.dependants.is_empty() {
        let base = wage_base(params, area)?;
        items.extend(dependant_pensions(&death.dependants, &base, params)?);
    }
    Ok(items)
}

/// Monthly pensions for the dependants, capped as the module documentation describes.
fn dependant_pensions(
    dependants: &[Dependant],
    base: &WageBase,
    params: &BenefitParameters,
) -> Result<Vec<BenefitItem>, AssessmentError> {
    let rates = &params.dependant_pension_bp;
    let shares: Vec<u32> = dependants
        .iter()
        .map(|d| {
            let rate = match d.relation {
                Relation::Spouse => rates.spouse.value,
                _ => rates.other.value,
            };
            match d.supplement {
                Some(_) => rate + rates.lone_elder_or_orphan_supplement.value,
                None => rate,
            }
        })
        .collect();
    let uncapped = shares
        .iter()
        .map(|bp| percent_of_fen(base.fen, *bp).ok_or_else(|| overflow("dependant_pension")))
        .collect::<Result<Vec<i64>, _>>()?;
    let cap_bp = rates.cap_of_wage_base.value;
    let cap = percent_of_fen(base.fen, cap_bp).ok_or_else(|| overflow("dependant_pension"))?;
    // In i128: no count of dependants can overflow the comparison.
    let sum: i128 = uncapped.iter().map(|fen| i128::from(*fen)).sum();
    let capped = sum > i128::from(cap);
    let amounts = if capped {
        apportion(cap, &shares)
    } else {
        uncapped.clone()
    };

    let mut items = Vec::new();
    for (i, dependant) in dependants.iter().enumerate() {
        let supplement = match dependant.supplement {
            Some(Supplement::LoneElder) => " (lone elder)",
            Some(Supplement::Orphan) => " (orphan)",
            None => "",
        };
        let mut basis = format!(
            "dependant's pension for {:?}{supplement}: {} of {} = {} fen per month \
             (rounded half up to the fen)",
            dependant.relation,
            percent(shares[i]),
            base.basis,
            uncapped[i]
        );
        if capped {
            basis.push_str(&format!(
                "; the {} pensions total {sum} fen, above the cap of {} of the wage base = \
                 {cap} fen, so the cap is shared in proportion to the rates (largest remainder \
                 to the fen): {} fen per month",
                dependants.len(),
                percent(cap_bp),
                amounts[i]
            ));
        }
        let index = u32::try_from(i).map_err(|_| overflow("death.dependants"))?;
        items.push(BenefitItem {
            kind: BenefitKind::DependantPension { dependant: index },
            amount: Amount::Monthly(amounts[i]),
            basis,
        });
    }
    Ok(items)
}

/// Shares `total` fen in proportion to `weights` by largest remainder; the result sums to
/// exactly `total` (for `total ≥ 0` and a positive weight sum).
fn apportion(total: i64, weights: &[u32]) -> Vec<i64> {
    let weight_sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if weight_sum == 0 {
        return vec![0; weights.len()];
    }
    let total = i128::from(total);
    let mut floors: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, weight) in weights.iter().enumerate() {
        let exact = total * i128::from(*weight);
        floors.push(exact / weight_sum);
        remainders.push((exact % weight_sum, i));
    }
    let left_over = total - floors.iter().sum::<i128>();
    // Largest remainder first, ties to the earlier dependant.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders
        .iter()
        .take(usize::try_from(left_over).unwrap_or(0))
    {
        floors[*i] += 1;
    }
    floors
        .into_iter()
        .map(|fen| i64::try_from(fen).expect("a share never exceeds the total"))
        .collect()
}

struct WageBase {
    fen: i64,
    /// "wage base N fen (P of …)", for item bases.
    basis: String,
}

fn reference_year(at: DateTime<Utc>, params: &BenefitParameters) -> i32 {
    shanghai_date(at).year() - params.reference_year_offset.value
}

fn area_wage<'a>(
    params: &'a BenefitParameters,
    region: &RegionCode,
    year: i32,
) -> Result<&'a RegionYearFigure, AssessmentError> {
    params
        .area_average_monthly_wage(region, year)
        .ok_or_else(|| AssessmentError::MissingRegionalFigure {
            table: "area_average_monthly_wage_fen",
            region: region.clone(),
            year,
        })
}

fn wage_base(
    params: &BenefitParameters,
    area: &RegionYearFigure,
) -> Result<WageBase, AssessmentError> {
    let bp = params.wage_base_bp_of_area_average.value;
    let fen = percent_of_fen(area.value, bp).ok_or_else(|| overflow("wage_base"))?;
    Ok(WageBase {
        fen,
        basis: format!(
            "wage base {fen} fen ({} of {}; confidence {})",
            percent(bp),
            describe_regional("average monthly wage", area),
            params.wage_base_bp_of_area_average.confidence.as_str()
        ),
    })
}

/// Validation guarantees every grade 1..=10; this guards a hand-built parameter set.
fn grade_figure(figure: Option<&GradeFigure>) -> Result<&GradeFigure, AssessmentError> {
    figure.ok_or_else(|| invalid_facts("appraisal.grade", "no parameter for this grade"))
}

fn describe_regional(what: &str, row: &RegionYearFigure) -> String {
    format!(
        "the {what} of {} for {} ({} fen; source: {}; confidence {})",
        row.region,
        row.year,
        row.value,
        row.source,
        row.confidence.as_str()
    )
}

fn percent(bp: u32) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fund books and the regulators' export name benefits by the shared list: every
    /// kind's code is a type of it, and every type a kind's.
    #[test]
    fn every_kind_is_a_shared_benefit_type() {
        use gigshield_scheme::benefit_types::{ALL, of_kind};
        let kinds = [
            BenefitKind::MedicalAndRehabilitation,
            BenefitKind::AssistiveDevices,
            BenefitKind::OutOfAreaTravel,
            BenefitKind::HospitalMealAllowance,
            BenefitKind::NursingCare,
            BenefitKind::DisabilitySubsidy,
            BenefitKind::DisabilityAllowance,
            BenefitKind::FuneralGrant,
            BenefitKind::DeathGrant,
            BenefitKind::DependantPension { dependant: 3 },
        ];
        let codes: Vec<String> = kinds.iter().map(|k| k.code()).collect();
        let types: Vec<&str> = codes.iter().map(|c| of_kind(c)).collect();
        assert_eq!(types, ALL);
    }
    use crate::domain::benefit_parameters::Confidence;
    use proptest::prelude::*;

    /// An average monthly wage whose percentages exercise the rounding: 50 % is 411 728.5 fen.
    const WAGE: i64 = 823_457;
    const DEATH_GRANT_2024: i64 = 108_376_000;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn region(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn row(code: &str, year: i32, value: i64) -> RegionYearFigure {
        RegionYearFigure {
            region: region(code),
            year,
            value,
            source: "test figure".to_owned(),
            confidence: Confidence::Unconfirmed,
        }
    }

    /// The shipped statutory rates and national figures with test wage and meal tables.
    fn params() -> BenefitParameters {
        let mut params = BenefitParameters::embedded().unwrap();
        params.area_average_monthly_wage_fen.rows =
            vec![row("310000", 2024, WAGE), row("620000", 2024, 12_345)];
        params.hospital_meal_allowance_daily_fen.rows = vec![row("310000", 2025, 4_550)];
        params.validate().unwrap();
        params
    }

    /// Hurt in Shanghai on 10 August 2025: 2024 figures apply.
    fn facts() -> ClaimFacts {
        ClaimFacts {
            claim_id: Uuid::from_u128(1),
            region: region("310115"),
            occurred_at: utc("2025-08-10T02:20:00Z"),
            approved_bills: vec![],
            hospital_days: 0,
            death: None,
        }
    }

    fn appraisal(grade: u8, nursing: NursingLevel) -> Appraisal {
        Appraisal {
            grade: DisabilityGrade::new(grade).unwrap(),
            nursing,
        }
    }

    fn amounts(assessment: &BenefitAssessment) -> Vec<(BenefitKind, Amount)> {
        assessment
            .items
            .iter()
            .map(|item| (item.kind, item.amount))
            .collect()
    }

    fn dependant(relation: Relation, supplement: Option<Supplement>) -> Dependant {
        Dependant {
            relation,
            supplement,
        }
    }

    fn died(dependants: Vec<Dependant>) -> ClaimFacts {
        ClaimFacts {
            death: Some(Death {
                died_at: utc("2025-08-11T10:00:00Z"),
                dependants,
            }),
            ..facts()
        }
    }

    fn pension(dependant: u32) -> BenefitKind {
        BenefitKind::DependantPension { dependant }
    }

    // --- rounding ---------------------------------------------------------------------------

    #[test]
    fn percentages_round_half_up_to_the_fen() {
        assert_eq!(percent_of_fen(WAGE, 5_000), Some(411_729)); // 411 728.5
        assert_eq!(percent_of_fen(WAGE, 4_000), Some(329_383)); // 329 382.8
        assert_eq!(percent_of_fen(WAGE, 3_000), Some(247_037)); // 247 037.1
        assert_eq!(percent_of_fen(WAGE, 8_500), Some(699_938)); // 699 938.45
        assert_eq!(percent_of_fen(WAGE, 7_500), Some(617_593)); // 617 592.75
        assert_eq!(percent_of_fen(1, 5_000), Some(1)); // 0.5
        assert_eq!(percent_of_fen(1, 4_999), Some(0)); // 0.4999
        assert_eq!(percent_of_fen(3, 5_000), Some(2)); // 1.5
        assert_eq!(percent_of_fen(0, 9_000), Some(0));
        assert_eq!(percent_of_fen(WAGE, 10_000), Some(WAGE));
        // An exact half on a large base: 1 262 175 192 375.5 → …376.
        assert_eq!(
            percent_of_fen(571_119_996_550, 22_100),
            Some(1_262_175_192_376)
        );
    }

    #[test]
    fn percentages_never_overflow_silently_nor_take_negative_bases() {
        assert_eq!(percent_of_fen(i64::MAX, 10_000), Some(i64::MAX));
        assert_eq!(percent_of_fen(i64::MAX, 10_001), None);
        assert_eq!(percent_of_fen(-1, 5_000), None);
    }

    proptest! {
        #[test]
        fn rounding_is_half_up(base in 0i64..=1_000_000_000_000, bp in 0u32..=30_000) {
            let rounded = i128::from(percent_of_fen(base, bp).unwrap());
            let exact_times_10000 = i128::from(base) * i128::from(bp);
            // Half up: rounded − exact ∈ (−½, +½] fen, an exact half going up.
            let twice_error = 2 * (rounded * 10_000 - exact_times_10000);
            prop_assert!(-10_000 < twice_error && twice_error <= 10_000);
        }
    }

    // --- golden: disability -----------------------------------------------------------------

    #[test]
    fn golden_every_grade_one_time_subsidy_and_allowance_for_grades_1_to_4() {
        let golden: [(u8, i64, Option<i64>); 10] = [
            (1, 22_233_339, Some(741_111)), // 27 months; 90 % of 823 457 = 741 111.3
            (2, 20_586_425, Some(699_938)), // 25 months; 85 % = 699 938.45
            (3, 18_939_511, Some(658_766)), // 23 months; 80 % = 658 765.6
            (4, 17_292_597, Some(617_593)), // 21 months; 75 % = 617 592.75
            (5, 14_822_226, None),          // 18 months
            (6, 13_175_312, None),          // 16 months
            (7, 10_704_941, None),          // 13 months
            (8, 9_058_027, None),           // 11 months
            (9, 7_411_113, None),           // 9 months
            (10, 5_764_199, None),          // 7 months
        ];
        for (grade, subsidy, allowance) in golden {
            let assessment = assess(
                &facts(),
                Some(&appraisal(grade, NursingLevel::None)),
                &params(),
            )
            .unwrap();
            let mut expected = vec![(BenefitKind::DisabilitySubsidy, Amount::OneTime(subsidy))];
            if let Some(allowance) = allowance {
                expected.push((BenefitKind::DisabilityAllowance, Amount::Monthly(allowance)));
            }
            assert_eq!(amounts(&assessment), expected, "grade {grade}");
            assert_eq!(assessment.total_one_time_fen, subsidy, "grade {grade}");
            assert_eq!(
                assessment.total_monthly_fen,
                allowance.unwrap_or(0),
                "grade {grade}"
            );
        }
    }

    #[test]
    fn golden_nursing_care_at_each_level() {
        for (nursing, monthly) in [
            (NursingLevel::Total, 411_729),   // 50 % of 823 457 = 411 728.5
            (NursingLevel::Major, 329_383),   // 40 % = 329 382.8
            (NursingLevel::Partial, 247_037), // 30 % = 247 037.1
        ] {
            let assessment = assess(&facts(), Some(&appraisal(1, nursing)), &params()).unwrap();
            assert_eq!(
                amounts(&assessment),
                [
                    (BenefitKind::NursingCare, Amount::Monthly(monthly)),
                    (BenefitKind::DisabilitySubsidy, Amount::OneTime(22_233_339)),
                    (BenefitKind::DisabilityAllowance, Amount::Monthly(741_111)),
                ],
                "{nursing:?}"
            );
            assert_eq!(assessment.total_monthly_fen, monthly + 741_111);
        }
        // Nursing does not depend on the grade.
        let assessment = assess(
            &facts(),
            Some(&appraisal(9, NursingLevel::Partial)),
            &params(),
        )
        .unwrap();
        assert_eq!(
            amounts(&assessment),
            [
                (BenefitKind::NursingCare, Amount::Monthly(247_037)),
                (BenefitKind::DisabilitySubsidy, Amount::OneTime(7_411_113)),
            ]
        );
    }

    #[test]
    fn the_wage_base_is_a_share_of_the_area_wage_but_nursing_uses_the_area_wage_itself() {
        let mut params = params();
        params.wage_base_bp_of_area_average.value = 6_000;
        // Wage base 60 % of 823 457 = 494 074.2 → 494 074.
        let assessment =
            assess(&facts(), Some(&appraisal(4, NursingLevel::Total)), &params).unwrap();
        assert_eq!(
            amounts(&assessment),
            [
                (BenefitKind::NursingCare, Amount::Monthly(411_729)),
                (
                    BenefitKind::DisabilitySubsidy,
                    Amount::OneTime(21 * 494_074)
                ),
                // 75 % of 494 074 = 370 555.5 → 370 556
                (BenefitKind::DisabilityAllowance, Amount::Monthly(370_556)),
            ]
        );
    }

    #[test]
    fn the_basis_explains_the_formula_and_names_its_sources() {
        let assessment = assess(
            &facts(),
            Some(&appraisal(2, NursingLevel::Total)),
            &params(),
        )
        .unwrap();
        let nursing = &assessment.items[0].basis;
        assert!(nursing.contains("50.00%"), "{nursing}");
        assert!(nursing.contains("823457 fen"), "{nursing}");
        assert!(nursing.contains("= 411729 fen per month"), "{nursing}");
        assert!(nursing.contains("rounded half up"), "{nursing}");
        let subsidy = &assessment.items[1].basis;
        assert!(subsidy.contains("25 months"), "{subsidy}");
        assert!(subsidy.contains("art. 35"), "{subsidy}");
        assert!(subsidy.contains("confidence ?"), "{subsidy}");
        // An example figure's marker travels into every assessment made with it.
        let assessment =
            assess(&facts(), Some(&appraisal(2, NursingLevel::None)), &params()).unwrap();
        assert!(assessment.items[0].basis.contains("test figure"));
        assert_eq!(
            assessment.parameters_version,
            BenefitParameters::embedded().unwrap().version
        );
    }

    // --- golden: death ----------------------------------------------------------------------

    #[test]
    fn golden_death_with_pensions_under_the_cap() {
        let facts = died(vec![
            dependant(Relation::Spouse, None),
            dependant(Relation::Child, None),
        ]);
        let assessment = assess(&facts, None, &params()).unwrap();
        assert_eq!(
            amounts(&assessment),
            [
                (BenefitKind::FuneralGrant, Amount::OneTime(4_940_742)), // 6 × 823 457
                (BenefitKind::DeathGrant, Amount::OneTime(DEATH_GRANT_2024)), // 20 × 54 188 yuan
                (pension(0), Amount::Monthly(329_383)),                  // 40 % = 329 382.8
                (pension(1), Amount::Monthly(247_037)),                  // 30 % = 247 037.1
            ]
        );
        assert_eq!(assessment.total_one_time_fen, 4_940_742 + DEATH_GRANT_2024);
        assert_eq!(assessment.total_monthly_fen, 576_420);
        assert!(!assessment.items[2].basis.contains("cap"));
    }

    #[test]
    fn golden_death_with_pensions_capped_at_the_wage_base() {
        // 40 % + (30 + 10) % + 30 % = 110 % of the wage base.
        let facts = died(vec![
            dependant(Relation::Spouse, None),
            dependant(Relation::Parent, Some(Supplement::LoneElder)),
            dependant(Relation::Child, None),
        ]);
        let assessment = assess(&facts, None, &params()).unwrap();
        // Cap 823 457 shared 4000 : 4000 : 3000 → 299 438.9, 299 438.9, 224 579.2; floors sum
        // to 823 455 and the 2 fen left go to the two largest remainders.
        assert_eq!(
            amounts(&assessment)[2..],
            [
                (pension(0), Amount::Monthly(299_439)),
                (pension(1), Amount::Monthly(299_439)),
                (pension(2), Amount::Monthly(224_579)),
            ]
        );
        assert_eq!(assessment.total_monthly_fen, WAGE);
        let basis = &assessment.items[3].basis;
        assert!(basis.contains("above the cap"), "{basis}");
        assert!(basis.contains("(lone elder)"), "{basis}");
        assert!(
            basis.contains("= 329383 fen per month"),
            "uncapped figure shown: {basis}"
        );
    }

    #[test]
    fn the_cap_applies_when_rounding_alone_pushes_the_total_over() {
        // Gansu, wage 12 345 fen: 40 % + 30 % + 30 % = 100 %, but 4 938 + 3 703.5↑ + 3 703.5↑
        // = 12 346 > 12 345. Apportioned: 4 938, 3 703 + the 1 fen left (tie → first), 3 703.
        let facts = ClaimFacts {
            region: region("620102"),
            ..died(vec![
                dependant(Relation::Spouse, None),
                dependant(Relation::Child, None),
                dependant(Relation::Child, None),
            ])
        };
        let assessment = assess(&facts, None, &params()).unwrap();
        assert_eq!(
            amounts(&assessment)[2..],
            [
                (pension(0), Amount::Monthly(4_938)),
                (pension(1), Amount::Monthly(3_704)),
                (pension(2), Amount::Monthly(3_703)),
            ]
        );
        assert_eq!(assessment.total_monthly_fen, 12_345);
    }

    #[test]
    fn a_death_without_dependants_gets_funeral_and_death_grants_only() {
        let assessment = assess(&died(vec![]), None, &params()).unwrap();
        assert_eq!(
            amounts(&assessment),
            [
                (BenefitKind::FuneralGrant, Amount::OneTime(4_940_742)),
                (BenefitKind::DeathGrant, Amount::OneTime(DEATH_GRANT_2024)),
            ]
        );
    }

    #[test]
    fn the_shipped_figures_give_a_2025_death_1_083_760_and_a_2026_death_1_130_040_yuan() {
        // Only the wage is a test figure; the national incomes are the shipped NBS figures.
        let mut params = params();
        params
            .area_average_monthly_wage_fen
            .rows
            .push(row("310000", 2025, WAGE));
        let grant = |facts: &ClaimFacts| {
            let assessment = assess(facts, None, &params).unwrap();
            let item = assessment
                .items
                .into_iter()
                .find(|item| item.kind == BenefitKind::DeathGrant)
                .unwrap();
            (item.amount, item.basis)
        };
        let (amount, basis) = grant(&died(vec![]));
        assert_eq!(amount, Amount::OneTime(108_376_000));
        assert!(basis.contains("54,188"), "{basis}");
        let mut in_2026 = died(vec![]);
        in_2026.occurred_at = utc("2026-03-02T02:00:00Z");
        in_2026.death.as_mut().unwrap().died_at = utc("2026-03-02T06:00:00Z");
        let (amount, basis) = grant(&in_2026);
        assert_eq!(amount, Amount::OneTime(113_004_000));
        assert!(basis.contains("56,502"), "{basis}");
    }

    #[test]
    fn death_benefits_use_the_figures_before_the_year_of_death() {
        // Hurt on 31 December 2024 (Shanghai), died on 2 January 2025: 2024 figures apply.
        let mut facts = died(vec![]);
        facts.occurred_at = utc("2024-12-31T02:00:00Z");
        facts.death.as_mut().unwrap().died_at = utc("2025-01-02T02:00:00Z");
        assert!(assess(&facts, None, &params()).is_ok());
        // Died on 1 January 2026 (Shanghai, still 31 December in UTC): 2025 figures needed.
        facts.death.as_mut().unwrap().died_at = utc("2025-12-31T16:00:00Z");
        assert_eq!(
            assess(&facts, None, &params()),
            Err(AssessmentError::MissingRegionalFigure {
                table: "area_average_monthly_wage_fen",
                region: region("310115"),
                year: 2025,
            })
        );
    }

    #[test]
    fn a_missing_national_figure_is_an_error_not_a_guess() {
        let mut params = params();
        params.national_urban_disposable_income_fen.rows.clear();
        assert_eq!(
            assess(&died(vec![]), None, &params),
            Err(AssessmentError::MissingNationalFigure {
                table: "national_urban_disposable_income_fen",
                year: 2024,
            })
        );
    }

    // --- bills, meals, outpatient -----------------------------------------------------------

    #[test]
    fn golden_outpatient_case_with_only_medical_costs() {
        // Gansu has no figures in the test tables: an outpatient case must not need any.
        let facts = ClaimFacts {
            region: region("620500"),
            approved_bills: vec![
                ApprovedBill {
                    kind: BillKind::MedicalAndRehabilitation,
                    amount_fen: 12_345,
                },
                ApprovedBill {
                    kind: BillKind::MedicalAndRehabilitation,
                    amount_fen: 67_800,
                },
            ],
            ..facts()
        };
        let assessment = assess(&facts, None, &params()).unwrap();
        assert_eq!(
            amounts(&assessment),
            [(
                BenefitKind::MedicalAndRehabilitation,
                Amount::OneTime(80_145)
            )]
        );
        assert_eq!(assessment.total_one_time_fen, 80_145);
        assert_eq!(assessment.total_monthly_fen, 0);
        assert!(
            assessment.items[0]
                .basis
                .contains("12345 + 67800 = 80145 fen")
        );
    }

    #[test]
    fn bills_of_each_kind_and_hospital_days_become_their_own_items() {
        let bill = |kind, amount_fen| ApprovedBill { kind, amount_fen };
        let facts = ClaimFacts {
            approved_bills: vec![
                bill(BillKind::OutOfAreaTravel, 30_000),
                bill(BillKind::MedicalAndRehabilitation, 1_000_000),
                bill(BillKind::AssistiveDevice, 250_000),
                bill(BillKind::MedicalAndRehabilitation, 0),
            ],
            hospital_days: 12,
            ..facts()
        };
        let assessment = assess(&facts, None, &params()).unwrap();
        assert_eq!(
            amounts(&assessment),
            [
                (
                    BenefitKind::MedicalAndRehabilitation,
                    Amount::OneTime(1_000_000)
                ),
                (BenefitKind::AssistiveDevices, Amount::OneTime(250_000)),
                (BenefitKind::OutOfAreaTravel, Amount::OneTime(30_000)),
                // 12 days × 4 550 fen, the 2025 standard (no year offset for a standard)
                (BenefitKind::HospitalMealAllowance, Amount::OneTime(54_600)),
            ]
        );
        assert_eq!(assessment.total_one_time_fen, 1_334_600);
    }

    #[test]
    fn nothing_to_pay_is_an_empty_assessment() {
        let assessment = assess(&facts(), None, &params()).unwrap();
        assert!(assessment.items.is_empty());
        assert_eq!(
            (assessment.total_one_time_fen, assessment.total_monthly_fen),
            (0, 0)
        );
    }

    #[test]
    fn a_missing_regional_figure_names_table_region_and_year() {
        let in_shenzhen = ClaimFacts {
            hospital_days: 3,
            region: region("440305"),
            ..facts()
        };
        assert_eq!(
            assess(&in_shenzhen, None, &params()),
            Err(AssessmentError::MissingRegionalFigure {
                table: "hospital_meal_allowance_daily_fen",
                region: region("440305"),
                year: 2025,
            })
        );
        // Early on 1 January 2025 in Shanghai is still 2024 in UTC; the Shanghai year counts.
        let mut facts = facts();
        facts.occurred_at = utc("2024-12-31T16:30:00Z");
        let grade_10 = appraisal(10, NursingLevel::None);
        assert!(assess(&facts, Some(&grade_10), &params()).is_ok());
        facts.occurred_at = utc("2024-12-31T15:59:59Z");
        assert_eq!(
            assess(&facts, Some(&grade_10), &params()),
            Err(AssessmentError::MissingRegionalFigure {
                table: "area_average_monthly_wage_fen",
                region: region("310115"),
                year: 2023,
            })
        );
    }

    // --- invalid facts ----------------------------------------------------------------------

    fn invalid_field(result: Result<BenefitAssessment, AssessmentError>) -> String {
        match result {
            Err(AssessmentError::InvalidFacts { field, .. }) => field,
            other => panic!("expected invalid facts, got {other:?}"),
        }
    }

    #[test]
    fn invalid_facts_are_rejected_naming_the_field() {
        let facts = ClaimFacts {
            approved_bills: vec![
                ApprovedBill {
                    kind: BillKind::MedicalAndRehabilitation,
                    amount_fen: 10,
                },
                ApprovedBill {
                    kind: BillKind::AssistiveDevice,
                    amount_fen: -1,
                },
            ],
            ..facts()
        };
        assert_eq!(
            assess(&facts, None, &params()),
            Err(AssessmentError::NegativeAmount {
                field: "approved_bills[1].amount_fen".to_owned(),
                value: -1,
            })
        );

        let grade_1 = appraisal(1, NursingLevel::Total);
        assert_eq!(
            invalid_field(assess(&died(vec![]), Some(&grade_1), &params())),
            "appraisal"
        );

        let mut early = died(vec![]);
        early.death.as_mut().unwrap().died_at = utc("2025-08-10T02:19:59Z");
        assert_eq!(
            invalid_field(assess(&early, None, &params())),
            "death.died_at"
        );

        let two_spouses = died(vec![
            dependant(Relation::Spouse, None),
            dependant(Relation::Child, None),
            dependant(Relation::Spouse, None),
        ]);
        assert_eq!(
            invalid_field(assess(&two_spouses, None, &params())),
            "death.dependants[2].relation"
        );

        for (relation, supplement) in [
            (Relation::Spouse, Supplement::LoneElder),
            (Relation::Child, Supplement::LoneElder),
            (Relation::Parent, Supplement::Orphan),
        ] {
            let facts = died(vec![dependant(relation, Some(supplement))]);
            assert_eq!(
                invalid_field(assess(&facts, None, &params())),
                "death.dependants[0].supplement"
            );
        }
    }

    #[test]
    fn grades_outside_1_to_10_do_not_exist() {
        assert_eq!(DisabilityGrade::new(0), Err(GradeOutOfRange(0)));
        assert_eq!(DisabilityGrade::new(11), Err(GradeOutOfRange(11)));
        assert!(serde_json::from_str::<DisabilityGrade>("11").is_err());
        assert_eq!(
            serde_json::from_str::<DisabilityGrade>("10").unwrap().get(),
            10
        );
    }

    #[test]
    fn overflowing_bills_are_an_error() {
        let bill = ApprovedBill {
            kind: BillKind::MedicalAndRehabilitation,
            amount_fen: i64::MAX,
        };
        let facts = ClaimFacts {
            approved_bills: vec![bill, bill],
            ..facts()
        };
        assert!(matches!(
            assess(&facts, None, &params()),
            Err(AssessmentError::Overflow { .. })
        ));
    }

    #[test]
    fn an_assessment_survives_a_serde_round_trip() {
        let facts = died(vec![dependant(Relation::Child, Some(Supplement::Orphan))]);
        let assessment = assess(&facts, None, &params()).unwrap();
        let json = serde_json::to_string(&assessment).unwrap();
        assert_eq!(
            serde_json::from_str::<BenefitAssessment>(&json).unwrap(),
            assessment
        );
        // An orphan's pension is 30 % + 10 % = 40 %.
        assert_eq!(assessment.items[2].amount, Amount::Monthly(329_383));
    }

    // --- properties of the cap --------------------------------------------------------------

    fn arbitrary_dependant() -> impl Strategy<Value = Dependant> {
        prop_oneof![
            Just(dependant(Relation::Child, None)),
            Just(dependant(Relation::Child, Some(Supplement::Orphan))),
            Just(dependant(Relation::Parent, None)),
            Just(dependant(Relation::Parent, Some(Supplement::LoneElder))),
            Just(dependant(
                Relation::Grandparent,
                Some(Supplement::LoneElder)
            )),
            Just(dependant(Relation::Sibling, Some(Supplement::Orphan))),
        ]
    }

    proptest! {
        /// Capped pensions sum to exactly the cap and nobody gets more than uncapped; below the
        /// cap everyone gets the plain rounded percentage.
        #[test]
        fn pensions_never_exceed_the_wage_base(
            wage in 1i64..=100_000_000,
            spouse in any::<bool>(),
            others in proptest::collection::vec(arbitrary_dependant(), 0..8),
        ) {
            let mut params = params();
            params.area_average_monthly_wage_fen.rows = vec![row("310000", 2024, wage)];
            let mut dependants = others;
            if spouse {
                dependants.insert(0, dependant(Relation::Spouse, None));
            }
            let assessment = assess(&died(dependants.clone()), None, &params).unwrap();
            let pensions: Vec<(u32, i64)> = assessment
                .items
                .iter()
                .filter_map(|item| match item.kind {
                    BenefitKind::DependantPension { dependant } => {
                        Some((dependant, item.amount.fen()))
                    }
                    _ => None,
                })
                .collect();
            let uncapped: Vec<i64> = dependants
                .iter()
                .map(|d| {
                    let bp = match (d.relation, d.supplement) {
                        (Relation::Spouse, _) => 4_000,
                        (_, Some(_)) => 4_000,
                        (_, None) => 3_000,
                    };
                    percent_of_fen(wage, bp).unwrap()
                })
                .collect();
            let total: i64 = pensions.iter().map(|(_, fen)| fen).sum();
            prop_assert!(total <= wage);
            if uncapped.iter().sum::<i64>() > wage {
                prop_assert_eq!(total, wage);
            }
            for (index, fen) in pensions {
                let index = usize::try_from(index).unwrap();
                prop_assert!(fen <= uncapped[index]);
                if uncapped.iter().sum::<i64>() <= wage {
                    prop_assert_eq!(fen, uncapped[index]);
                }
            }
        }
    }
}
