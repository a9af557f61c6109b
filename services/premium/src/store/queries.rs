//! The queries premium runs; each takes the connection or transaction to run on. Ingest
//! writes are bulk statements (`gigshield_kit::bulk`): one per table and batch on PostgreSQL.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use gigshield_scheme::calendar::CalendarMonth;
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::{ProvinceCode, RegionCode};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, Statement, Value,
};
use uuid::Uuid;

use super::entities::{declaration, declaration_line, membership, payment, platform_scope, rate};
use crate::domain::billing::Charge;
use crate::domain::coverage::CoverageDayKey;
use crate::domain::declaration::{Declaration, DeclarationLine};
use crate::domain::ingest::{CoverageCandidate, DayDelta, FeeKey, StoredOrder};
use crate::domain::orders::{Order, OrderTimeline, PlatformScope};
use crate::domain::rates::{PricedGroup, RateKey, RateRow, RateTable};
use gigshield_kit::bulk::{BulkRows, Column, Kind, any_of, any_of_sql, column};

/// Rows per multi-row statement: 1000 × at most 15 columns stays under both limits.
const CHUNK_ROWS: usize = 1000;

/// Ledger accounts (double entry).
pub const PLATFORM_RECEIVABLE: &str = "platform_receivable";
pub const PREMIUM_INCOME: &str = "premium_income";
pub const TAX_COLLECTIONS: &str = "tax_collections";

/// Key of the PostgreSQL advisory lock between ingest (shared) and CloseMonth (exclusive): a
/// batch reads the last closed month and files its charges under it in one transaction, so
/// a month must not close in between (domain `declaration_month`).
const CLOSE_LOCK: i64 = 0x7072_656d_636c_6f73; // "premclos"

fn corrupt(what: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("stored data is not valid: {what}"))
}

pub(super) fn statement(conn: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(conn.get_database_backend(), sql, values)
}

fn industry(stored: &str) -> Result<Industry, DbErr> {
    Industry::parse_stored(stored).map_err(corrupt)
}

fn province(stored: &str) -> Result<ProvinceCode, DbErr> {
    ProvinceCode::parse(stored).map_err(corrupt)
}

fn month(stored: &str) -> Result<CalendarMonth, DbErr> {
    stored.parse::<CalendarMonth>().map_err(corrupt)
}

// ------------------------------------------------------------------------------- locks

pub async fn lock_for_ingest(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock_shared({CLOSE_LOCK})"
        ))
        .await?;
    }
    Ok(())
}

pub async fn lock_for_close(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CLOSE_LOCK})"))
            .await?;
    }
    Ok(())
}

pub async fn last_closed(conn: &impl ConnectionTrait) -> Result<Option<CalendarMonth>, DbErr> {
    let row = conn
        .query_one_raw(statement(
            conn,
            "SELECT MAX(month) AS m FROM month_close",
            vec![],
        ))
        .await?;
    match row {
        Some(row) => row
            .try_get::<Option<String>>("", "m")?
            .map(|m| month(&m))
            .transpose(),
        None => Ok(None),
    }
}

pub async fn insert_month_close(
    conn: &impl ConnectionTrait,
    closed: CalendarMonth,
    at: DateTime<Utc>,
    by: &str,
) -> Result<(), DbErr> {
    conn.execute_raw(statement(
        conn,
        "INSERT INTO month_close (month, closed_at, closed_by) VALUES ($1, $2, $3)",
        vec![closed.to_string().into(), at.into(), by.into()],
    ))
    .await?;
    Ok(())
}

// ------------------------------------------------------------------------------- rates

/// The stored identity of a rate line: `industry|platform or *|province or *`.
pub fn rate_key(key: &RateKey) -> String {
    format!(
        "{}|{}|{}",
        key.industry.as_str(),
        key.platform_id
            .map(|p| p.to_string())
            .unwrap_or_else(|| "*".into()),
        key.province
            .map(|p| p.region_code())
            .unwrap_or_else(|| "*".into()),
    )
}

pub fn rate_row(model: &rate::Model) -> Result<RateRow, DbErr> {
    Ok(RateRow {
        industry: industry(&model.industry)?,
        platform_id: model.platform_id,
        province: model.province.as_deref().map(province).transpose()?,
        effective_from: model.effective_from,
        fen_per_order: model.fen_per_order,
    })
}

