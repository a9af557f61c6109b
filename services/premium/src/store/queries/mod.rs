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

mod coverage;
mod declarations;
mod ledger;
mod locks;
mod orders;
mod payments;
mod rates;
mod replica;
mod repricing;
mod statements;

pub use coverage::*;
pub use declarations::*;
pub use ledger::*;
pub use locks::*;
pub use orders::*;
pub use payments::*;
pub use rates::*;
pub use replica::*;
pub use repricing::*;
pub use statements::*;
