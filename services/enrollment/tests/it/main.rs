//! Enrollment against real PostgreSQL (and SQLite) and a real Kafka broker, through its gRPC
//! API as platforms, workers, insurers and operators use it. Needs `make infra-up`.

mod support;

mod access;
mod events;
mod platforms;
mod scheme;
mod trust;
mod workers;
