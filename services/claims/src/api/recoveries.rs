//! Recoveries of overpaid benefits: a negative line in the claim's ledger, once per reference.

use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Principal, wire};
use gigshield_proto::claims as pb;
use gigshield_scheme::calendar::CalendarMonth;

use super::{ClaimsApi, accounts, views, visible_claim};
use crate::domain::access;
use crate::domain::benefit_parameters::MAX_FIGURE_FEN;
use crate::domain::delivery::PayoutState;
use crate::domain::history::HistoryAction;
use crate::domain::recovery::{self, RecoveryReason};
use crate::events as ev;
use crate::issuing::payout_issued;
use crate::store::{payout_ledger, queries, records};

/// A validated `RecordRecovery` request.
struct Recovery {
    reference: String,
    kind: String,
    amount_fen: i64,
    reason: RecoveryReason,
}

fn recovery_of(req: &pb::RecordRecoveryRequest) -> Result<Recovery, ApiError> {
    let reference = accounts::account_reference("reference", &req.reference)?;
    let kind = req.kind.trim();
    if kind.is_empty()
        || kind.len() > 64
        || !kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.' || c.is_ascii_digit())
    {
        return Err(ApiError::invalid(
            "kind",
            "names a payout kind of the claim (disability_allowance, dependant_pension.1, …)",
        ));
    }
    if !(1..=MAX_FIGURE_FEN).contains(&req.amount_fen) {
        return Err(ApiError::invalid(
            "amount_fen",
            format!("must be 1 to {MAX_FIGURE_FEN}"),
        ));
    }
    let reason = match pb::RecoveryReason::try_from(req.reason) {
        Ok(pb::RecoveryReason::Reassessed) => RecoveryReason::Reassessed,
        Ok(pb::RecoveryReason::EndConditionUnreported) => RecoveryReason::EndConditionUnreported,
        Ok(pb::RecoveryReason::DuplicatePayment) => RecoveryReason::DuplicatePayment,
        Ok(pb::RecoveryReason::Fraud) => RecoveryReason::Fraud,
        Ok(pb::RecoveryReason::Other) => RecoveryReason::Other,
        _ => return Err(ApiError::invalid("reason", "is required")),
    };
    Ok(Recovery {
        reference,
        kind: kind.to_string(),
        amount_fen: req.amount_fen,
        reason,
    })
}

impl ClaimsApi {
    pub(super) async fn record_recovery(
        &self,
        principal: Principal,
        req: pb::RecordRecoveryRequest,
    ) -> Result<pb::RecordRecoveryResponse, ApiError> {
        let caller = self.caller("RecordRecovery", principal).await?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "RecordRecovery", &req)?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        let r = recovery_of(&req)?;

        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let mut row = visible_claim(&caller, &txn, id, true).await?;
            let ledger = queries::ledger(&txn, id).await?;
            let line_key = recovery::key(id, &r.reference);
            let entry = match ledger.iter().find(|l| l.idempotency_key == line_key) {
                // The same recovery told again (another request id): its answer, unchanged.
                Some(done) if done.kind == r.kind && done.amount_fen == -r.amount_fen => {
                    done.clone()
                }
                Some(_) => {
                    return Err(ApiError::AlreadyExists(format!(
                        "reference: recovery {} was recorded with another kind or amount",
                        r.reference
                    )));
                }
                None => {
                    // Only money that left and stayed out counts: a payout held for approval was
                    // never paid, one the bank returned (and not sent again) came back already.
                    let steps = queries::payout_steps(&txn, id).await?;
                    let mut out_there = Vec::with_capacity(ledger.len());
                    for line in &ledger {
                        let state = records::delivery(line, &steps)?.state;
                        if line.approved_at.is_some() && !matches!(state, PayoutState::Returned(_))
                        {
                            out_there.push(line);
                        }
                    }
                    let left = || out_there.iter().copied();
                    recovery::check(
                        left().map(|l| (l.kind.as_str(), l.amount_fen)),
                        &r.kind,
                        r.amount_fen,
                    )
                    .map_err(|e| ApiError::FailedPrecondition(e.to_string()))?;
                    // The money came back from where the overpayment went.
                    let source = left()
                        .rev()
                        .find(|l| l.kind == r.kind && l.amount_fen > 0)
                        .ok_or_else(|| ApiError::FailedPrecondition("kind: nothing paid".into()))?;
                    // As the database keeps it, so a repeated answer is the same answer.
                    let now = self.writer.now();
                    let actor = caller.principal.actor();
                    let entry = payout_ledger::Model {
                        idempotency_key: line_key,
                        claim_id: id,
                        kind: r.kind.clone(),
                        period: recovery::PERIOD.to_string(),
                        due_month: CalendarMonth::of(now).to_string(),
                        amount_fen: -r.amount_fen,
                        account_key_id: source.account_key_id.clone(),
                        account_sealed: source.account_sealed.clone(),
                        account_masked: source.account_masked.clone(),
                        issued_by: actor.clone(),
                        issued_at: now,
                        account_index: source.account_index.clone(),
                        approved_by: Some(actor.clone()),
                        approved_at: Some(now),
                    };
                    if !queries::insert_ledger(&txn, entry.clone()).await? {
                        return Err(ApiError::Aborted(
                            "the recovery was recorded at the same moment: retry".into(),
                        ));
                    }
                    ev::emit(
                        &txn,
                        &self.settings.topic,
                        &row,
                        payout_issued(&row, &entry),
                        now,
                    )
                    .await?;
                    row.updated_at = now;
                    queries::update_claim(&txn, row.clone()).await?;
                    self.add_history(
                        &txn,
                        id,
                        now,
                        &actor,
                        HistoryAction::Recovery,
                        format!(
                            "{} fen of {} recovered ({}), reference {}",
                            r.amount_fen,
                            r.kind,
                            r.reason.as_str(),
                            r.reference
                        ),
                    )
                    .await?;
                    entry
                }
            };
            let delivery = records::delivery(&entry, &[])?;
            Ok(pb::RecordRecoveryResponse {
                recovery: Some(views::issued_payout(&entry, &delivery)),
                claim: Some(self.view(&txn, &row, access::detail(&caller)).await?),
            })
        })?;
        self.committed();
        Ok(response)
    }
}
