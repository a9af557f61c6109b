//! The order generator: deterministic riders' days of orders, built as they are streamed.

use super::*;

/// Days of orders reported.
pub(super) const DAYS: u32 = 30;
/// How long before the first order the platform joined and its riders' memberships began.
pub(super) const JOINED_DAYS_BEFORE: i64 = 3;

pub(super) fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

pub(super) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// One order, as the platform reports it in its final state.
pub(super) struct GeneratedOrder {
    pub(super) order_id: String,
    pub(super) worker: u64,
    pub(super) day: u32,
    pub(super) accepted_at: DateTime<Utc>,
    pub(super) picked_up_at: Option<DateTime<Utc>>,
    pub(super) completed_at: Option<DateTime<Utc>>,
    pub(super) cancelled_at: Option<DateTime<Utc>>,
}

impl GeneratedOrder {
    pub(super) fn district(&self) -> &'static str {
        DISTRICTS[(self.worker % DISTRICTS.len() as u64) as usize]
    }

    /// The default billable rule: not cancelled before pickup.
    pub(super) fn billable(&self) -> bool {
        self.cancelled_at.is_none() || self.picked_up_at.is_some()
    }
}

/// Deterministic orders over the 30 Shanghai days that ended before today (or yesterday,
/// just after midnight, so no status time is in the future): order `n` is the same every
/// time it is asked for, so the gRPC stream and the CSV carry identical rows.
pub(super) struct OrderGenerator {
    pub(super) orders: u64,
    pub(super) workers: u64,
    pub(super) first_day_start: DateTime<Utc>,
    pub(super) cumulative: [f64; 25],
}

pub(super) struct Expectations {
    pub(super) coverage_days: i64,
    pub(super) billable: i64,
    pub(super) cancelled: i64,
}

impl OrderGenerator {
    pub(super) fn new(orders: u64, workers: u64, now: DateTime<Utc>) -> Self {
        let local = now.with_timezone(&shanghai());
        // The last order ends at most ~75 min after the last day's midnight.
        let back = if local.time() >= NaiveTime::from_hms_opt(2, 0, 0).expect("valid") {
            DAYS
        } else {
            DAYS + 1
        };
        let first_day = local.date_naive() - chrono::Days::new(u64::from(back));
        let first_day_start = shanghai()
            .from_local_datetime(&first_day.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("UTC+8 has no gaps")
            .with_timezone(&Utc);
        let total: f64 = HOURLY_WEIGHT.iter().sum();
        let mut cumulative = [0.0; 25];
        for h in 0..24 {
            cumulative[h + 1] = cumulative[h] + HOURLY_WEIGHT[h] / total;
        }
        Self {
            orders,
            workers,
            first_day_start,
            cumulative,
        }
    }

    pub(super) fn first_of_day(&self, day: u64) -> u64 {
        ((u128::from(day) * u128::from(self.orders)).div_ceil(u128::from(DAYS))) as u64
    }

    pub(super) fn order(&self, n: u64) -> GeneratedOrder {
        let day = ((u128::from(n) * u128::from(DAYS)) / u128::from(self.orders)) as u64;
        let first = self.first_of_day(day);
        let in_day = self.first_of_day(day + 1) - first;
        // The k-th order of the day at the k-th quantile of the day's hourly profile.
        let f = ((n - first) as f64 + 0.5) / in_day as f64;
        let hour = (0..24).find(|&h| f < self.cumulative[h + 1]).unwrap_or(23);
        let within =
            (f - self.cumulative[hour]) / (self.cumulative[hour + 1] - self.cumulative[hour]);
        let micros = ((hour as f64 + within.clamp(0.0, 1.0)) * 3600.0 * 1e6) as i64;
        let accepted_at = self.first_day_start
            + chrono::Duration::days(day as i64)
            + chrono::Duration::microseconds(micros.min(86_400_000_000 - 1));

        let h = splitmix64(n);
        let worker = splitmix64(n ^ 0x005E_ED0F_0A11_0CA7) % self.workers;
        let secs = |s: u64| chrono::Duration::seconds(s as i64);
        let pickup = accepted_at + secs(120 + (h >> 8) % 600);
        let (picked_up_at, completed_at, cancelled_at) = match h % 100 {
            // Cancelled before pickup: not billable under the default rule.
            0..=2 => (None, None, Some(accepted_at + secs(60 + (h >> 32) % 240))),
            // Cancelled on the way, after pickup.
            3..=4 => (
                Some(pickup),
                None,
                Some(pickup + secs(60 + (h >> 40) % 540)),
            ),
            _ => (
                Some(pickup),
                Some(pickup + secs(480 + (h >> 20) % 1920)),
                None,
            ),
        };
        GeneratedOrder {
            order_id: format!("B{n:010}"),
            worker,
            day: day as u32,
            accepted_at,
            picked_up_at,
            completed_at,
            cancelled_at,
        }
    }

    pub(super) fn expectations(&self) -> Expectations {
        let mut days = HashSet::new();
        let mut billable = 0;
        let mut cancelled = 0;
        for n in 0..self.orders {
            let o = self.order(n);
            days.insert(o.worker * u64::from(DAYS) + u64::from(o.day));
            billable += i64::from(o.billable());
            cancelled += i64::from(o.cancelled_at.is_some());
        }
        Expectations {
            coverage_days: days.len() as i64,
            billable,
            cancelled,
        }
    }

    pub(super) fn report(&self, n: u64) -> pb::OrderReport {
        let o = self.order(n);
        pb::OrderReport {
            external_worker_id: rider_id(o.worker),
            industry: Industry::InstantDelivery as i32,
            region_code: o.district().to_string(),
            accepted_at: Some(timestamp(o.accepted_at)),
            picked_up_at: o.picked_up_at.map(timestamp),
            completed_at: o.completed_at.map(timestamp),
            cancelled_at: o.cancelled_at.map(timestamp),
            order_id: o.order_id,
        }
    }
}

pub(in crate::load) fn rider_id(worker: u64) -> String {
    format!("rider-{worker:06}")
}
