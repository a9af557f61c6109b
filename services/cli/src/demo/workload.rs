//! The simulated city-month, generated up front from a seed: platforms of the three
//! industries, workers (some on two platforms), orders on a daily curve, and incidents mixing
//! clear cases with the hard ones. Pure: no I/O, the same seed gives the same month.

use chrono::{DateTime, Duration as TimeDelta, NaiveDate, Utc};
use gigshield_proto::common::Industry;
use gigshield_scheme::calendar::shanghai_midnight;

/// SplitMix64: small, fast, deterministic; good enough for a simulation.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Poisson-distributed count (Knuth; fine for small means).
    pub fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= self.unit();
            if p <= limit || k > 200 {
                return k;
            }
            k += 1;
        }
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// Shenzhen's districts: the simulated city (Guangdong is in the scheme since 2022).
pub const DISTRICTS: [&str; 5] = ["440303", "440304", "440305", "440306", "440307"];

/// The platforms' names, by industry.
const NAMES: [&str; 3] = ["速达即时配送", "滴行出行", "货运通同城"];

pub fn industry_of(index: usize) -> Industry {
    match index % 3 {
        0 => Industry::InstantDelivery,
        1 => Industry::RideHailing,
        _ => Industry::IntraCityFreight,
    }
}

/// Relative order volume per hour of the day (Asia/Shanghai) by industry: lunch and dinner
/// peaks for delivery, commute peaks for ride-hailing, working hours for freight.
fn hourly_curve(industry: Industry) -> [f64; 24] {
    match industry {
        Industry::RideHailing => [
            0.6, 0.3, 0.2, 0.1, 0.1, 0.3, 1.0, 3.0, 4.5, 3.0, 1.8, 1.6, 1.8, 1.6, 1.5, 1.6, 2.0,
            3.5, 4.5, 3.0, 2.2, 2.0, 1.6, 1.0,
        ],
        Industry::IntraCityFreight => [
            0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.5, 2.5, 3.0, 3.0, 2.8, 2.0, 2.5, 3.0, 3.0, 2.8,
            2.2, 1.5, 0.8, 0.5, 0.3, 0.2, 0.1,
        ],
        _ => [
            0.3, 0.2, 0.1, 0.05, 0.05, 0.1, 0.4, 1.0, 1.2, 0.9, 1.6, 4.5, 6.0, 3.0, 1.2, 1.0, 1.2,
            2.8, 5.0, 4.2, 2.0, 1.5, 1.0, 0.6,
        ],
    }
}

/// Minutes from acceptance to completion, by industry.
fn duration_minutes(industry: Industry, rng: &mut Rng) -> i64 {
    match industry {
        Industry::RideHailing => rng.range(8, 45),
        Industry::IntraCityFreight => rng.range(40, 150),
        _ => rng.range(15, 50),
    }
}

/// Mean orders of a working worker-day relative to the `--orders-per-worker-day` figure.
fn volume_factor(industry: Industry) -> f64 {
    match industry {
        Industry::RideHailing => 1.0,
        Industry::IntraCityFreight => 0.35,
        _ => 1.6,
    }
}

#[derive(Debug, Clone)]
pub struct Platform {
    pub index: usize,
    pub industry: Industry,
    pub legal_name: String,
}

/// One membership: worker `worker` on platform `platform`.
#[derive(Debug, Clone)]
pub struct Membership {
    pub platform: usize,
    pub external_worker_id: String,
}

#[derive(Debug, Clone)]
pub struct Worker {
    /// Index into the synthetic identities (resident ID, name, mobile).
    pub identity: u64,
    pub memberships: Vec<Membership>,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub platform: usize,
    pub worker: usize,
    /// Which of the worker's memberships.
    pub membership: usize,
    pub order_id: String,
    pub region_code: &'static str,
    pub accepted_at: DateTime<Utc>,
    pub picked_up_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl Order {
    pub fn end(&self) -> DateTime<Utc> {
        self.completed_at
            .or(self.cancelled_at)
            .unwrap_or(self.accepted_at)
    }

    /// Billable under premium's default rule: not cancelled before pickup.
    pub fn billable(&self) -> bool {
        !(self.cancelled_at.is_some() && self.picked_up_at.is_none())
    }
}

/// The hard and clear kinds of incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IncidentKind {
    /// During an order, nothing doubtful: expected to be confirmed automatically.
    Clear,
    /// No order covers the time.
    OffOrder,
    /// The platform files after its 30 days, with a written explanation.
    LateExplained,
    /// The platform files after its 30 days without one: refused at filing; the worker then
    /// files within their 90 days.
    LateUnexplained,
    /// A second application for the same accident, by a close relative.
    Duplicate,
    /// A traffic accident on the way to an order, the worker mainly at fault.
    CommuteMainFault,
    /// Sudden illness during an order, death within 48 hours.
    IllnessDeath,
    /// Sudden illness during an order, survived: not deemed a work injury.
    IllnessSurvived,
}

