//! VerifyWorkActivity: the orders of a person around an instant, for claims.

use chrono::Duration;
use gigshield_kit::access::Subject;
use gigshield_kit::replica::assignments;
use gigshield_kit::{ApiError, Principal, Scope, wire};
use gigshield_proto::premium as pb;

use super::{PremiumApi, views};
use crate::domain::activity::{earliest_acceptance, window_contains};
use crate::store::queries;

/// The widest margin a caller may ask for: wider would read many partitions for nothing a
/// determination could use.
const MAX_MARGIN_HOURS: i64 = 24;

impl PremiumApi {
    pub(super) async fn verify_work_activity(
        &self,
        principal: Principal,
        req: pb::VerifyWorkActivityRequest,
    ) -> Result<pb::VerifyWorkActivityResponse, ApiError> {
        let caller = self.caller("VerifyWorkActivity", principal)?;
        let person_id = wire::uuid("person_id", &req.person_id)?;
        // An insurer asks only about a person with a case routed to it (read from the
        // assignments replica, not from the orders).
        if caller.scope == Scope::Assigned {
            let insurers = assignments::insurers_of_person(self.db(), person_id).await?;
            caller.require(&Subject::default().person(person_id).insurers(insurers))?;
        }
        let at = wire::datetime("at", req.at.as_ref())?
            .ok_or_else(|| ApiError::invalid("at", "is required"))?;
        let margin = match req.margin {
            None => Duration::zero(),
            Some(d) => Duration::seconds(d.seconds) + Duration::nanoseconds(i64::from(d.nanos)),
        };
        if margin < Duration::zero() || margin > Duration::hours(MAX_MARGIN_HOURS) {
            return Err(ApiError::invalid(
                "margin",
                format!("must be between 0 and {MAX_MARGIN_HOURS} hours"),
            ));
        }
        let from = earliest_acceptance(at, margin, self.settings.max_order_span);
        let rows = queries::orders_of_person(self.db(), person_id, from, at + margin).await?;
        // An agency sees the orders taken in its area.
        let in_area = |o: &&crate::store::queries::StoredOrder| {
            caller.scope != Scope::Jurisdiction
                || caller.sees(&Subject::default().region(o.order.region.as_str()))
        };
        Ok(pb::VerifyWorkActivityResponse {
            orders: rows
                .iter()
                .filter(|o| window_contains(&o.order.timeline, at, margin))
                .filter(in_area)
                .map(views::activity)
                .collect(),
        })
    }
}
