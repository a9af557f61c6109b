use chrono::{DateTime, NaiveDate, Utc};

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn province(prefix: &str) -> ProvinceCode {
    ProvinceCode::from_prefix(prefix).unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn added(rule: Rule, recorded: i64) -> Entry {
    Entry {
        rule_id: Some(format!("rule-{recorded}")),
        rule,
        source: Source {
            document: "test notice".into(),
            url: String::new(),
            published_on: None,
            confidence: Confidence::High,
        },
        entered_by: "operator".into(),
        recorded_at: at(1_700_000_000 + recorded),
    }
}

#[test]
fn shipped_stages_cover_31_provinces_and_the_xpcc_in_three_steps() {
    let rules = SchemeRules::shipped();
    let starts: Vec<(ProvinceCode, NaiveDate)> = crate::region::PROVINCE_PREFIXES
        .iter()
        .map(|p| (province(p), rules.province_start(province(p)).unwrap()))
        .collect();
    assert_eq!(starts.len(), 32);
    let count = |d: NaiveDate| starts.iter().filter(|(_, s)| *s == d).count();
    assert_eq!(count(date(2022, 7, 1)), 7);
    assert_eq!(count(date(2025, 7, 1)), 10);
    assert_eq!(count(date(2026, 7, 1)), 15);
    assert_eq!(rules.province_start(province("66")), Some(date(2026, 7, 1)));
    assert_eq!(
        rules.in_force(province("44"), date(2022, 6, 30)),
        InForce::From(date(2022, 7, 1))
    );
    assert_eq!(
        rules.in_force(province("44"), date(2022, 7, 1)),
        InForce::Since(date(2022, 7, 1))
    );
}

#[test]
fn shipped_rules_carry_sources_and_examples_none() {
    for entry in SchemeRules::shipped().entries() {
        assert!(entry.shipped());
        assert!(!entry.source.document.is_empty(), "{entry:?}");
        assert!(!entry.source.document.to_lowercase().starts_with("example"));
        validate(&entry.rule).unwrap();
    }
}

#[test]
fn a_later_entry_corrects_a_province_start_and_both_stay_listed() {
    let jilin = province("22");
    let rules = SchemeRules::with_entries([
        added(
            Rule::ProvinceStart {
                province: jilin,
                starts_on: date(2026, 9, 1),
            },
            2,
        ),
        added(
            Rule::ProvinceStart {
                province: jilin,
                starts_on: date(2026, 8, 1),
            },
            1,
        ),
    ]);
    // Recorded order, not list order, decides: the entry recorded at +2 wins.
    assert_eq!(rules.province_start(jilin), Some(date(2026, 9, 1)));
    let listed = rules
        .entries()
        .iter()
        .filter(|e| matches!(e.rule, Rule::ProvinceStart { province, .. } if province == jilin))
        .count();
    assert_eq!(listed, 3, "shipped and both corrections");
}

#[test]
fn dated_values_apply_from_their_date_and_ties_go_to_the_later_entry() {
    let rules = SchemeRules::with_entries([
        added(
            Rule::FilingDeadlines {
                effective_from: date(2027, 1, 1),
                days: DeadlineDays {
                    platform: 60,
                    worker: 120,
                    close_relative: 120,
                },
            },
            1,
        ),
        added(
            Rule::Window {
                kind: WindowKind::OrderGraceMinutes,
                effective_from: scheme_first_day(),
                value: 0,
            },
            2,
        ),
    ]);
    assert_eq!(rules.deadlines(date(2026, 12, 31)).platform, 30);
    assert_eq!(rules.deadlines(date(2027, 1, 1)).platform, 60);
    assert_eq!(
        rules.deadlines(date(2021, 1, 1)).platform,
        30,
        "before all: the first"
    );
    assert_eq!(
        rules.window(WindowKind::OrderGraceMinutes, date(2026, 1, 1)),
        0
    );
    assert_eq!(
        rules.window(WindowKind::SuddenIllnessDeathHours, date(2026, 1, 1)),
        48
    );
}

#[test]
fn working_days_follow_the_official_schedule() {
    let rules = SchemeRules::shipped();
    // 2026-02-14 is a Saturday made a working day; 2026-02-16 a Monday in the holiday.
    assert!(rules.is_working_day(date(2026, 2, 14)));
    assert!(!rules.is_working_day(date(2026, 2, 16)));
    assert!(!rules.is_working_day(date(2026, 2, 22)), "a Sunday");
    assert!(rules.is_working_day(date(2026, 2, 24)));
    // 2027 has no schedule yet: Monday to Friday.
    assert!(rules.is_working_day(date(2027, 1, 1)), "a Friday");
    assert_eq!(
        rules.years_without_schedule(date(2026, 12, 1), date(2027, 2, 1)),
        vec![2027]
    );
}

#[test]
fn a_period_of_working_days_skips_a_national_holiday() {
    let rules = SchemeRules::shipped();
    // From Friday 2026-09-18: 30 working days. Sun 09-20 is a make-up workday, 09-25..27 and
    // 10-01..07 are off, Sat 10-10 is a make-up workday.
    let due = rules.add_working_days(date(2026, 9, 18), 30);
    let mut count = 0;
    let mut d = date(2026, 9, 18);
    while d < due {
        d = d.succ_opt().unwrap();
        if rules.is_working_day(d) {
            count += 1;
        }
    }
    assert_eq!(count, 30);
    assert_eq!(due, date(2026, 11, 5));
    // Counting weekdays alone would end on 2026-10-30.
    let plain = SchemeRules {
        entries: SchemeRules::shipped()
            .entries
            .into_iter()
            .filter(|e| !matches!(e.rule, Rule::HolidayYear { .. }))
            .collect(),
    };
    assert_eq!(
        plain.add_working_days(date(2026, 9, 18), 30),
        date(2026, 10, 30)
    );
}

#[test]
fn a_filing_deadline_ending_on_a_holiday_moves_to_the_next_working_day() {
    let rules = SchemeRules::shipped();
    // Accident 2026-09-01, 30 days → 2026-10-01, National Day: the last day is 10-08.
    assert_eq!(
        rules.filing_last_day(date(2026, 9, 1), 30),
        date(2026, 10, 8)
    );
    // Ending on a working day: unchanged.
    assert_eq!(
        rules.filing_last_day(date(2026, 7, 1), 30),
        date(2026, 7, 31)
    );
}

#[test]
fn bad_rules_name_their_field() {
    let early = validate(&Rule::ProvinceStart {
        province: province("22"),
        starts_on: date(2021, 1, 1),
    })
    .unwrap_err();
    assert_eq!(early.field, "rule.province_start.starts_on");
    let zero = validate(&Rule::FilingDeadlines {
        effective_from: date(2027, 1, 1),
        days: DeadlineDays {
            platform: 0,
            worker: 90,
            close_relative: 90,
        },
    })
    .unwrap_err();
    assert_eq!(zero.field, "rule.filing_deadlines.platform_days");
    let huge = validate(&Rule::Window {
        kind: WindowKind::OrderGraceMinutes,
        effective_from: date(2027, 1, 1),
        value: 100_000,
    })
    .unwrap_err();
    assert_eq!(huge.field, "rule.window.value");
    let weekday_workday = validate(&Rule::HolidayYear {
        year: 2027,
        holidays: BTreeSet::new(),
        workdays: [date(2027, 1, 4)].into(),
    })
    .unwrap_err();
    assert_eq!(weekday_workday.field, "rule.holiday_year.workdays");
    let wrong_year = validate(&Rule::HolidayYear {
        year: 2027,
        holidays: [date(2026, 1, 1)].into(),
        workdays: BTreeSet::new(),
    })
    .unwrap_err();
    assert_eq!(wrong_year.field, "rule.holiday_year");
}

#[test]
fn entries_round_trip_through_the_wire() {
    for entry in SchemeRules::shipped().entries() {
        let mut recorded = entry.clone();
        recorded.rule_id = Some("0193-test".into());
        let back = entry_from_proto(&entry_to_proto(&recorded)).unwrap();
        assert_eq!(back, recorded);
    }
}

#[test]
fn the_wire_form_is_checked_field_by_field() {
    use gigshield_proto::common as pb;
    let rule = |r: pb::scheme_rule::Rule, source: Option<pb::Source>| pb::SchemeRule {
        rule: Some(r),
        source,
    };
    let good_source = Some(pb::Source {
        document: "吉林省人社厅通知".into(),
        url: String::new(),
        published_on: "2026-03-01".into(),
        confidence: pb::Confidence::High as i32,
    });
    let hk = rule(
        pb::scheme_rule::Rule::ProvinceStart(pb::ProvinceStart {
            province_code: "810000".into(),
            starts_on: "2026-07-01".into(),
        }),
        good_source.clone(),
    );
    assert_eq!(
        rule_from_proto(&hk).unwrap_err().field,
        "rule.province_start.province_code"
    );
    let no_source = rule(
        pb::scheme_rule::Rule::ProvinceStart(pb::ProvinceStart {
            province_code: "220000".into(),
            starts_on: "2026-07-01".into(),
        }),
        None,
    );
    assert_eq!(
        rule_from_proto(&no_source).unwrap_err().field,
        "rule.source"
    );
    let example_claiming_high = rule(
        pb::scheme_rule::Rule::ProvinceStart(pb::ProvinceStart {
            province_code: "220000".into(),
            starts_on: "2026-07-01".into(),
        }),
        Some(pb::Source {
            document: "Example only".into(),
            confidence: pb::Confidence::High as i32,
            ..Default::default()
        }),
    );
    assert_eq!(
        rule_from_proto(&example_claiming_high).unwrap_err().field,
        "rule.source.confidence"
    );
    let bad_day = rule(
        pb::scheme_rule::Rule::Window(pb::SchemeWindow {
            kind: pb::SchemeWindowKind::OrderGraceMinutes as i32,
            effective_from: "2026-13-01".into(),
            value: 5,
        }),
        good_source,
    );
    assert_eq!(
        rule_from_proto(&bad_day).unwrap_err().field,
        "rule.window.effective_from"
    );
}
