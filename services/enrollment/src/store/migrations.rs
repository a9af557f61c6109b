//! Enrollment's schema, after the kit's tables.

use gigshield_kit::migrations::execute_ddl;
use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = gigshield_kit::migrations();
        all.push(Box::new(CreateEnrollment));
        all
    }
}

struct CreateEnrollment;

impl MigrationName for CreateEnrollment {
    fn name(&self) -> &str {
        "enrollment_0001_platforms_persons_memberships"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateEnrollment {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "CREATE TABLE platform (
                    id {uuid} PRIMARY KEY,
                    legal_name TEXT NOT NULL,
                    credit_code TEXT NOT NULL UNIQUE,
                    contact_name TEXT NOT NULL,
                    contact_phone TEXT NOT NULL,
                    contact_email TEXT,
                    registered_at {timestamp} NOT NULL,
                    updated_at {timestamp} NOT NULL)",
                "CREATE TABLE platform_scope (
                    platform_id {uuid} NOT NULL REFERENCES platform (id),
                    effective_from {timestamp} NOT NULL,
                    industries TEXT NOT NULL,
                    provinces TEXT NOT NULL,
                    recorded_at {timestamp} NOT NULL,
                    PRIMARY KEY (platform_id, effective_from))",
                "CREATE TABLE credit_code_exception (
                    credit_code TEXT PRIMARY KEY,
                    reason TEXT NOT NULL,
                    added_by TEXT NOT NULL,
                    added_at {timestamp} NOT NULL)",
                "CREATE TABLE person (
                    id {uuid} PRIMARY KEY,
                    resident_id_index {bytes} NOT NULL UNIQUE,
                    resident_id_sealed {bytes} NOT NULL,
                    resident_id_key_id TEXT NOT NULL,
                    resident_id_masked TEXT NOT NULL,
                    real_name TEXT NOT NULL,
                    birth_year INTEGER NOT NULL,
                    sex SMALLINT NOT NULL,
                    created_at {timestamp} NOT NULL)",
                "CREATE TABLE membership (
                    id {uuid} PRIMARY KEY,
                    person_id {uuid} NOT NULL REFERENCES person (id),
                    platform_id {uuid} NOT NULL REFERENCES platform (id),
                    external_worker_id TEXT NOT NULL,
                    mobile_sealed {bytes} NOT NULL,
                    mobile_key_id TEXT NOT NULL,
                    mobile_masked TEXT NOT NULL,
                    region_code TEXT NOT NULL,
                    registered_at {timestamp} NOT NULL,
                    deregistered_at {timestamp},
                    deregistration_reason TEXT)",
                // One active membership per platform id and per person on a platform; ended
                // memberships stay as history.
                "CREATE UNIQUE INDEX membership_active_external ON membership (platform_id, external_worker_id) WHERE deregistered_at IS NULL",
                "CREATE UNIQUE INDEX membership_active_person ON membership (platform_id, person_id) WHERE deregistered_at IS NULL",
                "CREATE INDEX membership_platform ON membership (platform_id, id)",
                "CREATE INDEX membership_person ON membership (person_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "DROP TABLE membership",
                "DROP TABLE person",
                "DROP TABLE credit_code_exception",
                "DROP TABLE platform_scope",
                "DROP TABLE platform",
            ],
        )
        .await
    }
}
