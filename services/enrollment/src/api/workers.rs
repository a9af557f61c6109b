//! Worker RPCs: register (one or a stream of batches), read, list, deregister, and persons.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use gigshield_kit::error::FieldViolation;
use gigshield_kit::idempotency::{IdempotencyKey, is_unique_violation};
use gigshield_kit::{ApiError, Principal, Role, RoleKind, paging, wire};
use gigshield_proto::enrollment as pb;
use gigshield_scheme::calendar::shanghai_date;
use sea_orm::{DatabaseTransaction, DbErr};
use tonic::Streaming;
use uuid::Uuid;

use super::{EnrollmentApi, views};
use crate::domain::registration::{self, RegistrationInput, ValidRegistration};
use crate::domain::resident_id::Sex;
use crate::events;
use crate::store::queries::{self, StatusFilter};
use crate::store::{membership, person};

/// Registrations per stream message: keeps each batch's statements within the databases'
/// bind-parameter limits and its transaction short.
pub const MAX_BATCH: usize = 1000;
/// A batch that lost a race on a unique index (the same new person registered by another
/// platform at the same moment) is retried; the second attempt sees the winner's rows.
const ATTEMPTS: usize = 3;

type Registered = (membership::Model, person::Model);

impl EnrollmentApi {
    /// `principal` decides whether the membership's start may be dated: operators import a
    /// platform's existing workforce; a platform's registrations begin when received, so a
    /// membership can never be backdated to before an accident by the party that reports it.
    fn validate(
        &self,
        principal: &Principal,
        input: &pb::WorkerRegistration,
    ) -> Result<ValidRegistration, Vec<FieldViolation>> {
        let now = Utc::now();
        let registered_at = match wire::datetime("registered_at", input.registered_at.as_ref()) {
            Ok(at) => at,
            Err(_) => {
                return Err(vec![FieldViolation {
                    field: "registered_at".into(),
                    description: "is not a valid timestamp".into(),
                }]);
            }
        };
        if registered_at.is_some() && !principal.is(RoleKind::Operator) {
            return Err(vec![FieldViolation {
                field: "registered_at".into(),
                description: "only operators may date a membership's start; a platform's registrations begin when received".into(),
            }]);
        }
        registration::validate(
            RegistrationInput {
                external_worker_id: &input.external_worker_id,
                real_name: &input.real_name,
                resident_id: &input.resident_id,
                mobile: &input.mobile,
                region_code: &input.region_code,
                registered_at,
            },
            now,
            shanghai_date(now),
            self.min_age,
        )
    }

    pub(super) async fn register_worker(
        &self,
        principal: Principal,
        req: pb::RegisterWorkerRequest,
    ) -> Result<pb::RegisterWorkerResponse, ApiError> {
        principal.require_any(&[RoleKind::Platform, RoleKind::Operator])?;
        let platform_id = wire::uuid("platform_id", &req.platform_id)?;
        principal.require_platform(platform_id)?;
        let key = IdempotencyKey::new(&principal, &req.request_id, "RegisterWorker", &req)?;
        let valid = self
            .validate(&principal, &req.registration.clone().unwrap_or_default())
            .map_err(|violations| {
                ApiError::InvalidArgument(
                    violations
                        .into_iter()
                        .map(|v| FieldViolation {
                            field: format!("registration.{}", v.field),
                            ..v
                        })
                        .collect(),
                )
            })?;
        for attempt in 1..=ATTEMPTS {
            let txn = gigshield_kit::db::begin_write(&self.db).await?;
            if let Some(previous) = key.replay(&txn).await? {
                return Ok(previous);
            }
            self.require_platform_exists(&txn, platform_id).await?;
            let outcome = match self
                .register_in(&txn, platform_id, std::slice::from_ref(&valid))
                .await
            {
                Err(err) if is_unique_violation(&err) && attempt < ATTEMPTS => continue,
                other => other?.pop().expect("one result per item")?,
            };
            let response = pb::RegisterWorkerResponse {
                worker: Some(views::worker(
                    &outcome.0,
                    &outcome.1,
                    &principal,
                    &self.vault,
                )?),
            };
            key.record(&txn, &response).await?;
            txn.commit().await?;
            self.outbox.notify();
            return Ok(response);
        }
        unreachable!("the last attempt returns")
    }

