//! The premium service: "平台全额缴费、按日参保、按单计费、按月缴费" — the platform pays per order,
//! the worker is covered for each day with an order, fees are declared and paid monthly.
//!
//! [`domain`] holds the pure rules; [`store`] the tables and the set-based queries that keep
//! ingest at one round trip per statement per batch; [`api`] the gRPC handlers; [`replica`]
//! the copy of enrollment's platforms and memberships that order checks read; [`consumers`]
//! starts it and the case assignments.

pub mod api;
pub mod config;
pub mod consumers;
pub mod domain;
pub mod events;
pub mod replica;
pub mod store;
