//! Human decisions on the review queue: a refusal needs a reason from the fixed list, a
//! decided claim is not decided again, and insurers see their own routes only.

use gigshield_kit::Role;
use gigshield_proto::claims as pb;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn a_human_refuses_with_a_reason_from_the_list() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    // No order: the claim goes to review.
    let claim = app.file(&application(&world, hours_ago(5))).await;
    assert_eq!(status(&claim), pb::ClaimStatus::InReview);
    let insurer = app.insurer_role();
    let id = claim.claim_id.clone();

    let no_reason = app
        .decide(
            &insurer,
            &id,
            pb::ClaimStatus::Refused,
            pb::RefusalReason::Unspecified,
        )
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), tonic::Code::InvalidArgument);

    // Another insurer neither sees it in its queue nor may decide it.
    let other = Role::Insurer {
        insurer_id: Uuid::now_v7(),
    };
    let queue = app
        .client
        .list_review_queue(as_(&other, pb::ListReviewQueueRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(queue.claims.is_empty());
    let denied = app
        .decide(
            &other,
            &id,
            pb::ClaimStatus::Confirmed,
            pb::RefusalReason::Unspecified,
        )
        .await
        .unwrap_err();
    assert_eq!(
        denied.code(),
        tonic::Code::NotFound,
        "a claim routed elsewhere"
    );

    let info = app
        .client
        .request_information(as_(
            &insurer,
            pb::RequestInformationRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
                question: "the order log of that afternoon".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(status(&info), pb::ClaimStatus::InformationRequested);

    let refused = app
        .decide(
            &insurer,
            &id,
            pb::ClaimStatus::Refused,
            pb::RefusalReason::NotDuringOrder,
        )
        .await
        .unwrap();
    assert_eq!(status(&refused), pb::ClaimStatus::Refused);
    let decision = refused.decision.unwrap();
    assert!(!decision.automatic);
    assert_eq!(
        decision.refusal_reason,
        pb::RefusalReason::NotDuringOrder as i32
    );
    assert!(decision.decided_by.starts_with("insurer:"));
    let actions: Vec<_> = refused.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        actions,
        ["OPENED", "ROUTED", "INFORMATION_REQUESTED", "REFUSED"]
    );

    let again = app
        .decide(
            &Role::national_adjuster(),
            &id,
            pb::ClaimStatus::Confirmed,
            pb::RefusalReason::Unspecified,
        )
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);
    let queue = app
        .client
        .list_review_queue(as_(&insurer, pb::ListReviewQueueRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(queue.claims.is_empty(), "a decided claim leaves the queue");

    // Asking for information is routing news for the insurer too (the question itself
    // stays in the history: events carry no free text).
    let seen = read_events(&app.topic, 4).await;
    assert_eq!(
        seen.iter()
            .map(|s| s.event_type.as_str())
            .collect::<Vec<_>>(),
        [
            "gigshield.events.v1.ClaimOpened",
            "gigshield.events.v1.ClaimRouted",
            "gigshield.events.v1.ClaimRouted",
            "gigshield.events.v1.ClaimRefused"
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn a_platform_route_wins_over_the_province_route_and_a_retry_replays() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let special = Uuid::now_v7();
    app.put_route("110000", &world.platform.to_string(), special)
        .await;
    let claim = app.file(&application(&world, hours_ago(4))).await;
    assert_eq!(claim.insurer_id, special.to_string());

    // The same request_id and body returns the first answer; another body is refused.
    let role = Role::Insurer {
        insurer_id: special,
    };
    let request = pb::DecideRequest {
        request_id: "decide-1".into(),
        claim_id: claim.claim_id.clone(),
        decision: pb::ClaimStatus::Confirmed as i32,
        refusal_reason: 0,
        note: String::new(),
    };
    let first = app
        .client
        .decide(as_(&role, request.clone()))
        .await
        .unwrap();
    let second = app
        .client
        .decide(as_(&role, request.clone()))
        .await
        .unwrap();
    assert_eq!(first.into_inner(), second.into_inner());
    let other_body = app
        .client
        .decide(as_(
            &role,
            pb::DecideRequest {
                note: "changed".into(),
                ..request
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(other_body.code(), tonic::Code::AlreadyExists);
    assert_eq!(app.outbox_count("ClaimConfirmed").await, 1);
    app.stop().await;
}

/// Each claim carries the day its determination is due (30 working days, holidays skipped);
/// the queue puts the earliest due first, and a sweep flags and announces the overdue once.
#[tokio::test]
async fn the_queue_runs_by_due_date_and_overdue_claims_are_announced_once() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    // Filed now: due in the future.
    let recent = app.file(&application(&world, hours_ago(30))).await;
    // Filed on Tuesday 2025-09-16 (Shanghai): 30 working days across the National Day holiday
    // end on 2025-11-03.
    let mut old = application(&world, "2025-09-15T02:00:00Z".parse().unwrap());
    old.filed_at = Some(gigshield_kit::wire::timestamp(
        "2025-09-16T02:00:00Z".parse().unwrap(),
    ));
    let old = app.file(&old).await;
    assert_eq!(status(&old), pb::ClaimStatus::InReview);
    assert_eq!(old.determination_due_on, "2025-11-03");
    assert!(old.overdue);
    assert!(recent.determination_due_on.as_str() > "2026-12-01");
    assert!(!recent.overdue);

    let queue = app
        .client
        .list_review_queue(as_(
            &app.insurer_role(),
            pb::ListReviewQueueRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    let order: Vec<&str> = queue.claims.iter().map(|c| c.claim_id.as_str()).collect();
    assert_eq!(order, [old.claim_id.as_str(), recent.claim_id.as_str()]);
    assert!(queue.claims[0].overdue && !queue.claims[1].overdue);

    let sweep = gigshield_claims::overdue::OverdueSweep {
        db: app.conn.clone(),
        vault: app.vault(),
        topic: app.topic.clone(),
        clock: gigshield_kit::clock::Clock::system(),
    };
    assert_eq!(sweep.once(chrono::Utc::now()).await.unwrap(), 1);
    assert_eq!(
        sweep.once(chrono::Utc::now()).await.unwrap(),
        0,
        "announced once"
    );
    assert_eq!(app.outbox_count("ClaimOverdue").await, 1);
    let flagged = app.get(&app.insurer_role(), &old.claim_id).await.unwrap();
    assert!(
        flagged
            .history
            .iter()
            .any(|h| h.action == "OVERDUE" && h.detail.contains("2025-11-03"))
    );
    app.stop().await;
}

/// Time moves for claims without anyone waiting: a claim filed at a fixed instant is not
/// overdue; with the clock set past its due day, reading it says so and a sweep at the
/// service's own "now" announces it.
#[tokio::test]
async fn a_claim_turns_overdue_when_its_due_day_passes_on_the_services_clock() {
    let clock = gigshield_kit::clock::Clock::fixed(chrono::Utc::now());
    let mut app = TestApp::spawn_at(clock.clone()).await;
    let world = app.world().await;
    let claim = app.file(&application(&world, hours_ago(30))).await;
    assert_eq!(status(&claim), pb::ClaimStatus::InReview);
    assert!(!claim.overdue);
    let due: chrono::NaiveDate = claim.determination_due_on.parse().unwrap();

    // The due day itself is not late; the day after it is (Shanghai calendar days).
    let shanghai_noon = |day: chrono::NaiveDate| {
        day.and_hms_opt(4, 0, 0).unwrap().and_utc() // 12:00 in Shanghai
    };
    clock.set(shanghai_noon(due));
    assert!(
        !app.get(&app.insurer_role(), &claim.claim_id)
            .await
            .unwrap()
            .overdue
    );
    clock.set(shanghai_noon(due.succ_opt().unwrap()));
    let late = app.get(&app.insurer_role(), &claim.claim_id).await.unwrap();
    assert!(late.overdue);

    let sweep = gigshield_claims::overdue::OverdueSweep {
        db: app.conn.clone(),
        vault: app.vault(),
        topic: app.topic.clone(),
        clock: clock.clone(),
    };
    assert_eq!(sweep.once(clock.now()).await.unwrap(), 1);
    assert_eq!(app.outbox_count("ClaimOverdue").await, 1);
    app.stop().await;
}
