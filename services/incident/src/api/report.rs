//! ReportIncident (事故备案): the first notice of an accident.

use gigshield_kit::access::Subject;
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::replica::memberships;
use gigshield_kit::{ApiError, Principal, Role, Violations};
use gigshield_proto::incident as pb;
use uuid::Uuid;

use super::{
    Acting, IncidentApi, add_prefixed, convert, failed_precondition, optional_uuid,
    outside_platform_provinces, views,
};
use crate::domain::actor::{Actor, ActorKind};
use crate::domain::facts;
use crate::domain::lifecycle::IncidentStatus;
use crate::domain::subject::{self, SubjectRef};
use crate::events::{self, About, Reported};
use crate::store::records::{self, NewRevision};
use crate::store::{incident, queries};

impl IncidentApi {
    /// How the request names the injured worker, for this caller. A platform reports only its
    /// own workers; a worker names a person — itself by default, or a person who delegated to
    /// it — never a platform's external id (that would let anyone probe a platform's ids).
    fn subject_ref(
        acting: &Acting,
        req: &pb::ReportIncidentRequest,
        v: &mut Violations,
    ) -> Result<Option<SubjectRef>, ApiError> {
        let person_id = optional_uuid(v, "person_id", &req.person_id);
        let platform_id = optional_uuid(v, "platform_id", &req.platform_id);
        let external = req.external_worker_id.trim();
        match acting.caller.principal.role {
            Role::Platform { platform_id: own } => {
                if platform_id.is_some_and(|p| p != own) {
                    return Err(ApiError::PermissionDenied(
                        "platform_id: a platform reports incidents of its own workers only".into(),
                    ));
                }
                if !external.is_empty() {
                    Ok(Some(SubjectRef::External {
                        platform_id: own,
                        external_worker_id: external.to_string(),
                        person_id,
                    }))
                } else if let Some(person_id) = person_id {
                    Ok(Some(SubjectRef::Person {
                        person_id,
                        platform_id: Some(own),
                    }))
                } else {
                    v.add(
                        "external_worker_id",
                        "is required: name the worker by external_worker_id (or person_id)",
                    );
                    Ok(None)
                }
            }
            Role::Worker { person_id: own } => {
                if !external.is_empty() {
                    v.add(
                        "external_worker_id",
                        "is the platform's id: a worker names the person (person_id)",
                    );
                    return Ok(None);
                }
                let person_id = person_id.unwrap_or(own);
                acting
                    .caller
                    .require(&Subject::default().person(person_id))?;
                Ok(Some(SubjectRef::Person {
                    person_id,
                    platform_id,
                }))
            }
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "admitted a role that cannot report"
            ))),
        }
    }

    /// The reporter as recorded: the platform, the worker, or a relative under delegation.
    fn reporter(
        acting: &Acting,
        subject_person: Uuid,
        stated: Option<crate::domain::actor::Relationship>,
    ) -> Result<Actor, ApiError> {
        let principal = &acting.caller.principal;
        match principal.role {
            Role::Platform { platform_id } => Ok(Actor::platform(&principal.subject, platform_id)),
            Role::Worker { person_id } => {
                let (kind, relationship) = subject::worker_capacity(
                    person_id,
                    subject_person,
                    stated,
                    acting.relationship_to(subject_person),
                )
                .map_err(|e| ApiError::invalid(e.field, e.description))?;
                Ok(match (kind, relationship) {
                    (ActorKind::CloseRelative, Some(r)) => {
                        Actor::close_relative(&principal.subject, person_id, r)
                    }
                    _ => Actor::worker(&principal.subject, person_id),
                })
            }
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "admitted a role that cannot report"
            ))),
        }
    }

    pub(super) async fn report_incident(
        &self,
        principal: Principal,
        req: pb::ReportIncidentRequest,
    ) -> Result<pb::ReportIncidentResponse, ApiError> {
        let acting = self.acting("ReportIncident", principal).await?;
        let key = IdempotencyKey::new(
            &acting.caller.principal,
            &req.request_id,
            "ReportIncident",
            &req,
        )?;

        let mut v = Violations::new();
        let relationship = convert::relationship_in(&mut v, "relationship", req.relationship);
        let channel = convert::channel_in(&mut v, "channel", req.channel);
        let input = convert::facts_in(&mut v, "facts.", req.facts.as_ref());
        let reference = Self::subject_ref(&acting, &req, &mut v)?;
        v.into_result()?;

        let now = self.writer.now();
        let mut v = Violations::new();
        if channel.is_none() {
            v.add("channel", "is required");
        }
        if matches!(acting.caller.principal.role, Role::Platform { .. }) && relationship.is_some() {
            v.add(
                "relationship",
                "is stated by close relatives only; a platform reports for its worker",
            );
        }
        let facts = match facts::validate(&input, &self.settings.facts, now) {
            Ok(facts) => Some(facts),
            Err(violations) => {
                add_prefixed(&mut v, "facts.", violations);
                None
            }
        };
        v.into_result()?;
        let (Some(facts), Some(channel), Some(reference)) = (facts, channel, reference) else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "validated report lacks a value"
            )));
        };

        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let memberships = match &reference {
                SubjectRef::External {
                    platform_id,
                    external_worker_id,
                    ..
                } => memberships::by_external(&txn, *platform_id, external_worker_id).await?,
                SubjectRef::Person { person_id, .. } => {
                    memberships::of_person(&txn, *person_id).await?
                }
            };
            let subject = subject::resolve(&reference, &memberships, facts.occurred_at)
                .map_err(failed_precondition)?;
            let reporter = Self::reporter(&acting, subject.person_id, relationship)?;
            let outside_platform_provinces =
                outside_platform_provinces(&txn, subject.platform_id, &facts).await?;
            let row = reported_row(
                &subject,
                &reporter,
                channel,
                &facts,
                outside_platform_provinces,
                now,
            );
            let revision = records::revision_row(
                NewRevision {
                    incident_id: row.id,
                    revision: 0,
                    facts: &facts,
                    changed: &[],
                    reason: None,
                    author: &reporter,
                    at: now,
                },
                &self.vault,
            );
            queries::insert_incident(&txn, row.clone()).await?;
            queries::insert_revision(&txn, revision.clone()).await?;
            let about = About {
                incident_id: row.id,
                person_id: row.person_id,
                platform_id: row.platform_id,
                external_worker_id: row.external_worker_id.clone(),
            };
            gigshield_kit::outbox::enqueue(
                &txn,
                events::incident_reported(
                    &self.settings.topic,
                    Reported {
                        about: &about,
                        reported_by: &reporter,
                        channel,
                        facts: &facts,
                        reported_at: now,
                        outside_platform_provinces,
                    },
                ),
            )
            .await?;
            Ok(pb::ReportIncidentResponse {
                incident: Some(views::incident(
                    &views::Loaded {
                        row,
                        revisions: vec![revision],
                        evidence: Vec::new(),
                        application: None,
                        statements: Vec::new(),
                    },
                    views::Audience::of(&acting.caller.principal.role),
                    &self.vault,
                )?),
            })
        })?;
        if let Some(incident) = &response.incident {
            tracing::info!(incident_id = %incident.incident_id, "incident reported");
        }
        Ok(response)
    }
}

/// The incident as first reported: revision 0 with the reported facts.
fn reported_row(
    subject: &subject::Subject,
    reporter: &Actor,
    channel: crate::domain::facts::Channel,
    facts: &facts::Facts,
    outside_platform_provinces: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> incident::Model {
    let mut row = incident::Model {
        id: Uuid::now_v7(),
        person_id: subject.person_id,
        platform_id: subject.platform_id,
        external_worker_id: subject.external_worker_id.clone(),
        reported_by: reporter.to_json(),
        reporter_kind: reporter.kind.as_str().to_string(),
        reporter_person_id: reporter.person_id,
        channel: channel.as_str().to_string(),
        status: IncidentStatus::Reported.as_str().to_string(),
        reported_at: now,
        revision: 0,
        occurred_at: facts.occurred_at,
        region_code: String::new(),
        category: String::new(),
        worker_fault_share: None,
        severity: String::new(),
        evidence_count: 0,
        outside_platform_provinces,
        updated_at: now,
        withdrawn_at: None,
        withdrawn_by: None,
        withdrawal_reason_sealed: None,
    };
    records::set_current_facts(&mut row, facts);
    row
}
