//! Claims' schema, after the kit's tables.

use gigshield_kit::migrations::execute_ddl;
use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = gigshield_kit::migrations();
        all.push(Box::new(gigshield_kit::replica::delegations::migration()));
        all.push(Box::new(CreateClaims));
        all.push(Box::new(TrustBoundaries));
        all.push(Box::new(gigshield_kit::replica::scheme::migration()));
        all.push(Box::new(ParametersAsData));
        all.push(Box::new(FindingAndDelivery));
        // The membership replica takes the name and shape incident's has.
        all.push(Box::new(
            gigshield_kit::replica::memberships::renamed_from_membership(
                "claims_0005_replica_membership",
                &["membership_person"],
                true,
            ),
        ));
        all
    }
}

struct CreateClaims;

impl MigrationName for CreateClaims {
    fn name(&self) -> &str {
        "claims_0001_claims_routes_appraisals_benefits_payouts_appeals_stream"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateClaims {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                // Enrollment's memberships (rule 1), filled by the enrollment consumer.
                "CREATE TABLE membership (
                    worker_id {uuid} PRIMARY KEY,
                    person_id {uuid} NOT NULL,
                    platform_id {uuid} NOT NULL,
                    registered_at {timestamp} NOT NULL,
                    deregistered_at {timestamp})",
                "CREATE INDEX membership_person ON membership (person_id)",
                // platform_key '' = every platform of the province.
                "CREATE TABLE route (
                    province_code TEXT NOT NULL,
                    platform_key TEXT NOT NULL,
                    insurer_id {uuid} NOT NULL,
                    updated_at {timestamp} NOT NULL,
                    PRIMARY KEY (province_code, platform_key))",
                // incident_id UNIQUE: one claim per application, even under a race.
                "CREATE TABLE claim (
                    id {uuid} PRIMARY KEY,
                    incident_id {uuid} NOT NULL UNIQUE,
                    person_id {uuid} NOT NULL,
                    platform_id {uuid},
                    insurer_id {uuid},
                    status TEXT NOT NULL,
                    province_code TEXT NOT NULL,
                    region_code TEXT NOT NULL,
                    occurred_at {timestamp} NOT NULL,
                    filed_at {timestamp} NOT NULL,
                    opened_at {timestamp} NOT NULL,
                    updated_at {timestamp} NOT NULL,
                    evidence_count INTEGER NOT NULL,
                    facts TEXT NOT NULL,
                    trace TEXT NOT NULL,
                    review_reasons TEXT NOT NULL,
                    liability TEXT,
                    decision TEXT)",
                "CREATE INDEX claim_person ON claim (person_id, occurred_at)",
                "CREATE INDEX claim_queue ON claim (status, insurer_id, id)",
                "CREATE TABLE claim_history (
                    claim_id {uuid} NOT NULL REFERENCES claim (id),
                    number INTEGER NOT NULL,
                    at {timestamp} NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    PRIMARY KEY (claim_id, number))",
                "CREATE TABLE appraisal (
                    claim_id {uuid} NOT NULL REFERENCES claim (id),
                    version INTEGER NOT NULL,
                    grade INTEGER NOT NULL,
                    nursing_level TEXT NOT NULL,
                    appraised_on TEXT NOT NULL,
                    appraisal_body TEXT NOT NULL,
                    recorded_by TEXT NOT NULL,
                    recorded_at {timestamp} NOT NULL,
                    PRIMARY KEY (claim_id, version))",
                "CREATE TABLE assessment (
                    claim_id {uuid} NOT NULL REFERENCES claim (id),
                    version INTEGER NOT NULL,
                    parameters_version TEXT NOT NULL,
                    facts TEXT NOT NULL,
                    body TEXT NOT NULL,
                    assessed_by TEXT NOT NULL,
                    assessed_at {timestamp} NOT NULL,
                    PRIMARY KEY (claim_id, version))",
                // What the latest assessment schedules; replaced (except what was issued) by
                // every assessment.
                "CREATE TABLE payout_schedule (
                    idempotency_key TEXT PRIMARY KEY,
                    claim_id {uuid} NOT NULL REFERENCES claim (id),
                    kind TEXT NOT NULL,
                    period TEXT NOT NULL,
                    due_month TEXT NOT NULL,
                    amount_fen BIGINT NOT NULL,
                    assessment_version INTEGER NOT NULL)",
                "CREATE INDEX payout_schedule_claim ON payout_schedule (claim_id, due_month)",
                // The ledger: a row per payment, never updated or deleted; the primary key is
                // what makes a payout happen once.
                "CREATE TABLE payout_ledger (
                    idempotency_key TEXT PRIMARY KEY,
                    claim_id {uuid} NOT NULL REFERENCES claim (id),
                    kind TEXT NOT NULL,
                    period TEXT NOT NULL,
                    due_month TEXT NOT NULL,
                    amount_fen BIGINT NOT NULL,
                    account_key_id TEXT NOT NULL,
                    account_sealed {bytes} NOT NULL,
                    account_masked TEXT NOT NULL,
                    issued_by TEXT NOT NULL,
                    issued_at {timestamp} NOT NULL)",
                "CREATE INDEX payout_ledger_claim ON payout_ledger (claim_id)",
                "CREATE TABLE appeal (
                    id {uuid} PRIMARY KEY,
                    claim_id {uuid} NOT NULL REFERENCES claim (id),
                    kind TEXT NOT NULL,
                    challenged_status TEXT NOT NULL,
                    filed_by TEXT NOT NULL,
                    filed_at {timestamp} NOT NULL,
                    outcome TEXT,
                    effect TEXT,
                    decided_by TEXT,
                    decided_at {timestamp})",
                "CREATE INDEX appeal_claim ON appeal (claim_id)",
                // The insurer stream: every claim event, written in the transaction that
                // writes its outbox row. seq orders it; writers take an advisory lock before
                // inserting so seq order is commit order (see queries::append_event).
                "CREATE TABLE claim_event (
                    seq {serial_pk},
                    claim_id {uuid} NOT NULL,
                    insurer_id {uuid},
                    event_type TEXT NOT NULL,
                    payload {bytes} NOT NULL,
                    recorded_at {timestamp} NOT NULL)",
                "CREATE INDEX claim_event_insurer ON claim_event (insurer_id, seq)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "DROP TABLE claim_event",
                "DROP TABLE appeal",
                "DROP TABLE payout_ledger",
                "DROP TABLE payout_schedule",
                "DROP TABLE assessment",
                "DROP TABLE appraisal",
                "DROP TABLE claim_history",
                "DROP TABLE claim",
                "DROP TABLE route",
                "DROP TABLE membership",
            ],
        )
        .await
    }
}

