//! The monthly run: monthly allowances and dependants' pensions leave on schedule without a
//! person pressing a button each month. A periodic sweep finds claims with a monthly
//! instalment due through the current Shanghai month and not yet in the ledger, and issues
//! them to the person's registered account through the same write path as `IssuePayouts`
//! ([`crate::issuing`]).
//!
//! Only claims a person already started paying are touched (the first issue, lump sums
//! included, stays a human decision), only confirmed ones (a claim refused on appeal stops),
//! and only to the registered account (another account needs a second person). The ledger's
//! key makes each instalment happen once, whatever the replicas, retries and restarts.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gigshield_kit::ApiError;
use gigshield_kit::clock::Clock;
use gigshield_kit::pii::PiiVault;
use gigshield_scheme::calendar::CalendarMonth;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::domain::lifecycle::ClaimStatus;
use crate::intake::AUTOMATION;
use crate::issuing::{Issuer, payout_target};
use crate::store::{queries, records};

/// Claims handled per sweep; a backlog takes several rounds.
pub const MAX_CLAIMS_PER_SWEEP: u64 = 200;

pub struct InstalmentRun {
    pub db: DatabaseConnection,
    pub vault: Arc<PiiVault>,
    /// Where events go (`claims.events.v1`).
    pub topic: String,
    /// Which months are due.
    pub clock: Clock,
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Claims looked at.
    pub claims: usize,
    /// Instalments put into the ledger.
    pub issued: usize,
    /// Claims passed over: not confirmed, or no registered account.
    pub passed_over: usize,
    /// Claims whose transaction failed (retried at the next sweep).
    pub failed: usize,
}

impl InstalmentRun {
    /// Issues every monthly instalment due through the Shanghai month of `now`.
    pub async fn once(&self, now: DateTime<Utc>) -> Result<Swept, ApiError> {
        let through = CalendarMonth::of(now).to_string();
        let claims =
            queries::claims_with_due_instalments(&self.db, &through, MAX_CLAIMS_PER_SWEEP).await?;
        let mut swept = Swept {
            claims: claims.len(),
            ..Swept::default()
        };
        for claim_id in claims {
            // One claim that fails must not hold up the claims after it: it is retried at
            // the next sweep.
            match self.claim(claim_id, &through, now).await {
                Ok(Some(n)) => swept.issued += n,
                Ok(None) => swept.passed_over += 1,
                Err(err) => {
                    swept.failed += 1;
                    tracing::warn!(claim_id = %claim_id, error = %err, "instalments not issued; retried next sweep");
                }
            }
        }
        Ok(swept)
    }

    /// One claim in one transaction; `None` when it is passed over.
    async fn claim(
        &self,
        claim_id: Uuid,
        through: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<usize>, ApiError> {
        let txn = gigshield_kit::db::begin_write(&self.db).await?;
        let Some(mut row) = queries::claim_for_update(&txn, claim_id).await? else {
            return Ok(None);
        };
        if records::status(&row)? != ClaimStatus::Confirmed {
            return Ok(None);
        }
        let Some(registered) = queries::beneficiary_account(&txn, row.person_id).await? else {
            return Ok(None);
        };
        let target = payout_target(&self.vault, None, Some(&registered))?;
        let schedule = queries::schedule(&txn, claim_id)
            .await?
            .into_iter()
            .filter(|s| s.period != "once")
            .collect();
        let issuer = Issuer {
            vault: &self.vault,
            topic: &self.topic,
            actor: AUTOMATION.to_string(),
            now,
        };
        let issued = issuer
            .issue(&txn, &mut row, schedule, &target, through)
            .await?;
        txn.commit().await?;
        Ok(Some(issued.len()))
    }

    /// Sweeps every `period` until shutdown; `woke` is told after a sweep that issued
    /// something (the relay and the claim stream).
    pub async fn run(
        self,
        period: Duration,
        shutdown: CancellationToken,
        woke: impl Fn() + Send + 'static,
    ) {
        let (this, woke) = (&self, &woke);
        crate::sweep::every(period, shutdown, || async move {
            match this.once(this.clock.now()).await {
                Ok(swept) if swept.issued > 0 => {
                    tracing::info!(
                        claims = swept.claims,
                        instalments = swept.issued,
                        "monthly instalments issued"
                    );
                    woke();
                    swept.claims as u64 == MAX_CLAIMS_PER_SWEEP
                }
                Ok(_) => false,
                Err(err) => {
                    tracing::warn!(error = %err, "instalment run failed; retried next period");
                    false
                }
            }
        })
        .await
    }
}
