//! The determination deadline, watched: a periodic sweep flags each claim still waiting for a
//! human after its due date (`overdue_at`, a history line) and publishes `ClaimOverdue` once.
//! Replicas may sweep at the same time: the rows are locked and flagged in one transaction,
//! so each claim is flagged once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gigshield_kit::clock::Clock;
use gigshield_kit::pii::PiiVault;
use gigshield_kit::wire::timestamp;
use gigshield_proto::events;
use gigshield_scheme::calendar::shanghai_date;
use sea_orm::{DatabaseConnection, DbErr};
use tokio_util::sync::CancellationToken;

use crate::domain::history::HistoryAction;
use crate::events::{self as ev, ClaimEvent};
use crate::store::queries;

/// The gauge of claims waiting for a human past their determination due date.
pub const OVERDUE_OPEN: &str = "claims_overdue_open";

/// Describes the sweep's gauge for `/metrics`.
pub fn describe_metrics() {
    metrics::describe_gauge!(
        OVERDUE_OPEN,
        "Claims waiting for a human (in review, information requested) past their determination due date"
    );
}

/// Claims flagged per transaction; a backlog takes several rounds.
pub const MAX_FLAGGED_PER_SWEEP: u64 = 500;

pub struct OverdueSweep {
    pub db: DatabaseConnection,
    pub vault: Arc<PiiVault>,
    /// Where events go (`claims.events.v1`).
    pub topic: String,
    /// What "today" is for the due dates.
    pub clock: Clock,
}

impl OverdueSweep {
    /// Flags the claims overdue at `now` (due before its Shanghai date); returns how many.
    pub async fn once(&self, now: DateTime<Utc>) -> Result<usize, DbErr> {
        let today = shanghai_date(now).to_string();
        let txn = gigshield_kit::db::begin_write(&self.db).await?;
        let rows = queries::newly_overdue(&txn, &today, MAX_FLAGGED_PER_SWEEP).await?;
        for mut row in rows.iter().cloned() {
            row.overdue_at = Some(now);
            queries::update_claim(&txn, row.clone()).await?;
            queries::add_history(
                &txn,
                &self.vault,
                row.id,
                now,
                crate::intake::AUTOMATION,
                HistoryAction::Overdue,
                format!(
                    "the determination was due by {} (Asia/Shanghai)",
                    row.determination_due_on
                ),
            )
            .await?;
            let event = ClaimEvent::Overdue(events::ClaimOverdue {
                claim_id: row.id.to_string(),
                insurer_id: row.insurer_id.map(|i| i.to_string()).unwrap_or_default(),
                due_on: row.determination_due_on.clone(),
                flagged_at: Some(timestamp(now)),
            });
            ev::emit(&txn, &self.topic, &row, event, now).await?;
        }
        txn.commit().await?;
        // What operators watch (the GigshieldClaimsPastDue alert): every claim still waiting
        // past its due date, flagged now or earlier.
        let open = queries::overdue_open(&self.db, &today).await?;
        metrics::gauge!(OVERDUE_OPEN).set(open as f64);
        Ok(rows.len())
    }

    /// Sweeps every `period` until shutdown; `woke` is told after each sweep that flagged a
    /// claim (the relay and the claim stream).
    pub async fn run(
        self,
        period: Duration,
        shutdown: CancellationToken,
        woke: impl Fn() + Send + 'static,
    ) {
        let (this, woke) = (&self, &woke);
        crate::sweep::every(period, shutdown, || async move {
            match this.once(this.clock.now()).await {
                Ok(0) => false,
                Ok(n) => {
                    tracing::info!(claims = n, "claims flagged overdue");
                    woke();
                    n as u64 == MAX_FLAGGED_PER_SWEEP
                }
                Err(err) => {
                    tracing::warn!(error = %err, "overdue sweep failed; retried next period");
                    false
                }
            }
        })
        .await
    }
}
