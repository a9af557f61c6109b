//! Outbox → Kafka → inbox: nothing lost, nothing doubled, order kept per key — with the relay
//! or the consumer SIGKILLed at the worst moment.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use gigshield_kit::CancellationToken;
use gigshield_kit::config::OutboxConfig;
use gigshield_kit::consumer::IdempotentConsumer;
use gigshield_kit::outbox::{self, relay::Relay};
use gigshield_kit::sea_orm::{DatabaseConnection, TransactionTrait};
use gigshield_kit::testing::{Backend, TestDatabase, kafka_config, new_topic};
use gigshield_tests::{
    Migrator, RecordEffect, count, effects_in_order, event_message, eventually, write_events,
};

use crate::support::{Harness, read_topic};

const UNSENT: &str = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL";
const EFFECTS: &str = "SELECT COUNT(*) FROM effect";
const DISTINCT_EFFECTS: &str = "SELECT COUNT(DISTINCT event_id) FROM effect";

fn relay(db: &DatabaseConnection) -> Relay {
    Relay::new(
        db.clone(),
        &kafka_config("test-relay"),
        "harness",
        OutboxConfig::default(),
    )
    .expect("relay")
}

async fn publish_all(db: &DatabaseConnection) {
    let relay = relay(db);
    while relay.publish_batch().await.expect("publish") > 0 {}
    assert_eq!(count(db, UNSENT).await, 0);
}

/// Every key's events were applied in the order they were written.
fn assert_per_key_order(effects: &[(String, i64)]) {
    let mut last: HashMap<&str, i64> = HashMap::new();
    for (key, seq) in effects {
        if let Some(prev) = last.insert(key, *seq) {
            assert!(*seq > prev, "key {key}: seq {seq} applied after {prev}");
        }
    }
}

async fn rolled_back_event_is_never_published(backend: Backend) {
    let source = TestDatabase::new(backend).await;
    let db = source.connect_migrated::<Migrator>().await;
    let topic = new_topic("rollback", 1).await;

    let txn = db.begin().await.unwrap();
    let ghost = outbox::enqueue(&txn, event_message(&topic, "k", 1))
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    let txn = db.begin().await.unwrap();
    let marker = outbox::enqueue(&txn, event_message(&topic, "k", 2))
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM outbox").await,
        1,
        "the rolled-back row does not exist"
    );

    publish_all(&db).await;
    let seen = read_topic(&topic, 1, Duration::from_secs(2), Duration::from_secs(30)).await;
    let ids: Vec<_> = seen.iter().map(|m| m.ce_id.clone()).collect();
    assert_eq!(
        ids,
        vec![marker.to_string()],
        "only the committed event is on the topic"
    );
    assert!(!ids.contains(&ghost.to_string()));
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM outbox").await,
        0,
        "a published row is deleted"
    );
}

#[tokio::test]
async fn rolled_back_event_is_never_published_postgres() {
    rolled_back_event_is_never_published(Backend::Postgres).await;
}

#[tokio::test]
async fn rolled_back_event_is_never_published_sqlite() {
    rolled_back_event_is_never_published(Backend::Sqlite).await;
}

/// One `enqueue_many` of more rows than a statement can carry as `VALUES` parameters on either
/// database (10 columns × 7,000 > PostgreSQL's 65,535): one array statement on PostgreSQL,
/// chunks on SQLite; every row stored with its lane, no trace context stored as NULL, and each
/// key's events published in the order given.
async fn a_large_batch_of_events_is_written_whole(backend: Backend) {
    const KEYS: usize = 7;
    const N: usize = 7_000;
    let source = TestDatabase::new(backend).await;
    let db = source.connect_migrated::<Migrator>().await;
    let topic = new_topic("many", 3).await;
    let messages: Vec<_> = (0..N)
        .map(|i| event_message(&topic, &format!("key-{}", i % KEYS), (i / KEYS) as i64))
        .collect();
    let txn = db.begin().await.unwrap();
    let ids = outbox::enqueue_many(&txn, messages).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(ids.len(), N);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM outbox").await, N as i64);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM outbox WHERE traceparent IS NULL").await,
        N as i64,
        "no trace context is NULL, not an empty string"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(DISTINCT lane) FROM outbox").await,
        KEYS as i64,
        "one lane per key"
    );

    publish_all(&db).await;
    let seen = read_topic(&topic, N, Duration::from_secs(2), Duration::from_secs(60)).await;
    let distinct: HashSet<_> = seen.iter().map(|m| m.ce_id.clone()).collect();
    assert_eq!(distinct.len(), N);
    let want: HashSet<String> = ids.iter().map(|id| id.to_string()).collect();
    assert_eq!(
        distinct, want,
        "the ids enqueue_many returned are the events published"
    );
    let position: HashMap<String, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.to_string(), i))
        .collect();
    let mut last: HashMap<&str, usize> = HashMap::new();
    for m in &seen {
        let at = position[&m.ce_id];
        if let Some(before) = last.insert(m.key.as_str(), at) {
            assert!(
                at > before,
                "key {}: event {at} published after {before}",
                m.key
            );
        }
    }
}

