//! The routing table (operator): which insurer handles claims of a province and platform.

use chrono::Utc;
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Principal, RoleKind, Violations, wire};
use gigshield_proto::claims as pb;
use gigshield_scheme::region::ProvinceCode;
use uuid::Uuid;

use super::ClaimsApi;
use crate::domain::routing::Route;
use crate::store::{queries, route};

/// A stored route as the domain's; `None` for a row this build cannot read (skipped, so a bad
/// row cannot stop claims from opening — they then go to adjusters).
pub fn domain_route(row: &route::Model) -> Option<Route> {
    let province = ProvinceCode::parse(&row.province_code).ok()?;
    let platform_id = if row.platform_key.is_empty() {
        None
    } else {
        Some(Uuid::parse_str(&row.platform_key).ok()?)
    };
    Some(Route {
        province,
        platform_id,
        insurer_id: row.insurer_id,
    })
}

fn view(row: &route::Model) -> pb::Route {
    pb::Route {
        province_code: row.province_code.clone(),
        platform_id: row.platform_key.clone(),
        insurer_id: row.insurer_id.to_string(),
    }
}

impl ClaimsApi {
    pub(super) async fn put_route(
        &self,
        principal: Principal,
        req: pb::PutRouteRequest,
    ) -> Result<pb::PutRouteResponse, ApiError> {
        principal.require_any(&[RoleKind::Operator])?;
        let key = IdempotencyKey::new(&principal, &req.request_id, "PutRoute", &req)?;
        let route = req.route.unwrap_or_default();
        let mut v = Violations::new();
        let province = v.check(
            "route.province_code",
            ProvinceCode::parse(&route.province_code),
        );
        let platform_key = if route.platform_id.is_empty() {
            Some(String::new())
        } else {
            v.check(
                "route.platform_id",
                wire::uuid("route.platform_id", &route.platform_id),
            )
            .map(|id| id.to_string())
        };
        let insurer_id = v.check(
            "route.insurer_id",
            wire::uuid("route.insurer_id", &route.insurer_id),
        );
        v.into_result()?;
        let (Some(province), Some(platform_key), Some(insurer_id)) =
            (province, platform_key, insurer_id)
        else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "validated fields missing"
            )));
        };
        let txn = gigshield_kit::db::begin_write(&self.db).await?;
        if let Some(previous) = key.replay(&txn).await? {
            return Ok(previous);
        }
        let row = route::Model {
            province_code: province.to_string(),
            platform_key,
            insurer_id,
            updated_at: Utc::now(),
        };
        queries::put_route(&txn, row.clone()).await?;
        let response = pb::PutRouteResponse {
            route: Some(view(&row)),
        };
        key.record(&txn, &response).await?;
        txn.commit().await?;
        tracing::info!(province = %row.province_code, insurer_id = %insurer_id, "route set");
        Ok(response)
    }

    pub(super) async fn list_routes(
        &self,
        principal: Principal,
        _req: pb::ListRoutesRequest,
    ) -> Result<pb::ListRoutesResponse, ApiError> {
        principal.require_any(&[RoleKind::Operator, RoleKind::Adjuster])?;
        Ok(pb::ListRoutesResponse {
            routes: queries::routes(&self.db).await?.iter().map(view).collect(),
        })
    }
}
