//! The sums behind regulators' statistics, one grouped query per source table: the database
//! adds up, the domain ([`crate::domain::statistics`]) joins the three and suppresses.

use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use uuid::Uuid;

use super::queries::statement;
use crate::domain::statistics::{CellKey, Row};

/// Which provinces: a `LIKE` pattern on the 6-digit province code (`%` for all).
pub struct Span<'a> {
    pub first_day: &'a str,
    pub last_day: &'a str,
    pub from_month: &'a str,
    pub through_month: &'a str,
    pub provinces: &'a str,
}

/// Every row the three sources give for `span`, at most `limit` per source.
pub async fn rows(
    conn: &impl ConnectionTrait,
    span: &Span<'_>,
    limit: u64,
) -> Result<Vec<Row>, DbErr> {
    let days = || {
        vec![
            span.first_day.into(),
            span.last_day.into(),
            span.provinces.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ]
    };
    // SUM of a BIGINT is NUMERIC in PostgreSQL: cast back so both backends answer i64.
    let orders = conn
        .query_all_raw(statement(
            conn,
            "SELECT substr(day, 1, 7) AS month, province, platform_id, \
             CAST(SUM(order_count) AS BIGINT) AS orders, \
             CAST(SUM(billable_count) AS BIGINT) AS billable, \
             CAST(SUM(amount_fen) AS BIGINT) AS fen \
             FROM daily_statement WHERE day >= $1 AND day <= $2 AND province LIKE $3 \
             GROUP BY substr(day, 1, 7), province, platform_id LIMIT $4",
            days(),
        ))
        .await?;
    let coverage = conn
        .query_all_raw(statement(
            conn,
            "SELECT substr(day, 1, 7) AS month, province, platform_id, \
             COUNT(*) AS days, COUNT(DISTINCT person_id) AS persons \
             FROM coverage_day WHERE day >= $1 AND day <= $2 AND province LIKE $3 \
             GROUP BY substr(day, 1, 7), province, platform_id LIMIT $4",
            days(),
        ))
        .await?;
    let declared = conn
        .query_all_raw(statement(
            conn,
            "SELECT month, province, platform_id, total_fen AS fen FROM declaration \
             WHERE month >= $1 AND month <= $2 AND province LIKE $3 LIMIT $4",
            vec![
                span.from_month.into(),
                span.through_month.into(),
                span.provinces.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        ))
        .await?;
    let mut out = Vec::with_capacity(orders.len() + coverage.len() + declared.len());
    for r in &orders {
        out.push(Row::Orders {
            key: key(r)?,
            orders: r.try_get("", "orders")?,
            billable: r.try_get("", "billable")?,
            fen: r.try_get("", "fen")?,
        });
    }
    for r in &coverage {
        out.push(Row::Coverage {
            key: key(r)?,
            days: r.try_get("", "days")?,
            persons: r.try_get("", "persons")?,
        });
    }
    for r in &declared {
        out.push(Row::Declared {
            key: key(r)?,
            fen: r.try_get("", "fen")?,
        });
    }
    Ok(out)
}

fn key(r: &QueryResult) -> Result<CellKey, DbErr> {
    Ok(CellKey {
        month: r.try_get("", "month")?,
        province: r.try_get("", "province")?,
        platform_id: r.try_get::<Uuid>("", "platform_id")?,
    })
}
