//! The enrollment service: platforms, the workers they register, and the person behind each
//! registration, with resident ID numbers encrypted at rest.

pub mod api;
pub mod config;
pub mod consumers;
pub mod domain;
pub mod events;
pub mod store;
