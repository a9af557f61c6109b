//! The idempotent consumer: each event's id goes into the `inbox` table in the same database
//! transaction as the effect the event causes, and the Kafka offset is stored for commit only
//! after that transaction committed. A redelivered event finds its id and changes nothing.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, OwnedMessage};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, Statement};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::KafkaConfig;
use crate::envelope::{Envelope, EnvelopeError};

/// Why a handler could not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying (database or dependency unavailable): the event is retried in place.
    #[error("transient: {0}")]
    Transient(#[source] anyhow::Error),
    /// Will never succeed (undecodable, violates an invariant): recorded as rejected in the
    /// inbox and skipped, so one poison event does not stop its partition.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl From<DbErr> for HandlerError {
    fn from(err: DbErr) -> Self {
        Self::Transient(err.into())
    }
}

impl From<EnvelopeError> for HandlerError {
    fn from(err: EnvelopeError) -> Self {
        Self::Permanent(err.to_string())
    }
}

/// Applies one event's effect inside the consumer's transaction.
pub trait EventHandler: Send + Sync + 'static {
    fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &Envelope,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;

    /// Runs after an event's effects committed, to wake whatever serves them (a stream of
    /// changes, say): waking it inside `handle` would race the commit.
    fn committed(&self) {}

    /// Whether events of this type have any effect here. An event a handler does not want is
    /// passed over without a transaction or an inbox row: a consumer that needs a few types of
    /// a busy topic (the fund, of premium's coverage days) is not held up by the rest.
    fn wants(&self, _event_type: &str) -> bool {
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Duplicate,
    Rejected,
    /// Not from the topic's producer: set aside in `dead_letter`, no effect.
    DeadLettered,
    /// A type the handler does not want: no effect, nothing recorded.
    Ignored,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Rejected => "rejected",
            Outcome::DeadLettered => "dead_lettered",
            Outcome::Ignored => "ignored",
        }
    }
}

/// A topic a consumer reads, with the one service allowed to publish on it. An event whose
/// `ce_source` is not `//gigshield/<producer>` changes nothing: it is dead-lettered with the
/// reason (Kafka ACLs keep other writers out in production; this is the second lock).
#[derive(Debug, Clone, Copy)]
pub struct Subscription<'a> {
    pub topic: &'a str,
    pub producer: &'a str,
}

/// The `ce_source` of events a service publishes.
pub fn source_of(service: &str) -> String {
    format!("//gigshield/{service}")
}

type CommitHook = Arc<dyn Fn(&Envelope, Outcome) + Send + Sync>;

pub struct IdempotentConsumer<H> {
    name: String,
    /// Broker-side topic name → the `ce_source` its events must carry.
    sources: std::collections::HashMap<String, String>,
    db: DatabaseConnection,
    consumer: StreamConsumer<LagContext>,
    handler: H,
    after_commit: Option<CommitHook>,
    /// Partitions handled at once (1: the whole subscription in one sequence).
    lanes: usize,
}

/// Messages a lane holds before the reader waits for it.
const LANE_BUFFER: usize = 64;

/// How often librdkafka reports statistics, and so the lag gauge's freshness.
const LAG_INTERVAL_MS: &str = "15000";

/// Publishes `kafka_consumer_lag` (messages behind the partition's end) per consumer, topic and
/// partition from librdkafka's statistics; -1 (unknown) is not reported.
pub struct LagContext {
    consumer: String,
}

impl rdkafka::ClientContext for LagContext {
    fn stats(&self, statistics: rdkafka::Statistics) {
        for (topic, t) in &statistics.topics {
            for (partition, p) in &t.partitions {
                if *partition < 0 || p.consumer_lag < 0 {
                    continue;
                }
                metrics::gauge!(
                    "kafka_consumer_lag",
                    "consumer" => self.consumer.clone(),
                    "topic" => topic.clone(),
                    "partition" => partition.to_string(),
                )
                .set(p.consumer_lag as f64);
            }
        }
    }
}

impl rdkafka::consumer::ConsumerContext for LagContext {}

