//! Whether an issued payout arrived: the bank's answers the paying insurer records, and the
//! re-instruction of a returned payout to a corrected account.

use chrono::{DateTime, Utc};
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::wire::timestamp;
use gigshield_kit::{ApiError, Principal, access, wire};
use gigshield_proto::claims as pb;
use gigshield_proto::events;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{ClaimsApi, views, visible_claim};
use crate::domain::delivery::{self, PayoutState, ReturnReason, Step};
use crate::domain::history::HistoryAction;
use crate::events::{self as ev, ClaimEvent};
use crate::store::records::{self, Delivery};
use crate::store::{beneficiary_account, claim, payout_ledger, payout_step, queries};

/// The longest payout key: `claim:kind:period` with a UUID, a kind name and a month.
const MAX_PAYOUT_KEY_CHARS: usize = 128;

impl ClaimsApi {
    pub(super) async fn record_payout_outcome(
        &self,
        principal: Principal,
        req: pb::RecordPayoutOutcomeRequest,
    ) -> Result<pb::RecordPayoutOutcomeResponse, ApiError> {
        let caller = self.caller("RecordPayoutOutcome", principal).await?;
        let key = IdempotencyKey::new(
            &caller.principal,
            &req.request_id,
            "RecordPayoutOutcome",
            &req,
        )?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        let payout_key = payout_key(&req.payout_key)?;
        let step = outcome_step(req.outcome, req.return_reason)?;
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let row = visible_claim(&caller, &txn, id, true).await?;
            let issued = Issued::read(&txn, id, &payout_key).await?;
            let step_row =
                issued.step_row(step, None, &caller.principal.actor(), self.writer.now())?;
            let payout = self.record_step(&txn, &row, issued, step_row).await?;
            Ok(pb::RecordPayoutOutcomeResponse {
                payout: Some(payout),
            })
        })?;
        self.committed();
        Ok(response)
    }

    pub(super) async fn reinstruct_payout(
        &self,
        principal: Principal,
        req: pb::ReinstructPayoutRequest,
    ) -> Result<pb::ReinstructPayoutResponse, ApiError> {
        let caller = self.caller("ReinstructPayout", principal).await?;
        let key =
            IdempotencyKey::new(&caller.principal, &req.request_id, "ReinstructPayout", &req)?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        let payout_key = payout_key(&req.payout_key)?;
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let row = visible_claim(&caller, &txn, id, true).await?;
            let issued = Issued::read(&txn, id, &payout_key).await?;
            let registered = queries::beneficiary_account(&txn, row.person_id)
                .await?
                .ok_or_else(|| {
                    ApiError::FailedPrecondition(
                        "the person has no registered beneficiary account \
                         (SetBeneficiaryAccount)"
                            .into(),
                    )
                })?;
            let step_row = issued.step_row(
                Step::Reinstructed,
                Some(&registered),
                &caller.principal.actor(),
                self.writer.now(),
            )?;
            if issued.delivery.account_index.as_ref() == Some(&registered.account_index) {
                return Err(ApiError::FailedPrecondition(
                    "the registered account is the one the bank returned the payout from: it \
                     must be corrected first (SetBeneficiaryAccount)"
                        .into(),
                ));
            }
            let payout = self.record_step(&txn, &row, issued, step_row).await?;
            Ok(pb::ReinstructPayoutResponse {
                payout: Some(payout),
            })
        })?;
        self.committed();
        Ok(response)
    }

    /// Writes the step, its history line and its event; answers the payout as it now stands.
    async fn record_step(
        &self,
        txn: &impl ConnectionTrait,
        row: &claim::Model,
        issued: Issued,
        step_row: payout_step::Model,
    ) -> Result<pb::Payout, ApiError> {
        queries::insert_payout_step(txn, step_row.clone()).await?;
        let mut steps = issued.steps;
        steps.push(step_row.clone());
        let now = step_row.recorded_at;
        let delivery = records::delivery(&issued.entry, &steps)?;
        self.add_history(
            txn,
            row.id,
            now,
            &step_row.recorded_by,
            HistoryAction::Payout(delivery.state),
            format!(
                "payout {} ({} fen), attempt {}, {}{}",
                issued.entry.idempotency_key,
                issued.entry.amount_fen,
                delivery.attempt,
                delivery.account_masked,
                step_row
                    .return_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
        )
        .await?;
        let event = payout_state_changed(row, &issued.entry, &delivery, now);
        ev::emit(txn, &self.settings.topic, row, event, now).await?;
        Ok(views::issued_payout(&issued.entry, &delivery))
    }
}