    pub(super) async fn bulk_register_workers(
        &self,
        principal: Principal,
        mut stream: Streaming<pb::BulkRegisterWorkersRequest>,
    ) -> Result<pb::BulkRegisterWorkersResponse, ApiError> {
        principal.require_any(&[RoleKind::Platform, RoleKind::Operator])?;
        let mut response = pb::BulkRegisterWorkersResponse::default();
        let mut stream_platform: Option<Uuid> = None;
        let mut index: i64 = 0;
        while let Some(batch) = stream.message().await.map_err(|s| {
            ApiError::InvalidArgument(vec![FieldViolation {
                field: "stream".into(),
                description: s.message().to_string(),
            }])
        })? {
            let platform_id = wire::uuid("platform_id", &batch.platform_id)?;
            match stream_platform {
                None => {
                    principal.require_platform(platform_id)?;
                    self.require_platform_exists(&self.db, platform_id).await?;
                    stream_platform = Some(platform_id);
                }
                Some(first) if first != platform_id => {
                    return Err(ApiError::invalid(
                        "platform_id",
                        "must be the same in every message of a stream",
                    ));
                }
                Some(_) => {}
            }
            if batch.registrations.len() > MAX_BATCH {
                return Err(ApiError::invalid(
                    "registrations",
                    format!("at most {MAX_BATCH} per message"),
                ));
            }
            let mut slots: Vec<pb::BulkRegisterWorkersResult> =
                Vec::with_capacity(batch.registrations.len());
            let mut valid = Vec::new();
            let mut valid_slots = Vec::new();
            for item in &batch.registrations {
                let mut slot = pb::BulkRegisterWorkersResult {
                    index,
                    external_worker_id: item.external_worker_id.clone(),
                    ..Default::default()
                };
                index += 1;
                match self.validate(&principal, item) {
                    Ok(v) => {
                        valid_slots.push(slots.len());
                        valid.push(v);
                    }
                    Err(violations) => refuse(&mut slot, &ApiError::InvalidArgument(violations)),
                }
                slots.push(slot);
            }
            let outcomes = self.register_batch(platform_id, &valid).await?;
            for (slot_index, outcome) in valid_slots.into_iter().zip(outcomes) {
                let slot = &mut slots[slot_index];
                match outcome {
                    Ok((m, p)) => {
                        slot.worker_id = m.id.to_string();
                        slot.person_id = p.id.to_string();
                    }
                    Err(err) => refuse(slot, &err),
                }
            }
            for slot in &slots {
                if slot.error_code.is_empty() {
                    response.registered_count += 1;
                } else {
                    response.rejected_count += 1;
                }
            }
            response.results.extend(slots);
        }
        Ok(response)
    }