impl<H: EventHandler> IdempotentConsumer<H> {
    /// `group_id` names both the Kafka consumer group and this consumer's rows in `inbox`.
    pub fn new(
        kafka: &KafkaConfig,
        group_id: &str,
        subscriptions: &[Subscription<'_>],
        db: DatabaseConnection,
        handler: H,
    ) -> Result<Self, KafkaError> {
        let group_id = kafka.group(group_id);
        let consumer: StreamConsumer<LagContext> = crate::kafka::consumer_config(kafka, &group_id)
            // librdkafka reports each assigned partition's lag in its statistics.
            .set("statistics.interval.ms", LAG_INTERVAL_MS)
            .create_with_context(LagContext {
                consumer: group_id.clone(),
            })?;
        let sources: std::collections::HashMap<String, String> = subscriptions
            .iter()
            .map(|s| (kafka.topic(s.topic), source_of(s.producer)))
            .collect();
        let topics: Vec<&str> = sources.keys().map(String::as_str).collect();
        consumer.subscribe(&topics)?;
        Ok(Self {
            name: group_id.to_string(),
            sources,
            db,
            consumer,
            handler,
            after_commit: None,
            lanes: 1,
        })
    }

    /// Handles the events of up to `lanes` partitions at once, each partition in order (a
    /// partition always goes to the same lane), so a burst spread over partitions is not
    /// queued behind one transaction at a time. Only for handlers whose events of different
    /// keys never read and then write the same rows: events of one key share a partition and
    /// stay in order, events of different keys may now interleave. PostgreSQL only; SQLite
    /// keeps one sequence (it has one writer anyway).
    pub fn in_lanes(mut self, lanes: usize) -> Self {
        self.lanes = lanes.max(1);
        self
    }

    /// Runs after the database commit and before the offset is stored: the service wakes its
    /// outbox relay here, and tests use it as a seam to kill the process at that moment.
    pub fn on_committed(
        mut self,
        hook: impl Fn(&Envelope, Outcome) + Send + Sync + 'static,
    ) -> Self {
        self.after_commit = Some(Arc::new(hook));
        self
    }

    pub async fn run(self, shutdown: CancellationToken) {
        if self.lanes > 1 && crate::db::is_postgres(&self.db) {
            return Arc::new(self).run_in_lanes(shutdown).await;
        }
        while let Some(message) = self.next(&shutdown).await {
            match message {
                Ok(msg) => {
                    if !self.process(&msg, &shutdown).await {
                        break;
                    }
                }
                Err(err) => self.receive_failed(err).await,
            }
        }
        self.stopped();
    }

    /// The next message, or none once shutdown is asked for.
    async fn next(
        &self,
        shutdown: &CancellationToken,
    ) -> Option<Result<BorrowedMessage<'_>, KafkaError>> {
        tokio::select! {
            m = self.consumer.recv() => Some(m),
            _ = shutdown.cancelled() => None,
        }
    }

