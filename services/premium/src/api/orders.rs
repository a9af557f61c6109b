//! The order stream (ReportOrders) and the platform's reads of it (GetOrder,
//! GetMonthStatement).
//!
//! A batch is one transaction with a fixed number of statements whatever its size: read the
//! replica, rates and last closed month; claim the order keys (`ON CONFLICT DO NOTHING
//! RETURNING` tells new orders from resent ones); read the resent ones, if any (the slow path,
//! counted in `premium_ingest_batches_total{path="resent"}`); decide the batch in memory
//! (`domain::ingest`); insert the new orders (no conflict clause: their keys were just
//! claimed) and update the changed ones; post the net fee changes; insert the coverage days
//! not known to be stored (`RETURNING` the ones that are new); add to the daily statement;
//! enqueue the events.

use std::collections::{BTreeSet, HashMap};
use std::pin::Pin;

use chrono::{DateTime, SubsecRound, Utc};
use gigshield_kit::access::{self, Subject};
use gigshield_kit::error::FieldViolation;
use gigshield_kit::idempotency::is_unique_violation;
use gigshield_kit::{ApiError, Caller, Principal, wire};
use gigshield_proto::premium as pb;
use gigshield_scheme::industry::Industry;
use sea_orm::{DatabaseTransaction, DbErr};
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};
use uuid::Uuid;

use super::{PremiumApi, views};
use crate::domain::coverage::CoverageDayKey;
use crate::domain::ingest::{
    BatchPlan, Outcome as IngestOutcome, PricedReport, StoredOrder, group_by_order, plan_batch,
};
use crate::domain::orders::{OrderReport, PlatformScope, validate_report};
use crate::events;
use crate::store::membership;
use crate::store::queries::{self, scope_at};

/// Batches ingested, by path: `new` (every order new: no stored order read) or `resent` (at
/// least one order resent or updated: stored orders read and merged).
pub const INGEST_BATCHES: &str = "premium_ingest_batches_total";

/// Describes ingest's metrics for `/metrics`.
pub fn describe_metrics() {
    metrics::describe_counter!(
        INGEST_BATCHES,
        "Order batches ingested, by path: new (no order stored before) or resent (stored orders read and merged)"
    );
}

/// Orders per ReportOrders message: bounds a batch's transaction and memory (its answer holds
/// every item's result).
pub const MAX_BATCH: usize = 2000;
/// Orders per ReportOrders stream: its one answer holds a result per order and must stay well
/// under a default client's 4 MiB message limit (a result with errors is up to ~200 bytes);
/// more goes through StreamOrders, which answers batch by batch.
pub const MAX_REPORT_STREAM_ORDERS: i64 = 20_000;
/// Orders per StreamOrders message: one transaction, one bulk statement per table.
pub const MAX_STREAM_BATCH: usize = 10_000;
/// A StreamOrders batch id is echoed in its acknowledgement.
const MAX_BATCH_ID_CHARS: usize = 128;
/// StreamOrders calls one replica serves at once.
pub const MAX_ORDER_STREAMS: usize = 64;
/// Acknowledgements a slow client may leave unread before its stream stops being read.
const ACKS_BUFFERED: usize = 16;
/// A batch that lost a race (unique index, deadlock) is retried whole; the retry sees the
/// winner's rows and folds into them.
const ATTEMPTS: usize = 3;

/// A batch's outcomes and the coverage days it found or stored.
struct Ingested {
    outcomes: Vec<(usize, Outcome)>,
    known_days: Vec<CoverageDayKey>,
}

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

/// The acknowledgements of one StreamOrders call.
pub type OrderAcks = Pin<Box<dyn Stream<Item = Result<pb::StreamOrdersResponse, Status>> + Send>>;

/// A stream's counts by outcome.
#[derive(Default)]
struct Tally {
    accepted: i64,
    unchanged: i64,
    updated: i64,
    rejected: i64,
}

impl Tally {
    /// Counts a result; true when it was accepted as new.
    fn count(&mut self, result: &pb::OrderResult) -> bool {
        match pb::OrderResultStatus::try_from(result.status) {
            Ok(pb::OrderResultStatus::Accepted) => {
                self.accepted += 1;
                return true;
            }
            Ok(pb::OrderResultStatus::Unchanged) => self.unchanged += 1,
            Ok(pb::OrderResultStatus::Updated) => self.updated += 1,
            _ => self.rejected += 1,
        }
        false
    }
}

