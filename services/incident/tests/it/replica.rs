//! The enrollment replica: registrations, deregistrations and platform scopes arrive through
//! the idempotent consumer; replays change nothing and a poison event does not stop it.

use std::time::Duration;

use gigshield_kit::testing::Backend;
use gigshield_kit::wire::timestamp;
use gigshield_proto::events;
use gigshield_proto::incident as pb;
use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn the_replica_follows_enrollment_and_ignores_replays() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let platform_id = Uuid::now_v7();
    let person_id = Uuid::now_v7();
    let registered_at = days_ago(50);
    // The platform works in Beijing only.
    app.enrollment
        .platform(platform_id, &["110000"], days_ago(60))
        .await;
    let (worker_id, registered) =
        Enrollment::worker_registered(person_id, platform_id, "rider-9", registered_at);
    let ce_id = Uuid::now_v7().to_string();
    let key = person_id.to_string();
    for _ in 0..2 {
        app.enrollment
            .publish_with_id(
                &ce_id,
                &key,
                "gigshield.events.v1.WorkerRegistered",
                &registered,
            )
            .await;
    }
    // Not a CloudEvent at all: rejected and recorded, the partition moves on.
    let raw: FutureProducer = ClientConfig::new()
        .set(
            "bootstrap.servers",
            gigshield_kit::testing::kafka_bootstrap(),
        )
        .create()
        .unwrap();
    raw.send(
        FutureRecord::to(&app.enrollment.topic)
            .key(&key)
            .payload(b"garbage".as_slice()),
        Duration::from_secs(10),
    )
    .await
    .map_err(|(e, _)| e)
    .unwrap();
    // A type this build does not know: ignored.
    app.enrollment
        .publish(
            &key,
            "gigshield.events.v1.SomethingNew",
            &events::WorkerRegistered::default(),
        )
        .await;
    app.enrollment
        .deregister(person_id, platform_id, worker_id, "rider-9", days_ago(5))
        .await;
    let update = events::PlatformUpdated {
        platform_id: platform_id.to_string(),
        legal_name: "x".into(),
        industries: Vec::new(),
        province_codes: vec!["110000".into(), "440000".into()],
        effective_from: Some(timestamp(days_ago(3))),
    };
    app.enrollment
        .publish(
            &platform_id.to_string(),
            "gigshield.events.v1.PlatformUpdated",
            &update,
        )
        .await;

    // platform, worker, poison, unknown type, deregistration, update; the replay is not a row.
    app.inbox_has(6).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM inbox").await, 6);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbox WHERE outcome = 'rejected'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM replica_membership").await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM replica_membership WHERE deregistered_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM replica_platform_scope")
            .await,
        2
    );

    let platform = gigshield_kit::Role::Platform { platform_id };
    let report = |hours: i64, region: &str| {
        let mut f = facts(hours_ago(hours), "x");
        let place = f.place.as_mut().unwrap();
        place.region_code = region.into();
        (place.latitude, place.longitude) = (22.54, 114.06);
        let mut request = platform_report(f);
        request.external_worker_id = "rider-9".into();
        request
    };
    // Shenzhen 10 days ago: registered, but outside the platform's provinces then.
    let outside = app.report(&platform, report(240, "440305")).await.unwrap();
    assert!(outside.outside_platform_provinces);
    // Corrected to a place in Beijing, it is inside again.
    let mut moved = facts(hours_ago(240), "x");
    moved.place.as_mut().unwrap().region_code = "110105".into();
    let corrected = app
        .client
        .amend_incident(as_(
            &platform,
            pb::AmendIncidentRequest {
                request_id: Uuid::now_v7().to_string(),
                incident_id: outside.incident_id.clone(),
                facts: Some(moved),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["place".into()],
                }),
                reason: "地址填错".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert!(!corrected.outside_platform_provinces);
    // After the update Guangdong is in scope; after the deregistration the worker is gone.
    let refused = app
        .report(&platform, report(24, "440305"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    let seen = read_events(&app.topic, 2).await;
    let event =
        <events::IncidentReported as prost::Message>::decode(seen[0].payload.as_slice()).unwrap();
    assert!(event.outside_platform_provinces);
    assert_eq!(event.reported_by, pb::ActorKind::Platform as i32);
    let amended =
        <events::IncidentAmended as prost::Message>::decode(seen[1].payload.as_slice()).unwrap();
    assert!(!amended.outside_platform_provinces);
    assert_eq!(amended.changed_fields, ["place"]);
    app.stop().await;
}
