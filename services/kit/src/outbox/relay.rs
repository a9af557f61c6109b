//! Publishes outbox rows to Kafka with an idempotent producer and, after the broker
//! acknowledged them, deletes them — or stamps `sent_at` and deletes them later when
//! `OUTBOX_RETENTION_HOURS` keeps published rows for inspection. A crash between publishing and
//! deleting republishes the rows: consumers drop the duplicates by `ce_id`. Deleting at once
//! writes no new row version and no entry in a second index per event, so the relay's own
//! writes stay small next to ingest's.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
};
use tokio_util::sync::CancellationToken;

use super::OutboxNotifier;
use super::entity::{self, Column, Entity as Outbox};
use crate::config::{KafkaConfig, OutboxConfig};
use crate::envelope::Envelope;

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

type DeliveryHook = Arc<dyn Fn(usize) + Send + Sync>;

pub struct Relay {
    db: DatabaseConnection,
    producer: FutureProducer,
    source: String,
    /// Put before each row's contract topic (`KAFKA_TOPIC_PREFIX`).
    topic_prefix: String,
    cfg: OutboxConfig,
    notifier: OutboxNotifier,
    after_delivery: Option<DeliveryHook>,
}

impl Relay {
    pub fn new(
        db: DatabaseConnection,
        kafka: &KafkaConfig,
        service_name: &str,
        cfg: OutboxConfig,
    ) -> Result<Self, KafkaError> {
        Ok(Self {
            db,
            producer: crate::kafka::producer_config(kafka).create()?,
            source: format!("//gigshield/{service_name}"),
            topic_prefix: kafka.topic_prefix.clone(),
            cfg,
            notifier: OutboxNotifier::default(),
            after_delivery: None,
        })
    }

    /// Handlers call `notify()` on this after committing an outbox row.
    pub fn notifier(&self) -> OutboxNotifier {
        self.notifier.clone()
    }

    /// Test seam: runs after the broker acknowledged a batch and before it is deleted.
    pub fn on_delivered(mut self, hook: impl Fn(usize) + Send + Sync + 'static) -> Self {
        self.after_delivery = Some(Arc::new(hook));
        self
    }

    /// Publishes until `shutdown`, then drains what is left and flushes the producer. On
    /// PostgreSQL `OUTBOX_RELAY_WORKERS` loops run at once, each claiming its share of the
    /// replica's lanes per batch; a lane is published by one of them at a time, so the order
    /// of a key's events holds.
    pub async fn run(self, shutdown: CancellationToken) {
        let workers = if crate::db::is_postgres(&self.db) {
            self.cfg.workers.max(1)
        } else {
            1
        };
        let lanes = self.cfg.lanes_per_claim.div_ceil(workers).max(1);
        let relay = Arc::new(self);
        let loops: Vec<_> = (0..workers)
            .map(|worker| {
                let relay = relay.clone();
                let shutdown = shutdown.clone();
                tokio::spawn(async move { relay.work(worker == 0, lanes, shutdown).await })
            })
            .collect();
        for worker in loops {
            if let Err(err) = worker.await {
                tracing::error!(error = %err, "outbox relay worker ended abnormally");
            }
        }
        if let Err(err) = relay.producer.flush(Duration::from_secs(10)) {
            tracing::warn!(error = %err, "producer flush at shutdown");
        }
        tracing::info!("outbox relay stopped");
    }

