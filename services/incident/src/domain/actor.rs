//! Who acts on an incident and in which capacity.
//!
//! A close relative (近亲属) has no role of their own: they hold a worker token of their own
//! person and act for the injured worker, stating the relationship when they report. From then
//! on the incident remembers them as its reporter, and that is what lets them act on it again.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::stored_names;

/// The close relatives who may act for an injured worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    Spouse,
    Parent,
    Child,
    Sibling,
    Grandparent,
    Grandchild,
}

stored_names!(Relationship {
    Spouse => "spouse",
    Parent => "parent",
    Child => "child",
    Sibling => "sibling",
    Grandparent => "grandparent",
    Grandchild => "grandchild",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Platform,
    Worker,
    CloseRelative,
    Operator,
}

stored_names!(ActorKind {
    Platform => "platform",
    Worker => "worker",
    CloseRelative => "close_relative",
    Operator => "operator",
});

/// One party's part in an incident's history: who reported, amended, added evidence, filed or
/// withdrew. Stored as JSON beside each record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    /// The token's subject, for the audit trail.
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<Uuid>,
    /// The worker, or the relative's own person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<Relationship>,
}

impl Actor {
    pub fn platform(subject: &str, platform_id: Uuid) -> Self {
        Self {
            kind: ActorKind::Platform,
            subject: subject.to_string(),
            platform_id: Some(platform_id),
            person_id: None,
            relationship: None,
        }
    }

    pub fn worker(subject: &str, person_id: Uuid) -> Self {
        Self {
            kind: ActorKind::Worker,
            subject: subject.to_string(),
            platform_id: None,
            person_id: Some(person_id),
            relationship: None,
        }
    }

    pub fn close_relative(subject: &str, person_id: Uuid, relationship: Relationship) -> Self {
        Self {
            kind: ActorKind::CloseRelative,
            subject: subject.to_string(),
            platform_id: None,
            person_id: Some(person_id),
            relationship: Some(relationship),
        }
    }

    pub fn operator(subject: &str) -> Self {
        Self {
            kind: ActorKind::Operator,
            subject: subject.to_string(),
            platform_id: None,
            person_id: None,
            relationship: None,
        }
    }

    /// Whether this actor is a close relative acting as the person `person_id`.
    pub fn is_relative(&self, person_id: Uuid) -> bool {
        self.kind == ActorKind::CloseRelative && self.person_id == Some(person_id)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an actor always serialises")
    }

    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_round_trip_through_json() {
        let relative = Actor::close_relative("app", Uuid::now_v7(), Relationship::Spouse);
        let json = relative.to_json();
        assert!(json.contains("\"close_relative\"") && json.contains("\"spouse\""));
        assert_eq!(Actor::from_json(&json).unwrap(), relative);
        let platform = Actor::platform("backend", Uuid::now_v7());
        assert!(!platform.to_json().contains("person_id"));
        assert_eq!(Actor::from_json(&platform.to_json()).unwrap(), platform);
    }

    #[test]
    fn stored_names_round_trip() {
        for r in Relationship::ALL {
            assert_eq!(Relationship::parse_stored(r.as_str()), Ok(*r));
        }
        for k in ActorKind::ALL {
            assert_eq!(ActorKind::parse_stored(k.as_str()), Ok(*k));
        }
        assert!(ActorKind::parse_stored("insurer").is_err());
    }
}
