//! Orders as platforms report them: checking a report against the platform's registration, and
//! folding a resent or updated report into the stored order.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::{ProvinceCode, RegionCode, RegionError};
use gigshield_scheme::rules::{InForce, SchemeRules};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One order as the platform sent it, before any checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderReport {
    pub order_id: String,
    pub external_worker_id: String,
    pub industry: Industry,
    pub region_code: String,
    pub accepted_at: DateTime<Utc>,
    pub picked_up_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// What the platform registered (from the enrollment events): the industries it may report
/// and the provinces it operates in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformScope {
    pub platform_id: Uuid,
    pub industries: BTreeSet<Industry>,
    pub provinces: BTreeSet<ProvinceCode>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderValidationParams {
    /// How far ahead of our clock a reported time may be. Platform clocks drift; rejecting a
    /// completion stamped two seconds "in the future" would lose real orders. Default 5
    /// minutes (an engineering choice, not from the scheme's rules).
    pub clock_skew: Duration,
    /// Longest `order_id` / `external_worker_id` accepted, in characters, so one platform
    /// cannot bloat the order index. Default 128.
    pub max_id_chars: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("clock_skew must not be negative, got {0}")]
    NegativeClockSkew(Duration),
    #[error("max_id_chars must be at least 1")]
    ZeroMaxIdChars,
}

impl OrderValidationParams {
    pub fn validate(&self) -> Result<(), ParamsError> {
        if self.clock_skew < Duration::zero() {
            return Err(ParamsError::NegativeClockSkew(self.clock_skew));
        }
        if self.max_id_chars == 0 {
            return Err(ParamsError::ZeroMaxIdChars);
        }
        Ok(())
    }
}

impl Default for OrderValidationParams {
    fn default() -> Self {
        Self {
            clock_skew: Duration::minutes(5),
            max_id_chars: 128,
        }
    }
}

/// The status times of an order. Status only moves forward: accepted → picked up → completed,
/// or cancelled at any point after acceptance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTimeline {
    pub accepted_at: DateTime<Utc>,
    pub picked_up_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Accepted,
    PickedUp,
    Completed,
    Cancelled,
}

/// An order that passed every check, with the worker resolved to our person id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub platform_id: Uuid,
    pub person_id: Uuid,
    pub order_id: String,
    pub external_worker_id: String,
    pub industry: Industry,
    pub region: RegionCode,
    pub timeline: OrderTimeline,
}

/// Why a report was refused; [`OrderRejection::field`] names the offending field so the api can
/// answer with a `BadRequest` field violation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderRejection {
    #[error("{field} must not be empty")]
    EmptyId { field: &'static str },
    #[error("{field} is {chars} characters long, more than the {max} allowed")]
    IdTooLong {
        field: &'static str,
        chars: usize,
        max: usize,
    },
    #[error(
        "external_worker_id {external_worker_id:?} is not a worker registered with this platform"
    )]
    UnknownWorker { external_worker_id: String },
    #[error("industry {industry} is not registered for this platform")]
    IndustryNotRegistered { industry: Industry },
    #[error(
        "industry {industry} takes no orders at accepted_at {accepted_at}; food delivery has been reported as instant_delivery since 2025-07-01"
    )]
    IndustryRetired {
        industry: Industry,
        accepted_at: DateTime<Utc>,
    },
    #[error("region_code: {0}")]
    InvalidRegionCode(RegionError),
    #[error(
        "region_code {region_code} is in province {province}, where this platform is not registered"
    )]
    RegionOutsidePlatform {
        region_code: RegionCode,
        province: ProvinceCode,
    },
    #[error(
        "region_code {region_code}: the scheme starts in province {province} on {starts_on}, after accepted_at ({accepted_on}, Asia/Shanghai)"
    )]
    SchemeNotYetInForce {
        region_code: RegionCode,
        province: ProvinceCode,
        starts_on: NaiveDate,
        accepted_on: NaiveDate,
    },
    #[error(
        "region_code {region_code}: the scheme calendar holds no start for province {province}"
    )]
    SchemeStartUnknown {
        region_code: RegionCode,
        province: ProvinceCode,
    },
    #[error("{field} ({at}) is before {earlier_field} ({earlier})")]
    OutOfOrder {
        field: &'static str,
        at: DateTime<Utc>,
        earlier_field: &'static str,
        earlier: DateTime<Utc>,
    },
    #[error("cancelled_at is set on an order that has completed_at; an order ends one way")]
    CompletedAndCancelled,
    #[error("{field} ({at}) is in the future: now is {now}, allowed clock skew {skew}")]
    InFuture {
        field: &'static str,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        skew: Duration,
    },
}

