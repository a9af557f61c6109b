//! Enrollment against real PostgreSQL (and SQLite) and a real Kafka broker, through its gRPC
//! API as platforms, workers, insurers and operators use it. Needs `make infra-up`.

// Integration tests are scenarios told start to end; the function-length lint is for the
// code under test.
#![allow(clippy::too_many_lines)]

mod support;

mod access;
mod events;
mod platforms;
mod scheme;
mod trust;
mod workers;
