//! The order stream (ReportOrders) and the platform's reads of it (GetOrder,
//! GetMonthStatement).
//!
//! A batch is one transaction with a fixed number of statements whatever its size: read the
//! replica, rates and last closed month; claim the order keys (`ON CONFLICT DO NOTHING
//! RETURNING` tells new orders from resent ones); read the resent ones; upsert orders; post the
//! net fee changes; insert coverage days (`RETURNING` the ones that are new); add to the daily
//! statement; enqueue the events.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, SubsecRound, Utc};
use gigshield_kit::access::{self, Subject};
use gigshield_kit::error::FieldViolation;
use gigshield_kit::idempotency::is_unique_violation;
use gigshield_kit::{ApiError, Principal, wire};
use gigshield_proto::premium as pb;
use gigshield_scheme::calendar::shanghai_date;
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::ProvinceCode;
use sea_orm::{DatabaseTransaction, DbErr};
use tonic::Streaming;
use uuid::Uuid;

use super::{PremiumApi, views};
use crate::domain::billing::{Charge, accrual_change, is_billable};
use crate::domain::coverage::CoverageDayKey;
use crate::domain::declaration::declaration_month;
use crate::domain::orders::{
    Merge, Order, OrderReport, PlatformScope, merge_update, validate_report,
};
use crate::events;
use crate::store::membership;
use crate::store::queries::{self, DayDelta, FeeKey, StoredOrder, scope_at};

/// Orders per stream message: bounds a batch's transaction and memory; statements are chunked
/// below the bind-parameter limits anyway.
pub const MAX_BATCH: usize = 2000;
/// A batch that lost a race (unique index, deadlock) is retried whole; the retry sees the
/// winner's rows and folds into them.
const ATTEMPTS: usize = 3;

/// Valid reports of one order_id in the order sent: (position in the batch, order, rate).
type OrderGroup = (String, Vec<(usize, Order, i64)>);

enum Outcome {
    Accepted,
    Unchanged,
    Updated,
    Rejected(Vec<FieldViolation>),
}

fn violation(field: &str, description: impl ToString) -> FieldViolation {
    FieldViolation {
        field: field.to_string(),
        description: description.to_string(),
    }
}

fn retryable(err: &DbErr) -> bool {
    is_unique_violation(err) || err.to_string().contains("deadlock")
}

/// Reported times are kept to the microsecond, the precision PostgreSQL stores: a resend
/// with nanoseconds must compare equal to what was stored from the first report.
fn time(
    field: &str,
    value: Option<&prost_types::Timestamp>,
    faults: &mut Vec<FieldViolation>,
) -> Option<DateTime<Utc>> {
    match wire::datetime(field, value) {
        Ok(at) => at.map(|at| at.trunc_subsecs(6)),
        Err(_) => {
            faults.push(violation(field, "is not a valid timestamp"));
            None
        }
    }
}

/// The wire form into the domain's report: what cannot even be read is refused here.
fn parse_report(report: &pb::OrderReport) -> Result<OrderReport, Vec<FieldViolation>> {
    let mut faults = Vec::new();
    let industry = Industry::from_proto(report.industry)
        .map_err(|e| faults.push(violation("industry", e)))
        .ok();
    let accepted_at = time("accepted_at", report.accepted_at.as_ref(), &mut faults);
    if report.accepted_at.is_none() {
        faults.push(violation("accepted_at", "is required"));
    }
    let picked_up_at = time("picked_up_at", report.picked_up_at.as_ref(), &mut faults);
    let completed_at = time("completed_at", report.completed_at.as_ref(), &mut faults);
    let cancelled_at = time("cancelled_at", report.cancelled_at.as_ref(), &mut faults);
    match (industry, accepted_at) {
        (Some(industry), Some(accepted_at)) if faults.is_empty() => Ok(OrderReport {
            order_id: report.order_id.clone(),
            external_worker_id: report.external_worker_id.clone(),
            industry,
            region_code: report.region_code.clone(),
            accepted_at,
            picked_up_at,
            completed_at,
            cancelled_at,
        }),
        _ => Err(faults),
    }
}

/// The person behind the worker id at the order's acceptance.
fn person_at(
    members: &HashMap<&str, Vec<&membership::Model>>,
    report: &OrderReport,
) -> Option<Uuid> {
    members
        .get(report.external_worker_id.as_str())?
        .iter()
        .find(|m| {
            m.registered_at <= report.accepted_at
                && m.deregistered_at.is_none_or(|end| report.accepted_at < end)
        })
        .map(|m| m.person_id)
}

