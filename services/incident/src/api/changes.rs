//! AmendIncident, AttachEvidence, WithdrawIncident: changes to a reported incident. Each locks
//! the incident row first, so concurrent changes queue up and their events keep their order.

use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Principal, Violations, wire};
use gigshield_proto::incident as pb;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{Acting, IncidentApi, add_prefixed, convert, load, outside_platform_provinces, views};
use crate::domain::access;
use crate::domain::amendment::{self, FactField};
use crate::domain::evidence::{self, EvidenceInput};
use crate::domain::facts;
use crate::domain::text::free_text;
use crate::events::{self, About};
use crate::store::records::{self, NewRevision};
use crate::store::{evidence as evidence_row, incident, queries};

pub(super) fn about(row: &incident::Model) -> About {
    About {
        incident_id: row.id,
        person_id: row.person_id,
        platform_id: row.platform_id,
        external_worker_id: row.external_worker_id.clone(),
    }
}

impl IncidentApi {
    /// The answer every change gives: the incident as the caller may read it.
    pub(super) async fn answer(
        &self,
        acting: &Acting,
        txn: &DatabaseTransaction,
        row: incident::Model,
    ) -> Result<pb::Incident, ApiError> {
        views::incident(
            &load(txn, row).await?,
            views::Audience::of(&acting.caller.principal.role),
            &self.vault,
        )
    }

