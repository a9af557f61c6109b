//! When an order costs the platform its per-order fee (按单计费), and the ledger charge it
//! causes.

use std::fmt;
use std::str::FromStr;

use gigshield_scheme::calendar::CalendarMonth;
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::ProvinceCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::orders::{Order, OrderTimeline};

/// Which orders are billable. The rules do not say whether an order that never got under way
/// counts, so it is a setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillableRule {
    /// Every accepted order: the worker was covered from acceptance, whatever came next.
    Accepted,
    /// Every accepted order except one cancelled before pickup. The default: a worker is
    /// exposed to road risk once they set off for the pickup, but an order dropped before it
    /// started is not work done. An order still open is billable (charged on arrival) and
    /// reversed if a cancellation before pickup follows, so a platform that never reports the
    /// outcome still pays.
    #[default]
    NotCancelledBeforePickup,
    /// Only completed orders; open orders are charged when their completion arrives.
    Completed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown billable rule {0:?} (expected accepted, not_cancelled_before_pickup or completed)"
)]
pub struct UnknownBillableRule(pub String);

impl BillableRule {
    pub const ALL: [BillableRule; 3] = [
        BillableRule::Accepted,
        BillableRule::NotCancelledBeforePickup,
        BillableRule::Completed,
    ];

    /// The setting's spelling in configuration.
    pub fn code(self) -> &'static str {
        match self {
            BillableRule::Accepted => "accepted",
            BillableRule::NotCancelledBeforePickup => "not_cancelled_before_pickup",
            BillableRule::Completed => "completed",
        }
    }
}

impl fmt::Display for BillableRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for BillableRule {
    type Err = UnknownBillableRule;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BillableRule::ALL
            .into_iter()
            .find(|rule| rule.code() == s)
            .ok_or_else(|| UnknownBillableRule(s.to_owned()))
    }
}

pub fn is_billable(timeline: &OrderTimeline, rule: BillableRule) -> bool {
    match rule {
        BillableRule::Accepted => true,
        BillableRule::NotCancelledBeforePickup => {
            timeline.cancelled_at.is_none() || timeline.picked_up_at.is_some()
        }
        BillableRule::Completed => timeline.completed_at.is_some(),
    }
}

/// What an order's arrival or update does to the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccrualChange {
    None,
    /// Charge the order's fee.
    Accrue,
    /// Take back a fee charged earlier (e.g. cancelled before pickup).
    Reverse,
}

impl AccrualChange {
    /// The order-count delta this change puts on the ledger.
    pub fn order_delta(self) -> i64 {
        match self {
            AccrualChange::None => 0,
            AccrualChange::Accrue => 1,
            AccrualChange::Reverse => -1,
        }
    }
}

/// Compares billability before (`None` for a new order) and after a report was applied.
pub fn accrual_change(
    before: Option<&OrderTimeline>,
    after: &OrderTimeline,
    rule: BillableRule,
) -> AccrualChange {
    let was = before.is_some_and(|timeline| is_billable(timeline, rule));
    match (was, is_billable(after, rule)) {
        (false, true) => AccrualChange::Accrue,
        (true, false) => AccrualChange::Reverse,
        _ => AccrualChange::None,
    }
}

/// A ledger charge: `order_count` orders (negative for a reversal) at `fen_per_order`, owed by
/// a platform for a province, belonging to the month the orders were accepted in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Charge {
    pub platform_id: Uuid,
    pub province: ProvinceCode,
    pub order_month: CalendarMonth,
    pub industry: Industry,
    pub fen_per_order: i64,
    pub order_count: i64,
}

