//! Incident's persistence: entities, migrations, row conversions and the queries the API and
//! the enrollment replica need.

pub mod entities;
pub mod migrations;
pub mod queries;
pub mod records;

pub use entities::{
    application, evidence, incident, incident_revision, replica_platform_scope, statement,
};
pub use migrations::Migrator;
