//! Stored forms that are not plain columns: the decision record, and reading JSON columns back
//! into domain values. A stored value that does not read back is an internal error: the
//! service wrote it.

use chrono::{DateTime, Utc};
use gigshield_kit::ApiError;
use serde::{Deserialize, Serialize};

use super::{claim, payout_ledger, payout_step};
use crate::domain::delivery::{self, PayoutState, Step};
use crate::domain::determination::{DeterminationFacts, Liability, RuleOutcome};
use crate::domain::lifecycle::{ClaimStatus, RefusalReason};

/// The decision a claim currently stands on (claim.decision, JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub status: ClaimStatus,
    pub refusal_reason: Option<RefusalReason>,
    /// The rules confirmed the claim without a human.
    pub automatic: bool,
    /// `automation` or the human's actor string.
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
    /// Kept sealed in `claim.decision_note_sealed`, never in this JSON.
    #[serde(skip)]
    pub note: String,
}

/// Authenticated context of the sealed decision note.
pub const DECISION_NOTE: &[u8] = b"claim.decision_note";

/// Sets the claim's decision, the note sealed beside it.
pub fn set_decision(
    row: &mut claim::Model,
    record: &DecisionRecord,
    vault: &gigshield_kit::pii::PiiVault,
) -> Result<(), ApiError> {
    row.decision = Some(to_json(record)?);
    row.decision_note_sealed = vault.seal_text(&record.note, DECISION_NOTE);
    Ok(())
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> ApiError {
    ApiError::internal(anyhow::anyhow!("stored {what} does not read back: {err}"))
}

pub fn status(row: &claim::Model) -> Result<ClaimStatus, ApiError> {
    ClaimStatus::parse_stored(&row.status)
        .ok()
        .ok_or_else(|| corrupt("status", &row.status))
}

pub fn trace(row: &claim::Model) -> Result<Vec<RuleOutcome>, ApiError> {
    serde_json::from_str(&row.trace).map_err(|e| corrupt("trace", e))
}

pub fn facts(row: &claim::Model) -> Result<DeterminationFacts, ApiError> {
    serde_json::from_str(&row.facts).map_err(|e| corrupt("facts", e))
}

pub fn liability(row: &claim::Model) -> Result<Option<Liability>, ApiError> {
    row.liability
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt("liability", e))
}

/// The decision without its note (see [`decision_note`]).
pub fn decision(row: &claim::Model) -> Result<Option<DecisionRecord>, ApiError> {
    row.decision
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt("decision", e))
}

pub fn decision_note(
    row: &claim::Model,
    vault: &gigshield_kit::pii::PiiVault,
) -> Result<String, ApiError> {
    vault
        .open_text(row.decision_note_sealed.as_deref(), DECISION_NOTE)
        .map_err(|e| corrupt("decision note", e))
}

pub fn reasons(row: &claim::Model) -> Vec<String> {
    row.review_reasons
        .split(',')
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

/// Where an issued payout stands: the fold of its steps, and the account of its latest
/// instruction (sealed, masked, blind index).
#[derive(Clone)]
pub struct Delivery {
    pub state: PayoutState,
    pub attempt: u32,
    pub steps: usize,
    pub account_masked: String,
    pub account_index: Option<Vec<u8>>,
}

/// `steps` may hold other payouts' steps; only this payout's count, in their stored order.
pub fn delivery(
    entry: &payout_ledger::Model,
    steps: &[payout_step::Model],
) -> Result<Delivery, ApiError> {
    let mine: Vec<&payout_step::Model> = steps
        .iter()
        .filter(|s| s.idempotency_key == entry.idempotency_key)
        .collect();
    let parsed = mine
        .iter()
        .map(|s| {
            Step::parse(&s.step, s.return_reason.as_deref())
                .ok_or_else(|| corrupt("payout step", &s.step))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (state, attempt) = delivery::fold(entry.approved_by.is_some(), parsed)
        .map_err(|e| corrupt("payout steps", e))?;
    let latest = mine.iter().rev().find(|s| s.account_masked.is_some());
    Ok(Delivery {
        state,
        attempt,
        steps: mine.len(),
        account_masked: latest
            .and_then(|s| s.account_masked.clone())
            .unwrap_or_else(|| entry.account_masked.clone()),
        account_index: match latest {
            Some(s) => s.account_index.clone(),
            None => entry.account_index.clone(),
        },
    })
}

pub fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::internal)
}