#[tokio::test]
async fn a_large_batch_of_events_is_written_whole_postgres() {
    a_large_batch_of_events_is_written_whole(Backend::Postgres).await;
}

#[tokio::test]
async fn a_large_batch_of_events_is_written_whole_sqlite() {
    a_large_batch_of_events_is_written_whole(Backend::Sqlite).await;
}

/// The relay dies after Kafka acknowledged a batch and before it deleted the published rows. The
/// restarted relay publishes them again; the consumer applies each event exactly once.
async fn relay_killed_before_marking_sent(backend: Backend) {
    const KEYS: usize = 8;
    const PER_KEY: i64 = 40;
    let n = KEYS * PER_KEY as usize;
    let source = TestDatabase::new(backend).await;
    let db = source.connect_migrated::<Migrator>().await;
    let topic = new_topic("relay-kill", 3).await;
    assert_eq!(write_events(&db, &topic, KEYS, PER_KEY).await.unwrap(), n);

    let mut doomed = Harness::spawn(&source.url, &["relay", "--pause-after-delivery"]);
    let delivered: usize = doomed
        .expect_line("DELIVERED", Duration::from_secs(60))
        .await
        .trim_start_matches("DELIVERED ")
        .parse()
        .unwrap();
    doomed.expect_line("PAUSED", Duration::from_secs(5)).await;
    doomed.kill().await;
    assert!(delivered > 0);
    assert_eq!(
        count(&db, UNSENT).await,
        n as i64,
        "killed before deleting: every row is still there"
    );

    let mut survivor = Harness::spawn(&source.url, &["relay"]);
    survivor.expect_line("READY", Duration::from_secs(30)).await;
    assert!(
        eventually(Duration::from_secs(60), || async {
            count(&db, UNSENT).await == 0
        })
        .await,
        "the restarted relay publishes everything"
    );
    survivor.kill().await;

    // The topic holds the re-sent batch twice; the ids say which.
    let raw = read_topic(
        &topic,
        n + delivered,
        Duration::from_secs(3),
        Duration::from_secs(60),
    )
    .await;
    let distinct: HashSet<_> = raw.iter().map(|m| m.ce_id.clone()).collect();
    assert_eq!(distinct.len(), n, "every event reached the topic");
    assert_eq!(
        raw.len(),
        n + delivered,
        "the batch acknowledged before the kill was published twice"
    );

    let sink = TestDatabase::new(backend).await;
    let sink_db = sink.connect_migrated::<Migrator>().await;
    let mut consumer = Harness::spawn(
        &sink.url,
        &["consume", "--topic", &topic, "--group", "relay-kill"],
    );
    consumer.expect_line("READY", Duration::from_secs(30)).await;
    assert!(
        eventually(Duration::from_secs(60), || async {
            count(&sink_db, EFFECTS).await >= n as i64
        })
        .await,
        "all events applied"
    );
    let duplicates = consumer.drain_lines(Duration::from_secs(2)).await;
    consumer.kill().await;
    assert_eq!(
        count(&sink_db, EFFECTS).await,
        n as i64,
        "N events in, exactly N effects"
    );
    assert_eq!(count(&sink_db, DISTINCT_EFFECTS).await, n as i64);
    assert_eq!(
        duplicates.iter().filter(|l| *l == "DUPLICATE").count(),
        delivered,
        "each duplicate was dropped by the inbox"
    );
    assert_per_key_order(&effects_in_order(&sink_db).await);
}

