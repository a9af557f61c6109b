//! The monthly run: once a person has started paying a claim, its monthly instalments leave
//! month after month by themselves — each exactly once, across repeated sweeps, a restart and
//! two replicas sweeping at the same moment — and stop where the schedule ends.

use chrono::{DateTime, TimeDelta, Utc};
use gigshield_claims::instalments::{InstalmentRun, Swept};
use gigshield_kit::Role;
use gigshield_proto::claims as pb;
use gigshield_proto::common::BenefitTable;
use gigshield_scheme::calendar::CalendarMonth;
use uuid::Uuid;

use crate::support::*;

fn run(app: &TestApp) -> InstalmentRun {
    InstalmentRun {
        db: app.conn.clone(),
        vault: app.vault(),
        topic: app.topic.clone(),
        clock: gigshield_kit::clock::Clock::system(),
    }
}

/// Mid-month of the `n`th month after `start`.
fn during(start: CalendarMonth, n: usize) -> DateTime<Utc> {
    let mut month = start;
    for _ in 0..n {
        month = month.next().unwrap();
    }
    month.starts_at() + TimeDelta::days(10)
}

/// How often the ledger pays `kind` for each of `months`, in order.
async fn paid_per_month(app: &TestApp, kind: &str, months: &[String]) -> Vec<i64> {
    let mut out = Vec::new();
    for month in months {
        out.push(
            app.count(&format!(
                "SELECT COUNT(*) FROM payout_ledger WHERE kind = '{kind}' AND period = '{month}'"
            ))
            .await,
        );
    }
    out
}

#[tokio::test]
async fn monthly_instalments_leave_once_a_month_by_themselves() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let at = hours_ago(6);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(30))
        .await;
    let id = app.file(&application(&world, at)).await.claim_id;
    app.client
        .record_appraisal(as_(
            &Role::national_adjuster(),
            pb::RecordAppraisalRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
                grade: 4,
                nursing_level: pb::NursingLevel::Partial as i32,
                appraised_on: "2026-10-08".into(),
                appraisal_body: "北京市劳动能力鉴定委员会".into(),
            },
        ))
        .await
        .unwrap();
    app.client
        .add_benefit_figure(as_(
            &Role::regional_operator("11"),
            benefit_figure(
                BenefitTable::AreaAverageMonthlyWage,
                "110000",
                2025,
                1_250_000,
            ),
        ))
        .await
        .unwrap();
    let start = CalendarMonth::of(Utc::now());
    app.client
        .assess_benefits(as_(
            &app.insurer_role(),
            pb::AssessBenefitsRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
                start_month: start.to_string(),
                monthly_instalments: 5,
                ..Default::default()
            },
        ))
        .await
        .unwrap();

    // Nobody has paid this claim yet: the run leaves it to a person.
    assert_eq!(
        run(&app).once(during(start, 1)).await.unwrap(),
        Swept::default()
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM payout_ledger").await, 0);

    app.client
        .set_beneficiary_account(as_(
            &world.worker(),
            pb::SetBeneficiaryAccountRequest {
                request_id: Uuid::now_v7().to_string(),
                person_id: world.person.to_string(),
                account_reference: "6222020200112233445".into(),
            },
        ))
        .await
        .unwrap();
    let first = app
        .client
        .issue_payouts(as_(
            &app.insurer_role(),
            pb::IssuePayoutsRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
                through_month: start.to_string(),
                account_reference: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    // The one-time subsidy and the first month of the allowance and of nursing care.
    assert_eq!(first.issued.len(), 3, "{:?}", first.issued);

    // The next month: both monthly items, once however often the run sweeps.
    let swept = run(&app).once(during(start, 1)).await.unwrap();
    assert_eq!((swept.claims, swept.issued), (1, 2));
    assert_eq!(
        run(&app).once(during(start, 1)).await.unwrap(),
        Swept::default()
    );

    // A restart, then two replicas sweeping the same month at once.
    let (a, b) = (run(&app), run(&app));
    let (a, b) = tokio::join!(a.once(during(start, 2)), b.once(during(start, 2)));
    assert_eq!(a.unwrap().issued + b.unwrap().issued, 2);
    let swept = run(&app).once(during(start, 3)).await.unwrap();
    assert_eq!(swept.issued, 2);

    // Five instalments from the start month: the schedule ends after the fifth month.
    let swept = run(&app).once(during(start, 7)).await.unwrap();
    assert_eq!(swept.issued, 2, "the fifth month, then nothing");
    assert_eq!(
        run(&app).once(during(start, 8)).await.unwrap(),
        Swept::default()
    );

    let months: Vec<String> = (0..8)
        .map(|n| CalendarMonth::of(during(start, n)).to_string())
        .collect();
    let once_each_then_none = vec![1, 1, 1, 1, 1, 0, 0, 0];
    assert_eq!(
        paid_per_month(&app, "disability_allowance", &months).await,
        once_each_then_none
    );
    assert_eq!(
        paid_per_month(&app, "nursing_care", &months).await,
        once_each_then_none
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM payout_ledger").await,
        1 + 2 * 5
    );
    assert_eq!(app.outbox_count("PayoutIssued").await, 1 + 2 * 5);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM payout_ledger WHERE issued_by = 'automation'")
            .await,
        2 * 4
    );
    let claim = app.get(&world.worker(), &id).await.unwrap();
    assert!(
        claim
            .history
            .iter()
            .any(|h| h.actor == "automation" && h.action == "PAYOUTS_ISSUED"),
        "each run is in the claim's history"
    );
    app.stop().await;
}
