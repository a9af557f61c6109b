//! Platform RPCs: register, read, list, change scope, credit-code exceptions.

use chrono::Utc;
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Principal, RoleKind, Violations, paging, wire};
use gigshield_proto::enrollment as pb;
use uuid::Uuid;

use super::{EnrollmentApi, views};
use crate::domain::credit_code::CreditCode;
use crate::domain::dated_start;
use crate::domain::platform::{self, Scope};
use crate::events;
use crate::store::{credit_code_exception, queries};

/// Roles that may read any platform.
const PLATFORM_READERS: &[RoleKind] = &[RoleKind::Operator, RoleKind::Insurer, RoleKind::Adjuster];

impl EnrollmentApi {
    pub(super) async fn register_platform(
        &self,
        principal: Principal,
        req: pb::RegisterPlatformRequest,
    ) -> Result<pb::RegisterPlatformResponse, ApiError> {
        principal.require_any(&[RoleKind::Operator])?;
        let key = IdempotencyKey::new(&principal, &req.request_id, "RegisterPlatform", &req)?;
        let txn = gigshield_kit::db::begin_write(&self.db).await?;
        if let Some(previous) = key.replay(&txn).await? {
            return Ok(previous);
        }

        let mut v = Violations::new();
        let legal_name = platform::legal_name(&req.legal_name, &mut v);
        let code = v.check("credit_code", CreditCode::parse(&req.credit_code));
        let industries = platform::industries(&req.industries, "industries", &mut v);
        let provinces = platform::provinces(&req.region_codes, "region_codes", &mut v);
        let contact = req.contact.clone().unwrap_or_default();
        let contact =
            platform::contact_details(&contact.name, &contact.phone, &contact.email, &mut v);
        let now = Utc::now();
        let effective_from = match wire::datetime("effective_from", req.effective_from.as_ref()) {
            Ok(Some(at)) => v.check("effective_from", dated_start::check(at, now)),
            Ok(None) => Some(now),
            Err(_) => {
                v.add("effective_from", "is not a valid timestamp");
                None
            }
        };
        let code = match code {
            Some(code) => {
                let listed = !code.check_valid()
                    && queries::is_credit_code_exception(&txn, code.as_str()).await?;
                v.check("credit_code", code.accept(listed))
            }
            None => None,
        };
        v.into_result()?;
        let (code, contact, effective_from) = (
            code.expect("validated"),
            contact.expect("validated"),
            effective_from.expect("validated"),
        );
        if queries::platform_by_credit_code(&txn, code.as_str())
            .await?
            .is_some()
        {
            return Err(ApiError::AlreadyExists(format!(
                "a platform with credit_code {} is already registered",
                code.as_str()
            )));
        }

        let row = crate::store::platform::Model {
            id: Uuid::now_v7(),
            legal_name,
            credit_code: code.as_str().to_string(),
            contact_name: contact.name,
            contact_phone: contact.phone,
            contact_email: contact.email,
            registered_at: now,
            updated_at: now,
        };
        let scope = Scope {
            industries,
            provinces,
            effective_from,
        };
        queries::insert_platform(&txn, row.clone()).await?;
        queries::insert_scope(&txn, row.id, &scope).await?;
        gigshield_kit::outbox::enqueue(
            &txn,
            events::platform_registered(&self.topic, &row, &scope),
        )
        .await?;
        let response = pb::RegisterPlatformResponse {
            platform: Some(views::platform(&row, &[scope])),
        };
        key.record(&txn, &response).await?;
        txn.commit().await?;
        self.outbox.notify();
        tracing::info!(platform_id = %row.id, "platform registered");
        Ok(response)
    }

