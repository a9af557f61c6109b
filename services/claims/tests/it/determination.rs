//! Opening claims from applications and running the rules on enrollment's memberships and
//! premium's orders: automatic confirmation, every rule sending a claim to review, and the
//! liable platform of a person who works for several.

use chrono::TimeDelta;
use gigshield_kit::wire::timestamp;
use gigshield_proto::claims as pb;
use gigshield_proto::common::Industry;
use gigshield_proto::incident as ipb;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn every_rule_passing_confirms_automatically_and_publishes() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let at = hours_ago(2);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(20))
        .await;
    let claim = app.file(&application(&world, at)).await;

    assert_eq!(status(&claim), pb::ClaimStatus::Confirmed);
    assert!(claim.review_reasons.is_empty());
    assert_eq!(claim.trace.len(), 10);
    assert!(claim.trace.iter().all(|r| r.passed), "{:?}", claim.trace);
    let decision = claim.decision.clone().unwrap();
    assert!(decision.automatic);
    let liability = claim.liability.clone().unwrap();
    assert_eq!(liability.platform_id, world.platform.to_string());
    assert_eq!(liability.order_id, "order-1");
    assert_eq!(liability.industry, Industry::InstantDelivery as i32);
    assert_eq!(claim.insurer_id, app.insurer.to_string());
    assert_eq!(claim.evidence_count, 2);
    let actions: Vec<_> = claim.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["OPENED", "CONFIRMED"]);

    let seen = read_events(&app.topic, 2).await;
    assert_eq!(
        seen.iter()
            .map(|s| s.event_type.as_str())
            .collect::<Vec<_>>(),
        [
            "gigshield.events.v1.ClaimOpened",
            "gigshield.events.v1.ClaimConfirmed"
        ]
    );
    assert!(seen.iter().all(|s| s.key == claim.claim_id));
    // The fund counts benefits per industry from the opened claim.
    let opened = <gigshield_proto::events::ClaimOpened as prost::Message>::decode(
        seen[0].payload.as_slice(),
    )
    .unwrap();
    assert_eq!(opened.industry, Industry::InstantDelivery as i32);
    app.stop().await;
}

