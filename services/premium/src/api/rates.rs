//! The rate table: operators add rows, nobody edits one.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use gigshield_kit::idempotency::{IdempotencyKey, is_unique_violation};
use gigshield_kit::{ApiError, Principal, Role, Violations, paging, wire};
use gigshield_proto::premium as pb;
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::ProvinceCode;
use uuid::Uuid;

use super::{PremiumApi, views};
use crate::domain::declaration::declaration_month;
use crate::domain::ingest::{DayDelta, FeeKey};
use crate::domain::rates::{RateError, RateRow, RateTable, Repricing};
use crate::events;
use crate::store::queries::{self, RepriceScope};
use crate::store::rate;
use gigshield_scheme::calendar::CalendarMonth;
use sea_orm::DatabaseTransaction;

impl PremiumApi {
    pub(super) async fn add_rate(
        &self,
        principal: Principal,
        req: pb::AddRateRequest,
    ) -> Result<pb::AddRateResponse, ApiError> {
        let caller = self.caller("AddRate", principal)?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "AddRate", &req)?;
        let mut v = Violations::new();
        let industry = v.check("industry", Industry::from_proto(req.industry));
        let platform_id = if req.platform_id.is_empty() {
            None
        } else {
            v.check(
                "platform_id",
                Uuid::parse_str(&req.platform_id).map_err(|_| "must be a UUID"),
            )
        };
        let province = if req.province_code.is_empty() {
            None
        } else {
            v.check("province_code", ProvinceCode::parse(&req.province_code))
        };
        let effective_from = match wire::datetime("effective_from", req.effective_from.as_ref()) {
            // Microseconds: the precision stored, so the answer matches later listings.
            Ok(Some(at)) => Some(chrono::SubsecRound::trunc_subsecs(at, 6)),
            Ok(None) => {
                v.add("effective_from", "is required");
                None
            }
            Err(_) => {
                v.add("effective_from", "is not a valid timestamp");
                None
            }
        };
        v.into_result()?;
        let (Some(industry), Some(effective_from)) = (industry, effective_from) else {
            return Err(ApiError::invalid("industry", "is required"));
        };
        // An operator sets rates only for provinces inside its area; general rates are national.
        if let Some(area) = caller.principal.role.jurisdiction() {
            let inside = match province {
                Some(p) => area.contains_region(&p.region_code()),
                None => area.is_national(),
            };
            if !inside {
                return Err(ApiError::PermissionDenied(
                    "province_code: outside the operator's area".into(),
                ));
            }
        }
        let row = RateRow {
            industry,
            platform_id,
            province,
            effective_from,
            fen_per_order: req.fen_per_order,
        };
        let now = self.writer.now();
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            // Exclusive against ingest: no batch prices orders with the table while it changes.
            queries::lock_for_close(&txn).await?;
            let mut table = queries::rate_table(&txn).await?;
            table.check_new_row(&row).map_err(|err| match err {
                RateError::NegativeRate { .. } => {
                    ApiError::invalid("fen_per_order", err.to_string())
                }
                RateError::Duplicate { .. } => ApiError::AlreadyExists(err.to_string()),
            })?;
            let model = rate::Model {
                id: Uuid::now_v7(),
                industry: industry.as_str().to_string(),
                platform_id,
                province: province.map(|p| p.region_code()),
                rate_key: queries::rate_key(&row.key()),
                effective_from,
                fen_per_order: row.fen_per_order,
                added_by: caller.principal.actor(),
                added_at: now,
            };
            match queries::insert_rate(&txn, model.clone()).await {
                Err(err) if is_unique_violation(&err) => {
                    return Err(ApiError::AlreadyExists(
                        "a rate for this key and instant was added concurrently".into(),
                    ));
                }
                other => other?,
            }
            table
                .add(row.clone())
                .map_err(|e| ApiError::internal(anyhow::anyhow!("checked rate refused: {e}")))?;
            gigshield_kit::outbox::enqueue(&txn, events::rate_added(&self.settings.topic, &model))
                .await?;
            let (repriced_orders, repriced_fen) = if effective_from < now {
                self.reprice(&txn, &table, &row, model.id, now).await?
            } else {
                (0, 0)
            };
            Ok(pb::AddRateResponse {
                rate: Some(views::rate(&model)?),
                repriced_orders,
                repriced_fen,
            })
        })?;
        Ok(response)
    }

    /// Reprices the stored orders a backdated `row` now prices differently: their stored rate,
    /// the daily statements, and the fees — in the order month while it is open, else as an
    /// adjustment on the next open one. Returns (orders repriced, change of fees in fen).
    async fn reprice(
        &self,
        txn: &DatabaseTransaction,
        table: &RateTable,
        row: &RateRow,
        rate_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(i64, i64), ApiError> {
        let last_closed = queries::last_closed(txn).await?;
        let points = table.breakpoints(row.industry, row.effective_from);
        let mut plan = RepricePlan::default();
        for (i, start) in points.iter().enumerate() {
            let segment = RepriceScope {
                industry: row.industry,
                platform_id: row.platform_id,
                province: row.province,
                start: *start,
                end: points.get(i + 1).copied(),
            };
            let groups = queries::priced_groups(txn, &segment).await?;
            for change in table.reprice(row.industry, &groups) {
                plan.add(&segment, change, last_closed);
            }
        }
        for (start, end, platform_id, province, old, new) in &plan.updates {
            let scope = RepriceScope {
                industry: row.industry,
                platform_id: Some(*platform_id),
                province: Some(*province),
                start: *start,
                end: *end,
            };
            queries::reprice_orders(txn, &scope, *old, *new, now).await?;
        }
        for (platform_id, days) in &plan.days {
            let days: Vec<_> = days.iter().map(|(k, v)| (*k, *v)).collect();
            queries::add_to_daily_statement(txn, *platform_id, &days).await?;
        }
        for (platform_id, fees) in &plan.fees {
            let fees: Vec<(FeeKey, i64)> = fees.iter().map(|(k, v)| (k.clone(), *v)).collect();
            queries::post_fees(txn, *platform_id, &fees, now).await?;
        }
        let messages = plan
            .months
            .values()
            .map(|m| events::orders_repriced(&self.settings.topic, rate_id, m, now))
            .collect();
        gigshield_kit::outbox::enqueue_many(txn, messages).await?;
        Ok((plan.orders, plan.delta_fen))
    }

    pub(super) async fn list_rates(
        &self,
        principal: Principal,
        req: pb::ListRatesRequest,
    ) -> Result<pb::ListRatesResponse, ApiError> {
        let caller = self.caller("ListRates", principal)?;
        let visible_to = match caller.principal.role {
            Role::Platform { platform_id } => Some(platform_id),
            _ => None,
        };
        let area = caller.principal.role.jurisdiction().cloned();
        let industry = match req.industry {
            0 => None,
            n => Some(
                Industry::from_proto(n)
                    .map_err(|e| ApiError::invalid("industry", e.to_string()))?,
            ),
        };
        let page = paging::PageQuery::from_request(req.page.as_ref())?;
        // A city's operator sees its province's rates (rates are set per province).
        let province_like = area
            .as_ref()
            .and_then(|a| a.sql_patterns())
            .map(|(_, province)| province);
        let mut rows = queries::list_rates(
            self.db(),
            industry,
            visible_to,
            province_like.as_deref(),
            page.after,
            page.fetch(),
        )
        .await?;
        let next = page.finish(&mut rows, |r| r.id);
        Ok(pb::ListRatesResponse {
            rates: rows.iter().map(views::rate).collect::<Result<_, _>>()?,
            page: Some(next),
        })
    }
}

