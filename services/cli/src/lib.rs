//! The `gigshield` command as a library, so tests reuse the process supervisor and the
//! simulator: load generators, the dev stack, the city-month demo and the chaos run.

pub mod chaos;
pub mod demo;
pub mod export;
pub mod load;
pub mod records;
pub mod remote;
pub mod stack;
