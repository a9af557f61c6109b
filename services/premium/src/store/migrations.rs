//! Premium's schema, after the kit's tables.
//!
//! `orders` is the one table that grows without bound (hundreds of millions of rows). On
//! PostgreSQL it is partitioned by RANGE on `accepted_at`, one partition per Asia/Shanghai
//! month, so `VerifyWorkActivity` (person, a few hours around an instant) reads one or two
//! partitions' `(person_id, accepted_at)` index, and old months can be detached and archived
//! whole. A partitioned table can only enforce uniqueness on keys that include the partition
//! key, so the per-platform uniqueness of `order_id` lives in the small, unpartitioned
//! `order_key` table, which ingest inserts into first (`ON CONFLICT DO NOTHING RETURNING`
//! tells new orders from resent ones in the same statement). SQLite gets the same tables
//! without partitioning.

use chrono::{DateTime, Utc};
use gigshield_kit::migrations::execute_ddl;
use gigshield_scheme::calendar::CalendarMonth;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;
use uuid::Uuid;

use crate::domain::rates::seed_rows_2025;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = gigshield_kit::migrations();
        all.push(Box::new(gigshield_kit::replica::assignments::migration()));
        all.push(Box::new(CreatePremium));
        all.push(Box::new(SeedRates2025));
        all.push(Box::new(gigshield_kit::replica::scheme::migration()));
        // The membership replica takes the name and shape incident's and claims' have.
        all.push(Box::new(
            gigshield_kit::replica::memberships::renamed_from_membership(
                "premium_0003_replica_membership",
                &["membership_external"],
                false,
            ),
        ));
        all
    }
}

/// Monthly partitions created up front: from the 2025 scheme start to the end of 2028. Orders
/// outside land in `orders_default`; before that window is reached an operator adds the next
/// months (`CREATE TABLE orders_YYYY_MM PARTITION OF orders FOR VALUES FROM … TO …`).
pub const FIRST_PARTITION: (i32, u32) = (2025, 7);
pub const LAST_PARTITION: (i32, u32) = (2028, 12);

fn partition_ddl() -> Vec<String> {
    let mut out = vec!["CREATE TABLE orders_default PARTITION OF orders DEFAULT".to_string()];
    let mut month = CalendarMonth::new(FIRST_PARTITION.0, FIRST_PARTITION.1).expect("valid");
    let last = CalendarMonth::new(LAST_PARTITION.0, LAST_PARTITION.1).expect("valid");
    loop {
        let bound = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        out.push(format!(
            "CREATE TABLE orders_{:04}_{:02} PARTITION OF orders FOR VALUES FROM ('{}') TO ('{}')",
            month.year(),
            month.month(),
            bound(month.starts_at()),
            bound(month.ends_at()),
        ));
        if month == last {
            break;
        }
        month = month.next().expect("before 9999");
    }
    out
}

struct CreatePremium;

impl MigrationName for CreatePremium {
    fn name(&self) -> &str {
        "premium_0001_rates_orders_ledger_declarations"
    }
}

const ORDERS_COLUMNS: &str = "
    platform_id {uuid} NOT NULL,
    order_id TEXT NOT NULL,
    person_id {uuid} NOT NULL,
    external_worker_id TEXT NOT NULL,
    industry TEXT NOT NULL,
    region_code TEXT NOT NULL,
    province TEXT NOT NULL,
    accepted_at {timestamp} NOT NULL,
    picked_up_at {timestamp},
    completed_at {timestamp},
    cancelled_at {timestamp},
    fen_per_order BIGINT NOT NULL,
    billed BOOLEAN NOT NULL,
    reported_at {timestamp} NOT NULL,
    updated_at {timestamp} NOT NULL,
    PRIMARY KEY (platform_id, order_id, accepted_at))";

#[async_trait::async_trait]
impl MigrationTrait for CreatePremium {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        let orders = if postgres {
            format!("CREATE TABLE orders ({ORDERS_COLUMNS} PARTITION BY RANGE (accepted_at)")
        } else {
            format!("CREATE TABLE orders ({ORDERS_COLUMNS}")
        };
        let mut statements = tables_before_orders();
        statements.push(orders);
        statements.extend(tables_after_orders());
        if postgres {
            statements.extend(partition_ddl());
        }
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        execute_ddl(manager, &refs).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "DROP TABLE payment",
                "DROP TABLE declaration_line",
                "DROP TABLE declaration",
                "DROP TABLE month_close",
                "DROP TABLE ledger_entry",
                "DROP TABLE daily_statement",
                "DROP TABLE coverage_day",
                "DROP TABLE orders",
                "DROP TABLE order_key",
                "DROP TABLE membership",
                "DROP TABLE platform_scope",
                "DROP TABLE rate",
            ],
        )
        .await
    }
}

struct SeedRates2025;

