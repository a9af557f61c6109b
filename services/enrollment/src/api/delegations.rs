//! Delegations: a close relative may act for a worker while a grant is in force.

use chrono::Utc;
use gigshield_kit::access::{self, Subject};
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Caller, Principal, Role, paging, wire};
use gigshield_proto::enrollment as pb;
use gigshield_scheme::calendar::shanghai_date;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::workers::identity_unverified;
use super::{EnrollmentApi, views};
use crate::domain::delegation::{self, GrantInput, GrantedBy};
use crate::domain::resident_id::ResidentId;
use crate::events;
use crate::store::{delegation as delegation_row, person, queries};

impl EnrollmentApi {
    /// A worker acts for their own person here — a delegate cannot pass the right on; an
    /// operator for a person with a membership in its area.
    async fn grantor(
        &self,
        caller: &Caller,
        txn: &DatabaseTransaction,
        grantor: Uuid,
    ) -> Result<person::Model, ApiError> {
        if let Role::Worker { .. } = caller.principal.role {
            caller.require(&Subject::default().person(grantor))?;
            return queries::person(txn, grantor)
                .await?
                .ok_or_else(|| access::hidden("person"));
        }
        self.visible_person(caller, txn, grantor).await
    }

    /// The relative: an existing person, or the person of a name and resident ID number
    /// (made when unknown; a name that differs from the one on record is refused like a
    /// registration's).
    async fn delegate(
        &self,
        txn: &DatabaseTransaction,
        req: &pb::GrantDelegationRequest,
    ) -> Result<person::Model, ApiError> {
        if !req.delegate_person_id.trim().is_empty() {
            let id = wire::uuid("delegate_person_id", &req.delegate_person_id)?;
            return queries::person(txn, id)
                .await?
                .ok_or_else(|| ApiError::invalid("delegate_person_id", "names no person"));
        }
        let identity = req.delegate.clone().unwrap_or_default();
        let now = self.writer.now();
        let resident_id = ResidentId::parse(&identity.resident_id, shanghai_date(now))
            .map_err(|e| ApiError::invalid("delegate.resident_id", e.to_string()))?;
        let name = crate::domain::contact::real_name(&identity.real_name)
            .map_err(|e| ApiError::invalid("delegate.real_name", e.to_string()))?;
        let index = self.vault.blind_index(resident_id.expose());
        match queries::persons_by_index(txn, std::slice::from_ref(&index))
            .await?
            .pop()
        {
            Some(p) if p.real_name == name => Ok(p),
            Some(_) => Err(identity_unverified()),
            None => {
                let p = self.new_delegate_person(&resident_id, name, index, now);
                queries::insert_persons(txn, vec![p.clone()]).await?;
                Ok(p)
            }
        }
    }

