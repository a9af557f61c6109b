//! Enrollment's persistence: entities, migrations and the queries the API needs.

pub mod entities;
pub mod migrations;
pub mod queries;

pub use entities::{
    credit_code_exception, delegation, identity_review, membership, membership_activity, person,
    platform, platform_scope,
};
pub use migrations::Migrator;
