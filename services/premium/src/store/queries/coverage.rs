//! Coverage days: one per person, platform and Shanghai date with an order.

use super::*;

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
