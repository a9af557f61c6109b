//! Pure premium rules: no I/O, no clock, no database. Every function takes "now" and its
//! parameters explicitly so the api and store layers decide where they come from.
//!
//! Money is integer fen (`i64`, 1/100 yuan); instants are `DateTime<Utc>`; billing months and
//! coverage dates are Asia/Shanghai calendar months and days
//! ([`gigshield_scheme::calendar`]). Regions, provinces and industries are the scheme's shared
//! types from [`gigshield_scheme`].

pub mod access;
pub mod activity;
pub mod arrears;
pub mod billing;
pub mod coverage;
pub mod declaration;
pub mod ingest;
pub mod orders;
pub mod rates;
pub mod statistics;
