//! The order stream: idempotent per (platform, order_id), per-item results, rejections with
//! reasons, on PostgreSQL (partitioned) and SQLite.

use chrono::Duration;
use gigshield_kit::sea_orm::DbBackend;
use gigshield_kit::testing::Backend;
use gigshield_proto::common::Industry;
use gigshield_proto::premium as pb;
use gigshield_proto::premium::OrderResultStatus as S;

use crate::support::*;

const SH: &str = "310115";
const GZ: &str = "440106";

#[tokio::test]
async fn resent_batches_change_nothing_and_updates_apply_once() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let p = app
        .platform(
            &[Industry::InstantDelivery, Industry::RideHailing],
            &["310000", "440000"],
        )
        .await;
    app.worker(p, "rider-1").await;
    app.worker(p, "rider-2").await;
    app.synced().await;
    let (month, _) = closed_months();
    let t0 = month.starts_at() + Duration::days(3) + Duration::hours(2);

    let mut batch: Vec<pb::OrderReport> = (0..10)
        .map(|i| {
            completed(
                &format!("o-{i}"),
                if i % 2 == 0 { "rider-1" } else { "rider-2" },
                Industry::InstantDelivery,
                if i < 7 { SH } else { GZ },
                t0 + Duration::minutes(i * 40),
            )
        })
        .collect();
    // Two still open: one will complete, one will be cancelled before pickup.
    batch.push(order(
        "open-1",
        "rider-1",
        Industry::InstantDelivery,
        SH,
        t0,
    ));
    batch.push(order("open-2", "rider-2", Industry::RideHailing, SH, t0));
    let first = app.report(p, batch.clone()).await;
    assert_eq!(first.accepted_count, 12, "{first:?}");
    assert!(statuses(&first).iter().all(|s| *s == S::Accepted));
    let statement = app.statement(p, month).await;
    assert_eq!(statement.order_count, 12);
    assert_eq!(statement.billable_count, 12);
    assert_eq!(statement.amount_fen, 11 * 7 + 1);
    let days = app.count("SELECT COUNT(*) FROM coverage_day").await;
    let events = app.outbox_count("CoverageDayStarted").await;
    let ledger = app.count("SELECT COUNT(*) FROM ledger_entry").await;

    // The same batch again, twice: nothing changes.
    for _ in 0..2 {
        let again = app.report(p, batch.clone()).await;
        assert_eq!(again.unchanged_count, 12, "{again:?}");
        assert_eq!(app.statement(p, month).await, statement);
        assert_eq!(app.count("SELECT COUNT(*) FROM coverage_day").await, days);
        assert_eq!(app.outbox_count("CoverageDayStarted").await, events);
        assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entry").await, ledger);
        assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 12);
    }

    // A completion and a cancellation before pickup, each applied once.
    let completion = pb::OrderReport {
        completed_at: ts(t0 + Duration::minutes(20)),
        ..order("open-1", "rider-1", Industry::InstantDelivery, SH, t0)
    };
    let cancellation = pb::OrderReport {
        cancelled_at: ts(t0 + Duration::minutes(2)),
        ..order("open-2", "rider-2", Industry::RideHailing, SH, t0)
    };
    let updates = vec![completion.clone(), cancellation.clone()];
    let applied = app.report(p, updates.clone()).await;
    assert_eq!(statuses(&applied), [S::Updated, S::Updated]);
    let after = app.statement(p, month).await;
    assert_eq!(after.order_count, 12);
    assert_eq!(
        after.billable_count, 11,
        "the cancellation before pickup is not billable"
    );
    assert_eq!(after.amount_fen, 11 * 7);
    let again = app.report(p, updates).await;
    assert_eq!(statuses(&again), [S::Unchanged, S::Unchanged]);
    assert_eq!(app.statement(p, month).await, after);
    // An older snapshot of an updated order is a resend, not an undo.
    let stale = app.report(p, vec![batch[10].clone()]).await;
    assert_eq!(statuses(&stale), [S::Unchanged]);

    let got = app
        .client
        .get_order(as_(
            &platform(p),
            pb::GetOrderRequest {
                platform_id: p.to_string(),
                order_id: "open-2".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(got.status, pb::OrderStatus::Cancelled as i32);
    assert!(!got.billable);
    assert_eq!(got.fen_per_order, 1);
    assert_eq!(got.billing_month, month.to_string());

    // The ledger balances: receivable = income, and equals the statement.
    let receivable = app
        .count(
            "SELECT CAST(COALESCE(SUM(CASE WHEN debit_account = 'platform_receivable' THEN amount_fen ELSE -amount_fen END), 0) AS BIGINT) \
             FROM ledger_entry WHERE 'platform_receivable' IN (debit_account, credit_account)",
        )
        .await;
    let income = app
        .count(
            "SELECT CAST(COALESCE(SUM(CASE WHEN credit_account = 'premium_income' THEN amount_fen ELSE -amount_fen END), 0) AS BIGINT) \
             FROM ledger_entry WHERE 'premium_income' IN (debit_account, credit_account)",
        )
        .await;
    assert_eq!(receivable, 11 * 7);
    assert_eq!(income, receivable);

    // On PostgreSQL orders live in the partition of their Shanghai acceptance month (SQLite
    // keeps one table).
    if app.conn.get_database_backend() == DbBackend::Postgres {
        let partition = format!("orders_{:04}_{:02}", month.year(), month.month());
        let in_partition = app
            .count(&format!("SELECT COUNT(*) FROM {partition}"))
            .await;
        assert_eq!(in_partition, 12);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_mixed_batch_rejects_bad_items_with_reasons_and_keeps_the_rest() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let p = app
        .platform(&[Industry::InstantDelivery], &["310000"])
        .await;
    let other = app
        .platform(&[Industry::InstantDelivery], &["310000"])
        .await;
    app.worker(p, "rider-1").await;
    app.worker(other, "someone-else").await;
    app.synced().await;
    let (month, _) = closed_months();
    let t0 = month.starts_at() + Duration::days(10);
    let now = chrono::Utc::now();
    let good = |id: &str| completed(id, "rider-1", Industry::InstantDelivery, SH, t0);
    let batch = vec![
        good("ok-1"),
        completed("unknown", "nobody", Industry::InstantDelivery, SH, t0),
        completed("theirs", "someone-else", Industry::InstantDelivery, SH, t0),
        completed("freight", "rider-1", Industry::IntraCityFreight, SH, t0),
        completed(
            "beijing",
            "rider-1",
            Industry::InstantDelivery,
            "110105",
            t0,
        ),
        pb::OrderReport {
            picked_up_at: ts(t0 - Duration::minutes(1)),
            ..order("backwards", "rider-1", Industry::InstantDelivery, SH, t0)
        },
        order(
            "future",
            "rider-1",
            Industry::InstantDelivery,
            SH,
            now + Duration::hours(1),
        ),
        order("no-industry", "rider-1", Industry::Unspecified, SH, t0),
        pb::OrderReport {
            accepted_at: None,
            ..order("no-time", "rider-1", Industry::InstantDelivery, SH, t0)
        },
        good("ok-2"),
    ];
    let response = app.report(p, batch).await;
    assert_eq!(response.accepted_count, 2);
    assert_eq!(response.rejected_count, 8);
    let fields: Vec<(String, Vec<String>)> = response
        .results
        .iter()
        .map(|r| {
            (
                r.order_id.clone(),
                r.errors.iter().map(|e| e.field.clone()).collect(),
            )
        })
        .collect();
    let expect = |id: &str, field: &str| {
        let (_, f) = fields.iter().find(|(o, _)| o == id).unwrap();
        assert_eq!(f, &vec![field.to_string()], "{id}: {fields:?}");
    };
    assert!(fields[0].1.is_empty(), "{fields:?}");
    expect("unknown", "external_worker_id");
    expect("theirs", "external_worker_id");
    expect("freight", "industry");
    expect("beijing", "region_code");
    expect("backwards", "picked_up_at");
    expect("future", "accepted_at");
    expect("no-industry", "industry");
    expect("no-time", "accepted_at");
    assert_eq!(response.results[0].index, 0);
    assert_eq!(response.results[9].index, 9);
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 2);
    let reason = &response.results[4].errors[0].description;
    assert!(reason.contains("110000"), "{reason}");

    // A resend that contradicts the stored order is refused and changes nothing.
    let moved = completed(
        "ok-1",
        "rider-1",
        Industry::InstantDelivery,
        SH,
        t0 + Duration::minutes(1),
    );
    let response = app.report(p, vec![moved]).await;
    assert_eq!(statuses(&response), [S::Rejected]);
    assert_eq!(response.results[0].errors[0].field, "accepted_at");
    // An order and its completion in one batch apply in order.
    let response = app
        .report(
            p,
            vec![
                order("two-step", "rider-1", Industry::InstantDelivery, SH, t0),
                completed("two-step", "rider-1", Industry::InstantDelivery, SH, t0),
            ],
        )
        .await;
    assert_eq!(statuses(&response), [S::Accepted, S::Updated]);
    // Nanoseconds are kept to the microsecond, so a resend still matches what was stored.
    let precise = completed(
        "nanos",
        "rider-1",
        Industry::InstantDelivery,
        SH,
        t0 + Duration::nanoseconds(123_456_789),
    );
    assert_eq!(
        statuses(&app.report(p, vec![precise.clone()]).await),
        [S::Accepted]
    );
    assert_eq!(
        statuses(&app.report(p, vec![precise]).await),
        [S::Unchanged]
    );
    app.stop().await;
}

#[tokio::test]
async fn a_small_batch_is_ingested_deduplicated_and_read_back() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let p = app
        .platform(
            &[Industry::RideHailing, Industry::IntraCityFreight],
            &["440000"],
        )
        .await;
    app.worker(p, "driver-1").await;
    app.synced().await;
    let (month, _) = closed_months();
    let t0 = month.starts_at() + Duration::days(1);
    let batch: Vec<_> = (0..50)
        .map(|i| {
            completed(
                &format!("d-{i}"),
                "driver-1",
                if i % 5 == 0 {
                    Industry::IntraCityFreight
                } else {
                    Industry::RideHailing
                },
                GZ,
                t0 + Duration::minutes(i * 31),
            )
        })
        .collect();
    let first = app.report(p, batch.clone()).await;
    assert_eq!(first.accepted_count, 50);
    let again = app.report(p, batch).await;
    assert_eq!(again.unchanged_count, 50);
    let statement = app.statement(p, month).await;
    assert_eq!(statement.order_count, 50);
    assert_eq!(statement.amount_fen, 10 * 18 + 40);
    let got = app
        .client
        .get_order(as_(
            &platform(p),
            pb::GetOrderRequest {
                platform_id: p.to_string(),
                order_id: "d-5".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(got.fen_per_order, 18);
    assert_eq!(got.region_code, GZ);
    assert!(app.count("SELECT COUNT(*) FROM coverage_day").await >= 1);
    app.stop().await;
}

/// Fees and cover agree: an order taken where the scheme has not started is refused, and an
/// operator's correction of a province's start (heard from enrollment) moves the line.
#[tokio::test]
async fn orders_before_the_scheme_starts_in_their_province_are_refused() {
    use gigshield_proto::common::{ProvinceStart, scheme_rule::Rule};
    use gigshield_scheme::calendar::shanghai_midnight;

    let mut app = TestApp::spawn(Backend::suite()).await;
    // Xinjiang (65) and the XPCC (66) join on 2026-07-01 in the shipped calendar.
    let p = app
        .platform(&[Industry::InstantDelivery], &["650000", "660000"])
        .await;
    app.worker(p, "rider-1").await;
    app.synced().await;
    let day = |d| shanghai_midnight(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
    let at = |id: &str, region: &str, d| {
        completed(
            id,
            "rider-1",
            Industry::InstantDelivery,
            region,
            day(d) + Duration::hours(9),
        )
    };
    let response = app
        .report(
            p,
            vec![
                at("urumqi-june", "650102", "2026-06-30"),
                at("xpcc-june", "660100", "2026-06-30"),
                at("urumqi-july", "650102", "2026-07-01"),
                at("xpcc-july", "660100", "2026-07-01"),
            ],
        )
        .await;
    assert_eq!(
        statuses(&response),
        [S::Rejected, S::Rejected, S::Accepted, S::Accepted]
    );
    for rejected in &response.results[..2] {
        assert_eq!(rejected.errors.len(), 1, "{rejected:?}");
        assert_eq!(rejected.errors[0].field, "region_code");
        assert!(
            rejected.errors[0].description.contains("2026-07-01"),
            "{}",
            rejected.errors[0].description
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM coverage_day WHERE day < '2026-07-01'")
            .await,
        0,
        "no cover opened by a refused order"
    );

    // The province's operator records an earlier start: June orders there are billed now.
    app.scheme_rule(Rule::ProvinceStart(ProvinceStart {
        province_code: "650000".into(),
        starts_on: "2026-06-15".into(),
    }))
    .await;
    app.synced().await;
    let response = app
        .report(
            p,
            vec![
                at("urumqi-june", "650102", "2026-06-30"),
                at("xpcc-june", "660100", "2026-06-30"),
            ],
        )
        .await;
    assert_eq!(statuses(&response), [S::Accepted, S::Rejected]);
    app.stop().await;
}

/// StreamOrders answers each batch, in order, with its counts and only the items that were not
/// accepted as new; a resend in a later batch is unchanged; a batch for another platform ends
/// the stream without storing anything of it.
#[tokio::test]
async fn streamed_batches_are_acknowledged_in_order_with_only_what_was_not_new() {
    let (mut app, p) = TestApp::with_one_rider("rider-1").await;
    let (month, _) = closed_months();
    let t0 = month.starts_at() + Duration::days(5);
    let at = |id: &str, minutes: i64| {
        completed(
            id,
            "rider-1",
            Industry::InstantDelivery,
            SH,
            t0 + Duration::minutes(minutes),
        )
    };
    let batch = |id: &str, orders: Vec<pb::OrderReport>| pb::StreamOrdersRequest {
        platform_id: p.to_string(),
        batch_id: id.into(),
        orders,
    };
    let first: Vec<pb::OrderReport> = (0..300).map(|i| at(&format!("s-{i}"), i)).collect();
    let second = vec![
        at("s-0", 0),
        completed("nobody", "stranger", Industry::InstantDelivery, SH, t0),
        at("s-300", 300),
    ];
    let mut acks = app
        .client
        .stream_orders(as_(
            &platform(p),
            tokio_stream::iter(vec![batch("b1", first), batch("b2", second)]),
        ))
        .await
        .expect("stream opened")
        .into_inner();
    let one = acks.message().await.unwrap().expect("first ack");
    assert_eq!(one.batch_id, "b1");
    assert_eq!((one.accepted_count, one.rejected_count), (300, 0));
    assert!(one.results.is_empty(), "accepted items are only counted");
    let two = acks.message().await.unwrap().expect("second ack");
    assert_eq!(two.batch_id, "b2");
    assert_eq!(
        (
            two.accepted_count,
            two.unchanged_count,
            two.updated_count,
            two.rejected_count
        ),
        (1, 1, 0, 1)
    );
    let listed: Vec<(i64, &str, i32)> = two
        .results
        .iter()
        .map(|r| (r.index, r.order_id.as_str(), r.status))
        .collect();
    assert_eq!(
        listed,
        [
            (0, "s-0", S::Unchanged as i32),
            (1, "nobody", S::Rejected as i32)
        ],
        "indexes are positions in the batch"
    );
    assert!(acks.message().await.unwrap().is_none(), "one ack per batch");
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 301);

    let other = app
        .platform(&[Industry::InstantDelivery], &["310000"])
        .await;
    app.synced().await;
    let mut acks = app
        .client
        .stream_orders(as_(
            &platform(p),
            tokio_stream::iter(vec![
                batch("b3", vec![at("s-400", 400)]),
                pb::StreamOrdersRequest {
                    platform_id: other.to_string(),
                    ..batch("b4", vec![at("s-401", 401)])
                },
            ]),
        ))
        .await
        .expect("stream opened")
        .into_inner();
    assert_eq!(acks.message().await.unwrap().unwrap().accepted_count, 1);
    let refused = acks.message().await.expect_err("the stream ends");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(app.count("SELECT COUNT(*) FROM orders").await, 302);
}

/// A ReportOrders stream answers every order in one message, so it carries at most
/// `MAX_REPORT_STREAM_ORDERS`: the message that would pass the cap is refused naming the field
/// and pointing to StreamOrders, and the batches before it stay stored (a resend finds them).
#[tokio::test]
async fn a_report_stream_past_its_cap_is_refused_and_keeps_what_came_before() {
    use gigshield_premium::api::{MAX_BATCH, MAX_REPORT_STREAM_ORDERS};
    let (mut app, p) = TestApp::with_one_rider("rider-1").await;
    let (month, _) = closed_months();
    let t0 = month.starts_at() + Duration::hours(1);
    let orders: Vec<pb::OrderReport> = (0..=MAX_REPORT_STREAM_ORDERS)
        .map(|i| {
            completed(
                &format!("cap-{i}"),
                "rider-1",
                Industry::InstantDelivery,
                SH,
                t0 + Duration::minutes(i),
            )
        })
        .collect();
    let refused = app
        .report_as(&platform(p), p, orders)
        .await
        .expect_err("past the cap");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().contains("StreamOrders"),
        "{}",
        refused.message()
    );
    let details = tonic_types::StatusExt::get_details_bad_request(&refused).expect("BadRequest");
    assert_eq!(details.field_violations[0].field, "orders");
    let stored = app.count("SELECT COUNT(*) FROM orders").await;
    assert_eq!(stored, MAX_REPORT_STREAM_ORDERS);
    assert_eq!(
        stored % MAX_BATCH as i64,
        0,
        "whole batches, nothing half-written"
    );
}
