//! Registering workers: one at a time or a stream of batches. Each registration finds or
//! makes the person (by the blind index of the resident ID number) and the membership; a name
//! that differs from the one on record holds the registration for an operator's review.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use gigshield_kit::error::FieldViolation;
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Caller, Principal, Role, RoleKind, access::Subject, wire};
use gigshield_proto::enrollment as pb;
use gigshield_scheme::calendar::shanghai_date;
use prost::Message;
use sea_orm::{DatabaseTransaction, DbErr};
use tonic::Streaming;
use uuid::Uuid;

use super::{EnrollmentApi, views};
use crate::domain::matching::{self, Outcome, Stored};
use crate::domain::registration::{self, RegistrationInput, ValidRegistration};
use crate::domain::resident_id::Sex;
use crate::events;
use crate::store::{identity_review, membership, person, queries};

/// Registrations per stream message: keeps each batch's statements within the databases'
/// bind-parameter limits and its transaction short.
pub const MAX_BATCH: usize = 1000;

pub(super) type Registered = (membership::Model, person::Model);

/// Why one registration was not made.
pub(super) enum Refused {
    /// Held for an operator's identity review.
    Held,
    Error(ApiError),
}

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Held => identity_unverified(),
            Refused::Error(err) => err,
        }
    }
}

/// The one answer to a name that does not match the resident ID number on record — the same
/// whoever registered the number and under whatever name, so it reveals neither.
pub(super) fn identity_unverified() -> ApiError {
    ApiError::FailedPrecondition(
        "the identity could not be verified; the registration is held for an operator's review"
            .into(),
    )
}

