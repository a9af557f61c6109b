//! FileApplication (职业伤害确认申请): one per incident, late only with an explanation.

use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Principal, wire};
use gigshield_proto::incident as pb;

use super::changes::about;
use super::{IncidentApi, convert};
use crate::domain::access;
use crate::domain::deadline;
use crate::domain::lifecycle::IncidentStatus;
use crate::domain::text::free_text;
use crate::events::{self, Filed};
use crate::store::{application, queries, records};

impl IncidentApi {
    pub(super) async fn file_application(
        &self,
        principal: Principal,
        req: pb::FileApplicationRequest,
    ) -> Result<pb::FileApplicationResponse, ApiError> {
        let acting = self.acting("FileApplication", principal).await?;
        let key = IdempotencyKey::new(
            &acting.caller.principal,
            &req.request_id,
            "FileApplication",
            &req,
        )?;
        let id = wire::uuid("incident_id", &req.incident_id)?;
        let explanation = free_text(&req.late_explanation, self.max_text(), false)
            .map_err(|e| ApiError::invalid("late_explanation", e.to_string()))?;

        // A retry after the deadline passed, or of an application that succeeded, replays the
        // first answer before any state check.
        gigshield_kit::write!(self.writer, key, |txn| {
            let locked = self.locked(&acting, &txn, id).await?;
            let filer = access::filer(acting.actor(&locked.parties())?)?;
            let filer_kind = deadline::filer_of(filer.kind).ok_or_else(|| {
                ApiError::PermissionDenied("operators do not file applications".into())
            })?;
            match locked.status {
                IncidentStatus::ApplicationFiled => {
                    return Err(ApiError::AlreadyExists(
                        "incident_id: an application was already filed for this incident".into(),
                    ));
                }
                status => status
                    .require_fileable()
                    .map_err(|m| ApiError::FailedPrecondition(format!("incident_id: {m}")))?,
            }
            let mut row = locked.row;
            let current = queries::revision(&txn, id, row.revision)
                .await?
                .ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!("incident {id} lost its facts"))
                })?;
            let facts = records::facts(&current, &self.vault)?;
            let now = self.writer.now();
            let rules = self.calendar.current(&txn).await?;
            let timeliness = deadline::assess(&rules, filer_kind, facts.occurred_at, now);
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
                    late_explanation_sealed: self
                        .vault
                        .seal_text(explanation.expose(), records::LATE_EXPLANATION),
                },
            )
            .await?;
            let mut platform_disputes: Vec<String> = queries::statements(&txn, id)
                .await?
                .iter()
                .flat_map(|s| {
                    s.disputes
                        .split(',')
                        .filter(|d| !d.is_empty())
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect();
            platform_disputes.sort();
            platform_disputes.dedup();
            row.status = IncidentStatus::ApplicationFiled.as_str().to_string();
            row.updated_at = now;
            queries::update_incident(&txn, row.clone()).await?;
            gigshield_kit::outbox::enqueue(
                &txn,
                events::application_filed(
                    &self.settings.topic,
                    Filed {
                        about: &about(&row),
                        facts: &facts,
                        filed_by: &filer,
                        filed_at: now,
                        timeliness,
                        has_late_explanation,
                        reported_at: row.reported_at,
                        evidence_count: row.evidence_count,
                        outside_platform_provinces: row.outside_platform_provinces,
                        platform_disputes,
                    },
                ),
            )
            .await?;
            tracing::info!(
                incident_id = %id,
                by = filer.kind.as_str(),
                late = timeliness.late,
                days_after_accident = timeliness.days_after_accident,
                "application filed"
            );
            Ok(pb::FileApplicationResponse {
                incident: Some(self.answer(&acting, &txn, row).await?),
            })
        })
    }
}