    pub(super) async fn grant_delegation(
        &self,
        principal: Principal,
        req: pb::GrantDelegationRequest,
    ) -> Result<pb::GrantDelegationResponse, ApiError> {
        let caller = self.caller("GrantDelegation", principal).await?;
        let grantor_id = wire::uuid("grantor_person_id", &req.grantor_person_id)?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "GrantDelegation", &req)?;
        let granted_by = match caller.principal.role {
            Role::Worker { .. } => GrantedBy::Worker,
            _ => GrantedBy::Operator,
        };
        let grant = delegation::validate(
            &GrantInput {
                granted_by,
                relationship: req.relationship,
                valid_from: wire::datetime("valid_from", req.valid_from.as_ref())?,
                valid_until: wire::datetime("valid_until", req.valid_until.as_ref())?,
                reason: &req.reason,
            },
            self.writer.now(),
        )
        .map_err(ApiError::InvalidArgument)?;
        gigshield_kit::write!(self.writer, key, |txn| {
            let grantor = self.grantor(&caller, &txn, grantor_id).await?;
            let delegate = self.delegate(&txn, &req).await?;
            if delegate.id == grantor.id {
                return Err(ApiError::invalid(
                    "delegate",
                    "a person cannot be their own delegate",
                ));
            }
            let row = delegation_row::Model {
                id: Uuid::now_v7(),
                grantor_person_id: grantor.id,
                delegate_person_id: delegate.id,
                relationship: grant.relationship as i16,
                valid_from: grant.valid_from,
                valid_until: grant.valid_until,
                granted_by: granted_by.as_str().into(),
                granted_by_subject: caller.principal.actor(),
                reason_sealed: self
                    .vault
                    .seal_text(&grant.reason, views::DELEGATION_REASON_CONTEXT),
                granted_at: self.writer.now(),
                revoked_at: None,
                revoked_by: None,
            };
            queries::insert_delegation(&txn, row.clone()).await?;
            gigshield_kit::outbox::enqueue(&txn, events::delegation_granted(&self.topic, &row))
                .await?;
            Ok(pb::GrantDelegationResponse {
                delegation: Some(views::delegation(&row)),
            })
        })
    }

    pub(super) async fn revoke_delegation(
        &self,
        principal: Principal,
        req: pb::RevokeDelegationRequest,
    ) -> Result<pb::RevokeDelegationResponse, ApiError> {
        let caller = self.caller("RevokeDelegation", principal).await?;
        let id = wire::uuid("delegation_id", &req.delegation_id)?;
        let key =
            IdempotencyKey::new(&caller.principal, &req.request_id, "RevokeDelegation", &req)?;
        gigshield_kit::write!(self.writer, key, |txn| {
            let mut row = queries::delegation(&txn, id)
                .await?
                .ok_or_else(|| access::hidden("delegation"))?;
            // The grantor's own worker token, or an operator of the grantor's area; anyone else
            // is told the delegation does not exist.
            match caller.principal.role {
                Role::Worker { .. } => {
                    caller.visible(
                        &Subject::default().person(row.grantor_person_id),
                        "delegation",
                    )?;
                }
                _ => {
                    self.visible_person(&caller, &txn, row.grantor_person_id)
                        .await
                        .map_err(|_| access::hidden("delegation"))?;
                }
            }
            if row.revoked_at.is_some() {
                return Err(ApiError::FailedPrecondition(
                    "the delegation is already revoked".into(),
                ));
            }
            let now = self.writer.now();
            let by = caller.principal.actor();
            if !queries::revoke_delegation(&txn, id, now, &by).await? {
                return Err(ApiError::Aborted("revoked concurrently; retry".into()));
            }
            row.revoked_at = Some(now);
            row.revoked_by = Some(by);
            gigshield_kit::outbox::enqueue(&txn, events::delegation_revoked(&self.topic, &row))
                .await?;
            Ok(pb::RevokeDelegationResponse {
                delegation: Some(views::delegation(&row)),
            })
        })
    }

    pub(super) async fn list_delegations(
        &self,
        principal: Principal,
        req: pb::ListDelegationsRequest,
    ) -> Result<pb::ListDelegationsResponse, ApiError> {
        let caller = self.caller("ListDelegations", principal).await?;
        let person_id = wire::uuid("person_id", &req.person_id)?;
        match caller.principal.role {
            // Given or received: a worker's own person only (not a delegator's).
            Role::Worker { .. } => caller.require(&Subject::default().person(person_id))?,
            _ => {
                self.visible_person(&caller, self.db(), person_id).await?;
            }
        }
        let page = paging::PageQuery::from_request(req.page.as_ref())?;
        let mut rows =
            queries::delegations_of(self.db(), person_id, page.after, page.fetch()).await?;
        let next = page.finish(&mut rows, |r| r.id);
        Ok(pb::ListDelegationsResponse {
            delegations: rows.iter().map(views::delegation).collect(),
            page: Some(next),
        })
    }

    fn new_delegate_person(
        &self,
        resident_id: &ResidentId,
        real_name: String,
        index: Vec<u8>,
        now: chrono::DateTime<Utc>,
    ) -> person::Model {
        use chrono::Datelike;
        let sealed = self
            .vault
            .seal(resident_id.expose(), views::RESIDENT_ID_CONTEXT);
        person::Model {
            id: Uuid::now_v7(),
            resident_id_index: index,
            resident_id_sealed: sealed.blob,
            resident_id_key_id: sealed.key_id,
            resident_id_masked: resident_id.masked(),
            real_name,
            birth_year: resident_id.birth_date().year(),
            sex: match resident_id.sex() {
                crate::domain::resident_id::Sex::Male => gigshield_proto::common::Sex::Male as i16,
                crate::domain::resident_id::Sex::Female => {
                    gigshield_proto::common::Sex::Female as i16
                }
            },
            created_at: now,
        }
    }
}