    pub(super) async fn get_platform(
        &self,
        principal: Principal,
        req: pb::GetPlatformRequest,
    ) -> Result<pb::GetPlatformResponse, ApiError> {
        let id = wire::uuid("platform_id", &req.platform_id)?;
        if !PLATFORM_READERS.iter().any(|r| principal.is(*r)) {
            principal.require_platform(id)?;
        }
        let row = queries::platform(&self.db, id)
            .await?
            .ok_or_else(|| ApiError::NotFound("platform".into()))?;
        let history = queries::scopes(&self.db, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        Ok(pb::GetPlatformResponse {
            platform: Some(views::platform(&row, &history)),
        })
    }

    pub(super) async fn list_platforms(
        &self,
        principal: Principal,
        req: pb::ListPlatformsRequest,
    ) -> Result<pb::ListPlatformsResponse, ApiError> {
        let page = paging::PageQuery::from_request(req.page.as_ref())?;
        let only = match principal.role {
            gigshield_kit::Role::Platform { platform_id } => Some(platform_id),
            _ => {
                principal.require_any(PLATFORM_READERS)?;
                None
            }
        };
        let mut rows = queries::list_platforms(&self.db, page.after, page.fetch(), only).await?;
        let next = page.finish(&mut rows, |r| r.id);
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut scopes = queries::scopes(&self.db, &ids).await?;
        Ok(pb::ListPlatformsResponse {
            platforms: rows
                .iter()
                .map(|r| views::platform(r, &scopes.remove(&r.id).unwrap_or_default()))
                .collect(),
            page: Some(next),
        })
    }

    pub(super) async fn update_platform(
        &self,
        principal: Principal,
        req: pb::UpdatePlatformRequest,
    ) -> Result<pb::UpdatePlatformResponse, ApiError> {
        principal.require_any(&[RoleKind::Operator])?;
        let key = IdempotencyKey::new(&principal, &req.request_id, "UpdatePlatform", &req)?;
        let id = wire::uuid("platform_id", &req.platform_id)?;
        let txn = gigshield_kit::db::begin_write(&self.db).await?;
        if let Some(previous) = key.replay(&txn).await? {
            return Ok(previous);
        }
        let mut row = queries::platform(&txn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound("platform".into()))?;
        let mut history = queries::scopes(&txn, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();

        let mut v = Violations::new();
        let industries = platform::industries(&req.industries, "industries", &mut v);
        let provinces = platform::provinces(&req.region_codes, "region_codes", &mut v);
        let effective_from = v
            .check(
                "effective_from",
                wire::datetime("effective_from", req.effective_from.as_ref()),
            )
            .flatten()
            .unwrap_or_else(Utc::now);
        if let Err(reason) = platform::check_new_scope(&history, effective_from) {
            v.add("effective_from", reason);
        }
        let contact = req
            .contact
            .as_ref()
            .and_then(|c| platform::contact_details(&c.name, &c.phone, &c.email, &mut v));
        v.into_result()?;

        let scope = Scope {
            industries,
            provinces,
            effective_from,
        };
        if let Some(contact) = contact {
            row.contact_name = contact.name;
            row.contact_phone = contact.phone;
            row.contact_email = contact.email;
        }
        row.updated_at = Utc::now();
        queries::update_platform(&txn, row.clone()).await?;
        queries::insert_scope(&txn, id, &scope).await?;
        gigshield_kit::outbox::enqueue(&txn, events::platform_updated(&self.topic, &row, &scope))
            .await?;
        history.push(scope);
        let response = pb::UpdatePlatformResponse {
            platform: Some(views::platform(&row, &history)),
        };
        key.record(&txn, &response).await?;
        txn.commit().await?;
        self.outbox.notify();
        Ok(response)
    }

    pub(super) async fn add_credit_code_exception(
        &self,
        principal: Principal,
        req: pb::AddCreditCodeExceptionRequest,
    ) -> Result<pb::AddCreditCodeExceptionResponse, ApiError> {
        principal.require_any(&[RoleKind::Operator])?;
        let key = IdempotencyKey::new(&principal, &req.request_id, "AddCreditCodeException", &req)?;
        let mut v = Violations::new();
        let code = v.check("credit_code", CreditCode::parse(&req.credit_code));
        if code.as_ref().is_some_and(CreditCode::check_valid) {
            v.add(
                "credit_code",
                "its check character is right; no exception is needed",
            );
        }
        if req.reason.trim().is_empty() {
            v.add(
                "reason",
                "is required: say which authority confirmed the code",
            );
        }
        v.into_result()?;
        let txn = gigshield_kit::db::begin_write(&self.db).await?;
        if let Some(previous) = key.replay(&txn).await? {
            return Ok(previous);
        }
        let row = credit_code_exception::Model {
            credit_code: code.expect("validated").as_str().to_string(),
            reason: req.reason.trim().to_string(),
            added_by: principal.subject.clone(),
            added_at: Utc::now(),
        };
        queries::insert_credit_code_exception(&txn, row).await?;
        let response = pb::AddCreditCodeExceptionResponse {};
        key.record(&txn, &response).await?;
        txn.commit().await?;
        Ok(response)
    }
}
