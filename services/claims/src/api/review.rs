//! Reading claims, the review queue, and the human decision.

use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Caller, Principal, paging, wire};
use gigshield_proto::claims as pb;
use uuid::Uuid;

use super::{ClaimsApi, views, visible_claim};
use crate::domain::access;
use crate::domain::history::HistoryAction;
use crate::domain::lifecycle::{self, ClaimStatus, HumanDecision, RefusalReason};
use crate::events as ev;
use crate::store::queries::{self, QueueOf};
use crate::store::records::{self, DecisionRecord};

/// The longest note or question kept in a claim's history.
pub const MAX_TEXT_CHARS: usize = 2000;

pub fn refusal_to_pb(reason: RefusalReason) -> pb::RefusalReason {
    use pb::RefusalReason as P;
    match reason {
        RefusalReason::NotRegistered => P::NotRegistered,
        RefusalReason::NotDuringOrder => P::NotDuringOrder,
        RefusalReason::SchemeNotInForce => P::SchemeNotInForce,
        RefusalReason::FiledLate => P::FiledLate,
        RefusalReason::SuddenIllnessNotDeemed => P::SuddenIllnessNotDeemed,
        RefusalReason::CommuteWorkerAtFault => P::CommuteWorkerAtFault,
        RefusalReason::IntentionalCrime => P::IntentionalCrime,
        RefusalReason::IntoxicationOrDrugs => P::IntoxicationOrDrugs,
        RefusalReason::SelfHarm => P::SelfHarm,
        RefusalReason::DuplicateClaim => P::DuplicateClaim,
        RefusalReason::OrdinaryLabourRelation => P::OrdinaryLabourRelation,
        RefusalReason::InsufficientEvidence => P::InsufficientEvidence,
    }
}

fn refusal_from_pb(value: i32) -> Option<RefusalReason> {
    RefusalReason::ALL
        .iter()
        .copied()
        .find(|r| refusal_to_pb(*r) as i32 == value)
}

