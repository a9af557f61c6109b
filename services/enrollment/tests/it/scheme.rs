//! The scheme calendar as operators keep it: dated, sourced entries, only ever added, each
//! published for the other services.

use gigshield_kit::Role;
use gigshield_kit::testing::{Backend, read_events_where};
use gigshield_proto::common::{self as common, scheme_rule::Rule};
use gigshield_proto::enrollment as pb;
use gigshield_proto::events;
use prost::Message as _;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

fn source(document: &str) -> Option<common::Source> {
    Some(common::Source {
        document: document.into(),
        url: String::new(),
        published_on: "2026-03-01".into(),
        confidence: common::Confidence::High as i32,
    })
}

fn add(request_id: &str, rule: Rule) -> pb::AddSchemeRuleRequest {
    pb::AddSchemeRuleRequest {
        request_id: request_id.into(),
        rule: Some(common::SchemeRule {
            rule: Some(rule),
            source: source("吉林省人社厅 关于做好新就业形态人员职业伤害保障试点工作的通知"),
        }),
    }
}

fn jilin_start(day: &str) -> Rule {
    Rule::ProvinceStart(common::ProvinceStart {
        province_code: "220000".into(),
        starts_on: day.into(),
    })
}

fn grace(minutes: u32) -> Rule {
    Rule::Window(common::SchemeWindow {
        kind: common::SchemeWindowKind::OrderGraceMinutes as i32,
        effective_from: "2027-01-01".into(),
        value: minutes,
    })
}

/// The calendar events on the service's topic, as (key, entry).
async fn published(topic: &str, expected: usize) -> Vec<(String, common::SchemeRuleEntry)> {
    const ADDED: &str = "gigshield.events.v1.SchemeRuleAdded";
    read_events_where(topic, expected, |p| p.event_type == ADDED)
        .await
        .into_iter()
        .map(|p| {
            let event = events::SchemeRuleAdded::decode(p.payload.as_slice()).unwrap();
            (p.key, event.entry.unwrap())
        })
        .collect()
}

#[tokio::test]
async fn operators_keep_the_scheme_calendar_and_every_service_hears_of_it() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let jilin = Role::regional_operator("22");
    let guangdong = Role::regional_operator("44");
    let changchun = Role::regional_operator("2201");

    let added = app
        .client
        .add_scheme_rule(as_(&jilin, add("jilin-1", jilin_start("2026-08-01"))))
        .await
        .expect("Jilin's operator enters Jilin's start")
        .into_inner()
        .entry
        .unwrap();
    assert!(!added.shipped && !added.rule_id.is_empty());
    let replayed = app
        .client
        .add_scheme_rule(as_(&jilin, add("jilin-1", jilin_start("2026-08-01"))))
        .await
        .unwrap()
        .into_inner()
        .entry
        .unwrap();
    assert_eq!(replayed.rule_id, added.rule_id, "a retry is the same entry");

    for (who, role) in [("another province", &guangdong), ("a city", &changchun)] {
        let refused = app
            .client
            .add_scheme_rule(as_(
                role,
                add(&Uuid::now_v7().to_string(), jilin_start("2026-09-01")),
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{who}");
    }
    let provincial_window = app
        .client
        .add_scheme_rule(as_(&jilin, add("jilin-grace", grace(5))))
        .await
        .unwrap_err();
    assert_eq!(provincial_window.code(), Code::PermissionDenied);
    app.client
        .add_scheme_rule(as_(&operator(), add("national-grace", grace(5))))
        .await
        .expect("the national operator enters windows");

    let hong_kong = app
        .client
        .add_scheme_rule(as_(
            &operator(),
            add(
                "hk",
                Rule::ProvinceStart(common::ProvinceStart {
                    province_code: "810000".into(),
                    starts_on: "2026-07-01".into(),
                }),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(hong_kong.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&hong_kong),
        ["rule.province_start.province_code"]
    );
    let weekday_as_workday = app
        .client
        .add_scheme_rule(as_(
            &operator(),
            add(
                "2027",
                Rule::HolidayYear(common::HolidayYear {
                    year: 2027,
                    holidays: vec!["2027-01-01".into()],
                    workdays: vec!["2027-01-04".into()],
                }),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&weekday_as_workday),
        ["rule.holiday_year.workdays"]
    );
    let unsourced = app
        .client
        .add_scheme_rule(as_(
            &operator(),
            pb::AddSchemeRuleRequest {
                request_id: "unsourced".into(),
                rule: Some(common::SchemeRule {
                    rule: Some(grace(3)),
                    source: None,
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&unsourced), ["rule.source"]);

    // Anyone reads the calendar: a platform here.
    let listed = app
        .client
        .list_scheme_rules(as_(
            &platform(Uuid::now_v7()),
            pb::ListSchemeRulesRequest {},
        ))
        .await
        .unwrap()
        .into_inner();
    let start = |code: &str| {
        listed
            .province_starts
            .iter()
            .find(|p| p.province_code == code)
            .map(|p| p.starts_on.clone())
    };
    assert_eq!(
        listed.province_starts.len(),
        32,
        "31 provinces and the XPCC"
    );
    assert_eq!(
        start("220000").as_deref(),
        Some("2026-08-01"),
        "the correction"
    );
    assert_eq!(start("660000").as_deref(), Some("2026-07-01"), "shipped");
    assert_eq!(start("440000").as_deref(), Some("2022-07-01"));
    let added_entries: Vec<&common::SchemeRuleEntry> =
        listed.entries.iter().filter(|e| !e.shipped).collect();
    assert_eq!(added_entries.len(), 2, "Jilin's start and the grace");
    assert!(
        listed.entries.iter().filter(|e| e.shipped).all(|e| e
            .rule
            .as_ref()
            .and_then(|r| r.source.as_ref())
            .is_some()),
        "every shipped rule names its source"
    );

    let events = published(&app.topic, 2).await;
    assert!(events.iter().all(|(key, _)| key == "scheme-calendar"));
    assert_eq!(events[0].1.rule_id, added.rule_id, "in recorded order");
    app.stop().await;
}

#[tokio::test]
async fn region_codes_outside_the_scheme_are_refused() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    for code in ["810000", "820000", "710000"] {
        let mut request = register_platform_request(CREDIT_CODES[1]);
        request.region_codes = vec![code.into()];
        let refused = app
            .client
            .register_platform(as_(&operator(), request))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{code}");
    }
    app.stop().await;
}