/// One claim per rule, each failing only that rule (and what it implies).
#[tokio::test]
async fn each_rule_sends_its_claim_to_review_with_its_reason() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let mut expect = Vec::new();

    // 1. Not registered: a person nobody enrolled (rule 2 then finds no order either).
    let stranger = World {
        platform: world.platform,
        person: Uuid::now_v7(),
        external: "nobody".into(),
    };
    expect.push((
        application(&stranger, hours_ago(30)),
        vec!["NOT_REGISTERED", "NO_COVERING_ORDER"],
    ));

    // 2. No order covers the time.
    expect.push((
        application(&world, hours_ago(60)),
        vec!["NO_COVERING_ORDER"],
    ));

    // 3. The scheme had not started in the province (Xinjiang joins in 2099 in these tests):
    // intake took the report, premium billed no order there, and a human decides.
    let at = hours_ago(90);
    let mut xinjiang = application(&world, at);
    let facts = xinjiang.facts.as_mut().unwrap();
    facts.region_code = "650102".into();
    facts.province_code = "650000".into();
    expect.push((xinjiang, vec!["NO_COVERING_ORDER", "SCHEME_NOT_IN_FORCE"]));

    // 4. Filed late (40 days after, the platform has 30) with an explanation.
    let at = hours_ago(40 * 24);
    app.order(&world, "late-1", "110105", at - TimeDelta::minutes(5))
        .await;
    let mut late = application(&world, at);
    late.late = true;
    late.has_late_explanation = true;
    expect.push((late, vec!["LATE_WITH_EXPLANATION"]));

    // 5. Sudden illness without death.
    let at = hours_ago(120);
    app.order(&world, "ill-1", "110105", at - TimeDelta::minutes(5))
        .await;
    let mut illness = application(&world, at);
    illness.facts.as_mut().unwrap().category = ipb::CauseCategory::SuddenIllness as i32;
    expect.push((illness, vec!["SUDDEN_ILLNESS_WITHOUT_TIMELY_DEATH"]));

    // 6. A traffic accident on the way to an order, the worker mainly at fault.
    let mut commute = application(&world, hours_ago(150));
    let facts = commute.facts.as_mut().unwrap();
    facts.category = ipb::CauseCategory::TrafficAccident as i32;
    facts.worker_fault_share = ipb::WorkerFaultShare::Main as i32;
    expect.push((
        commute,
        vec!["NO_COVERING_ORDER", "COMMUTE_TRAFFIC_WORKER_AT_FAULT"],
    ));

    // 7–9. Exclusions go to a human.
    let at = hours_ago(180);
    app.order(&world, "drunk-1", "110105", at - TimeDelta::minutes(5))
        .await;
    let mut drunk = application(&world, at);
    drunk.facts.as_mut().unwrap().exclusions = Some(ipb::ExclusionFlags {
        intoxication_or_drugs: true,
        ..Default::default()
    });
    expect.push((drunk, vec!["INTOXICATION_OR_DRUGS"]));

    for (app_event, reasons) in &expect {
        let claim = app.file(app_event).await;
        assert_eq!(status(&claim), pb::ClaimStatus::InReview, "{reasons:?}");
        assert_eq!(&claim.review_reasons, reasons);
        assert!(
            claim.decision.is_none(),
            "automation never decides a review"
        );
        let failed: Vec<_> = claim
            .trace
            .iter()
            .filter(|r| !r.passed)
            .map(|r| r.reason.as_str())
            .collect();
        assert_eq!(&failed, reasons);
        assert_eq!(claim.insurer_id, app.insurer.to_string());
    }

    // 10. A second application of the same person within the duplicate window.
    let at = hours_ago(230);
    app.order(&world, "dup-1", "110105", at - TimeDelta::minutes(5))
        .await;
    let first = app.file(&application(&world, at)).await;
    assert_eq!(status(&first), pb::ClaimStatus::Confirmed);
    let second = app
        .file(&application(&world, at + TimeDelta::minutes(3)))
        .await;
    assert_eq!(second.review_reasons, ["POSSIBLE_DUPLICATE"]);

    assert_eq!(
        app.outbox_count("ClaimRouted").await,
        expect.len() as i64 + 1
    );
    // Nothing was refused: that is a human's decision.
    assert_eq!(app.outbox_count("ClaimRefused").await, 0);

    let queue = app
        .client
        .list_review_queue(as_(
            &app.insurer_role(),
            pb::ListReviewQueueRequest {
                page: Some(gigshield_proto::common::PageRequest {
                    page_size: 5,
                    page_token: String::new(),
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(queue.claims.len(), 5);
    let rest = app
        .client
        .list_review_queue(as_(
            &app.insurer_role(),
            pb::ListReviewQueueRequest {
                page: Some(gigshield_proto::common::PageRequest {
                    page_size: 5,
                    page_token: queue.page.unwrap().next_page_token,
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.claims.len(), expect.len() + 1 - 5);
    assert!(rest.page.unwrap().next_page_token.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn the_liable_platform_is_the_one_whose_order_was_running() {
    let mut app = TestApp::spawn().await;
    let a = app.world().await;
    let b_platform = app.platform().await;
    app.member(a.person, b_platform, "b-driver").await;
    let b = World {
        platform: b_platform,
        person: a.person,
        external: "b-driver".into(),
    };
    let at = hours_ago(3);
    // B's order ended an hour before; A's order was running.
    app.order(&b, "b-1", "110105", at - TimeDelta::minutes(120))
        .await;
    app.order(&a, "a-1", "110108", at - TimeDelta::minutes(15))
        .await;
    // Filed by the person, who does not say which platform.
    let mut filed = application(&a, at);
    filed.platform_id = String::new();
    filed.filed_by = ipb::ActorKind::Worker as i32;
    let claim = app.file(&filed).await;
    assert_eq!(status(&claim), pb::ClaimStatus::Confirmed);
    assert_eq!(claim.platform_id, a.platform.to_string());
    let liability = claim.liability.unwrap();
    assert_eq!(liability.order_id, "a-1");
    assert_eq!(liability.region_code, "110108");

    // Orders of both platforms cover a later incident: a human decides who is liable.
    let at = hours_ago(1);
    app.order(&a, "a-2", "110105", at - TimeDelta::minutes(10))
        .await;
    app.order(&b, "b-2", "110105", at - TimeDelta::minutes(20))
        .await;
    let mut filed = application(&a, at);
    filed.facts.as_mut().unwrap().occurred_at = Some(timestamp(at));
    let claim = app.file(&filed).await;
    assert_eq!(status(&claim), pb::ClaimStatus::InReview);
    assert!(
        claim
            .review_reasons
            .contains(&"AMBIGUOUS_LIABILITY".to_string())
    );
    assert!(claim.liability.is_none());
    app.stop().await;
}