impl PremiumApi {
    pub(super) async fn report_orders(
        &self,
        principal: Principal,
        mut stream: Streaming<pb::ReportOrdersRequest>,
    ) -> Result<pb::ReportOrdersResponse, ApiError> {
        let caller = self.caller("ReportOrders", principal)?;
        let mut results = Vec::new();
        let mut tally = Tally::default();
        let mut stream_platform: Option<Uuid> = None;
        let mut index: i64 = 0;
        while let Some(batch) = stream
            .message()
            .await
            .map_err(|s| ApiError::invalid("stream", s.message()))?
        {
            let platform_id = self
                .stream_platform(&caller, &mut stream_platform, &batch.platform_id)
                .await?;
            if batch.orders.len() > MAX_BATCH {
                return Err(ApiError::invalid(
                    "orders",
                    format!("at most {MAX_BATCH} per message"),
                ));
            }
            if index + batch.orders.len() as i64 > MAX_REPORT_STREAM_ORDERS {
                return Err(ApiError::invalid(
                    "orders",
                    format!(
                        "at most {MAX_REPORT_STREAM_ORDERS} per ReportOrders stream (the batches before \
                         this one are stored); use StreamOrders for more"
                    ),
                ));
            }
            let batch_results = self.ingest_batch(platform_id, &batch.orders, index).await?;
            index += batch.orders.len() as i64;
            for result in &batch_results {
                tally.count(result);
            }
            results.extend(batch_results);
        }
        Ok(pb::ReportOrdersResponse {
            results,
            accepted_count: tally.accepted,
            unchanged_count: tally.unchanged,
            updated_count: tally.updated,
            rejected_count: tally.rejected,
        })
    }