    /// One transaction for a batch of valid registrations, retried after a lost race.
    async fn register_batch(
        &self,
        platform_id: Uuid,
        items: &[ValidRegistration],
    ) -> Result<Vec<Result<Registered, ApiError>>, ApiError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        for attempt in 1..=ATTEMPTS {
            let txn = gigshield_kit::db::begin_write(&self.db).await?;
            match self.register_in(&txn, platform_id, items).await {
                Err(err) if is_unique_violation(&err) && attempt < ATTEMPTS => continue,
                Err(err) => return Err(err.into()),
                Ok(outcomes) => {
                    txn.commit().await?;
                    self.outbox.notify();
                    return Ok(outcomes);
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    /// Finds or creates each person, then creates the memberships that do not exist yet.
    /// Registering the same (platform, external id, person) again returns the existing
    /// membership and publishes nothing. Only persons who get a membership are stored.
    async fn register_in(
        &self,
        txn: &DatabaseTransaction,
        platform_id: Uuid,
        items: &[ValidRegistration],
    ) -> Result<Vec<Result<Registered, ApiError>>, DbErr> {
        let now = Utc::now();
        let indexes: Vec<Vec<u8>> = items
            .iter()
            .map(|r| self.vault.blind_index(r.resident_id.expose()))
            .collect();
        let mut persons: HashMap<Vec<u8>, (person::Model, bool)> =
            queries::persons_by_index(txn, &indexes)
                .await?
                .into_iter()
                .map(|p| (p.resident_id_index.clone(), (p, true)))
                .collect();
        for (item, index) in items.iter().zip(&indexes) {
            persons
                .entry(index.clone())
                .or_insert_with(|| (self.new_person(item, index.clone(), now), false));
        }
        let external_ids: Vec<String> =
            items.iter().map(|r| r.external_worker_id.clone()).collect();
        let person_ids: Vec<Uuid> = persons.values().map(|(p, _)| p.id).collect();
        let existing =
            queries::active_memberships_matching(txn, platform_id, &external_ids, &person_ids)
                .await?;
        let mut by_external: HashMap<String, membership::Model> = existing
            .iter()
            .map(|m| (m.external_worker_id.clone(), m.clone()))
            .collect();
        let mut by_person: HashMap<Uuid, membership::Model> =
            existing.into_iter().map(|m| (m.person_id, m)).collect();

        let mut outcomes = Vec::with_capacity(items.len());
        let mut new_memberships = Vec::new();
        let mut new_persons = Vec::new();
        for (item, index) in items.iter().zip(&indexes) {
            let (person, stored) = persons.get_mut(index).expect("every index has a person");
            if person.real_name != item.real_name {
                outcomes.push(Err(ApiError::invalid(
                    "real_name",
                    "differs from the name already registered for this resident ID number",
                )));
                continue;
            }
            let outcome = match (
                by_external.get(&item.external_worker_id),
                by_person.get(&person.id),
            ) {
                (Some(m), _) if m.person_id == person.id => Ok((m.clone(), person.clone())),
                (Some(_), _) => Err(ApiError::AlreadyExists(format!(
                    "external_worker_id {} is registered to another person",
                    item.external_worker_id
                ))),
                (None, Some(m)) => Err(ApiError::AlreadyExists(format!(
                    "this person is already registered with the platform as external_worker_id {}",
                    m.external_worker_id
                ))),
                (None, None) => {
                    let m = self.new_membership(platform_id, person.id, item, now);
                    by_external.insert(m.external_worker_id.clone(), m.clone());
                    by_person.insert(person.id, m.clone());
                    if !*stored {
                        *stored = true;
                        new_persons.push(person.clone());
                    }
                    new_memberships.push((m.clone(), person.clone()));
                    Ok((m, person.clone()))
                }
            };
            outcomes.push(outcome);
        }
        queries::insert_persons(txn, new_persons).await?;
        let events = new_memberships
            .iter()
            .map(|(m, p)| events::worker_registered(&self.topic, m, p))
            .collect();
        queries::insert_memberships(txn, new_memberships.into_iter().map(|(m, _)| m).collect())
            .await?;
        gigshield_kit::outbox::enqueue_many(txn, events).await?;
        Ok(outcomes)
    }

    fn new_person(
        &self,
        item: &ValidRegistration,
        index: Vec<u8>,
        now: DateTime<Utc>,
    ) -> person::Model {
        let sealed = self
            .vault
            .seal(item.resident_id.expose(), views::RESIDENT_ID_CONTEXT);
        person::Model {
            id: Uuid::now_v7(),
            resident_id_index: index,
            resident_id_sealed: sealed.blob,
            resident_id_key_id: sealed.key_id,
            resident_id_masked: item.resident_id.masked(),
            real_name: item.real_name.clone(),
            birth_year: item.resident_id.birth_date().year(),
            sex: match item.resident_id.sex() {
                Sex::Male => gigshield_proto::common::Sex::Male as i16,
                Sex::Female => gigshield_proto::common::Sex::Female as i16,
            },
            created_at: now,
        }
    }

    fn new_membership(
        &self,
        platform_id: Uuid,
        person_id: Uuid,
        item: &ValidRegistration,
        now: DateTime<Utc>,
    ) -> membership::Model {
        let sealed = self.vault.seal(&item.mobile, views::MOBILE_CONTEXT);
        membership::Model {
            id: Uuid::now_v7(),
            person_id,
            platform_id,
            external_worker_id: item.external_worker_id.clone(),
            mobile_sealed: sealed.blob,
            mobile_key_id: sealed.key_id,
            mobile_masked: crate::domain::contact::mask_mobile(&item.mobile),
            region_code: item.region.as_str().to_string(),
            registered_at: item.registered_at.unwrap_or(now),
            deregistered_at: None,
            deregistration_reason: None,
        }
    }

    async fn require_platform_exists(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        platform_id: Uuid,
    ) -> Result<(), ApiError> {
        match queries::platform(conn, platform_id).await? {
            Some(_) => Ok(()),
            None => Err(ApiError::NotFound(format!("platform {platform_id}"))),
        }
    }

    /// The membership and its person, if the caller may see them: the platform it belongs to,
    /// the person themself, or an operator.
    async fn visible_membership(
        &self,
        principal: &Principal,
        worker_id: Uuid,
    ) -> Result<Registered, ApiError> {
        let m = queries::membership(&self.db, worker_id)
            .await?
            .ok_or_else(|| ApiError::NotFound("worker".into()))?;
        match principal.role {
            Role::Worker { .. } => principal.require_person(m.person_id)?,
            _ => principal.require_platform(m.platform_id)?,
        }
        let p = queries::person(&self.db, m.person_id)
            .await?
            .ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("membership {} without person", m.id))
            })?;
        Ok((m, p))
    }

