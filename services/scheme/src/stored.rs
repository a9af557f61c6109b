//! Stored enum names: one stable name per variant, used in databases (and, where a service
//! says so, in events), so renaming a variant in code never changes a stored row.
//!
//! ```
//! #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//! enum Colour { Red, Green }
//! gigshield_scheme::stored_names!(Colour { Red => "RED", Green => "GREEN" });
//!
//! assert_eq!(Colour::Green.as_str(), "GREEN");
//! assert_eq!(Colour::parse_stored("RED"), Ok(Colour::Red));
//! assert!(Colour::parse_stored("BLUE").is_err());
//! assert_eq!(Colour::ALL, &[Colour::Red, Colour::Green]);
//! ```

/// A stored enum name that this build does not know (a newer writer, or a damaged row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} has no stored value {value:?}")]
pub struct UnknownStoredValue {
    pub kind: &'static str,
    pub value: String,
}

/// Gives an enum `ALL`, `as_str` and `parse_stored` from one list of variant ⇒ stored name.
#[macro_export]
macro_rules! stored_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stored name: never change one.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            pub fn parse_stored(
                value: &str,
            ) -> Result<Self, $crate::stored::UnknownStoredValue> {
                match value {
                    $($name => Ok($ty::$variant),)+
                    other => Err($crate::stored::UnknownStoredValue {
                        kind: stringify!($ty),
                        value: other.to_string(),
                    }),
                }
            }
        }
    };
}
