//! The sums behind the regulators' figures: the database groups, the domain
//! ([`crate::domain::statistics`]) carries arrears and withholds small cells.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement};
use uuid::Uuid;

use crate::domain::ledger::{Account, NATIONAL};
use crate::domain::statistics::{CellKey, Sum};

fn key(r: &QueryResult) -> Result<CellKey, DbErr> {
    Ok(CellKey {
        month: r.try_get("", "month")?,
        province: r.try_get("", "province")?,
        platform_id: r.try_get::<Option<Uuid>>("", "platform_id")?,
    })
}

fn account(r: &QueryResult, column: &str) -> Result<Account, DbErr> {
    let name: String = r.try_get("", column)?;
    Account::parse(&name).ok_or_else(|| DbErr::Custom(format!("fund_entry: bad {column} {name}")))
}

/// The entries of every month through `through` in provinces matching `provinces` (a `LIKE`
/// pattern), summed per key, account pair and benefit type; at most `limit` rows.
pub async fn sums(
    conn: &impl ConnectionTrait,
    through: &str,
    provinces: &str,
    limit: u64,
) -> Result<Vec<Sum>, DbErr> {
    // SUM of a BIGINT is NUMERIC in PostgreSQL: cast back so both backends answer i64.
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT month, province, platform_id, debit, credit, benefit_type, \
             CAST(SUM(amount_fen) AS BIGINT) AS fen FROM fund_entry \
             WHERE month <= $1 AND province LIKE $2 AND province <> $3 \
             GROUP BY month, province, platform_id, debit, credit, benefit_type LIMIT $4",
            [
                through.into(),
                provinces.into(),
                NATIONAL.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Sum {
                key: key(r)?,
                debit: account(r, "debit")?,
                credit: account(r, "credit")?,
                benefit_type: r.try_get("", "benefit_type")?,
                amount_fen: r.try_get("", "fen")?,
            })
        })
        .collect()
}

/// Distinct claims with a payout booked in each key's month from `from` through `through`, in
/// all (`None`) and per benefit type (`Some(type)`).
pub async fn claims_paid(
    conn: &impl ConnectionTrait,
    from: &str,
    through: &str,
    provinces: &str,
) -> Result<BTreeMap<(CellKey, Option<String>), i64>, DbErr> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT p.month AS month, p.province AS province, c.platform_id AS platform_id, \
             p.kind AS kind, p.claim_id AS claim_id \
             FROM payout p LEFT JOIN claim_ref c ON c.claim_id = p.claim_id \
             WHERE p.month >= $1 AND p.month <= $2 AND p.province LIKE $3 \
             GROUP BY p.month, p.province, c.platform_id, p.kind, p.claim_id",
            [from.into(), through.into(), provinces.into()],
        ))
        .await?;
    let mut claims: BTreeMap<(CellKey, Option<String>), std::collections::BTreeSet<Uuid>> =
        BTreeMap::new();
    for r in &rows {
        let key = key(r)?;
        let kind: String = r.try_get("", "kind")?;
        let claim: Uuid = r.try_get("", "claim_id")?;
        let benefit = gigshield_scheme::benefit_types::of_kind(&kind).to_string();
        claims.entry((key.clone(), None)).or_default().insert(claim);
        claims
            .entry((key, Some(benefit)))
            .or_default()
            .insert(claim);
    }
    Ok(claims
        .into_iter()
        .map(|(k, set)| (k, i64::try_from(set.len()).unwrap_or(i64::MAX)))
        .collect())
}