    pub(super) async fn amend_incident(
        &self,
        principal: Principal,
        req: pb::AmendIncidentRequest,
    ) -> Result<pb::AmendIncidentResponse, ApiError> {
        let acting = self.acting("AmendIncident", principal).await?;
        let key = IdempotencyKey::new(
            &acting.caller.principal,
            &req.request_id,
            "AmendIncident",
            &req,
        )?;
        let id = wire::uuid("incident_id", &req.incident_id)?;
        let mut v = Violations::new();
        let input = convert::facts_in(&mut v, "facts.", req.facts.as_ref());
        let paths = req
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        let fields = amendment::parse_mask(&paths)
            .map_err(|e| v.add(e.field, e.description))
            .ok();
        let reason = free_text(&req.reason, self.max_text(), true)
            .map_err(|e| v.add("reason", e.to_string()))
            .ok();
        v.into_result()?;
        let (Some(fields), Some(reason)) = (fields, reason) else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "validated amendment lacks a value"
            )));
        };

        gigshield_kit::write!(self.writer, key, |txn| {
            let locked = self.locked(&acting, &txn, id).await?;
            let actor = access::amender(acting.actor(&locked.parties())?, &locked.parties())?;
            locked
                .status
                .require_open()
                .map_err(|m| ApiError::FailedPrecondition(m.into()))?;
            let mut row = locked.row;
            let current = queries::revision(&txn, id, row.revision)
                .await?
                .ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!("incident {id} lost its facts"))
                })?;
            let current = records::facts(&current, &self.vault)?;
            let now = self.writer.now();
            let merged = amendment::merge(&current, &input, &fields);
            let after =
                facts::validate(&merged, &self.settings.facts, now).map_err(|violations| {
                    let mut v = Violations::new();
                    add_prefixed(&mut v, "facts.", violations);
                    v.into_result().err().unwrap_or_else(|| {
                        ApiError::internal(anyhow::anyhow!("refused without a violation"))
                    })
                })?;
            let changed: Vec<FactField> = amendment::changed(&current, &after);
            if changed.is_empty() {
                return Err(ApiError::invalid(
                    "update_mask",
                    "changes nothing: the new values equal the current ones",
                ));
            }
            let number = row.revision + 1;
            queries::insert_revision(
                &txn,
                records::revision_row(
                    NewRevision {
                        incident_id: id,
                        revision: number,
                        facts: &after,
                        changed: &changed,
                        reason: Some(&reason),
                        author: &actor,
                        at: now,
                    },
                    &self.vault,
                ),
            )
            .await?;
            if changed
                .iter()
                .any(|f| matches!(f, FactField::Place | FactField::OccurredAt))
            {
                row.outside_platform_provinces =
                    outside_platform_provinces(&txn, row.platform_id, &after).await?;
            }
            row.revision = number;
            records::set_current_facts(&mut row, &after);
            row.updated_at = now;
            queries::update_incident(&txn, row.clone()).await?;
            gigshield_kit::outbox::enqueue(
                &txn,
                events::incident_amended(
                    &self.settings.topic,
                    events::Amended {
                        about: &about(&row),
                        number,
                        changed: &changed,
                        facts: &after,
                        amended_by: &actor,
                        amended_at: now,
                        outside_platform_provinces: row.outside_platform_provinces,
                    },
                ),
            )
            .await?;
            tracing::info!(
                incident_id = %id,
                amendment = number,
                by = actor.kind.as_str(),
                changed = %changed.iter().map(|f| f.path()).collect::<Vec<_>>().join(","),
                "incident amended"
            );
            Ok(pb::AmendIncidentResponse {
                incident: Some(self.answer(&acting, &txn, row).await?),
            })
        })
    }

    pub(super) async fn attach_evidence(
        &self,
        principal: Principal,
        req: pb::AttachEvidenceRequest,
    ) -> Result<pb::AttachEvidenceResponse, ApiError> {
        let acting = self.acting("AttachEvidence", principal).await?;
        let key = IdempotencyKey::new(
            &acting.caller.principal,
            &req.request_id,
            "AttachEvidence",
            &req,
        )?;
        let id = wire::uuid("incident_id", &req.incident_id)?;
        let inputs: Vec<EvidenceInput<'_>> = req
            .items
            .iter()
            .map(|item| EvidenceInput {
                uri: item.uri.trim(),
                sha256: item.sha256.trim(),
                media_type: item.media_type.trim(),
                size_bytes: item.size_bytes,
            })
            .collect();
        let items = evidence::validate(&inputs, &self.settings.evidence)
            .map_err(ApiError::InvalidArgument)?;

        gigshield_kit::write!(self.writer, key, |txn| {
            let locked = self.locked(&acting, &txn, id).await?;
            let actor = acting.actor(&locked.parties())?;
            locked
                .status
                .require_open()
                .map_err(|m| ApiError::FailedPrecondition(m.into()))?;
            let mut row = locked.row;
            let present = usize::try_from(row.evidence_count).unwrap_or(usize::MAX);
            evidence::check_capacity(present, items.len(), &self.settings.evidence)
                .map_err(ApiError::FailedPrecondition)?;
            let existing = queries::evidence(&txn, id).await?;
            for (i, item) in items.iter().enumerate() {
                if let Some(same) = existing.iter().find(|e| e.sha256 == item.sha256) {
                    return Err(ApiError::AlreadyExists(format!(
                        "items[{i}].sha256: this file is already attached as evidence {}",
                        same.id
                    )));
                }
            }
            let now = self.writer.now();
            let added: Vec<(Uuid, evidence::ValidEvidence)> = items
                .iter()
                .cloned()
                .map(|item| (Uuid::now_v7(), item))
                .collect();
            let added_by = actor.to_json();
            queries::insert_evidence(
                &txn,
                added
                    .iter()
                    .map(|(evidence_id, item)| evidence_row::Model {
                        id: *evidence_id,
                        incident_id: id,
                        uri: item.uri.clone(),
                        sha256: item.sha256.clone(),
                        media_type: item.media_type.clone(),
                        size_bytes: item.size_bytes,
                        added_by: added_by.clone(),
                        added_at: now,
                    })
                    .collect(),
            )
            .await?;
            let count = i32::try_from(added.len()).unwrap_or(i32::MAX);
            row.evidence_count = row.evidence_count.saturating_add(count);
            row.updated_at = now;
            queries::update_incident(&txn, row.clone()).await?;
            gigshield_kit::outbox::enqueue(
                &txn,
                events::evidence_attached(
                    &self.settings.topic,
                    &about(&row),
                    &added,
                    &actor,
                    now,
                    row.evidence_count,
                ),
            )
            .await?;
            tracing::info!(incident_id = %id, added = count, by = actor.kind.as_str(), "evidence attached");
            Ok(pb::AttachEvidenceResponse {
                incident: Some(self.answer(&acting, &txn, row).await?),
            })
        })
    }

    pub(super) async fn withdraw_incident(
        &self,
        principal: Principal,
        req: pb::WithdrawIncidentRequest,
    ) -> Result<pb::WithdrawIncidentResponse, ApiError> {
        let acting = self.acting("WithdrawIncident", principal).await?;
        let key = IdempotencyKey::new(
            &acting.caller.principal,
            &req.request_id,
            "WithdrawIncident",
            &req,
        )?;
        let id = wire::uuid("incident_id", &req.incident_id)?;
        let reason = free_text(&req.reason, self.max_text(), true)
            .map_err(|e| ApiError::invalid("reason", e.to_string()))?;

        gigshield_kit::write!(self.writer, key, |txn| {
            let locked = self.locked(&acting, &txn, id).await?;
            let application = queries::application(&txn, id).await?;
            let applicant = application.as_ref().map(records::applicant).transpose()?;
            let actor = access::withdrawer(
                acting.actor(&locked.parties())?,
                &locked.parties(),
                applicant.as_ref(),
            )?;
            locked
                .status
                .require_open()
                .map_err(|m| ApiError::FailedPrecondition(m.into()))?;
            let mut row = locked.row;
            let now = self.writer.now();
            row.status = crate::domain::lifecycle::IncidentStatus::Withdrawn
                .as_str()
                .to_string();
            row.withdrawn_at = Some(now);
            row.withdrawn_by = Some(actor.to_json());
            row.withdrawal_reason_sealed = self
                .vault
                .seal_text(reason.expose(), records::WITHDRAWAL_REASON);
            row.updated_at = now;
            queries::update_incident(&txn, row.clone()).await?;
            gigshield_kit::outbox::enqueue(
                &txn,
                events::incident_withdrawn(
                    &self.settings.topic,
                    &about(&row),
                    &actor,
                    now,
                    application.is_some(),
                ),
            )
            .await?;
            tracing::info!(incident_id = %id, by = actor.kind.as_str(), "incident withdrawn");
            Ok(pb::WithdrawIncidentResponse {
                incident: Some(self.answer(&acting, &txn, row).await?),
            })
        })
    }
}
