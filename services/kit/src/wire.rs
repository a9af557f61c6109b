//! Conversions between protobuf wire types and domain types, with errors that name the field.

use chrono::{DateTime, Utc};
use gigshield_scheme::calendar::CalendarMonth;
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

/// The range protobuf's `Timestamp` defines: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
/// Bounding every instant here keeps arithmetic on it (a day's margin, a month's end) from
/// overflowing anywhere behind the API.
const MIN_TIMESTAMP_SECONDS: i64 = -62_135_596_800;
const MAX_TIMESTAMP_SECONDS: i64 = 253_402_300_799;

/// An optional timestamp field; `None` when unset.
/// A `YYYY-MM` field as a Shanghai calendar month.
pub fn month(field: &str, value: &str) -> Result<CalendarMonth, ApiError> {
    if value.is_empty() {
        return Err(ApiError::invalid(field, "is required"));
    }
    value
        .parse::<CalendarMonth>()
        .map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// The request's `from_month` .. `through_month`, both included, at most `max` months: how
/// every statistics request names its span.
pub fn month_span(
    from: &str,
    through: &str,
    max: u32,
) -> Result<(CalendarMonth, CalendarMonth), ApiError> {
    let (from, through) = (month("from_month", from)?, month("through_month", through)?);
    from.months_through(through, max)
        .map_err(|e| ApiError::invalid("through_month", e.to_string()))?;
    Ok((from, through))
}

pub fn datetime(field: &str, value: Option<&Timestamp>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|t| {
            (MIN_TIMESTAMP_SECONDS..=MAX_TIMESTAMP_SECONDS)
                .contains(&t.seconds)
                .then_some(t)
                .and_then(|t| u32::try_from(t.nanos).ok().filter(|n| *n < 1_000_000_000))
                .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos))
                .ok_or_else(|| {
                    ApiError::invalid(
                        field,
                        "is not a valid timestamp (0001-01-01 to 9999-12-31, nanos below 10^9)",
                    )
                })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_outside_protobufs_range_are_refused() {
        let at = |seconds, nanos| datetime("at", Some(&Timestamp { seconds, nanos }));
        assert!(at(0, 0).unwrap().is_some());
        assert!(at(MAX_TIMESTAMP_SECONDS, 999_999_999).is_ok());
        assert!(at(MIN_TIMESTAMP_SECONDS, 0).is_ok());
        for (seconds, nanos) in [
            (MAX_TIMESTAMP_SECONDS + 1, 0),
            (MIN_TIMESTAMP_SECONDS - 1, 0),
            (i64::MAX, 0),
            (i64::MIN, 0),
            (0, -1),
            (0, 1_000_000_000),
        ] {
            assert!(at(seconds, nanos).is_err(), "{seconds} {nanos}");
        }
    }

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
