//! The claims service of gigshield. Today it holds the pure domain layer: the determination
//! rules, the benefit calculator with its versioned parameter file, and payout schedules.

pub mod domain;