    async fn receive_failed(&self, err: KafkaError) {
        tracing::warn!(consumer = %self.name, error = %err, "kafka receive failed");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    /// Commits the offsets stored since the last auto-commit.
    fn stopped(&self) {
        if let Err(err) = self.consumer.commit_consumer_state(CommitMode::Sync) {
            // Nothing stored since the last auto-commit is also a (harmless) error here.
            tracing::debug!(consumer = %self.name, error = %err, "final offset commit");
        }
        tracing::info!(consumer = %self.name, "consumer stopped");
    }

    /// The reader hands each message to the lane of its partition; each lane handles its
    /// messages in order and stores their offsets as the sequential consumer does.
    async fn run_in_lanes(self: Arc<Self>, shutdown: CancellationToken) {
        let mut lanes = Vec::with_capacity(self.lanes);
        let mut workers = Vec::with_capacity(self.lanes);
        for _ in 0..self.lanes {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<OwnedMessage>(LANE_BUFFER);
            lanes.push(tx);
            let this = self.clone();
            let shutdown = shutdown.clone();
            workers.push(tokio::spawn(async move {
                while let Some(msg) = rx.recv().await {
                    if shutdown.is_cancelled() || !this.process(&msg, &shutdown).await {
                        break;
                    }
                }
            }));
        }
        while let Some(message) = self.next(&shutdown).await {
            match message {
                Ok(msg) => {
                    let lane = lane_of(msg.topic(), msg.partition(), lanes.len());
                    let owned = msg.detach();
                    tokio::select! {
                        sent = lanes[lane].send(owned) => if sent.is_err() { break },
                        _ = shutdown.cancelled() => break,
                    }
                }
                Err(err) => self.receive_failed(err).await,
            }
        }
        drop(lanes);
        for worker in workers {
            if let Err(err) = worker.await {
                tracing::error!(consumer = %self.name, error = %err, "consumer lane ended abnormally");
            }
        }
        self.stopped();
    }

    /// Returns false when shutdown interrupted a retry (the offset stays uncommitted).
    async fn process<M: Message>(&self, msg: &M, shutdown: &CancellationToken) -> bool {
        let envelope = match Envelope::from_message(msg) {
            Ok(envelope) => envelope,
            Err(err) => {
                // Without a usable envelope there is no event id: key the inbox row by position.
                let position = format!("{}/{}/{}", msg.topic(), msg.partition(), msg.offset());
                tracing::warn!(consumer = %self.name, %position, error = %err, "malformed event rejected");
                let envelope = Envelope {
                    id: position,
                    source: String::new(),
                    event_type: String::new(),
                    time: chrono::Utc::now(),
                    subject: None,
                    traceparent: None,
                    payload: Vec::new(),
                    topic: msg.topic().to_string(),
                    partition: msg.partition(),
                    offset: msg.offset(),
                };
                return self
                    .finish(
                        msg,
                        &envelope,
                        Err(HandlerError::Permanent(err.to_string())),
                        shutdown,
                    )
                    .await;
            }
        };
        if let Some(reason) = self.foreign_source(&envelope) {
            tracing::warn!(consumer = %self.name, event.id = %envelope.id, source = %envelope.source, "event from a foreign producer dead-lettered");
            let result = match self.dead_letter(&envelope, &reason).await {
                Ok(()) => Ok(Outcome::DeadLettered),
                Err(err) => Err(HandlerError::Transient(err.into())),
            };
            return self.finish(msg, &envelope, result, shutdown).await;
        }
        if !self.handler.wants(&envelope.event_type) {
            return self
                .finish(msg, &envelope, Ok(Outcome::Ignored), shutdown)
                .await;
        }
        // Messaging semantic conventions: "process <topic>", a child of the producer's span.
        let span = tracing::info_span!(
            "event.consume",
            otel.name = %format_args!("process {}", envelope.topic),
            otel.kind = "consumer",
            messaging.system = "kafka",
            messaging.operation.type = "process",
            messaging.operation.name = "process",
            messaging.destination.name = %envelope.topic,
            messaging.destination.partition.id = %envelope.partition,
            messaging.kafka.offset = envelope.offset,
            messaging.message.id = %envelope.id,
            messaging.consumer.group.name = %self.name,
            consumer = %self.name,
            event.id = %envelope.id,
            event.type = %envelope.event_type,
        );
        crate::telemetry::set_remote_parent(&span, envelope.traceparent.as_deref());
        let result = self.apply(&envelope).instrument(span.clone()).await;
        self.finish(msg, &envelope, result, shutdown)
            .instrument(span)
            .await
    }

    async fn finish<M: Message>(
        &self,
        msg: &M,
        envelope: &Envelope,
        mut result: Result<Outcome, HandlerError>,
        shutdown: &CancellationToken,
    ) -> bool {
        let mut attempt: u32 = 0;
        let outcome = loop {
            match result {
                Ok(outcome) => break outcome,
                Err(HandlerError::Permanent(reason)) => {
                    tracing::warn!(consumer = %self.name, event.id = %envelope.id, %reason, "event rejected");
                    match self.record_rejection(envelope, &reason).await {
                        Ok(()) => break Outcome::Rejected,
                        Err(err) => result = Err(HandlerError::Transient(err.into())),
                    }
                }
                Err(HandlerError::Transient(err)) => {
                    attempt += 1;
                    let backoff = Duration::from_millis(100 * 2u64.pow(attempt.min(7)));
                    tracing::warn!(consumer = %self.name, event.id = %envelope.id, error = %err, attempt, "retrying event");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.cancelled() => return false,
                    }
                    result = match self.foreign_source(envelope) {
                        Some(reason) => self
                            .dead_letter(envelope, &reason)
                            .await
                            .map(|()| Outcome::DeadLettered)
                            .map_err(|e| HandlerError::Transient(e.into())),
                        None => self.apply(envelope).await,
                    };
                }
            }
        };
        metrics::counter!("consumer_events_total", "consumer" => self.name.clone(), "outcome" => outcome.as_str()).increment(1);
        if outcome == Outcome::Applied {
            self.handler.committed();
        }
        if let Some(hook) = &self.after_commit {
            hook(envelope, outcome);
        }
        if let Err(err) = self
            .consumer
            .store_offset(msg.topic(), msg.partition(), msg.offset())
        {
            tracing::warn!(consumer = %self.name, error = %err, "cannot store offset; the event will be redelivered");
        }
        true
    }

