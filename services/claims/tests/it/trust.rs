//! The trust boundaries of claims, each shown refused: platforms reading notes, payouts to an
//! account nobody registered, notes in clear at rest, forged applications, disputes settled by
//! automation; and claims' call to premium over TLS.

use chrono::TimeDelta;
use gigshield_kit::Role;
use gigshield_kit::testing::{EventPublisher, sql};
use gigshield_proto::claims as pb;
use gigshield_proto::events;
use gigshield_scheme::calendar::CalendarMonth;
use uuid::Uuid;

use crate::support::*;

/// Behaviour 2: the claims view "without medical detail" still carried decision notes and
/// history text.
#[tokio::test]
async fn platforms_read_no_notes_and_no_history_text() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let claim = app.file(&application(&world, hours_ago(9))).await;
    let id = claim.claim_id.clone();
    app.client
        .request_information(as_(
            &app.insurer_role(),
            pb::RequestInformationRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
                question: "请提供住院病历（骨折）".into(),
            },
        ))
        .await
        .unwrap();
    app.client
        .decide(as_(
            &app.insurer_role(),
            pb::DecideRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
                decision: pb::ClaimStatus::Refused as i32,
                refusal_reason: pb::RefusalReason::NotDuringOrder as i32,
                note: "医院记录显示旧伤".into(),
            },
        ))
        .await
        .unwrap();
    let platform = app.get(&world.platform_role(), &id).await.unwrap();
    assert!(platform.medical_detail_withheld);
    assert_eq!(platform.decision.as_ref().unwrap().note, "");
    assert!(!platform.history.is_empty());
    assert!(platform.history.iter().all(|h| h.detail.is_empty()));
    let worker = app.get(&world.worker(), &id).await.unwrap();
    assert_eq!(worker.decision.unwrap().note, "医院记录显示旧伤");
    assert!(worker.history.iter().any(|h| h.detail.contains("住院病历")));
    app.stop().await;
}