impl PremiumApi {
    pub(super) async fn report_orders(
        &self,
        principal: Principal,
        mut stream: Streaming<pb::ReportOrdersRequest>,
    ) -> Result<pb::ReportOrdersResponse, ApiError> {
        let caller = self.caller("ReportOrders", principal)?;
        let mut response = pb::ReportOrdersResponse::default();
        let mut stream_platform: Option<Uuid> = None;
        let mut index: i64 = 0;
        while let Some(batch) = stream
            .message()
            .await
            .map_err(|s| ApiError::invalid("stream", s.message()))?
        {
            let platform_id = wire::uuid("platform_id", &batch.platform_id)?;
            match stream_platform {
                None => {
                    caller.require(&Subject::default().platform(platform_id))?;
                    if !queries::platform_known(self.db(), platform_id).await? {
                        return Err(ApiError::FailedPrecondition(format!(
                            "platform {platform_id} is not known here yet (its registration event has not arrived)"
                        )));
                    }
                    stream_platform = Some(platform_id);
                }
                Some(first) if first != platform_id => {
                    return Err(ApiError::invalid(
                        "platform_id",
                        "must be the same in every message of a stream",
                    ));
                }
                Some(_) => {}
            }
            if batch.orders.len() > MAX_BATCH {
                return Err(ApiError::invalid(
                    "orders",
                    format!("at most {MAX_BATCH} per message"),
                ));
            }
            let results = self.ingest_batch(platform_id, &batch.orders, index).await?;
            index += batch.orders.len() as i64;
            for result in &results {
                match pb::OrderResultStatus::try_from(result.status) {
                    Ok(pb::OrderResultStatus::Accepted) => response.accepted_count += 1,
                    Ok(pb::OrderResultStatus::Unchanged) => response.unchanged_count += 1,
                    Ok(pb::OrderResultStatus::Updated) => response.updated_count += 1,
                    _ => response.rejected_count += 1,
                }
            }
            response.results.extend(results);
        }
        Ok(response)
    }

    async fn ingest_batch(
        &self,
        platform_id: Uuid,
        reports: &[pb::OrderReport],
        first_index: i64,
    ) -> Result<Vec<pb::OrderResult>, ApiError> {
        let now = Utc::now();
        let mut results: Vec<pb::OrderResult> = reports
            .iter()
            .enumerate()
            .map(|(i, r)| pb::OrderResult {
                index: first_index + i as i64,
                order_id: r.order_id.clone(),
                ..Default::default()
            })
            .collect();
        let mut parsed = Vec::with_capacity(reports.len());
        let mut outcomes = Vec::new();
        for (i, report) in reports.iter().enumerate() {
            match parse_report(report) {
                Ok(report) => parsed.push((i, report)),
                Err(faults) => outcomes.push((i, Outcome::Rejected(faults))),
            }
        }
        if !parsed.is_empty() {
            for attempt in 1..=ATTEMPTS {
                let txn = gigshield_kit::db::begin_write(self.db()).await?;
                match self.ingest_in(&txn, platform_id, &parsed, now).await {
                    Err(err) if retryable(&err) && attempt < ATTEMPTS => {
                        txn.rollback().await.ok();
                        continue;
                    }
                    Err(err) => return Err(err.into()),
                    Ok(stored) => {
                        txn.commit().await?;
                        self.writer.outbox.notify();
                        outcomes.extend(stored);
                        break;
                    }
                }
            }
        }
        for (i, outcome) in outcomes {
            let result = &mut results[i];
            result.status = match outcome {
                Outcome::Accepted => pb::OrderResultStatus::Accepted,
                Outcome::Unchanged => pb::OrderResultStatus::Unchanged,
                Outcome::Updated => pb::OrderResultStatus::Updated,
                Outcome::Rejected(faults) => {
                    result.errors = faults
                        .into_iter()
                        .map(|f| pb::FieldError {
                            field: f.field,
                            description: f.description,
                        })
                        .collect();
                    pb::OrderResultStatus::Rejected
                }
            } as i32;
        }
        Ok(results)
    }

