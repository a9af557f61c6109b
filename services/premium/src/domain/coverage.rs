//! Coverage days (按日参保): a worker is covered by a platform in a province on each Shanghai
//! calendar day on which they accept one of its orders there.

use chrono::NaiveDate;
use gigshield_scheme::calendar::shanghai_date;
use gigshield_scheme::region::ProvinceCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::orders::Order;

/// The first order with a given key opens the coverage day (`CoverageDayStarted`); later
/// orders with the same key change nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CoverageDayKey {
    pub person_id: Uuid,
    pub platform_id: Uuid,
    pub province: ProvinceCode,
    pub date: NaiveDate,
}

impl CoverageDayKey {
    /// Keyed on the acceptance date. Any accepted order opens the day, billable or not:
    /// coverage is never withdrawn after the fact, because the worker may have been hurt in
    /// the minutes before a cancellation. An order running past midnight does not open the
    /// next day; the claims side checks the order window itself (`VerifyWorkActivity`).
    pub fn for_order(order: &Order) -> Self {
        Self {
            person_id: order.person_id,
            platform_id: order.platform_id,
            province: order.province(),
            date: shanghai_date(order.timeline.accepted_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use gigshield_scheme::industry::Industry;
    use gigshield_scheme::region::RegionCode;

    use super::*;
    use crate::domain::orders::OrderTimeline;

    fn order(accepted_at: &str, region: &str, platform: u128) -> Order {
        Order {
            platform_id: Uuid::from_u128(platform),
            person_id: Uuid::from_u128(9),
            order_id: format!("{accepted_at}-{region}-{platform}"),
            external_worker_id: "w".into(),
            industry: Industry::RideHailing,
            region: RegionCode::parse(region).unwrap(),
            timeline: OrderTimeline {
                accepted_at: accepted_at.parse::<DateTime<Utc>>().unwrap(),
                picked_up_at: None,
                completed_at: None,
                cancelled_at: None,
            },
        }
    }

    #[test]
    fn the_day_is_the_shanghai_date_of_acceptance() {
        let late = CoverageDayKey::for_order(&order("2025-07-01T15:59:59Z", "440305", 1));
        let after_midnight = CoverageDayKey::for_order(&order("2025-07-01T16:00:00Z", "440305", 1));
        assert_eq!(late.date, NaiveDate::from_ymd_opt(2025, 7, 1).unwrap());
        assert_eq!(
            after_midnight.date,
            NaiveDate::from_ymd_opt(2025, 7, 2).unwrap()
        );
    }

    #[test]
    fn orders_on_the_same_day_share_a_key_per_platform_and_province() {
        let morning = CoverageDayKey::for_order(&order("2025-07-02T01:00:00Z", "440305", 1));
        let evening = CoverageDayKey::for_order(&order("2025-07-02T12:00:00Z", "440106", 1));
        let other_province = CoverageDayKey::for_order(&order("2025-07-02T12:00:00Z", "310115", 1));
        let other_platform = CoverageDayKey::for_order(&order("2025-07-02T12:00:00Z", "440305", 2));
        assert_eq!(morning, evening);
        assert_ne!(morning, other_province);
        assert_ne!(morning, other_platform);
    }
}
