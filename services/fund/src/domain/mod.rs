//! The fund's rules, free of I/O: the double entry ([`ledger`]), a province's month read off
//! it ([`statement`]), the benefit / fee ratio ([`ratio`]), an insurer's settlement and its
//! reconciliation ([`settlement`]), and who may read and do what ([`access`]).
//!
//! Money is `i64` fen, fees are integer basis points, months are Asia/Shanghai calendar
//! months ([`gigshield_scheme::calendar`]).

pub mod access;
pub mod ledger;
pub mod ratio;
pub mod settlement;
pub mod statement;
pub mod statistics;
