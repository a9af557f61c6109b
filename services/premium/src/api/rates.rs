//! The rate table: operators add rows, nobody edits one.

use chrono::Utc;
use gigshield_kit::idempotency::{IdempotencyKey, is_unique_violation};
use gigshield_kit::{ApiError, Principal, Role, RoleKind, Violations, paging, wire};
use gigshield_proto::premium as pb;
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::ProvinceCode;
use uuid::Uuid;

use super::{PremiumApi, views};
use crate::domain::rates::{RateError, RateRow};
use crate::store::queries;
use crate::store::rate;

impl PremiumApi {
    pub(super) async fn add_rate(
        &self,
        principal: Principal,
        req: pb::AddRateRequest,
    ) -> Result<pb::AddRateResponse, ApiError> {
        principal.require_any(&[RoleKind::Operator])?;
        let key = IdempotencyKey::new(&principal, &req.request_id, "AddRate", &req)?;
        let mut v = Violations::new();
        let industry = v.check("industry", Industry::from_proto(req.industry));
        let platform_id = if req.platform_id.is_empty() {
            None
        } else {
            v.check(
                "platform_id",
                Uuid::parse_str(&req.platform_id).map_err(|_| "must be a UUID"),
            )
        };
        let province = if req.province_code.is_empty() {
            None
        } else {
            v.check("province_code", ProvinceCode::parse(&req.province_code))
        };
        let effective_from = match wire::datetime("effective_from", req.effective_from.as_ref()) {
            // Microseconds: the precision stored, so the answer matches later listings.
            Ok(Some(at)) => Some(chrono::SubsecRound::trunc_subsecs(at, 6)),
            Ok(None) => {
                v.add("effective_from", "is required");
                None
            }
            Err(_) => {
                v.add("effective_from", "is not a valid timestamp");
                None
            }
        };
        v.into_result()?;
        let (Some(industry), Some(effective_from)) = (industry, effective_from) else {
            return Err(ApiError::invalid("industry", "is required"));
        };
        let row = RateRow {
            industry,
            platform_id,
            province,
            effective_from,
            fen_per_order: req.fen_per_order,
        };
        let now = Utc::now();
        let txn = gigshield_kit::db::begin_write(&self.db).await?;
        if let Some(previous) = key.replay(&txn).await? {
            return Ok(previous);
        }
        let table = queries::rate_table(&txn).await?;
        table.check_new_row(&row, now).map_err(|err| match err {
            RateError::NegativeRate { .. } => ApiError::invalid("fen_per_order", err.to_string()),
            RateError::Backdated { .. } => ApiError::invalid("effective_from", err.to_string()),
            RateError::Duplicate { .. } => ApiError::AlreadyExists(err.to_string()),
        })?;
        let model = rate::Model {
            id: Uuid::now_v7(),
            industry: industry.as_str().to_string(),
            platform_id,
            province: province.map(|p| p.region_code()),
            rate_key: queries::rate_key(&row.key()),
            effective_from,
            fen_per_order: row.fen_per_order,
            added_by: principal.subject.clone(),
            added_at: now,
        };
        match queries::insert_rate(&txn, model.clone()).await {
            Err(err) if is_unique_violation(&err) => {
                return Err(ApiError::AlreadyExists(
                    "a rate for this key and instant was added concurrently".into(),
                ));
            }
            other => other?,
        }
        let response = pb::AddRateResponse {
            rate: Some(views::rate(&model)?),
        };
        key.record(&txn, &response).await?;
        txn.commit().await?;
        Ok(response)
    }

    pub(super) async fn list_rates(
        &self,
        principal: Principal,
        req: pb::ListRatesRequest,
    ) -> Result<pb::ListRatesResponse, ApiError> {
        principal.require_any(&[RoleKind::Operator, RoleKind::Platform])?;
        let visible_to = match principal.role {
            Role::Platform { platform_id } => Some(platform_id),
            _ => None,
        };
        let industry = match req.industry {
            0 => None,
            n => Some(
                Industry::from_proto(n)
                    .map_err(|e| ApiError::invalid("industry", e.to_string()))?,
            ),
        };
        let page = paging::PageQuery::from_request(req.page.as_ref())?;
        let mut rows =
            queries::list_rates(&self.db, industry, visible_to, page.after, page.fetch()).await?;
        let next = page.finish(&mut rows, |r| r.id);
        Ok(pb::ListRatesResponse {
            rates: rows.iter().map(views::rate).collect::<Result<_, _>>()?,
            page: Some(next),
        })
    }
}
