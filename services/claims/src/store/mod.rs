//! Claims' persistence: entities, the migration, and the queries the consumers and the API run.

pub mod entities;
pub mod figures;
pub mod migrations;
pub mod queries;
pub mod records;

pub use entities::{
    appeal, appraisal, assessment, beneficiary_account, claim, claim_event, claim_history,
    payout_ledger, payout_schedule, payout_step, route,
};
pub use migrations::Migrator;
