//! The whole system, end to end: the service binaries run as real processes on ephemeral
//! ports against the real Kafka and PostgreSQL, and the story is played through their gRPC
//! APIs as platforms, workers, insurers and an operator would. Needs `make infra-up` and the
//! service binaries (`cargo build --bins`, which `cargo test --workspace` also does).

// Integration tests are scenarios told start to end; the function-length lint is for the
// code under test.
#![allow(clippy::too_many_lines)]

mod benefits;
mod claims_flow;
mod edges;
mod export;
mod personal_data;
mod premium_flow;
mod stack;
mod story;
mod watch;
