//! `enrollment.events.v1` as its consumers read it. Premium, incident and claims each keep a
//! replica of memberships (and some of platform scopes) and of delegations; the event names,
//! the field checks and what a malformed event means are the same for all of them, so they are
//! decoded once, here, into typed changes each replica applies to its own tables.

use chrono::{DateTime, Utc};
use gigshield_proto::events;
use uuid::Uuid;

use super::{field_instant, field_uuid, optional_instant};
use crate::consumer::HandlerError;
use crate::envelope::Envelope;

pub const PLATFORM_REGISTERED: &str = "gigshield.events.v1.PlatformRegistered";
pub const PLATFORM_UPDATED: &str = "gigshield.events.v1.PlatformUpdated";
pub const WORKER_REGISTERED: &str = "gigshield.events.v1.WorkerRegistered";
pub const WORKER_DEREGISTERED: &str = "gigshield.events.v1.WorkerDeregistered";
pub const DELEGATION_GRANTED: &str = "gigshield.events.v1.DelegationGranted";
pub const DELEGATION_REVOKED: &str = "gigshield.events.v1.DelegationRevoked";
pub const SCHEME_RULE_ADDED: &str = "gigshield.events.v1.SchemeRuleAdded";

/// A person's membership with a platform began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipStarted {
    pub worker_id: Uuid,
    pub person_id: Uuid,
    pub platform_id: Uuid,
    pub external_worker_id: String,
    pub registered_at: DateTime<Utc>,
}

/// A membership ended; at that instant the person is no longer registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipEnded {
    pub worker_id: Uuid,
    pub deregistered_at: DateTime<Utc>,
}

/// A platform's industries and provinces from `effective_from` on (a registration or an
/// update: earlier scopes stay valid for their time). Codes as published; each replica
/// normalises what it stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformScope {
    pub platform_id: Uuid,
    pub effective_from: DateTime<Utc>,
    pub industries: Vec<i32>,
    pub province_codes: Vec<String>,
}