impl IncidentKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Clear => "clear, during an order",
            Self::OffOrder => "off-order",
            Self::LateExplained => "late platform filing, explained",
            Self::LateUnexplained => "late platform filing, no explanation",
            Self::Duplicate => "duplicate application",
            Self::CommuteMainFault => "traffic on the way, worker mainly at fault",
            Self::IllnessDeath => "sudden illness, death within 48 h",
            Self::IllnessSurvived => "sudden illness, survived",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Incident {
    pub index: usize,
    pub kind: IncidentKind,
    pub worker: usize,
    /// The membership (platform) the incident belongs to.
    pub membership: usize,
    pub occurred_at: DateTime<Utc>,
    pub region_code: &'static str,
    /// The order in progress, when there was one.
    pub order_id: Option<String>,
    /// Another worker who acts as the close relative (duplicates, deaths).
    pub relative: usize,
}

#[derive(Debug, Clone)]
pub struct Sizes {
    pub platforms: usize,
    pub workers: usize,
    pub orders_per_worker_day: f64,
    pub incidents: usize,
    /// Share of workers also registered with a second platform.
    pub multi_platform_share: f64,
}

/// The days the orders fall on (Shanghai calendar days).
#[derive(Debug, Clone)]
pub struct Timeline {
    /// First instant of each simulated day.
    pub day_starts: Vec<DateTime<Utc>>,
    /// Real length of one simulated day (24 h for a calendar month).
    pub day_length: TimeDelta,
}

impl Timeline {
    /// The Shanghai calendar days `first..=last`.
    pub fn calendar(first: NaiveDate, last: NaiveDate) -> Self {
        let mut day_starts = Vec::new();
        let mut day = first;
        while day <= last {
            day_starts.push(shanghai_midnight(day));
            day = day.succ_opt().expect("date in range");
        }
        Self {
            day_starts,
            day_length: TimeDelta::days(1),
        }
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.day_starts[0]
    }

    pub fn end(&self) -> DateTime<Utc> {
        *self.day_starts.last().expect("at least one day") + self.day_length
    }

    /// Real time for `minutes` of a simulated day.
    fn scale(&self, minutes: f64) -> TimeDelta {
        let ms = self.day_length.num_milliseconds() as f64 * minutes / 1440.0;
        TimeDelta::milliseconds(ms.max(1.0) as i64)
    }

    pub fn is_calendar(&self) -> bool {
        self.day_length == TimeDelta::days(1)
    }
}

pub struct Workload {
    pub platforms: Vec<Platform>,
    pub workers: Vec<Worker>,
    /// Per platform, in acceptance order.
    pub orders: Vec<Vec<Order>>,
    pub incidents: Vec<Incident>,
}

impl Workload {
    pub fn order_count(&self) -> usize {
        self.orders.iter().map(Vec::len).sum()
    }
}

