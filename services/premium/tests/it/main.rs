//! Premium against real PostgreSQL (and SQLite) and a real Kafka broker, through its gRPC API
//! as platforms, operators, adjusters and claims use it, with enrollment's events fed to the
//! replica through a per-test topic. Needs `make infra-up`.

// Integration tests are scenarios told start to end; the function-length lint is for the
// code under test.
#![allow(clippy::too_many_lines)]

mod support;

mod access;
mod activity;
mod coverage;
mod declarations;
mod orders;
mod payments;
mod statistics;
