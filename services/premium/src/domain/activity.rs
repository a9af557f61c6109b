//! Work activity for claims: whether an order was under way at an instant.

use chrono::{DateTime, Duration, Utc};

use super::orders::OrderTimeline;

/// Whether `at` lies in the order's window widened by `margin` on both sides: from acceptance
/// to completion or cancellation. An order still open counts from acceptance on; how long an
/// open order may cover an incident is the claims side's rule, so it gets every open order.
pub fn window_contains(timeline: &OrderTimeline, at: DateTime<Utc>, margin: Duration) -> bool {
    if at < timeline.accepted_at - margin {
        return false;
    }
    match timeline.completed_at.or(timeline.cancelled_at) {
        Some(end) => at <= end + margin,
        None => true,
    }
}

/// The earliest acceptance an order containing `at` can have, given the longest an order runs:
/// the bound that lets the query read only the partitions around `at`.
pub fn earliest_acceptance(
    at: DateTime<Utc>,
    margin: Duration,
    max_order_span: Duration,
) -> DateTime<Utc> {
    at - margin - max_order_span
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn timeline(end: Option<&str>) -> OrderTimeline {
        OrderTimeline {
            accepted_at: utc("2025-08-01T03:00:00Z"),
            picked_up_at: None,
            completed_at: end.map(utc),
            cancelled_at: None,
        }
    }

    #[test]
    fn the_window_runs_from_acceptance_to_the_end_widened_by_the_margin() {
        let done = timeline(Some("2025-08-01T03:30:00Z"));
        let m = Duration::minutes(10);
        assert!(window_contains(
            &done,
            utc("2025-08-01T03:15:00Z"),
            Duration::zero()
        ));
        assert!(window_contains(&done, utc("2025-08-01T02:50:00Z"), m));
        assert!(!window_contains(&done, utc("2025-08-01T02:49:59Z"), m));
        assert!(window_contains(&done, utc("2025-08-01T03:40:00Z"), m));
        assert!(!window_contains(&done, utc("2025-08-01T03:40:01Z"), m));
        let cancelled = OrderTimeline {
            completed_at: None,
            cancelled_at: Some(utc("2025-08-01T03:05:00Z")),
            ..done
        };
        assert!(!window_contains(
            &cancelled,
            utc("2025-08-01T03:06:00Z"),
            Duration::zero()
        ));
    }

    #[test]
    fn an_open_order_covers_everything_after_acceptance() {
        let open = timeline(None);
        assert!(window_contains(
            &open,
            utc("2025-08-02T03:00:00Z"),
            Duration::zero()
        ));
        assert!(!window_contains(
            &open,
            utc("2025-08-01T02:59:59Z"),
            Duration::zero()
        ));
        assert_eq!(
            earliest_acceptance(
                utc("2025-08-02T03:00:00Z"),
                Duration::hours(1),
                Duration::hours(24)
            ),
            utc("2025-08-01T02:00:00Z")
        );
    }
}
