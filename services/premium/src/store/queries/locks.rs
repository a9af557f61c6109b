//! The advisory locks between ingest and closing a month, and the months closed.

use super::*;

pub async fn lock_for_ingest(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock_shared({CLOSE_LOCK})"
        ))
        .await?;
    }
    Ok(())
}

pub async fn lock_for_close(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CLOSE_LOCK})"))
            .await?;
    }
    Ok(())
}

pub async fn last_closed(conn: &impl ConnectionTrait) -> Result<Option<CalendarMonth>, DbErr> {
    let row = conn
        .query_one_raw(statement(
            conn,
            "SELECT MAX(month) AS m FROM month_close",
            vec![],
        ))
        .await?;
    match row {
        Some(row) => row
            .try_get::<Option<String>>("", "m")?
            .map(|m| month(&m))
            .transpose(),
        None => Ok(None),
    }
}

pub async fn insert_month_close(
    conn: &impl ConnectionTrait,
    closed: CalendarMonth,
    at: DateTime<Utc>,
    by: &str,
) -> Result<(), DbErr> {
    conn.execute_raw(statement(
        conn,
        "INSERT INTO month_close (month, closed_at, closed_by) VALUES ($1, $2, $3)",
        vec![closed.to_string().into(), at.into(), by.into()],
    ))
    .await?;
    Ok(())
}