#[tokio::test]
async fn relay_killed_before_marking_sent_postgres() {
    relay_killed_before_marking_sent(Backend::Postgres).await;
}

#[tokio::test]
async fn relay_killed_before_marking_sent_sqlite() {
    relay_killed_before_marking_sent(Backend::Sqlite).await;
}

/// The consumer dies after its database commit and before its offset commit. The restarted
/// consumer is handed the event again and the inbox drops it.
async fn consumer_killed_before_offset_commit(backend: Backend) {
    const KEYS: usize = 4;
    const PER_KEY: i64 = 50;
    let n = KEYS * PER_KEY as usize;
    let source = TestDatabase::new(backend).await;
    let db = source.connect_migrated::<Migrator>().await;
    let topic = new_topic("consumer-kill", 3).await;
    write_events(&db, &topic, KEYS, PER_KEY).await.unwrap();
    publish_all(&db).await;

    let sink = TestDatabase::new(backend).await;
    let sink_db = sink.connect_migrated::<Migrator>().await;
    let group = format!("consumer-kill-{}", uuid::Uuid::now_v7());
    let mut doomed = Harness::spawn(
        &sink.url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--pause-after-commit",
            "120",
        ],
    );
    doomed.expect_line("PAUSED", Duration::from_secs(60)).await;
    doomed.kill().await;
    assert_eq!(
        count(&sink_db, EFFECTS).await,
        120,
        "the 120th event's effect is committed"
    );

    let mut restarted = Harness::spawn(
        &sink.url,
        &["consume", "--topic", &topic, "--group", &group],
    );
    assert!(
        eventually(Duration::from_secs(90), || async {
            count(&sink_db, EFFECTS).await >= n as i64
        })
        .await,
        "the restarted consumer finishes the topic"
    );
    let lines = restarted.drain_lines(Duration::from_secs(2)).await;
    restarted.kill().await;
    assert!(
        lines.iter().any(|l| l == "DUPLICATE"),
        "at least the event whose offset was not committed came back and was dropped"
    );
    assert_eq!(count(&sink_db, EFFECTS).await, n as i64, "no double effect");
    assert_eq!(count(&sink_db, DISTINCT_EFFECTS).await, n as i64);
    assert_per_key_order(&effects_in_order(&sink_db).await);
}

/// A consumer handling several partitions at once is killed while its lanes are mid-flight;
/// the restarted one (in lanes too) applies every event exactly once, each key in order.
#[tokio::test]
async fn consumer_in_lanes_killed_midway_applies_each_event_once_in_key_order() {
    const KEYS: usize = 12;
    const PER_KEY: i64 = 100;
    let n = KEYS * PER_KEY as usize;
    let source = TestDatabase::new(Backend::Postgres).await;
    let db = source.connect_migrated::<Migrator>().await;
    let topic = new_topic("lanes-kill", 6).await;
    write_events(&db, &topic, KEYS, PER_KEY).await.unwrap();
    publish_all(&db).await;

    let sink = TestDatabase::new(Backend::Postgres).await;
    let sink_db = sink.connect_migrated::<Migrator>().await;
    let group = format!("lanes-kill-{}", uuid::Uuid::now_v7());
    let args = [
        "consume", "--topic", &topic, "--group", &group, "--lanes", "4",
    ];
    let doomed = Harness::spawn(&sink.url, &args);
    assert!(
        eventually(Duration::from_secs(60), || async {
            count(&sink_db, EFFECTS).await >= (n / 10) as i64
        })
        .await,
        "the first consumer got going"
    );
    doomed.kill().await;
    let before_restart = count(&sink_db, EFFECTS).await;
    assert!(before_restart < n as i64, "killed before the end");

    let mut restarted = Harness::spawn(&sink.url, &args);
    assert!(
        eventually(Duration::from_secs(90), || async {
            count(&sink_db, EFFECTS).await >= n as i64
        })
        .await,
        "the restarted consumer finishes the topic"
    );
    restarted.drain_lines(Duration::from_secs(2)).await;
    restarted.kill().await;
    assert_eq!(count(&sink_db, EFFECTS).await, n as i64, "no double effect");
    assert_eq!(count(&sink_db, DISTINCT_EFFECTS).await, n as i64);
    assert_per_key_order(&effects_in_order(&sink_db).await);
}

