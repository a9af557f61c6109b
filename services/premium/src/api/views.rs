//! Store rows and domain values as API messages, and the few wire parsers the handlers share.

use chrono::NaiveDate;
use gigshield_kit::ApiError;
use gigshield_kit::wire::timestamp;
use gigshield_proto::premium as pb;

use crate::domain::arrears::{DeclarationStanding, PaymentTerms, Settlement};
use crate::domain::billing::{BillableRule, is_billable};
use crate::domain::ingest::StoredOrder;
use crate::domain::orders::{OrderStatus, OrderTimeline};
use crate::store::queries::StoredDeclaration;
use crate::store::rate;

pub fn status(timeline: &OrderTimeline) -> pb::OrderStatus {
    match timeline.status() {
        OrderStatus::Accepted => pb::OrderStatus::Accepted,
        OrderStatus::PickedUp => pb::OrderStatus::PickedUp,
        OrderStatus::Completed => pb::OrderStatus::Completed,
        OrderStatus::Cancelled => pb::OrderStatus::Cancelled,
    }
}

pub fn order(stored: &StoredOrder, rule: BillableRule) -> pb::Order {
    let o = &stored.order;
    let t = &o.timeline;
    pb::Order {
        platform_id: o.platform_id.to_string(),
        order_id: o.order_id.clone(),
        person_id: o.person_id.to_string(),
        external_worker_id: o.external_worker_id.clone(),
        industry: o.industry.to_proto() as i32,
        region_code: o.region.as_str().to_string(),
        accepted_at: Some(timestamp(t.accepted_at)),
        picked_up_at: t.picked_up_at.map(timestamp),
        completed_at: t.completed_at.map(timestamp),
        cancelled_at: t.cancelled_at.map(timestamp),
        status: status(t) as i32,
        billable: is_billable(t, rule),
        fen_per_order: stored.fen_per_order,
        billing_month: o.billing_month().to_string(),
    }
}

pub fn activity(stored: &StoredOrder) -> pb::WorkActivity {
    let o = &stored.order;
    let t = &o.timeline;
    pb::WorkActivity {
        platform_id: o.platform_id.to_string(),
        order_id: o.order_id.clone(),
        industry: o.industry.to_proto() as i32,
        region_code: o.region.as_str().to_string(),
        accepted_at: Some(timestamp(t.accepted_at)),
        picked_up_at: t.picked_up_at.map(timestamp),
        completed_at: t.completed_at.map(timestamp),
        cancelled_at: t.cancelled_at.map(timestamp),
        status: status(t) as i32,
    }
}

pub fn rate(row: &rate::Model) -> Result<pb::Rate, ApiError> {
    let industry = gigshield_scheme::industry::Industry::parse_stored(&row.industry)
        .map_err(ApiError::internal)?;
    Ok(pb::Rate {
        rate_id: row.id.to_string(),
        industry: industry.to_proto() as i32,
        platform_id: row.platform_id.map(|p| p.to_string()).unwrap_or_default(),
        province_code: row.province.clone().unwrap_or_default(),
        effective_from: Some(timestamp(row.effective_from)),
        fen_per_order: row.fen_per_order,
    })
}

pub fn declaration(
    d: &StoredDeclaration,
    standing: Option<&DeclarationStanding>,
    today: NaiveDate,
    terms: &PaymentTerms,
) -> pb::Declaration {
    pb::Declaration {
        declaration_id: d.id.to_string(),
        platform_id: d.platform_id.to_string(),
        province_code: d.province.region_code(),
        month: d.month.to_string(),
        lines: d
            .lines
            .iter()
            .map(|l| pb::DeclarationLine {
                adjusts_month: l.adjusts_month.map(|m| m.to_string()).unwrap_or_default(),
                industry: l.industry.to_proto() as i32,
                fen_per_order: l.fen_per_order,
                order_count: l.order_count,
                amount_fen: l.amount_fen,
            })
            .collect(),
        total_fen: d.total_fen,
        issued_at: Some(timestamp(d.issued_at)),
        due_date: d.due_date.to_string(),
        paid_fen: standing.map(|s| s.paid_fen).unwrap_or_default(),
        outstanding_fen: standing.map(|s| s.outstanding_fen).unwrap_or_default(),
        days_overdue: standing
            .filter(|s| s.outstanding_fen > 0)
            .map(|s| s.days_overdue(today))
            .unwrap_or_default(),
        late_fee_fen: standing
            .map(|s| s.late_fee_fen(today, terms))
            .unwrap_or_default(),
    }
}

/// One platform's declarations, payments and what the payments settled.
pub struct Books {
    pub declarations: Vec<StoredDeclaration>,
    pub settlement: Settlement,
}

impl Books {
    pub fn standing(&self, id: uuid::Uuid) -> Option<&DeclarationStanding> {
        self.settlement
            .standings
            .iter()
            .find(|s| s.declaration.declaration_id == id)
    }

    pub fn view(
        &self,
        d: &StoredDeclaration,
        today: NaiveDate,
        terms: &PaymentTerms,
    ) -> pb::Declaration {
        declaration(d, self.standing(d.id), today, terms)
    }

    pub fn account(
        &self,
        platform_id: uuid::Uuid,
        today: NaiveDate,
        terms: &PaymentTerms,
    ) -> pb::Account {
        let overdue: Vec<_> = self
            .settlement
            .in_arrears(today)
            .filter_map(|s| {
                self.declarations
                    .iter()
                    .find(|d| d.id == s.declaration.declaration_id)
                    .map(|d| declaration(d, Some(s), today, terms))
            })
            .collect();
        pb::Account {
            platform_id: platform_id.to_string(),
            outstanding_fen: self.settlement.outstanding_fen(),
            credit_fen: self.settlement.credit_fen,
            late_fee_fen: self
                .settlement
                .standings
                .iter()
                .map(|s| s.late_fee_fen(today, terms))
                .sum(),
            in_arrears: !overdue.is_empty(),
            overdue,
            as_of: today.to_string(),
        }
    }
}
