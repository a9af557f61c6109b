//! Regulators' statistics: each cell's figures are the sums of the orders, coverage days and
//! declarations behind it; small cells show nothing; an area sees only whole provinces in it.

use chrono::Duration;
use gigshield_kit::testing::Backend;
use gigshield_kit::{Jurisdiction, Role};
use gigshield_proto::common::Industry;
use gigshield_proto::premium as pb;
use tonic::Code;

use crate::support::*;

fn regulator(area: &str) -> Role {
    Role::Regulator {
        jurisdiction: Jurisdiction::parse(area).unwrap(),
    }
}

async fn statistics(
    app: &mut TestApp,
    role: &Role,
    from: &str,
    through: &str,
) -> Result<pb::GetPremiumStatisticsResponse, tonic::Status> {
    app.client
        .get_premium_statistics(as_(
            role,
            pb::GetPremiumStatisticsRequest {
                from_month: from.into(),
                through_month: through.into(),
            },
        ))
        .await
        .map(|r| r.into_inner())
}

/// The grouped sums are SQL both backends must agree on: the suite runs on each.
#[tokio::test]
async fn regulators_get_counts_of_whole_provinces_and_small_cells_are_suppressed() {
    counts_of_whole_provinces(Backend::suite()).await;
}

async fn counts_of_whole_provinces(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let p = app
        .platform(&[Industry::InstantDelivery], &["310000", "440000"])
        .await;
    for w in 0..6 {
        app.worker(p, &format!("w-{w}")).await;
    }
    app.synced().await;
    let (month, _) = closed_months();
    let third = month.starts_at() + Duration::days(2) + Duration::hours(3);
    let mut orders = Vec::new();
    // Shanghai: six persons, two orders each on the 3rd, and w-0 once more on the 4th.
    for w in 0..6 {
        for n in 0..2 {
            let at = third + Duration::minutes(40 * n + w);
            orders.push(completed(
                &format!("sh-{w}-{n}"),
                &format!("w-{w}"),
                Industry::InstantDelivery,
                "310115",
                at,
            ));
        }
    }
    orders.push(completed(
        "sh-0-next",
        "w-0",
        Industry::InstantDelivery,
        "310115",
        third + Duration::days(1),
    ));
    // Guangdong: two persons, one order each.
    for w in 0..2 {
        orders.push(completed(
            &format!("gd-{w}"),
            &format!("w-{w}"),
            Industry::InstantDelivery,
            "440106",
            third + Duration::minutes(w),
        ));
    }
    app.report(p, orders).await;
    let closed = app.close(month).await;
    let declared = |province: &str| {
        closed
            .declarations
            .iter()
            .filter(|d| d.province_code == province && d.platform_id == p.to_string())
            .map(|d| d.total_fen)
            .sum::<i64>()
    };
    let statement = app.statement(p, month).await;
    let m = month.to_string();

    let national = Role::Regulator {
        jurisdiction: Jurisdiction::National,
    };
    let answer = statistics(&mut app, &national, &m, &m).await.unwrap();
    assert_eq!(answer.min_persons, 5);
    assert_eq!(answer.cells.len(), 2, "{:?}", answer.cells);
    let shanghai = &answer.cells[0];
    assert_eq!(
        (shanghai.month.as_str(), shanghai.province_code.as_str()),
        (m.as_str(), "310000")
    );
    assert_eq!(shanghai.platform_id, p.to_string());
    assert!(!shanghai.suppressed);
    assert_eq!((shanghai.orders, shanghai.billable_orders), (13, 13));
    assert_eq!((shanghai.coverage_days, shanghai.covered_persons), (7, 6));
    assert_eq!(shanghai.industries, ["instant_delivery"]);
    assert_eq!(shanghai.fees_declared_fen, declared("310000"));
    assert_eq!(
        shanghai.fees_accrued_fen,
        declared("310000"),
        "no late orders"
    );
    assert!(shanghai.fees_accrued_fen > 0);
    let guangdong = &answer.cells[1];
    assert_eq!(guangdong.province_code, "440000");
    assert!(guangdong.suppressed, "two persons are fewer than five");
    assert_eq!(
        guangdong.industries,
        ["instant_delivery"],
        "about the platform: shown"
    );
    assert_eq!(
        (
            guangdong.orders,
            guangdong.fees_accrued_fen,
            guangdong.covered_persons
        ),
        (0, 0, 0),
        "a suppressed cell carries no figure"
    );
    assert_eq!(
        statement.amount_fen,
        shanghai.fees_accrued_fen + declared("440000"),
        "the platform's statement is the sum of its provinces"
    );

    // A province's regulator sees its province; a city's sees nothing (premium has no finer
    // place than the province); a platform is refused.
    let own = statistics(&mut app, &regulator("310000"), &m, &m)
        .await
        .unwrap();
    assert_eq!(own.cells.len(), 1);
    assert_eq!(own.cells[0].province_code, "310000");
    let city = statistics(&mut app, &regulator("310100"), &m, &m)
        .await
        .unwrap();
    assert!(city.cells.is_empty());
    let refused = statistics(&mut app, &platform(p), &m, &m)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    // Bad spans name their field.
    let earlier = month.previous().unwrap().to_string();
    let reversed = statistics(&mut app, &national, &m, &earlier)
        .await
        .unwrap_err();
    assert_eq!(reversed.code(), Code::InvalidArgument);
    assert!(
        reversed.message().contains("through_month"),
        "{}",
        reversed.message()
    );
    let malformed = statistics(&mut app, &national, "2026-13", &m)
        .await
        .unwrap_err();
    assert!(
        malformed.message().contains("from_month"),
        "{}",
        malformed.message()
    );
    app.stop().await;
}
