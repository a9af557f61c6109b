//! Appeals against a claim's decision and their outcomes.

use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::wire::timestamp;
use gigshield_kit::{ApiError, Principal, wire};
use gigshield_proto::claims as pb;
use gigshield_proto::events;
use uuid::Uuid;

use super::{ClaimsApi, visible_claim};
use crate::domain::access;
use crate::domain::history::HistoryAction;
use crate::domain::lifecycle::{self, AppealKind, AppealOutcome, ClaimStatus, OverturnEffect};
use crate::events::{self as ev, ClaimEvent};
use crate::store::records::{self, DecisionRecord};
use crate::store::{appeal, queries};

impl ClaimsApi {
    pub(super) async fn file_appeal(
        &self,
        principal: Principal,
        req: pb::FileAppealRequest,
    ) -> Result<pb::FileAppealResponse, ApiError> {
        let caller = self.caller("FileAppeal", principal).await?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "FileAppeal", &req)?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        let kind = match pb::AppealKind::try_from(req.kind) {
            Ok(pb::AppealKind::AdministrativeReview) => AppealKind::AdministrativeReview,
            Ok(pb::AppealKind::Lawsuit) => AppealKind::Lawsuit,
            Ok(pb::AppealKind::Mediation) => AppealKind::Mediation,
            _ => return Err(ApiError::invalid("kind", "is required")),
        };
        let grounds = super::review::text("grounds", &req.grounds, false)?;
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let mut row = visible_claim(&caller, &txn, id, true).await?;
            let status = records::status(&row)?;
            let open = queries::appeals(&txn, id)
                .await?
                .iter()
                .any(|a| a.outcome.is_none());
            lifecycle::file_appeal(status, open).map_err(|e| ApiError::FailedPrecondition(e.0))?;
            let now = self.writer.now();
            let actor = caller.principal.actor();
            let appeal_id = Uuid::now_v7();
            queries::insert_appeal(
                &txn,
                appeal::Model {
                    id: appeal_id,
                    claim_id: id,
                    kind: kind.as_str().into(),
                    challenged_status: status.as_str().into(),
                    filed_by: actor.clone(),
                    filed_at: now,
                    outcome: None,
                    effect: None,
                    decided_by: None,
                    decided_at: None,
                },
            )
            .await?;
            row.updated_at = now;
            queries::update_claim(&txn, row.clone()).await?;
            self.add_history(
                &txn,
                id,
                now,
                &actor,
                HistoryAction::AppealFiled,
                format!(
                    "{} {appeal_id} against {}{}",
                    kind.as_str(),
                    status.as_str(),
                    if grounds.is_empty() {
                        String::new()
                    } else {
                        format!(": {grounds}")
                    }
                ),
            )
            .await?;
            let event = ClaimEvent::AppealFiled(events::AppealFiled {
                claim_id: id.to_string(),
                appeal_id: appeal_id.to_string(),
                person_id: row.person_id.to_string(),
                kind: kind.as_str().into(),
                challenged_status: status.as_str().into(),
                filed_at: Some(timestamp(now)),
            });
            ev::emit(&txn, &self.settings.topic, &row, event, now).await?;
            let detail = access::detail(&caller);
            Ok(pb::FileAppealResponse {
                claim: Some(self.view(&txn, &row, detail).await?),
                appeal_id: appeal_id.to_string(),
            })
        })?;
        self.committed();
        Ok(response)
    }

    pub(super) async fn record_appeal_outcome(
        &self,
        principal: Principal,
        req: pb::RecordAppealOutcomeRequest,
    ) -> Result<pb::RecordAppealOutcomeResponse, ApiError> {
        let caller = self.caller("RecordAppealOutcome", principal).await?;
        let key = IdempotencyKey::new(
            &caller.principal,
            &req.request_id,
            "RecordAppealOutcome",
            &req,
        )?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        let appeal_id = wire::uuid("appeal_id", &req.appeal_id)?;
        let (outcome, effect) = outcome_of(&req)?;
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let mut row = visible_claim(&caller, &txn, id, true).await?;
            let mut appeal = queries::appeals(&txn, id)
                .await?
                .into_iter()
                .find(|a| a.id == appeal_id)
                .ok_or_else(|| ApiError::NotFound("appeal".into()))?;
            if appeal.outcome.is_some() {
                return Err(ApiError::FailedPrecondition(
                    "appeal_id: the appeal already has an outcome".into(),
                ));
            }
            let before = records::status(&row)?;
            let after = lifecycle::appeal_outcome(before, outcome)
                .map_err(|e| ApiError::FailedPrecondition(e.0))?;
            let now = self.writer.now();
            let actor = caller.principal.actor();
            appeal.outcome = Some(outcome.as_str().into());
            appeal.effect = effect.map(|e| e.as_str().into());
            appeal.decided_by = Some(actor.clone());
            appeal.decided_at = Some(now);
            queries::update_appeal(&txn, appeal).await?;
            row.updated_at = now;
            let mut events = Vec::new();
            if after != before {
                row.status = after.as_str().into();
                match after {
                    ClaimStatus::Confirmed => {
                        records::set_decision(
                            &mut row,
                            &DecisionRecord {
                                status: after,
                                refusal_reason: None,
                                automatic: false,
                                decided_by: actor.clone(),
                                decided_at: now,
                                note: format!("appeal {appeal_id} overturned the refusal"),
                            },
                            self.vault(),
                        )?;
                        let order_id = records::liability(&row)?.map(|l| l.order_id);
                        events.push(ev::claim_confirmed(&row, order_id, false, Some(appeal_id)));
                    }
                    _ => {
                        // Back in the queue: the decision that was overturned no longer stands.
                        row.decision = None;
                        row.decision_note_sealed = None;
                        events.push(ev::claim_routed(&row, records::reasons(&row), "REOPENED"));
                    }
                }
            }
            queries::update_claim(&txn, row.clone()).await?;
            self.add_history(
                &txn,
                id,
                now,
                &actor,
                HistoryAction::AppealDecided,
                format!(
                    "appeal {appeal_id} {}{}: {} → {}",
                    outcome.as_str(),
                    effect.map_or_else(String::new, |e| format!(" ({})", e.as_str())),
                    before.as_str(),
                    after.as_str()
                ),
            )
            .await?;
            ev::emit(
                &txn,
                &self.settings.topic,
                &row,
                ClaimEvent::AppealDecided(events::AppealDecided {
                    claim_id: id.to_string(),
                    appeal_id: appeal_id.to_string(),
                    person_id: row.person_id.to_string(),
                    outcome: outcome.as_str().into(),
                    effect: effect.map(|e| e.as_str().to_string()).unwrap_or_default(),
                    claim_status: after.as_str().into(),
                    decided_at: Some(timestamp(now)),
                }),
                now,
            )
            .await?;
            for event in events {
                ev::emit(&txn, &self.settings.topic, &row, event, now).await?;
            }
            Ok(pb::RecordAppealOutcomeResponse {
                claim: Some(self.view(&txn, &row, access::detail(&caller)).await?),
            })
        })?;
        self.committed();
        Ok(response)
    }
}

