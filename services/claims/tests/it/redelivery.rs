//! Redelivered events change nothing: the same event id twice, and the same application
//! re-published under a new id, open one claim; a replayed registration adds no membership.

use chrono::TimeDelta;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn redelivered_and_republished_events_change_nothing() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let at = hours_ago(9);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(5))
        .await;
    let filed = application(&world, at);
    let event_id = Uuid::now_v7().to_string();
    for id in [
        event_id.clone(),
        event_id.clone(),
        Uuid::now_v7().to_string(),
    ] {
        app.publish_with_id(
            &app.incident_topic,
            &id,
            &filed.person_id,
            "ApplicationFiled",
            &filed,
        )
        .await;
    }
    let claim = app.claim_of(&filed.incident_id).await;
    // A marker after the replays: once it is open, the replays were consumed before it.
    let marker = application(&world, hours_ago(100));
    app.file(&marker).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM claim").await, 2);
    assert_eq!(app.outbox_count("ClaimOpened").await, 2);
    assert_eq!(app.outbox_count("ClaimConfirmed").await, 1);
    let again = app
        .get(&gigshield_kit::Role::national_adjuster(), &claim.claim_id)
        .await
        .unwrap();
    assert_eq!(again.history.len(), claim.history.len());

    // The registration replayed under its own id: still one membership.
    let memberships = app.count("SELECT COUNT(*) FROM replica_membership").await;
    let event = app.worker_registered(world.person, world.platform, "rider-1");
    let id = Uuid::now_v7().to_string();
    for _ in 0..2 {
        app.publish_with_id(
            &app.enrollment_topic,
            &id,
            &world.person.to_string(),
            "WorkerRegistered",
            &event,
        )
        .await;
    }
    // A last registration of the same person (one key, one partition) is read after both
    // copies: once it is in, the copies were handled, with nothing left to wait for.
    let sentinel = Uuid::now_v7().to_string();
    app.publish_with_id(
        &app.enrollment_topic,
        &sentinel,
        &world.person.to_string(),
        "WorkerRegistered",
        &app.worker_registered(world.person, world.platform, "rider-2"),
    )
    .await;
    gigshield_kit::testing::sql::wait_for_count(
        &app.conn,
        &format!("SELECT COUNT(*) FROM inbox WHERE event_id = '{sentinel}'"),
        1,
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM replica_membership").await,
        memberships + 2,
        "the copy and the last registration, once each"
    );
    app.stop().await;
}
