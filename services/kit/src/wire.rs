//! Conversions between protobuf wire types and domain types, with errors that name the field.

use chrono::{DateTime, Utc};
use prost_types::Timestamp;
use uuid::Uuid;

use crate::error::ApiError;

pub fn timestamp(at: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

/// A required UUID field.
pub fn uuid(field: &str, value: &str) -> Result<Uuid, ApiError> {
    if value.is_empty() {
        return Err(ApiError::invalid(field, "is required"));
    }
    Uuid::parse_str(value).map_err(|_| ApiError::invalid(field, "must be a UUID"))
}

/// An optional timestamp field; `None` when unset.
pub fn datetime(field: &str, value: Option<&Timestamp>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|t| {
            u32::try_from(t.nanos)
                .ok()
                .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos))
                .ok_or_else(|| ApiError::invalid(field, "is not a valid timestamp"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_fields() {
        let now = DateTime::from_timestamp(1_764_400_000, 123_000_000).unwrap();
        assert_eq!(datetime("at", Some(&timestamp(now))).unwrap(), Some(now));
        assert_eq!(datetime("at", None).unwrap(), None);
        let bad = Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert!(
            matches!(datetime("at", Some(&bad)), Err(ApiError::InvalidArgument(v)) if v[0].field == "at")
        );
        assert!(
            matches!(uuid("worker_id", ""), Err(ApiError::InvalidArgument(v)) if v[0].description == "is required")
        );
        assert!(uuid("worker_id", "x").is_err());
    }
}
