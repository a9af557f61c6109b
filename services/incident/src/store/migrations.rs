//! Incident's schema, after the kit's tables.

use gigshield_kit::migrations::execute_ddl;
use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = gigshield_kit::migrations();
        all.push(Box::new(gigshield_kit::replica::delegations::migration()));
        all.push(Box::new(gigshield_kit::replica::assignments::migration()));
        all.push(Box::new(CreateIncident));
        all.push(Box::new(SealTextAddStatements));
        all.push(Box::new(gigshield_kit::replica::scheme::migration()));
        all
    }
}

struct CreateIncident;

impl MigrationName for CreateIncident {
    fn name(&self) -> &str {
        "incident_0001_incidents_evidence_applications_replica"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateIncident {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "CREATE TABLE incident (
                    id {uuid} PRIMARY KEY,
                    person_id {uuid} NOT NULL,
                    platform_id {uuid},
                    external_worker_id TEXT,
                    reported_by TEXT NOT NULL,
                    reporter_kind TEXT NOT NULL,
                    reporter_person_id {uuid},
                    channel TEXT NOT NULL,
                    status TEXT NOT NULL,
                    reported_at {timestamp} NOT NULL,
                    revision INTEGER NOT NULL,
                    occurred_at {timestamp} NOT NULL,
                    region_code TEXT NOT NULL,
                    category TEXT NOT NULL,
                    worker_fault_share TEXT,
                    severity TEXT NOT NULL,
                    evidence_count INTEGER NOT NULL,
                    outside_platform_provinces BOOLEAN NOT NULL,
                    updated_at {timestamp} NOT NULL,
                    withdrawn_at {timestamp},
                    withdrawn_by TEXT,
                    withdrawal_reason TEXT)",
                // Lists page by id within each tenant; operators filter by place and time.
                "CREATE INDEX incident_platform ON incident (platform_id, id)",
                "CREATE INDEX incident_person ON incident (person_id, id)",
                "CREATE INDEX incident_reporter_person ON incident (reporter_person_id, id) WHERE reporter_person_id IS NOT NULL",
                "CREATE INDEX incident_region_time ON incident (region_code, occurred_at)",
                "CREATE TABLE incident_revision (
                    incident_id {uuid} NOT NULL REFERENCES incident (id),
                    revision INTEGER NOT NULL,
                    occurred_at {timestamp} NOT NULL,
                    latitude DOUBLE PRECISION NOT NULL,
                    longitude DOUBLE PRECISION NOT NULL,
                    region_code TEXT NOT NULL,
                    order_id TEXT,
                    category TEXT NOT NULL,
                    worker_fault_share TEXT,
                    severity TEXT NOT NULL,
                    description TEXT NOT NULL,
                    died_at {timestamp},
                    intentional_crime BOOLEAN NOT NULL,
                    intoxication_or_drugs BOOLEAN NOT NULL,
                    self_harm BOOLEAN NOT NULL,
                    changed_fields TEXT NOT NULL,
                    reason TEXT,
                    author TEXT NOT NULL,
                    recorded_at {timestamp} NOT NULL,
                    PRIMARY KEY (incident_id, revision))",
                "CREATE TABLE evidence (
                    id {uuid} PRIMARY KEY,
                    incident_id {uuid} NOT NULL REFERENCES incident (id),
                    uri TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    media_type TEXT NOT NULL,
                    size_bytes BIGINT NOT NULL,
                    added_by TEXT NOT NULL,
                    added_at {timestamp} NOT NULL)",
                // The same file once per incident.
                "CREATE UNIQUE INDEX evidence_incident_sha256 ON evidence (incident_id, sha256)",
                // The primary key makes a second application impossible even under a race.
                "CREATE TABLE application (
                    incident_id {uuid} PRIMARY KEY REFERENCES incident (id),
                    filed_by TEXT NOT NULL,
                    filed_at {timestamp} NOT NULL,
                    deadline_days INTEGER NOT NULL,
                    days_after_accident INTEGER NOT NULL,
                    late BOOLEAN NOT NULL,
                    late_explanation TEXT)",
                "CREATE TABLE replica_membership (
                    worker_id {uuid} PRIMARY KEY,
                    person_id {uuid} NOT NULL,
                    platform_id {uuid} NOT NULL,
                    external_worker_id TEXT NOT NULL,
                    registered_at {timestamp} NOT NULL,
                    deregistered_at {timestamp})",
                "CREATE INDEX replica_membership_external ON replica_membership (platform_id, external_worker_id)",
                "CREATE INDEX replica_membership_person ON replica_membership (person_id)",
                "CREATE TABLE replica_platform_scope (
                    platform_id {uuid} NOT NULL,
                    effective_from {timestamp} NOT NULL,
                    provinces TEXT NOT NULL,
                    PRIMARY KEY (platform_id, effective_from))",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "DROP TABLE replica_platform_scope",
                "DROP TABLE replica_membership",
                "DROP TABLE application",
                "DROP TABLE evidence",
                "DROP TABLE incident_revision",
                "DROP TABLE incident",
            ],
        )
        .await
    }
}

/// Free text that can hold health facts is stored sealed (descriptions, amendment reasons,
/// late-filing explanations, withdrawal reasons), and platforms' statements get their table.
/// Clear text of earlier rows cannot be sealed here (a migration has no key) and is dropped.
struct SealTextAddStatements;

impl MigrationName for SealTextAddStatements {
    fn name(&self) -> &str {
        "incident_0002_sealed_text_statements"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SealTextAddStatements {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "ALTER TABLE incident_revision ADD COLUMN description_sealed {bytes}",
                "ALTER TABLE incident_revision ADD COLUMN reason_sealed {bytes}",
                "ALTER TABLE incident_revision DROP COLUMN description",
                "ALTER TABLE incident_revision DROP COLUMN reason",
                "ALTER TABLE application ADD COLUMN late_explanation_sealed {bytes}",
                "ALTER TABLE application DROP COLUMN late_explanation",
                "ALTER TABLE incident ADD COLUMN withdrawal_reason_sealed {bytes}",
                "ALTER TABLE incident DROP COLUMN withdrawal_reason",
                "CREATE TABLE statement (
                    id {uuid} PRIMARY KEY,
                    incident_id {uuid} NOT NULL REFERENCES incident (id),
                    text_sealed {bytes} NOT NULL,
                    disputes TEXT NOT NULL,
                    disputed_fault_share TEXT,
                    added_by TEXT NOT NULL,
                    added_at {timestamp} NOT NULL)",
                "CREATE INDEX statement_incident ON statement (incident_id, id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(manager, &["DROP TABLE statement"]).await
    }
}
