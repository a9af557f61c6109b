//! The `delegation` replica: a close relative (the delegate) may act for a person (the
//! grantor) between `valid_from` and the earlier of `valid_until` and `revoked_at`.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Statement};
use sea_orm_migration::prelude::*;
use uuid::Uuid;

use crate::feed::enrollment::{DelegationGranted, DelegationRevoked, EnrollmentChange};
use crate::migrations::execute_ddl;

/// A delegation in force: the grantor and how the delegate stands to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveDelegation {
    pub grantor_person_id: Uuid,
    /// `gigshield.common.v1.Relationship` as its number.
    pub relationship: i32,
}

/// Applies a delegation change of `enrollment.events.v1`; false for any other change.
pub async fn apply(conn: &impl ConnectionTrait, change: &EnrollmentChange) -> Result<bool, DbErr> {
    match change {
        EnrollmentChange::DelegationGranted(g) => apply_granted(conn, g).await.map(|()| true),
        EnrollmentChange::DelegationRevoked(r) => apply_revoked(conn, r).await.map(|()| true),
        _ => Ok(false),
    }
}

pub async fn apply_granted(
    conn: &impl ConnectionTrait,
    g: &DelegationGranted,
) -> Result<(), DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO delegation (delegation_id, grantor_person_id, delegate_person_id, \
         relationship, valid_from, valid_until) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (delegation_id) DO NOTHING",
        [
            g.delegation_id.into(),
            g.grantor_person_id.into(),
            g.delegate_person_id.into(),
            g.relationship.into(),
            g.valid_from.into(),
            g.valid_until.into(),
        ],
    );
    conn.execute_raw(stmt).await.map(|_| ())
}

pub async fn apply_revoked(
    conn: &impl ConnectionTrait,
    r: &DelegationRevoked,
) -> Result<(), DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "UPDATE delegation SET revoked_at = $2 WHERE delegation_id = $1 AND revoked_at IS NULL",
        [r.delegation_id.into(), r.revoked_at.into()],
    );
    conn.execute_raw(stmt).await.map(|_| ())
}

/// The persons `delegate` may act for at `at`.
pub async fn active_for(
    conn: &impl ConnectionTrait,
    delegate: Uuid,
    at: DateTime<Utc>,
) -> Result<Vec<ActiveDelegation>, DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT grantor_person_id, relationship FROM delegation \
         WHERE delegate_person_id = $1 AND valid_from <= $2 \
         AND (valid_until IS NULL OR valid_until > $2) AND (revoked_at IS NULL OR revoked_at > $2) \
         ORDER BY valid_from",
        [delegate.into(), at.into()],
    );
    conn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| {
            Ok(ActiveDelegation {
                grantor_person_id: row.try_get("", "grantor_person_id")?,
                relationship: row.try_get("", "relationship")?,
            })
        })
        .collect()
}

/// Admits `principal` to `rpc` and, for a worker, reads who delegated to them from this
/// replica (delegations in force at `now`).
pub async fn caller(
    table: &crate::access::AccessTable,
    rpc: &str,
    principal: crate::auth::Principal,
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<crate::access::Caller, crate::ApiError> {
    table
        .caller_with(rpc, principal, |person| delegators(conn, person, now))
        .await
}

/// The grantors of [`active_for`], for [`crate::access::Caller`].
pub async fn delegators(
    conn: &impl ConnectionTrait,
    delegate: Uuid,
    at: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbErr> {
    Ok(active_for(conn, delegate, at)
        .await?
        .into_iter()
        .map(|d| d.grantor_person_id)
        .collect())
}

/// The table's migration, for services that keep this replica.
pub fn migration() -> impl MigrationTrait {
    CreateDelegation
}

struct CreateDelegation;

impl MigrationName for CreateDelegation {
    fn name(&self) -> &str {
        "kit_replica_0001_delegation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateDelegation {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "CREATE TABLE delegation (
                    delegation_id {uuid} PRIMARY KEY,
                    grantor_person_id {uuid} NOT NULL,
                    delegate_person_id {uuid} NOT NULL,
                    relationship INTEGER NOT NULL,
                    valid_from {timestamp} NOT NULL,
                    valid_until {timestamp},
                    revoked_at {timestamp})",
                "CREATE INDEX delegation_delegate ON delegation (delegate_person_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(manager, &["DROP TABLE delegation"]).await
    }
}