impl MigrationName for SeedRates2025 {
    fn name(&self) -> &str {
        "premium_0002_seed_rates_2025_07_01"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SeedRates2025 {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        let backend = manager.get_database_backend();
        for row in seed_rows_2025() {
            conn.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO rate (id, industry, platform_id, province, rate_key, effective_from, fen_per_order, added_by, added_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                [
                    Uuid::now_v7().into(),
                    row.industry.as_str().into(),
                    row.platform_id.into(),
                    row.province.map(|p| p.region_code()).into(),
                    super::queries::rate_key(&row.key()).into(),
                    row.effective_from.into(),
                    row.fen_per_order.into(),
                    "migration".into(),
                    row.effective_from.into(),
                ],
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(manager, &["DELETE FROM rate WHERE added_by = 'migration'"]).await
    }
}

/// The rate table and the replica of enrollment, created before `orders`.
fn tables_before_orders() -> Vec<String> {
    vec![
        // Rate rows are only ever added; rate_key makes "same key, same instant" unique
        // without relying on how each database treats NULLs in unique indexes.
        "CREATE TABLE rate (
        id {uuid} PRIMARY KEY,
        industry TEXT NOT NULL,
        platform_id {uuid},
        province TEXT,
        rate_key TEXT NOT NULL,
        effective_from {timestamp} NOT NULL,
        fen_per_order BIGINT NOT NULL,
        added_by TEXT NOT NULL,
        added_at {timestamp} NOT NULL,
        UNIQUE (rate_key, effective_from))"
            .into(),
        // Replica of enrollment: what each platform does where, from effective_from on.
        "CREATE TABLE platform_scope (
        platform_id {uuid} NOT NULL,
        effective_from {timestamp} NOT NULL,
        industries TEXT NOT NULL,
        provinces TEXT NOT NULL,
        PRIMARY KEY (platform_id, effective_from))"
            .into(),
        // Replica of enrollment: who may report orders for which platform, and when.
        "CREATE TABLE membership (
        worker_id {uuid} PRIMARY KEY,
        platform_id {uuid} NOT NULL,
        external_worker_id TEXT NOT NULL,
        person_id {uuid} NOT NULL,
        registered_at {timestamp} NOT NULL,
        deregistered_at {timestamp})"
            .into(),
        "CREATE INDEX membership_external ON membership (platform_id, external_worker_id)".into(),
        "CREATE TABLE order_key (
        platform_id {uuid} NOT NULL,
        order_id TEXT NOT NULL,
        accepted_at {timestamp} NOT NULL,
        PRIMARY KEY (platform_id, order_id))"
            .into(),
    ]
}

/// Order keys, coverage, statements, the ledger, declarations and payments, created after
/// `orders`.
fn tables_after_orders() -> Vec<String> {
    vec![
    "CREATE INDEX orders_person_accepted ON orders (person_id, accepted_at)".into(),
    "CREATE TABLE coverage_day (
        person_id {uuid} NOT NULL,
        platform_id {uuid} NOT NULL,
        province TEXT NOT NULL,
        day TEXT NOT NULL,
        order_id TEXT NOT NULL,
        accepted_at {timestamp} NOT NULL,
        PRIMARY KEY (person_id, platform_id, province, day))"
        .into(),
    "CREATE INDEX coverage_day_platform ON coverage_day (platform_id, day)".into(),
    // Per platform × province × Shanghai day of acceptance: what the month statement
    // shows, kept by increments so reading a month never scans its orders.
    "CREATE TABLE daily_statement (
        platform_id {uuid} NOT NULL,
        province TEXT NOT NULL,
        day TEXT NOT NULL,
        order_count BIGINT NOT NULL,
        billable_count BIGINT NOT NULL,
        amount_fen BIGINT NOT NULL,
        PRIMARY KEY (platform_id, day, province))"
        .into(),
    // Double-entry postings in fen. Fees: debit platform_receivable, credit
    // premium_income (a reversal swaps them); payments: debit tax_collections, credit
    // platform_receivable. Fee postings carry what a declaration line needs and the
    // month they are filed under (their own month, or the next open one when late).
    "CREATE TABLE ledger_entry (
        id {serial_pk},
        platform_id {uuid} NOT NULL,
        debit_account TEXT NOT NULL,
        credit_account TEXT NOT NULL,
        amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
        province TEXT,
        order_month TEXT,
        declaration_month TEXT,
        industry TEXT,
        fen_per_order BIGINT,
        order_count BIGINT NOT NULL,
        reference TEXT,
        posted_at {timestamp} NOT NULL)"
        .into(),
    "CREATE INDEX ledger_declaration ON ledger_entry (declaration_month, platform_id, province)"
        .into(),
    "CREATE INDEX ledger_platform ON ledger_entry (platform_id, id)".into(),
    "CREATE TABLE month_close (
        month TEXT PRIMARY KEY,
        closed_at {timestamp} NOT NULL,
        closed_by TEXT NOT NULL)"
        .into(),
    "CREATE TABLE declaration (
        id {uuid} PRIMARY KEY,
        platform_id {uuid} NOT NULL,
        province TEXT NOT NULL,
        month TEXT NOT NULL,
        total_fen BIGINT NOT NULL,
        issued_at {timestamp} NOT NULL,
        due_date TEXT NOT NULL,
        UNIQUE (platform_id, province, month))"
        .into(),
    "CREATE INDEX declaration_platform ON declaration (platform_id, id)".into(),
    "CREATE TABLE declaration_line (
        declaration_id {uuid} NOT NULL REFERENCES declaration (id),
        line_no INTEGER NOT NULL,
        adjusts_month TEXT,
        industry TEXT NOT NULL,
        fen_per_order BIGINT NOT NULL,
        order_count BIGINT NOT NULL,
        amount_fen BIGINT NOT NULL,
        PRIMARY KEY (declaration_id, line_no))"
        .into(),
    "CREATE TABLE payment (
        platform_id {uuid} NOT NULL,
        reference TEXT NOT NULL,
        amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
        received_at {timestamp} NOT NULL,
        recorded_at {timestamp} NOT NULL,
        recorded_by TEXT NOT NULL,
        PRIMARY KEY (platform_id, reference))"
        .into(),
    ]
}
