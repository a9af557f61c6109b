//! Fund against a real PostgreSQL and Kafka: events of premium and claims published as those
//! services would, the API called as each party.

mod support;

mod access;
mod money;
mod settlement;
