//! The transactional outbox: an event is a row written in the same database transaction as
//! the state change it reports; the [`relay::Relay`] publishes rows to Kafka afterwards.
//!
//! Ordering: every row gets a lane from its Kafka key, and a lane is published by one relay at
//! a time (lanes are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL), in `seq` order —
//! so events of one key reach their partition in the order they were written. Handlers write
//! their state change before the outbox row, so the row lock on the aggregate orders the
//! `seq` of concurrent writers to the same aggregate.

pub mod entity;
pub mod relay;

use std::sync::Arc;

use sea_orm::{ActiveValue::NotSet, ConnectionTrait, DbErr, EntityTrait, Set, Value};

use crate::bulk::{BulkRows, Column, Kind, column};
use tokio::sync::Notify;
use uuid::Uuid;

/// Number of lanes; fixed by the migration that creates `outbox_lane`.
pub const LANES: u16 = 16;

/// One event to publish.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub topic: String,
    /// Debezium's `aggregatetype`: what kind of thing the key names, e.g. `person`.
    pub aggregate_type: &'static str,
    /// Debezium's `aggregateid`: the Kafka key and `ce_subject`.
    pub aggregate_id: String,
    /// `ce_type`: the protobuf full name of the payload.
    pub event_type: &'static str,
    pub payload: Vec<u8>,
}

impl OutboxMessage {
    pub fn new<M: prost::Message>(
        topic: impl Into<String>,
        aggregate_type: &'static str,
        aggregate_id: impl Into<String>,
        event_type: &'static str,
        event: &M,
    ) -> Self {
        Self {
            topic: topic.into(),
            aggregate_type,
            aggregate_id: aggregate_id.into(),
            event_type,
            payload: event.encode_to_vec(),
        }
    }
}

/// Writes `message` into the outbox through `conn` — pass the business transaction.
/// Returns the event id (`ce_id`).
pub async fn enqueue(conn: &impl ConnectionTrait, message: OutboxMessage) -> Result<Uuid, DbErr> {
    let (id, row) = new_row(message, crate::telemetry::current_traceparent());
    entity::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(id)
}

/// Columns `enqueue_many` writes (`seq` and `sent_at` take their defaults).
const OUTBOX_COLUMNS: &[Column] = &[
    column("id", Kind::Uuid),
    column("aggregatetype", Kind::Text),
    column("aggregateid", Kind::Text),
    column("\"type\"", Kind::Text),
    column("payload", Kind::Bytes),
    column("topic", Kind::Text),
    column("traceparent", Kind::OptionalText),
    column("lane", Kind::SmallInt),
    column("created_at", Kind::Time),
];

/// Writes several events with one statement on PostgreSQL (chunks on SQLite), however many
/// (batch handlers); ids in the order given.
pub async fn enqueue_many(
    conn: &impl ConnectionTrait,
    messages: Vec<OutboxMessage>,
) -> Result<Vec<Uuid>, DbErr> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let traceparent: Value = crate::telemetry::current_traceparent()
        .filter(|t| !t.is_empty())
        .into();
    let now = chrono::Utc::now();
    let mut rows = BulkRows::new(conn.get_database_backend(), OUTBOX_COLUMNS, messages.len());
    let mut ids = Vec::with_capacity(messages.len());
    for message in messages {
        let id = Uuid::now_v7();
        ids.push(id);
        let lane = lane_of(&message.aggregate_id) as i16;
        rows.push([
            id.into(),
            message.aggregate_type.into(),
            message.aggregate_id.into(),
            message.event_type.into(),
            message.payload.into(),
            message.topic.into(),
            traceparent.clone(),
            lane.into(),
            now.into(),
        ]);
    }
    for statement in rows.insert_into("outbox", "") {
        conn.execute_raw(statement).await?;
    }
    Ok(ids)
}

fn new_row(message: OutboxMessage, traceparent: Option<String>) -> (Uuid, entity::ActiveModel) {
    let id = Uuid::now_v7();
    let row = entity::ActiveModel {
        seq: NotSet,
        id: Set(id),
        aggregatetype: Set(message.aggregate_type.to_string()),
        lane: Set(lane_of(&message.aggregate_id) as i16),
        aggregateid: Set(message.aggregate_id),
        event_type: Set(message.event_type.to_string()),
        payload: Set(message.payload),
        topic: Set(message.topic),
        traceparent: Set(traceparent),
        created_at: Set(chrono::Utc::now()),
        sent_at: Set(None),
    };
    (id, row)
}

/// The lane of a key: FNV-1a, stable across builds and platforms (unlike `DefaultHasher`).
pub fn lane_of(key: &str) -> u16 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in key.as_bytes() {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (hash % u32::from(LANES)) as u16
}

/// Wakes the relay after a commit so an event leaves without waiting for the next poll.
#[derive(Clone, Debug, Default)]
pub struct OutboxNotifier(Arc<Notify>);

impl OutboxNotifier {
    /// Wakes every idle relay worker (each publishes its own lanes); with none idle, the
    /// next one to wait returns at once.
    pub fn notify(&self) {
        self.0.notify_waiters();
        self.0.notify_one();
    }

    pub(crate) async fn notified(&self) {
        self.0.notified().await
    }
}

/// The rows not yet published and the age of the oldest, in seconds (0 when none): the
/// outbox's backlog, for the `outbox_backlog_rows` and `outbox_oldest_unsent_seconds` gauges.
/// Uses the partial index on unsent rows.
pub async fn backlog(
    conn: &impl ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(i64, f64), DbErr> {
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE sent_at IS NULL",
        ))
        .await?;
    let Some(row) = row else {
        return Ok((0, 0.0));
    };
    let n: i64 = row.try_get("", "n")?;
    let oldest: Option<chrono::DateTime<chrono::Utc>> = row.try_get("", "oldest")?;
    let age = oldest.map_or(0.0, |at| {
        (now - at).num_milliseconds().max(0) as f64 / 1000.0
    });
    Ok((n, age))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_are_stable_and_spread() {
        assert_eq!(lane_of("person-1"), lane_of("person-1"));
        // Pinned values: a change here would reorder in-flight events after an upgrade.
        assert_eq!(lane_of(""), (0x811c_9dc5u32 % 16) as u16);
        let used: std::collections::HashSet<u16> =
            (0..1000).map(|i| lane_of(&format!("key-{i}"))).collect();
        assert_eq!(used.len(), LANES as usize);
        assert!(used.iter().all(|l| *l < LANES));
    }
}