pub async fn rate_table(conn: &impl ConnectionTrait) -> Result<RateTable, DbErr> {
    let rows = rate::Entity::find()
        .order_by_asc(rate::Column::Id)
        .all(conn)
        .await?;
    let rows = rows.iter().map(rate_row).collect::<Result<Vec<_>, _>>()?;
    RateTable::from_history(rows).map_err(corrupt)
}

pub async fn insert_rate(conn: &impl ConnectionTrait, row: rate::Model) -> Result<(), DbErr> {
    rate::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Rates after the cursor in id order; `visible_to` limits to the rows that can price that
/// platform's orders (national rows and its own).
pub async fn list_rates(
    conn: &impl ConnectionTrait,
    industry: Option<Industry>,
    visible_to: Option<Uuid>,
    province_like: Option<&str>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<rate::Model>, DbErr> {
    let mut query = rate::Entity::find()
        .order_by_asc(rate::Column::Id)
        .limit(limit);
    if let Some(industry) = industry {
        query = query.filter(rate::Column::Industry.eq(industry.as_str()));
    }
    if let Some(platform_id) = visible_to {
        query = query.filter(
            sea_orm::Condition::any()
                .add(rate::Column::PlatformId.is_null())
                .add(rate::Column::PlatformId.eq(platform_id)),
        );
    }
    // An area's rates and the general (province-less) ones.
    if let Some(pattern) = province_like {
        query = query.filter(
            sea_orm::Condition::any()
                .add(rate::Column::Province.is_null())
                .add(rate::Column::Province.like(pattern)),
        );
    }
    if let Some(after) = after {
        query = query.filter(rate::Column::Id.gt(after));
    }
    query.all(conn).await
}

// ----------------------------------------------------------------------------- replica

/// A platform's scope from `effective_from` until the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeAt {
    pub effective_from: DateTime<Utc>,
    pub scope: PlatformScope,
}

/// The scope in force at `at`: the latest that started at or before it.
pub fn scope_at(history: &[ScopeAt], at: DateTime<Utc>) -> Option<&PlatformScope> {
    history
        .iter()
        .filter(|s| s.effective_from <= at)
        .max_by_key(|s| s.effective_from)
        .map(|s| &s.scope)
}

fn scope_row(row: &platform_scope::Model) -> Result<ScopeAt, DbErr> {
    let industries = row
        .industries
        .split(',')
        .filter(|s| !s.is_empty())
        .map(industry)
        .collect::<Result<BTreeSet<_>, _>>()?;
    let provinces = row
        .provinces
        .split(',')
        .filter(|s| !s.is_empty())
        .map(province)
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(ScopeAt {
        effective_from: row.effective_from,
        scope: PlatformScope {
            platform_id: row.platform_id,
            industries,
            provinces,
        },
    })
}

/// Scope history per platform, oldest first; `only` narrows to one platform.
pub async fn scopes(
    conn: &impl ConnectionTrait,
    only: Option<Uuid>,
) -> Result<HashMap<Uuid, Vec<ScopeAt>>, DbErr> {
    let mut query =
        platform_scope::Entity::find().order_by_asc(platform_scope::Column::EffectiveFrom);
    if let Some(platform_id) = only {
        query = query.filter(platform_scope::Column::PlatformId.eq(platform_id));
    }
    let mut out: HashMap<Uuid, Vec<ScopeAt>> = HashMap::new();
    for row in query.all(conn).await? {
        out.entry(row.platform_id)
            .or_default()
            .push(scope_row(&row)?);
    }
    Ok(out)
}

pub async fn platform_known(conn: &impl ConnectionTrait, platform_id: Uuid) -> Result<bool, DbErr> {
    Ok(platform_scope::Entity::find()
        .filter(platform_scope::Column::PlatformId.eq(platform_id))
        .one(conn)
        .await?
        .is_some())
}

/// Records a scope; a repeated event for the same instant replaces it (events of a platform
/// arrive in order, so the later one is the newer truth).
pub async fn upsert_scope(
    conn: &impl ConnectionTrait,
    row: platform_scope::Model,
) -> Result<(), DbErr> {
    platform_scope::Entity::insert(row.into_active_model())
        .on_conflict(
            OnConflict::columns([
                platform_scope::Column::PlatformId,
                platform_scope::Column::EffectiveFrom,
            ])
            .update_columns([
                platform_scope::Column::Industries,
                platform_scope::Column::Provinces,
            ])
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Every membership (past ones too) of the platform under one of the external ids.
pub async fn memberships(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    external_ids: &[String],
) -> Result<Vec<membership::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in external_ids.chunks(CHUNK_ROWS * 10) {
        out.extend(
            membership::Entity::find()
                .filter(membership::Column::PlatformId.eq(platform_id))
                .filter(any_of(
                    conn.get_database_backend(),
                    "external_worker_id",
                    Kind::Text,
                    chunk.iter().map(|id| Value::from(id.clone())).collect(),
                ))
                .all(conn)
                .await?,
        );
    }
    Ok(out)
}

// ------------------------------------------------------------------------------ orders

const ORDER_SELECT: &str = "o.platform_id, o.order_id, o.person_id, o.external_worker_id, o.industry, o.region_code, \
     o.accepted_at, o.picked_up_at, o.completed_at, o.cancelled_at, o.fen_per_order, o.billed";

fn stored_order(row: &QueryResult) -> Result<StoredOrder, DbErr> {
    let region: String = row.try_get("", "region_code")?;
    Ok(StoredOrder {
        order: Order {
            platform_id: row.try_get("", "platform_id")?,
            person_id: row.try_get("", "person_id")?,
            order_id: row.try_get("", "order_id")?,
            external_worker_id: row.try_get("", "external_worker_id")?,
            industry: industry(&row.try_get::<String>("", "industry")?)?,
            region: RegionCode::parse(&region).map_err(corrupt)?,
            timeline: OrderTimeline {
                accepted_at: row.try_get("", "accepted_at")?,
                picked_up_at: row.try_get("", "picked_up_at")?,
                completed_at: row.try_get("", "completed_at")?,
                cancelled_at: row.try_get("", "cancelled_at")?,
            },
        },
        fen_per_order: row.try_get("", "fen_per_order")?,
        billed: row.try_get("", "billed")?,
    })
}

/// Claims (platform, order_id) for each order; returns the ids that were new. An id already
/// claimed — earlier, or by a concurrent batch that committed meanwhile — is not returned:
/// its stored order is the one to merge into.
pub async fn claim_order_keys(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    orders: &[(&str, DateTime<Utc>)],
) -> Result<HashSet<String>, DbErr> {
    const COLUMNS: &[Column] = &[
        column("platform_id", Kind::Uuid),
        column("order_id", Kind::Text),
        column("accepted_at", Kind::Time),
    ];
    let mut rows = BulkRows::new(conn.get_database_backend(), COLUMNS, orders.len());
    for (order_id, accepted_at) in orders {
        rows.push([
            platform_id.into(),
            (*order_id).into(),
            (*accepted_at).into(),
        ]);
    }
    let mut new = HashSet::with_capacity(orders.len());
    for stmt in rows.insert_into(
        "order_key",
        "ON CONFLICT (platform_id, order_id) DO NOTHING RETURNING order_id",
    ) {
        for row in conn.query_all_raw(stmt).await? {
            new.insert(row.try_get::<String>("", "order_id")?);
        }
    }
    Ok(new)
}

/// The stored orders among `order_ids` (through `order_key`, so PostgreSQL reads only the
/// partitions of their acceptance months).
pub async fn stored_orders(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    order_ids: &[&str],
) -> Result<Vec<StoredOrder>, DbErr> {
    let mut out = Vec::new();
    for chunk in order_ids.chunks(CHUNK_ROWS * 10) {
        let ids = chunk.iter().map(|id| Value::from(*id)).collect();
        let (is_one_of, ids) = any_of_sql(
            conn.get_database_backend(),
            "k.order_id",
            Kind::Text,
            ids,
            1,
        );
        let sql = format!(
            "SELECT {ORDER_SELECT} FROM order_key k JOIN orders o \
             ON o.platform_id = k.platform_id AND o.order_id = k.order_id AND o.accepted_at = k.accepted_at \
             WHERE k.platform_id = $1 AND {is_one_of}"
        );
        let mut values: Vec<Value> = vec![platform_id.into()];
        values.extend(ids);
        for row in conn.query_all_raw(statement(conn, &sql, values)).await? {
            out.push(stored_order(&row)?);
        }
    }
    Ok(out)
}

pub async fn order(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    order_id: &str,
) -> Result<Option<StoredOrder>, DbErr> {
    Ok(stored_orders(conn, platform_id, &[order_id]).await?.pop())
}

const ORDER_COLUMNS: &[Column] = &[
    column("platform_id", Kind::Uuid),
    column("order_id", Kind::Text),
    column("person_id", Kind::Uuid),
    column("external_worker_id", Kind::Text),
    column("industry", Kind::Text),
    column("region_code", Kind::Text),
    column("province", Kind::Text),
    column("accepted_at", Kind::Time),
    column("picked_up_at", Kind::OptionalTime),
    column("completed_at", Kind::OptionalTime),
    column("cancelled_at", Kind::OptionalTime),
    column("fen_per_order", Kind::BigInt),
    column("billed", Kind::Bool),
    column("reported_at", Kind::Time),
    column("updated_at", Kind::Time),
];

fn order_rows(backend: DbBackend, rows: &[StoredOrder], now: DateTime<Utc>) -> BulkRows {
    let mut bulk = BulkRows::new(backend, ORDER_COLUMNS, rows.len());
    for row in rows {
        let o = &row.order;
        bulk.push([
            o.platform_id.into(),
            o.order_id.as_str().into(),
            o.person_id.into(),
            o.external_worker_id.as_str().into(),
            o.industry.as_str().into(),
            o.region.as_str().into(),
            o.province().region_code().into(),
            o.timeline.accepted_at.into(),
            o.timeline.picked_up_at.into(),
            o.timeline.completed_at.into(),
            o.timeline.cancelled_at.into(),
            row.fen_per_order.into(),
            row.billed.into(),
            now.into(),
            now.into(),
        ]);
    }
    bulk
}

/// Inserts orders whose keys this transaction claimed: no conflict is possible, so no
/// conflict clause (PostgreSQL's speculative-insert path costs most of an order's time).
pub async fn insert_orders(
    conn: &impl ConnectionTrait,
    rows: &[StoredOrder],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let bulk = order_rows(conn.get_database_backend(), rows, now);
    for stmt in bulk.insert_into("orders", "") {
        conn.execute_raw(stmt).await?;
    }
    Ok(())
}

/// Writes the new status times of stored orders (the same primary key).
pub async fn update_orders(
    conn: &impl ConnectionTrait,
    rows: &[StoredOrder],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let bulk = order_rows(conn.get_database_backend(), rows, now);
    for stmt in bulk.insert_into(
        "orders",
        "ON CONFLICT (platform_id, order_id, accepted_at) DO UPDATE SET \
         picked_up_at = excluded.picked_up_at, completed_at = excluded.completed_at, \
         cancelled_at = excluded.cancelled_at, billed = excluded.billed, updated_at = excluded.updated_at",
    ) {
        conn.execute_raw(stmt).await?;
    }
    Ok(())
}

/// Orders of a person accepted in `[from, to]`, oldest first.
pub async fn orders_of_person(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<StoredOrder>, DbErr> {
    let sql = format!(
        "SELECT {ORDER_SELECT} FROM orders o WHERE o.person_id = $1 AND o.accepted_at >= $2 AND o.accepted_at <= $3 \
         ORDER BY o.accepted_at, o.platform_id, o.order_id"
    );
    conn.query_all_raw(statement(
        conn,
        &sql,
        vec![person_id.into(), from.into(), to.into()],
    ))
    .await?
    .iter()
    .map(stored_order)
    .collect()
}

// ---------------------------------------------------------------------------- coverage

/// Inserts the days not yet stored; returns the keys that were new (they start coverage).
pub async fn insert_coverage_days(
    conn: &impl ConnectionTrait,
    days: &[&CoverageCandidate],
) -> Result<HashSet<CoverageDayKey>, DbErr> {
    const COLUMNS: &[Column] = &[
        column("person_id", Kind::Uuid),
        column("platform_id", Kind::Uuid),
        column("province", Kind::Text),
        column("day", Kind::Text),
        column("order_id", Kind::Text),
        column("accepted_at", Kind::Time),
    ];
    let mut rows = BulkRows::new(conn.get_database_backend(), COLUMNS, days.len());
    for day in days {
        rows.push([
            day.key.person_id.into(),
            day.key.platform_id.into(),
            day.key.province.region_code().into(),
            day.key.date.to_string().into(),
            day.order_id.as_str().into(),
            day.accepted_at.into(),
        ]);
    }
    let mut new = HashSet::new();
    for stmt in rows.insert_into(
        "coverage_day",
        "ON CONFLICT (person_id, platform_id, province, day) DO NOTHING \
         RETURNING person_id, platform_id, province, day",
    ) {
        for row in conn.query_all_raw(stmt).await? {
            let day: String = row.try_get("", "day")?;
            new.insert(CoverageDayKey {
                person_id: row.try_get("", "person_id")?,
                platform_id: row.try_get("", "platform_id")?,
                province: province(&row.try_get::<String>("", "province")?)?,
                date: day.parse::<NaiveDate>().map_err(corrupt)?,
            });
        }
    }
    Ok(new)
}

/// One stored coverage day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoveredDay {
    pub day: String,
    pub platform_id: Uuid,
    pub province: String,
    pub accepted_at: DateTime<Utc>,
}

/// The person's coverage days from `first` through `last` (YYYY-MM-DD), by day.
pub async fn coverage_days_of(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
    first: &str,
    last: &str,
) -> Result<Vec<CoveredDay>, DbErr> {
    let rows = conn
        .query_all_raw(statement(
            conn,
            "SELECT day, platform_id, province, accepted_at FROM coverage_day \
             WHERE person_id = $1 AND day >= $2 AND day <= $3 \
             ORDER BY day, platform_id, province",
            vec![person_id.into(), first.into(), last.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CoveredDay {
                day: r.try_get("", "day")?,
                platform_id: r.try_get("", "platform_id")?,
                province: r.try_get("", "province")?,
                accepted_at: r.try_get("", "accepted_at")?,
            })
        })
        .collect()
}

pub async fn coverage_day_count(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
) -> Result<i64, DbErr> {
    let row = conn
        .query_one_raw(statement(
            conn,
            "SELECT COUNT(*) AS n FROM coverage_day WHERE platform_id = $1",
            vec![platform_id.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

// --------------------------------------------------------------------------- statement

pub async fn add_to_daily_statement(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    deltas: &[((ProvinceCode, NaiveDate), DayDelta)],
) -> Result<(), DbErr> {
    const COLUMNS: &[Column] = &[
        column("platform_id", Kind::Uuid),
        column("province", Kind::Text),
        column("day", Kind::Text),
        column("order_count", Kind::BigInt),
        column("billable_count", Kind::BigInt),
        column("amount_fen", Kind::BigInt),
    ];
    let mut rows = BulkRows::new(conn.get_database_backend(), COLUMNS, deltas.len());
    for ((province, day), delta) in deltas {
        rows.push([
            platform_id.into(),
            province.region_code().into(),
            day.to_string().into(),
            delta.orders.into(),
            delta.billable.into(),
            delta.amount_fen.into(),
        ]);
    }
    for stmt in rows.insert_into(
        "daily_statement",
        "ON CONFLICT (platform_id, day, province) DO UPDATE SET \
         order_count = daily_statement.order_count + excluded.order_count, \
         billable_count = daily_statement.billable_count + excluded.billable_count, \
         amount_fen = daily_statement.amount_fen + excluded.amount_fen",
    ) {
        conn.execute_raw(stmt).await?;
    }
    Ok(())
}

/// (day, orders, billable, amount) per day of the month, summed over provinces.
pub async fn month_statement(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    of: CalendarMonth,
) -> Result<Vec<(String, DayDelta)>, DbErr> {
    let rows = conn
        .query_all_raw(statement(
            conn,
            "SELECT day, CAST(SUM(order_count) AS BIGINT) AS orders, CAST(SUM(billable_count) AS BIGINT) AS billable, \
             CAST(SUM(amount_fen) AS BIGINT) AS amount FROM daily_statement \
             WHERE platform_id = $1 AND day >= $2 AND day <= $3 GROUP BY day ORDER BY day",
            vec![
                platform_id.into(),
                of.first_day().to_string().into(),
                of.last_day().to_string().into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "day")?,
                DayDelta {
                    orders: r.try_get("", "orders")?,
                    billable: r.try_get("", "billable")?,
                    amount_fen: r.try_get("", "amount")?,
                },
            ))
        })
        .collect()
}

// ------------------------------------------------------------------------------ ledger

/// Posts each non-zero net change as one double-entry row: a charge debits the platform's
/// receivable and credits premium income; a net reversal does the opposite.
pub async fn post_fees(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    fees: &[(FeeKey, i64)],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    const COLUMNS: &[Column] = &[
        column("platform_id", Kind::Uuid),
        column("debit_account", Kind::Text),
        column("credit_account", Kind::Text),
        column("amount_fen", Kind::BigInt),
        column("province", Kind::Text),
        column("order_month", Kind::Text),
        column("declaration_month", Kind::Text),
        column("industry", Kind::Text),
        column("fen_per_order", Kind::BigInt),
        column("order_count", Kind::BigInt),
        column("posted_at", Kind::Time),
    ];
    let mut rows = BulkRows::new(conn.get_database_backend(), COLUMNS, fees.len());
    for (key, count) in fees.iter().filter(|(_, count)| *count != 0) {
        let (debit, credit) = if *count > 0 {
            (PLATFORM_RECEIVABLE, PREMIUM_INCOME)
        } else {
            (PREMIUM_INCOME, PLATFORM_RECEIVABLE)
        };
        rows.push([
            platform_id.into(),
            debit.into(),
            credit.into(),
            (count.abs() * key.fen_per_order).into(),
            key.province.region_code().into(),
            key.order_month.to_string().into(),
            key.declaration_month.to_string().into(),
            key.industry.as_str().into(),
            key.fen_per_order.into(),
            count.abs().into(),
            now.into(),
        ]);
    }
    for stmt in rows.insert_into("ledger_entry", "") {
        conn.execute_raw(stmt).await?;
    }
    Ok(())
}

pub async fn post_payment(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    amount_fen: i64,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    conn.execute_raw(statement(
        conn,
        "INSERT INTO ledger_entry (platform_id, debit_account, credit_account, amount_fen, order_count, reference, posted_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6)",
        vec![
            platform_id.into(),
            TAX_COLLECTIONS.into(),
            PLATFORM_RECEIVABLE.into(),
            amount_fen.into(),
            reference.into(),
            now.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Every fee charge filed under `filed_under`, netted per declaration line.
pub async fn charges_filed_under(
    conn: &impl ConnectionTrait,
    filed_under: CalendarMonth,
) -> Result<Vec<Charge>, DbErr> {
    let rows = conn
        .query_all_raw(statement(
            conn,
            "SELECT platform_id, province, order_month, industry, fen_per_order, \
             CAST(SUM(CASE WHEN debit_account = $1 THEN order_count ELSE -order_count END) AS BIGINT) AS net \
             FROM ledger_entry WHERE declaration_month = $2 \
             GROUP BY platform_id, province, order_month, industry, fen_per_order",
            vec![PLATFORM_RECEIVABLE.into(), filed_under.to_string().into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Charge {
                platform_id: r.try_get("", "platform_id")?,
                province: province(&r.try_get::<String>("", "province")?)?,
                order_month: month(&r.try_get::<String>("", "order_month")?)?,
                industry: industry(&r.try_get::<String>("", "industry")?)?,
                fen_per_order: r.try_get("", "fen_per_order")?,
                order_count: r.try_get("", "net")?,
            })
        })
        .collect()
}

// ------------------------------------------------------------------------ declarations

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeclaration {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub province: ProvinceCode,
    pub month: CalendarMonth,
    pub total_fen: i64,
    pub issued_at: DateTime<Utc>,
    pub due_date: NaiveDate,
    pub lines: Vec<DeclarationLine>,
}

pub async fn insert_declarations(
    conn: &impl ConnectionTrait,
    issued: &[(Uuid, Declaration, DateTime<Utc>, NaiveDate)],
) -> Result<(), DbErr> {
    if issued.is_empty() {
        return Ok(());
    }
    let rows = issued.iter().map(|(id, d, at, due)| {
        declaration::Model {
            id: *id,
            platform_id: d.key.platform_id,
            province: d.key.province.region_code(),
            month: d.key.month.to_string(),
            total_fen: d.total_fen,
            issued_at: *at,
            due_date: due.to_string(),
        }
        .into_active_model()
    });
    let rows: Vec<_> = rows.collect();
    for chunk in rows.chunks(CHUNK_ROWS) {
        declaration::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    let lines: Vec<_> = issued
        .iter()
        .flat_map(|(id, d, _, _)| {
            d.lines.iter().enumerate().map(move |(i, l)| {
                declaration_line::Model {
                    declaration_id: *id,
                    line_no: i32::try_from(i).unwrap_or(i32::MAX),
                    adjusts_month: l.adjusts_month.map(|m| m.to_string()),
                    industry: l.industry.as_str().to_string(),
                    fen_per_order: l.fen_per_order,
                    order_count: l.order_count,
                    amount_fen: l.amount_fen,
                }
                .into_active_model()
            })
        })
        .collect();
    for chunk in lines.chunks(CHUNK_ROWS) {
        declaration_line::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Which declarations to load.
#[derive(Debug, Clone, Default)]
pub struct DeclarationFilter {
    pub platform_ids: Vec<Uuid>,
    pub month: Option<CalendarMonth>,
    pub after: Option<Uuid>,
    pub limit: Option<u64>,
}

/// Declarations in id (issue) order, with their lines.
pub async fn declarations(
    conn: &impl ConnectionTrait,
    filter: &DeclarationFilter,
) -> Result<Vec<StoredDeclaration>, DbErr> {
    let mut query = declaration::Entity::find()
        .filter(declaration::Column::PlatformId.is_in(filter.platform_ids.iter().copied()))
        .order_by_asc(declaration::Column::Id);
    if let Some(m) = filter.month {
        query = query.filter(declaration::Column::Month.eq(m.to_string()));
    }
    if let Some(after) = filter.after {
        query = query.filter(declaration::Column::Id.gt(after));
    }
    if let Some(limit) = filter.limit {
        query = query.limit(limit);
    }
    let rows = query.all(conn).await?;
    let ids: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
    let mut lines: HashMap<Uuid, Vec<declaration_line::Model>> = HashMap::new();
    for chunk in ids.chunks(CHUNK_ROWS) {
        for line in declaration_line::Entity::find()
            .filter(declaration_line::Column::DeclarationId.is_in(chunk.iter().copied()))
            .order_by_asc(declaration_line::Column::LineNo)
            .all(conn)
            .await?
        {
            lines.entry(line.declaration_id).or_default().push(line);
        }
    }
    rows.into_iter()
        .map(|d| {
            let own = lines.remove(&d.id).unwrap_or_default();
            Ok(StoredDeclaration {
                id: d.id,
                platform_id: d.platform_id,
                province: province(&d.province)?,
                month: month(&d.month)?,
                total_fen: d.total_fen,
                issued_at: d.issued_at,
                due_date: d.due_date.parse().map_err(corrupt)?,
                lines: own
                    .iter()
                    .map(|l| {
                        Ok(DeclarationLine {
                            adjusts_month: l.adjusts_month.as_deref().map(month).transpose()?,
                            industry: industry(&l.industry)?,
                            fen_per_order: l.fen_per_order,
                            order_count: l.order_count,
                            amount_fen: l.amount_fen,
                        })
                    })
                    .collect::<Result<_, DbErr>>()?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------- payments

/// False when a payment with the reference already exists.
pub async fn insert_payment(
    conn: &impl ConnectionTrait,
    row: payment::Model,
) -> Result<bool, DbErr> {
    let result = gigshield_kit::db::insert_unless_exists(
        conn,
        row.into_active_model(),
        [payment::Column::PlatformId, payment::Column::Reference],
    )
    .await?;
    Ok(result)
}

pub async fn payment(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    reference: &str,
) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find_by_id((platform_id, reference.to_string()))
        .one(conn)
        .await
}

pub async fn payments(
    conn: &impl ConnectionTrait,
    platform_ids: &[Uuid],
) -> Result<Vec<payment::Model>, DbErr> {
    payment::Entity::find()
        .filter(payment::Column::PlatformId.is_in(platform_ids.iter().copied()))
        .order_by_asc(payment::Column::ReceivedAt)
        .all(conn)
        .await
}

// --- repricing ----------------------------------------------------------------------------------

/// Which stored orders a backdated rate may reprice: its industry, its platform and province
/// when it names them, accepted in `[start, end)` (`end` `None`: no end).
#[derive(Debug, Clone)]
pub struct RepriceScope {
    pub industry: Industry,
    pub platform_id: Option<Uuid>,
    pub province: Option<ProvinceCode>,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

impl RepriceScope {
    /// The WHERE clause from `$first` on, with its values.
    fn filter(&self, first: usize) -> (String, Vec<Value>) {
        let mut sql = format!("industry = ${first} AND accepted_at >= ${}", first + 1);
        let mut values: Vec<Value> = vec![self.industry.as_str().into(), self.start.into()];
        if let Some(end) = self.end {
            values.push(end.into());
            sql.push_str(&format!(" AND accepted_at < ${}", first + values.len() - 1));
        }
        if let Some(platform_id) = self.platform_id {
            values.push(platform_id.into());
            sql.push_str(&format!(" AND platform_id = ${}", first + values.len() - 1));
        }
        if let Some(province) = self.province {
            values.push(province.region_code().into());
            sql.push_str(&format!(" AND province = ${}", first + values.len() - 1));
        }
        (sql, values)
    }
}

/// Stored orders of the scope counted by platform, province, Shanghai day and stored rate.
pub async fn priced_groups(
    conn: &impl ConnectionTrait,
    scope: &RepriceScope,
) -> Result<Vec<PricedGroup>, DbErr> {
    // Asia/Shanghai has kept UTC+8 since 1991, the offset the whole system uses.
    let day = match conn.get_database_backend() {
        DbBackend::Postgres => {
            "to_char((accepted_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD')"
        }
        _ => "strftime('%Y-%m-%d', accepted_at, '+8 hours')",
    };
    let (filter, values) = scope.filter(1);
    let sql = format!(
        "SELECT platform_id, province, fen_per_order, {day} AS day, COUNT(*) AS orders, \
         SUM(CASE WHEN billed THEN 1 ELSE 0 END) AS billable \
         FROM orders WHERE {filter} GROUP BY platform_id, province, fen_per_order, {day}"
    );
    conn.query_all_raw(statement(conn, &sql, values))
        .await?
        .iter()
        .map(|row| {
            let province: String = row.try_get("", "province")?;
            let day: String = row.try_get("", "day")?;
            Ok(PricedGroup {
                platform_id: row.try_get("", "platform_id")?,
                province: ProvinceCode::parse(&province)
                    .map_err(|e| DbErr::Custom(format!("stored province: {e}")))?,
                day: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                    .map_err(|e| DbErr::Custom(format!("order day {day:?}: {e}")))?,
                segment_start: scope.start,
                fen_per_order: row.try_get("", "fen_per_order")?,
                orders: row.try_get("", "orders")?,
                billable: row.try_get::<Option<i64>>("", "billable")?.unwrap_or(0),
            })
        })
        .collect()
}

/// Sets the stored rate of the scope's orders of one platform and province charged at `old`.
pub async fn reprice_orders(
    conn: &impl ConnectionTrait,
    scope: &RepriceScope,
    old: i64,
    new: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let (filter, mut values) = scope.filter(4);
    let sql = format!(
        "UPDATE orders SET fen_per_order = $1, updated_at = $2 WHERE fen_per_order = $3 AND {filter}"
    );
    let mut all: Vec<Value> = vec![new.into(), now.into(), old.into()];
    all.append(&mut values);
    Ok(conn
        .execute_raw(statement(conn, &sql, all))
        .await?
        .rows_affected())
}
