//! `claims.events.v1` as the other services read it: which insurer handles which case. An
//! insurer (and its adjusters) may read the incident, the person and the orders of a case
//! routed to it, in every service; these assignments are how the other services know.

use chrono::{DateTime, Utc};
use gigshield_proto::events;
use uuid::Uuid;

use super::{field_instant, field_uuid, optional_uuid};
use crate::consumer::HandlerError;
use crate::envelope::Envelope;

pub const CLAIM_OPENED: &str = "gigshield.events.v1.ClaimOpened";
pub const CLAIM_ROUTED: &str = "gigshield.events.v1.ClaimRouted";

/// A claim's current handler. A claim routed again replaces its insurer; `None` means the
/// agency's own adjusters handle it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseAssignment {
    pub claim_id: Uuid,
    /// Known from `ClaimOpened`; a later routing keeps it.
    pub incident_id: Option<Uuid>,
    pub person_id: Uuid,
    pub insurer_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimsChange {
    Assigned(CaseAssignment),
    Other,
}

impl ClaimsChange {
    pub fn decode(event: &Envelope) -> Result<Self, HandlerError> {
        Ok(match event.event_type.as_str() {
            CLAIM_OPENED => {
                let e: events::ClaimOpened = event.decode(CLAIM_OPENED)?;
                Self::Assigned(CaseAssignment {
                    claim_id: field_uuid("claim_id", &e.claim_id)?,
                    incident_id: Some(field_uuid("incident_id", &e.incident_id)?),
                    person_id: field_uuid("person_id", &e.person_id)?,
                    insurer_id: optional_uuid("insurer_id", &e.insurer_id)?,
                    at: field_instant("opened_at", e.opened_at.as_ref())?,
                })
            }
            CLAIM_ROUTED => {
                let e: events::ClaimRouted = event.decode(CLAIM_ROUTED)?;
                Self::Assigned(CaseAssignment {
                    claim_id: field_uuid("claim_id", &e.claim_id)?,
                    incident_id: None,
                    person_id: field_uuid("person_id", &e.person_id)?,
                    insurer_id: optional_uuid("insurer_id", &e.insurer_id)?,
                    at: field_instant("routed_at", e.routed_at.as_ref())?,
                })
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
            source: "//gigshield/claims".into(),
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
    fn openings_and_routings_assign_and_an_empty_insurer_is_the_agency() {
        let (claim, incident, person, insurer) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let opened = events::ClaimOpened {
            claim_id: claim.to_string(),
            incident_id: incident.to_string(),
            person_id: person.to_string(),
            insurer_id: insurer.to_string(),
            opened_at: Some(wire::timestamp(Utc::now())),
            ..Default::default()
        };
        match ClaimsChange::decode(&envelope(CLAIM_OPENED, opened.encode_to_vec())).unwrap() {
            ClaimsChange::Assigned(a) => {
                assert_eq!(a.incident_id, Some(incident));
                assert_eq!(a.insurer_id, Some(insurer));
            }
            other => panic!("{other:?}"),
        }
        let routed = events::ClaimRouted {
            claim_id: claim.to_string(),
            person_id: person.to_string(),
            insurer_id: String::new(),
            routed_at: Some(wire::timestamp(Utc::now())),
            ..Default::default()
        };
        match ClaimsChange::decode(&envelope(CLAIM_ROUTED, routed.encode_to_vec())).unwrap() {
            ClaimsChange::Assigned(a) => {
                assert_eq!(a.incident_id, None);
                assert_eq!(a.insurer_id, None);
            }
            other => panic!("{other:?}"),
        }
        let bad = events::ClaimRouted {
            insurer_id: "nope".into(),
            ..routed
        };
        assert!(matches!(
            ClaimsChange::decode(&envelope(CLAIM_ROUTED, bad.encode_to_vec())),
            Err(HandlerError::Permanent(_))
        ));
        assert_eq!(
            ClaimsChange::decode(&envelope("gigshield.events.v1.PayoutIssued", vec![])).unwrap(),
            ClaimsChange::Other
        );
    }
}
