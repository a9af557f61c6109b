//! Which order an incident belongs to: the windows an order covers and the matching of the
//! incident time against the person's orders on every platform.

use super::*;

pub(super) enum OrderMatch<'a> {
    None,
    Unique(&'a OrderWindow),
    Ambiguous(Vec<&'a OrderWindow>),
}

/// The covering window of an order, grace included (see [`work_related`]). Saturates at the
/// ends of the representable time range instead of panicking on absurd inputs.
pub fn covering_window(order: &OrderWindow, reach: OrderReach) -> (DateTime<Utc>, DateTime<Utc>) {
    let grace = TimeDelta::minutes(i64::from(reach.grace_minutes));
    let start = order
        .accepted_at
        .checked_sub_signed(grace)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let end = match order.end {
        OrderEnd::Completed(at) | OrderEnd::Cancelled(at) => at.checked_add_signed(grace),
        OrderEnd::Open => order
            .accepted_at
            .checked_add_signed(TimeDelta::minutes(i64::from(reach.open_order_max_minutes))),
    }
    .unwrap_or(DateTime::<Utc>::MAX_UTC);
    (start, end)
}

pub(super) fn match_orders<'a>(
    facts: &'a DeterminationFacts,
    params: &DeterminationParams,
) -> OrderMatch<'a> {
    let at = facts.occurred_at;
    let reach = params.reach(at);
    let mut covering: Vec<&OrderWindow> = facts
        .orders
        .iter()
        .filter(|order| {
            let (start, end) = covering_window(order, reach);
            start <= at && at <= end
        })
        .collect();
    let Some(first) = covering.first() else {
        return OrderMatch::None;
    };
    let platform = first.platform_id;
    if covering.iter().any(|order| order.platform_id != platform) {
        return OrderMatch::Ambiguous(covering);
    }
    // Among one platform's orders the trace names the one that covers without grace, then
    // the earliest accepted, then the smallest order id: any choice is liable-equivalent, a
    // fixed one keeps the trace reproducible.
    covering.sort_by(|a, b| {
        let strict = |o: &OrderWindow| within_span(o, at, reach);
        strict(b)
            .cmp(&strict(a))
            .then(a.accepted_at.cmp(&b.accepted_at))
            .then(a.order_id.cmp(&b.order_id))
    });
    OrderMatch::Unique(covering[0])
}

/// Whether `at` lies in the order's own span, grace not included: from acceptance to its end,
/// or for an open order to the open-order limit.
pub(super) fn within_span(order: &OrderWindow, at: DateTime<Utc>, reach: OrderReach) -> bool {
    let end = match order.end {
        OrderEnd::Completed(end) | OrderEnd::Cancelled(end) => Some(end),
        OrderEnd::Open => order
            .accepted_at
            .checked_add_signed(TimeDelta::minutes(i64::from(reach.open_order_max_minutes))),
    };
    order.accepted_at <= at && end.is_none_or(|end| at <= end)
}

pub(super) fn describe_order(order: &OrderWindow) -> String {
    let end = match order.end {
        OrderEnd::Open => "still open".to_owned(),
        OrderEnd::Completed(at) => format!("completed {}", ts(at)),
        OrderEnd::Cancelled(at) => format!("cancelled {}", ts(at)),
    };
    let picked_up = order.picked_up_at.map_or_else(
        || "not picked up".to_owned(),
        |at| format!("picked up {}", ts(at)),
    );
    format!(
        "order {} of platform {} in {}: accepted {}, {}, {}",
        order.order_id,
        order.platform_id,
        order.region,
        ts(order.accepted_at),
        picked_up,
        end
    )
}

pub(super) fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
