//! Enrollment's schema, after the kit's tables.

use gigshield_kit::migrations::execute_ddl;
use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = gigshield_kit::migrations();
        all.push(Box::new(gigshield_kit::replica::assignments::migration()));
        all.push(Box::new(CreateEnrollment));
        all.push(Box::new(TrustBoundaries));
        all.push(Box::new(gigshield_kit::replica::scheme::migration()));
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

/// Delegations, registrations held for identity review, what other services reported of each
/// membership (to bound a backdated deregistration), and personal text sealed: the reason of a
/// deregistration, the platform contact's phone. The masked resident ID number loses the
/// district and birth date (first 3 + last 4). Legacy clear values that cannot be sealed here
/// (no key in a migration) are cut to their masked form or dropped.
struct TrustBoundaries;

impl MigrationName for TrustBoundaries {
    fn name(&self) -> &str {
        "enrollment_0002_delegations_reviews_activity_sealed_text"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for TrustBoundaries {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "CREATE TABLE delegation (
                    id {uuid} PRIMARY KEY,
                    grantor_person_id {uuid} NOT NULL REFERENCES person (id),
                    delegate_person_id {uuid} NOT NULL REFERENCES person (id),
                    relationship SMALLINT NOT NULL,
                    valid_from {timestamp} NOT NULL,
                    valid_until {timestamp},
                    granted_by TEXT NOT NULL,
                    granted_by_subject TEXT NOT NULL,
                    reason_sealed {bytes},
                    granted_at {timestamp} NOT NULL,
                    revoked_at {timestamp},
                    revoked_by TEXT)",
                "CREATE INDEX delegation_grantor ON delegation (grantor_person_id, id)",
                "CREATE INDEX delegation_delegate ON delegation (delegate_person_id, id)",
                "CREATE TABLE identity_review (
                    id {uuid} PRIMARY KEY,
                    platform_id {uuid} NOT NULL REFERENCES platform (id),
                    external_worker_id TEXT NOT NULL,
                    region_code TEXT NOT NULL,
                    person_id {uuid} NOT NULL REFERENCES person (id),
                    resident_id_masked TEXT NOT NULL,
                    registration_sealed {bytes} NOT NULL,
                    status TEXT NOT NULL,
                    opened_at {timestamp} NOT NULL,
                    opened_by TEXT NOT NULL,
                    resolved_at {timestamp},
                    resolved_by TEXT,
                    note_sealed {bytes},
                    worker_id {uuid})",
                "CREATE UNIQUE INDEX identity_review_open ON identity_review (platform_id, external_worker_id) WHERE status = 'OPEN'",
                "CREATE INDEX identity_review_listing ON identity_review (status, id)",
                "CREATE TABLE membership_activity (
                    person_id {uuid} NOT NULL,
                    platform_id {uuid} NOT NULL,
                    last_order_date TEXT,
                    last_incident_at {timestamp},
                    PRIMARY KEY (person_id, platform_id))",
                "ALTER TABLE membership ADD COLUMN deregistration_reason_sealed {bytes}",
                "ALTER TABLE membership ADD COLUMN deregistered_by TEXT",
                "ALTER TABLE membership DROP COLUMN deregistration_reason",
                "ALTER TABLE platform ADD COLUMN contact_phone_sealed {bytes}",
                "UPDATE platform SET contact_phone = substr(contact_phone, 1, 3) || '****' || substr(contact_phone, length(contact_phone) - 3, 4)",
                "UPDATE person SET resident_id_masked = substr(resident_id_masked, 1, 3) || '***********' || substr(resident_id_masked, 15, 4)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "DROP TABLE membership_activity",
                "DROP TABLE identity_review",
                "DROP TABLE delegation",
            ],
        )
        .await
    }
}
