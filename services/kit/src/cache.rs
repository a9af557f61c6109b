//! A value derived from an append-only table (operator entries, figures), cached until the
//! table grows: one `COUNT(*)` per read instead of re-reading and re-deriving the rows.

use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DbErr, Statement};

/// A value derived from an append-only table, re-derived only when the table's row count
/// changed: rows are only ever added, so the count tells whether the value is current.
pub struct CountedCache<T> {
    cached: Arc<Mutex<Option<Counted<T>>>>,
}

/// A derived value and the row count it was derived from.
struct Counted<T> {
    rows: i64,
    value: Arc<T>,
}

impl<T> Clone for CountedCache<T> {
    fn clone(&self) -> Self {
        Self {
            cached: self.cached.clone(),
        }
    }
}

impl<T> Default for CountedCache<T> {
    fn default() -> Self {
        Self {
            cached: Arc::new(Mutex::new(None)),
        }
    }
}

impl<T> CountedCache<T> {
    /// The cached value if it was derived from `count` rows.
    pub fn get(&self, count: i64) -> Option<Arc<T>> {
        match self.cached.lock().expect("not poisoned").as_ref() {
            Some(counted) if counted.rows == count => Some(counted.value.clone()),
            _ => None,
        }
    }

    /// Caches `value`, derived from `count` rows.
    pub fn put(&self, count: i64, value: T) -> Arc<T> {
        let value = Arc::new(value);
        *self.cached.lock().expect("not poisoned") = Some(Counted {
            rows: count,
            value: value.clone(),
        });
        value
    }
}

/// The row count of an append-only table (`table` is a name from the code, never input).
pub async fn row_count(conn: &impl ConnectionTrait, table: &str) -> Result<i64, DbErr> {
    let stmt = Statement::from_string(
        conn.get_database_backend(),
        format!("SELECT COUNT(*) AS n FROM {table}"),
    );
    conn.query_one_raw(stmt)
        .await?
        .map_or(Ok(0), |row| row.try_get("", "n"))
}
