//! Repricing: the order groups a corrected rate touches, and their new fees.

use super::*;

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
