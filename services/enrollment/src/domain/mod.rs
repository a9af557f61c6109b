//! Enrollment's rules, free of I/O: identifiers, contacts, which industries a platform may
//! register, platform scopes and worker registrations. Region codes, industries and the
//! Asia/Shanghai calendar are the scheme's shared vocabulary in [`gigshield_scheme`].

pub mod access;
pub mod contact;
pub use gigshield_scheme::identifiers::credit_code;
pub mod dated_start;
pub mod delegation;
pub mod deregistration;
pub mod identifier;
pub mod industry;
pub mod matching;
pub mod platform;
pub mod registration;
pub use gigshield_scheme::identifiers::resident_id;
