//! The routing table (operator): which insurer handles claims of a province and platform.

use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Principal, Violations, wire};
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

/// A route's province as a 6-digit code (routes store `XX0000` or the 2 digits).
fn province_code(stored: &str) -> String {
    ProvinceCode::parse(stored).map_or_else(|_| stored.to_string(), |p| p.region_code())
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
        let caller = self.caller("PutRoute", principal).await?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "PutRoute", &req)?;
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
        // An operator routes only provinces inside its area.
        if let Some(area) = caller.principal.role.jurisdiction()
            && !area.contains_region(&province.region_code())
        {
            return Err(ApiError::PermissionDenied(
                "route.province_code: outside the operator's area".into(),
            ));
        }
        let row = route::Model {
            province_code: province.to_string(),
            platform_key,
            insurer_id,
            updated_at: self.writer.now(),
        };
        gigshield_kit::write!(self.writer, key, |txn| {
            queries::put_route(&txn, row.clone()).await?;
            tracing::info!(province = %row.province_code, insurer_id = %insurer_id, "route set");
            Ok(pb::PutRouteResponse {
                route: Some(view(&row)),
            })
        })
    }

    pub(super) async fn list_routes(
        &self,
        principal: Principal,
        _req: pb::ListRoutesRequest,
    ) -> Result<pb::ListRoutesResponse, ApiError> {
        let caller = self.caller("ListRoutes", principal).await?;
        let role = &caller.principal.role;
        let routes = queries::routes(self.db()).await?;
        Ok(pb::ListRoutesResponse {
            routes: routes
                .iter()
                .filter(|r| match role.insurer() {
                    Some(insurer) => r.insurer_id == insurer,
                    None => role
                        .jurisdiction()
                        .is_some_and(|area| area.covers(&province_code(&r.province_code))),
                })
                .map(view)
                .collect(),
        })
    }
}
