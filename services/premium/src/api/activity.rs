//! VerifyWorkActivity: the orders of a person around an instant, for claims; ListCoverageDays:
//! the days a person was covered in a month.

use chrono::Duration;
use gigshield_kit::access::Subject;
use gigshield_kit::replica::assignments;
use gigshield_kit::{ApiError, Caller, Principal, Role, Scope, wire};
use gigshield_proto::premium as pb;
use std::collections::BTreeSet;
use uuid::Uuid;

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
        self.require_person(&caller, person_id).await?;
        let at = wire::datetime("at", req.at.as_ref())?
            .ok_or_else(|| ApiError::invalid("at", "is required"))?;
        let margin = req
            .margin
            .map_or(Some(Duration::zero()), |d| margin(d.seconds, d.nanos))
            .ok_or_else(|| {
                ApiError::invalid(
                    "margin",
                    format!("must be between 0 and {MAX_MARGIN_HOURS} hours"),
                )
            })?;
        let from = earliest_acceptance(at, margin, self.settings.max_order_span);
        let rows = queries::orders_of_person(self.db(), person_id, from, at + margin).await?;
        // An agency sees the orders taken in its area.
        let in_area = |o: &&crate::domain::ingest::StoredOrder| {
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

impl PremiumApi {
    pub(super) async fn list_coverage_days(
        &self,
        principal: Principal,
        req: pb::ListCoverageDaysRequest,
    ) -> Result<pb::ListCoverageDaysResponse, ApiError> {
        let caller = self.caller("ListCoverageDays", principal)?;
        let person_id = match (&caller.principal.role, req.person_id.is_empty()) {
            (Role::Worker { person_id }, true) => *person_id,
            _ => wire::uuid("person_id", &req.person_id)?,
        };
        self.require_person(&caller, person_id).await?;
        let month = wire::month("month", &req.month)?;
        let rows = queries::coverage_days_of(
            self.db(),
            person_id,
            &month.first_day().to_string(),
            &month.last_day().to_string(),
        )
        .await?;
        // An agency or operator sees the days in its area.
        let days: Vec<_> = rows
            .into_iter()
            .filter(|d| {
                caller.scope != Scope::Jurisdiction
                    || caller.sees(&Subject::default().region(d.province.as_str()))
            })
            .collect();
        let covered = days
            .iter()
            .map(|d| d.day.as_str())
            .collect::<BTreeSet<_>>()
            .len();
        Ok(pb::ListCoverageDaysResponse {
            covered_days: i32::try_from(covered).unwrap_or(i32::MAX),
            days: days
                .into_iter()
                .map(|d| pb::CoverageDay {
                    day: d.day,
                    platform_id: d.platform_id.to_string(),
                    province_code: d.province,
                    first_accepted_at: Some(wire::timestamp(d.accepted_at)),
                })
                .collect(),
        })
    }

    /// A worker asks about themself; an insurer about a person with a case routed to it (the
    /// assignments replica). Area scopes filter what they are shown instead.
    async fn require_person(&self, caller: &Caller, person_id: Uuid) -> Result<(), ApiError> {
        match caller.scope {
            Scope::Myself => caller.require(&Subject::default().person(person_id)),
            Scope::Assigned => {
                let insurers = assignments::insurers_of_person(self.db(), person_id).await?;
                caller.require(&Subject::default().person(person_id).insurers(insurers))
            }
            _ => Ok(()),
        }
    }
}

/// A margin within `0..=MAX_MARGIN_HOURS`, checked before any arithmetic (a protobuf
/// `Duration` may carry up to ±10,000 years).
fn margin(seconds: i64, nanos: i32) -> Option<Duration> {
    let limit = MAX_MARGIN_HOURS * 3600;
    if !(0..=limit).contains(&seconds) || !(0..1_000_000_000).contains(&nanos) {
        return None;
    }
    let margin = Duration::seconds(seconds) + Duration::nanoseconds(i64::from(nanos));
    (margin <= Duration::hours(MAX_MARGIN_HOURS)).then_some(margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_are_checked_before_any_arithmetic() {
        assert_eq!(margin(600, 0), Some(Duration::minutes(10)));
        assert_eq!(margin(24 * 3600, 0), Some(Duration::hours(24)));
        for (seconds, nanos) in [
            (24 * 3600, 1),
            (i64::MAX, 0),
            (i64::MIN, 0),
            (-1, 0),
            (0, -5),
        ] {
            assert_eq!(margin(seconds, nanos), None, "{seconds} {nanos}");
        }
    }
}
