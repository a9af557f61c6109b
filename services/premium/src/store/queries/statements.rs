//! Daily statements: the fees of each platform, province, industry and day.

use super::*;

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
