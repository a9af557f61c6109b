//! The incident service's rules, free of I/O: the facts of a report and what they must satisfy,
//! who the injured worker is and who may act on an incident, evidence metadata, amendments,
//! and filing deadlines. Region codes and the Asia/Shanghai calendar come from
//! [`gigshield_scheme`]; every number docs/domain.md leaves open (?) is a parameter.

pub mod access;
pub mod actor;
pub mod amendment;
pub mod deadline;
pub mod evidence;
pub mod facts;
pub mod lifecycle;
pub mod statement;
pub mod statistics;
pub mod subject;
pub mod text;

pub use gigshield_scheme::stored::UnknownStoredValue;
pub(crate) use gigshield_scheme::stored_names;
