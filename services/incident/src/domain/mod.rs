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

/// A stored enum name that this build does not know (a newer writer, or a damaged row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} has no stored value {value:?}")]
pub struct UnknownStoredValue {
    pub kind: &'static str,
    pub value: String,
}

/// Gives an enum one stable lower-case name per variant, used in the database; renaming a
/// variant in code then never changes stored rows.
macro_rules! stored_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            pub fn parse_stored(value: &str) -> Result<Self, $crate::domain::UnknownStoredValue> {
                match value {
                    $($name => Ok($ty::$variant),)+
                    other => Err($crate::domain::UnknownStoredValue {
                        kind: stringify!($ty),
                        value: other.to_string(),
                    }),
                }
            }
        }
    };
}
pub(crate) use stored_names;