/// Behaviour 8: whoever issued a payout also chose the account it went to.
#[tokio::test]
async fn payouts_go_to_the_registered_account_or_wait_for_a_second_person() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let at = hours_ago(6);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(10))
        .await;
    let id = app.file(&application(&world, at)).await.claim_id;
    let clerk = Role::insurer_adjuster(app.insurer);
    app.client
        .record_appraisal(as_(
            &clerk,
            pb::RecordAppraisalRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
                grade: 9,
                nursing_level: pb::NursingLevel::None as i32,
                appraised_on: "2026-10-08".into(),
                appraisal_body: "鉴定委员会".into(),
            },
        ))
        .await
        .unwrap();
    let month = CalendarMonth::of(chrono::Utc::now()).to_string();
    app.beijing_wage_2025().await;
    app.client
        .assess_benefits(as_(
            &clerk,
            pb::AssessBenefitsRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
                start_month: month.clone(),
                monthly_instalments: 1,
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let issue = |account: &str| pb::IssuePayoutsRequest {
        request_id: Uuid::now_v7().to_string(),
        claim_id: id.clone(),
        through_month: month.clone(),
        account_reference: account.into(),
    };
    // Nothing registered and nothing named: nowhere to pay.
    let nowhere = app
        .client
        .issue_payouts(as_user("alice", &clerk, issue("")))
        .await
        .unwrap_err();
    assert_eq!(nowhere.code(), tonic::Code::FailedPrecondition);
    // An account the clerk names is held.
    let held = app
        .client
        .issue_payouts(as_user("alice", &clerk, issue("6222000099998888")))
        .await
        .unwrap()
        .into_inner();
    assert!(!held.issued.is_empty());
    assert!(held.issued.iter().all(|p| p.pending_approval && !p.issued));
    assert_eq!(app.outbox_count("PayoutIssued").await, 0);
    // The same person cannot approve it.
    let own = app
        .client
        .approve_payouts(as_user(
            "alice",
            &clerk,
            pb::ApprovePayoutsRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(own.code(), tonic::Code::PermissionDenied);
    let approved = app
        .client
        .approve_payouts(as_user(
            "bob",
            &clerk,
            pb::ApprovePayoutsRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(approved.approved.len(), held.issued.len());
    assert!(approved.approved.iter().all(|p| p.issued));
    assert_eq!(
        app.outbox_count("PayoutIssued").await,
        held.issued.len() as i64
    );
    // A stranger cannot register the person's account; the worker can, masked in the answer.
    let stranger = Role::Worker {
        person_id: Uuid::now_v7(),
    };
    let set = |by: &Role| {
        as_(
            by,
            pb::SetBeneficiaryAccountRequest {
                request_id: Uuid::now_v7().to_string(),
                person_id: world.person.to_string(),
                account_reference: "6222000011110000".into(),
            },
        )
    };
    assert_eq!(
        app.client
            .set_beneficiary_account(set(&stranger))
            .await
            .unwrap_err()
            .code(),
        tonic::Code::PermissionDenied
    );
    let registered = app
        .client
        .set_beneficiary_account(set(&world.worker()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(registered.account_masked, "6222********0000");
    app.stop().await;
}

/// Behaviours 4 and 9 (claims' part): an `ApplicationFiled` produced by anyone opened a claim
/// and routed it to an insurer; notes were stored in clear.
#[tokio::test]
async fn forged_applications_open_nothing_and_notes_are_sealed() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    EventPublisher::new("//gigshield/premium")
        .publish(
            &app.incident_topic,
            &world.person.to_string(),
            "gigshield.events.v1.ApplicationFiled",
            &application(&world, hours_ago(5)),
        )
        .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.count("SELECT COUNT(*) FROM dead_letter").await < 1 {
        assert!(tokio::time::Instant::now() < deadline, "no dead letter");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM claim").await, 0);

    let claim = app.file(&application(&world, hours_ago(5))).await;
    let phrase = format!("PLANTED{}", Uuid::now_v7().simple());
    app.client
        .decide(as_(
            &app.insurer_role(),
            pb::DecideRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: claim.claim_id.clone(),
                decision: pb::ClaimStatus::Confirmed as i32,
                note: format!("{phrase} 肋骨骨折"),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    sql::assert_not_in_clear(
        &app.conn,
        &[
            "claim",
            "claim_history",
            "idempotency_key",
            "outbox",
            "claim_event",
        ],
        &phrase,
    )
    .await;
    let read = app
        .get(&Role::national_adjuster(), &claim.claim_id)
        .await
        .unwrap();
    assert!(read.decision.unwrap().note.starts_with(&phrase));
    app.stop().await;
}

/// Behaviour 6 (claims' part): a platform's dispute of the worker's facts goes to a human,
/// even when every rule passes.
#[tokio::test]
async fn a_disputed_claim_waits_for_a_human() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let at = hours_ago(4);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(10))
        .await;
    let mut disputed = application(&world, at);
    disputed.platform_disputes = vec!["intoxication_or_drugs".into()];
    let claim = app.file(&disputed).await;
    assert_eq!(status(&claim), pb::ClaimStatus::InReview);
    assert!(
        claim
            .review_reasons
            .contains(&"PLATFORM_DISPUTES".to_string())
    );

    // A statement on a claim still in review keeps it there and says why.
    let other = app.file(&application(&world, hours_ago(40))).await;
    app.publish_with_id(
        &app.incident_topic.clone(),
        &Uuid::now_v7().to_string(),
        &world.person.to_string(),
        "StatementAdded",
        &events::StatementAdded {
            incident_id: other.incident_id.clone(),
            person_id: world.person.to_string(),
            platform_id: world.platform.to_string(),
            statement_id: Uuid::now_v7().to_string(),
            disputed: vec!["not_during_order".into()],
            added_at: Some(gigshield_kit::wire::timestamp(chrono::Utc::now())),
        },
    )
    .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let now = app
            .get(&Role::national_adjuster(), &other.claim_id)
            .await
            .unwrap();
        if now
            .review_reasons
            .contains(&"PLATFORM_DISPUTES".to_string())
        {
            assert!(now.history.iter().any(|h| h.action == "DISPUTED"));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dispute never arrived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.stop().await;
}

/// Claims' bearer token to premium travels only inside TLS when the address says https: a
/// claim is determined through premium served over TLS, and the same channel trusting
/// another CA gets no answer.
#[tokio::test]
async fn claims_calls_premium_over_tls_and_trusts_only_its_ca() {
    let pki = gigshield_kit::testing::TestPki::new();
    let mut app = TestApp::spawn_with_premium_tls(&pki).await;
    let world = app.world().await;
    let at = hours_ago(2);
    app.order(&world, "order-tls", "110105", at - TimeDelta::minutes(20))
        .await;
    let claim = app.file(&application(&world, at)).await;
    assert_eq!(
        status(&claim),
        pb::ClaimStatus::Confirmed,
        "{:?}",
        claim.trace
    );
    assert_eq!(claim.liability.unwrap().order_id, "order-tls");

    let stranger = gigshield_kit::testing::TestPki::new();
    let ca = stranger.ca_file().display().to_string();
    let tls = gigshield_kit::tls::ClientTls::from_env(
        &gigshield_kit::config::Env::from_pairs(&[("CLAIMS_PREMIUM_TLS_CA_FILE", &ca)]),
        "CLAIMS_PREMIUM",
    )
    .unwrap()
    .unwrap();
    let channel = gigshield_claims::premium_channel::connect(
        &format!("https://127.0.0.1:{}", app.premium_port()),
        Some(&tls),
        std::time::Duration::from_secs(5),
        gigshield_kit::CancellationToken::new(),
    )
    .unwrap();
    let activity = gigshield_claims::activity::WorkActivity::new(
        channel,
        std::sync::Arc::new(gigshield_kit::testing::claims_service_tokens()),
    );
    let refused = activity.orders(world.person, at, 60).await.unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::Unavailable,
        "a premium certificate of another CA is not trusted: {refused:?}"
    );
    app.stop().await;
}
