//! Fund against a real PostgreSQL and Kafka: events of premium and claims published as those
//! services would, the API called as each party.

// Integration tests are scenarios told start to end; the function-length lint is for the
// code under test.
#![allow(clippy::too_many_lines)]

mod support;

mod access;
mod money;
mod settlement;
