//! After the story: personal data the parties typed in must be nowhere in clear — not in any
//! column of any service's database, not on any of the stack's topics, not in any service's
//! log. Sealed columns hold ciphertext, so a byte-for-byte search finds nothing in them either;
//! a hit anywhere is a leak.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::stack::Stack;

/// A health fact the story plants in every free-text field it fills (incident descriptions,
/// a refusal note, appeal grounds).
pub const HEALTH_PHRASE: &str = "左胫骨开放性骨折";

/// The mobile number every registration in the story gives.
pub const MOBILE: &str = "13912345678";

/// What one sweep looked at, for the test's output.
#[derive(Debug, Default)]
struct Swept {
    columns: usize,
    tables: usize,
    messages: usize,
    log_bytes: usize,
    hits: Vec<String>,
}

/// Fails the test on any needle found in clear; prints what was searched.
pub async fn assert_nothing_in_clear(stack: &Stack, needles: &[(&'static str, String)]) {
    let mut swept = Swept::default();
    for process in stack.processes() {
        sweep_database(process.name, &process.database().url, needles, &mut swept).await;
        let log = process.log();
        swept.log_bytes += log.len();
        for (what, needle) in needles {
            if log.contains(needle.as_str()) {
                swept
                    .hits
                    .push(format!("{what} in the log of {}", process.name));
            }
        }
    }
    sweep_topics(stack.prefix.clone(), needles.to_vec(), &mut swept).await;
    println!(
        "personal data sweep: {} needles over {} columns of {} tables, {} messages, {} log bytes: {} hits",
        needles.len(),
        swept.columns,
        swept.tables,
        swept.messages,
        swept.log_bytes,
        swept.hits.len()
    );
    assert!(swept.columns > 0 && swept.messages > 0 && swept.log_bytes > 0);
    assert!(
        swept.hits.is_empty(),
        "personal data in clear:\n{}",
        swept.hits.join("\n")
    );
}

/// Every text-like and binary column of every table in the service's schema.
async fn sweep_database(service: &str, url: &str, needles: &[(&str, String)], swept: &mut Swept) {
    let db = sea_orm::Database::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to {service}'s database: {e}"));
    let columns = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS d \
             FROM information_schema.columns \
             WHERE table_schema = 'public' \
               AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea') \
             ORDER BY table_name, ordinal_position",
        ))
        .await
        .expect("list columns");
    let mut tables = std::collections::BTreeSet::new();
    for row in columns {
        let table: String = row.try_get("", "t").unwrap();
        let column: String = row.try_get("", "c").unwrap();
        let data_type: String = row.try_get("", "d").unwrap();
        tables.insert(table.clone());
        swept.columns += 1;
        // Binary columns (protobuf payloads, sealed values) are searched byte for byte.
        let matches = if data_type == "bytea" {
            format!("position(convert_to($1, 'UTF8') in \"{column}\") > 0")
        } else {
            format!("strpos(\"{column}\"::text, $1) > 0")
        };
        let sql = format!("SELECT COUNT(*) AS n FROM \"{table}\" WHERE {matches}");
        for (what, needle) in needles {
            let row = db
                .query_one_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    &sql,
                    [needle.clone().into()],
                ))
                .await
                .unwrap_or_else(|e| panic!("{service}.{table}.{column}: {e}"))
                .expect("a count");
            let n: i64 = row.try_get("", "n").unwrap();
            if n > 0 {
                swept
                    .hits
                    .push(format!("{what} in {service}.{table}.{column} ({n} rows)"));
            }
        }
    }
    swept.tables += tables.len();
}

/// Every message of every topic of the stack, from the first offset to the end: key, payload
/// and header values.
async fn sweep_topics(prefix: String, needles: Vec<(&'static str, String)>, swept: &mut Swept) {
    let (messages, hits) = tokio::task::spawn_blocking(move || read_all(&prefix, &needles))
        .await
        .expect("topic sweep");
    swept.messages += messages;
    swept.hits.extend(hits);
}

fn read_all(prefix: &str, needles: &[(&str, String)]) -> (usize, Vec<String>) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set(
            "bootstrap.servers",
            gigshield_kit::testing::kafka_bootstrap(),
        )
        .set("group.id", format!("e2e-sweep-{}", uuid::Uuid::now_v7()))
        .set("enable.auto.commit", "false")
        .create()
        .expect("Kafka consumer");
    let timeout = Duration::from_secs(10);
    let metadata = consumer.fetch_metadata(None, timeout).expect("metadata");
    let mut assignment = TopicPartitionList::new();
    // Partition → its end offset when the sweep began; done when every one is reached.
    let mut ends = std::collections::HashMap::new();
    for topic in metadata
        .topics()
        .iter()
        .filter(|t| t.name().starts_with(prefix))
    {
        for partition in topic.partitions() {
            let (low, high) = consumer
                .fetch_watermarks(topic.name(), partition.id(), timeout)
                .expect("watermarks");
            if high > low {
                ends.insert((topic.name().to_string(), partition.id()), high);
                assignment
                    .add_partition_offset(topic.name(), partition.id(), Offset::Beginning)
                    .expect("partition offset");
            }
        }
    }
    assert!(
        !ends.is_empty(),
        "the stack published nothing under {prefix}"
    );
    consumer.assign(&assignment).expect("assign");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let (mut messages, mut hits) = (0usize, Vec::new());
    while !ends.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "partitions not read to their end: {ends:?}"
        );
        let Some(Ok(msg)) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let partition = (msg.topic().to_string(), msg.partition());
        if ends
            .get(&partition)
            .is_some_and(|end| msg.offset() + 1 >= *end)
        {
            ends.remove(&partition);
        }
        messages += 1;
        let mut parts: Vec<&[u8]> = vec![
            msg.key().unwrap_or_default(),
            msg.payload().unwrap_or_default(),
        ];
        if let Some(headers) = msg.headers() {
            parts.extend(headers.iter().filter_map(|h| h.value));
        }
        for (what, needle) in needles {
            if parts.iter().any(|p| contains(p, needle.as_bytes())) {
                hits.push(format!(
                    "{what} on {} at offset {}",
                    msg.topic(),
                    msg.offset()
                ));
            }
        }
    }
    (messages, hits)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