    /// One relay loop; the first also does the housekeeping.
    async fn work(&self, housekeeper: bool, lanes: u32, shutdown: CancellationToken) {
        let mut last_cleanup = tokio::time::Instant::now();
        let mut failures: u32 = 0;
        loop {
            match self.publish_lanes(lanes).await {
                Ok(n) if n > 0 => {
                    failures = 0;
                    continue;
                }
                Ok(_) => {
                    failures = 0;
                    if shutdown.is_cancelled() {
                        break;
                    }
                    if housekeeper && last_cleanup.elapsed() > Duration::from_secs(60) {
                        last_cleanup = tokio::time::Instant::now();
                        if let Err(err) = self.housekeeping().await {
                            tracing::warn!(error = %err, "outbox and replay-record cleanup failed");
                        }
                    }
                    tokio::select! {
                        _ = self.notifier.notified() => {}
                        _ = tokio::time::sleep(self.cfg.poll_interval) => {}
                        _ = shutdown.cancelled() => {}
                    }
                }
                Err(err) => {
                    failures += 1;
                    tracing::warn!(error = %err, failures, "outbox relay batch failed");
                    if shutdown.is_cancelled() {
                        break;
                    }
                    let backoff = Duration::from_millis(100 * 2u64.pow(failures.min(6)));
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.cancelled() => {}
                    }
                }
            }
        }
    }

    /// Publishes one batch of up to `OUTBOX_LANES_PER_CLAIM` lanes; returns how many rows were
    /// acknowledged and retired.
    pub async fn publish_batch(&self) -> Result<usize, RelayError> {
        self.publish_lanes(self.cfg.lanes_per_claim).await
    }

    async fn publish_lanes(&self, lanes: u32) -> Result<usize, RelayError> {
        if crate::db::is_postgres(&self.db) {
            // The lane locks are held until commit, so no other relay publishes these lanes
            // (and so these keys) meanwhile.
            let txn = self.db.begin().await?;
            let lanes = claim_lanes(&txn, lanes).await?;
            if lanes.is_empty() {
                txn.commit().await?;
                return Ok(0);
            }
            let rows = unsent(&txn, Some(&lanes), self.cfg.batch_size).await?;
            let delivered = self.publish(&rows).await;
            self.retire(&txn, &delivered).await?;
            txn.commit().await?;
            Ok(delivered.len())
        } else {
            // SQLite is the embedded single-replica mode: one relay, no lane claims.
            let rows = unsent(&self.db, None, self.cfg.batch_size).await?;
            let delivered = self.publish(&rows).await;
            self.retire(&self.db, &delivered).await?;
            Ok(delivered.len())
        }
    }

    /// Sends every row, then awaits the acknowledgements in order. Returns the `seq` of rows
    /// that may be deleted: within a lane, only those before the first failure, so a
    /// failed event is never overtaken by a later event of its lane.
    async fn publish(&self, rows: &[entity::Model]) -> Vec<i64> {
        if rows.is_empty() {
            return Vec::new();
        }
        let mut pending = Vec::with_capacity(rows.len());
        let mut spans = Vec::with_capacity(rows.len());
        let topics: Vec<String> = rows
            .iter()
            .map(|r| format!("{}{}", self.topic_prefix, r.topic))
            .collect();
        for (row, topic) in rows.iter().zip(&topics) {
            // A producer span per event only when spans are exported and the event belongs
            // to a sampled trace; the consumer's span then hangs under it.
            let traced = row
                .traceparent
                .as_deref()
                .is_some_and(crate::telemetry::is_sampled);
            let span = (traced && crate::telemetry::exporting()).then(|| {
                crate::telemetry::producer_span(
                    topic,
                    &row.id.to_string(),
                    &row.aggregateid,
                    row.traceparent.as_deref(),
                )
            });
            let traceparent = span
                .as_ref()
                .and_then(crate::telemetry::traceparent_of)
                .or_else(|| row.traceparent.clone());
            spans.push(span);
            let envelope = Envelope {
                id: row.id.to_string(),
                source: self.source.clone(),
                event_type: row.event_type.clone(),
                time: row.created_at,
                subject: Some(row.aggregateid.clone()),
                traceparent,
                payload: Vec::new(),
                topic: row.topic.clone(),
                partition: -1,
                offset: -1,
            };
            let record = FutureRecord::to(topic)
                .key(row.aggregateid.as_bytes())
                .payload(&row.payload)
                .headers(envelope.headers());
            pending.push(self.producer.send_result(record).map_err(|(err, _)| err));
        }
        let mut failed_lanes = HashSet::new();
        let mut delivered = Vec::with_capacity(rows.len());
        let now = chrono::Utc::now();
        for ((row, send), span) in rows.iter().zip(pending).zip(spans) {
            let outcome = match send {
                Ok(future) => match future.await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err((err, _))) => Err(err.to_string()),
                    Err(_) => Err("producer dropped the message".to_string()),
                },
                Err(err) => Err(err.to_string()),
            };
            if let (Some(span), Err(_)) = (&span, &outcome) {
                span.record("otel.status_code", "ERROR");
                span.record("error.type", "kafka_delivery");
            }
            match outcome {
                Ok(()) if !failed_lanes.contains(&row.lane) => {
                    delivered.push(row.seq);
                    let lag = (now - row.created_at).num_milliseconds().max(0) as f64 / 1000.0;
                    metrics::histogram!("outbox_publish_lag_seconds").record(lag);
                }
                Ok(()) => {}
                Err(err) => {
                    tracing::warn!(seq = row.seq, topic = %row.topic, error = %err, "event not delivered; will retry");
                    failed_lanes.insert(row.lane);
                }
            }
        }
        metrics::counter!("outbox_published_total").increment(delivered.len() as u64);
        if let Some(hook) = &self.after_delivery {
            hook(delivered.len());
        }
        delivered
    }

    /// Deletes published rows past their retention and expired replay records (the relay is
    /// the one background task every service runs against its own database).
    async fn housekeeping(&self) -> Result<(), DbErr> {
        crate::idempotency::delete_expired(&self.db).await?;
        let cutoff =
            chrono::Utc::now() - chrono::Duration::from_std(self.cfg.retention).unwrap_or_default();
        Outbox::delete_many()
            .filter(Column::SentAt.lt(cutoff))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

async fn claim_lanes(conn: &impl ConnectionTrait, limit: u32) -> Result<Vec<i16>, DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT lane FROM outbox_lane ORDER BY random() LIMIT $1 FOR UPDATE SKIP LOCKED",
        [i64::from(limit).into()],
    );
    conn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| row.try_get::<i16>("", "lane"))
        .collect()
}

async fn unsent(
    conn: &impl ConnectionTrait,
    lanes: Option<&[i16]>,
    limit: u32,
) -> Result<Vec<entity::Model>, DbErr> {
    let mut query = Outbox::find().filter(Column::SentAt.is_null());
    if let Some(lanes) = lanes {
        query = query.filter(Column::Lane.is_in(lanes.iter().copied()));
    }
    query
        .order_by_asc(Column::Seq)
        .limit(u64::from(limit))
        .all(conn)
        .await
}

impl Relay {
    /// Deletes the published rows, or stamps them sent when they are kept for a while.
    async fn retire(&self, conn: &impl ConnectionTrait, seqs: &[i64]) -> Result<(), DbErr> {
        if seqs.is_empty() {
            return Ok(());
        }
        let published = Column::Seq.is_in(seqs.iter().copied());
        if self.cfg.retention.is_zero() {
            Outbox::delete_many().filter(published).exec(conn).await?;
        } else {
            Outbox::update_many()
                .col_expr(Column::SentAt, Expr::value(chrono::Utc::now()))
                .filter(published)
                .exec(conn)
                .await?;
        }
        Ok(())
    }
}
