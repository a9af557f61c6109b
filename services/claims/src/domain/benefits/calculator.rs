//! The calculation: each benefit type's items from the facts, the appraisal and the dated
//! parameters of the place and year.

use super::*;

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

pub(super) fn overflow(field: impl Into<String>) -> AssessmentError {
    AssessmentError::Overflow {
        field: field.into(),
    }
}

pub(super) fn invalid_facts(field: impl Into<String>, reason: &'static str) -> AssessmentError {
    AssessmentError::InvalidFacts {
        field: field.into(),
        reason,
    }
}

pub(super) fn validate(
    facts: &ClaimFacts,
    appraisal: Option<&Appraisal>,
) -> Result<(), AssessmentError> {
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

pub(super) fn bill_items(facts: &ClaimFacts) -> Result<Vec<BenefitItem>, AssessmentError> {
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

pub(super) fn meal_allowance(
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

pub(super) fn disability_items(
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

pub(super) fn death_items(
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
pub(super) fn dependant_pensions(
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
pub(super) fn apportion(total: i64, weights: &[u32]) -> Vec<i64> {
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

pub(super) struct WageBase {
    fen: i64,
    /// "wage base N fen (P of …)", for item bases.
    basis: String,
}

pub(super) fn reference_year(at: DateTime<Utc>, params: &BenefitParameters) -> i32 {
    shanghai_date(at).year() - params.reference_year_offset.value
}

pub(super) fn area_wage<'a>(
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

pub(super) fn wage_base(
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
pub(super) fn grade_figure(figure: Option<&GradeFigure>) -> Result<&GradeFigure, AssessmentError> {
    figure.ok_or_else(|| invalid_facts("appraisal.grade", "no parameter for this grade"))
}

pub(super) fn describe_regional(what: &str, row: &RegionYearFigure) -> String {
    format!(
        "the {what} of {} for {} ({} fen; source: {}; confidence {})",
        row.region,
        row.year,
        row.value,
        row.source,
        row.confidence.as_str()
    )
}

pub(super) fn percent(bp: u32) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}