/// A close relative may act for a person from `valid_from` until `valid_until` (or a
/// revocation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationGranted {
    pub delegation_id: Uuid,
    pub grantor_person_id: Uuid,
    pub delegate_person_id: Uuid,
    /// The relationship as its protobuf number (`gigshield.common.v1.Relationship`).
    pub relationship: i32,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationRevoked {
    pub delegation_id: Uuid,
    pub revoked_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollmentChange {
    MembershipStarted(MembershipStarted),
    MembershipEnded(MembershipEnded),
    PlatformScope(PlatformScope),
    DelegationGranted(DelegationGranted),
    DelegationRevoked(DelegationRevoked),
    /// An operator added a rule to the scheme calendar.
    SchemeRule(Box<gigshield_scheme::rules::Entry>),
    /// An event type no replica needs (the contract is additive).
    Other,
}

impl EnrollmentChange {
    /// Decodes one event; a malformed payload or field is a permanent error (the kit's
    /// consumer records it as rejected rather than retrying forever).
    pub fn decode(event: &Envelope) -> Result<Self, HandlerError> {
        Ok(match event.event_type.as_str() {
            WORKER_REGISTERED => {
                let e: events::WorkerRegistered = event.decode(WORKER_REGISTERED)?;
                Self::MembershipStarted(MembershipStarted {
                    worker_id: field_uuid("worker_id", &e.worker_id)?,
                    person_id: field_uuid("person_id", &e.person_id)?,
                    platform_id: field_uuid("platform_id", &e.platform_id)?,
                    external_worker_id: e.external_worker_id,
                    registered_at: field_instant("registered_at", e.registered_at.as_ref())?,
                })
            }
            WORKER_DEREGISTERED => {
                let e: events::WorkerDeregistered = event.decode(WORKER_DEREGISTERED)?;
                Self::MembershipEnded(MembershipEnded {
                    worker_id: field_uuid("worker_id", &e.worker_id)?,
                    deregistered_at: field_instant("deregistered_at", e.deregistered_at.as_ref())?,
                })
            }
            PLATFORM_REGISTERED => {
                let e: events::PlatformRegistered = event.decode(PLATFORM_REGISTERED)?;
                Self::PlatformScope(PlatformScope {
                    platform_id: field_uuid("platform_id", &e.platform_id)?,
                    effective_from: field_instant("effective_from", e.effective_from.as_ref())?,
                    industries: e.industries,
                    province_codes: e.province_codes,
                })
            }
            PLATFORM_UPDATED => {
                let e: events::PlatformUpdated = event.decode(PLATFORM_UPDATED)?;
                Self::PlatformScope(PlatformScope {
                    platform_id: field_uuid("platform_id", &e.platform_id)?,
                    effective_from: field_instant("effective_from", e.effective_from.as_ref())?,
                    industries: e.industries,
                    province_codes: e.province_codes,
                })
            }
            DELEGATION_GRANTED => {
                let e: events::DelegationGranted = event.decode(DELEGATION_GRANTED)?;
                Self::DelegationGranted(DelegationGranted {
                    delegation_id: field_uuid("delegation_id", &e.delegation_id)?,
                    grantor_person_id: field_uuid("grantor_person_id", &e.grantor_person_id)?,
                    delegate_person_id: field_uuid("delegate_person_id", &e.delegate_person_id)?,
                    relationship: e.relationship,
                    valid_from: field_instant("valid_from", e.valid_from.as_ref())?,
                    valid_until: optional_instant("valid_until", e.valid_until.as_ref())?,
                })
            }
            DELEGATION_REVOKED => {
                let e: events::DelegationRevoked = event.decode(DELEGATION_REVOKED)?;
                Self::DelegationRevoked(DelegationRevoked {
                    delegation_id: field_uuid("delegation_id", &e.delegation_id)?,
                    revoked_at: field_instant("revoked_at", e.revoked_at.as_ref())?,
                })
            }
            SCHEME_RULE_ADDED => {
                let e: events::SchemeRuleAdded = event.decode(SCHEME_RULE_ADDED)?;
                let entry = e.entry.as_ref().ok_or_else(|| {
                    HandlerError::Permanent("SchemeRuleAdded without an entry".into())
                })?;
                let entry = gigshield_scheme::rules::entry_from_proto(entry)
                    .map_err(|e| HandlerError::Permanent(format!("SchemeRuleAdded: {e}")))?;
                Self::SchemeRule(Box::new(entry))
            }
            _ => Self::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire;
    use prost::Message;

    fn envelope(event_type: &str, payload: Vec<u8>) -> Envelope {
        Envelope {
            id: Uuid::now_v7().to_string(),
            source: "//gigshield/enrollment".into(),
            event_type: event_type.into(),
            time: Utc::now(),
            subject: None,
            traceparent: None,
            payload,
            topic: String::new(),
            partition: 0,
            offset: 0,
        }
    }

    #[test]
    fn a_registration_decodes_with_every_field_checked() {
        let worker_id = Uuid::now_v7();
        let at = "2026-10-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let good = events::WorkerRegistered {
            worker_id: worker_id.to_string(),
            person_id: Uuid::now_v7().to_string(),
            platform_id: Uuid::now_v7().to_string(),
            external_worker_id: "r-1".into(),
            registered_at: Some(wire::timestamp(at)),
            ..Default::default()
        };
        match EnrollmentChange::decode(&envelope(WORKER_REGISTERED, good.encode_to_vec())).unwrap()
        {
            EnrollmentChange::MembershipStarted(m) => {
                assert_eq!(m.worker_id, worker_id);
                assert_eq!(m.registered_at, at);
            }
            other => panic!("{other:?}"),
        }
        let no_time = events::WorkerRegistered {
            registered_at: None,
            ..good.clone()
        };
        let err = EnrollmentChange::decode(&envelope(WORKER_REGISTERED, no_time.encode_to_vec()))
            .unwrap_err();
        assert!(
            matches!(&err, HandlerError::Permanent(m) if m.contains("registered_at")),
            "{err}"
        );
        let bad_id = events::WorkerRegistered {
            person_id: "nope".into(),
            ..good
        };
        let err = EnrollmentChange::decode(&envelope(WORKER_REGISTERED, bad_id.encode_to_vec()))
            .unwrap_err();
        assert!(
            matches!(&err, HandlerError::Permanent(m) if m.contains("person_id")),
            "{err}"
        );
    }

    #[test]
    fn unknown_types_are_other_and_garbage_is_permanent() {
        assert_eq!(
            EnrollmentChange::decode(&envelope("gigshield.events.v1.Future", vec![1, 2])).unwrap(),
            EnrollmentChange::Other
        );
        assert!(matches!(
            EnrollmentChange::decode(&envelope(WORKER_DEREGISTERED, vec![0xff, 0xff, 0xff])),
            Err(HandlerError::Permanent(_))
        ));
    }
}