    /// Everything a batch changes, in one transaction.
    async fn ingest_in(
        &self,
        txn: &DatabaseTransaction,
        platform_id: Uuid,
        parsed: &[(usize, OrderReport)],
        now: DateTime<Utc>,
    ) -> Result<Vec<(usize, Outcome)>, DbErr> {
        let rule = self.settings.billable_rule;
        queries::lock_for_ingest(txn).await?;
        let last_closed = queries::last_closed(txn).await?;
        let scopes = queries::scopes(txn, Some(platform_id))
            .await?
            .remove(&platform_id)
            .unwrap_or_default();
        let rates = queries::rate_table(txn).await?;
        let rules = self.calendar.current(txn).await?;
        let external_ids: Vec<String> = parsed
            .iter()
            .map(|(_, r)| r.external_worker_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let member_rows = queries::memberships(txn, platform_id, &external_ids).await?;
        let mut members: HashMap<&str, Vec<&membership::Model>> = HashMap::new();
        for m in &member_rows {
            members
                .entry(m.external_worker_id.as_str())
                .or_default()
                .push(m);
        }
        // Orders accepted before the platform's first scope meet an empty one: every industry
        // and province is then "not registered".
        let unregistered = PlatformScope {
            platform_id,
            industries: BTreeSet::new(),
            provinces: BTreeSet::new(),
        };

        let mut outcomes = Vec::with_capacity(parsed.len());
        // Valid reports grouped by order_id in first-seen order: a batch may carry an order
        // and its later update, which apply in the order sent.
        let mut groups: Vec<OrderGroup> = Vec::new();
        let mut group_of: HashMap<String, usize> = HashMap::new();
        for (i, report) in parsed {
            let scope = scope_at(&scopes, report.accepted_at).unwrap_or(&unregistered);
            let person = person_at(&members, report);
            let order = match validate_report(report, person, scope, &rules, now, &self.params) {
                Ok(order) => order,
                Err(invalid) => {
                    let faults = invalid
                        .reasons
                        .iter()
                        .map(|r| violation(r.field(), r))
                        .collect();
                    outcomes.push((*i, Outcome::Rejected(faults)));
                    continue;
                }
            };
            let fen = match rates.rate_for(
                order.industry,
                platform_id,
                &order.province(),
                order.timeline.accepted_at,
            ) {
                Ok(row) => row.fen_per_order,
                Err(missing) => {
                    outcomes.push((
                        *i,
                        Outcome::Rejected(vec![violation("accepted_at", missing)]),
                    ));
                    continue;
                }
            };
            let slot = *group_of.entry(order.order_id.clone()).or_insert_with(|| {
                groups.push((order.order_id.clone(), Vec::new()));
                groups.len() - 1
            });
            groups[slot].1.push((*i, order, fen));
        }
        if groups.is_empty() {
            return Ok(outcomes);
        }

        // Sorted so concurrent batches lock keys in one order and cannot deadlock.
        let mut keys: Vec<(&str, DateTime<Utc>)> = groups
            .iter()
            .map(|(id, items)| (id.as_str(), items[0].1.timeline.accepted_at))
            .collect();
        keys.sort();
        let new_ids = queries::claim_order_keys(txn, platform_id, &keys).await?;
        let resent: Vec<&str> = keys
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !new_ids.contains(*id))
            .collect();
        let stored: HashMap<String, StoredOrder> = if resent.is_empty() {
            HashMap::new()
        } else {
            queries::stored_orders(txn, platform_id, &resent)
                .await?
                .into_iter()
                .map(|s| (s.order.order_id.clone(), s))
                .collect()
        };

        let mut upserts = Vec::new();
        let mut fees: BTreeMap<FeeKey, i64> = BTreeMap::new();
        let mut days: BTreeMap<(ProvinceCode, chrono::NaiveDate), DayDelta> = BTreeMap::new();
        let mut coverage: BTreeMap<CoverageDayKey, (String, DateTime<Utc>)> = BTreeMap::new();
        for (order_id, items) in groups {
            let before = stored.get(&order_id);
            if before.is_none() && !new_ids.contains(&order_id) {
                return Err(DbErr::Custom(format!(
                    "order_key of {platform_id}/{order_id} exists without its order"
                )));
            }
            // The rate that priced the order when first stored prices its reversal too.
            let fen = before.map_or(items[0].2, |s| s.fen_per_order);
            let mut current: Option<Order> = before.map(|s| s.order.clone());
            for (i, incoming, _) in items {
                match &current {
                    None => {
                        outcomes.push((i, Outcome::Accepted));
                        current = Some(incoming);
                    }
                    Some(base) => match merge_update(base, &incoming) {
                        Merge::Unchanged => outcomes.push((i, Outcome::Unchanged)),
                        Merge::Updated(merged) => {
                            outcomes.push((i, Outcome::Updated));
                            current = Some(merged);
                        }
                        Merge::Conflict(conflict) => outcomes.push((
                            i,
                            Outcome::Rejected(vec![violation(conflict.field(), &conflict)]),
                        )),
                    },
                }
            }
            let Some(after) = current else { continue };
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
            if before.is_none() {
                day.orders += 1;
                let key = CoverageDayKey::for_order(&after);
                let first = (after.order_id.clone(), after.timeline.accepted_at);
                coverage
                    .entry(key)
                    .and_modify(|seen| {
                        if first.1 < seen.1 {
                            *seen = first.clone();
                        }
                    })
                    .or_insert(first);
            }
            upserts.push(StoredOrder {
                billed: is_billable(&after.timeline, rule),
                order: after,
                fen_per_order: fen,
            });
        }

        upserts.sort_by(|a, b| a.order.order_id.cmp(&b.order.order_id));
        queries::upsert_orders(txn, &upserts, now).await?;
        let fees: Vec<(FeeKey, i64)> = fees.into_iter().collect();
        queries::post_fees(txn, platform_id, &fees, now).await?;
        let coverage: Vec<(CoverageDayKey, String, DateTime<Utc>)> = coverage
            .into_iter()
            .map(|(key, (order_id, at))| (key, order_id, at))
            .collect();
        let started = queries::insert_coverage_days(txn, &coverage).await?;
        let days: Vec<_> = days
            .into_iter()
            .filter(|(_, d)| *d != DayDelta::default())
            .collect();
        queries::add_to_daily_statement(txn, platform_id, &days).await?;
        let events = coverage
            .iter()
            .filter(|(key, _, _)| started.contains(key))
            .map(|(key, order_id, at)| {
                events::coverage_day_started(&self.settings.topic, key, order_id, *at)
            })
            .collect();
        gigshield_kit::outbox::enqueue_many(txn, events).await?;
        Ok(outcomes)
    }