pub fn text(field: &str, value: &str, required: bool) -> Result<String, ApiError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(ApiError::invalid(field, "is required"));
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::invalid(
            field,
            format!("longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(value.to_string())
}

impl ClaimsApi {
    pub(super) async fn get_claim(
        &self,
        principal: Principal,
        req: pb::GetClaimRequest,
    ) -> Result<pb::GetClaimResponse, ApiError> {
        let caller = self.caller("GetClaim", principal).await?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        // The claim, its history, appraisal and payouts as of one moment.
        let txn = gigshield_kit::db::begin_snapshot(self.db()).await?;
        let row = visible_claim(&caller, &txn, id, false).await?;
        let claim = self.view(&txn, &row, access::detail(&caller)).await?;
        txn.commit().await?;
        Ok(pb::GetClaimResponse { claim: Some(claim) })
    }

    pub(super) async fn list_review_queue(
        &self,
        principal: Principal,
        req: pb::ListReviewQueueRequest,
    ) -> Result<pb::ListReviewQueueResponse, ApiError> {
        let caller = self.caller("ListReviewQueue", principal).await?;
        let of = queue_of(&caller);
        let page = req.page.unwrap_or_default();
        let size = paging::page_size(page.page_size)?;
        let after = paging::decode_token(&page.page_token)?
            .map(|cursor| {
                cursor
                    .split_once('|')
                    .and_then(|(due, id)| Some((due.to_owned(), Uuid::parse_str(id).ok()?)))
                    .ok_or_else(not_our_token)
            })
            .transpose()?;
        let today = self.today();
        let mut rows = queries::review_queue(self.db(), of, after, size + 1).await?;
        let more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => {
                paging::encode_token(&format!("{}|{}", last.determination_due_on, last.id))
            }
            _ => String::new(),
        };
        Ok(pb::ListReviewQueueResponse {
            claims: rows
                .iter()
                .map(|row| views::summary(row, &today))
                .collect::<Result<_, _>>()?,
            page: Some(gigshield_proto::common::PageResponse { next_page_token }),
        })
    }

    pub(super) async fn list_awaiting_parameters(
        &self,
        principal: Principal,
        req: pb::ListAwaitingParametersRequest,
    ) -> Result<pb::ListAwaitingParametersResponse, ApiError> {
        let caller = self.caller("ListAwaitingParameters", principal).await?;
        let of = queue_of(&caller);
        let page = req.page.unwrap_or_default();
        let size = paging::page_size(page.page_size)?;
        let after = paging::decode_token(&page.page_token)?
            .map(|cursor| Uuid::parse_str(&cursor).map_err(|_| not_our_token()))
            .transpose()?;
        let today = self.today();
        let mut rows = queries::awaiting_parameters(self.db(), of, after, size + 1).await?;
        let more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => paging::encode_token(&last.id.to_string()),
            _ => String::new(),
        };
        Ok(pb::ListAwaitingParametersResponse {
            claims: rows
                .iter()
                .map(|row| views::summary(row, &today))
                .collect::<Result<_, _>>()?,
            page: Some(gigshield_proto::common::PageResponse { next_page_token }),
        })
    }

    pub(super) async fn decide(
        &self,
        principal: Principal,
        req: pb::DecideRequest,
    ) -> Result<pb::DecideResponse, ApiError> {
        let caller = self.caller("Decide", principal).await?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "Decide", &req)?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        let note = text("note", &req.note, false)?;
        let decision = match pb::ClaimStatus::try_from(req.decision) {
            Ok(pb::ClaimStatus::Confirmed) => {
                if req.refusal_reason != pb::RefusalReason::Unspecified as i32 {
                    return Err(ApiError::invalid(
                        "refusal_reason",
                        "must be empty when confirming",
                    ));
                }
                HumanDecision::Confirm
            }
            Ok(pb::ClaimStatus::Refused) => {
                HumanDecision::Refuse(refusal_from_pb(req.refusal_reason).ok_or_else(|| {
                    ApiError::invalid(
                        "refusal_reason",
                        "a refusal needs a reason from the RefusalReason list",
                    )
                })?)
            }
            _ => {
                return Err(ApiError::invalid(
                    "decision",
                    "must be CLAIM_STATUS_CONFIRMED or CLAIM_STATUS_REFUSED",
                ));
            }
        };
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let mut row = visible_claim(&caller, &txn, id, true).await?;
            let status = lifecycle::decide(records::status(&row)?, decision)
                .map_err(|e| ApiError::FailedPrecondition(e.0))?;
            let now = self.writer.now();
            let actor = caller.principal.actor();
            let refusal_reason = match decision {
                HumanDecision::Confirm => None,
                HumanDecision::Refuse(reason) => Some(reason),
            };
            row.status = status.as_str().into();
            row.updated_at = now;
            records::set_decision(
                &mut row,
                &DecisionRecord {
                    status,
                    refusal_reason,
                    automatic: false,
                    decided_by: actor.clone(),
                    decided_at: now,
                    note: note.clone(),
                },
                self.vault(),
            )?;
            queries::update_claim(&txn, row.clone()).await?;
            let (action, detail, event) = match refusal_reason {
                None => {
                    let order_id = records::liability(&row)?.map(|l| l.order_id);
                    (
                        HistoryAction::Confirmed,
                        note.clone(),
                        ev::claim_confirmed(&row, order_id, false, None),
                    )
                }
                Some(reason) => (
                    HistoryAction::Refused,
                    format!("{}: {note}", reason.as_str()),
                    ev::claim_refused(&row, reason.as_str()),
                ),
            };
            self.add_history(&txn, id, now, &actor, action, detail)
                .await?;
            ev::emit(&txn, &self.settings.topic, &row, event, now).await?;
            tracing::info!(claim_id = %id, status = status.as_str(), "claim decided");
            Ok(pb::DecideResponse {
                claim: Some(self.view(&txn, &row, access::detail(&caller)).await?),
            })
        })?;
        self.committed();
        Ok(response)
    }

    pub(super) async fn request_information(
        &self,
        principal: Principal,
        req: pb::RequestInformationRequest,
    ) -> Result<pb::RequestInformationResponse, ApiError> {
        let caller = self.caller("RequestInformation", principal).await?;
        let key = IdempotencyKey::new(
            &caller.principal,
            &req.request_id,
            "RequestInformation",
            &req,
        )?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        let question = text("question", &req.question, true)?;
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let mut row = visible_claim(&caller, &txn, id, true).await?;
            let status: ClaimStatus = lifecycle::request_information(records::status(&row)?)
                .map_err(|e| ApiError::FailedPrecondition(e.0))?;
            let now = self.writer.now();
            row.status = status.as_str().into();
            row.updated_at = now;
            queries::update_claim(&txn, row.clone()).await?;
            self.add_history(
                &txn,
                id,
                now,
                &caller.principal.actor(),
                HistoryAction::InformationRequested,
                question.clone(),
            )
            .await?;
            // The question stays in the history: events carry no free text.
            ev::emit(
                &txn,
                &self.settings.topic,
                &row,
                ev::claim_routed(&row, records::reasons(&row), "INFORMATION_REQUESTED"),
                now,
            )
            .await?;
            Ok(pb::RequestInformationResponse {
                claim: Some(self.view(&txn, &row, access::detail(&caller)).await?),
            })
        })?;
        self.committed();
        Ok(response)
    }
}

/// Whose queue a caller sees: an insurer's routed claims, else the claims of the caller's area.
pub(super) fn queue_of(caller: &Caller) -> QueueOf {
    let role = &caller.principal.role;
    match role.insurer() {
        Some(insurer) => QueueOf::Insurer(insurer),
        None => QueueOf::Area(role.jurisdiction().and_then(|j| j.sql_patterns())),
    }
}

fn not_our_token() -> ApiError {
    ApiError::invalid("page.page_token", "is not a token this service issued")
}
