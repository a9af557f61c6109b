//! The whole system, end to end: the service binaries run as real processes on ephemeral
//! ports against the real Kafka and PostgreSQL, and the story is played through their gRPC
//! APIs as a platform, a worker and an operator would. Needs `make infra-up` and the
//! service binaries, which `cargo test --workspace` builds.

mod stack;

mod story;