impl Charge {
    /// The charge an order's change causes, at the rate that priced the order when it was first
    /// charged (a reversal must take back exactly what was charged). `None` when nothing changes.
    pub fn for_order(order: &Order, fen_per_order: i64, change: AccrualChange) -> Option<Self> {
        (change != AccrualChange::None).then(|| Self {
            platform_id: order.platform_id,
            province: order.province(),
            order_month: order.billing_month(),
            industry: order.industry,
            fen_per_order,
            order_count: change.order_delta(),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use gigshield_scheme::region::RegionCode;

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn timeline(picked: bool, completed: bool, cancelled: bool) -> OrderTimeline {
        OrderTimeline {
            accepted_at: utc("2025-07-31T15:50:00Z"),
            picked_up_at: picked.then(|| utc("2025-07-31T15:55:00Z")),
            completed_at: completed.then(|| utc("2025-07-31T16:20:00Z")),
            cancelled_at: cancelled.then(|| utc("2025-07-31T16:25:00Z")),
        }
    }

    #[test]
    fn the_default_rule_is_not_cancelled_before_pickup() {
        assert_eq!(
            BillableRule::default(),
            BillableRule::NotCancelledBeforePickup
        );
    }

    #[test]
    fn rules_parse_from_their_configuration_spelling() {
        for rule in BillableRule::ALL {
            assert_eq!(rule.to_string().parse::<BillableRule>(), Ok(rule));
        }
        assert!("pickup".parse::<BillableRule>().is_err());
    }

    #[test]
    fn billability_by_rule_and_status() {
        use BillableRule::*;
        // (picked, completed, cancelled) → (Accepted, NotCancelledBeforePickup, Completed)
        let table = [
            ((false, false, false), (true, true, false)),
            ((true, false, false), (true, true, false)),
            ((true, true, false), (true, true, true)),
            ((false, true, false), (true, true, true)),
            ((false, false, true), (true, false, false)),
            ((true, false, true), (true, true, false)),
        ];
        for ((picked, completed, cancelled), (accepted, not_cancelled, done)) in table {
            let t = timeline(picked, completed, cancelled);
            assert_eq!(is_billable(&t, Accepted), accepted, "{t:?}");
            assert_eq!(
                is_billable(&t, NotCancelledBeforePickup),
                not_cancelled,
                "{t:?}"
            );
            assert_eq!(is_billable(&t, Completed), done, "{t:?}");
        }
    }

    #[test]
    fn a_cancellation_before_pickup_reverses_the_charge_under_the_default() {
        let rule = BillableRule::default();
        let open = timeline(false, false, false);
        let cancelled = timeline(false, false, true);
        assert_eq!(accrual_change(None, &open, rule), AccrualChange::Accrue);
        assert_eq!(
            accrual_change(Some(&open), &cancelled, rule),
            AccrualChange::Reverse
        );
        assert_eq!(
            accrual_change(Some(&cancelled), &cancelled, rule),
            AccrualChange::None
        );
        assert_eq!(accrual_change(None, &cancelled, rule), AccrualChange::None);
    }

    #[test]
    fn under_completed_the_charge_waits_for_completion() {
        let rule = BillableRule::Completed;
        let open = timeline(true, false, false);
        let done = timeline(true, true, false);
        assert_eq!(accrual_change(None, &open, rule), AccrualChange::None);
        assert_eq!(
            accrual_change(Some(&open), &done, rule),
            AccrualChange::Accrue
        );
        assert_eq!(
            accrual_change(Some(&done), &done, rule),
            AccrualChange::None
        );
    }

    #[test]
    fn the_charge_belongs_to_the_acceptance_month_in_shanghai() {
        // Accepted 23:50 on 31 July in Shanghai, completed after midnight: still July.
        let order = Order {
            platform_id: Uuid::from_u128(1),
            person_id: Uuid::from_u128(2),
            order_id: "o".into(),
            external_worker_id: "w".into(),
            industry: Industry::InstantDelivery,
            region: RegionCode::parse("320102").unwrap(),
            timeline: timeline(true, true, false),
        };
        let charge = Charge::for_order(&order, 7, AccrualChange::Accrue).unwrap();
        assert_eq!(charge.order_month.to_string(), "2025-07");
        assert_eq!(charge.province.region_code(), "320000");
        assert_eq!(charge.order_count, 1);
        let reversal = Charge::for_order(&order, 7, AccrualChange::Reverse).unwrap();
        assert_eq!(reversal.order_count, -1);
        assert_eq!(Charge::for_order(&order, 7, AccrualChange::None), None);
    }
}
