//! The events incident publishes on `incident.events.v1`, keyed by the injured worker's
//! person_id.
//!
//! None carries free text (description, reasons, late-filing explanation) or an evidence URI:
//! descriptions are health data, the topic is kept for 400 days and read by every consumer,
//! and none needs the words to act. Readers with a role for them (adjusters, insurers) call
//! `GetIncident`. The builders take domain values, not request messages, so nothing a caller
//! typed reaches an event by accident.

use chrono::{DateTime, Utc};
use gigshield_kit::outbox::OutboxMessage;
use gigshield_kit::wire::timestamp;
use gigshield_proto::events;
use gigshield_proto::incident as pb;
use uuid::Uuid;

use crate::api::convert;
use crate::domain::actor::{Actor, ActorKind};
use crate::domain::amendment::FactField;
use crate::domain::deadline::Timeliness;
use crate::domain::evidence::ValidEvidence;
use crate::domain::facts::{Channel, Facts};
use crate::domain::statement::Disputes;

pub const INCIDENT_REPORTED: &str = "gigshield.events.v1.IncidentReported";
pub const INCIDENT_AMENDED: &str = "gigshield.events.v1.IncidentAmended";
pub const EVIDENCE_ATTACHED: &str = "gigshield.events.v1.EvidenceAttached";
pub const APPLICATION_FILED: &str = "gigshield.events.v1.ApplicationFiled";
pub const INCIDENT_WITHDRAWN: &str = "gigshield.events.v1.IncidentWithdrawn";
pub const STATEMENT_ADDED: &str = "gigshield.events.v1.StatementAdded";

/// What every event says about the incident it concerns.
#[derive(Debug, Clone)]
pub struct About {
    pub incident_id: Uuid,
    pub person_id: Uuid,
    pub platform_id: Option<Uuid>,
    pub external_worker_id: Option<String>,
}

impl About {
    fn platform_id(&self) -> String {
        self.platform_id.map(|p| p.to_string()).unwrap_or_default()
    }

    fn message<M: prost::Message>(
        &self,
        topic: &str,
        event_type: &'static str,
        event: &M,
    ) -> OutboxMessage {
        OutboxMessage::new(
            topic,
            "person",
            self.person_id.to_string(),
            event_type,
            event,
        )
    }
}

fn kind(kind: ActorKind) -> i32 {
    convert::actor_kind(kind) as i32
}

pub fn facts_summary(facts: &Facts) -> events::IncidentFactsSummary {
    events::IncidentFactsSummary {
        occurred_at: Some(timestamp(facts.occurred_at)),
        region_code: facts.place.region.as_str().to_string(),
        province_code: facts.place.region.province().to_string(),
        order_id: facts.order_id.clone().unwrap_or_default(),
        category: convert::category(facts.category) as i32,
        worker_fault_share: facts
            .fault
            .map_or(pb::WorkerFaultShare::Unspecified, convert::fault)
            as i32,
        severity: convert::severity(facts.severity) as i32,
        died_at: facts.died_at.map(timestamp),
        exclusions: Some(convert::exclusions(facts.exclusions)),
    }
}

pub struct Reported<'a> {
    pub about: &'a About,
    pub reported_by: &'a Actor,
    pub channel: Channel,
    pub facts: &'a Facts,
    pub reported_at: DateTime<Utc>,
    pub outside_platform_provinces: bool,
}

pub fn incident_reported(topic: &str, r: Reported<'_>) -> OutboxMessage {
    let event = events::IncidentReported {
        incident_id: r.about.incident_id.to_string(),
        person_id: r.about.person_id.to_string(),
        platform_id: r.about.platform_id(),
        external_worker_id: r.about.external_worker_id.clone().unwrap_or_default(),
        reported_by: kind(r.reported_by.kind),
        relationship: r
            .reported_by
            .relationship
            .map_or(pb::Relationship::Unspecified, convert::relationship)
            as i32,
        channel: convert::channel(r.channel) as i32,
        facts: Some(facts_summary(r.facts)),
        reported_at: Some(timestamp(r.reported_at)),
        outside_platform_provinces: r.outside_platform_provinces,
    };
    r.about.message(topic, INCIDENT_REPORTED, &event)
}

pub struct Amended<'a> {
    pub about: &'a About,
    pub number: i32,
    pub changed: &'a [FactField],
    pub facts: &'a Facts,
    pub amended_by: &'a Actor,
    pub amended_at: DateTime<Utc>,
    pub outside_platform_provinces: bool,
}