    pub(super) async fn get_order(
        &self,
        principal: Principal,
        req: pb::GetOrderRequest,
    ) -> Result<pb::GetOrderResponse, ApiError> {
        let caller = self.caller("GetOrder", principal)?;
        let platform_id = wire::uuid("platform_id", &req.platform_id)?;
        if let gigshield_kit::Role::Platform { .. } = caller.principal.role {
            caller.require(&Subject::default().platform(platform_id))?;
        }
        if req.order_id.is_empty() {
            return Err(ApiError::invalid("order_id", "is required"));
        }
        let stored = queries::order(self.db(), platform_id, &req.order_id)
            .await?
            .ok_or_else(|| access::hidden("order"))?;
        caller.visible(
            &Subject::default()
                .platform(platform_id)
                .region(stored.order.region.as_str()),
            "order",
        )?;
        Ok(pb::GetOrderResponse {
            order: Some(views::order(&stored, self.settings.billable_rule)),
        })
    }

    pub(super) async fn get_month_statement(
        &self,
        principal: Principal,
        req: pb::GetMonthStatementRequest,
    ) -> Result<pb::GetMonthStatementResponse, ApiError> {
        let caller = self.caller("GetMonthStatement", principal)?;
        let platform_id = wire::uuid("platform_id", &req.platform_id)?;
        super::require_platform(&caller, self.db(), platform_id).await?;
        let month = wire::month("month", &req.month)?;
        let rows = queries::month_statement(self.db(), platform_id, month).await?;
        let mut response = pb::GetMonthStatementResponse {
            platform_id: platform_id.to_string(),
            month: month.to_string(),
            ..Default::default()
        };
        for (date, d) in rows {
            response.order_count += d.orders;
            response.billable_count += d.billable;
            response.amount_fen += d.amount_fen;
            response.days.push(pb::StatementDay {
                date,
                order_count: d.orders,
                billable_count: d.billable,
                amount_fen: d.amount_fen,
            });
        }
        Ok(response)
    }
}
