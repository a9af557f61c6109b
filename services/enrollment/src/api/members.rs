//! Reading memberships and persons, and ending memberships.

use std::collections::HashMap;

use chrono::NaiveDate;
use gigshield_kit::access::{self, Subject};
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::replica::assignments;
use gigshield_kit::{ApiError, Caller, Jurisdiction, Principal, Role, Scope, paging, wire};
use gigshield_proto::enrollment as pb;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::workers::Registered;
use super::{EnrollmentApi, views};
use crate::domain::deregistration::{self, Activity, Refusal, Requester};
use crate::events;
use crate::store::queries::{self, StatusFilter};
use crate::store::{membership, person};

/// What ties a person's records to callers: the person, their memberships' platforms and
/// regions, and — only when the caller's scope needs them — the insurers of their cases.
async fn person_subject(
    conn: &impl ConnectionTrait,
    caller: &Caller,
    person_id: Uuid,
    memberships: &[membership::Model],
) -> Result<Subject, ApiError> {
    let insurers = if caller.scope == Scope::Assigned {
        assignments::insurers_of_person(conn, person_id).await?
    } else {
        Vec::new()
    };
    Ok(memberships
        .iter()
        .fold(Subject::default().person(person_id), |s, m| {
            s.platform(m.platform_id).region(m.region_code.clone())
        })
        .insurers(insurers))
}