/// History details and decision notes sealed; each person's beneficiary account; payouts to
/// another account held for a second person's approval. Clear text of earlier rows cannot be
/// sealed in a migration (no key) and is dropped.
struct TrustBoundaries;

impl MigrationName for TrustBoundaries {
    fn name(&self) -> &str {
        "claims_0002_sealed_text_beneficiary_accounts_approvals"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for TrustBoundaries {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "ALTER TABLE claim_history ADD COLUMN detail_sealed {bytes}",
                "ALTER TABLE claim_history DROP COLUMN detail",
                "ALTER TABLE claim ADD COLUMN decision_note_sealed {bytes}",
                "CREATE TABLE beneficiary_account (
                    person_id {uuid} NOT NULL,
                    version INTEGER NOT NULL,
                    account_key_id TEXT NOT NULL,
                    account_sealed {bytes} NOT NULL,
                    account_masked TEXT NOT NULL,
                    account_index {bytes} NOT NULL,
                    set_by TEXT NOT NULL,
                    set_at {timestamp} NOT NULL,
                    PRIMARY KEY (person_id, version))",
                "ALTER TABLE payout_ledger ADD COLUMN account_index {bytes}",
                "ALTER TABLE payout_ledger ADD COLUMN approved_by TEXT",
                "ALTER TABLE payout_ledger ADD COLUMN approved_at {timestamp}",
                // Payouts issued before approvals existed were paid out.
                "UPDATE payout_ledger SET approved_by = 'before approvals', approved_at = issued_at",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(manager, &["DROP TABLE beneficiary_account"]).await
    }
}

/// The scheme's dated parameters as data: each claim's determination due date and overdue
/// flag, benefit figures added by operators, and assessments waiting for one.
struct ParametersAsData;

impl MigrationName for ParametersAsData {
    fn name(&self) -> &str {
        "claims_0003_due_dates_benefit_figures_awaiting"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ParametersAsData {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                // '' for claims opened before due dates were tracked: they sort first.
                "ALTER TABLE claim ADD COLUMN determination_due_on TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE claim ADD COLUMN overdue_at {timestamp}",
                "ALTER TABLE claim ADD COLUMN awaiting_parameters TEXT",
                "CREATE INDEX claim_status_due ON claim (status, determination_due_on, id)",
                "CREATE TABLE benefit_figure (
                    figure_id TEXT PRIMARY KEY,
                    entry {bytes} NOT NULL,
                    recorded_at {timestamp} NOT NULL)",
                // The AssessBenefits request kept until its figure arrives (one per claim).
                "CREATE TABLE awaiting_assessment (
                    claim_id {uuid} PRIMARY KEY,
                    request {bytes} NOT NULL,
                    requested_by TEXT NOT NULL,
                    requested_at {timestamp} NOT NULL)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "DROP TABLE awaiting_assessment",
                "DROP TABLE benefit_figure",
            ],
        )
        .await
    }
}

/// Listings by platform and filing month, and what became of each payout after it was issued.
struct FindingAndDelivery;

impl MigrationName for FindingAndDelivery {
    fn name(&self) -> &str {
        "claims_0004_listings_payout_delivery"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FindingAndDelivery {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "CREATE INDEX claim_platform ON claim (platform_id, id)",
                "CREATE INDEX claim_filed ON claim (filed_at)",
                // Steps after the ledger row (which stays as issued): SENT, PAID, RETURNED
                // (with its reason), INSTRUCTED again (with the corrected account). Only added.
                "CREATE TABLE payout_step (
                    idempotency_key TEXT NOT NULL REFERENCES payout_ledger (idempotency_key),
                    number INTEGER NOT NULL,
                    step TEXT NOT NULL,
                    return_reason TEXT,
                    account_key_id TEXT,
                    account_sealed {bytes},
                    account_masked TEXT,
                    account_index {bytes},
                    recorded_by TEXT NOT NULL,
                    recorded_at {timestamp} NOT NULL,
                    PRIMARY KEY (idempotency_key, number))",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "DROP TABLE payout_step",
                "DROP INDEX claim_filed",
                "DROP INDEX claim_platform",
            ],
        )
        .await
    }
}