/// Generates the month. `today` is the Shanghai date the run happens on; late filings need
/// accidents more than 30 days before it.
pub fn generate(seed: u64, sizes: &Sizes, timeline: &Timeline, today: NaiveDate) -> Workload {
    let mut rng = Rng::new(seed);
    let platforms: Vec<Platform> = (0..sizes.platforms)
        .map(|index| Platform {
            index,
            industry: industry_of(index),
            legal_name: format!("{}{}号", NAMES[index % 3], index / 3 + 1),
        })
        .collect();
    // Identities are offset by the seed so two seeds do not share people.
    let identity_base = (seed % 1000) * 100_000;
    let workers: Vec<Worker> = (0..sizes.workers)
        .map(|w| {
            let first = w % sizes.platforms;
            let mut memberships = vec![Membership {
                platform: first,
                external_worker_id: format!("w{w:06}"),
            }];
            if sizes.platforms > 1 && rng.chance(sizes.multi_platform_share) {
                let other = (first + 1 + rng.range(0, sizes.platforms as i64 - 1) as usize)
                    % sizes.platforms;
                memberships.push(Membership {
                    platform: other,
                    external_worker_id: format!("x{w:06}"),
                });
            }
            Worker {
                identity: identity_base + w as u64,
                memberships,
            }
        })
        .collect();

    let mut orders: Vec<Vec<Order>> = vec![Vec::new(); sizes.platforms];
    let mut sequence = vec![0u64; sizes.platforms];
    for (w, worker) in workers.iter().enumerate() {
        let home = DISTRICTS[rng.range(0, DISTRICTS.len() as i64) as usize];
        for day_start in &timeline.day_starts {
            if !rng.chance(0.75) {
                continue;
            }
            // One platform a day; a worker on two platforms switches now and then.
            let membership = if worker.memberships.len() > 1 && rng.chance(0.4) {
                1
            } else {
                0
            };
            let platform = worker.memberships[membership].platform;
            let industry = platforms[platform].industry;
            let count = rng.poisson(sizes.orders_per_worker_day * volume_factor(industry));
            let curve = hourly_curve(industry);
            let mut starts: Vec<f64> = (0..count)
                .map(|_| rng.weighted(&curve) as f64 * 60.0 + rng.unit() * 60.0)
                .collect();
            starts.sort_by(f64::total_cmp);
            let mut free_from = 0.0f64;
            for minute in starts {
                let accept_minute = minute.max(free_from + 3.0);
                let length = duration_minutes(industry, &mut rng) as f64;
                if accept_minute + length >= 1439.0 {
                    break;
                }
                free_from = accept_minute + length;
                let accepted_at = *day_start + timeline.scale(accept_minute);
                let roll = rng.unit();
                let (picked_up_at, completed_at, cancelled_at) = if roll < 0.03 {
                    // Cancelled before pickup: not billable.
                    (None, None, Some(accepted_at + timeline.scale(3.0)))
                } else if roll < 0.04 {
                    // Cancelled after pickup: billable.
                    let picked = accepted_at + timeline.scale(length / 3.0);
                    (Some(picked), None, Some(picked + timeline.scale(5.0)))
                } else {
                    (
                        Some(accepted_at + timeline.scale(length / 3.0)),
                        Some(accepted_at + timeline.scale(length)),
                        None,
                    )
                };
                sequence[platform] += 1;
                let order = Order {
                    platform,
                    worker: w,
                    membership,
                    order_id: format!("o{platform:02}-{:08}", sequence[platform]),
                    region_code: if rng.chance(0.8) {
                        home
                    } else {
                        DISTRICTS[rng.range(0, DISTRICTS.len() as i64) as usize]
                    },
                    accepted_at,
                    picked_up_at,
                    completed_at,
                    cancelled_at,
                };
                orders[platform].push(order);
            }
        }
    }
    for list in &mut orders {
        list.sort_by_key(|o| o.accepted_at);
    }
    let incidents = pick_incidents(&mut rng, sizes, timeline, today, &workers, &orders);
    Workload {
        platforms,
        workers,
        orders,
        incidents,
    }
}

/// The kinds in the mix, with weights: mostly clear cases, every hard case present.
const MIX: [(IncidentKind, f64); 8] = [
    (IncidentKind::Clear, 0.55),
    (IncidentKind::OffOrder, 0.08),
    (IncidentKind::LateExplained, 0.06),
    (IncidentKind::LateUnexplained, 0.05),
    (IncidentKind::Duplicate, 0.07),
    (IncidentKind::CommuteMainFault, 0.07),
    (IncidentKind::IllnessDeath, 0.05),
    (IncidentKind::IllnessSurvived, 0.07),
];

