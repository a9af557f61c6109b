//! The incident changes after the application: an amendment before a decision runs the rules
//! again (automation may confirm, never refuse), a withdrawal before a decision closes the
//! claim; after a decision both are only noted and the determination stands.

use chrono::TimeDelta;
use gigshield_kit::Role;
use gigshield_kit::wire::timestamp;
use gigshield_proto::claims as pb;
use gigshield_proto::events;
use gigshield_proto::incident as ipb;
use uuid::Uuid;

use crate::support::*;

fn amended(
    application: &events::ApplicationFiled,
    occurred_at: chrono::DateTime<chrono::Utc>,
) -> events::IncidentAmended {
    let mut facts = application.facts.clone().unwrap();
    facts.occurred_at = Some(timestamp(occurred_at));
    events::IncidentAmended {
        incident_id: application.incident_id.clone(),
        person_id: application.person_id.clone(),
        platform_id: application.platform_id.clone(),
        amendment_number: 1,
        changed_fields: vec!["occurred_at".into()],
        facts: Some(facts),
        amended_by: ipb::ActorKind::Platform as i32,
        amended_at: Some(timestamp(chrono::Utc::now())),
        outside_platform_provinces: false,
    }
}

fn withdrawn(application: &events::ApplicationFiled) -> events::IncidentWithdrawn {
    events::IncidentWithdrawn {
        incident_id: application.incident_id.clone(),
        person_id: application.person_id.clone(),
        platform_id: application.platform_id.clone(),
        withdrawn_by: ipb::ActorKind::Worker as i32,
        withdrawn_at: Some(timestamp(chrono::Utc::now())),
        application_filed: true,
    }
}

fn actions(claim: &pb::Claim) -> Vec<&str> {
    claim.history.iter().map(|h| h.action.as_str()).collect()
}

