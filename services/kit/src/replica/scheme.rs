//! The `scheme_rule` table: the operator entries of the scheme calendar
//! ([`gigshield_scheme::rules`]). Enrollment writes it when an operator adds a rule (and
//! publishes `SchemeRuleAdded`); premium, incident and claims fill theirs from that event. All
//! of them read the calendar as the shipped rules with these entries over them, through a
//! [`SchemeCalendar`] that re-reads the table only when it has grown.

use std::sync::{Arc, Mutex};

use gigshield_scheme::rules::{Entry, SchemeRules, entry_from_proto, entry_to_proto};
use prost::Message;
use sea_orm::{ConnectionTrait, DbErr, Statement};
use sea_orm_migration::prelude::*;

use crate::feed::enrollment::EnrollmentChange;
use crate::migrations::execute_ddl;

/// Applies a `SchemeRuleAdded` of `enrollment.events.v1`; false for any other change.
pub async fn apply(conn: &impl ConnectionTrait, change: &EnrollmentChange) -> Result<bool, DbErr> {
    match change {
        EnrollmentChange::SchemeRule(entry) => insert(conn, entry).await.map(|()| true),
        _ => Ok(false),
    }
}

/// Records an entry once (a replayed event changes nothing).
pub async fn insert(conn: &impl ConnectionTrait, entry: &Entry) -> Result<(), DbErr> {
    let rule_id = entry
        .rule_id
        .clone()
        .ok_or_else(|| DbErr::Custom("a shipped rule is not stored".into()))?;
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO scheme_rule (rule_id, entry, recorded_at) VALUES ($1, $2, $3) \
         ON CONFLICT (rule_id) DO NOTHING",
        [
            rule_id.into(),
            entry_to_proto(entry).encode_to_vec().into(),
            entry.recorded_at.into(),
        ],
    );
    conn.execute_raw(stmt).await.map(|_| ())
}

/// Every stored entry, oldest recorded first.
pub async fn entries(conn: &impl ConnectionTrait) -> Result<Vec<Entry>, DbErr> {
    let stmt = Statement::from_string(
        conn.get_database_backend(),
        "SELECT entry FROM scheme_rule ORDER BY recorded_at, rule_id",
    );
    conn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| {
            let bytes: Vec<u8> = row.try_get("", "entry")?;
            let proto = gigshield_proto::common::SchemeRuleEntry::decode(bytes.as_slice())
                .map_err(|e| DbErr::Custom(format!("stored scheme rule: {e}")))?;
            entry_from_proto(&proto).map_err(|e| DbErr::Custom(format!("stored scheme rule: {e}")))
        })
        .collect()
}

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

/// The calendar as this service's table holds it, cached ([`CountedCache`]): one `COUNT(*)`
/// of a table of a few dozen rows per read; a re-read only after an operator added a rule.
#[derive(Clone, Default)]
pub struct SchemeCalendar {
    cached: CountedCache<SchemeRules>,
}

impl std::fmt::Debug for SchemeCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SchemeCalendar")
    }
}

impl SchemeCalendar {
    pub fn new() -> Self {
        Self::default()
    }

    /// The rules in force now, read through `conn` (a transaction sees its own entries).
    pub async fn current(&self, conn: &impl ConnectionTrait) -> Result<Arc<SchemeRules>, DbErr> {
        let n = row_count(conn, "scheme_rule").await?;
        if let Some(rules) = self.cached.get(n) {
            return Ok(rules);
        }
        let rules = SchemeRules::with_entries(entries(conn).await?);
        Ok(self.cached.put(n, rules))
    }
}

/// The table's migration, for every service that reads the calendar.
pub fn migration() -> impl MigrationTrait {
    CreateSchemeRule
}

struct CreateSchemeRule;

impl MigrationName for CreateSchemeRule {
    fn name(&self) -> &str {
        "kit_replica_0003_scheme_rule"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateSchemeRule {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &["CREATE TABLE scheme_rule (
                rule_id TEXT PRIMARY KEY,
                entry {bytes} NOT NULL,
                recorded_at {timestamp} NOT NULL)"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(manager, &["DROP TABLE scheme_rule"]).await
    }
}
