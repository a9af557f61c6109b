//! Monthly declarations: a generated month's total equals Σ billable orders × rate computed
//! independently here; late orders for a closed month become adjustment lines next month.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use gigshield_kit::Role;
use gigshield_kit::testing::Backend;
use gigshield_proto::common::Industry;
use gigshield_proto::premium as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

/// splitmix64: a reproducible stream without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The 2025-07-01 national amounts, as the issue states them.
fn fen(industry: Industry) -> i64 {
    match industry {
        Industry::RideHailing => 1,
        Industry::InstantDelivery => 7,
        Industry::IntraCityFreight => 18,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_generated_month_declares_exactly_the_billable_orders_times_their_rate() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let industries = [
        Industry::RideHailing,
        Industry::InstantDelivery,
        Industry::IntraCityFreight,
    ];
    let regions = [
        ("310115", "310000"),
        ("440106", "440000"),
        ("320102", "320000"),
    ];
    let p = app
        .platform(&industries, &["310000", "440000", "320000", "110000"])
        .await;
    for w in 0..20 {
        app.worker(p, &format!("w-{w}")).await;
    }
    app.synced().await;
    let (month, _) = closed_months();
    let start = month.starts_at();
    let span = (month.ends_at() - start).num_seconds() as u64;
    let mut rng = Rng(20_250_701);
    let mut orders = Vec::new();
    // (province, industry) → (billable orders, fen)
    let mut expected: BTreeMap<(&str, i32), (i64, i64)> = BTreeMap::new();
    let mut all_fen = 0;
    for i in 0..3000u64 {
        let accepted_at: DateTime<Utc> = match i {
            0 => start,
            1 => month.ends_at() - Duration::seconds(1),
            // Both sides of several Shanghai midnights.
            2..=21 => start + Duration::days((i / 2) as i64) - Duration::seconds((i % 2) as i64),
            _ => start + Duration::seconds(rng.below(span) as i64),
        };
        let industry = industries[rng.below(3) as usize];
        let (region, province) = regions[rng.below(3) as usize];
        let base = order(
            &format!("gen-{i}"),
            &format!("w-{}", rng.below(20)),
            industry,
            region,
            accepted_at,
        );
        let (report, billable) = match rng.below(10) {
            0 | 1 => (base, true),
            2 => (
                pb::OrderReport {
                    cancelled_at: ts(accepted_at + Duration::minutes(3)),
                    ..base
                },
                false,
            ),
            3 => (
                pb::OrderReport {
                    picked_up_at: ts(accepted_at + Duration::minutes(4)),
                    cancelled_at: ts(accepted_at + Duration::minutes(9)),
                    ..base
                },
                true,
            ),
            _ => (
                pb::OrderReport {
                    picked_up_at: ts(accepted_at + Duration::minutes(6)),
                    completed_at: ts(accepted_at + Duration::minutes(40)),
                    ..base
                },
                true,
            ),
        };
        if billable {
            let line = expected.entry((province, industry as i32)).or_default();
            line.0 += 1;
            line.1 += fen(industry);
            all_fen += fen(industry);
        }
        orders.push(report);
    }
    let response = app.report(p, orders).await;
    assert_eq!(
        response.accepted_count,
        3000,
        "{:?}",
        response.results.iter().find(|r| !r.errors.is_empty())
    );

    let statement = app.statement(p, month).await;
    assert_eq!(statement.order_count, 3000);
    assert_eq!(statement.amount_fen, all_fen);
    assert_eq!(
        statement.days.iter().map(|d| d.order_count).sum::<i64>(),
        3000
    );
    assert!(statement.days.len() >= 28);

    let closed = app.close(month).await;
    assert_eq!(
        closed.declarations.len(),
        4,
        "three provinces with orders and one nil"
    );
    for declaration in &closed.declarations {
        assert_eq!(declaration.month, month.to_string());
        assert_eq!(declaration.platform_id, p.to_string());
        let province = declaration.province_code.as_str();
        let want: i64 = expected
            .iter()
            .filter(|((prov, _), _)| *prov == province)
            .map(|(_, (_, fen))| fen)
            .sum();
        assert_eq!(declaration.total_fen, want, "province {province}");
        assert_eq!(
            declaration.lines.iter().map(|l| l.amount_fen).sum::<i64>(),
            want
        );
        for line in &declaration.lines {
            assert!(line.adjusts_month.is_empty());
            let (count, amount) = expected[&(province, line.industry)];
            assert_eq!((line.order_count, line.amount_fen), (count, amount));
            assert_eq!(line.amount_fen, line.order_count * line.fen_per_order);
        }
        if province == "110000" {
            assert!(declaration.lines.is_empty());
            assert_eq!(declaration.total_fen, 0);
        }
    }
    assert_eq!(
        closed.declarations.iter().map(|d| d.total_fen).sum::<i64>(),
        all_fen
    );
    assert_eq!(app.outbox_count("DeclarationIssued").await, 4);
    app.stop().await;
}

#[tokio::test]
async fn late_orders_for_a_closed_month_become_adjustments_on_the_next_declaration() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let p = app
        .platform(
            &[Industry::InstantDelivery, Industry::RideHailing],
            &["310000"],
        )
        .await;
    app.worker(p, "rider").await;
    app.synced().await;
    let (month, next) = closed_months();
    let t = month.starts_at() + Duration::days(2);
    let mut orders: Vec<_> = (0..5)
        .map(|i| {
            completed(
                &format!("m-{i}"),
                "rider",
                Industry::InstantDelivery,
                "310115",
                t + Duration::hours(i),
            )
        })
        .collect();
    orders.push(order(
        "m-open",
        "rider",
        Industry::InstantDelivery,
        "310115",
        t,
    ));
    app.report(p, orders).await;

    // Too early, and out of turn.
    let current = next.next().unwrap();
    let err = app
        .client
        .close_month(as_(
            &Role::national_operator(),
            pb::CloseMonthRequest {
                request_id: "too-early".into(),
                month: current.to_string(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);

    let request = pb::CloseMonthRequest {
        request_id: Uuid::now_v7().to_string(),
        month: month.to_string(),
    };
    let first = app
        .client
        .close_month(as_(&Role::national_operator(), request.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.declarations.len(), 1);
    assert_eq!(first.declarations[0].total_fen, 42);
    let replay = app
        .client
        .close_month(as_(&Role::national_operator(), request))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replay, first, "same request_id, same answer");
    let again = app
        .client
        .close_month(as_(
            &Role::national_operator(),
            pb::CloseMonthRequest {
                request_id: "again".into(),
                month: month.to_string(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);

    // After the close: a late ride for the closed month, a cancellation before pickup of its
    // open order, and two orders of the next month.
    let n = next.starts_at() + Duration::days(1);
    let late = vec![
        completed(
            "late-ride",
            "rider",
            Industry::RideHailing,
            "310115",
            t + Duration::days(1),
        ),
        pb::OrderReport {
            cancelled_at: ts(t + Duration::minutes(1)),
            ..order("m-open", "rider", Industry::InstantDelivery, "310115", t)
        },
        completed("n-1", "rider", Industry::InstantDelivery, "310115", n),
        completed(
            "n-2",
            "rider",
            Industry::InstantDelivery,
            "310115",
            n + Duration::hours(1),
        ),
    ];
    let response = app.report(p, late).await;
    assert_eq!(response.accepted_count, 3);
    assert_eq!(response.updated_count, 1);

    let closed = app.close(next).await;
    assert_eq!(closed.declarations.len(), 1);
    let d = &closed.declarations[0];
    let lines: Vec<(String, i32, i64, i64, i64)> = d
        .lines
        .iter()
        .map(|l| {
            (
                l.adjusts_month.clone(),
                l.industry,
                l.fen_per_order,
                l.order_count,
                l.amount_fen,
            )
        })
        .collect();
    let m = month.to_string();
    assert_eq!(
        lines,
        vec![
            (String::new(), Industry::InstantDelivery as i32, 7, 2, 14),
            (m.clone(), Industry::RideHailing as i32, 1, 1, 1),
            (m.clone(), Industry::InstantDelivery as i32, 7, -1, -7),
        ]
    );
    assert_eq!(d.total_fen, 8);

    // The closed month's declaration was never rewritten.
    let listed = app
        .client
        .list_declarations(as_(
            &platform(p),
            pb::ListDeclarationsRequest {
                platform_id: p.to_string(),
                month: m,
                page: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.declarations.len(), 1);
    assert_eq!(listed.declarations[0].total_fen, 42);
    assert_eq!(listed.declarations[0].lines.len(), 1);
    // The statement of the closed month shows the work as it now stands.
    let statement = app.statement(p, month).await;
    assert_eq!(statement.order_count, 7);
    assert_eq!(statement.amount_fen, 42 + 1 - 7);
    app.stop().await;
}

/// A first-pilot platform's 25 fen entered after the fact: the open month is recomputed in
/// place, the closed month is corrected by an adjustment on the next declaration, and its own
/// declaration is never rewritten.
#[tokio::test]
async fn a_backdated_25_fen_rate_recomputes_an_open_month_and_adjusts_a_closed_one() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let p = app
        .platform(&[Industry::InstantDelivery], &["310000"])
        .await;
    let other = app
        .platform(&[Industry::InstantDelivery], &["310000"])
        .await;
    app.worker(p, "rider").await;
    app.worker(other, "rider").await;
    app.synced().await;
    let (closed, open) = closed_months();
    let rides = |start: DateTime<Utc>, n: i64| -> Vec<pb::OrderReport> {
        (0..n)
            .map(|i| {
                completed(
                    &format!("{start}-{i}"),
                    "rider",
                    Industry::InstantDelivery,
                    "310115",
                    start + Duration::hours(i),
                )
            })
            .collect()
    };
    let in_closed = closed.starts_at() + Duration::days(3);
    let in_open = open.starts_at() + Duration::days(3);
    app.report(p, rides(in_closed, 3)).await;
    app.report(p, rides(in_open, 2)).await;
    app.report(other, rides(in_open, 2)).await;
    let first = app.close(closed).await;
    let declared = |c: &pb::CloseMonthResponse, platform: uuid::Uuid| {
        c.declarations
            .iter()
            .find(|d| d.platform_id == platform.to_string())
            .map(|d| d.total_fen)
    };
    assert_eq!(declared(&first, p), Some(3 * 7));
    assert_eq!(app.statement(p, open).await.amount_fen, 2 * 7);

    let add = pb::AddRateRequest {
        request_id: Uuid::now_v7().to_string(),
        industry: Industry::InstantDelivery as i32,
        platform_id: p.to_string(),
        province_code: String::new(),
        effective_from: ts(closed.starts_at()),
        fen_per_order: 25,
    };
    let added = app
        .client
        .add_rate(as_(&Role::national_operator(), add.clone()))
        .await
        .expect("a backdated rate is taken")
        .into_inner();
    assert_eq!((added.repriced_orders, added.repriced_fen), (5, 5 * 18));
    let replay = app
        .client
        .add_rate(as_(&Role::national_operator(), add))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replay, added, "a retry reprices nothing twice");
    assert_eq!(app.outbox_count("RateAdded").await, 1);
    assert_eq!(
        app.outbox_count("OrdersRepriced").await,
        2,
        "one per order month"
    );

    // The open month, in place; the other platform untouched.
    assert_eq!(app.statement(p, open).await.amount_fen, 2 * 25);
    assert_eq!(app.statement(other, open).await.amount_fen, 2 * 7);
    // The closed month's statement shows what its work costs now…
    assert_eq!(app.statement(p, closed).await.amount_fen, 3 * 25);
    // …and the next declaration carries the difference as an adjustment.
    let second = app.close(open).await;
    let d = second
        .declarations
        .iter()
        .find(|d| d.platform_id == p.to_string())
        .unwrap();
    let mut lines: Vec<(String, i64, i64, i64)> = d
        .lines
        .iter()
        .map(|l| {
            (
                l.adjusts_month.clone(),
                l.fen_per_order,
                l.order_count,
                l.amount_fen,
            )
        })
        .collect();
    lines.sort();
    let c = closed.to_string();
    assert_eq!(
        lines,
        [
            (String::new(), 25, 2, 50),
            (c.clone(), 7, -3, -21),
            (c.clone(), 25, 3, 75),
        ]
    );
    assert_eq!(d.total_fen, 50 + 75 - 21);
    assert_eq!(declared(&second, other), Some(2 * 7));
    // Orders reported now for those days are priced by the new row.
    let response = app.report(p, rides(in_open + Duration::hours(10), 1)).await;
    assert_eq!(response.accepted_count, 1);
    app.stop().await;
}
