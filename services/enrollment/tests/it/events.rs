//! What reaches `enrollment.events.v1`: the right events, keyed right, and no personal data.

use gigshield_kit::testing::{Backend, contains, read_events};
use gigshield_proto::enrollment as pb;
use gigshield_proto::events;
use prost::Message as _;

use crate::support::*;

#[tokio::test]
async fn events_are_published_without_personal_data() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let platform_id = app.platform(CREDIT_CODES[0]).await;
    let people = [
        (resident_id(50), "褚五十"),
        (resident_id(51), "卫五十一"),
        (resident_id(52), "蒋五十二"),
    ];
    let mut workers = Vec::new();
    for (i, (id, name)) in people.iter().enumerate() {
        workers.push(
            app.register(platform_id, registration(&format!("ev-{i}"), id, name))
                .await
                .unwrap(),
        );
    }
    app.client
        .deregister_worker(as_(
            &platform(platform_id),
            pb::DeregisterWorkerRequest {
                request_id: "ev-d".into(),
                worker_id: workers[0].worker_id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();

    let seen = read_events(&app.topic, 5).await;
    // Across keys (partitions) Kafka keeps no order; count the types, then check one key's order.
    let count = |t: &str| seen.iter().filter(|s| s.event_type == t).count();
    assert_eq!(count("gigshield.events.v1.PlatformRegistered"), 1);
    assert_eq!(count("gigshield.events.v1.WorkerRegistered"), 3);
    assert_eq!(count("gigshield.events.v1.WorkerDeregistered"), 1);
    let platform_event = seen
        .iter()
        .find(|s| s.event_type.ends_with("PlatformRegistered"))
        .unwrap();
    assert_eq!(
        platform_event.key,
        platform_id.to_string(),
        "platform events are keyed by platform"
    );

    let first_person = &workers[0].person_id;
    let of_first: Vec<&str> = seen
        .iter()
        .filter(|s| &s.key == first_person)
        .map(|s| s.event_type.as_str())
        .collect();
    assert_eq!(
        of_first,
        vec![
            "gigshield.events.v1.WorkerRegistered",
            "gigshield.events.v1.WorkerDeregistered"
        ]
    );
    let registered = seen
        .iter()
        .filter(|s| s.event_type.ends_with("WorkerRegistered"))
        .map(|s| {
            (
                s.key.clone(),
                events::WorkerRegistered::decode(s.payload.as_slice()).unwrap(),
            )
        })
        .find(|(key, _)| key == first_person)
        .unwrap()
        .1;
    assert_eq!(
        registered.person_id, *first_person,
        "worker events are keyed by person"
    );
    assert_eq!(registered.platform_id, platform_id.to_string());
    assert_eq!(registered.worker_id, workers[0].worker_id);
    assert_eq!(registered.external_worker_id, "ev-0");
    assert_eq!(registered.birth_year, 1990);
    assert_eq!(registered.region_code, "110105");

    for s in &seen {
        for (id, name) in &people {
            assert!(
                !contains(&s.everything, id),
                "{} carries a resident ID",
                s.event_type
            );
            assert!(
                !contains(&s.everything, &id[6..14]),
                "{} carries a birth date",
                s.event_type
            );
            assert!(
                !contains(&s.everything, name),
                "{} carries a name",
                s.event_type
            );
        }
        assert!(
            !contains(&s.everything, "13812345678"),
            "{} carries a mobile",
            s.event_type
        );
    }
    app.stop().await;
}
