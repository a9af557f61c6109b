//! Orders: claiming their keys, storing and updating them in bulk, reading them back.

use super::*;

pub(super) const ORDER_SELECT: &str = "o.platform_id, o.order_id, o.person_id, o.external_worker_id, o.industry, o.region_code, \
     o.accepted_at, o.picked_up_at, o.completed_at, o.cancelled_at, o.fen_per_order, o.billed";

pub(super) fn stored_order(row: &QueryResult) -> Result<StoredOrder, DbErr> {
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

pub(super) const ORDER_COLUMNS: &[Column] = &[
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

pub(super) fn order_rows(backend: DbBackend, rows: &[StoredOrder], now: DateTime<Utc>) -> BulkRows {
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
