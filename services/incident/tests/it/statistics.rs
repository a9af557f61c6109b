//! Regulators' counts of incidents: each cell sums the incidents reported in its month, place
//! and platform; small cells show nothing; an area sees only what happened inside it.

use chrono::Utc;
use gigshield_kit::testing::Backend;
use gigshield_kit::{Jurisdiction, Role};
use gigshield_proto::incident as pb;
use gigshield_scheme::calendar::CalendarMonth;
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
) -> Result<pb::GetIncidentStatisticsResponse, tonic::Status> {
    app.client
        .get_incident_statistics(as_(
            role,
            pb::GetIncidentStatisticsRequest {
                from_month: from.into(),
                through_month: through.into(),
            },
        ))
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn regulators_count_incidents_of_their_area_and_small_cells_are_suppressed() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    // A second rider of the same platform.
    let second = uuid::Uuid::now_v7();
    app.enrollment
        .worker(
            second,
            w.platform_id,
            "rider-2",
            Utc::now() - chrono::TimeDelta::days(100),
        )
        .await;
    app.replica_has(2).await;
    // rider-1: two incidents, one applied for; rider-2: one incident, withdrawn.
    let first = app
        .report(&w.platform(), platform_report(facts(days_ago(2), "摔倒")))
        .await
        .unwrap();
    app.report(&w.platform(), platform_report(facts(hours_ago(2), "追尾")))
        .await
        .unwrap();
    app.file(&w.platform(), &first.incident_id, "")
        .await
        .unwrap();
    let other = app
        .report(
            &w.platform(),
            pb::ReportIncidentRequest {
                external_worker_id: "rider-2".into(),
                ..platform_report(facts(hours_ago(1), "碰撞"))
            },
        )
        .await
        .unwrap();
    app.client
        .withdraw_incident(as_(
            &w.platform(),
            pb::WithdrawIncidentRequest {
                request_id: uuid::Uuid::now_v7().to_string(),
                incident_id: other.incident_id.clone(),
                reason: "重复上报".into(),
            },
        ))
        .await
        .unwrap();
    // Another platform's single incident: one person, below the threshold of two.
    let lone = app.world(100).await;
    app.report(
        &lone.platform(),
        platform_report(facts(hours_ago(1), "摔倒")),
    )
    .await
    .unwrap();

    let m = CalendarMonth::of(Utc::now()).to_string();
    let national = Role::Regulator {
        jurisdiction: Jurisdiction::National,
    };
    let answer = statistics(&mut app, &national, &m, &m).await.unwrap();
    assert_eq!(answer.min_persons, i64::from(STATS_MIN_PERSONS));
    assert_eq!(answer.cells.len(), 2, "{:?}", answer.cells);
    let cell = |platform: uuid::Uuid| {
        answer
            .cells
            .iter()
            .find(|c| c.platform_id == platform.to_string())
            .unwrap()
            .clone()
    };
    let counted = cell(w.platform_id);
    assert_eq!(
        (counted.month.as_str(), counted.province_code.as_str()),
        (m.as_str(), "110000")
    );
    assert!(!counted.suppressed);
    assert_eq!((counted.incidents, counted.persons), (3, 2));
    assert_eq!(
        (
            counted.applications,
            counted.applications_late,
            counted.withdrawn
        ),
        (1, 0, 1)
    );
    assert_eq!(
        counted.report_days_p90, 2,
        "the accident two days before its report"
    );
    let small = cell(lone.platform_id);
    assert!(small.suppressed);
    assert_eq!((small.incidents, small.persons), (0, 0));

    // Beijing's regulator sees Beijing's; Guangdong's nothing of it; a platform is refused.
    let beijing = statistics(&mut app, &regulator("110000"), &m, &m)
        .await
        .unwrap();
    assert_eq!(beijing.cells.len(), 2);
    let guangdong = statistics(&mut app, &regulator("440000"), &m, &m)
        .await
        .unwrap();
    assert!(guangdong.cells.is_empty());
    let refused = statistics(&mut app, &w.platform(), &m, &m)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let reversed = statistics(&mut app, &national, &m, "2020-01")
        .await
        .unwrap_err();
    assert_eq!(reversed.code(), Code::InvalidArgument);
    assert!(reversed.message().contains("through_month"));
    app.stop().await;
}
