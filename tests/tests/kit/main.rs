//! The kit against a real Kafka broker and real databases (PostgreSQL and SQLite): outbox,
//! relay crash, consumer crash, per-key order, trace propagation, idempotent requests,
//! authentication and tenancy over gRPC, health and reflection, TLS on gRPC and PostgreSQL.
//!
//! Needs `make infra-up` (done by `make test`).

// Integration tests are scenarios told start to end; the function-length lint is for the
// code under test.
#![allow(clippy::too_many_lines)]

mod support;

mod auth_and_grpc;
mod idempotent_requests;
mod outbox_and_inbox;
mod tls;
