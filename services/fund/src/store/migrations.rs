//! Fund's schema, after the kit's tables.

use gigshield_kit::migrations::execute_ddl;
use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = gigshield_kit::migrations();
        all.push(Box::new(CreateFund));
        all
    }
}

struct CreateFund;

impl MigrationName for CreateFund {
    fn name(&self) -> &str {
        "fund_0001_entries_references_settlements"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateFund {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                // The double entry: only added, never changed. source_id names the event
                // (ce_id) or the request that made it.
                "CREATE TABLE fund_entry (
                    id {uuid} PRIMARY KEY,
                    province TEXT NOT NULL,
                    month TEXT NOT NULL,
                    debit TEXT NOT NULL,
                    credit TEXT NOT NULL,
                    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
                    platform_id {uuid},
                    insurer_id {uuid},
                    benefit_type TEXT,
                    source_id TEXT NOT NULL,
                    source_type TEXT NOT NULL,
                    recorded_at {timestamp} NOT NULL)",
                "CREATE INDEX fund_entry_province_month ON fund_entry (province, month)",
                "CREATE INDEX fund_entry_platform ON fund_entry (platform_id, province, month)",
                // Where premium's declarations and claims' claims are: what later events of
                // theirs need to be placed (a payment names a declaration, a payout a claim).
                "CREATE TABLE declaration_ref (
                    declaration_id {uuid} PRIMARY KEY,
                    platform_id {uuid} NOT NULL,
                    province TEXT NOT NULL,
                    month TEXT NOT NULL)",
                "CREATE TABLE claim_ref (
                    claim_id {uuid} PRIMARY KEY,
                    province TEXT NOT NULL,
                    platform_id {uuid},
                    insurer_id {uuid})",
                // Each payout the fund paid through an insurer, placed in the month and with the
                // insurer of its first issue; its state follows claims' events.
                "CREATE TABLE payout (
                    payout_key TEXT PRIMARY KEY,
                    claim_id {uuid} NOT NULL,
                    province TEXT NOT NULL,
                    month TEXT NOT NULL,
                    insurer_id {uuid},
                    amount_fen BIGINT NOT NULL,
                    kind TEXT NOT NULL,
                    state TEXT NOT NULL)",
                "CREATE INDEX payout_settlement ON payout (insurer_id, province, month)",
                "CREATE TABLE insurer_contract (
                    insurer_id {uuid} NOT NULL,
                    province TEXT NOT NULL,
                    effective_from TEXT NOT NULL,
                    service_fee_bps INTEGER NOT NULL,
                    added_by TEXT NOT NULL,
                    added_at {timestamp} NOT NULL,
                    PRIMARY KEY (insurer_id, province, effective_from))",
                // A bank reference pays once, whatever request carries it.
                "CREATE TABLE reimbursement (
                    insurer_id {uuid} NOT NULL,
                    reference TEXT NOT NULL,
                    entry_id {uuid} NOT NULL,
                    PRIMARY KEY (insurer_id, reference))",
                "CREATE TABLE payout_record (
                    insurer_id {uuid} NOT NULL,
                    province TEXT NOT NULL,
                    month TEXT NOT NULL,
                    payout_key TEXT NOT NULL,
                    amount_fen BIGINT NOT NULL,
                    PRIMARY KEY (insurer_id, province, month, payout_key))",
                "CREATE TABLE payout_submission (
                    insurer_id {uuid} NOT NULL,
                    province TEXT NOT NULL,
                    month TEXT NOT NULL,
                    records INTEGER NOT NULL,
                    submitted_at {timestamp} NOT NULL,
                    PRIMARY KEY (insurer_id, province, month))",
                "CREATE TABLE settlement (
                    insurer_id {uuid} NOT NULL,
                    province TEXT NOT NULL,
                    month TEXT NOT NULL,
                    service_fee_fen BIGINT NOT NULL,
                    explanations TEXT NOT NULL,
                    approved_by TEXT NOT NULL,
                    approved_at {timestamp} NOT NULL,
                    PRIMARY KEY (insurer_id, province, month))",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_ddl(
            manager,
            &[
                "DROP TABLE settlement",
                "DROP TABLE payout_submission",
                "DROP TABLE payout_record",
                "DROP TABLE reimbursement",
                "DROP TABLE insurer_contract",
                "DROP TABLE payout",
                "DROP TABLE claim_ref",
                "DROP TABLE declaration_ref",
                "DROP TABLE fund_entry",
            ],
        )
        .await
    }
}