    pub(super) async fn get_worker(
        &self,
        principal: Principal,
        req: pb::GetWorkerRequest,
    ) -> Result<pb::GetWorkerResponse, ApiError> {
        let id = wire::uuid("worker_id", &req.worker_id)?;
        let (m, p) = self.visible_membership(&principal, id).await?;
        Ok(pb::GetWorkerResponse {
            worker: Some(views::worker(&m, &p, &principal, &self.vault)?),
        })
    }

    pub(super) async fn list_workers(
        &self,
        principal: Principal,
        req: pb::ListWorkersRequest,
    ) -> Result<pb::ListWorkersResponse, ApiError> {
        let platform_id = wire::uuid("platform_id", &req.platform_id)?;
        principal.require_any(&[RoleKind::Platform, RoleKind::Operator])?;
        principal.require_platform(platform_id)?;
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
        let mut rows =
            queries::list_memberships(&self.db, platform_id, status, page.after, page.fetch())
                .await?;
        let next = page.finish(&mut rows, |r| r.id);
        let person_ids: Vec<Uuid> = rows.iter().map(|m| m.person_id).collect();
        let persons: HashMap<Uuid, person::Model> = queries::persons(&self.db, &person_ids)
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
                views::worker(m, p, &principal, &self.vault)
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
        principal.require_any(&[RoleKind::Platform, RoleKind::Operator])?;
        let key = IdempotencyKey::new(&principal, &req.request_id, "DeregisterWorker", &req)?;
        let id = wire::uuid("worker_id", &req.worker_id)?;
        let now = Utc::now();
        let effective_at =
            wire::datetime("effective_at", req.effective_at.as_ref())?.unwrap_or(now);
        let txn = gigshield_kit::db::begin_write(&self.db).await?;
        if let Some(previous) = key.replay(&txn).await? {
            return Ok(previous);
        }
        let mut m = queries::membership(&txn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound("worker".into()))?;
        principal.require_platform(m.platform_id)?;
        if m.deregistered_at.is_some() {
            return Err(ApiError::FailedPrecondition(
                "the worker is already deregistered".into(),
            ));
        }
        if effective_at > now + self.clock_skew {
            return Err(ApiError::invalid(
                "effective_at",
                "must not be in the future",
            ));
        }
        if effective_at < m.registered_at {
            return Err(ApiError::invalid(
                "effective_at",
                "must not precede the registration",
            ));
        }
        let reason = req.reason.trim();
        if !queries::end_membership(&txn, id, effective_at, reason).await? {
            return Err(ApiError::Aborted(
                "the membership changed concurrently; retry".into(),
            ));
        }
        m.deregistered_at = Some(effective_at);
        m.deregistration_reason = Some(reason.to_string());
        gigshield_kit::outbox::enqueue(&txn, events::worker_deregistered(&self.topic, &m)).await?;
        let p = queries::person(&txn, m.person_id).await?.ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("membership {} without person", m.id))
        })?;
        let response = pb::DeregisterWorkerResponse {
            worker: Some(views::worker(&m, &p, &principal, &self.vault)?),
        };
        key.record(&txn, &response).await?;
        txn.commit().await?;
        self.outbox.notify();
        Ok(response)
    }

    pub(super) async fn get_person(
        &self,
        principal: Principal,
        req: pb::GetPersonRequest,
    ) -> Result<pb::GetPersonResponse, ApiError> {
        let id = wire::uuid("person_id", &req.person_id)?;
        match principal.role {
            Role::Worker { .. } => principal.require_person(id)?,
            _ => principal.require_any(&[RoleKind::Operator, RoleKind::Insurer])?,
        }
        let p = queries::person(&self.db, id)
            .await?
            .ok_or_else(|| ApiError::NotFound("person".into()))?;
        let memberships = queries::memberships_of_person(&self.db, id).await?;
        Ok(pb::GetPersonResponse {
            person: Some(views::person(&p, &memberships, &principal, &self.vault)?),
        })
    }
}

/// Records a refusal in a bulk result, with the gRPC code name and field errors.
fn refuse(slot: &mut pb::BulkRegisterWorkersResult, err: &ApiError) {
    let code = match err {
        ApiError::InvalidArgument(_) => "INVALID_ARGUMENT",
        ApiError::AlreadyExists(_) => "ALREADY_EXISTS",
        ApiError::NotFound(_) => "NOT_FOUND",
        ApiError::PermissionDenied(_) => "PERMISSION_DENIED",
        _ => "FAILED_PRECONDITION",
    };
    slot.error_code = code.to_string();
    slot.error_message = err.to_string();
    if let ApiError::InvalidArgument(violations) = err {
        slot.field_errors = violations
            .iter()
            .map(|v| pb::FieldError {
                field: v.field.clone(),
                description: v.description.clone(),
            })
            .collect();
    }
}
