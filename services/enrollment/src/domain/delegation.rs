//! Delegations: a close relative acts for a worker — reports and follows incidents and claims,
//! applies, appeals — only while the worker's (or an operator's) grant is in force. Without
//! one, a worker token acts only for its own person.

use chrono::{DateTime, Utc};
use gigshield_kit::error::FieldViolation;
use gigshield_proto::common::Relationship;

/// Longest operator's reason, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantedBy {
    /// The grantor themself.
    Worker,
    /// An operator, after checking documents (the worker may have died or be unable to act).
    Operator,
}

impl GrantedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantedBy::Worker => "WORKER",
            GrantedBy::Operator => "OPERATOR",
        }
    }
}

pub struct GrantInput<'a> {
    pub granted_by: GrantedBy,
    pub relationship: i32,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub reason: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidGrant {
    pub relationship: Relationship,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub reason: String,
}

pub fn validate(
    input: &GrantInput<'_>,
    now: DateTime<Utc>,
) -> Result<ValidGrant, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut fail = |field: &str, description: &str| {
        violations.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        })
    };
    let relationship = match Relationship::try_from(input.relationship) {
        Ok(Relationship::Unspecified) | Err(_) => {
            fail(
                "relationship",
                "is required: how the delegate stands to the worker",
            );
            None
        }
        Ok(r) => Some(r),
    };
    let valid_from = input.valid_from.unwrap_or(now);
    if input.valid_until.is_some_and(|until| until <= valid_from) {
        fail("valid_until", "must be after valid_from");
    }
    let reason = input.reason.trim();
    if input.granted_by == GrantedBy::Operator && reason.is_empty() {
        fail(
            "reason",
            "is required from an operator: which documents were checked",
        );
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        fail("reason", "is too long");
    }
    match relationship {
        Some(relationship) if violations.is_empty() => Ok(ValidGrant {
            relationship,
            valid_from,
            valid_until: input.valid_until,
            reason: reason.to_string(),
        }),
        _ => Err(violations),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(granted_by: GrantedBy, relationship: Relationship, reason: &str) -> GrantInput<'_> {
        GrantInput {
            granted_by,
            relationship: relationship as i32,
            valid_from: None,
            valid_until: None,
            reason,
        }
    }

    #[test]
    fn a_worker_grants_without_a_reason_an_operator_with_one() {
        let now = Utc::now();
        let grant = validate(&input(GrantedBy::Worker, Relationship::Spouse, ""), now).unwrap();
        assert_eq!(grant.valid_from, now);
        assert_eq!(grant.valid_until, None);
        let err =
            validate(&input(GrantedBy::Operator, Relationship::Parent, " "), now).unwrap_err();
        assert_eq!(err[0].field, "reason");
        assert!(
            validate(
                &input(
                    GrantedBy::Operator,
                    Relationship::Parent,
                    "death certificate"
                ),
                now
            )
            .is_ok()
        );
    }

    #[test]
    fn a_relationship_and_a_forward_interval_are_required() {
        let now = Utc::now();
        let err = validate(
            &input(GrantedBy::Worker, Relationship::Unspecified, ""),
            now,
        )
        .unwrap_err();
        assert_eq!(err[0].field, "relationship");
        let backwards = GrantInput {
            valid_until: Some(now - chrono::Duration::days(1)),
            ..input(GrantedBy::Worker, Relationship::Child, "")
        };
        assert_eq!(
            validate(&backwards, now).unwrap_err()[0].field,
            "valid_until"
        );
    }
}
