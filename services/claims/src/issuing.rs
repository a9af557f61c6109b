//! Issuing scheduled payouts: the one write path of a payment leaving the fund. A person
//! issues any due item (`IssuePayouts`); the monthly run ([`crate::instalments`]) issues the
//! recurring instalments of claims a person already started paying. Both insert into the
//! ledger, whose key refuses a second payment of one item and period, so neither can pay twice
//! whatever is retried, restarted or run on two replicas at once.

use chrono::{DateTime, Utc};
use gigshield_kit::ApiError;
use gigshield_kit::pii::{self, PiiVault, Sealed};
use gigshield_kit::wire::timestamp;
use gigshield_proto::events;
use sea_orm::DatabaseTransaction;

use crate::domain::history::HistoryAction;
use crate::events::{self as ev, ClaimEvent};
use crate::store::{beneficiary_account, claim, payout_ledger, payout_schedule, queries};

/// Authenticated context of sealed payout accounts (registered and paid-to alike), so a sealed
/// account can be copied onto a payout and still open.
pub const ACCOUNT_CONTEXT: &[u8] = b"payout_ledger.account";
/// Who approved a payout to the registered account: nobody had to.
pub const REGISTERED: &str = "registered account";

/// Where a batch of payouts goes, and whether that is the registered account.
pub struct PayoutTarget {
    pub sealed: Sealed,
    pub masked: String,
    pub index: Vec<u8>,
    pub registered: bool,
}

/// The named account (held unless it is the registered one), else the registered account.
pub fn payout_target(
    vault: &PiiVault,
    named: Option<String>,
    registered: Option<&beneficiary_account::Model>,
) -> Result<PayoutTarget, ApiError> {
    match (named, registered) {
        (Some(account), registered) => {
            let index = vault.blind_index(&account);
            Ok(PayoutTarget {
                sealed: vault.seal(&account, ACCOUNT_CONTEXT),
                masked: pii::mask(&account, 4, 4),
                registered: registered.is_some_and(|r| r.account_index == index),
                index,
            })
        }
        (None, Some(r)) => Ok(PayoutTarget {
            sealed: Sealed {
                key_id: r.account_key_id.clone(),
                blob: r.account_sealed.clone(),
            },
            masked: r.account_masked.clone(),
            index: r.account_index.clone(),
            registered: true,
        }),
        (None, None) => Err(ApiError::FailedPrecondition(
            "account_reference: the person has registered no beneficiary account \
             (SetBeneficiaryAccount); naming one needs a second person's approval"
                .into(),
        )),
    }
}

/// The event of a payout that leaves.
pub fn payout_issued(row: &crate::store::claim::Model, entry: &payout_ledger::Model) -> ClaimEvent {
    ClaimEvent::PayoutIssued(events::PayoutIssued {
        claim_id: row.id.to_string(),
        person_id: row.person_id.to_string(),
        idempotency_key: entry.idempotency_key.clone(),
        kind: entry.kind.clone(),
        period: entry.period.clone(),
        due_month: entry.due_month.clone(),
        amount_fen: entry.amount_fen,
        account_masked: entry.account_masked.clone(),
        issued_at: Some(timestamp(entry.approved_at.unwrap_or(entry.issued_at))),
    })
}

/// Who issues, when, and where the events go.
pub struct Issuer<'a> {
    pub vault: &'a PiiVault,
    pub topic: &'a str,
    pub actor: String,
    pub now: DateTime<Utc>,
}

impl Issuer<'_> {
    /// Puts every payout of `schedule` due through `through` (`YYYY-MM`) and not issued before
    /// into the ledger, to `target`; those to the registered account leave at once
    /// (`PayoutIssued`), others wait for a second person. Notes the batch in the claim's
    /// history and returns the new ledger rows.
    pub async fn issue(
        &self,
        txn: &DatabaseTransaction,
        row: &mut claim::Model,
        schedule: Vec<payout_schedule::Model>,
        target: &PayoutTarget,
        through: &str,
    ) -> Result<Vec<payout_ledger::Model>, ApiError> {
        let mut issued = Vec::new();
        for due in schedule
            .into_iter()
            .filter(|s| s.due_month.as_str() <= through)
        {
            let entry = self.entry(row, due, target);
            // The ledger's key refuses a second payment of the same item and period.
            if !queries::insert_ledger(txn, entry.clone()).await? {
                continue;
            }
            if target.registered {
                ev::emit(txn, self.topic, row, payout_issued(row, &entry), self.now).await?;
            }
            issued.push(entry);
        }
        if !issued.is_empty() {
            row.updated_at = self.now;
            queries::update_claim(txn, row.clone()).await?;
            queries::add_history(
                txn,
                self.vault,
                row.id,
                self.now,
                &self.actor,
                if target.registered {
                    HistoryAction::PayoutsIssued
                } else {
                    HistoryAction::PayoutsHeld
                },
                format!(
                    "{} payout(s) through {through}, {} fen, to {}{}",
                    issued.len(),
                    issued.iter().map(|p| p.amount_fen).sum::<i64>(),
                    target.masked,
                    if target.registered {
                        ""
                    } else {
                        " (not the registered account: waiting for a second person's approval)"
                    }
                ),
            )
            .await?;
        }
        Ok(issued)
    }

    fn entry(
        &self,
        row: &claim::Model,
        due: payout_schedule::Model,
        target: &PayoutTarget,
    ) -> payout_ledger::Model {
        payout_ledger::Model {
            idempotency_key: due.idempotency_key,
            claim_id: row.id,
            kind: due.kind,
            period: due.period,
            due_month: due.due_month,
            amount_fen: due.amount_fen,
            account_key_id: target.sealed.key_id.clone(),
            account_sealed: target.sealed.blob.clone(),
            account_masked: target.masked.clone(),
            issued_by: self.actor.clone(),
            issued_at: self.now,
            account_index: Some(target.index.clone()),
            approved_by: target.registered.then(|| REGISTERED.to_string()),
            approved_at: target.registered.then_some(self.now),
        }
    }
}