/// What a repricing writes, gathered from its groups.
#[derive(Default)]
struct RepricePlan {
    /// The stored rates to replace: per segment (start, end), platform and province, the old
    /// rate and the new one.
    updates: BTreeSet<UpdateKey>,
    days: BTreeMap<Uuid, BTreeMap<(ProvinceCode, NaiveDate), DayDelta>>,
    fees: BTreeMap<Uuid, BTreeMap<FeeKey, i64>>,
    /// One event per platform, province, order month and rate change.
    months: BTreeMap<(Uuid, ProvinceCode, CalendarMonth, i64, i64), events::RepricedMonth>,
    orders: i64,
    delta_fen: i64,
}

type UpdateKey = (
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Uuid,
    ProvinceCode,
    i64,
    i64,
);

impl RepricePlan {
    fn add(
        &mut self,
        segment: &RepriceScope,
        change: Repricing,
        last_closed: Option<CalendarMonth>,
    ) {
        let group = &change.group;
        let (old, new) = (group.fen_per_order, change.new_fen_per_order);
        let delta = change.delta_fen();
        let (platform_id, province) = (group.platform_id, group.province);
        self.updates
            .insert((segment.start, segment.end, platform_id, province, old, new));
        self.orders += group.orders;
        self.delta_fen += delta;
        let day = self
            .days
            .entry(platform_id)
            .or_default()
            .entry((province, group.day))
            .or_default();
        day.amount_fen += delta;
        let order_month = CalendarMonth::new(group.day.year(), group.day.month())
            .expect("a stored order's day is a real date");
        let declaration_month = declaration_month(order_month, last_closed);
        let fee = |fen_per_order| FeeKey {
            province,
            order_month,
            declaration_month,
            industry: segment.industry,
            fen_per_order,
        };
        let fees = self.fees.entry(platform_id).or_default();
        *fees.entry(fee(old)).or_default() -= group.billable;
        *fees.entry(fee(new)).or_default() += group.billable;
        let month = self
            .months
            .entry((platform_id, province, order_month, old, new))
            .or_insert_with(|| events::RepricedMonth {
                platform_id,
                province,
                industry: segment.industry,
                order_month,
                declaration_month,
                old_fen_per_order: old,
                new_fen_per_order: new,
                billable_orders: 0,
                delta_fen: 0,
            });
        month.billable_orders += group.billable;
        month.delta_fen += delta;
    }
}