#[tokio::test]
async fn consumer_killed_before_offset_commit_postgres() {
    consumer_killed_before_offset_commit(Backend::Postgres).await;
}

#[tokio::test]
async fn consumer_killed_before_offset_commit_sqlite() {
    consumer_killed_before_offset_commit(Backend::Sqlite).await;
}

/// Several keys over several partitions, consumed in-process: each key's events arrive in
/// the order they were written, and the trace context of the writing span reaches the
/// consumer's transaction.
#[tokio::test]
async fn per_key_order_and_trace_context_survive_the_trip() {
    let _telemetry = gigshield_kit::telemetry::init(
        "kit-test",
        &gigshield_kit::config::TelemetryConfig {
            otlp_endpoint: None,
            log_format: gigshield_kit::config::LogFormat::Text,
        },
    )
    .unwrap();
    let source = TestDatabase::postgres().await;
    let db = source.connect_migrated::<Migrator>().await;
    let topic = new_topic("order", 4).await;

    let span = tracing::info_span!("write");
    let traceparent = {
        let _entered = span.enter();
        let tp = gigshield_kit::telemetry::current_traceparent().expect("span has trace context");
        write_events(&db, &topic, 10, 30).await.unwrap();
        tp
    };
    let trace_id = traceparent.split('-').nth(1).unwrap().to_string();
    let stored: Vec<String> = {
        use gigshield_kit::sea_orm::{ConnectionTrait, Statement};
        db.query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT traceparent FROM outbox".to_string(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "traceparent").unwrap())
        .collect()
    };
    assert!(
        stored.iter().all(|tp| tp.contains(&trace_id)),
        "outbox rows carry the writer's trace"
    );

    let relay_stop = CancellationToken::new();
    let relay_task = tokio::spawn(relay(&db).run(relay_stop.clone()));

    let raw = read_topic(&topic, 300, Duration::from_secs(2), Duration::from_secs(60)).await;
    assert_eq!(raw.len(), 300);
    let first = &raw[0];
    for header in [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_subject",
        "content-type",
        "ce_dataschema",
        "traceparent",
    ] {
        assert!(
            first.headers.iter().any(|(k, _)| k == header),
            "header {header} present"
        );
    }
    assert!(
        first
            .headers
            .iter()
            .any(|(k, v)| k == "ce_type" && v == gigshield_tests::EVENT_TYPE)
    );
    assert!(
        first
            .headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/protobuf")
    );
    assert!(first.headers.iter().any(|(k, v)| k == "ce_dataschema"
        && *v == format!("type.googleapis.com/{}", gigshield_tests::EVENT_TYPE)));
    assert!(raw.iter().all(|m| m.key.starts_with("key-")));

    let sink = TestDatabase::postgres().await;
    let sink_db = sink.connect_migrated::<Migrator>().await;
    let stop = CancellationToken::new();
    let consumer = IdempotentConsumer::new(
        &kafka_config("order-test"),
        "order-test",
        &[gigshield_kit::consumer::Subscription {
            topic: &topic,
            producer: "harness",
        }],
        sink_db.clone(),
        RecordEffect,
    )
    .unwrap();
    let consumer_task = tokio::spawn(consumer.run(stop.clone()));
    assert!(
        eventually(Duration::from_secs(60), || async {
            count(&sink_db, EFFECTS).await >= 300
        })
        .await
    );
    stop.cancel();
    relay_stop.cancel();
    consumer_task.await.unwrap();
    relay_task.await.unwrap();

    let effects = effects_in_order(&sink_db).await;
    assert_eq!(effects.len(), 300);
    assert_per_key_order(&effects);
    let consumer_traces: Vec<String> = {
        use gigshield_kit::sea_orm::{ConnectionTrait, Statement};
        sink_db
            .query_all_raw(Statement::from_string(
                sink_db.get_database_backend(),
                "SELECT traceparent FROM effect".to_string(),
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| {
                r.try_get::<Option<String>>("", "traceparent")
                    .unwrap()
                    .unwrap_or_default()
            })
            .collect()
    };
    assert!(
        consumer_traces.iter().all(|tp| tp.contains(&trace_id)),
        "the consumer's work belongs to the writer's trace"
    );
}
