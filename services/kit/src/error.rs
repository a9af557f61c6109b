//! The one place where typed errors become gRPC statuses.
//!
//! Handlers return [`ApiError`]; services convert their domain errors into it. Invalid input
//! carries `google.rpc.BadRequest` field violations so a client can point at the field.
//! Internal errors are logged here with their cause and reach the caller as a bare
//! `Internal`, so no detail (or personal data inside a database error) leaks.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid argument: {}", describe(.0))]
    InvalidArgument(Vec<FieldViolation>),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Unauthenticated(String),
    /// A concurrent request won a race; the caller may retry with the same request_id.
    #[error("{0}")]
    Aborted(String),
    #[error("{0}")]
    Unavailable(String),
    /// A limit of the server (open streams, …) is reached; retry later.
    #[error("{0}")]
    ResourceExhausted(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    /// A write that failed on a unique index: another writer inserted the same key first.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Self::Internal(cause) => cause
                .downcast_ref::<sea_orm::DbErr>()
                .is_some_and(crate::idempotency::is_unique_violation),
            _ => false,
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        match err {
            sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                tracing::warn!(error = %err, "database unavailable");
                Self::Unavailable("database unavailable, retry later".into())
            }
            other => Self::Internal(other.into()),
        }
    }
}

/// The `ErrorInfo.domain` of every gigshield error.
pub const ERROR_DOMAIN: &str = "gigshield.io";

/// The stable `ErrorInfo.reason` of each kind of failure, and whether retrying helps: what a
/// client switches on (the message is for people and may change). Documented in
/// docs/architecture.md ("Errors").
pub fn reason(err: &ApiError) -> (&'static str, Option<std::time::Duration>) {
    match err {
        ApiError::InvalidArgument(_) => ("FIELD_INVALID", None),
        ApiError::NotFound(_) => ("NOT_FOUND", None),
        ApiError::AlreadyExists(_) => ("ALREADY_EXISTS", None),
        ApiError::FailedPrecondition(_) => ("STATE_CONFLICT", None),
        ApiError::PermissionDenied(_) => ("OUT_OF_SCOPE", None),
        ApiError::Unauthenticated(_) => ("TOKEN_REJECTED", None),
        ApiError::Aborted(_) => ("LOST_RACE", Some(std::time::Duration::from_millis(100))),
        ApiError::Unavailable(_) => (
            "DEPENDENCY_UNAVAILABLE",
            Some(std::time::Duration::from_secs(1)),
        ),
        ApiError::ResourceExhausted(_) => {
            ("LIMIT_REACHED", Some(std::time::Duration::from_secs(5)))
        }
        ApiError::Internal(_) => ("INTERNAL", None),
    }
}

impl From<ApiError> for Status {
    fn from(err: ApiError) -> Self {
        let (reason, retry) = reason(&err);
        let mut details = ErrorDetails::new();
        details.set_error_info(
            reason,
            ERROR_DOMAIN,
            std::collections::HashMap::<String, String>::new(),
        );
        if retry.is_some() {
            details.set_retry_info(retry);
        }
        let (code, message) = match err {
            ApiError::InvalidArgument(violations) => {
                let message = format!("invalid argument: {}", describe(&violations));
                for v in violations {
                    details.add_bad_request_violation(v.field, v.description);
                }
                (Code::InvalidArgument, message)
            }
            ApiError::NotFound(what) => (Code::NotFound, format!("{what} not found")),
            ApiError::AlreadyExists(m) => (Code::AlreadyExists, m),
            ApiError::FailedPrecondition(m) => {
                details.add_precondition_failure_violation("STATE", "", m.clone());
                (Code::FailedPrecondition, m)
            }
            ApiError::PermissionDenied(m) => (Code::PermissionDenied, m),
            ApiError::Unauthenticated(m) => (Code::Unauthenticated, m),
            ApiError::Aborted(m) => (Code::Aborted, m),
            ApiError::Unavailable(m) => (Code::Unavailable, m),
            ApiError::ResourceExhausted(m) => (Code::ResourceExhausted, m),
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                (Code::Internal, "internal error".to_owned())
            }
        };
        Status::with_error_details(code, message, details)
    }
}

/// Collects every field violation of one request, so a single answer names them all.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// Records the error of a field validator, if any, and returns its value otherwise.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidArgument(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_field_violations() {
        let mut v = Violations::new();
        v.add("resident_id", "wrong check character");
        v.add("mobile", "must have 11 digits");
        let status: Status = v.into_result().unwrap_err().into();
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let fields: Vec<_> = details
            .bad_request()
            .expect("bad request details")
            .field_violations
            .iter()
            .map(|f| f.field.clone())
            .collect();
        assert_eq!(fields, vec!["resident_id", "mobile"]);
        assert!(status.message().contains("resident_id"));
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let status: Status =
            ApiError::internal(anyhow::anyhow!("secret 110105194912310021")).into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("1101"));
    }

    #[test]
    fn every_status_names_its_reason_and_retryable_ones_say_when() {
        let cases: Vec<(ApiError, &str, bool)> = vec![
            (ApiError::invalid("f", "bad"), "FIELD_INVALID", false),
            (ApiError::NotFound("claim".into()), "NOT_FOUND", false),
            (
                ApiError::FailedPrecondition("decided".into()),
                "STATE_CONFLICT",
                false,
            ),
            (
                ApiError::PermissionDenied("no".into()),
                "OUT_OF_SCOPE",
                false,
            ),
            (ApiError::Aborted("raced".into()), "LOST_RACE", true),
            (
                ApiError::Unavailable("db".into()),
                "DEPENDENCY_UNAVAILABLE",
                true,
            ),
            (ApiError::internal(anyhow::anyhow!("x")), "INTERNAL", false),
        ];
        for (err, reason, retry) in cases {
            let status: Status = err.into();
            let details = status.get_error_details();
            let info = details.error_info().expect("ErrorInfo on every status");
            assert_eq!(
                (info.reason.as_str(), info.domain.as_str()),
                (reason, ERROR_DOMAIN)
            );
            assert_eq!(details.retry_info().is_some(), retry, "{reason}");
        }
        let conflict: Status = ApiError::FailedPrecondition("already decided".into()).into();
        let failure = conflict.get_error_details();
        let violations = &failure.precondition_failure().unwrap().violations;
        assert_eq!(violations[0].description, "already decided");
    }
}
