//! Growing the stored orders to the size a latency run asks for.

use super::*;

/// A month partition of `orders` the grown history fills.
pub(super) struct HistoryMonth {
    pub(super) table: String,
    pub(super) starts_at: DateTime<Utc>,
    pub(super) ends_at: DateTime<Utc>,
    /// `FOR VALUES FROM (…) TO (…)`, as the catalog has it.
    pub(super) bound: String,
}

/// The `months` whole Shanghai months before the one `first_order_day` falls in.
pub(super) fn history_months(
    first_order_day: DateTime<Utc>,
    months: u64,
) -> Vec<(String, DateTime<Utc>, DateTime<Utc>)> {
    let local = first_order_day.with_timezone(&shanghai()).date_naive();
    let month_start = |year: i32, month: u32| {
        let day = chrono::NaiveDate::from_ymd_opt(year, month, 1).expect("valid month");
        shanghai()
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("UTC+8 has no gaps")
            .with_timezone(&Utc)
    };
    let index = local.year() * 12 + local.month0() as i32;
    (1..=months as i32)
        .rev()
        .map(|back| {
            let i = index - back;
            let (year, month) = (i.div_euclid(12), i.rem_euclid(12) as u32 + 1);
            let (next_year, next_month) =
                ((i + 1).div_euclid(12), (i + 1).rem_euclid(12) as u32 + 1);
            (
                format!("orders_{year:04}_{month:02}"),
                month_start(year, month),
                month_start(next_year, next_month),
            )
        })
        .collect()
}