fn pick_incidents(
    rng: &mut Rng,
    sizes: &Sizes,
    timeline: &Timeline,
    today: NaiveDate,
    workers: &[Worker],
    orders: &[Vec<Order>],
) -> Vec<Incident> {
    // A platform's filing is late when the accident day is more than 30 days before today.
    let late_before = shanghai_midnight(today - chrono::Days::new(31)) + TimeDelta::days(1);
    let late_possible = timeline.is_calendar() && timeline.start() < late_before;
    // Completed orders only: clear cases need a window that certainly covers the time.
    let completed: Vec<(usize, usize)> = orders
        .iter()
        .enumerate()
        .flat_map(|(p, list)| {
            list.iter()
                .enumerate()
                .filter(|(_, o)| o.completed_at.is_some())
                .map(move |(i, _)| (p, i))
        })
        .collect();
    if completed.is_empty() {
        return Vec::new();
    }
    // Each worker's orders in time order, to find gaps before an order.
    let mut of_worker: Vec<Vec<&Order>> = vec![Vec::new(); workers.len()];
    for list in orders {
        for o in list {
            of_worker[o.worker].push(o);
        }
    }
    for list in &mut of_worker {
        list.sort_by_key(|o| o.accepted_at);
    }
    let weights: Vec<f64> = MIX.iter().map(|(_, w)| *w).collect();
    let mut used_workers = std::collections::HashSet::new();
    let mut incidents = Vec::new();
    let mut attempts = 0;
    while incidents.len() < sizes.incidents && attempts < sizes.incidents * 50 {
        attempts += 1;
        let mut kind = MIX[rng.weighted(&weights)].0;
        if !late_possible
            && matches!(
                kind,
                IncidentKind::LateExplained | IncidentKind::LateUnexplained
            )
        {
            kind = IncidentKind::Clear;
        }
        let (p, i) = completed[rng.range(0, completed.len() as i64) as usize];
        let order = &orders[p][i];
        // One incident per worker keeps the duplicate rule for the intended duplicates.
        if used_workers.contains(&order.worker) {
            continue;
        }
        let late = matches!(
            kind,
            IncidentKind::LateExplained | IncidentKind::LateUnexplained
        );
        if late && order.accepted_at >= late_before - TimeDelta::hours(2) {
            continue;
        }
        let within = |rng: &mut Rng| {
            let span = (order.end() - order.accepted_at).num_milliseconds().max(4);
            order.accepted_at + TimeDelta::milliseconds(rng.range(span / 4, span * 3 / 4))
        };
        let (occurred_at, order_id) = match kind {
            IncidentKind::OffOrder | IncidentKind::CommuteMainFault => {
                // Well before this order and after the worker's previous one: no window
                // (nor its 10-minute grace) covers it.
                let previous_end = of_worker[order.worker]
                    .iter()
                    .filter(|o| o.accepted_at < order.accepted_at)
                    .map(|o| o.end())
                    .max()
                    .unwrap_or(order.accepted_at - timeline.day_length);
                let from = previous_end + timeline.scale(25.0);
                let to = order.accepted_at - timeline.scale(25.0);
                if to <= from {
                    continue;
                }
                let span = (to - from).num_milliseconds();
                (from + TimeDelta::milliseconds(rng.range(0, span)), None)
            }
            _ => (within(rng), Some(order.order_id.clone())),
        };
        if occurred_at <= timeline.start() {
            continue;
        }
        used_workers.insert(order.worker);
        let relative =
            (order.worker + 1 + rng.range(0, workers.len() as i64 - 1) as usize) % workers.len();
        incidents.push(Incident {
            index: incidents.len(),
            kind,
            worker: order.worker,
            membership: order.membership,
            occurred_at,
            region_code: order.region_code,
            order_id,
            relative,
        });
    }
    incidents
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month() -> Timeline {
        Timeline::calendar(
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
        )
    }

    fn sizes() -> Sizes {
        Sizes {
            platforms: 3,
            workers: 60,
            orders_per_worker_day: 4.0,
            incidents: 40,
            multi_platform_share: 0.2,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_month() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let a = generate(7, &sizes(), &month(), today);
        let b = generate(7, &sizes(), &month(), today);
        assert_eq!(a.order_count(), b.order_count());
        assert_eq!(a.orders[1][5].order_id, b.orders[1][5].order_id);
        assert_eq!(a.orders[1][5].accepted_at, b.orders[1][5].accepted_at);
        assert_eq!(a.incidents.len(), b.incidents.len());
        let c = generate(8, &sizes(), &month(), today);
        assert_ne!(
            a.orders[0]
                .iter()
                .map(|o| o.accepted_at)
                .collect::<Vec<_>>(),
            c.orders[0]
                .iter()
                .map(|o| o.accepted_at)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn orders_stay_in_the_month_and_never_overlap_for_a_worker() {
        let tl = month();
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let w = generate(3, &sizes(), &tl, today);
        assert!(w.order_count() > 1000);
        let mut per_worker: std::collections::HashMap<usize, Vec<&Order>> = Default::default();
        for o in w.orders.iter().flatten() {
            assert!(o.accepted_at >= tl.start() && o.end() <= tl.end());
            per_worker.entry(o.worker).or_default().push(o);
        }
        for list in per_worker.values_mut() {
            list.sort_by_key(|o| o.accepted_at);
            for pair in list.windows(2) {
                assert!(pair[0].end() < pair[1].accepted_at, "orders overlap");
            }
        }
    }

    #[test]
    fn incidents_cover_their_order_or_none() {
        let tl = month();
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let w = generate(5, &sizes(), &tl, today);
        assert_eq!(w.incidents.len(), 40);
        let kinds: std::collections::HashSet<_> = w.incidents.iter().map(|i| i.kind).collect();
        assert!(kinds.len() >= 5, "a mix of kinds: {kinds:?}");
        for incident in &w.incidents {
            let covering: Vec<&Order> = w
                .orders
                .iter()
                .flatten()
                .filter(|o| {
                    o.worker == incident.worker
                        && o.accepted_at - TimeDelta::minutes(10) <= incident.occurred_at
                        && incident.occurred_at <= o.end() + TimeDelta::minutes(10)
                })
                .collect();
            match &incident.order_id {
                Some(id) => assert!(covering.iter().any(|o| &o.order_id == id)),
                None => assert!(covering.is_empty(), "{:?} is covered", incident.kind),
            }
        }
    }

    #[test]
    fn delivery_peaks_at_lunch_and_dinner() {
        let c = hourly_curve(Industry::InstantDelivery);
        assert!(c[12] > c[15] && c[18] > c[15] && c[12] > c[4]);
    }
}
