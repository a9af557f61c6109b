//! The claims service's rules, free of I/O: who is covered for an incident
//! ([`determination`]), what the fund owes for it ([`benefits`], with its parameter file read
//! by [`benefit_parameters`]), how that is paid out ([`payouts`]) and whether it arrived
//! ([`delivery`]); what humans may do with
//! a claim afterwards ([`lifecycle`]: decisions, refusal reasons, appeals) and which insurer
//! handles it ([`routing`]), and what regulators see of all claims ([`statistics`]).
//!
//! Everything here is a pure function over plain structs so the api and store layers can call
//! it inside a transaction and the rules can be tested without a database. Money is `i64` fen
//! throughout; rates are integer basis points; instants are UTC and calendar questions are
//! answered in Asia/Shanghai ([`gigshield_scheme::calendar`]); regions and provinces are the
//! scheme's shared codes ([`gigshield_scheme::region`]).

pub mod access;
pub mod benefit_parameters;
pub mod benefits;
pub mod delivery;
pub mod determination;
pub mod history;
pub mod lifecycle;
pub mod payouts;
pub mod recovery;
pub mod routing;
pub mod statistics;
