//! One batch of the order stream decided in memory: which reports are new orders, which update
//! a stored order, which change nothing or conflict; and what the batch adds to the ledger,
//! the daily statement and the coverage days. The api reads what this needs (the stored
//! orders among the batch's ids, whether each id is new) and writes what it returns, in one
//! transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::ProvinceCode;

use super::billing::{BillableRule, Charge, accrual_change, is_billable};
use super::coverage::CoverageDayKey;
use super::declaration::declaration_month;
use super::orders::{Merge, Order, OrderConflict, merge_update};

/// An order as stored, with the rate that prices it and whether its fee is charged now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    pub order: Order,
    pub fen_per_order: i64,
    pub billed: bool,
}

/// The ledger line a net fee change is filed under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeeKey {
    pub province: ProvinceCode,
    pub order_month: CalendarMonth,
    pub declaration_month: CalendarMonth,
    pub industry: Industry,
    pub fen_per_order: i64,
}

/// A change to one (platform, province, day) line of the month statement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayDelta {
    pub orders: i64,
    pub billable: i64,
    pub amount_fen: i64,
}

/// A valid report with the rate in force for it, at its position in the stream message.
#[derive(Debug, Clone)]
pub struct PricedReport {
    pub index: usize,
    pub order: Order,
    pub fen_per_order: i64,
}

/// The priced reports of one order id, in the order sent: a batch may carry an order and its
/// later update, which apply in that order.
#[derive(Debug, Clone)]
pub struct OrderGroup {
    pub order_id: String,
    pub reports: Vec<PricedReport>,
}

impl OrderGroup {
    /// The acceptance instant that keys the order (its first report's; a later report that
    /// moves it is a conflict).
    pub fn accepted_at(&self) -> DateTime<Utc> {
        self.reports[0].order.timeline.accepted_at
    }
}

/// Groups reports by order id in first-seen order.
pub fn group_by_order(priced: Vec<PricedReport>) -> Vec<OrderGroup> {
    let mut groups: Vec<OrderGroup> = Vec::new();
    let mut slot_of: HashMap<String, usize> = HashMap::new();
    for report in priced {
        let slot = *slot_of
            .entry(report.order.order_id.clone())
            .or_insert_with(|| {
                groups.push(OrderGroup {
                    order_id: report.order.order_id.clone(),
                    reports: Vec::new(),
                });
                groups.len() - 1
            });
        groups[slot].reports.push(report);
    }
    groups
}

/// What became of one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Unchanged,
    Updated,
    Conflict(OrderConflict),
}

/// The first order seen for a coverage day in this batch: it opens the day unless the day is
/// already stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageCandidate {
    pub key: CoverageDayKey,
    pub order_id: String,
    pub accepted_at: DateTime<Utc>,
}

/// Everything one batch writes.
#[derive(Debug, Default)]
pub struct BatchPlan {
    pub outcomes: Vec<(usize, Outcome)>,
    /// Orders not stored before, sorted by order id.
    pub inserts: Vec<StoredOrder>,
    /// Stored orders whose times changed, sorted by order id.
    pub updates: Vec<StoredOrder>,
    /// Net order count per ledger line (non-zero).
    pub fees: Vec<(FeeKey, i64)>,
    /// Net change per (province, Shanghai day) of acceptance (non-zero).
    pub days: Vec<((ProvinceCode, NaiveDate), DayDelta)>,
    /// One candidate per coverage day the new orders fall on, sorted by key.
    pub coverage: Vec<CoverageCandidate>,
}

/// An order id claimed earlier whose order cannot be read: the store is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("order_key of {0} exists without its order")]
pub struct KeyWithoutOrder(pub String);

