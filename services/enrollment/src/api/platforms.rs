//! Platform RPCs: register, read, list, change scope, credit-code exceptions.

use gigshield_kit::access::Subject;
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Caller, Principal, Role, Violations, access, paging, wire};
use gigshield_proto::enrollment as pb;
use uuid::Uuid;

use super::{EnrollmentApi, views};
use crate::domain::credit_code::CreditCode;
use crate::domain::dated_start;
use crate::domain::platform::{self, Scope};
use crate::events;
use crate::store::queries::{self, PlatformFilter};
use crate::store::{credit_code_exception, platform as platform_row};

/// A platform as the access checks see it: itself and every province it ever covered.
fn subject(id: Uuid, history: &[Scope]) -> Subject {
    Subject::default()
        .platform(id)
        .regions(history.iter().flat_map(|s| s.provinces.iter().cloned()))
}

/// An operator acts only for places wholly inside its area.
fn require_area(caller: &Caller, field: &str, codes: &[String]) -> Result<(), ApiError> {
    let Some(area) = caller.principal.role.jurisdiction() else {
        return Ok(());
    };
    match codes.iter().find(|c| !area.contains_region(c.trim())) {
        Some(code) => Err(ApiError::PermissionDenied(format!(
            "{field}: {code} lies outside the operator's area"
        ))),
        None => Ok(()),
    }
}

