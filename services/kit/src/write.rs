//! The one write path of a mutating RPC: begin a write transaction → answer a replayed request
//! from its record → run the body (state and outbox rows) → record the answer beside the effect
//! → commit → wake the relay. A body that lost a race on a unique index, or a twin request
//! with the same request_id that committed first, runs again in a fresh transaction; the
//! second run sees the winner's rows (or replays its answer).
//!
//! Handlers use [`write!`](crate::write!):
//!
//! ```text
//! gigshield_kit::write!(self.writer, key, |txn| {
//!     let row = queries::load(&txn, id).await?;
//!     let decision = domain::decide(&row)?;
//!     queries::store(&txn, &decision).await?;
//!     gigshield_kit::outbox::enqueue(&txn, events::decided(&decision)).await?;
//!     Ok(views::answer(&decision))
//! })
//! ```

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::clock::Clock;
use crate::error::ApiError;
use crate::idempotency::{IdempotencyKey, Replays};
use crate::outbox::OutboxNotifier;

/// How often a body runs before a lost race is reported (`Aborted`, retryable by the caller).
pub const ATTEMPTS: u32 = 3;

/// What a service's API writes through: its database, the relay to wake, and where replay
/// records are sealed.
#[derive(Clone, Debug)]
pub struct Writer {
    pub db: DatabaseConnection,
    pub outbox: OutboxNotifier,
    pub replays: Replays,
    pub clock: Clock,
}

impl Writer {
    pub fn new(
        db: DatabaseConnection,
        outbox: OutboxNotifier,
        replays: Replays,
        clock: Clock,
    ) -> Self {
        Self {
            db,
            outbox,
            replays,
            clock,
        }
    }

    /// The instant the service acts at (see [`Clock`]).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub async fn begin(&self) -> Result<DatabaseTransaction, ApiError> {
        Ok(crate::db::begin_write(&self.db).await?)
    }

    /// Records the answer (when the call is keyed), commits, and wakes the relay.
    pub async fn finish<R: prost::Message>(
        &self,
        txn: DatabaseTransaction,
        key: Option<&IdempotencyKey>,
        response: &R,
    ) -> Result<(), ApiError> {
        if let Some(key) = key {
            key.record(&txn, &self.replays, response).await?;
        }
        txn.commit().await?;
        self.outbox.notify();
        Ok(())
    }
}

/// Whether running the body again may succeed: another writer won a race on a unique index,
/// or a twin request committed first.
pub fn lost_race(err: &ApiError) -> bool {
    matches!(err, ApiError::Aborted(_)) || err.is_unique_violation()
}

/// Runs `$body` (an expression of type `Result<Response, ApiError>` that may use `$txn`) on
/// the write path described in [`crate::write`]; evaluates to `Result<Response, ApiError>`.
/// `$key` is the call's [`IdempotencyKey`]; [`write_unkeyed!`](crate::write_unkeyed!) serves
/// writes without a request_id.
#[macro_export]
macro_rules! write {
    ($writer:expr, $key:expr, |$txn:ident| $body:expr) => {{
        let writer: &$crate::write::Writer = &$writer;
        let key: &$crate::idempotency::IdempotencyKey = &$key;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let $txn = writer.begin().await?;
            if let Some(previous) = key.replay(&$txn, &writer.replays).await? {
                break Ok(previous);
            }
            let outcome: ::std::result::Result<_, $crate::ApiError> = async { $body }.await;
            let outcome = match outcome {
                Ok(response) => writer
                    .finish($txn, Some(key), &response)
                    .await
                    .map(|()| response),
                Err(err) => Err(err),
            };
            match outcome {
                Err(err) if $crate::write::lost_race(&err) && attempt < $crate::write::ATTEMPTS => {
                    continue;
                }
                other => break other,
            }
        }
    }};
}

/// [`write!`](crate::write!) for a write without a request_id (each batch of a stream, whose
/// items are idempotent by their own keys).
#[macro_export]
macro_rules! write_unkeyed {
    ($writer:expr, |$txn:ident| $body:expr) => {{
        let writer: &$crate::write::Writer = &$writer;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let $txn = writer.begin().await?;
            let outcome: ::std::result::Result<_, $crate::ApiError> = async { $body }.await;
            let outcome = match outcome {
                Ok(response) => {
                    $txn.commit().await?;
                    writer.outbox.notify();
                    Ok(response)
                }
                Err(err) => Err(err),
            };
            match outcome {
                Err(err) if $crate::write::lost_race(&err) && attempt < $crate::write::ATTEMPTS => {
                    continue;
                }
                other => break other,
            }
        }
    }};
}