/// Decides the batch. `new_ids` are the ids this batch claimed first; `stored` holds the
/// stored order of every other id. `last_closed` is the last declared month: a fee change in
/// a closed month is filed under the next open one.
pub fn plan_batch(
    groups: Vec<OrderGroup>,
    new_ids: &HashSet<String>,
    stored: &HashMap<String, StoredOrder>,
    rule: BillableRule,
    last_closed: Option<CalendarMonth>,
) -> Result<BatchPlan, KeyWithoutOrder> {
    let mut plan = BatchPlan::default();
    let mut fees: BTreeMap<FeeKey, i64> = BTreeMap::new();
    let mut days: BTreeMap<(ProvinceCode, NaiveDate), DayDelta> = BTreeMap::new();
    let mut coverage: BTreeMap<CoverageDayKey, CoverageCandidate> = BTreeMap::new();
    for group in groups {
        let before = stored.get(&group.order_id);
        if before.is_none() && !new_ids.contains(&group.order_id) {
            return Err(KeyWithoutOrder(group.order_id));
        }
        // The rate that priced the order when first stored prices its reversal too.
        let fen = before.map_or(group.reports[0].fen_per_order, |s| s.fen_per_order);
        let Some(after) = fold_reports(before.map(|s| &s.order), group.reports, &mut plan) else {
            continue;
        };
        let before_timeline = before.map(|s| &s.order.timeline);
        if before_timeline == Some(&after.timeline) {
            continue;
        }
        let change = accrual_change(before_timeline, &after.timeline, rule);
        if let Some(charge) = Charge::for_order(&after, fen, change) {
            let key = FeeKey {
                province: charge.province,
                order_month: charge.order_month,
                declaration_month: declaration_month(charge.order_month, last_closed),
                industry: charge.industry,
                fen_per_order: fen,
            };
            *fees.entry(key).or_default() += charge.order_count;
        }
        let day = days
            .entry((after.province(), shanghai_date(after.timeline.accepted_at)))
            .or_default();
        day.billable += change.order_delta();
        day.amount_fen += change.order_delta() * fen;
        let row = StoredOrder {
            billed: is_billable(&after.timeline, rule),
            order: after,
            fen_per_order: fen,
        };
        if before.is_some() {
            plan.updates.push(row);
            continue;
        }
        day.orders += 1;
        keep_first_of_day(&mut coverage, &row.order);
        plan.inserts.push(row);
    }
    plan.inserts
        .sort_by(|a, b| a.order.order_id.cmp(&b.order.order_id));
    plan.updates
        .sort_by(|a, b| a.order.order_id.cmp(&b.order.order_id));
    plan.fees = fees.into_iter().filter(|(_, n)| *n != 0).collect();
    plan.days = days
        .into_iter()
        .filter(|(_, d)| *d != DayDelta::default())
        .collect();
    plan.coverage = coverage.into_values().collect();
    Ok(plan)
}

/// Applies a group's reports in the order sent onto the stored order (if any), recording each
/// report's outcome; returns the order as it ends up.
fn fold_reports(
    stored: Option<&Order>,
    reports: Vec<PricedReport>,
    plan: &mut BatchPlan,
) -> Option<Order> {
    let mut current = stored.cloned();
    for report in reports {
        let outcome = match &current {
            None => {
                current = Some(report.order);
                Outcome::Accepted
            }
            Some(base) => match merge_update(base, &report.order) {
                Merge::Unchanged => Outcome::Unchanged,
                Merge::Updated(merged) => {
                    current = Some(merged);
                    Outcome::Updated
                }
                Merge::Conflict(conflict) => Outcome::Conflict(conflict),
            },
        };
        plan.outcomes.push((report.index, outcome));
    }
    current
}

/// The earliest accepted order of a coverage day is the one that opened it.
fn keep_first_of_day(coverage: &mut BTreeMap<CoverageDayKey, CoverageCandidate>, order: &Order) {
    let key = CoverageDayKey::for_order(order);
    let accepted_at = order.timeline.accepted_at;
    coverage
        .entry(key.clone())
        .and_modify(|seen| {
            if accepted_at < seen.accepted_at {
                seen.order_id = order.order_id.clone();
                seen.accepted_at = accepted_at;
            }
        })
        .or_insert_with(|| CoverageCandidate {
            key,
            order_id: order.order_id.clone(),
            accepted_at,
        });
}

#[cfg(test)]
mod tests {
    use gigshield_scheme::region::RegionCode;
    use uuid::Uuid;

    use super::*;
    use crate::domain::orders::OrderTimeline;

    const RULE: BillableRule = BillableRule::NotCancelledBeforePickup;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn order(id: &str, person: u128, accepted_at: &str) -> Order {
        Order {
            platform_id: Uuid::from_u128(1),
            person_id: Uuid::from_u128(person),
            order_id: id.into(),
            external_worker_id: format!("w{person}"),
            industry: Industry::FoodDelivery,
            region: RegionCode::parse("440305").unwrap(),
            timeline: OrderTimeline {
                accepted_at: at(accepted_at),
                picked_up_at: None,
                completed_at: None,
                cancelled_at: None,
            },
        }
    }

    fn cancelled(mut o: Order, when: &str) -> Order {
        o.timeline.cancelled_at = Some(at(when));
        o
    }

    fn priced(index: usize, order: Order) -> PricedReport {
        PricedReport {
            index,
            order,
            fen_per_order: 7,
        }
    }