impl OrderRejection {
    pub fn field(&self) -> &'static str {
        match self {
            OrderRejection::EmptyId { field }
            | OrderRejection::IdTooLong { field, .. }
            | OrderRejection::OutOfOrder { field, .. }
            | OrderRejection::InFuture { field, .. } => field,
            OrderRejection::UnknownWorker { .. } => "external_worker_id",
            OrderRejection::IndustryNotRegistered { .. }
            | OrderRejection::IndustryRetired { .. } => "industry",
            OrderRejection::InvalidRegionCode(_)
            | OrderRejection::RegionOutsidePlatform { .. }
            | OrderRejection::SchemeNotYetInForce { .. }
            | OrderRejection::SchemeStartUnknown { .. } => "region_code",
            OrderRejection::CompletedAndCancelled => "cancelled_at",
        }
    }
}

/// Every reason a report was refused, so a platform can fix them all in one round.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("order {order_id:?} rejected: {}", describe(.reasons))]
pub struct InvalidOrder {
    pub order_id: String,
    /// Never empty.
    pub reasons: Vec<OrderRejection>,
}

fn describe(reasons: &[OrderRejection]) -> String {
    reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl OrderTimeline {
    pub fn status(&self) -> OrderStatus {
        if self.cancelled_at.is_some() {
            OrderStatus::Cancelled
        } else if self.completed_at.is_some() {
            OrderStatus::Completed
        } else if self.picked_up_at.is_some() {
            OrderStatus::PickedUp
        } else {
            OrderStatus::Accepted
        }
    }

    /// Times present, in reporting order, with their field names.
    fn stamps(&self) -> impl Iterator<Item = (&'static str, DateTime<Utc>)> {
        [
            ("accepted_at", Some(self.accepted_at)),
            ("picked_up_at", self.picked_up_at),
            ("completed_at", self.completed_at),
            ("cancelled_at", self.cancelled_at),
        ]
        .into_iter()
        .filter_map(|(field, at)| at.map(|at| (field, at)))
    }

    /// Ordering faults: pickup after acceptance, and the end (completion or cancellation) after
    /// pickup if there was one, else after acceptance. A completion without a pickup time is
    /// allowed: not every platform reports pickups.
    fn sequence_faults(&self) -> Vec<OrderRejection> {
        let mut faults = Vec::new();
        let mut check = |field, at: DateTime<Utc>, earlier_field, earlier: DateTime<Utc>| {
            if at < earlier {
                faults.push(OrderRejection::OutOfOrder {
                    field,
                    at,
                    earlier_field,
                    earlier,
                });
            }
        };
        if let Some(picked_up_at) = self.picked_up_at {
            check(
                "picked_up_at",
                picked_up_at,
                "accepted_at",
                self.accepted_at,
            );
        }
        let (start_field, start) = match self.picked_up_at {
            Some(picked_up_at) => ("picked_up_at", picked_up_at),
            None => ("accepted_at", self.accepted_at),
        };
        if let Some(completed_at) = self.completed_at {
            check("completed_at", completed_at, start_field, start);
        }
        if let Some(cancelled_at) = self.cancelled_at {
            check("cancelled_at", cancelled_at, start_field, start);
        }
        if self.completed_at.is_some() && self.cancelled_at.is_some() {
            faults.push(OrderRejection::CompletedAndCancelled);
        }
        faults
    }
}

impl Order {
    pub fn province(&self) -> ProvinceCode {
        self.region.province()
    }

    /// The month the order is charged to: fees follow acceptance, as does the rate.
    pub fn billing_month(&self) -> CalendarMonth {
        CalendarMonth::of(self.timeline.accepted_at)
    }

    pub fn status(&self) -> OrderStatus {
        self.timeline.status()
    }
}

fn id_faults(field: &'static str, value: &str, max: usize, faults: &mut Vec<OrderRejection>) {
    let chars = value.chars().count();
    if value.trim().is_empty() {
        faults.push(OrderRejection::EmptyId { field });
    } else if chars > max {
        faults.push(OrderRejection::IdTooLong { field, chars, max });
    }
}

/// Checks a report from `platform`. `person_id` is the caller's lookup of
/// `external_worker_id` among the platform's registered workers (from the enrollment events);
/// `None` means the worker is unknown to that platform.
///
/// An order taken where the scheme was not yet in force (on the Shanghai day it was accepted)
/// is refused: it would be billed without cover.
///
/// All independent faults are reported together.
pub fn validate_report(
    report: &OrderReport,
    person_id: Option<Uuid>,
    platform: &PlatformScope,
    rules: &SchemeRules,
    now: DateTime<Utc>,
    params: &OrderValidationParams,
) -> Result<Order, InvalidOrder> {
    let mut faults = Vec::new();
    id_faults(
        "order_id",
        &report.order_id,
        params.max_id_chars,
        &mut faults,
    );
    id_faults(
        "external_worker_id",
        &report.external_worker_id,
        params.max_id_chars,
        &mut faults,
    );
    if person_id.is_none() && !report.external_worker_id.trim().is_empty() {
        faults.push(OrderRejection::UnknownWorker {
            external_worker_id: report.external_worker_id.clone(),
        });
    }

    if !platform.industries.contains(&report.industry) {
        faults.push(OrderRejection::IndustryNotRegistered {
            industry: report.industry,
        });
    } else if !report.industry.accepts_orders_at(report.accepted_at) {
        faults.push(OrderRejection::IndustryRetired {
            industry: report.industry,
            accepted_at: report.accepted_at,
        });
    }

    let region = match RegionCode::parse(&report.region_code) {
        Ok(region) => {
            let province = region.province();
            if !platform.provinces.contains(&province) {
                faults.push(OrderRejection::RegionOutsidePlatform {
                    region_code: region.clone(),
                    province,
                });
            }
            faults.extend(scheme_fault(&region, rules, report.accepted_at));
            Some(region)
        }
        Err(err) => {
            faults.push(OrderRejection::InvalidRegionCode(err));
            None
        }
    };

    let timeline = OrderTimeline {
        accepted_at: report.accepted_at,
        picked_up_at: report.picked_up_at,
        completed_at: report.completed_at,
        cancelled_at: report.cancelled_at,
    };
    faults.extend(timeline.sequence_faults());
    let latest_allowed = now + params.clock_skew;
    faults.extend(
        timeline
            .stamps()
            .filter(|&(_, at)| at > latest_allowed)
            .map(|(field, at)| OrderRejection::InFuture {
                field,
                at,
                now,
                skew: params.clock_skew,
            }),
    );

    match (faults.is_empty(), person_id, region) {
        (true, Some(person_id), Some(region)) => Ok(Order {
            platform_id: platform.platform_id,
            person_id,
            order_id: report.order_id.clone(),
            external_worker_id: report.external_worker_id.clone(),
            industry: report.industry,
            region,
            timeline,
        }),
        _ => Err(InvalidOrder {
            order_id: report.order_id.clone(),
            reasons: faults,
        }),
    }
}

fn scheme_fault(
    region: &RegionCode,
    rules: &SchemeRules,
    accepted_at: DateTime<Utc>,
) -> Option<OrderRejection> {
    let province = region.province();
    let accepted_on = shanghai_date(accepted_at);
    match rules.in_force(province, accepted_on) {
        InForce::Since(_) => None,
        InForce::From(starts_on) => Some(OrderRejection::SchemeNotYetInForce {
            region_code: region.clone(),
            province,
            starts_on,
            accepted_on,
        }),
        InForce::Unknown => Some(OrderRejection::SchemeStartUnknown {
            region_code: region.clone(),
            province,
        }),
    }
}

/// The result of folding a report into the order already stored under the same
/// (platform, order_id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merge {
    /// Nothing new: an identical resend, or a resend of an earlier snapshot (status only moves
    /// forward, so a missing time is "not yet known then", not "undone").
    Unchanged,
    /// New status times were added; store this order.
    Updated(Order),
    /// The report contradicts what is stored; the stored order stays as it is.
    Conflict(OrderConflict),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderConflict {
    #[error(
        "{field} is {stored} on the stored order but {incoming} in the report; it never changes"
    )]
    IdentityChanged {
        field: &'static str,
        stored: String,
        incoming: String,
    },
    #[error("{field} was already {stored} and cannot become {incoming}")]
    TimeChanged {
        field: &'static str,
        stored: DateTime<Utc>,
        incoming: DateTime<Utc>,
    },
    #[error("order was already {stored:?} and cannot become {incoming:?}")]
    EndedBothWays {
        stored: OrderStatus,
        incoming: OrderStatus,
    },
    #[error("combined with the stored order: {0}")]
    Sequence(OrderRejection),
}

