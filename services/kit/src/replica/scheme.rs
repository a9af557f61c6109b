//! The `scheme_rule` table: the operator entries of the scheme calendar
//! ([`gigshield_scheme::rules`]). Enrollment writes it when an operator adds a rule (and
//! publishes `SchemeRuleAdded`); premium, incident and claims fill theirs from that event. All
//! of them read the calendar as the shipped rules with these entries over them, through a
//! [`SchemeCalendar`] that re-reads the table only when it has grown.

use std::sync::Arc;

use gigshield_scheme::rules::{Entry, SchemeRules, entry_from_proto, entry_to_proto};
use prost::Message;
use sea_orm::{ConnectionTrait, DbErr, Statement};
use sea_orm_migration::prelude::*;

use crate::cache::{CountedCache, row_count};
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