pub fn incident_amended(topic: &str, a: Amended<'_>) -> OutboxMessage {
    let event = events::IncidentAmended {
        incident_id: a.about.incident_id.to_string(),
        person_id: a.about.person_id.to_string(),
        platform_id: a.about.platform_id(),
        amendment_number: a.number,
        changed_fields: a.changed.iter().map(|f| f.path().to_string()).collect(),
        facts: Some(facts_summary(a.facts)),
        amended_by: kind(a.amended_by.kind),
        amended_at: Some(timestamp(a.amended_at)),
        outside_platform_provinces: a.outside_platform_provinces,
    };
    a.about.message(topic, INCIDENT_AMENDED, &event)
}

pub fn evidence_attached(
    topic: &str,
    about: &About,
    items: &[(Uuid, ValidEvidence)],
    added_by: &Actor,
    added_at: DateTime<Utc>,
    evidence_count: i32,
) -> OutboxMessage {
    let event = events::EvidenceAttached {
        incident_id: about.incident_id.to_string(),
        person_id: about.person_id.to_string(),
        platform_id: about.platform_id(),
        evidence: items
            .iter()
            .map(|(id, item)| events::EvidenceSummary {
                evidence_id: id.to_string(),
                sha256: item.sha256.clone(),
                media_type: item.media_type.clone(),
                size_bytes: item.size_bytes,
            })
            .collect(),
        added_by: kind(added_by.kind),
        added_at: Some(timestamp(added_at)),
        evidence_count,
    };
    about.message(topic, EVIDENCE_ATTACHED, &event)
}

pub struct Filed<'a> {
    pub about: &'a About,
    pub facts: &'a Facts,
    pub filed_by: &'a Actor,
    pub filed_at: DateTime<Utc>,
    pub timeliness: Timeliness,
    pub has_late_explanation: bool,
    pub reported_at: DateTime<Utc>,
    pub evidence_count: i32,
    pub outside_platform_provinces: bool,
    /// The facts the platform's statements dispute.
    pub platform_disputes: Vec<String>,
}

pub fn application_filed(topic: &str, f: Filed<'_>) -> OutboxMessage {
    let event = events::ApplicationFiled {
        incident_id: f.about.incident_id.to_string(),
        person_id: f.about.person_id.to_string(),
        platform_id: f.about.platform_id(),
        external_worker_id: f.about.external_worker_id.clone().unwrap_or_default(),
        facts: Some(facts_summary(f.facts)),
        filed_by: kind(f.filed_by.kind),
        relationship: f
            .filed_by
            .relationship
            .map_or(pb::Relationship::Unspecified, convert::relationship)
            as i32,
        filed_at: Some(timestamp(f.filed_at)),
        deadline_days: convert::days(f.timeliness.deadline_days),
        days_after_accident: convert::days(f.timeliness.days_after_accident),
        late: f.timeliness.late,
        has_late_explanation: f.has_late_explanation,
        reported_at: Some(timestamp(f.reported_at)),
        evidence_count: f.evidence_count,
        outside_platform_provinces: f.outside_platform_provinces,
        platform_disputes: f.platform_disputes,
    };
    f.about.message(topic, APPLICATION_FILED, &event)
}

pub fn incident_withdrawn(
    topic: &str,
    about: &About,
    withdrawn_by: &Actor,
    withdrawn_at: DateTime<Utc>,
    application_filed: bool,
) -> OutboxMessage {
    let event = events::IncidentWithdrawn {
        incident_id: about.incident_id.to_string(),
        person_id: about.person_id.to_string(),
        platform_id: about.platform_id(),
        withdrawn_by: kind(withdrawn_by.kind),
        withdrawn_at: Some(timestamp(withdrawn_at)),
        application_filed,
    };
    about.message(topic, INCIDENT_WITHDRAWN, &event)
}

/// The platform's statement's disputes (its text stays here).
pub fn statement_added(
    topic: &str,
    about: &About,
    statement_id: Uuid,
    disputes: &Disputes,
    added_at: DateTime<Utc>,
) -> OutboxMessage {
    let event = events::StatementAdded {
        incident_id: about.incident_id.to_string(),
        person_id: about.person_id.to_string(),
        platform_id: about.platform_id(),
        statement_id: statement_id.to_string(),
        disputed: disputes.names().iter().map(|n| n.to_string()).collect(),
        added_at: Some(timestamp(added_at)),
    };
    about.message(topic, STATEMENT_ADDED, &event)
}
