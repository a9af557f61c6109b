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
    let assessment = assess(&facts(), Some(&appraisal(4, NursingLevel::Total)), &params).unwrap();
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
    let assessment = assess(&facts(), Some(&appraisal(2, NursingLevel::None)), &params()).unwrap();
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
