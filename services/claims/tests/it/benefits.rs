//! Appraisal → benefits → payouts: a re-appraisal replaces the first with history, an
//! assessment that lacks a figure waits visibly and completes by itself when an operator adds
//! it, payouts are issued once per item and period, and the account is stored sealed and shown
//! masked.

use chrono::TimeDelta;
use gigshield_kit::Role;
use gigshield_kit::testing::sql;
use gigshield_proto::claims as pb;
use gigshield_scheme::calendar::CalendarMonth;
use uuid::Uuid;

use crate::support::*;
use gigshield_proto::common::BenefitTable;

async fn appraise(
    app: &mut TestApp,
    claim_id: &str,
    grade: i32,
    nursing: pb::NursingLevel,
) -> pb::Claim {
    app.client
        .record_appraisal(as_(
            &Role::national_adjuster(),
            pb::RecordAppraisalRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: claim_id.into(),
                grade,
                nursing_level: nursing as i32,
                appraised_on: "2026-10-08".into(),
                appraisal_body: "北京市劳动能力鉴定委员会".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap()
}

#[tokio::test]
async fn appraisal_benefits_and_payouts_once_each() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let at = hours_ago(6);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(30))
        .await;
    let claim = app.file(&application(&world, at)).await;
    assert_eq!(status(&claim), pb::ClaimStatus::Confirmed);
    let id = claim.claim_id.clone();

    let bad = app
        .client
        .record_appraisal(as_(
            &Role::national_adjuster(),
            pb::RecordAppraisalRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
                grade: 11,
                nursing_level: 0,
                appraised_on: "2026-13-01".into(),
                appraisal_body: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);

    appraise(&mut app, &id, 5, pb::NursingLevel::None).await;
    let claim = appraise(&mut app, &id, 4, pb::NursingLevel::Partial).await;
    assert_eq!(claim.appraisals.len(), 2);
    assert_eq!(claim.appraisals[1].grade, 4);
    assert!(
        claim
            .history
            .iter()
            .any(|h| h.detail.starts_with("re-appraisal 2 replaces 1"))
    );

    let start = CalendarMonth::of(chrono::Utc::now());
    let assess = pb::AssessBenefitsRequest {
        request_id: Uuid::now_v7().to_string(),
        claim_id: id.clone(),
        approved_bills: vec![pb::ApprovedBill {
            kind: pb::BillKind::MedicalAndRehabilitation as i32,
            amount_fen: 1_234_567,
        }],
        hospital_days: 0,
        died_at: None,
        dependants: vec![],
        start_month: start.to_string(),
        monthly_instalments: 3,
    };
    // Beijing's 2025 wage is not in the shipped parameters: the assessment waits, visibly.
    let waiting = app
        .client
        .assess_benefits(as_(&app.insurer_role(), assess.clone()))
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert!(waiting.assessment.is_none());
    assert!(
        waiting
            .awaiting_parameters
            .contains("area_average_monthly_wage_fen figure for region 110105")
            && waiting.awaiting_parameters.contains("year 2025"),
        "{}",
        waiting.awaiting_parameters
    );
    let listed = app
        .client
        .list_awaiting_parameters(as_(
            &Role::regional_operator("11"),
            pb::ListAwaitingParametersRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.claims.len(), 1);
    assert_eq!(listed.claims[0].claim_id, id);
    assert_eq!(app.outbox_count("ClaimAwaitingParameters").await, 1);

    // Only Beijing's (or a national) operator enters Beijing's wage.
    let wage = benefit_figure(
        BenefitTable::AreaAverageMonthlyWage,
        "110000",
        2025,
        1_250_000,
    );
    let refused = app
        .client
        .add_benefit_figure(as_(&Role::regional_operator("44"), wage.clone()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    let added = app
        .client
        .add_benefit_figure(as_(&Role::regional_operator("11"), wage))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.assessed_claims, 1);
    assert_eq!(app.outbox_count("BenefitFigureAdded").await, 1);
    let claim = app.get(&app.insurer_role(), &id).await.unwrap();
    assert!(claim.awaiting_parameters.is_empty());
    assert_eq!(
        claim.assessment.as_ref().unwrap().parameters_version,
        "2026.1+1"
    );
    assert!(
        claim
            .history
            .iter()
            .any(|h| h.action == "AWAITING_PARAMETERS")
    );
    let assessment = claim.assessment.clone().unwrap();
    let item = |kind: &str| {
        assessment
            .items
            .iter()
            .find(|i| i.kind == kind)
            .unwrap_or_else(|| panic!("{kind} missing: {:?}", assessment.items))
            .clone()
    };
    // Beijing's 2025 average monthly wage as entered: 12 500.00 yuan (incident 2026).
    assert_eq!(item("medical_and_rehabilitation").amount_fen, 1_234_567);
    assert_eq!(item("disability_subsidy").amount_fen, 21 * 1_250_000);
    assert_eq!(item("disability_allowance").amount_fen, 937_500);
    assert!(item("disability_allowance").monthly);
    assert_eq!(item("nursing_care").amount_fen, 375_000);
    // Two one-time items once, two monthly items × 3 instalments.
    assert_eq!(claim.payouts.len(), 2 + 2 * 3);
    assert!(claim.payouts.iter().all(|p| !p.issued));

    // The worker registers where their benefits go; payouts go there without naming it.
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
    let issue = |request_id: &str| pb::IssuePayoutsRequest {
        request_id: request_id.into(),
        claim_id: id.clone(),
        through_month: start.to_string(),
        account_reference: String::new(),
    };
    let issued = app
        .client
        .issue_payouts(as_(&app.insurer_role(), issue("pay-1")))
        .await
        .unwrap()
        .into_inner();
    // Due in the start month: both one-time items and the first instalment of each monthly one.
    assert_eq!(issued.issued.len(), 4);
    assert!(
        issued
            .issued
            .iter()
            .all(|p| p.account_masked == "6222***********3445")
    );
    assert_eq!(app.outbox_count("PayoutIssued").await, 4);

    // Another request for the same month issues nothing more; re-assessing keeps issued ones.
    let again = app
        .client
        .issue_payouts(as_(&Role::national_adjuster(), issue("pay-2")))
        .await
        .unwrap()
        .into_inner();
    assert!(again.issued.is_empty());
    app.client
        .assess_benefits(as_(
            &Role::national_adjuster(),
            pb::AssessBenefitsRequest {
                request_id: Uuid::now_v7().to_string(),
                ..assess
            },
        ))
        .await
        .unwrap();
    let later = app
        .client
        .issue_payouts(as_(&Role::national_adjuster(), issue("pay-3")))
        .await
        .unwrap()
        .into_inner();
    assert!(later.issued.is_empty(), "{:?}", later.issued);
    assert_eq!(app.outbox_count("PayoutIssued").await, 4);
    assert_eq!(app.count("SELECT COUNT(*) FROM payout_ledger").await, 4);
    // The account is stored sealed.
    sql::assert_not_in_clear(
        &app.conn,
        &["payout_ledger", "beneficiary_account"],
        "6222020200112233445",
    )
    .await;
    assert_eq!(app.outbox_count("AppraisalRecorded").await, 2);
    assert_eq!(app.outbox_count("BenefitAssessed").await, 2);

    // The platform sees the claim without medical detail.
    let seen = app.get(&world.platform_role(), &id).await.unwrap();
    assert!(seen.medical_detail_withheld);
    assert!(seen.appraisals.is_empty() && seen.assessment.is_none() && seen.payouts.is_empty());
    assert!(seen.trace.iter().all(|r| r.evidence.is_empty()));
    let own = app.get(&world.worker(), &id).await.unwrap();
    assert_eq!(own.payouts.iter().filter(|p| p.issued).count(), 4);
    app.stop().await;
}

#[tokio::test]
async fn a_death_in_2026_is_assessed_with_the_2025_national_income() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let at = hours_ago(6);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(30))
        .await;
    let claim = app.file(&application(&world, at)).await;
    assert_eq!(status(&claim), pb::ClaimStatus::Confirmed);
    app.client
        .add_benefit_figure(as_(
            &Role::national_operator(),
            benefit_figure(
                BenefitTable::AreaAverageMonthlyWage,
                "110000",
                2025,
                1_250_000,
            ),
        ))
        .await
        .unwrap();
    let invalid = app
        .client
        .add_benefit_figure(as_(
            &Role::national_operator(),
            benefit_figure(
                BenefitTable::NationalUrbanDisposableIncome,
                "110000",
                2025,
                1,
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&invalid), ["figure.region_code"]);
    let assessed = app
        .client
        .assess_benefits(as_(
            &app.insurer_role(),
            pb::AssessBenefitsRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: claim.claim_id.clone(),
                approved_bills: vec![],
                hospital_days: 0,
                died_at: claim.occurred_at,
                dependants: vec![],
                start_month: CalendarMonth::of(chrono::Utc::now()).to_string(),
                monthly_instalments: 1,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    let items = assessed.assessment.unwrap().items;
    let amount = |kind: &str| items.iter().find(|i| i.kind == kind).unwrap().amount_fen;
    // 20 × 56,502 yuan (NBS, 2025), shipped.
    assert_eq!(amount("death_grant"), 113_004_000);
    assert_eq!(amount("funeral_grant"), 6 * 1_250_000);
    let listed = app
        .client
        .list_benefit_figures(as_(
            &world.platform_role(),
            pb::ListBenefitFiguresRequest {},
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.parameters_version, "2026.1+1");
    assert!(listed.entries.iter().any(|e| {
        e.shipped
            && e.figure
                .as_ref()
                .is_some_and(|f| f.year == 2025 && f.value_fen == 5_650_200)
    }));
    app.stop().await;
}

#[tokio::test]
async fn a_claim_in_review_is_not_appraised() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let claim = app.file(&application(&world, hours_ago(7))).await;
    let err = app
        .client
        .record_appraisal(as_(
            &Role::national_adjuster(),
            pb::RecordAppraisalRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: claim.claim_id,
                grade: 3,
                nursing_level: pb::NursingLevel::None as i32,
                appraised_on: "2026-10-08".into(),
                appraisal_body: "committee".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    app.stop().await;
}