/// The outcome an appeal's request records, and the effect of an overturned decision.
fn outcome_of(
    req: &pb::RecordAppealOutcomeRequest,
) -> Result<(AppealOutcome, Option<OverturnEffect>), ApiError> {
    let effect = match pb::OverturnEffect::try_from(req.effect) {
        Ok(pb::OverturnEffect::Confirm) => Some(OverturnEffect::Confirm),
        Ok(pb::OverturnEffect::Reopen) => Some(OverturnEffect::Reopen),
        _ => None,
    };
    let outcome = match (pb::AppealOutcome::try_from(req.outcome), effect) {
        (Ok(pb::AppealOutcome::Upheld), None) => AppealOutcome::Upheld,
        (Ok(pb::AppealOutcome::Upheld), Some(_)) => {
            return Err(ApiError::invalid(
                "effect",
                "only for an overturned decision",
            ));
        }
        (Ok(pb::AppealOutcome::Overturned), Some(effect)) => AppealOutcome::Overturned(effect),
        (Ok(pb::AppealOutcome::Overturned), None) => {
            return Err(ApiError::invalid(
                "effect",
                "is required when the decision was overturned",
            ));
        }
        _ => return Err(ApiError::invalid("outcome", "is required")),
    };
    Ok((outcome, effect))
}
