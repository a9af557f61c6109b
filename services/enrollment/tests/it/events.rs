//! What reaches `enrollment.events.v1`: the right events, keyed right, and no personal data.

use std::time::Duration;

use gigshield_kit::testing::{Backend, kafka_bootstrap};
use gigshield_proto::enrollment as pb;
use gigshield_proto::events;
use prost::Message as _;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Headers;
use rdkafka::{ClientConfig, Message};

use crate::support::*;

struct Seen {
    key: String,
    event_type: String,
    payload: Vec<u8>,
    everything: Vec<u8>,
}

async fn read(topic: &str, expected: usize) -> Vec<Seen> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka_bootstrap())
        .set("group.id", format!("events-test-{}", uuid::Uuid::now_v7()))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut seen = Vec::new();
    while seen.len() < expected {
        let msg = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .expect("events arrive")
            .unwrap();
        let mut everything = msg.payload().unwrap_or_default().to_vec();
        everything.extend_from_slice(msg.key().unwrap_or_default());
        let mut event_type = String::new();
        for h in msg.headers().unwrap().iter() {
            everything.extend_from_slice(h.value.unwrap_or_default());
            if h.key == "ce_type" {
                event_type = String::from_utf8_lossy(h.value.unwrap()).into_owned();
            }
        }
        seen.push(Seen {
            key: String::from_utf8_lossy(msg.key().unwrap_or_default()).into_owned(),
            event_type,
            payload: msg.payload().unwrap_or_default().to_vec(),
            everything,
        });
    }
    seen
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

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

    let seen = read(&app.topic, 5).await;
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
