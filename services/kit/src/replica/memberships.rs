//! The `replica_membership` replica: every membership enrollment published, current and past,
//! for the services that must know who was registered with which platform at an instant
//! (incident resolves the injured worker, claims checks the accident happened while registered).
//!
//! Columns: `worker_id` (key), `person_id`, `platform_id`, `external_worker_id`,
//! `registered_at`, `deregistered_at` (null while in force); indexed by person and by
//! (platform, external worker id). Incident created the table in its first migration; claims
//! and premium renamed their own `membership` tables to it ([`renamed_from_membership`]).

use chrono::{DateTime, Utc};
use gigshield_scheme::membership::Membership;
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement, Value};
use sea_orm_migration::prelude::*;
use uuid::Uuid;

use crate::consumer::HandlerError;
use crate::feed::enrollment::{EnrollmentChange, MembershipEnded, MembershipStarted};
use crate::migrations::execute_ddl;

/// Applies a membership change of `enrollment.events.v1`; false for any other change.
///
/// A deregistration of a membership the replica never heard of is refused as permanent: one
/// person's events share a partition, so its registration came first, and a missing one means
/// the topic lost it (retention) — guessing would be worse.
pub async fn apply(
    conn: &impl ConnectionTrait,
    change: &EnrollmentChange,
) -> Result<bool, HandlerError> {
    match change {
        EnrollmentChange::MembershipStarted(m) => apply_started(conn, m).await?,
        EnrollmentChange::MembershipEnded(m) => {
            if !apply_ended(conn, m).await? {
                return Err(HandlerError::Permanent(format!(
                    "deregistration of unknown membership {}",
                    m.worker_id
                )));
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Records a registration; a redelivered one changes nothing.
pub async fn apply_started(
    conn: &impl ConnectionTrait,
    m: &MembershipStarted,
) -> Result<(), DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO replica_membership (worker_id, person_id, platform_id, external_worker_id, \
         registered_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (worker_id) DO NOTHING",
        [
            m.worker_id.into(),
            m.person_id.into(),
            m.platform_id.into(),
            m.external_worker_id.clone().into(),
            m.registered_at.into(),
        ],
    );
    conn.execute_raw(stmt).await.map(|_| ())
}

/// Ends a membership; false when the replica does not know it.
pub async fn apply_ended(conn: &impl ConnectionTrait, m: &MembershipEnded) -> Result<bool, DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "UPDATE replica_membership SET deregistered_at = $2 WHERE worker_id = $1",
        [m.worker_id.into(), m.deregistered_at.into()],
    );
    Ok(conn.execute_raw(stmt).await?.rows_affected() == 1)
}

/// Every membership of the person, current and past, the earliest registration first.
pub async fn of_person(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
) -> Result<Vec<Membership>, DbErr> {
    select(conn, "person_id = $1", [person_id.into()]).await
}

/// Every membership, current and past, under the platform's own worker id.
pub async fn by_external(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    external_worker_id: &str,
) -> Result<Vec<Membership>, DbErr> {
    select(
        conn,
        "platform_id = $1 AND external_worker_id = $2",
        [platform_id.into(), external_worker_id.into()],
    )
    .await
}

async fn select<const N: usize>(
    conn: &impl ConnectionTrait,
    condition: &str,
    values: [Value; N],
) -> Result<Vec<Membership>, DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        format!(
            "SELECT worker_id, person_id, platform_id, external_worker_id, registered_at, \
             deregistered_at FROM replica_membership WHERE {condition} \
             ORDER BY registered_at, worker_id"
        ),
        values,
    );
    conn.query_all_raw(stmt)
        .await?
        .iter()
        .map(membership)
        .collect()
}

fn membership(row: &QueryResult) -> Result<Membership, DbErr> {
    Ok(Membership {
        worker_id: row.try_get("", "worker_id")?,
        person_id: row.try_get("", "person_id")?,
        platform_id: row.try_get("", "platform_id")?,
        external_worker_id: row.try_get("", "external_worker_id")?,
        registered_at: row.try_get::<DateTime<Utc>>("", "registered_at")?,
        deregistered_at: row.try_get::<Option<DateTime<Utc>>>("", "deregistered_at")?,
    })
}

/// A migration turning a service's own `membership` replica table into `replica_membership`,
/// with the indexes this module's lookups use. `old_indexes` are dropped first;
/// `add_external_id` adds `external_worker_id` where the old table lacked it (rows heard before
/// keep an empty one).
pub fn renamed_from_membership(
    name: &'static str,
    old_indexes: &'static [&'static str],
    add_external_id: bool,
) -> impl MigrationTrait {
    RenameMembership {
        name,
        old_indexes,
        add_external_id,
    }
}

struct RenameMembership {
    name: &'static str,
    old_indexes: &'static [&'static str],
    add_external_id: bool,
}

impl MigrationName for RenameMembership {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for RenameMembership {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut ddl: Vec<String> = self
            .old_indexes
            .iter()
            .map(|index| format!("DROP INDEX {index}"))
            .collect();
        ddl.push("ALTER TABLE membership RENAME TO replica_membership".into());
        if self.add_external_id {
            ddl.push(
                "ALTER TABLE replica_membership ADD COLUMN external_worker_id TEXT NOT NULL \
                 DEFAULT ''"
                    .into(),
            );
        }
        ddl.push("CREATE INDEX replica_membership_person ON replica_membership (person_id)".into());
        ddl.push(
            "CREATE INDEX replica_membership_external ON replica_membership \
             (platform_id, external_worker_id)"
                .into(),
        );
        let ddl: Vec<&str> = ddl.iter().map(String::as_str).collect();
        execute_ddl(manager, &ddl).await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The old index names and columns differ per service; restoring them is not worth a
        // second copy of each service's first migration.
        Err(DbErr::Migration(format!("{} cannot be undone", self.name)))
    }
}
