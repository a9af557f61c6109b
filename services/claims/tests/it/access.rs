//! The access table, tried: every RPC × every kind of caller, once on its own data and once on
//! another tenant's, person's, insurer's or area's, plus a delegate, against a running service.

use std::time::Duration;

use chrono::TimeDelta;
use gigshield_claims::domain::access::TABLE;
use gigshield_kit::Role;
use gigshield_kit::testing::{
    AccessReport, Parties, Persona, Probe, assert_table_covers, personas,
};
use gigshield_proto::claims as pb;
use gigshield_scheme::calendar::CalendarMonth;
use tokio_stream::StreamExt;
use uuid::Uuid;

use crate::support::*;
use gigshield_proto::common::BenefitTable;

struct Fixture {
    own: Parties,
    delegate: Uuid,
    /// Confirmed automatically, appraised, assessed, payouts held for approval.
    confirmed: String,
    /// In review.
    reviewed: String,
    /// Refused, with an open appeal.
    appealed: String,
    /// Confirmed; its assessment waits for a hospital meal allowance Beijing has not entered.
    awaiting: String,
    appeal_id: String,
    /// The confirmed claim's payout held for approval.
    payout_key: String,
}

async fn fixture(app: &mut TestApp) -> Fixture {
    let world = app.world().await;
    let at = hours_ago(8);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(5))
        .await;
    let confirmed = app.file(&application(&world, at)).await.claim_id;
    let reviewed = app.file(&application(&world, hours_ago(30))).await.claim_id;
    let appealed = app.file(&application(&world, hours_ago(60))).await.claim_id;
    let clerk = Role::national_adjuster();
    app.decide(
        &clerk,
        &appealed,
        pb::ClaimStatus::Refused,
        pb::RefusalReason::NotDuringOrder,
    )
    .await
    .unwrap();
    let appeal_id = app
        .client
        .file_appeal(as_(
            &world.worker(),
            pb::FileAppealRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: appealed.clone(),
                kind: pb::AppealKind::AdministrativeReview as i32,
                grounds: "我当时在送单".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .appeal_id;
    app.beijing_wage_2025().await;
    app.order(
        &world,
        "order-2",
        "110105",
        hours_ago(100) - TimeDelta::minutes(5),
    )
    .await;
    let awaiting = app
        .file(&application(&world, hours_ago(100)))
        .await
        .claim_id;
    let waits = app
        .client
        .assess_benefits(as_(
            &clerk,
            pb::AssessBenefitsRequest {
                hospital_days: 3,
                ..assessment(&awaiting)
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert!(!waits.awaiting_parameters.is_empty());
    app.client
        .record_appraisal(as_(&clerk, appraisal(&confirmed)))
        .await
        .unwrap();
    app.client
        .assess_benefits(as_(&clerk, assessment(&confirmed)))
        .await
        .unwrap();
    // Issued by "clerk" to an account nobody registered: held for a second person.
    let held = app
        .client
        .issue_payouts(as_user(
            "clerk",
            &clerk,
            pb::IssuePayoutsRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: confirmed.clone(),
                through_month: CalendarMonth::of(chrono::Utc::now()).to_string(),
                account_reference: "6222000011112222".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .issued;
    let delegate = Uuid::now_v7();
    app.delegate(world.person, delegate).await;
    Fixture {
        own: Parties {
            platform: world.platform,
            person: world.person,
            insurer: app.insurer,
            region: "110105".into(),
        },
        delegate,
        confirmed,
        reviewed,
        appealed,
        awaiting,
        appeal_id,
        payout_key: held[0].idempotency_key.clone(),
    }
}

fn appraisal(claim_id: &str) -> pb::RecordAppraisalRequest {
    pb::RecordAppraisalRequest {
        request_id: Uuid::now_v7().to_string(),
        claim_id: claim_id.into(),
        grade: 8,
        nursing_level: pb::NursingLevel::None as i32,
        appraised_on: "2026-10-08".into(),
        appraisal_body: "北京市劳动能力鉴定委员会".into(),
    }
}

fn assessment(claim_id: &str) -> pb::AssessBenefitsRequest {
    pb::AssessBenefitsRequest {
        request_id: Uuid::now_v7().to_string(),
        claim_id: claim_id.into(),
        approved_bills: vec![pb::ApprovedBill {
            kind: pb::BillKind::MedicalAndRehabilitation as i32,
            amount_fen: 100_000,
        }],
        start_month: CalendarMonth::of(chrono::Utc::now()).to_string(),
        monthly_instalments: 1,
        ..Default::default()
    }
}

fn shows(found: bool) -> Probe {
    if found { Probe::Allowed } else { Probe::Denied }
}

async fn probe(app: &mut TestApp, f: &Fixture, rpc: &str, p: &Persona) -> Probe {
    let r = &p.role;
    let id = || Uuid::now_v7().to_string();
    let c = &mut app.client;
    match rpc {
        "GetClaim" => Probe::of(
            c.get_claim(as_(
                r,
                pb::GetClaimRequest {
                    claim_id: f.confirmed.clone(),
                },
            ))
            .await,
        ),
        // Every caller names the fixture's person: a filter for most, the person a worker
        // acts for.
        "ListClaims" => match c
            .list_claims(as_(
                r,
                pb::ListClaimsRequest {
                    person_id: f.own.person.to_string(),
                    ..Default::default()
                },
            ))
            .await
        {
            Ok(list) => shows(
                list.into_inner()
                    .claims
                    .iter()
                    .any(|x| x.claim_id == f.confirmed),
            ),
            Err(status) => Probe::of::<()>(Err(status)),
        },
        "GetClaimStatistics" => {
            let month = CalendarMonth::of(chrono::Utc::now()).to_string();
            match c
                .get_claim_statistics(as_(
                    r,
                    pb::GetClaimStatisticsRequest {
                        from_month: month.clone(),
                        through_month: month,
                    },
                ))
                .await
            {
                Ok(answer) => shows(
                    answer
                        .into_inner()
                        .cells
                        .iter()
                        .any(|cell| cell.province_code == "110000"),
                ),
                Err(status) => Probe::of::<()>(Err(status)),
            }
        }
        // The held payout: admitted callers learn it was never sent.
        "RecordPayoutOutcome" => Probe::of(
            c.record_payout_outcome(as_(
                r,
                pb::RecordPayoutOutcomeRequest {
                    request_id: id(),
                    claim_id: f.confirmed.clone(),
                    payout_key: f.payout_key.clone(),
                    outcome: pb::PayoutState::Sent as i32,
                    return_reason: 0,
                },
            ))
            .await,
        ),
        "RecordRecovery" => Probe::of(
            c.record_recovery(as_(
                r,
                pb::RecordRecoveryRequest {
                    request_id: id(),
                    claim_id: f.confirmed.clone(),
                    reference: format!("RC-{}", id()),
                    kind: "medical_and_rehabilitation".into(),
                    amount_fen: 1,
                    reason: pb::RecoveryReason::DuplicatePayment as i32,
                },
            ))
            .await,
        ),
        "ReinstructPayout" => Probe::of(
            c.reinstruct_payout(as_(
                r,
                pb::ReinstructPayoutRequest {
                    request_id: id(),
                    claim_id: f.confirmed.clone(),
                    payout_key: f.payout_key.clone(),
                },
            ))
            .await,
        ),
        "ListReviewQueue" => match c
            .list_review_queue(as_(r, pb::ListReviewQueueRequest::default()))
            .await
        {
            Ok(list) => shows(
                list.into_inner()
                    .claims
                    .iter()
                    .any(|x| x.claim_id == f.reviewed),
            ),
            Err(status) => Probe::of::<()>(Err(status)),
        },
        "ListAwaitingParameters" => match c
            .list_awaiting_parameters(as_(r, pb::ListAwaitingParametersRequest::default()))
            .await
        {
            Ok(list) => shows(
                list.into_inner()
                    .claims
                    .iter()
                    .any(|x| x.claim_id == f.awaiting),
            ),
            Err(status) => Probe::of::<()>(Err(status)),
        },
        // A figure of the own area (a year no assessment here needs).
        "AddBenefitFigure" => Probe::of(
            c.add_benefit_figure(as_(
                r,
                benefit_figure(
                    BenefitTable::AreaAverageMonthlyWage,
                    "110000",
                    2024,
                    1_200_000,
                ),
            ))
            .await,
        ),
        "ListBenefitFigures" => Probe::of(
            c.list_benefit_figures(as_(r, pb::ListBenefitFiguresRequest {}))
                .await,
        ),
        "Decide" => Probe::of(
            c.decide(as_(
                r,
                pb::DecideRequest {
                    request_id: id(),
                    claim_id: f.reviewed.clone(),
                    decision: pb::ClaimStatus::Confirmed as i32,
                    note: "核实无误".into(),
                    ..Default::default()
                },
            ))
            .await,
        ),
        "RequestInformation" => Probe::of(
            c.request_information(as_(
                r,
                pb::RequestInformationRequest {
                    request_id: id(),
                    claim_id: f.reviewed.clone(),
                    question: "请补充病历".into(),
                },
            ))
            .await,
        ),
        "PutRoute" => Probe::of(
            c.put_route(as_(
                r,
                pb::PutRouteRequest {
                    request_id: id(),
                    route: Some(pb::Route {
                        province_code: "110000".into(),
                        platform_id: String::new(),
                        insurer_id: f.own.insurer.to_string(),
                    }),
                },
            ))
            .await,
        ),
        "ListRoutes" => match c.list_routes(as_(r, pb::ListRoutesRequest {})).await {
            Ok(list) => shows(
                list.into_inner()
                    .routes
                    .iter()
                    .any(|route| route.insurer_id == f.own.insurer.to_string()),
            ),
            Err(status) => Probe::of::<()>(Err(status)),
        },
        "RecordAppraisal" => Probe::of(c.record_appraisal(as_(r, appraisal(&f.confirmed))).await),
        "AssessBenefits" => Probe::of(c.assess_benefits(as_(r, assessment(&f.confirmed))).await),
        "IssuePayouts" => Probe::of(
            c.issue_payouts(as_(
                r,
                pb::IssuePayoutsRequest {
                    request_id: id(),
                    claim_id: f.confirmed.clone(),
                    through_month: CalendarMonth::of(chrono::Utc::now()).to_string(),
                    account_reference: String::new(),
                },
            ))
            .await,
        ),
        "ApprovePayouts" => Probe::of(
            c.approve_payouts(as_(
                r,
                pb::ApprovePayoutsRequest {
                    request_id: id(),
                    claim_id: f.confirmed.clone(),
                },
            ))
            .await,
        ),
        "SetBeneficiaryAccount" => Probe::of(
            c.set_beneficiary_account(as_(
                r,
                pb::SetBeneficiaryAccountRequest {
                    request_id: id(),
                    person_id: f.own.person.to_string(),
                    account_reference: "6222000033334444".into(),
                },
            ))
            .await,
        ),
        "FileAppeal" => Probe::of(
            c.file_appeal(as_(
                r,
                pb::FileAppealRequest {
                    request_id: id(),
                    claim_id: f.confirmed.clone(),
                    kind: pb::AppealKind::Mediation as i32,
                    grounds: String::new(),
                },
            ))
            .await,
        ),
        "RecordAppealOutcome" => Probe::of(
            c.record_appeal_outcome(as_(
                r,
                pb::RecordAppealOutcomeRequest {
                    request_id: id(),
                    claim_id: f.appealed.clone(),
                    appeal_id: f.appeal_id.clone(),
                    outcome: pb::AppealOutcome::Upheld as i32,
                    ..Default::default()
                },
            ))
            .await,
        ),
        "WatchClaims" => match c
            .watch_claims(as_(r, pb::WatchClaimsRequest::default()))
            .await
        {
            // Allowed when the stream carries an event of the own claims within a while.
            Ok(stream) => {
                let mut stream = stream.into_inner();
                match tokio::time::timeout(Duration::from_secs(2), stream.next()).await {
                    Ok(Some(Ok(message))) => {
                        shows([&f.confirmed, &f.reviewed, &f.appealed].contains(&&message.claim_id))
                    }
                    _ => Probe::Denied,
                }
            }
            Err(status) => Probe::of::<()>(Err(status)),
        },
        other => panic!("no probe for {other}: add one with its rule"),
    }
}

#[tokio::test]
async fn every_rpc_answers_every_caller_as_the_table_says() {
    assert_table_covers(&TABLE, TABLE.service);
    let mut app = TestApp::spawn().await;
    let f = fixture(&mut app).await;
    let foreign = Parties::at("440305");
    let mut report = AccessReport::default();
    for rule in TABLE.rules {
        for persona in personas(&f.own, &foreign, Some(f.delegate)) {
            let got = probe(&mut app, &f, rule.rpc, &persona).await;
            report.record(&TABLE, rule.rpc, &persona, got);
        }
    }
    report.assert_matches(&TABLE);
    app.stop().await;
}
