//! The scheme's shared vocabulary, used by every service that speaks about it: administrative
//! division codes and the provinces they belong to ([`region`]), the industries the scheme
//! covers ([`industry`]), and the Asia/Shanghai calendar its days and months are counted in
//! ([`calendar`]), and the scheme calendar every service applies alike — province start dates,
//! filing deadlines, dated windows and the official working days ([`rules`]); and the
//! identifiers of people and companies with their check characters ([`identifiers`]); the
//! names of the benefit types the fund pays ([`benefit_types`]); a worker's membership of a
//! platform and when it is in force ([`membership`]); stable stored names for enums
//! ([`stored_names!`]).
//!
//! Pure types and functions: no I/O, no clock. Each value has one wire form, used alike in
//! events, APIs and databases: a region `"110105"`, a province `"110000"`, an industry
//! `"ride_hailing"`, a month `"2025-07"`.

pub mod benefit_types;
pub mod calendar;
pub mod identifiers;
pub mod industry;
pub mod membership;
pub mod region;
pub mod rules;
pub mod stored;
