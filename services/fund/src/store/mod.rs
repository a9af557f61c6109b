//! Fund's persistence: entities, the migration, and the queries consumers and the API run.

pub mod entities;
pub mod migrations;
pub mod queries;
pub mod statistics;

pub use entities::{
    claim_ref, declaration_ref, fund_entry, insurer_contract, payout, payout_record,
    payout_submission, reimbursement, settlement,
};
pub use migrations::Migrator;
