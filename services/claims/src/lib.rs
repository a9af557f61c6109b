//! The claims service of gigshield: opens a claim for every application for injury
//! determination, runs the determination rules (automation confirms, never refuses), routes the
//! rest to the commissioned insurers' review queue, and carries confirmed claims through
//! capacity appraisal, benefit assessment, payouts and appeals — publishing every step on
//! `claims.events.v1` and the `WatchClaims` stream.

pub mod activity;
pub mod api;
pub mod config;
pub mod domain;
pub mod events;
pub mod instalments;
pub mod intake;
pub mod issuing;
pub mod overdue;
pub mod premium_channel;
pub mod store;
pub mod stream;
pub mod sweep;
