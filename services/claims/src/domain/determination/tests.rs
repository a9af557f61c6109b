use super::*;
use proptest::prelude::*;

const A: Uuid = Uuid::from_u128(0xA);
const B: Uuid = Uuid::from_u128(0xB);

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn region(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// The shipped calendar with one operator entry over it.
fn with_rule(rule: scheme::Rule) -> DeterminationParams {
    let entry = scheme::Entry {
        rule_id: Some("test".into()),
        rule,
        source: scheme::Source {
            document: "test".into(),
            url: String::new(),
            published_on: None,
            confidence: scheme::Confidence::High,
        },
        entered_by: "test".into(),
        recorded_at: utc("2026-01-01T00:00:00Z"),
    };
    DeterminationParams {
        scheme: Arc::new(SchemeRules::with_entries([entry])),
        ..DeterminationParams::default()
    }
}

fn window(kind: WindowKind, value: u32) -> DeterminationParams {
    with_rule(scheme::Rule::Window {
        kind,
        effective_from: day("2022-07-01"),
        value,
    })
}

fn membership(platform_id: Uuid) -> Membership {
    Membership {
        platform_id,
        registered_at: utc("2025-01-01T00:00:00Z"),
        deregistered_at: None,
    }
}

fn order(platform_id: Uuid, id: &str, accepted: &str, end: OrderEnd) -> OrderWindow {
    OrderWindow {
        platform_id,
        order_id: id.to_owned(),
        region: region("310115"),
        accepted_at: utc(accepted),
        picked_up_at: None,
        end,
        industry: "instant_delivery".to_owned(),
    }
}

fn completed(at: &str) -> OrderEnd {
    OrderEnd::Completed(utc(at))
}

/// A Shanghai rider hurt at 10:20 local time during an order of platform A, reported by
/// the platform two days later: every rule passes.
fn facts() -> DeterminationFacts {
    DeterminationFacts {
        claim_id: Uuid::from_u128(1),
        person_id: Uuid::from_u128(2),
        occurred_at: utc("2025-08-10T02:20:00Z"),
        region: region("310115"),
        category: IncidentCategory::OrderAccident,
        exclusions: ExclusionFlags::default(),
        died_at: None,
        application: Application {
            filed_at: utc("2025-08-12T03:00:00Z"),
            filer: Filer::Platform,
            late_explanation: false,
        },
        memberships: vec![membership(A)],
        orders: vec![OrderWindow {
            picked_up_at: Some(utc("2025-08-10T02:10:00Z")),
            ..order(
                A,
                "A-1",
                "2025-08-10T02:00:00Z",
                completed("2025-08-10T02:40:00Z"),
            )
        }],
        other_claims: vec![],
    }
}

fn verdict(rule: Rule, facts: &DeterminationFacts) -> Verdict {
    rule(facts, &DeterminationParams::default()).verdict
}

fn review(reason: ReasonCode) -> Verdict {
    Verdict::Review(reason)
}

fn reasons(facts: &DeterminationFacts) -> Vec<ReasonCode> {
    match determine(facts, &DeterminationParams::default()).outcome {
        Outcome::AutoConfirm => vec![],
        Outcome::Review(reasons) => reasons,
    }
}

// --- determine ---------------------------------------------------------------------------

#[test]
fn a_clean_claim_is_confirmed_automatically_with_a_full_trace() {
    let determination = determine(&facts(), &DeterminationParams::default());
    assert_eq!(determination.outcome, Outcome::AutoConfirm);
    let rules: Vec<RuleCode> = determination.trace.iter().map(|o| o.rule).collect();
    assert_eq!(
        rules,
        [
            RuleCode::Registered,
            RuleCode::WorkRelated,
            RuleCode::SchemeInForce,
            RuleCode::FiledInTime,
            RuleCode::CategoryCovered,
            RuleCode::CommuteTrafficFault,
            RuleCode::NoIntentionalCrime,
            RuleCode::NoIntoxication,
            RuleCode::NoSelfHarm,
            RuleCode::NoDuplicate,
        ]
    );
    assert!(
        determination
            .trace
            .iter()
            .all(|o| o.verdict == Verdict::Pass)
    );
    assert!(determination.trace.iter().all(|o| !o.evidence.is_empty()));
    assert_eq!(
        determination.liability,
        Some(Liability {
            platform_id: A,
            order_id: "A-1".to_owned(),
            region: region("310115"),
            industry: "instant_delivery".to_owned(),
        })
    );
    let work = &determination.trace[1].evidence;
    assert!(
        work.contains("order A-1") && work.contains("picked up"),
        "{work}"
    );
}

#[test]
fn every_failing_rule_contributes_its_reason_in_rule_order() {
    let mut facts = facts();
    facts.memberships.clear();
    facts.application.filed_at = utc("2025-10-01T00:00:00Z");
    facts.application.late_explanation = true;
    facts.exclusions.intoxication_or_drugs = true;
    let determination = determine(&facts, &DeterminationParams::default());
    assert_eq!(
        determination.outcome,
        Outcome::Review(vec![
            ReasonCode::NotRegistered,
            ReasonCode::LiablePlatformNotRegistered,
            ReasonCode::LateWithExplanation,
            ReasonCode::IntoxicationOrDrugs,
        ])
    );
    // The trace is complete even though the first rule already failed.
    assert_eq!(determination.trace.len(), RULES.len());
}

#[test]
fn a_reason_met_twice_is_listed_once() {
    let mut facts = facts();
    facts.category = IncidentCategory::SuddenIllness;
    facts.died_at = Some(utc("2025-08-10T02:00:00Z"));
    facts.application.filed_at = utc("2025-08-10T02:00:00Z");
    assert_eq!(reasons(&facts), [ReasonCode::InconsistentTimes]);
}

#[test]
fn reason_and_rule_codes_are_stable_distinct_names() {
    let mut names = HashSetOf::new();
    for reason in ReasonCode::ALL {
        let json = serde_json::to_string(&reason).unwrap();
        assert_eq!(json, format!("\"{}\"", reason.as_str()));
        assert!(names.insert(reason.as_str()), "{reason:?}");
    }
    for outcome in determine(&facts(), &DeterminationParams::default()).trace {
        let json = serde_json::to_string(&outcome.rule).unwrap();
        assert_eq!(json, format!("\"{}\"", outcome.rule.as_str()));
    }
}

type HashSetOf = std::collections::HashSet<&'static str>;

#[test]
fn a_determination_survives_a_serde_round_trip() {
    let mut facts = facts();
    facts.exclusions.self_harm = true;
    let determination = determine(&facts, &DeterminationParams::default());
    let json = serde_json::to_string(&determination).unwrap();
    assert_eq!(
        serde_json::from_str::<Determination>(&json).unwrap(),
        determination
    );
    let facts_json = serde_json::to_string(&facts).unwrap();
    assert_eq!(
        serde_json::from_str::<DeterminationFacts>(&facts_json).unwrap(),
        facts
    );
}

// --- rule 1: registered -----------------------------------------------------------------

#[test]
fn registered_passes_with_an_active_membership_and_reviews_without() {
    assert_eq!(verdict(registered, &facts()), Verdict::Pass);
    let mut facts = facts();
    facts.memberships.clear();
    assert_eq!(
        verdict(registered, &facts),
        review(ReasonCode::NotRegistered)
    );
}

#[test]
fn a_membership_is_active_from_registration_until_just_before_deregistration() {
    let mut facts = facts();
    let at = facts.occurred_at;
    facts.memberships = vec![Membership {
        platform_id: A,
        registered_at: at,
        deregistered_at: None,
    }];
    assert_eq!(verdict(registered, &facts), Verdict::Pass);
    facts.memberships[0].registered_at = at + TimeDelta::seconds(1);
    assert_eq!(
        verdict(registered, &facts),
        review(ReasonCode::NotRegistered)
    );
    facts.memberships[0].registered_at = utc("2025-01-01T00:00:00Z");
    facts.memberships[0].deregistered_at = Some(at);
    assert_eq!(
        verdict(registered, &facts),
        review(ReasonCode::NotRegistered)
    );
    facts.memberships[0].deregistered_at = Some(at + TimeDelta::seconds(1));
    assert_eq!(verdict(registered, &facts), Verdict::Pass);
}

// --- rule 2: work-related ---------------------------------------------------------------

#[test]
fn work_related_reviews_without_any_order() {
    let mut facts = facts();
    facts.orders.clear();
    assert_eq!(
        verdict(work_related, &facts),
        review(ReasonCode::NoCoveringOrder)
    );
    assert_eq!(
        determine(&facts, &DeterminationParams::default()).liability,
        None
    );
}

#[test]
fn the_grace_widens_a_completed_order_on_both_sides_inclusively() {
    let mut facts = facts();
    // Order A-1: accepted 02:00, completed 02:40; grace 10 minutes.
    for (at, expected) in [
        ("2025-08-10T01:50:00Z", Verdict::Pass),
        ("2025-08-10T01:49:59Z", review(ReasonCode::NoCoveringOrder)),
        ("2025-08-10T02:50:00Z", Verdict::Pass),
        ("2025-08-10T02:50:01Z", review(ReasonCode::NoCoveringOrder)),
    ] {
        facts.occurred_at = utc(at);
        assert_eq!(verdict(work_related, &facts), expected, "{at}");
    }
    let params = window(WindowKind::OrderGraceMinutes, 0);
    facts.occurred_at = utc("2025-08-10T02:40:01Z");
    assert_eq!(
        work_related(&facts, &params).verdict,
        review(ReasonCode::NoCoveringOrder)
    );
}

#[test]
fn an_open_order_covers_up_to_the_open_order_limit_after_acceptance() {
    let mut facts = facts();
    facts.orders = vec![order(A, "A-9", "2025-08-10T02:00:00Z", OrderEnd::Open)];
    for (at, expected) in [
        ("2025-08-10T01:50:00Z", Verdict::Pass),
        ("2025-08-10T06:00:00Z", Verdict::Pass),
        ("2025-08-10T06:00:01Z", review(ReasonCode::NoCoveringOrder)),
    ] {
        facts.occurred_at = utc(at);
        assert_eq!(verdict(work_related, &facts), expected, "{at}");
    }
}

#[test]
fn a_cancelled_order_covers_until_its_cancellation_plus_grace() {
    let mut facts = facts();
    let cancelled = OrderEnd::Cancelled(utc("2025-08-10T02:05:00Z"));
    facts.orders = vec![order(A, "A-2", "2025-08-10T02:00:00Z", cancelled)];
    facts.occurred_at = utc("2025-08-10T02:15:00Z");
    assert_eq!(verdict(work_related, &facts), Verdict::Pass);
    facts.occurred_at = utc("2025-08-10T02:15:01Z");
    assert_eq!(
        verdict(work_related, &facts),
        review(ReasonCode::NoCoveringOrder)
    );
}

#[test]
fn with_several_platforms_the_liable_one_is_whose_order_covers_the_incident() {
    let mut facts = facts();
    facts.memberships = vec![membership(A), membership(B)];
    facts.orders = vec![
        order(
            A,
            "A-1",
            "2025-08-10T01:00:00Z",
            completed("2025-08-10T01:30:00Z"),
        ),
        order(
            B,
            "B-7",
            "2025-08-10T02:05:00Z",
            completed("2025-08-10T02:45:00Z"),
        ),
        order(
            A,
            "A-2",
            "2025-08-10T03:30:00Z",
            completed("2025-08-10T04:00:00Z"),
        ),
    ];
    let determination = determine(&facts, &DeterminationParams::default());
    assert_eq!(determination.outcome, Outcome::AutoConfirm);
    let liability = determination.liability.unwrap();
    assert_eq!(
        (liability.platform_id, liability.order_id.as_str()),
        (B, "B-7")
    );
}

#[test]
fn orders_of_two_platforms_covering_the_incident_make_liability_ambiguous() {
    let mut facts = facts();
    facts.memberships = vec![membership(A), membership(B)];
    facts.orders.push(order(
        B,
        "B-1",
        "2025-08-10T02:15:00Z",
        completed("2025-08-10T02:30:00Z"),
    ));
    assert_eq!(
        verdict(work_related, &facts),
        review(ReasonCode::AmbiguousLiability)
    );
    let determination = determine(&facts, &DeterminationParams::default());
    assert_eq!(determination.liability, None);
    assert!(determination.trace[1].evidence.contains("B-1"));
    // Even when only the grace makes the second platform's order match.
    facts.orders[1] = order(
        B,
        "B-1",
        "2025-08-10T01:40:00Z",
        completed("2025-08-10T02:12:00Z"),
    );
    assert_eq!(
        verdict(work_related, &facts),
        review(ReasonCode::AmbiguousLiability)
    );
}

#[test]
fn stacked_orders_of_one_platform_are_not_ambiguous() {
    let mut facts = facts();
    facts.orders = vec![
        // Covers only through the grace.
        order(
            A,
            "A-0",
            "2025-08-10T01:40:00Z",
            completed("2025-08-10T02:15:00Z"),
        ),
        order(
            A,
            "A-3",
            "2025-08-10T02:10:00Z",
            completed("2025-08-10T02:50:00Z"),
        ),
        order(
            A,
            "A-2",
            "2025-08-10T02:05:00Z",
            completed("2025-08-10T02:40:00Z"),
        ),
    ];
    let determination = determine(&facts, &DeterminationParams::default());
    assert_eq!(determination.outcome, Outcome::AutoConfirm);
    // The trace names the earliest-accepted order covering without grace.
    assert_eq!(determination.liability.unwrap().order_id, "A-2");
}

#[test]
fn an_order_of_a_platform_the_person_was_not_registered_with_goes_to_review() {
    let mut facts = facts();
    facts.orders[0].platform_id = B;
    // Registered with A, so rule 1 passes; the covering order is B's.
    assert_eq!(verdict(registered, &facts), Verdict::Pass);
    assert_eq!(
        verdict(work_related, &facts),
        review(ReasonCode::LiablePlatformNotRegistered)
    );
}

// --- rule 3: scheme in force ------------------------------------------------------------

fn scheme_at(code: &str, at: &str, params: &DeterminationParams) -> Verdict {
    let mut facts = facts();
    facts.orders.clear(); // the incident's own region decides
    facts.region = region(code);
    facts.occurred_at = utc(at);
    scheme_in_force(&facts, params).verdict
}

const NOT_IN_FORCE: Verdict = Verdict::Review(ReasonCode::SchemeNotInForce);

#[test]
fn the_first_pilot_provinces_start_at_shanghai_midnight_on_2022_07_01() {
    let params = DeterminationParams::default();
    for code in [
        "110105", "310115", "320102", "440305", "460105", "500103", "510104",
    ] {
        assert_eq!(
            scheme_at(code, "2022-06-30T15:59:59Z", &params),
            NOT_IN_FORCE,
            "{code}"
        );
        assert_eq!(
            scheme_at(code, "2022-06-30T16:00:00Z", &params),
            Verdict::Pass,
            "{code}"
        );
    }
    // Not yet Tianjin.
    assert_eq!(
        scheme_at("120101", "2022-07-01T08:00:00Z", &params),
        NOT_IN_FORCE
    );
}

#[test]
fn ten_more_provinces_start_at_shanghai_midnight_on_2025_07_01() {
    let params = DeterminationParams::default();
    for code in [
        "120101", "130102", "210102", "330106", "340102", "350102", "370102", "420102", "450102",
        "640104",
    ] {
        assert_eq!(
            scheme_at(code, "2025-06-30T15:59:59Z", &params),
            NOT_IN_FORCE,
            "{code}"
        );
        assert_eq!(
            scheme_at(code, "2025-06-30T16:00:00Z", &params),
            Verdict::Pass,
            "{code}"
        );
    }
    // Not yet Shanxi.
    assert_eq!(
        scheme_at("140105", "2025-07-01T08:00:00Z", &params),
        NOT_IN_FORCE
    );
}

#[test]
fn every_province_is_covered_from_shanghai_midnight_on_the_nationwide_date() {
    let params = DeterminationParams::default();
    for code in [
        "140105", "150102", "220102", "230102", "360102", "410102", "430102", "520102", "530102",
        "540102", "610102", "620102", "630102", "650102", "659001", "660100",
    ] {
        assert_eq!(
            scheme_at(code, "2026-06-30T15:59:59Z", &params),
            NOT_IN_FORCE,
            "{code}"
        );
        assert_eq!(
            scheme_at(code, "2026-06-30T16:00:00Z", &params),
            Verdict::Pass,
            "{code}"
        );
    }
    // Hong Kong, Macao and Taiwan codes are outside the scheme: not even a region code.
    for code in ["810000", "820000", "710000"] {
        assert!(RegionCode::parse(code).is_err(), "{code}");
    }
}

#[test]
fn every_province_and_the_xpcc_has_a_start() {
    let params = DeterminationParams::default();
    for prefix in gigshield_scheme::region::PROVINCE_PREFIXES {
        let province = gigshield_scheme::region::ProvinceCode::from_prefix(prefix).unwrap();
        assert!(
            matches!(
                params.scheme.in_force(province, day("2026-07-01")),
                InForce::Since(_)
            ),
            "{prefix}"
        );
    }
}

#[test]
fn an_operators_start_date_moves_the_line() {
    let params = with_rule(scheme::Rule::ProvinceStart {
        province: gigshield_scheme::region::ProvinceCode::from_prefix("62").unwrap(),
        starts_on: day("2026-08-01"),
    });
    assert_eq!(
        scheme_at("620102", "2026-07-15T00:00:00Z", &params),
        NOT_IN_FORCE
    );
    assert_eq!(
        scheme_at("620102", "2026-07-31T16:00:00Z", &params),
        Verdict::Pass
    );
}

#[test]
fn the_covering_orders_province_decides_over_the_incident_place() {
    let mut facts = facts();
    // Hurt in Shanghai during an order taken in Gansu, before Gansu joined.
    facts.orders[0].region = region("620102");
    let outcome = scheme_in_force(&facts, &DeterminationParams::default());
    assert_eq!(outcome.verdict, NOT_IN_FORCE);
    assert!(
        outcome.evidence.contains("order region 620102"),
        "{}",
        outcome.evidence
    );
    // And the reverse: a Shanghai order covers an incident reported from Gansu.
    facts.orders[0].region = region("310115");
    facts.region = region("620102");
    assert_eq!(verdict(scheme_in_force, &facts), Verdict::Pass);
}

// --- rule 4: timeliness -----------------------------------------------------------------

fn filed(filer: Filer, at: &str, late_explanation: bool) -> Verdict {
    let mut facts = facts();
    facts.application = Application {
        filed_at: utc(at),
        filer,
        late_explanation,
    };
    verdict(filed_in_time, &facts)
}

#[test]
fn a_platform_has_30_days_after_the_incident_day() {
    // Incident on 10 August (Shanghai); day 30 is 9 September.
    assert_eq!(
        filed(Filer::Platform, "2025-09-09T15:59:59Z", false),
        Verdict::Pass
    );
    assert_eq!(
        filed(Filer::Platform, "2025-09-09T16:00:00Z", false),
        review(ReasonCode::LateWithoutExplanation)
    );
    assert_eq!(
        filed(Filer::Platform, "2025-09-09T16:00:00Z", true),
        review(ReasonCode::LateWithExplanation)
    );
}

#[test]
fn workers_and_relatives_have_90_days() {
    for filer in [Filer::Worker, Filer::CloseRelative] {
        // Day 90 after 10 August is Saturday 8 November (Shanghai): the last day moves
        // to Monday 10 November.
        assert_eq!(filed(filer, "2025-11-10T15:59:59Z", false), Verdict::Pass);
        assert_eq!(
            filed(filer, "2025-11-10T16:00:00Z", true),
            review(ReasonCode::LateWithExplanation)
        );
    }
}

#[test]
fn deadline_days_are_counted_on_shanghai_dates_not_utc_dates() {
    let mut facts = facts();
    // 23:30 on 10 August in Shanghai.
    facts.occurred_at = utc("2025-08-10T15:30:00Z");
    facts.orders.clear();
    // 00:00 on 10 September in Shanghai: day 31, though still 9 September in UTC.
    facts.application.filed_at = utc("2025-09-09T16:00:00Z");
    assert_eq!(
        verdict(filed_in_time, &facts),
        review(ReasonCode::LateWithoutExplanation)
    );
    // An incident at 00:30 Shanghai on 11 August (still 10 August in UTC) makes it day 30.
    facts.occurred_at = utc("2025-08-10T16:30:00Z");
    assert_eq!(verdict(filed_in_time, &facts), Verdict::Pass);
}

#[test]
fn deadlines_are_parameters() {
    let mut facts = facts();
    facts.application.filed_at = utc("2025-08-20T00:00:00Z");
    let params = with_rule(scheme::Rule::FilingDeadlines {
        effective_from: day("2022-07-01"),
        days: scheme::DeadlineDays {
            platform: 5,
            worker: 90,
            close_relative: 90,
        },
    });
    assert_eq!(
        filed_in_time(&facts, &params).verdict,
        review(ReasonCode::LateWithoutExplanation)
    );
}

#[test]
fn an_application_before_the_incident_is_inconsistent() {
    assert_eq!(
        filed(Filer::Worker, "2025-08-10T02:19:59Z", false),
        review(ReasonCode::InconsistentTimes)
    );
}

// --- rule 5: category -------------------------------------------------------------------

#[test]
fn accidents_violence_and_traffic_accidents_are_recognised() {
    for category in [
        IncidentCategory::OrderAccident,
        IncidentCategory::Violence,
        IncidentCategory::TrafficAccident {
            worker_fault: Some(TrafficFault::Full),
        },
    ] {
        let facts = DeterminationFacts {
            category,
            ..facts()
        };
        assert_eq!(
            verdict(category_covered, &facts),
            Verdict::Pass,
            "{category:?}"
        );
    }
}

#[test]
fn sudden_illness_counts_only_with_death_at_once_or_within_48_hours() {
    let mut facts = facts();
    facts.category = IncidentCategory::SuddenIllness;
    let onset = facts.occurred_at;
    let no_timely_death = review(ReasonCode::SuddenIllnessWithoutTimelyDeath);
    for (died_at, expected) in [
        (None, no_timely_death),
        (Some(onset), Verdict::Pass),
        (Some(onset + TimeDelta::hours(48)), Verdict::Pass),
        (
            Some(onset + TimeDelta::hours(48) + TimeDelta::seconds(1)),
            no_timely_death,
        ),
        (
            Some(onset - TimeDelta::seconds(1)),
            review(ReasonCode::InconsistentTimes),
        ),
    ] {
        facts.died_at = died_at;
        assert_eq!(verdict(category_covered, &facts), expected, "{died_at:?}");
    }
    facts.died_at = Some(onset + TimeDelta::hours(60));
    let params = window(WindowKind::SuddenIllnessDeathHours, 72);
    assert_eq!(category_covered(&facts, &params).verdict, Verdict::Pass);
}

#[test]
fn missing_persons_and_unclassified_causes_go_to_review() {
    let mut facts = facts();
    facts.category = IncidentCategory::Missing;
    assert_eq!(
        verdict(category_covered, &facts),
        review(ReasonCode::MissingPerson)
    );
    facts.category = IncidentCategory::Other;
    assert_eq!(
        verdict(category_covered, &facts),
        review(ReasonCode::UnclassifiedCategory)
    );
}

// --- rule 6: commute traffic fault ------------------------------------------------------

fn traffic(worker_fault: Option<TrafficFault>) -> IncidentCategory {
    IncidentCategory::TrafficAccident { worker_fault }
}

#[test]
fn during_an_order_the_workers_traffic_fault_does_not_matter() {
    for fault in [Some(TrafficFault::Full), Some(TrafficFault::Main), None] {
        let facts = DeterminationFacts {
            category: traffic(fault),
            ..facts()
        };
        assert_eq!(
            determine(&facts, &DeterminationParams::default()).outcome,
            Outcome::AutoConfirm,
            "{fault:?}"
        );
    }
}

#[test]
fn on_the_way_to_or_from_an_order_main_or_full_fault_goes_to_review() {
    let mut facts = facts();
    // An hour after the order was completed: riding home.
    facts.occurred_at = utc("2025-08-10T03:40:00Z");
    for (fault, expected) in [
        (
            Some(TrafficFault::Full),
            review(ReasonCode::CommuteTrafficWorkerAtFault),
        ),
        (
            Some(TrafficFault::Main),
            review(ReasonCode::CommuteTrafficWorkerAtFault),
        ),
        (None, review(ReasonCode::CommuteTrafficFaultUndetermined)),
        (Some(TrafficFault::Equal), Verdict::Pass),
        (Some(TrafficFault::Minor), Verdict::Pass),
        (Some(TrafficFault::None), Verdict::Pass),
    ] {
        facts.category = traffic(fault);
        assert_eq!(
            verdict(commute_traffic_fault, &facts),
            expected,
            "{fault:?}"
        );
    }
    // Outside an order rule 2 reviews anyway; rule 6 adds why the fault matters.
    facts.category = traffic(Some(TrafficFault::Main));
    assert_eq!(
        reasons(&facts),
        [
            ReasonCode::NoCoveringOrder,
            ReasonCode::CommuteTrafficWorkerAtFault
        ]
    );
    facts.category = traffic(Some(TrafficFault::Minor));
    assert_eq!(reasons(&facts), [ReasonCode::NoCoveringOrder]);
}

#[test]
fn on_the_trip_back_within_the_grace_the_workers_fault_decides() {
    let mut facts = facts();
    // The order was completed at 02:40; five minutes later the worker rides back.
    facts.occurred_at = utc("2025-08-10T02:45:00Z");
    facts.category = traffic(Some(TrafficFault::Main));
    assert_eq!(reasons(&facts), [ReasonCode::CommuteTrafficWorkerAtFault]);
    let trace = determine(&facts, &DeterminationParams::default()).trace;
    assert!(
        trace[5]
            .evidence
            .contains("5 min after order A-1 ended (the trip back)"),
        "{}",
        trace[5].evidence
    );
    facts.category = traffic(None);
    assert_eq!(
        reasons(&facts),
        [ReasonCode::CommuteTrafficFaultUndetermined]
    );
    for fault in [TrafficFault::Minor, TrafficFault::Equal, TrafficFault::None] {
        facts.category = traffic(Some(fault));
        assert_eq!(
            determine(&facts, &DeterminationParams::default()).outcome,
            Outcome::AutoConfirm,
            "{fault:?}"
        );
    }
    // Mid-order, main fault changes nothing.
    facts.occurred_at = utc("2025-08-10T02:39:00Z");
    facts.category = traffic(Some(TrafficFault::Main));
    assert_eq!(
        determine(&facts, &DeterminationParams::default()).outcome,
        Outcome::AutoConfirm
    );
}

#[test]
fn a_last_filing_day_on_a_holiday_moves_to_the_next_working_day() {
    let mut facts = facts();
    // Accident 2025-09-01 (Shanghai); day 30 is 1 October, National Day; the holiday runs
    // to 8 October, so the platform may file on 9 October.
    facts.occurred_at = utc("2025-09-01T02:00:00Z");
    facts.orders.clear();
    facts.application.filed_at = utc("2025-10-09T02:00:00Z");
    assert_eq!(verdict(filed_in_time, &facts), Verdict::Pass);
    facts.application.filed_at = utc("2025-10-10T02:00:00Z");
    assert_eq!(
        verdict(filed_in_time, &facts),
        review(ReasonCode::LateWithoutExplanation)
    );
}

#[test]
fn the_determination_is_due_30_working_days_after_the_application() {
    let params = DeterminationParams::default();
    // Filed Tuesday 2025-09-16 (Shanghai). 30 working days, the National Day and
    // Mid-Autumn holiday (1–8 October) skipped and the make-up Saturday 11 October counted:
    // 11 working days to 30 September, then 9, 10, 11, 13–17, 20–24, 27–31 October and
    // 3 November is the 30th.
    let due = params.determination_due_on(utc("2025-09-16T02:00:00Z"));
    assert_eq!(due, day("2025-11-03"));
}

#[test]
fn the_commute_rule_ignores_other_categories() {
    let mut facts = facts();
    facts.orders.clear();
    facts.category = IncidentCategory::Violence;
    assert_eq!(verdict(commute_traffic_fault, &facts), Verdict::Pass);
}

// --- rules 7–9: exclusions --------------------------------------------------------------

#[test]
fn each_exclusion_flag_goes_to_review_with_its_own_reason() {
    type SetFlag = fn(&mut ExclusionFlags);
    let cases: [(SetFlag, Rule, ReasonCode); 3] = [
        (
            |f| f.intentional_crime = true,
            no_intentional_crime,
            ReasonCode::IntentionalCrime,
        ),
        (
            |f| f.intoxication_or_drugs = true,
            no_intoxication,
            ReasonCode::IntoxicationOrDrugs,
        ),
        (|f| f.self_harm = true, no_self_harm, ReasonCode::SelfHarm),
    ];
    for (flag, rule, reason) in cases {
        let mut facts = facts();
        assert_eq!(verdict(rule, &facts), Verdict::Pass);
        flag(&mut facts.exclusions);
        assert_eq!(verdict(rule, &facts), review(reason));
        assert_eq!(reasons(&facts), [reason]);
    }
    let mut facts = facts();
    facts.exclusions = ExclusionFlags {
        intentional_crime: true,
        intoxication_or_drugs: true,
        self_harm: true,
    };
    assert_eq!(
        reasons(&facts),
        [
            ReasonCode::IntentionalCrime,
            ReasonCode::IntoxicationOrDrugs,
            ReasonCode::SelfHarm
        ]
    );
}

// --- rule 10: duplicates ----------------------------------------------------------------

#[test]
fn another_claim_within_24_hours_either_side_is_a_possible_duplicate() {
    let mut facts = facts();
    let at = facts.occurred_at;
    let other = |occurred_at| OtherClaim {
        claim_id: Uuid::from_u128(99),
        occurred_at,
    };
    for (occurred_at, expected) in [
        (
            at + TimeDelta::hours(24),
            review(ReasonCode::PossibleDuplicate),
        ),
        (
            at - TimeDelta::hours(24),
            review(ReasonCode::PossibleDuplicate),
        ),
        (
            at + TimeDelta::minutes(5),
            review(ReasonCode::PossibleDuplicate),
        ),
        (
            at + TimeDelta::hours(24) + TimeDelta::seconds(1),
            Verdict::Pass,
        ),
        (
            at - TimeDelta::hours(24) - TimeDelta::seconds(1),
            Verdict::Pass,
        ),
    ] {
        facts.other_claims = vec![other(occurred_at)];
        assert_eq!(verdict(no_duplicate, &facts), expected, "{occurred_at}");
    }
    facts.other_claims = vec![other(at + TimeDelta::hours(30))];
    let params = DeterminationParams {
        duplicate_window_hours: 48,
        ..DeterminationParams::default()
    };
    assert_eq!(
        no_duplicate(&facts, &params).verdict,
        review(ReasonCode::PossibleDuplicate)
    );
}

#[test]
fn the_claim_itself_is_not_its_own_duplicate() {
    let mut facts = facts();
    facts.other_claims = vec![OtherClaim {
        claim_id: facts.claim_id,
        occurred_at: facts.occurred_at,
    }];
    assert_eq!(verdict(no_duplicate, &facts), Verdict::Pass);
}

// --- properties -------------------------------------------------------------------------

fn arbitrary_category() -> impl Strategy<Value = IncidentCategory> {
    let fault = prop_oneof![
        Just(None),
        Just(Some(TrafficFault::None)),
        Just(Some(TrafficFault::Minor)),
        Just(Some(TrafficFault::Equal)),
        Just(Some(TrafficFault::Main)),
        Just(Some(TrafficFault::Full)),
    ];
    prop_oneof![
        Just(IncidentCategory::OrderAccident),
        Just(IncidentCategory::Violence),
        fault.prop_map(|worker_fault| IncidentCategory::TrafficAccident { worker_fault }),
        Just(IncidentCategory::SuddenIllness),
        Just(IncidentCategory::Missing),
        Just(IncidentCategory::Other),
    ]
}

proptest! {
    /// Automation confirms exactly when every rule passed, and otherwise lists exactly the
    /// failing rules' reasons: it has no way to refuse.
    #[test]
    fn confirms_only_when_every_rule_passes(
        incident_offset_min in -600i64..600,
        filed_after_days in -2i64..120,
        died_after_hours in proptest::option::of(-2i64..100),
        category in arbitrary_category(),
        second_platform in any::<bool>(),
        registered_with_a in any::<bool>(),
        flags in any::<(bool, bool, bool)>(),
        late_explanation in any::<bool>(),
        other_claim_offset_hours in proptest::option::of(-72i64..72),
    ) {
        let mut facts = facts();
        let base = facts.occurred_at;
        facts.occurred_at = base + TimeDelta::minutes(incident_offset_min);
        facts.application.filed_at = base + TimeDelta::days(filed_after_days);
        facts.application.late_explanation = late_explanation;
        facts.died_at = died_after_hours.map(|h| facts.occurred_at + TimeDelta::hours(h));
        facts.category = category;
        if !registered_with_a {
            facts.memberships = vec![membership(B)];
        }
        if second_platform {
            facts.orders.push(order(B, "B-1", "2025-08-10T02:30:00Z", OrderEnd::Open));
        }
        facts.exclusions = ExclusionFlags {
            intentional_crime: flags.0,
            intoxication_or_drugs: flags.1,
            self_harm: flags.2,
        };
        facts.other_claims = other_claim_offset_hours
            .map(|h| OtherClaim {
                claim_id: Uuid::from_u128(7),
                occurred_at: base + TimeDelta::hours(h),
            })
            .into_iter()
            .collect();

        let determination = determine(&facts, &DeterminationParams::default());
        prop_assert_eq!(determination.trace.len(), RULES.len());
        let mut failing = Vec::new();
        for outcome in &determination.trace {
            if let Verdict::Review(reason) = outcome.verdict && !failing.contains(&reason) {
                failing.push(reason);
            }
        }
        match determination.outcome {
            Outcome::AutoConfirm => prop_assert!(failing.is_empty()),
            Outcome::Review(reasons) => {
                prop_assert!(!reasons.is_empty());
                prop_assert_eq!(reasons, failing);
            }
        }
    }
}

/// Facts stored before orders carried their industry still read, with an empty one.
#[test]
fn facts_stored_without_an_industry_still_read() {
    let mut stored = serde_json::to_value(facts()).unwrap();
    stored["orders"][0]
        .as_object_mut()
        .unwrap()
        .remove("industry");
    let read: DeterminationFacts = serde_json::from_value(stored).unwrap();
    assert_eq!(read.orders[0].industry, "");
    let liability = serde_json::json!({
        "platform_id": A, "order_id": "A-1", "region": "310115"
    });
    let read: Liability = serde_json::from_value(liability).unwrap();
    assert_eq!(read.industry, "");
}