impl EnrollmentApi {
    pub(super) async fn register_platform(
        &self,
        principal: Principal,
        req: pb::RegisterPlatformRequest,
    ) -> Result<pb::RegisterPlatformResponse, ApiError> {
        let caller = self.caller("RegisterPlatform", principal).await?;
        require_area(&caller, "region_codes", &req.region_codes)?;
        let key =
            IdempotencyKey::new(&caller.principal, &req.request_id, "RegisterPlatform", &req)?;
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let mut v = Violations::new();
            let legal_name = platform::legal_name(&req.legal_name, &mut v);
            let code = v.check("credit_code", CreditCode::parse(&req.credit_code));
            let industries = platform::industries(&req.industries, "industries", &mut v);
            let provinces = platform::provinces(&req.region_codes, "region_codes", &mut v);
            let contact = req.contact.clone().unwrap_or_default();
            let contact =
                platform::contact_details(&contact.name, &contact.phone, &contact.email, &mut v);
            let now = self.writer.now();
            let effective_from = match wire::datetime("effective_from", req.effective_from.as_ref())
            {
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
            let sealed_phone = views::seal_contact_phone(&self.vault, &contact.phone);
            let row = platform_row::Model {
                id: Uuid::now_v7(),
                legal_name,
                credit_code: code.as_str().to_string(),
                contact_name: contact.name,
                contact_phone: sealed_phone.masked,
                contact_email: contact.email,
                registered_at: now,
                updated_at: now,
                contact_phone_sealed: Some(sealed_phone.sealed),
            };
            let scope = Scope {
                industries,
                provinces,
                effective_from,
            };
            queries::insert_platform(&txn, row.clone()).await?;
            queries::insert_scope(&txn, row.id, &scope, now).await?;
            gigshield_kit::outbox::enqueue(
                &txn,
                events::platform_registered(&self.topic, &row, &scope),
            )
            .await?;
            Ok(pb::RegisterPlatformResponse {
                platform: Some(views::platform(
                    &row,
                    &[scope],
                    &self.vault,
                    self.writer.now(),
                )?),
            })
        })?;
        if let Some(p) = &response.platform {
            tracing::info!(platform_id = %p.platform_id, "platform registered");
        }
        Ok(response)
    }

    pub(super) async fn get_platform(
        &self,
        principal: Principal,
        req: pb::GetPlatformRequest,
    ) -> Result<pb::GetPlatformResponse, ApiError> {
        let caller = self.caller("GetPlatform", principal).await?;
        let id = wire::uuid("platform_id", &req.platform_id)?;
        let row = queries::platform(self.db(), id)
            .await?
            .ok_or_else(|| access::hidden("platform"))?;
        let history = queries::scopes(self.db(), &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        caller.visible(&subject(id, &history), "platform")?;
        Ok(pb::GetPlatformResponse {
            platform: Some(views::platform(
                &row,
                &history,
                &self.vault,
                self.writer.now(),
            )?),
        })
    }

    pub(super) async fn list_platforms(
        &self,
        principal: Principal,
        req: pb::ListPlatformsRequest,
    ) -> Result<pb::ListPlatformsResponse, ApiError> {
        let caller = self.caller("ListPlatforms", principal).await?;
        let page = paging::PageQuery::from_request(req.page.as_ref())?;
        let filter = match &caller.principal.role {
            Role::Platform { platform_id } => PlatformFilter::Only(*platform_id),
            role => PlatformFilter::Area(role.jurisdiction().and_then(|j| j.sql_patterns())),
        };
        let mut rows = queries::list_platforms(self.db(), page.after, page.fetch(), filter).await?;
        let next = page.finish(&mut rows, |r| r.id);
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut scopes = queries::scopes(self.db(), &ids).await?;
        Ok(pb::ListPlatformsResponse {
            platforms: rows
                .iter()
                .map(|r| {
                    views::platform(
                        r,
                        &scopes.remove(&r.id).unwrap_or_default(),
                        &self.vault,
                        self.writer.now(),
                    )
                })
                .collect::<Result<_, _>>()?,
            page: Some(next),
        })
    }

    pub(super) async fn update_platform(
        &self,
        principal: Principal,
        req: pb::UpdatePlatformRequest,
    ) -> Result<pb::UpdatePlatformResponse, ApiError> {
        let caller = self.caller("UpdatePlatform", principal).await?;
        require_area(&caller, "region_codes", &req.region_codes)?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "UpdatePlatform", &req)?;
        let id = wire::uuid("platform_id", &req.platform_id)?;
        gigshield_kit::write!(self.writer, key, |txn| {
            let mut row = queries::platform(&txn, id)
                .await?
                .ok_or_else(|| access::hidden("platform"))?;
            let mut history = queries::scopes(&txn, &[id])
                .await?
                .remove(&id)
                .unwrap_or_default();
            caller.visible(&subject(id, &history), "platform")?;

            let mut v = Violations::new();
            let industries = platform::industries(&req.industries, "industries", &mut v);
            let provinces = platform::provinces(&req.region_codes, "region_codes", &mut v);
            let effective_from = v
                .check(
                    "effective_from",
                    wire::datetime("effective_from", req.effective_from.as_ref()),
                )
                .flatten()
                .unwrap_or_else(|| self.writer.now());
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
                let phone = views::seal_contact_phone(&self.vault, &contact.phone);
                row.contact_name = contact.name;
                row.contact_phone = phone.masked;
                row.contact_phone_sealed = Some(phone.sealed);
                row.contact_email = contact.email;
            }
            row.updated_at = self.writer.now();
            queries::update_platform(&txn, row.clone()).await?;
            queries::insert_scope(&txn, id, &scope, self.writer.now()).await?;
            gigshield_kit::outbox::enqueue(
                &txn,
                events::platform_updated(&self.topic, &row, &scope),
            )
            .await?;
            history.push(scope);
            Ok(pb::UpdatePlatformResponse {
                platform: Some(views::platform(
                    &row,
                    &history,
                    &self.vault,
                    self.writer.now(),
                )?),
            })
        })
    }

    pub(super) async fn add_credit_code_exception(
        &self,
        principal: Principal,
        req: pb::AddCreditCodeExceptionRequest,
    ) -> Result<pb::AddCreditCodeExceptionResponse, ApiError> {
        let caller = self.caller("AddCreditCodeException", principal).await?;
        let key = IdempotencyKey::new(
            &caller.principal,
            &req.request_id,
            "AddCreditCodeException",
            &req,
        )?;
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
        } else if req.reason.chars().count() > crate::domain::delegation::MAX_REASON_CHARS {
            v.add(
                "reason",
                format!(
                    "must not be longer than {} characters",
                    crate::domain::delegation::MAX_REASON_CHARS
                ),
            );
        }
        v.into_result()?;
        let row = credit_code_exception::Model {
            credit_code: code.expect("validated").as_str().to_string(),
            reason: req.reason.trim().to_string(),
            added_by: caller.principal.actor(),
            added_at: self.writer.now(),
        };
        gigshield_kit::write!(self.writer, key, |txn| {
            queries::insert_credit_code_exception(&txn, row.clone()).await?;
            Ok(pb::AddCreditCodeExceptionResponse {})
        })
    }
}