/// An issued payout of the claim with its steps so far.
struct Issued {
    entry: payout_ledger::Model,
    steps: Vec<payout_step::Model>,
    delivery: Delivery,
}

impl Issued {
    async fn read(
        conn: &impl ConnectionTrait,
        claim_id: Uuid,
        key: &str,
    ) -> Result<Self, ApiError> {
        // A key of another claim is answered like one that does not exist.
        let entry = queries::ledger_entry_for_update(conn, claim_id, key)
            .await?
            .ok_or_else(|| access::hidden("payout"))?;
        if entry.amount_fen < 0 {
            return Err(ApiError::FailedPrecondition(
                "payout_key: a recovery has no bank outcome and is never sent".into(),
            ));
        }
        let steps: Vec<_> = queries::payout_steps(conn, claim_id)
            .await?
            .into_iter()
            .filter(|s| s.idempotency_key == entry.idempotency_key)
            .collect();
        let delivery = records::delivery(&entry, &steps)?;
        Ok(Self {
            entry,
            steps,
            delivery,
        })
    }

    /// The next step's row, if the step follows from where the payout stands.
    fn step_row(
        &self,
        step: Step,
        account: Option<&beneficiary_account::Model>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<payout_step::Model, ApiError> {
        delivery::advance(self.delivery.state, step)
            .map_err(|e| ApiError::FailedPrecondition(e.0))?;
        Ok(payout_step::Model {
            idempotency_key: self.entry.idempotency_key.clone(),
            number: i32::try_from(self.delivery.steps + 1).map_err(ApiError::internal)?,
            step: step.as_str().to_string(),
            return_reason: match step {
                Step::Returned(reason) => Some(reason.as_str().to_string()),
                _ => None,
            },
            account_key_id: account.map(|a| a.account_key_id.clone()),
            account_sealed: account.map(|a| a.account_sealed.clone()),
            account_masked: account.map(|a| a.account_masked.clone()),
            account_index: account.map(|a| a.account_index.clone()),
            recorded_by: actor.to_string(),
            recorded_at: at,
        })
    }
}

fn payout_key(value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::invalid("payout_key", "is required"));
    }
    if value.chars().count() > MAX_PAYOUT_KEY_CHARS {
        return Err(ApiError::invalid(
            "payout_key",
            format!("longer than {MAX_PAYOUT_KEY_CHARS} characters"),
        ));
    }
    Ok(value.to_string())
}

/// The step an outcome records; a return needs its reason, other outcomes none.
fn outcome_step(outcome: i32, reason_code: i32) -> Result<Step, ApiError> {
    let unspecified = reason_code == pb::PayoutReturnReason::Unspecified as i32;
    let reason = ReturnReason::ALL
        .iter()
        .copied()
        .find(|r| views::return_reason(*r) as i32 == reason_code);
    match (pb::PayoutState::try_from(outcome), reason) {
        (Ok(pb::PayoutState::Sent), None) if unspecified => Ok(Step::Sent),
        (Ok(pb::PayoutState::Paid), None) if unspecified => Ok(Step::Paid),
        (Ok(pb::PayoutState::Sent | pb::PayoutState::Paid), _) => Err(ApiError::invalid(
            "return_reason",
            "is only given with RETURNED",
        )),
        (Ok(pb::PayoutState::Returned), Some(reason)) => Ok(Step::Returned(reason)),
        (Ok(pb::PayoutState::Returned), None) => Err(ApiError::invalid(
            "return_reason",
            "is required with RETURNED: one of the PayoutReturnReason values",
        )),
        _ => Err(ApiError::invalid(
            "outcome",
            "must be SENT, PAID or RETURNED",
        )),
    }
}

fn payout_state_changed(
    row: &claim::Model,
    entry: &payout_ledger::Model,
    delivery: &Delivery,
    at: chrono::DateTime<Utc>,
) -> ClaimEvent {
    ClaimEvent::PayoutStateChanged(events::PayoutStateChanged {
        claim_id: row.id.to_string(),
        person_id: row.person_id.to_string(),
        idempotency_key: entry.idempotency_key.clone(),
        state: delivery.state.as_str().to_string(),
        attempt: i32::try_from(delivery.attempt).unwrap_or(i32::MAX),
        return_reason: match delivery.state {
            PayoutState::Returned(reason) => reason.as_str().to_string(),
            _ => String::new(),
        },
        amount_fen: entry.amount_fen,
        account_masked: delivery.account_masked.clone(),
        changed_at: Some(timestamp(at)),
    })
}
