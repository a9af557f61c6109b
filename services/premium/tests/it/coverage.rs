//! Coverage days (按日参保): the first order of a (person, platform, province, Shanghai date)
//! opens the day once, and CoverageDayStarted reaches premium.events.v1 keyed by platform.

use chrono::{Duration, NaiveDate};
use gigshield_kit::testing::Backend;
use gigshield_proto::common::Industry;
use gigshield_proto::events;
use prost::Message as _;

use crate::support::*;

async fn read_events(topic: &str, expected: usize) -> Vec<(String, String, Vec<u8>)> {
    gigshield_kit::testing::read_events(topic, expected)
        .await
        .into_iter()
        .map(|p| (p.key, p.event_type, p.payload))
        .collect()
}

#[tokio::test]
async fn the_first_order_of_a_shanghai_day_opens_coverage_once() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let p = app
        .platform(&[Industry::InstantDelivery], &["310000", "440000"])
        .await;
    let rider1 = app.worker(p, "rider-1").await;
    let rider2 = app.worker(p, "rider-2").await;
    app.synced().await;
    let (month, _) = closed_months();
    // Shanghai midnight between the 5th and the 6th (16:00 UTC on the 5th).
    let midnight = month.starts_at() + Duration::days(5);
    let fifth = month.first_day() + chrono::Days::new(4);
    let sixth = month.first_day() + chrono::Days::new(5);
    let seventh = month.first_day() + chrono::Days::new(6);
    let orders = vec![
        // 23:59:59 on the 5th, then 00:00:00 on the 6th (Shanghai).
        completed(
            "a",
            "rider-1",
            Industry::InstantDelivery,
            "310115",
            midnight - Duration::seconds(1),
        ),
        completed(
            "b",
            "rider-1",
            Industry::InstantDelivery,
            "310115",
            midnight,
        ),
        completed(
            "c",
            "rider-1",
            Industry::InstantDelivery,
            "310104",
            midnight + Duration::hours(3),
        ),
        completed(
            "d",
            "rider-1",
            Industry::InstantDelivery,
            "440106",
            midnight + Duration::hours(4),
        ),
        completed(
            "e",
            "rider-2",
            Industry::InstantDelivery,
            "440106",
            midnight + Duration::hours(5),
        ),
        // Cancelled before pickup: not billable, still a day of cover.
        gigshield_proto::premium::OrderReport {
            cancelled_at: ts(midnight + Duration::hours(30)),
            ..order(
                "f",
                "rider-2",
                Industry::InstantDelivery,
                "440106",
                midnight + Duration::hours(29),
            )
        },
    ];
    let response = app.report(p, orders.clone()).await;
    assert_eq!(response.accepted_count, 6);
    assert_eq!(app.count("SELECT COUNT(*) FROM coverage_day").await, 5);
    assert_eq!(app.outbox_count("CoverageDayStarted").await, 5);
    // Resending, and another order on a covered day, open nothing new.
    app.report(p, orders).await;
    app.report(
        p,
        vec![completed(
            "g",
            "rider-1",
            Industry::InstantDelivery,
            "310101",
            midnight + Duration::hours(8),
        )],
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM coverage_day").await, 5);
    assert_eq!(app.outbox_count("CoverageDayStarted").await, 5);

    let seen = read_events(&app.topic, 5).await;
    let mut days: Vec<(String, String, String, String)> = seen
        .iter()
        .map(|(key, event_type, payload)| {
            assert_eq!(event_type, "gigshield.events.v1.CoverageDayStarted");
            assert_eq!(key, &p.to_string(), "premium events are keyed by platform");
            let e = events::CoverageDayStarted::decode(payload.as_slice()).unwrap();
            assert_eq!(e.platform_id, p.to_string());
            (e.person_id, e.province_code, e.date, e.order_id)
        })
        .collect();
    days.sort();
    let day = |d: NaiveDate| d.to_string();
    let mut expected = vec![
        (
            rider1.to_string(),
            "310000".to_string(),
            day(fifth),
            "a".to_string(),
        ),
        (
            rider1.to_string(),
            "310000".to_string(),
            day(sixth),
            "b".to_string(),
        ),
        (
            rider1.to_string(),
            "440000".to_string(),
            day(sixth),
            "d".to_string(),
        ),
        (
            rider2.to_string(),
            "440000".to_string(),
            day(sixth),
            "e".to_string(),
        ),
        (
            rider2.to_string(),
            "440000".to_string(),
            day(seventh),
            "f".to_string(),
        ),
    ];
    expected.sort();
    assert_eq!(days, expected);

    // The worker asks which days of the month they were covered, by whom, where.
    let ask = |role: gigshield_kit::Role, person: &str| {
        as_(
            &role,
            gigshield_proto::premium::ListCoverageDaysRequest {
                person_id: person.into(),
                month: month.to_string(),
            },
        )
    };
    let rider = gigshield_kit::Role::Worker { person_id: rider1 };
    let own = app
        .client
        .list_coverage_days(ask(rider.clone(), ""))
        .await
        .unwrap()
        .into_inner();
    let listed: Vec<(String, String, String)> = own
        .days
        .iter()
        .map(|d| {
            (
                d.day.clone(),
                d.platform_id.clone(),
                d.province_code.clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (day(fifth), p.to_string(), "310000".to_string()),
            (day(sixth), p.to_string(), "310000".to_string()),
            (day(sixth), p.to_string(), "440000".to_string()),
        ]
    );
    assert_eq!(own.covered_days, 2, "two provinces on the 6th are one day");
    // Not another worker's days; an operator only the days in its area.
    let other = app
        .client
        .list_coverage_days(ask(rider, &rider2.to_string()))
        .await
        .unwrap_err();
    assert_eq!(other.code(), tonic::Code::PermissionDenied);
    let shanghai = app
        .client
        .list_coverage_days(ask(
            gigshield_kit::Role::regional_operator("31"),
            &rider1.to_string(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(shanghai.days.len(), 2);
    assert!(shanghai.days.iter().all(|d| d.province_code == "310000"));
    let bad = app
        .client
        .list_coverage_days(as_(
            &gigshield_kit::Role::national_operator(),
            gigshield_proto::premium::ListCoverageDaysRequest {
                person_id: rider1.to_string(),
                month: "2026-13".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(bad.message().contains("month"));
    app.stop().await;
}

/// Each replica remembers the days it saw stored and skips asking about them; a day stored by
/// the other replica is still found by the insert, so two replicas never open a day twice.
#[tokio::test]
async fn replicas_sharing_a_database_open_each_day_once() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let p = app
        .platform(&[Industry::InstantDelivery], &["440000"])
        .await;
    app.worker(p, "rider-1").await;
    app.synced().await;
    let (mut other, other_served) = app.second_replica().await;
    let (month, _) = closed_months();
    let noon = month.starts_at() + Duration::days(3) + Duration::hours(4);
    let at = |id: &str, hours: i64| {
        completed(
            id,
            "rider-1",
            Industry::InstantDelivery,
            "440106",
            noon + Duration::hours(hours),
        )
    };
    let via_other = |orders: Vec<gigshield_proto::premium::OrderReport>| {
        as_(
            &platform(p),
            tokio_stream::iter(vec![gigshield_proto::premium::ReportOrdersRequest {
                platform_id: p.to_string(),
                orders,
            }]),
        )
    };

    // The first replica opens the day and remembers it.
    assert_eq!(app.report(p, vec![at("a", 0)]).await.accepted_count, 1);
    // The second has never seen it: its insert finds the stored day and opens nothing.
    let answer = other
        .report_orders(via_other(vec![at("b", 1)]))
        .await
        .unwrap();
    assert_eq!(answer.into_inner().accepted_count, 1);
    // The first skips the lookup for a day it knows; the second opens the next day.
    app.report(p, vec![at("c", 2)]).await;
    other
        .report_orders(via_other(vec![at("d", 24)]))
        .await
        .unwrap();
    app.report(p, vec![at("e", 25)]).await;

    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 5);
    assert_eq!(app.count("SELECT COUNT(*) FROM coverage_day").await, 2);
    assert_eq!(app.outbox_count("CoverageDayStarted").await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM coverage_day WHERE order_id IN ('a', 'd')")
            .await,
        2,
        "each day names the order that opened it"
    );
    other_served.stop().await;
    app.stop().await;
}