    async fn apply(&self, envelope: &Envelope) -> Result<Outcome, HandlerError> {
        let txn = crate::db::begin_write(&self.db).await?;
        if !claim(&txn, &self.name, envelope, Outcome::Applied, None).await? {
            txn.rollback().await?;
            return Ok(Outcome::Duplicate);
        }
        self.handler.handle(&txn, envelope).await?;
        txn.commit().await?;
        Ok(Outcome::Applied)
    }

    /// Why the event must not be applied, when its producer is not the topic's.
    fn foreign_source(&self, envelope: &Envelope) -> Option<String> {
        let expected = self.sources.get(&envelope.topic)?;
        (envelope.source != *expected).then(|| {
            format!(
                "ce_source {:?} is not the producer of {} ({expected})",
                envelope.source, envelope.topic
            )
        })
    }

    /// Keeps the event's coordinates and the reason, never its payload; once per position.
    async fn dead_letter(&self, envelope: &Envelope, reason: &str) -> Result<(), DbErr> {
        let stmt = Statement::from_sql_and_values(
            self.db.get_database_backend(),
            "INSERT INTO dead_letter (consumer, topic, kafka_partition, kafka_offset, event_id, \
             event_type, source, reason, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (consumer, topic, kafka_partition, kafka_offset) DO NOTHING",
            [
                self.name.clone().into(),
                envelope.topic.clone().into(),
                envelope.partition.into(),
                envelope.offset.into(),
                envelope.id.clone().into(),
                envelope.event_type.clone().into(),
                envelope.source.clone().into(),
                reason.into(),
                chrono::Utc::now().into(),
            ],
        );
        self.db.execute_raw(stmt).await.map(|_| ())
    }

    async fn record_rejection(&self, envelope: &Envelope, reason: &str) -> Result<(), DbErr> {
        let txn = crate::db::begin_write(&self.db).await?;
        claim(&txn, &self.name, envelope, Outcome::Rejected, Some(reason)).await?;
        txn.commit().await
    }
}

/// The lane a partition's messages go to: the same for as long as the consumer runs.
fn lane_of(topic: &str, partition: i32, lanes: usize) -> usize {
    let topic_spread = topic
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
    topic_spread.wrapping_add(partition.max(0) as usize) % lanes
}

/// Inserts the inbox row; false when this consumer already has the event.
async fn claim(
    conn: &impl ConnectionTrait,
    consumer: &str,
    envelope: &Envelope,
    outcome: Outcome,
    error: Option<&str>,
) -> Result<bool, DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset, outcome, error, processed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (consumer, event_id) DO NOTHING",
        [
            consumer.into(),
            envelope.id.clone().into(),
            envelope.event_type.clone().into(),
            envelope.topic.clone().into(),
            envelope.partition.into(),
            envelope.offset.into(),
            outcome.as_str().into(),
            error.map(str::to_string).into(),
            chrono::Utc::now().into(),
        ],
    );
    Ok(conn.execute_raw(stmt).await?.rows_affected() == 1)
}