impl EnrollmentApi {
    /// Checks one registration for this caller: operators may date a membership's start
    /// (importing a platform's workforce) and register only in their area; a platform's
    /// registrations begin when received, so a membership can never be backdated to before an
    /// accident by the party that reports it.
    fn validate(
        &self,
        caller: &Caller,
        input: &pb::WorkerRegistration,
    ) -> Result<ValidRegistration, ApiError> {
        let now = self.writer.now();
        let registered_at = wire::datetime("registered_at", input.registered_at.as_ref())?;
        if registered_at.is_some() && !caller.principal.is(RoleKind::Operator) {
            return Err(ApiError::invalid(
                "registered_at",
                "only operators may date a membership's start; a platform's registrations begin when received",
            ));
        }
        let valid = registration::validate(
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
        .map_err(ApiError::InvalidArgument)?;
        if caller.principal.role.jurisdiction().is_some() {
            caller.require(&Subject::default().region(valid.region.as_str()))?;
        }
        Ok(valid)
    }

    /// A platform caller names its own platform; an operator any existing platform.
    async fn admitted_platform(&self, caller: &Caller, platform_id: Uuid) -> Result<(), ApiError> {
        if let Role::Platform { .. } = caller.principal.role {
            caller.require(&Subject::default().platform(platform_id))?;
        }
        match queries::platform(self.db(), platform_id).await? {
            Some(_) => Ok(()),
            None => Err(ApiError::NotFound("platform".into())),
        }
    }

    pub(super) async fn register_worker(
        &self,
        principal: Principal,
        req: pb::RegisterWorkerRequest,
    ) -> Result<pb::RegisterWorkerResponse, ApiError> {
        let caller = self.caller("RegisterWorker", principal).await?;
        let platform_id = wire::uuid("platform_id", &req.platform_id)?;
        if let Role::Platform { .. } = caller.principal.role {
            caller.require(&Subject::default().platform(platform_id))?;
        }
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "RegisterWorker", &req)?;
        let valid = self
            .validate(&caller, &req.registration.clone().unwrap_or_default())
            .map_err(|err| match err {
                ApiError::InvalidArgument(violations) => ApiError::InvalidArgument(
                    violations
                        .into_iter()
                        .map(|v| FieldViolation {
                            field: format!("registration.{}", v.field),
                            ..v
                        })
                        .collect(),
                ),
                other => other,
            })?;
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            if queries::platform(&txn, platform_id).await?.is_none() {
                return Err(ApiError::NotFound("platform".into()));
            }
            let outcome = self
                .register_in(&txn, &caller, platform_id, std::slice::from_ref(&valid))
                .await?
                .pop()
                .expect("one result per item");
            match outcome {
                Ok((m, p)) => Ok(pb::RegisterWorkerResponse {
                    worker: Some(views::worker(&m, &p, &caller.principal, &self.vault)?),
                }),
                // Held for review: commit the review; an answer without a worker is the
                // refusal, also when replayed.
                Err(Refused::Held) => Ok(pb::RegisterWorkerResponse { worker: None }),
                Err(Refused::Error(err)) => Err(err),
            }
        })?;
        match response.worker {
            Some(_) => Ok(response),
            None => Err(identity_unverified()),
        }
    }

    pub(super) async fn bulk_register_workers(
        &self,
        principal: Principal,
        mut stream: Streaming<pb::BulkRegisterWorkersRequest>,
    ) -> Result<pb::BulkRegisterWorkersResponse, ApiError> {
        let caller = self.caller("BulkRegisterWorkers", principal).await?;
        let mut response = pb::BulkRegisterWorkersResponse::default();
        let mut stream_platform: Option<Uuid> = None;
        let mut index: i64 = 0;
        while let Some(batch) = stream
            .message()
            .await
            .map_err(|s| ApiError::invalid("stream", s.message().to_string()))?
        {
            let platform_id = wire::uuid("platform_id", &batch.platform_id)?;
            match stream_platform {
                None => {
                    self.admitted_platform(&caller, platform_id).await?;
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
            let results = self
                .register_stream_batch(&caller, platform_id, &batch.registrations, &mut index)
                .await?;
            for slot in &results {
                if slot.error_code.is_empty() {
                    response.registered_count += 1;
                } else {
                    response.rejected_count += 1;
                }
            }
            response.results.extend(results);
        }
        Ok(response)
    }

    /// One message of a bulk stream: every item answered, in order.
    async fn register_stream_batch(
        &self,
        caller: &Caller,
        platform_id: Uuid,
        items: &[pb::WorkerRegistration],
        index: &mut i64,
    ) -> Result<Vec<pb::BulkRegisterWorkersResult>, ApiError> {
        let mut slots = Vec::with_capacity(items.len());
        let mut valid = Vec::new();
        let mut valid_slots = Vec::new();
        for item in items {
            let mut slot = pb::BulkRegisterWorkersResult {
                index: *index,
                external_worker_id: item.external_worker_id.clone(),
                ..Default::default()
            };
            *index += 1;
            match self.validate(caller, item) {
                Ok(v) => {
                    valid_slots.push(slots.len());
                    valid.push(v);
                }
                Err(err) => refuse(&mut slot, &err),
            }
            slots.push(slot);
        }
        if valid.is_empty() {
            return Ok(slots);
        }
        let outcomes = gigshield_kit::write_unkeyed!(self.writer, |txn| {
            Ok(self.register_in(&txn, caller, platform_id, &valid).await?)
        })?;
        for (slot_index, outcome) in valid_slots.into_iter().zip(outcomes) {
            let slot = &mut slots[slot_index];
            match outcome {
                Ok((m, p)) => {
                    slot.worker_id = m.id.to_string();
                    slot.person_id = p.id.to_string();
                }
                Err(refused) => refuse(slot, &ApiError::from(refused)),
            }
        }
        Ok(slots)
    }

    /// Finds or creates each person, then creates the memberships that do not exist yet.
    /// Registering the same (platform, external id, person) again returns the existing
    /// membership and publishes nothing. A mismatching name opens (or keeps) an identity review
    /// and answers [`Refused::Held`].
    pub(super) async fn register_in(
        &self,
        txn: &DatabaseTransaction,
        caller: &Caller,
        platform_id: Uuid,
        items: &[ValidRegistration],
    ) -> Result<Vec<Result<Registered, Refused>>, DbErr> {
        let now = self.writer.now();
        gigshield_kit::db::plan_for_parameters(txn).await?;
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
        let mut new_reviews = Vec::new();
        for (item, index) in items.iter().zip(&indexes) {
            let (person, stored) = persons.get_mut(index).expect("every index has a person");
            let decision = matching::decide(
                person.id,
                &item.real_name,
                &Stored {
                    recorded_name: (*stored).then_some(person.real_name.as_str()),
                    person_of_external_id: by_external
                        .get(&item.external_worker_id)
                        .map(|m| m.person_id),
                    external_id_of_person: by_person
                        .get(&person.id)
                        .map(|m| m.external_worker_id.as_str()),
                },
            );
            let outcome = match decision {
                Outcome::Existing => Ok((by_person[&person.id].clone(), person.clone())),
                Outcome::ExternalIdTaken => Err(Refused::Error(ApiError::AlreadyExists(format!(
                    "external_worker_id {} is registered to another person",
                    item.external_worker_id
                )))),
                Outcome::PersonAlreadyRegistered { external_worker_id } => {
                    Err(Refused::Error(ApiError::AlreadyExists(format!(
                        "this person is already registered with the platform as external_worker_id {external_worker_id}"
                    ))))
                }
                Outcome::IdentityUnverified => {
                    let held =
                        queries::open_identity_review(txn, platform_id, &item.external_worker_id)
                            .await?
                            .is_some()
                            || new_reviews.iter().any(|r: &identity_review::Model| {
                                r.external_worker_id == item.external_worker_id
                            });
                    if !held {
                        new_reviews.push(self.review(caller, platform_id, item, person, now));
                    }
                    Err(Refused::Held)
                }
                Outcome::Create => {
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
        for review in new_reviews {
            tracing::info!(review_id = %review.id, %platform_id, "registration held for identity review");
            queries::insert_identity_review(txn, review).await?;
        }
        let events = new_memberships
            .iter()
            .map(|(m, p)| events::worker_registered(&self.topic, m, p))
            .collect();
        queries::insert_memberships(txn, new_memberships.into_iter().map(|(m, _)| m).collect())
            .await?;
        gigshield_kit::outbox::enqueue_many(txn, events).await?;
        Ok(outcomes)
    }

    /// The registration, sealed whole, kept for an operator.
    fn review(
        &self,
        caller: &Caller,
        platform_id: Uuid,
        item: &ValidRegistration,
        person: &person::Model,
        now: DateTime<Utc>,
    ) -> identity_review::Model {
        let as_sent = pb::WorkerRegistration {
            external_worker_id: item.external_worker_id.clone(),
            real_name: item.real_name.clone(),
            resident_id: item.resident_id.expose().to_string(),
            mobile: item.mobile.clone(),
            region_code: item.region.as_str().to_string(),
            registered_at: item.registered_at.map(wire::timestamp),
        };
        let sealed = self
            .vault
            .seal_bytes(&as_sent.encode_to_vec(), views::REGISTRATION_CONTEXT)
            .to_bytes();
        identity_review::Model {
            id: Uuid::now_v7(),
            platform_id,
            external_worker_id: item.external_worker_id.clone(),
            region_code: item.region.as_str().to_string(),
            person_id: person.id,
            resident_id_masked: person.resident_id_masked.clone(),
            registration_sealed: sealed,
            status: "OPEN".into(),
            opened_at: now,
            opened_by: caller.principal.actor(),
            resolved_at: None,
            resolved_by: None,
            note_sealed: None,
            worker_id: None,
        }
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

    pub(super) fn new_membership(
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
            deregistration_reason_sealed: None,
            deregistered_by: None,
        }
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