/// Waits until the claim's history has `n` entries (the consumer applied the event).
async fn history_reaches(app: &mut TestApp, claim_id: &str, n: usize) -> pb::Claim {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let claim = app.get(&Role::national_adjuster(), claim_id).await.unwrap();
        if claim.history.len() >= n {
            return claim;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "history stayed at {:?}",
            actions(&claim)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_corrected_time_inside_an_order_confirms_a_claim_in_review() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let order_start = hours_ago(6);
    app.order(&world, "order-a", "110105", order_start).await;
    // Filed with a time two hours after the order: no order covers it, so review.
    let application = application(&world, order_start + TimeDelta::hours(2));
    let claim = app.file(&application).await;
    assert_eq!(status(&claim), pb::ClaimStatus::InReview);
    assert_eq!(claim.review_reasons, ["NO_COVERING_ORDER"]);

    // The platform corrects the time to inside the order: every rule passes now.
    app.publish_with_id(
        &app.incident_topic.clone(),
        &Uuid::now_v7().to_string(),
        &application.person_id,
        "IncidentAmended",
        &amended(&application, order_start + TimeDelta::minutes(10)),
    )
    .await;
    let claim = history_reaches(&mut app, &claim.claim_id, 4).await;
    assert_eq!(
        actions(&claim),
        ["OPENED", "ROUTED", "INCIDENT_AMENDED", "CONFIRMED"]
    );
    assert_eq!(status(&claim), pb::ClaimStatus::Confirmed);
    assert!(claim.decision.unwrap().automatic);
    assert_eq!(claim.liability.unwrap().order_id, "order-a");
    assert!(claim.trace.iter().all(|r| r.passed), "{:?}", claim.trace);

    // A later amendment moving the time out of the order changes nothing decided.
    let mut again = amended(&application, order_start + TimeDelta::hours(3));
    again.amendment_number = 2;
    app.publish_with_id(
        &app.incident_topic.clone(),
        &Uuid::now_v7().to_string(),
        &application.person_id,
        "IncidentAmended",
        &again,
    )
    .await;
    let claim = history_reaches(&mut app, &claim.claim_id, 5).await;
    assert_eq!(status(&claim), pb::ClaimStatus::Confirmed);
    assert_eq!(actions(&claim)[4], "INCIDENT_AMENDED");
    assert_eq!(app.outbox_count("ClaimConfirmed").await, 1);
    let seen = read_events(&app.topic, 3).await;
    assert_eq!(
        seen.iter()
            .map(|s| s.event_type.as_str())
            .collect::<Vec<_>>(),
        [
            "gigshield.events.v1.ClaimOpened",
            "gigshield.events.v1.ClaimRouted",
            "gigshield.events.v1.ClaimConfirmed"
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn an_amendment_that_still_fails_keeps_the_claim_in_review_with_new_reasons() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let application = application(&world, hours_ago(4));
    let claim = app.file(&application).await;
    assert_eq!(status(&claim), pb::ClaimStatus::InReview);

    let mut late_night = amended(&application, hours_ago(3));
    late_night.changed_fields = vec!["occurred_at".into(), "exclusions".into()];
    late_night.facts.as_mut().unwrap().exclusions = Some(ipb::ExclusionFlags {
        intoxication_or_drugs: true,
        ..Default::default()
    });
    app.publish_with_id(
        &app.incident_topic.clone(),
        &Uuid::now_v7().to_string(),
        &application.person_id,
        "IncidentAmended",
        &late_night,
    )
    .await;
    let claim = history_reaches(&mut app, &claim.claim_id, 4).await;
    assert_eq!(
        actions(&claim),
        ["OPENED", "ROUTED", "INCIDENT_AMENDED", "ROUTED"]
    );
    assert_eq!(status(&claim), pb::ClaimStatus::InReview);
    assert_eq!(
        claim.review_reasons,
        ["NO_COVERING_ORDER", "INTOXICATION_OR_DRUGS"],
        "the exclusion is a reason now too: {:#?}",
        claim.trace
    );
    app.stop().await;
}

#[tokio::test]
async fn a_withdrawal_closes_an_undecided_claim_and_only_notes_a_decided_one() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let pending = application(&world, hours_ago(30));
    let claim = app.file(&pending).await;
    assert_eq!(status(&claim), pb::ClaimStatus::InReview);

    app.publish_with_id(
        &app.incident_topic.clone(),
        &Uuid::now_v7().to_string(),
        &pending.person_id,
        "IncidentWithdrawn",
        &withdrawn(&pending),
    )
    .await;
    let closed = history_reaches(&mut app, &claim.claim_id, 3).await;
    assert_eq!(status(&closed), pb::ClaimStatus::Withdrawn);
    assert_eq!(actions(&closed)[2], "WITHDRAWN");
    let queue = app
        .client
        .list_review_queue(as_(
            &app.insurer_role(),
            pb::ListReviewQueueRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(queue.claims.is_empty(), "{:?}", queue.claims);
    let too_late = app
        .decide(
            &app.insurer_role(),
            &claim.claim_id,
            pb::ClaimStatus::Confirmed,
            pb::RefusalReason::Unspecified,
        )
        .await
        .unwrap_err();
    assert_eq!(too_late.code(), tonic::Code::FailedPrecondition);

    // A withdrawn claim is no duplicate: a new application for the same time gets no
    // DUPLICATE reason from it.
    let refiled = app.file(&application(&world, hours_ago(30))).await;
    assert!(
        !refiled
            .review_reasons
            .iter()
            .any(|r| r.contains("DUPLICATE")),
        "{:?}",
        refiled.review_reasons
    );

    // Decided first, withdrawn after: the decision stands.
    let decided = app
        .decide(
            &app.insurer_role(),
            &refiled.claim_id,
            pb::ClaimStatus::Refused,
            pb::RefusalReason::NotDuringOrder,
        )
        .await
        .unwrap();
    let history = decided.history.len();
    let incident_id = refiled.incident_id.clone();
    let mut after = withdrawn(&pending);
    after.incident_id = incident_id;
    app.publish_with_id(
        &app.incident_topic.clone(),
        &Uuid::now_v7().to_string(),
        &pending.person_id,
        "IncidentWithdrawn",
        &after,
    )
    .await;
    let noted = history_reaches(&mut app, &refiled.claim_id, history + 1).await;
    assert_eq!(status(&noted), pb::ClaimStatus::Refused);
    assert_eq!(actions(&noted)[history], "INCIDENT_WITHDRAWN");
    assert_eq!(app.outbox_count("ClaimWithdrawn").await, 1);
    app.stop().await;
}
