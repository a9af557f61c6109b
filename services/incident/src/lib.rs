//! The incident service: accident reports (事故备案), their amendments and evidence, and the
//! application for injury determination (职业伤害确认申请), checked against a local replica of
//! enrollment and published on `incident.events.v1`.

pub mod api;
pub mod config;
pub mod consumers;
pub mod domain;
pub mod events;
pub mod store;