impl EnrollmentApi {
    /// The membership and its person, when the caller may see them; otherwise the answer is
    /// the same as for a membership that does not exist.
    async fn visible_membership(
        &self,
        caller: &Caller,
        conn: &impl ConnectionTrait,
        worker_id: Uuid,
    ) -> Result<Registered, ApiError> {
        let m = queries::membership(conn, worker_id)
            .await?
            .ok_or_else(|| access::hidden("worker"))?;
        let subject = person_subject(conn, caller, m.person_id, std::slice::from_ref(&m)).await?;
        caller.visible(&subject, "worker")?;
        let p = queries::person(conn, m.person_id).await?.ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("membership {} without person", m.id))
        })?;
        Ok((m, p))
    }

    pub(super) async fn get_worker(
        &self,
        principal: Principal,
        req: pb::GetWorkerRequest,
    ) -> Result<pb::GetWorkerResponse, ApiError> {
        let caller = self.caller("GetWorker", principal).await?;
        let id = wire::uuid("worker_id", &req.worker_id)?;
        let (m, p) = self.visible_membership(&caller, self.db(), id).await?;
        Ok(pb::GetWorkerResponse {
            worker: Some(views::worker(&m, &p, &caller.principal, &self.vault)?),
        })
    }

    pub(super) async fn list_workers(
        &self,
        principal: Principal,
        req: pb::ListWorkersRequest,
    ) -> Result<pb::ListWorkersResponse, ApiError> {
        let caller = self.caller("ListWorkers", principal).await?;
        let platform_id = wire::uuid("platform_id", &req.platform_id)?;
        let area = match &caller.principal.role {
            Role::Platform { .. } => {
                caller.require(&Subject::default().platform(platform_id))?;
                Jurisdiction::National
            }
            role => role
                .jurisdiction()
                .cloned()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("admitted without area")))?,
        };
        let status = match pb::WorkerStatus::try_from(req.status) {
            Ok(pb::WorkerStatus::Unspecified) => StatusFilter::Any,
            Ok(pb::WorkerStatus::Active) => StatusFilter::Active,
            Ok(pb::WorkerStatus::Deregistered) => StatusFilter::Deregistered,
            Err(_) => {
                return Err(ApiError::invalid(
                    "status",
                    format!("unknown status {}", req.status),
                ));
            }
        };
        let page = paging::PageQuery::from_request(req.page.as_ref())?;
        let mut rows = queries::list_memberships(
            self.db(),
            platform_id,
            &area,
            status,
            page.after,
            page.fetch(),
        )
        .await?;
        let next = page.finish(&mut rows, |r| r.id);
        let person_ids: Vec<Uuid> = rows.iter().map(|m| m.person_id).collect();
        let persons: HashMap<Uuid, person::Model> = queries::persons(self.db(), &person_ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let workers = rows
            .iter()
            .map(|m| {
                let p = persons
                    .get(&m.person_id)
                    .ok_or_else(|| ApiError::internal(anyhow::anyhow!("person missing")))?;
                views::worker(m, p, &caller.principal, &self.vault)
            })
            .collect::<Result<_, _>>()?;
        Ok(pb::ListWorkersResponse {
            workers,
            page: Some(next),
        })
    }

    pub(super) async fn deregister_worker(
        &self,
        principal: Principal,
        req: pb::DeregisterWorkerRequest,
    ) -> Result<pb::DeregisterWorkerResponse, ApiError> {
        let caller = self.caller("DeregisterWorker", principal).await?;
        let key =
            IdempotencyKey::new(&caller.principal, &req.request_id, "DeregisterWorker", &req)?;
        let id = wire::uuid("worker_id", &req.worker_id)?;
        let requested = wire::datetime("effective_at", req.effective_at.as_ref())?;
        let requester = match caller.principal.role {
            Role::Platform { .. } => Requester::Platform,
            _ => Requester::Operator,
        };
        gigshield_kit::write!(self.writer, key, |txn| {
            let (mut m, p) = self.visible_membership(&caller, &txn, id).await?;
            if m.deregistered_at.is_some() {
                return Err(ApiError::FailedPrecondition(
                    "the worker is already deregistered".into(),
                ));
            }
            let activity = queries::activity(&txn, m.person_id, m.platform_id)
                .await?
                .map(|a| Activity {
                    last_order_date: a
                        .last_order_date
                        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                    last_incident_at: a.last_incident_at,
                })
                .unwrap_or_default();
            let at = deregistration::effective_instant(
                &deregistration::Request {
                    requester,
                    effective_at: requested,
                    reason: &req.reason,
                },
                m.registered_at,
                activity,
                self.writer.now(),
                chrono::Duration::from_std(self.clock_skew).unwrap_or_default(),
            )
            .map_err(|refusal| match refusal {
                Refusal::Invalid { field, description } => ApiError::invalid(field, description),
                Refusal::Erases(why) => ApiError::FailedPrecondition(why),
            })?;
            let reason = self
                .vault
                .seal_text(req.reason.trim(), views::DEREGISTRATION_REASON_CONTEXT);
            let by = caller.principal.actor();
            if !queries::end_membership(&txn, id, at, reason.clone(), &by).await? {
                return Err(ApiError::Aborted(
                    "the membership changed concurrently; retry".into(),
                ));
            }
            m.deregistered_at = Some(at);
            m.deregistration_reason_sealed = reason;
            m.deregistered_by = Some(by);
            gigshield_kit::outbox::enqueue(&txn, events::worker_deregistered(&self.topic, &m))
                .await?;
            Ok(pb::DeregisterWorkerResponse {
                worker: Some(views::worker(&m, &p, &caller.principal, &self.vault)?),
            })
        })
    }

    pub(super) async fn get_person(
        &self,
        principal: Principal,
        req: pb::GetPersonRequest,
    ) -> Result<pb::GetPersonResponse, ApiError> {
        let caller = self.caller("GetPerson", principal).await?;
        let id = wire::uuid("person_id", &req.person_id)?;
        let p = queries::person(self.db(), id)
            .await?
            .ok_or_else(|| access::hidden("person"))?;
        let memberships = queries::memberships_of_person(self.db(), id).await?;
        let subject = person_subject(self.db(), &caller, id, &memberships).await?;
        caller.visible(&subject, "person")?;
        Ok(pb::GetPersonResponse {
            person: Some(views::person(
                &p,
                &memberships,
                &caller.principal,
                &self.vault,
            )?),
        })
    }

    /// A person's records as seen by an operator or the person: for the delegation RPCs.
    pub(super) async fn visible_person(
        &self,
        caller: &Caller,
        conn: &impl ConnectionTrait,
        person_id: Uuid,
    ) -> Result<person::Model, ApiError> {
        let p = queries::person(conn, person_id)
            .await?
            .ok_or_else(|| access::hidden("person"))?;
        let memberships = queries::memberships_of_person(conn, person_id).await?;
        let subject = person_subject(conn, caller, person_id, &memberships).await?;
        caller.visible(&subject, "person")?;
        Ok(p)
    }
}