impl OrderConflict {
    pub fn field(&self) -> &'static str {
        match self {
            OrderConflict::IdentityChanged { field, .. }
            | OrderConflict::TimeChanged { field, .. } => field,
            OrderConflict::EndedBothWays { .. } => "cancelled_at",
            OrderConflict::Sequence(rejection) => rejection.field(),
        }
    }
}

fn identity_conflict(stored: &Order, incoming: &Order) -> Option<OrderConflict> {
    fn differs<T: PartialEq + fmt::Display>(
        field: &'static str,
        stored: &T,
        incoming: &T,
    ) -> Option<OrderConflict> {
        (stored != incoming).then(|| OrderConflict::IdentityChanged {
            field,
            stored: stored.to_string(),
            incoming: incoming.to_string(),
        })
    }
    differs("platform_id", &stored.platform_id, &incoming.platform_id)
        .or_else(|| differs("order_id", &stored.order_id, &incoming.order_id))
        .or_else(|| {
            differs(
                "external_worker_id",
                &stored.external_worker_id,
                &incoming.external_worker_id,
            )
        })
        .or_else(|| differs("person_id", &stored.person_id, &incoming.person_id))
        .or_else(|| differs("industry", &stored.industry, &incoming.industry))
        .or_else(|| differs("region_code", &stored.region, &incoming.region))
        .or_else(|| {
            differs(
                "accepted_at",
                &stored.timeline.accepted_at,
                &incoming.timeline.accepted_at,
            )
        })
}

