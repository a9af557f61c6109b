//! The events premium publishes on `premium.events.v1`, every one keyed by platform_id so a
//! platform's coverage, declarations and payments reach consumers in the order written.

use chrono::{DateTime, NaiveDate, Utc};
use gigshield_kit::outbox::OutboxMessage;
use gigshield_kit::wire::timestamp;
use gigshield_proto::events;
use uuid::Uuid;

use crate::domain::arrears::{PaymentTerms, Settlement};
use crate::domain::coverage::CoverageDayKey;
use crate::domain::declaration::Declaration;
use crate::store::queries::StoredDeclaration;

/// The topic of the contract; tests publish to their own.
pub const TOPIC: &str = "premium.events.v1";

fn message<M: prost::Message>(
    topic: &str,
    platform_id: Uuid,
    event_type: &'static str,
    event: &M,
) -> OutboxMessage {
    OutboxMessage::new(
        topic,
        "platform",
        platform_id.to_string(),
        event_type,
        event,
    )
}

pub fn coverage_day_started(
    topic: &str,
    key: &CoverageDayKey,
    order_id: &str,
    accepted_at: DateTime<Utc>,
) -> OutboxMessage {
    let event = events::CoverageDayStarted {
        person_id: key.person_id.to_string(),
        platform_id: key.platform_id.to_string(),
        province_code: key.province.region_code(),
        date: key.date.to_string(),
        order_id: order_id.to_string(),
        accepted_at: Some(timestamp(accepted_at)),
    };
    message(
        topic,
        key.platform_id,
        "gigshield.events.v1.CoverageDayStarted",
        &event,
    )
}

pub fn declaration_issued(
    topic: &str,
    id: Uuid,
    declaration: &Declaration,
    issued_at: DateTime<Utc>,
    due_date: NaiveDate,
    paid_from_credit_fen: i64,
) -> OutboxMessage {
    let event = events::DeclarationIssued {
        declaration_id: id.to_string(),
        platform_id: declaration.key.platform_id.to_string(),
        province_code: declaration.key.province.region_code(),
        month: declaration.key.month.to_string(),
        lines: declaration
            .lines
            .iter()
            .map(|l| events::declaration_issued::Line {
                adjusts_month: l.adjusts_month.map(|m| m.to_string()).unwrap_or_default(),
                industry: l.industry.to_proto() as i32,
                fen_per_order: l.fen_per_order,
                order_count: l.order_count,
                amount_fen: l.amount_fen,
            })
            .collect(),
        total_fen: declaration.total_fen,
        issued_at: Some(timestamp(issued_at)),
        due_date: due_date.to_string(),
        paid_from_credit_fen,
    };
    message(
        topic,
        declaration.key.platform_id,
        "gigshield.events.v1.DeclarationIssued",
        &event,
    )
}

pub fn payment_recorded(
    topic: &str,
    platform_id: Uuid,
    payment: &crate::domain::arrears::Payment,
    allocations: &[(Uuid, i64)],
    settlement: &Settlement,
) -> OutboxMessage {
    let event = events::PaymentRecorded {
        platform_id: platform_id.to_string(),
        reference: payment.reference.clone(),
        amount_fen: payment.amount_fen,
        received_at: Some(timestamp(payment.received_at)),
        allocations: allocations
            .iter()
            .map(|(id, amount)| events::payment_recorded::Allocation {
                declaration_id: id.to_string(),
                amount_fen: *amount,
            })
            .collect(),
        outstanding_fen: settlement.outstanding_fen(),
        credit_fen: settlement.credit_fen,
    };
    message(
        topic,
        platform_id,
        "gigshield.events.v1.PaymentRecorded",
        &event,
    )
}

/// `None` when nothing is overdue on `today`.
pub fn platform_in_arrears(
    topic: &str,
    platform_id: Uuid,
    settlement: &Settlement,
    declarations: &[StoredDeclaration],
    today: NaiveDate,
    terms: &PaymentTerms,
) -> Option<OutboxMessage> {
    let overdue: Vec<_> = settlement
        .in_arrears(today)
        .map(|s| {
            let province = declarations
                .iter()
                .find(|d| d.id == s.declaration.declaration_id)
                .map(|d| d.province.region_code())
                .unwrap_or_default();
            events::platform_in_arrears::Overdue {
                declaration_id: s.declaration.declaration_id.to_string(),
                province_code: province,
                month: s.declaration.month.to_string(),
                outstanding_fen: s.outstanding_fen,
                days_overdue: s.days_overdue(today),
                late_fee_fen: s.late_fee_fen(today, terms),
            }
        })
        .collect();
    if overdue.is_empty() {
        return None;
    }
    let event = events::PlatformInArrears {
        platform_id: platform_id.to_string(),
        as_of: today.to_string(),
        outstanding_fen: overdue.iter().map(|o| o.outstanding_fen).sum(),
        late_fee_fen: overdue.iter().map(|o| o.late_fee_fen).sum(),
        overdue,
    };
    Some(message(
        topic,
        platform_id,
        "gigshield.events.v1.PlatformInArrears",
        &event,
    ))
}

pub fn rate_added(topic: &str, rate: &crate::store::rate::Model) -> OutboxMessage {
    let event = events::RateAdded {
        rate_id: rate.id.to_string(),
        industry: gigshield_scheme::industry::Industry::parse_stored(&rate.industry)
            .map(|i| i.to_proto() as i32)
            .unwrap_or_default(),
        platform_id: rate.platform_id.map(|p| p.to_string()).unwrap_or_default(),
        province_code: rate.province.clone().unwrap_or_default(),
        effective_from: Some(timestamp(rate.effective_from)),
        fen_per_order: rate.fen_per_order,
        added_by: rate.added_by.clone(),
        added_at: Some(timestamp(rate.added_at)),
    };
    OutboxMessage::new(
        topic,
        "rate",
        rate.platform_id
            .map_or_else(|| "rates".to_string(), |p| p.to_string()),
        "gigshield.events.v1.RateAdded",
        &event,
    )
}

/// One platform × province × order month × rate change of a repricing.
pub struct RepricedMonth {
    pub platform_id: Uuid,
    pub province: gigshield_scheme::region::ProvinceCode,
    pub industry: gigshield_scheme::industry::Industry,
    pub order_month: gigshield_scheme::calendar::CalendarMonth,
    pub declaration_month: gigshield_scheme::calendar::CalendarMonth,
    pub old_fen_per_order: i64,
    pub new_fen_per_order: i64,
    pub billable_orders: i64,
    pub delta_fen: i64,
}

pub fn orders_repriced(
    topic: &str,
    rate_id: Uuid,
    month: &RepricedMonth,
    at: DateTime<Utc>,
) -> OutboxMessage {
    let event = events::OrdersRepriced {
        rate_id: rate_id.to_string(),
        platform_id: month.platform_id.to_string(),
        province_code: month.province.region_code(),
        industry: month.industry.to_proto() as i32,
        order_month: month.order_month.to_string(),
        declaration_month: month.declaration_month.to_string(),
        old_fen_per_order: month.old_fen_per_order,
        new_fen_per_order: month.new_fen_per_order,
        billable_orders: month.billable_orders,
        delta_fen: month.delta_fen,
        repriced_at: Some(timestamp(at)),
    };
    message(
        topic,
        month.platform_id,
        "gigshield.events.v1.OrdersRepriced",
        &event,
    )
}
