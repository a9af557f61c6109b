//! The fund service of gigshield: the work-injury fund's double-entry accounts per province and
//! month, kept from premium's fees and claims' payouts; the benefit / fee ratio rate decisions
//! use; and each commissioned insurer's monthly settlement, reconciled against its own records.

pub mod api;
pub mod config;
pub mod consumers;
pub mod domain;
pub mod events;
pub mod store;