fn merge_time(
    field: &'static str,
    stored: Option<DateTime<Utc>>,
    incoming: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, OrderConflict> {
    match (stored, incoming) {
        (Some(stored), Some(incoming)) if stored != incoming => Err(OrderConflict::TimeChanged {
            field,
            stored,
            incoming,
        }),
        (stored, incoming) => Ok(stored.or(incoming)),
    }
}

/// Folds a validated report into the stored order with the same (platform, order_id).
pub fn merge_update(stored: &Order, incoming: &Order) -> Merge {
    if let Some(conflict) = identity_conflict(stored, incoming) {
        return Merge::Conflict(conflict);
    }
    let (old, new) = (&stored.timeline, &incoming.timeline);
    let merged = (|| {
        Ok::<_, OrderConflict>(OrderTimeline {
            accepted_at: old.accepted_at,
            picked_up_at: merge_time("picked_up_at", old.picked_up_at, new.picked_up_at)?,
            completed_at: merge_time("completed_at", old.completed_at, new.completed_at)?,
            cancelled_at: merge_time("cancelled_at", old.cancelled_at, new.cancelled_at)?,
        })
    })();
    let merged = match merged {
        Ok(merged) => merged,
        Err(conflict) => return Merge::Conflict(conflict),
    };
    if merged == *old {
        return Merge::Unchanged;
    }
    if merged.completed_at.is_some() && merged.cancelled_at.is_some() {
        return Merge::Conflict(OrderConflict::EndedBothWays {
            stored: old.status(),
            incoming: new.status(),
        });
    }
    if let Some(fault) = merged.sequence_faults().into_iter().next() {
        return Merge::Conflict(OrderConflict::Sequence(fault));
    }
    Merge::Updated(Order {
        timeline: merged,
        ..stored.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn now() -> DateTime<Utc> {
        utc("2025-08-01T12:00:00Z")
    }

    fn platform() -> PlatformScope {
        PlatformScope {
            platform_id: Uuid::from_u128(1),
            industries: [Industry::InstantDelivery, Industry::FoodDelivery].into(),
            provinces: [
                ProvinceCode::parse("310000").unwrap(),
                ProvinceCode::parse("320000").unwrap(),
                ProvinceCode::parse("650000").unwrap(),
                ProvinceCode::parse("660000").unwrap(),
            ]
            .into(),
        }
    }

    fn person() -> Option<Uuid> {
        Some(Uuid::from_u128(42))
    }

    fn report() -> OrderReport {
        OrderReport {
            order_id: "MT-0001".into(),
            external_worker_id: "rider-7".into(),
            industry: Industry::InstantDelivery,
            region_code: "310115".into(),
            accepted_at: utc("2025-08-01T03:00:00Z"),
            picked_up_at: Some(utc("2025-08-01T03:10:00Z")),
            completed_at: Some(utc("2025-08-01T03:40:00Z")),
            cancelled_at: None,
        }
    }

    fn validate(report: &OrderReport) -> Result<Order, InvalidOrder> {
        validate_report(
            report,
            person(),
            &platform(),
            &SchemeRules::shipped(),
            now(),
            &OrderValidationParams::default(),
        )
    }

    fn reasons(report: &OrderReport) -> Vec<OrderRejection> {
        validate(report).unwrap_err().reasons
    }

    fn fields(report: &OrderReport) -> Vec<&'static str> {
        reasons(report).iter().map(OrderRejection::field).collect()
    }

    #[test]
    fn a_good_report_becomes_an_order() {
        let order = validate(&report()).unwrap();
        assert_eq!(order.person_id, Uuid::from_u128(42));
        assert_eq!(order.platform_id, Uuid::from_u128(1));
        assert_eq!(order.province().region_code(), "310000");
        assert_eq!(order.status(), OrderStatus::Completed);
        assert_eq!(order.billing_month().to_string(), "2025-08");
    }

    #[test]
    fn an_open_order_and_a_completion_without_pickup_are_fine() {
        let open = OrderReport {
            picked_up_at: None,
            completed_at: None,
            ..report()
        };
        assert_eq!(validate(&open).unwrap().status(), OrderStatus::Accepted);
        let no_pickup = OrderReport {
            picked_up_at: None,
            ..report()
        };
        assert_eq!(
            validate(&no_pickup).unwrap().status(),
            OrderStatus::Completed
        );
    }

    #[test]
    fn unknown_worker_is_rejected_on_external_worker_id() {
        let err = validate_report(
            &report(),
            None,
            &platform(),
            &SchemeRules::shipped(),
            now(),
            &Default::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.reasons,
            vec![OrderRejection::UnknownWorker {
                external_worker_id: "rider-7".into()
            }]
        );
        assert_eq!(err.reasons[0].field(), "external_worker_id");
        assert!(err.to_string().contains("MT-0001"));
    }

    #[test]
    fn empty_and_overlong_ids_are_rejected() {
        let bad = OrderReport {
            order_id: "  ".into(),
            external_worker_id: "x".repeat(129),
            ..report()
        };
        assert_eq!(fields(&bad), ["order_id", "external_worker_id"]);
        let ok = OrderReport {
            external_worker_id: "骑".repeat(128),
            ..report()
        };
        assert!(validate(&ok).is_ok());
    }

    #[test]
    fn industry_must_be_registered_and_current() {
        let freight = OrderReport {
            industry: Industry::IntraCityFreight,
            ..report()
        };
        assert_eq!(
            reasons(&freight),
            [OrderRejection::IndustryNotRegistered {
                industry: Industry::IntraCityFreight
            }]
        );
        let food = OrderReport {
            industry: Industry::FoodDelivery,
            ..report()
        };
        assert!(matches!(
            reasons(&food)[..],
            [OrderRejection::IndustryRetired { .. }]
        ));
        let pilot_food = OrderReport {
            industry: Industry::FoodDelivery,
            accepted_at: utc("2025-06-30T15:00:00Z"),
            picked_up_at: None,
            completed_at: Some(utc("2025-06-30T15:59:59Z")),
            ..report()
        };
        assert!(validate(&pilot_food).is_ok());
    }

    #[test]
    fn region_must_be_well_formed_and_in_the_platforms_provinces() {
        let malformed = OrderReport {
            region_code: "31011".into(),
            ..report()
        };
        assert_eq!(fields(&malformed), ["region_code"]);
        let beijing = OrderReport {
            region_code: "110105".into(),
            ..report()
        };
        let reasons = reasons(&beijing);
        assert!(matches!(
            &reasons[..],
            [OrderRejection::RegionOutsidePlatform { province, .. }] if province.region_code() == "110000"
        ));
        assert!(reasons[0].to_string().contains("province 110000"));
    }

    #[test]
    fn orders_where_the_scheme_has_not_started_are_refused() {
        // Xinjiang (65) and the XPCC (66) join on 2026-07-01 in the shipped calendar.
        let check = |region_code: &str, stamp| {
            let report = OrderReport {
                region_code: region_code.into(),
                accepted_at: utc(stamp),
                picked_up_at: None,
                completed_at: None,
                ..report()
            };
            let later = utc("2026-08-01T00:00:00Z");
            let rules = SchemeRules::shipped();
            validate_report(
                &report,
                person(),
                &platform(),
                &rules,
                later,
                &Default::default(),
            )
        };
        for region_code in ["650102", "660100"] {
            // 2026-06-30 23:59:59 in Shanghai.
            let reasons = check(region_code, "2026-06-30T15:59:59Z")
                .unwrap_err()
                .reasons;
            assert!(matches!(
                &reasons[..],
                [OrderRejection::SchemeNotYetInForce { starts_on, .. }]
                    if *starts_on == NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
            ));
            assert_eq!(reasons[0].field(), "region_code");
            assert!(
                check(region_code, "2026-06-30T16:00:00Z").is_ok(),
                "{region_code}"
            );
        }
    }

    #[test]
    fn times_must_run_forward() {
        let pickup_first = OrderReport {
            picked_up_at: Some(utc("2025-08-01T02:59:59Z")),
            ..report()
        };
        assert_eq!(fields(&pickup_first), ["picked_up_at"]);
        let completed_before_pickup = OrderReport {
            completed_at: Some(utc("2025-08-01T03:05:00Z")),
            ..report()
        };
        assert_eq!(
            reasons(&completed_before_pickup),
            [OrderRejection::OutOfOrder {
                field: "completed_at",
                at: utc("2025-08-01T03:05:00Z"),
                earlier_field: "picked_up_at",
                earlier: utc("2025-08-01T03:10:00Z"),
            }]
        );
        let cancelled_before_accept = OrderReport {
            picked_up_at: None,
            completed_at: None,
            cancelled_at: Some(utc("2025-08-01T02:00:00Z")),
            ..report()
        };
        assert_eq!(fields(&cancelled_before_accept), ["cancelled_at"]);
        let cancelled_before_pickup_time = OrderReport {
            completed_at: None,
            cancelled_at: Some(utc("2025-08-01T03:05:00Z")),
            ..report()
        };
        assert_eq!(fields(&cancelled_before_pickup_time), ["cancelled_at"]);
        let equal_times = OrderReport {
            picked_up_at: Some(report().accepted_at),
            completed_at: Some(report().accepted_at),
            ..report()
        };
        assert!(validate(&equal_times).is_ok());
    }

    #[test]
    fn an_order_cannot_both_complete_and_cancel() {
        let both = OrderReport {
            cancelled_at: Some(utc("2025-08-01T03:50:00Z")),
            ..report()
        };
        assert_eq!(reasons(&both), [OrderRejection::CompletedAndCancelled]);
    }

    #[test]
    fn future_times_are_allowed_only_within_the_clock_skew() {
        let params = OrderValidationParams::default();
        let edge = now() + params.clock_skew;
        let at_edge = OrderReport {
            accepted_at: edge - Duration::minutes(1),
            picked_up_at: None,
            completed_at: Some(edge),
            ..report()
        };
        assert!(validate(&at_edge).is_ok());
        let beyond = OrderReport {
            completed_at: Some(edge + Duration::seconds(1)),
            ..at_edge.clone()
        };
        assert_eq!(fields(&beyond), ["completed_at"]);
        let strict = OrderValidationParams {
            clock_skew: Duration::zero(),
            ..params
        };
        let err = validate_report(
            &at_edge,
            person(),
            &platform(),
            &SchemeRules::shipped(),
            now(),
            &strict,
        )
        .unwrap_err();
        assert_eq!(
            err.reasons
                .iter()
                .map(OrderRejection::field)
                .collect::<Vec<_>>(),
            ["accepted_at", "completed_at"]
        );
    }

    #[test]
    fn params_refuse_a_negative_skew() {
        assert_eq!(OrderValidationParams::default().validate(), Ok(()));
        let bad = OrderValidationParams {
            clock_skew: Duration::seconds(-1),
            ..Default::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("clock_skew")
        );
    }

    #[test]
    fn every_independent_fault_is_reported_at_once() {
        let bad = OrderReport {
            order_id: String::new(),
            industry: Industry::RideHailing,
            region_code: "abc".into(),
            picked_up_at: Some(utc("2025-08-01T02:00:00Z")),
            ..report()
        };
        assert_eq!(
            fields(&bad),
            ["order_id", "industry", "region_code", "picked_up_at"]
        );
    }

    fn stored(open: bool) -> Order {
        let mut order = validate(&report()).unwrap();
        if open {
            order.timeline.picked_up_at = None;
            order.timeline.completed_at = None;
        }
        order
    }

    #[test]
    fn an_identical_resend_changes_nothing() {
        assert_eq!(
            merge_update(&stored(false), &stored(false)),
            Merge::Unchanged
        );
        assert_eq!(merge_update(&stored(true), &stored(true)), Merge::Unchanged);
    }

    #[test]
    fn a_resend_of_an_earlier_snapshot_changes_nothing() {
        assert_eq!(
            merge_update(&stored(false), &stored(true)),
            Merge::Unchanged
        );
    }

    #[test]
    fn a_completion_is_applied_once() {
        let open = stored(true);
        let done = stored(false);
        let Merge::Updated(updated) = merge_update(&open, &done) else {
            panic!("completion should update");
        };
        assert_eq!(updated, done);
        assert_eq!(merge_update(&updated, &done), Merge::Unchanged);
    }

    #[test]
    fn a_cancellation_is_applied_once() {
        let open = stored(true);
        let mut cancelled = open.clone();
        cancelled.timeline.cancelled_at = Some(utc("2025-08-01T03:05:00Z"));
        assert_eq!(
            merge_update(&open, &cancelled),
            Merge::Updated(cancelled.clone())
        );
        assert_eq!(merge_update(&cancelled, &cancelled), Merge::Unchanged);
    }

    #[test]
    fn a_different_acceptance_time_or_worker_is_a_conflict() {
        let mut moved = stored(false);
        moved.timeline.accepted_at = utc("2025-08-01T02:00:00Z");
        let Merge::Conflict(conflict) = merge_update(&stored(false), &moved) else {
            panic!("expected conflict");
        };
        assert_eq!(conflict.field(), "accepted_at");

        let mut other_worker = stored(false);
        other_worker.external_worker_id = "rider-8".into();
        other_worker.person_id = Uuid::from_u128(43);
        let Merge::Conflict(conflict) = merge_update(&stored(false), &other_worker) else {
            panic!("expected conflict");
        };
        assert_eq!(conflict.field(), "external_worker_id");
    }

    #[test]
    fn a_changed_status_time_is_a_conflict() {
        let mut later = stored(false);
        later.timeline.completed_at = Some(utc("2025-08-01T03:45:00Z"));
        assert_eq!(
            merge_update(&stored(false), &later),
            Merge::Conflict(OrderConflict::TimeChanged {
                field: "completed_at",
                stored: utc("2025-08-01T03:40:00Z"),
                incoming: utc("2025-08-01T03:45:00Z"),
            })
        );
    }

    #[test]
    fn completed_then_cancelled_is_a_conflict() {
        let done = stored(false);
        let mut cancelled = stored(true);
        cancelled.timeline.cancelled_at = Some(utc("2025-08-01T03:50:00Z"));
        assert_eq!(
            merge_update(&done, &cancelled),
            Merge::Conflict(OrderConflict::EndedBothWays {
                stored: OrderStatus::Completed,
                incoming: OrderStatus::Cancelled,
            })
        );
        assert!(matches!(
            merge_update(&cancelled, &done),
            Merge::Conflict(OrderConflict::EndedBothWays { .. })
        ));
    }

    #[test]
    fn an_update_that_breaks_the_sequence_with_the_stored_times_is_a_conflict() {
        let mut picked = stored(true);
        picked.timeline.picked_up_at = Some(utc("2025-08-01T03:30:00Z"));
        let mut completed_early = stored(true);
        completed_early.timeline.completed_at = Some(utc("2025-08-01T03:20:00Z"));
        let Merge::Conflict(conflict) = merge_update(&picked, &completed_early) else {
            panic!("expected conflict");
        };
        assert_eq!(conflict.field(), "completed_at");
    }
}
