//! Other services' topics as the consumers read them: each decoder turns one topic's events
//! into typed changes, with every field checked once, so each replica applies changes rather
//! than decoding bytes. A malformed event is a permanent error (recorded as rejected, never
//! retried forever); an event type a replica does not need is `Other` (contracts are additive).

pub mod claims;
pub mod enrollment;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::consumer::HandlerError;
use crate::wire;

/// An event's UUID field; a malformed one can never be applied.
pub fn field_uuid(field: &str, value: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(value)
        .map_err(|_| HandlerError::Permanent(format!("{field} {value:?} is not a UUID")))
}

/// An event's optional UUID field: empty is `None`.
pub fn optional_uuid(field: &str, value: &str) -> Result<Option<Uuid>, HandlerError> {
    if value.is_empty() {
        Ok(None)
    } else {
        field_uuid(field, value).map(Some)
    }
}

/// An event's required timestamp field.
pub fn field_instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<DateTime<Utc>, HandlerError> {
    optional_instant(field, value)?
        .ok_or_else(|| HandlerError::Permanent(format!("{field} is missing")))
}

/// An event's optional timestamp field.
pub fn optional_instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<Option<DateTime<Utc>>, HandlerError> {
    wire::datetime(field, value).map_err(|_| HandlerError::Permanent(format!("{field} is invalid")))
}
