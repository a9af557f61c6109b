//! Premium's persistence: entities, migrations and the queries the API and the replica need.
//! Ingest uses set-based statements (multi-row inserts, `ON CONFLICT … RETURNING`) so a batch
//! costs a fixed number of round trips whatever its size.

pub mod entities;
pub mod migrations;
pub mod queries;
pub mod statistics;

pub use entities::{declaration, declaration_line, membership, payment, platform_scope, rate};
pub use migrations::Migrator;