    pub(super) async fn stream_orders(
        &self,
        principal: Principal,
        mut stream: Streaming<pb::StreamOrdersRequest>,
    ) -> Result<OrderAcks, ApiError> {
        let caller = self.caller("StreamOrders", principal)?;
        // Each stream holds two tasks and, while a batch is stored, a connection: bounded.
        let permit = self
            .order_streams
            .clone()
            .try_acquire_owned()
            .map_err(|_| {
                ApiError::ResourceExhausted(format!(
                    "this replica serves {MAX_ORDER_STREAMS} order streams already; retry later"
                ))
            })?;
        // One batch waits decoded while the one before it is stored.
        let (batches, mut next_batch) = mpsc::channel(1);
        let (acks, acks_out) = mpsc::channel(ACKS_BUFFERED);
        tokio::spawn(async move {
            loop {
                let message = stream.message().await.transpose();
                let Some(message) = message else { return };
                if batches.send(message).await.is_err() {
                    return;
                }
            }
        });
        let api = self.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut stream_platform = None;
            while let Some(message) = next_batch.recv().await {
                let ack = match message {
                    Ok(batch) => api.acknowledge(&caller, &mut stream_platform, batch).await,
                    Err(status) => Err(ApiError::invalid("stream", status.message())),
                };
                let failed = ack.is_err();
                if acks.send(ack.map_err(Status::from)).await.is_err() || failed {
                    return;
                }
            }
        });
        Ok(Box::pin(ReceiverStream::new(acks_out)))
    }

    /// Stores one StreamOrders batch and says what became of it.
    async fn acknowledge(
        &self,
        caller: &Caller,
        stream_platform: &mut Option<Uuid>,
        batch: pb::StreamOrdersRequest,
    ) -> Result<pb::StreamOrdersResponse, ApiError> {
        let platform_id = self
            .stream_platform(caller, stream_platform, &batch.platform_id)
            .await?;
        if batch.batch_id.chars().count() > MAX_BATCH_ID_CHARS {
            return Err(ApiError::invalid(
                "batch_id",
                format!("at most {MAX_BATCH_ID_CHARS} characters"),
            ));
        }
        if batch.orders.len() > MAX_STREAM_BATCH {
            return Err(ApiError::invalid(
                "orders",
                format!("at most {MAX_STREAM_BATCH} per message"),
            ));
        }
        let results = self.ingest_batch(platform_id, &batch.orders, 0).await?;
        let mut tally = Tally::default();
        let not_new: Vec<pb::OrderResult> = results
            .into_iter()
            .filter(|result| !tally.count(result))
            .collect();
        Ok(pb::StreamOrdersResponse {
            batch_id: batch.batch_id,
            accepted_count: tally.accepted,
            unchanged_count: tally.unchanged,
            updated_count: tally.updated,
            rejected_count: tally.rejected,
            results: not_new,
        })
    }

    /// The platform a stream reports for: checked against the caller and known here on the
    /// first message, the same in every later one.
    async fn stream_platform(
        &self,
        caller: &Caller,
        stream_platform: &mut Option<Uuid>,
        named: &str,
    ) -> Result<Uuid, ApiError> {
        let platform_id = wire::uuid("platform_id", named)?;
        match *stream_platform {
            None => {
                caller.require(&Subject::default().platform(platform_id))?;
                if !queries::platform_known(self.db(), platform_id).await? {
                    return Err(ApiError::FailedPrecondition(format!(
                        "platform {platform_id} is not known here yet (its registration event has not arrived)"
                    )));
                }
                *stream_platform = Some(platform_id);
            }
            Some(first) if first != platform_id => {
                return Err(ApiError::invalid(
                    "platform_id",
                    "must be the same in every message of a stream",
                ));
            }
            Some(_) => {}
        }
        Ok(platform_id)
    }

    async fn ingest_batch(
        &self,
        platform_id: Uuid,
        reports: &[pb::OrderReport],
        first_index: i64,
    ) -> Result<Vec<pb::OrderResult>, ApiError> {
        let now = self.writer.now();
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
                    Ok(ingested) => {
                        txn.commit().await?;
                        self.writer.outbox.notify();
                        self.known_days.remember(&ingested.known_days);
                        outcomes.extend(ingested.outcomes);
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

    /// Everything a batch changes, in one transaction: read what the batch needs, decide it
    /// in memory (`domain::ingest`), write the result.
    async fn ingest_in(
        &self,
        txn: &DatabaseTransaction,
        platform_id: Uuid,
        parsed: &[(usize, OrderReport)],
        now: DateTime<Utc>,
    ) -> Result<Ingested, DbErr> {
        queries::lock_for_ingest(txn).await?;
        gigshield_kit::db::plan_for_parameters(txn).await?;
        let last_closed = queries::last_closed(txn).await?;
        let (priced, mut outcomes) = self.price(txn, platform_id, parsed, now).await?;
        let groups = group_by_order(priced);
        if groups.is_empty() {
            return Ok(Ingested {
                outcomes,
                known_days: Vec::new(),
            });
        }
        // Sorted so concurrent batches lock keys in one order and cannot deadlock.
        let mut keys: Vec<(&str, DateTime<Utc>)> = groups
            .iter()
            .map(|g| (g.order_id.as_str(), g.accepted_at()))
            .collect();
        keys.sort();
        let new_ids = queries::claim_order_keys(txn, platform_id, &keys).await?;
        let resent: Vec<&str> = keys
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !new_ids.contains(*id))
            .collect();
        let path = if resent.is_empty() { "new" } else { "resent" };
        metrics::counter!(INGEST_BATCHES, "path" => path).increment(1);
        let stored: HashMap<String, StoredOrder> = if resent.is_empty() {
            HashMap::new()
        } else {
            queries::stored_orders(txn, platform_id, &resent)
                .await?
                .into_iter()
                .map(|s| (s.order.order_id.clone(), s))
                .collect()
        };
        let plan = plan_batch(
            groups,
            &new_ids,
            &stored,
            self.settings.billable_rule,
            last_closed,
        )
        .map_err(|e| DbErr::Custom(format!("{platform_id}: {e}")))?;
        let known_days = self.write_plan(txn, platform_id, &plan, now).await?;
        outcomes.extend(plan.outcomes.into_iter().map(|(i, outcome)| {
            let outcome = match outcome {
                IngestOutcome::Accepted => Outcome::Accepted,
                IngestOutcome::Unchanged => Outcome::Unchanged,
                IngestOutcome::Updated => Outcome::Updated,
                IngestOutcome::Conflict(c) => Outcome::Rejected(vec![violation(c.field(), &c)]),
            };
            (i, outcome)
        }));
        Ok(Ingested {
            outcomes,
            known_days,
        })
    }

    /// Validates each report against the platform's scope and the worker's membership at its
    /// acceptance, and prices it at the rate then in force.
    async fn price(
        &self,
        txn: &DatabaseTransaction,
        platform_id: Uuid,
        parsed: &[(usize, OrderReport)],
        now: DateTime<Utc>,
    ) -> Result<(Vec<PricedReport>, Vec<(usize, Outcome)>), DbErr> {
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
        let mut priced = Vec::with_capacity(parsed.len());
        let mut rejected = Vec::new();
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
                    rejected.push((*i, Outcome::Rejected(faults)));
                    continue;
                }
            };
            match rates.rate_for(
                order.industry,
                platform_id,
                &order.province(),
                order.timeline.accepted_at,
            ) {
                Ok(row) => priced.push(PricedReport {
                    index: *i,
                    order,
                    fen_per_order: row.fen_per_order,
                }),
                Err(missing) => rejected.push((
                    *i,
                    Outcome::Rejected(vec![violation("accepted_at", missing)]),
                )),
            }
        }
        Ok((priced, rejected))
    }

    /// Writes a decided batch; returns the coverage days now known to be stored (to remember
    /// once the transaction commits).
    async fn write_plan(
        &self,
        txn: &DatabaseTransaction,
        platform_id: Uuid,
        plan: &BatchPlan,
        now: DateTime<Utc>,
    ) -> Result<Vec<CoverageDayKey>, DbErr> {
        queries::insert_orders(txn, &plan.inserts, now).await?;
        queries::update_orders(txn, &plan.updates, now).await?;
        queries::post_fees(txn, platform_id, &plan.fees, now).await?;
        let unknown = self.known_days.unknown(&plan.coverage);
        let started = queries::insert_coverage_days(txn, &unknown).await?;
        queries::add_to_daily_statement(txn, platform_id, &plan.days).await?;
        let events = unknown
            .iter()
            .filter(|c| started.contains(&c.key))
            .map(|c| {
                events::coverage_day_started(
                    &self.settings.topic,
                    &c.key,
                    &c.order_id,
                    c.accepted_at,
                )
            })
            .collect();
        gigshield_kit::outbox::enqueue_many(txn, events).await?;
        Ok(unknown.into_iter().map(|c| c.key.clone()).collect())
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