/// Adds orders server-side until `orders` holds `--stored` rows, spread evenly over the
/// `--history-months` whole months before the reported ones: `--history-persons` persons on
/// four platforms, the same shape and mix of statuses, order ids growing with time.
///
/// Inserting tens of millions of rows one index entry at a time takes far too long on a
/// small machine, so each month's (empty) partition is detached, filled as a plain table
/// with `INSERT … SELECT generate_series`, given premium's two indexes by `CREATE INDEX`
/// (sorted bulk builds), and attached again: the same schema, with freshly packed indexes.
/// Two connections fill months in parallel; `ANALYZE` at the end.
#[expect(
    clippy::too_many_lines,
    reason = "detach, fill month by month on two connections, attach, analyse; to split by step"
)]
pub(super) async fn grow_orders(
    args: &PremiumLoad,
    db: &DatabaseConnection,
    first_order_day: DateTime<Utc>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let extra = args.stored.saturating_sub(args.orders);
    let months_wanted = args.history_months.max(1);
    if extra > 0 {
        let mut months = Vec::new();
        for (table, starts_at, ends_at) in history_months(first_order_day, months_wanted) {
            let row = db
                .query_one_raw(Statement::from_sql_and_values(
                    db.get_database_backend(),
                    "SELECT pg_get_expr(c.relpartbound, c.oid) AS bound,                      (SELECT COUNT(*) FROM (SELECT 1 FROM orders WHERE accepted_at >= $2 AND accepted_at < $3 LIMIT 1) x) AS used                      FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid                      WHERE c.relname = $1 AND i.inhparent = 'orders'::regclass",
                    vec![table.clone().into(), starts_at.into(), ends_at.into()],
                ))
                .await?
                .with_context(|| format!("partition {table} of orders"))?;
            if row.try_get::<i64>("", "used")? != 0 {
                bail!("{table} already holds orders; the history goes into empty months only");
            }
            months.push(HistoryMonth {
                table,
                starts_at,
                ends_at,
                bound: row.try_get("", "bound")?,
            });
        }
        eprintln!(
            "growing orders by {extra} rows over {} ({} … {})",
            months.len(),
            months[0].table,
            months[months.len() - 1].table
        );
        for m in &months {
            db.execute_unprepared(&format!(
                "ALTER TABLE orders DETACH PARTITION {t}; DROP TABLE {t}; \
                 CREATE TABLE {t} (LIKE orders INCLUDING DEFAULTS)",
                t = m.table
            ))
            .await?;
        }
        let months = Arc::new(months);
        let next = Arc::new(AtomicI64::new(0));
        let persons = args.history_persons.max(1);
        const LANES: usize = 2;
        let tasks: Vec<_> = (0..LANES)
            .map(|_| {
                let db = db.clone();
                let next = next.clone();
                let months = months.clone();
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                        let Some(m) = months.get(i) else {
                            return Ok::<_, anyhow::Error>(());
                        };
                        let n = months.len() as u64;
                        let lo = extra * i as u64 / n;
                        let hi = extra * (i as u64 + 1) / n;
                        let span = (m.ends_at - m.starts_at).num_seconds() as f64;
                        let step = span / (hi - lo) as f64;
                        let t = Instant::now();
                        let sql = format!(
                            "INSERT INTO {table} ({ORDER_COLUMNS}) \
                             SELECT md5('bench-platform-' || (g % 4))::uuid, 'H' || lpad(g::text, 10, '0'), \
                                    md5('bench-person-' || x.p)::uuid, 'h-' || x.p, 'instant_delivery', x.region, \
                                    substr(x.region, 1, 2) || '0000', x.acc, \
                                    CASE WHEN x.c >= 3 THEN x.acc + interval '6 minutes' END, \
                                    CASE WHEN x.c >= 5 THEN x.acc + (8 + g % 40) * interval '1 minute' END, \
                                    CASE WHEN x.c < 3 THEN x.acc + interval '3 minutes' \
                                         WHEN x.c < 5 THEN x.acc + interval '12 minutes' END, \
                                    {fen}, x.c >= 3, x.acc + interval '1 hour', x.acc + interval '1 hour' \
                             FROM generate_series({lo}::bigint, {last}::bigint) AS g \
                             CROSS JOIN LATERAL (SELECT to_timestamp({start}::float8 + (g - {lo}) * {step}::float8) AS acc, \
                                    (g * 7919) % {persons} AS p, \
                                    (ARRAY['110105','310104','440305','440106','330106','510107'])[1 + ((g * 7919) % {persons}) % 6] AS region, \
                                    (g * 31) % 100 AS c) AS x",
                            table = m.table,
                            fen = INSTANT_DELIVERY_FEN,
                            last = hi - 1,
                            start = m.starts_at.timestamp(),
                        );
                        let txn = db.begin().await?;
                        txn.execute_unprepared("SET LOCAL maintenance_work_mem = '512MB'")
                            .await?;
                        txn.execute_unprepared(&sql).await?;
                        let filled = t.elapsed();
                        txn.execute_unprepared(&format!(
                            "ALTER TABLE {t} ADD PRIMARY KEY (platform_id, order_id, accepted_at); \
                             CREATE INDEX {t}_person_id_accepted_at_idx ON {t} (person_id, accepted_at)",
                            t = m.table
                        ))
                        .await?;
                        txn.commit().await?;
                        eprintln!(
                            "  {}: {} rows in {filled:.1?}, indexes in {:.1?}",
                            m.table,
                            hi - lo,
                            t.elapsed() - filled
                        );
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        for m in months.iter() {
            let t = Instant::now();
            db.execute_unprepared(&format!(
                "ALTER TABLE orders ATTACH PARTITION {} {}",
                m.table, m.bound
            ))
            .await?;
            eprintln!("  {} attached in {:.1?}", m.table, t.elapsed());
        }
    }
    eprintln!("ANALYZE orders");
    db.execute_unprepared("ANALYZE orders").await?;
    let elapsed = started.elapsed();
    eprintln!("grown and analysed in {elapsed:.1?}");
    Ok(elapsed)
}

pub(super) async fn size_of_orders(db: &DatabaseConnection) -> anyhow::Result<i64> {
    count(
        db,
        "SELECT CAST(SUM(pg_total_relation_size(inhrelid)) AS BIGINT) AS n FROM pg_inherits \
         WHERE inhparent = 'orders'::regclass",
    )
    .await
}

pub(super) fn gib(bytes: i64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}
