//! FileApplication (职业伤害确认申请): one per incident, late only with an explanation.

use chrono::Utc;
use gigshield_kit::idempotency::{IdempotencyKey, is_unique_violation};
use gigshield_kit::{ApiError, Principal, RoleKind, wire};
use gigshield_proto::incident as pb;
use sea_orm::TransactionTrait;

use super::{IncidentApi, convert, load, not_found, views};
use crate::domain::access::{self, Parties};
use crate::domain::deadline::{self, FilerKind};
use crate::domain::lifecycle::IncidentStatus;
use crate::domain::text::free_text;
use crate::events::{self, About, Filed};
use crate::store::{application, queries, records};

impl IncidentApi {
    pub(super) async fn file_application(
        &self,
        principal: Principal,
        req: pb::FileApplicationRequest,
    ) -> Result<pb::FileApplicationResponse, ApiError> {
        principal.require_any(&[RoleKind::Platform, RoleKind::Worker])?;
        let key = IdempotencyKey::new(&principal, &req.request_id, "FileApplication", &req)?;
        let id = wire::uuid("incident_id", &req.incident_id)?;
        let explanation = free_text(&req.late_explanation, self.max_text(), false)
            .map_err(|e| ApiError::invalid("late_explanation", e.to_string()))?;

        let txn = self.db.begin().await?;
        // Before any state check: a retry after the deadline passed, or of an application that
        // succeeded, gets the first answer.
        if let Some(previous) = key.replay(&txn).await? {
            return Ok(previous);
        }
        let mut row = queries::incident_for_update(&txn, id)
            .await?
            .ok_or_else(not_found)?;
        let reporter = records::actor(&row.reported_by)?;
        let parties = Parties {
            person_id: row.person_id,
            platform_id: row.platform_id,
            reported_by: &reporter,
        };
        let filer = access::filer(&principal, &parties)?;
        let filer_kind = FilerKind::of(filer.kind).ok_or_else(|| {
            ApiError::PermissionDenied("operators do not file applications".into())
        })?;
        match records::status(&row)? {
            IncidentStatus::ApplicationFiled => {
                return Err(ApiError::AlreadyExists(
                    "incident_id: an application was already filed for this incident".into(),
                ));
            }
            status => status
                .require_fileable()
                .map_err(|m| ApiError::FailedPrecondition(format!("incident_id: {m}")))?,
        }
        let current = queries::revision(&txn, id, row.revision)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("incident {id} lost its facts")))?;
        let facts = records::facts(&current)?;
        let now = Utc::now();
        let timeliness =
            deadline::assess(&self.settings.deadlines, filer_kind, facts.occurred_at, now);
        if timeliness.late && explanation.is_empty() {
            return Err(ApiError::FailedPrecondition(format!(
                "late_explanation: {}",
                timeliness.late_refusal(filer_kind)
            )));
        }
        let has_late_explanation = !explanation.is_empty();
        queries::insert_application(
            &txn,
            application::Model {
                incident_id: id,
                filed_by: filer.to_json(),
                filed_at: now,
                deadline_days: convert::days(timeliness.deadline_days),
                days_after_accident: convert::days(timeliness.days_after_accident),
                late: timeliness.late,
                late_explanation: has_late_explanation.then(|| explanation.into_inner()),
            },
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::AlreadyExists(
                    "incident_id: an application was already filed for this incident".into(),
                )
            } else {
                e.into()
            }
        })?;
        row.status = IncidentStatus::ApplicationFiled.as_str().to_string();
        row.updated_at = now;
        queries::update_incident(&txn, row.clone()).await?;
        let about = About {
            incident_id: row.id,
            person_id: row.person_id,
            platform_id: row.platform_id,
            external_worker_id: row.external_worker_id.clone(),
        };
        gigshield_kit::outbox::enqueue(
            &txn,
            events::application_filed(
                &self.settings.topic,
                Filed {
                    about: &about,
                    facts: &facts,
                    filed_by: &filer,
                    filed_at: now,
                    timeliness,
                    has_late_explanation,
                    reported_at: row.reported_at,
                    evidence_count: row.evidence_count,
                    outside_platform_provinces: row.outside_platform_provinces,
                },
            ),
        )
        .await?;
        let response = pb::FileApplicationResponse {
            incident: Some(views::incident(&load(&txn, row).await?)?),
        };
        key.record(&txn, &response).await?;
        txn.commit().await?;
        self.outbox.notify();
        tracing::info!(
            incident_id = %id,
            by = filer.kind.as_str(),
            late = timeliness.late,
            days_after_accident = timeliness.days_after_accident,
            "application filed"
        );
        Ok(response)
    }
}
