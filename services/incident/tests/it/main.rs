//! Incident against real PostgreSQL (and SQLite) and a real Kafka broker, through its gRPC API
//! as platforms, workers, relatives, insurers and operators use it, with enrollment events
//! produced onto a per-test topic to fill the replica. Needs `make infra-up`.

// Integration tests are scenarios told start to end; the function-length lint is for the
// code under test.
#![allow(clippy::too_many_lines)]

mod support;

mod access;
mod amendments;
mod applications;
mod flow;
mod logs;
mod replica;
mod statistics;
mod tenancy;
mod trust;
mod validation;
mod withdrawal;