    fn new_ids(ids: &[&str]) -> HashSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn new_orders_are_inserted_charged_and_open_their_day_once() {
        let groups = group_by_order(vec![
            priced(0, order("b", 7, "2026-07-01T04:00:00Z")),
            priced(1, order("a", 7, "2026-07-01T02:00:00Z")),
            priced(2, order("c", 8, "2026-07-01T03:00:00Z")),
        ]);
        let plan = plan_batch(
            groups,
            &new_ids(&["a", "b", "c"]),
            &HashMap::new(),
            RULE,
            None,
        )
        .unwrap();
        let ids: Vec<&str> = plan
            .inserts
            .iter()
            .map(|s| s.order.order_id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b", "c"], "sorted by order id");
        assert!(plan.updates.is_empty());
        assert_eq!(plan.fees.len(), 1);
        assert_eq!(plan.fees[0].1, 3);
        assert_eq!(
            plan.days[0].1,
            DayDelta {
                orders: 3,
                billable: 3,
                amount_fen: 21
            }
        );
        let opened: Vec<(u128, &str)> = plan
            .coverage
            .iter()
            .map(|c| (c.key.person_id.as_u128(), c.order_id.as_str()))
            .collect();
        assert_eq!(
            opened,
            [(7, "a"), (8, "c")],
            "the earliest order opens the day"
        );
    }

    #[test]
    fn an_order_and_its_cancellation_in_one_batch_fold_into_one_insert() {
        let first = order("a", 7, "2026-07-01T02:00:00Z");
        let groups = group_by_order(vec![
            priced(0, first.clone()),
            priced(1, cancelled(first, "2026-07-01T02:05:00Z")),
        ]);
        let plan = plan_batch(groups, &new_ids(&["a"]), &HashMap::new(), RULE, None).unwrap();
        assert_eq!(
            plan.outcomes,
            vec![(0, Outcome::Accepted), (1, Outcome::Updated)]
        );
        assert_eq!(plan.inserts.len(), 1);
        assert!(!plan.inserts[0].billed, "cancelled before pickup");
        assert!(plan.fees.is_empty(), "nothing to charge");
        assert_eq!(plan.days[0].1.orders, 1);
        assert_eq!(
            plan.coverage.len(),
            1,
            "a cancelled order still opened the day"
        );
    }

    #[test]
    fn a_resent_update_reverses_the_fee_at_the_stored_rate_and_opens_no_day() {
        let first = order("a", 7, "2026-07-01T02:00:00Z");
        let stored = HashMap::from([(
            "a".to_string(),
            StoredOrder {
                order: first.clone(),
                fen_per_order: 25,
                billed: true,
            },
        )]);
        let groups = group_by_order(vec![priced(4, cancelled(first, "2026-07-01T02:05:00Z"))]);
        let plan = plan_batch(groups, &HashSet::new(), &stored, RULE, None).unwrap();
        assert_eq!(plan.outcomes, vec![(4, Outcome::Updated)]);
        assert!(plan.inserts.is_empty());
        assert_eq!(plan.updates.len(), 1);
        assert_eq!(plan.fees.len(), 1);
        assert_eq!((plan.fees[0].0.fen_per_order, plan.fees[0].1), (25, -1));
        assert_eq!(
            plan.days[0].1,
            DayDelta {
                orders: 0,
                billable: -1,
                amount_fen: -25
            }
        );
        assert!(plan.coverage.is_empty());
    }

    #[test]
    fn an_identical_resend_writes_nothing() {
        let first = order("a", 7, "2026-07-01T02:00:00Z");
        let stored = HashMap::from([(
            "a".to_string(),
            StoredOrder {
                order: first.clone(),
                fen_per_order: 7,
                billed: true,
            },
        )]);
        let plan = plan_batch(
            group_by_order(vec![priced(0, first)]),
            &HashSet::new(),
            &stored,
            RULE,
            None,
        )
        .unwrap();
        assert_eq!(plan.outcomes, vec![(0, Outcome::Unchanged)]);
        assert!(plan.inserts.is_empty() && plan.updates.is_empty());
        assert!(plan.fees.is_empty() && plan.days.is_empty() && plan.coverage.is_empty());
    }

    #[test]
    fn a_claimed_id_without_its_order_is_an_error() {
        let groups = group_by_order(vec![priced(0, order("a", 7, "2026-07-01T02:00:00Z"))]);
        assert_eq!(
            plan_batch(groups, &HashSet::new(), &HashMap::new(), RULE, None).unwrap_err(),
            KeyWithoutOrder("a".into())
        );
    }

    #[test]
    fn a_charge_in_a_closed_month_is_filed_under_the_next_open_one() {
        let june: CalendarMonth = "2026-06".parse().unwrap();
        let groups = group_by_order(vec![priced(0, order("a", 7, "2026-06-30T02:00:00Z"))]);
        let plan = plan_batch(groups, &new_ids(&["a"]), &HashMap::new(), RULE, Some(june)).unwrap();
        assert_eq!(plan.fees[0].0.order_month, june);
        assert_eq!(plan.fees[0].0.declaration_month, "2026-07".parse().unwrap());
    }
}
