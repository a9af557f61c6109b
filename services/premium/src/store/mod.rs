//! Premium's persistence: entities, migrations and the queries the API and the replica need.
//! Ingest uses set-based statements (`gigshield_kit::bulk`: one array per column on PostgreSQL,
//! `ON CONFLICT … RETURNING` where a row may exist) so a batch costs a fixed number of round
//! trips whatever its size.

pub mod entities;
pub mod known_days;
pub mod migrations;
pub mod queries;
pub mod statistics;

pub use entities::{declaration, declaration_line, membership, payment, platform_scope, rate};
pub use migrations::Migrator;
