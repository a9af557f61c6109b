//! Replica tables several services keep alike, with the code that applies their feeds and the
//! queries the access checks need:
//! - [`memberships`]: who was registered with which platform when (from
//!   `enrollment.events.v1`), read by incident and claims;
//! - [`delegations`]: who may act for whom (from `enrollment.events.v1`), read by the services
//!   where a close relative acts for a worker;
//! - [`assignments`]: which insurer handles which case (from `claims.events.v1`), read by the
//!   services where an insurer sees the incident, person or orders of its cases;
//! - [`scheme`]: the operator entries of the scheme calendar (from `enrollment.events.v1`, and
//!   enrollment's own writes), read by every service.
//!
//! A service adds each table's `migration()` after the kit's own migrations.

pub mod assignments;
pub mod delegations;
pub mod memberships;
pub mod scheme;
