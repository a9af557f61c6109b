//! The double-entry ledger of fees, payments and tax collections.

use super::*;

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
