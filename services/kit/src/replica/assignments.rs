//! The `case_assignment` replica: the insurer that handles each claim now (a claim routed
//! again moves to its new insurer; the old one loses sight of it).

use sea_orm::{ConnectionTrait, DbErr, Statement};
use sea_orm_migration::prelude::*;
use uuid::Uuid;

use crate::consumer::{EventHandler, HandlerError};
use crate::envelope::Envelope;
use crate::feed::claims::{CaseAssignment, ClaimsChange};
use crate::migrations::execute_ddl;

/// The consumer of `claims.events.v1` that keeps this replica.
pub struct Assignments;

impl EventHandler for Assignments {
    async fn handle(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        if let ClaimsChange::Assigned(assignment) = ClaimsChange::decode(event)? {
            apply(txn, &assignment).await?;
        }
        Ok(())
    }
}

pub async fn apply(conn: &impl ConnectionTrait, a: &CaseAssignment) -> Result<(), DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO case_assignment (claim_id, incident_id, person_id, insurer_id, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (claim_id) DO UPDATE SET \
         insurer_id = excluded.insurer_id, updated_at = excluded.updated_at, \
         incident_id = COALESCE(case_assignment.incident_id, excluded.incident_id)",
        [
            a.claim_id.into(),
            a.incident_id.into(),
            a.person_id.into(),
            a.insurer_id.into(),
            a.at.into(),
        ],
    );
    conn.execute_raw(stmt).await.map(|_| ())
}

async fn insurers_where(
    conn: &impl ConnectionTrait,
    column: &str,
    id: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        format!(
            "SELECT DISTINCT insurer_id FROM case_assignment \
             WHERE {column} = $1 AND insurer_id IS NOT NULL"
        ),
        [id.into()],
    );
    conn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| row.try_get("", "insurer_id"))
        .collect()
}

/// The insurers handling some case of `person_id`.
pub async fn insurers_of_person(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    insurers_where(conn, "person_id", person_id).await
}

/// The insurers handling a claim of `incident_id`.
pub async fn insurers_of_incident(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    insurers_where(conn, "incident_id", incident_id).await
}

/// The incidents whose claims `insurer_id` handles, after `after` (keyset), at most `limit`.
pub async fn incidents_of_insurer(
    conn: &impl ConnectionTrait,
    insurer_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Uuid>, DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT DISTINCT incident_id FROM case_assignment \
         WHERE insurer_id = $1 AND incident_id IS NOT NULL AND incident_id > $2 \
         ORDER BY incident_id LIMIT $3",
        [
            insurer_id.into(),
            after.unwrap_or(Uuid::nil()).into(),
            (limit as i64).into(),
        ],
    );
    conn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| row.try_get("", "incident_id"))
        .collect()
}

/// The table's migration, for services that keep this replica.
pub fn migration() -> impl MigrationTrait {
    CreateCaseAssignment
}

struct CreateCaseAssignment;

impl MigrationName for CreateCaseAssignment {
    fn name(&self) -> &str {
        "kit_replica_0002_case_assignment"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCaseAssignment {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "CREATE TABLE case_assignment (
                    claim_id {uuid} PRIMARY KEY,
                    incident_id {uuid},
                    person_id {uuid} NOT NULL,
                    insurer_id {uuid},
                    updated_at {timestamp} NOT NULL)",
                "CREATE INDEX case_assignment_person ON case_assignment (person_id)",
                "CREATE INDEX case_assignment_incident ON case_assignment (incident_id)",
                "CREATE INDEX case_assignment_insurer ON case_assignment (insurer_id, incident_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(manager, &["DROP TABLE case_assignment"]).await
    }
}
