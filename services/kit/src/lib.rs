//! The shared runtime of every gigshield service. Nothing here knows about platforms, orders,
//! incidents or claims: it is configuration, telemetry, authentication, database access, the
//! transactional outbox and its relay, the idempotent consumer, request-id handling, error
//! mapping and the gRPC skeleton.

pub mod access;
pub mod area_span;
pub mod auth;
pub mod bulk;
pub mod cache;
pub mod clock;
pub mod config;
pub mod consumer;
pub mod db;
pub mod envelope;
pub mod error;
pub mod feed;
pub mod grpc_edge;
pub mod idempotency;
pub mod kafka;
pub mod migrations;
pub mod outbox;
pub mod paging;
pub mod pii;
pub mod process_metrics;
pub mod replica;
pub mod service;
pub mod shutdown;
pub mod statistics;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
pub mod tls_listener;
pub mod wire;
pub mod write;

pub use access::{AccessTable, Caller, Scope, Subject};
pub use auth::{Jurisdiction, Party, Principal, Role, RoleKind};
pub use error::{ApiError, Violations};
pub use migrations::migrations;
pub use service::Service;

// Re-exported so services and tests use the kit's versions.
pub use sea_orm;
pub use sea_orm_migration;
pub use tokio_util::sync::CancellationToken;
