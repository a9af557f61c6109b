//! Hand-written SQL in tests that reads the same on PostgreSQL and SQLite, so a service's
//! integration suite can run on either backend.
//!
//! The differences the suites meet: a UUID is a `uuid` in PostgreSQL and a 16-byte blob in
//! SQLite (sqlx binds it so), and "this row as text" has no common spelling.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

/// A literal a UUID column compares equal to: `'…'` in PostgreSQL, `x'…'` in SQLite.
pub fn uuid(backend: DbBackend, id: impl std::fmt::Display) -> String {
    let id = Uuid::parse_str(&id.to_string()).expect("a UUID");
    match backend {
        DbBackend::Sqlite => format!("x'{}'", id.simple()),
        _ => format!("'{id}'"),
    }
}

/// An expression reading a UUID column as text [`Uuid::parse_str`] accepts.
pub fn uuid_text(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Sqlite => format!("lower(hex({column}))"),
        _ => format!("CAST({column} AS TEXT)"),
    }
}

/// The first column of the first row of `sql` as a number (a `COUNT(*)`, a sum).
pub async fn scalar(conn: &DatabaseConnection, sql: &str) -> i64 {
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_else(|| panic!("{sql}: no row"))
        .try_get_by_index::<i64>(0)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Fails when `needle` is stored in clear in any row of `tables`: in a text column, or as the
/// bytes of a binary one (checked through their hex form, as each backend renders it).
pub async fn assert_not_in_clear(conn: &DatabaseConnection, tables: &[&str], needle: &str) {
    let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
    for table in tables {
        for row in rows_as_text(conn, table).await {
            let row_lower = row.to_lowercase();
            assert!(
                !row.contains(needle) && !row_lower.contains(&hex),
                "{table} holds {needle:?} in clear"
            );
        }
    }
}

/// Every row of `table`, every column rendered as text (binary columns as hex).
pub async fn rows_as_text(conn: &DatabaseConnection, table: &str) -> Vec<String> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            let columns = sqlite_columns(conn, table).await;
            let rendered: Vec<String> = columns
                .iter()
                .map(|c| {
                    format!(
                        "CASE WHEN typeof({c}) = 'blob' THEN hex({c}) \
                         ELSE IFNULL(CAST({c} AS TEXT), '') END"
                    )
                })
                .collect();
            format!("SELECT {} AS r FROM {table}", rendered.join(" || '|' || "))
        }
        _ => format!("SELECT CAST(t AS TEXT) AS r FROM {table} t"),
    };
    conn.query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap_or_else(|e| panic!("rows of {table}: {e}"))
        .into_iter()
        .map(|row| row.try_get::<String>("", "r").expect("a text row"))
        .collect()
}

async fn sqlite_columns(conn: &DatabaseConnection, table: &str) -> Vec<String> {
    let sql = format!("SELECT name FROM pragma_table_info('{table}')");
    let rows = conn
        .query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .unwrap_or_else(|e| panic!("columns of {table}: {e}"));
    assert!(!rows.is_empty(), "no table {table}");
    rows.into_iter()
        .map(|row| row.try_get::<String>("", "name").expect("a column name"))
        .collect()
}

/// Polls `sql` (a count) until it reaches `n`; fails after a minute with the last value.
pub async fn wait_for_count(conn: &DatabaseConnection, sql: &str, n: i64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let got = scalar(conn, sql).await;
        if got >= n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{sql}: {got}, never {n}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
