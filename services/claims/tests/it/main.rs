//! Claims against real PostgreSQL and a real Kafka broker, with a real premium service
//! in-process answering VerifyWorkActivity, enrollment and incident events produced onto
//! per-test topics, and the API used as insurers, adjusters, workers, platforms and operators.
//! Needs `make infra-up`.

// Integration tests are scenarios told start to end; the function-length lint is for the
// code under test.
#![allow(clippy::too_many_lines)]

mod support;

mod access;
mod amendments;
mod appeals;
mod benefits;
mod determination;
mod finding;
mod instalments;
mod redelivery;
mod review;
mod trust;
mod watch;
