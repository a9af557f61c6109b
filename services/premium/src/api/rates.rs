//! The rate table: operators add rows, nobody edits one.

use chrono::Utc;
use gigshield_kit::idempotency::{IdempotencyKey, is_unique_violation};
use gigshield_kit::{ApiError, Principal, Role, Violations, paging, wire};
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
        let caller = self.caller("AddRate", principal)?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "AddRate", &req)?;
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
        // An operator sets rates only for provinces inside its area; general rates are national.
        if let Some(area) = caller.principal.role.jurisdiction() {
            let inside = match province {
                Some(p) => area.contains_region(&p.region_code()),
                None => area.is_national(),
            };
            if !inside {
                return Err(ApiError::PermissionDenied(
                    "province_code: outside the operator's area".into(),
                ));
            }
        }
        let row = RateRow {
            industry,
            platform_id,
            province,
            effective_from,
            fen_per_order: req.fen_per_order,
        };
        let now = Utc::now();
        let txn = gigshield_kit::db::begin_write(self.db()).await?;
        if let Some(previous) = key.replay(&txn, &self.writer.replays).await? {
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
            added_by: caller.principal.actor(),
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
        key.record(&txn, &self.writer.replays, &response).await?;
        txn.commit().await?;
        Ok(response)
    }

    pub(super) async fn list_rates(
        &self,
        principal: Principal,
        req: pb::ListRatesRequest,
    ) -> Result<pb::ListRatesResponse, ApiError> {
        let caller = self.caller("ListRates", principal)?;
        let visible_to = match caller.principal.role {
            Role::Platform { platform_id } => Some(platform_id),
            _ => None,
        };
        let area = caller.principal.role.jurisdiction().cloned();
        let industry = match req.industry {
            0 => None,
            n => Some(
                Industry::from_proto(n)
                    .map_err(|e| ApiError::invalid("industry", e.to_string()))?,
            ),
        };
        let page = paging::PageQuery::from_request(req.page.as_ref())?;
        // A city's operator sees its province's rates (rates are set per province).
        let province_like = area
            .as_ref()
            .and_then(|a| a.sql_patterns())
            .map(|(_, province)| province);
        let mut rows = queries::list_rates(
            self.db(),
            industry,
            visible_to,
            province_like.as_deref(),
            page.after,
            page.fetch(),
        )
        .await?;
        let next = page.finish(&mut rows, |r| r.id);
        Ok(pb::ListRatesResponse {
            rates: rows.iter().map(views::rate).collect::<Result<_, _>>()?,
            page: Some(next),
        })
    }
}
