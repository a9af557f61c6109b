//! Protobuf ↔ domain values. Enum numbers from the wire become domain values or a field
//! violation naming the field; nothing here decides a rule.

use gigshield_kit::{Violations, wire};
use gigshield_proto::incident as pb;

use crate::domain::actor::{ActorKind, Relationship};
use crate::domain::facts::{
    CauseCategory, Channel, Exclusions, FactsInput, FaultShare, PlaceInput, Severity,
};
use crate::domain::lifecycle::IncidentStatus;
use crate::domain::text::SensitiveText;

pub fn category(c: CauseCategory) -> pb::CauseCategory {
    match c {
        CauseCategory::TrafficAccident => pb::CauseCategory::TrafficAccident,
        CauseCategory::Fall => pb::CauseCategory::Fall,
        CauseCategory::Violence => pb::CauseCategory::Violence,
        CauseCategory::SuddenIllness => pb::CauseCategory::SuddenIllness,
        CauseCategory::Other => pb::CauseCategory::Other,
    }
}

pub fn fault(f: FaultShare) -> pb::WorkerFaultShare {
    match f {
        FaultShare::Undetermined => pb::WorkerFaultShare::Undetermined,
        FaultShare::None => pb::WorkerFaultShare::None,
        FaultShare::Minor => pb::WorkerFaultShare::Minor,
        FaultShare::Equal => pb::WorkerFaultShare::Equal,
        FaultShare::Main => pb::WorkerFaultShare::Main,
        FaultShare::Full => pb::WorkerFaultShare::Full,
    }
}

pub fn severity(s: Severity) -> pb::Severity {
    match s {
        Severity::Outpatient => pb::Severity::Outpatient,
        Severity::Hospitalised => pb::Severity::Hospitalised,
        Severity::Death => pb::Severity::Death,
        Severity::Missing => pb::Severity::Missing,
    }
}

pub fn channel(c: Channel) -> pb::Channel {
    match c {
        Channel::App => pb::Channel::App,
        Channel::Phone => pb::Channel::Phone,
        Channel::Counter => pb::Channel::Counter,
    }
}

pub fn relationship(r: Relationship) -> pb::Relationship {
    match r {
        Relationship::Spouse => pb::Relationship::Spouse,
        Relationship::Parent => pb::Relationship::Parent,
        Relationship::Child => pb::Relationship::Child,
        Relationship::Sibling => pb::Relationship::Sibling,
        Relationship::Grandparent => pb::Relationship::Grandparent,
        Relationship::Grandchild => pb::Relationship::Grandchild,
    }
}

pub fn actor_kind(k: ActorKind) -> pb::ActorKind {
    match k {
        ActorKind::Platform => pb::ActorKind::Platform,
        ActorKind::Worker => pb::ActorKind::Worker,
        ActorKind::CloseRelative => pb::ActorKind::CloseRelative,
        ActorKind::Operator => pb::ActorKind::Operator,
    }
}

pub fn status(s: IncidentStatus) -> pb::IncidentStatus {
    match s {
        IncidentStatus::Reported => pb::IncidentStatus::Reported,
        IncidentStatus::ApplicationFiled => pb::IncidentStatus::ApplicationFiled,
        IncidentStatus::Withdrawn => pb::IncidentStatus::Withdrawn,
    }
}

pub fn exclusions(e: Exclusions) -> pb::ExclusionFlags {
    pb::ExclusionFlags {
        intentional_crime: e.intentional_crime,
        intoxication_or_drugs: e.intoxication_or_drugs,
        self_harm: e.self_harm,
    }
}

/// Day counts fit an int32 on the wire; a count beyond it (a bogus clock) saturates.
pub fn days(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Reads an enum field: `Ok(None)` when unspecified, a violation when the number is unknown.
fn choice<P, D>(
    v: &mut Violations,
    field: &str,
    raw: i32,
    unspecified: P,
    map: impl Fn(P) -> Option<D>,
) -> Option<D>
where
    P: TryFrom<i32> + PartialEq,
{
    match P::try_from(raw) {
        Ok(p) if p == unspecified => None,
        Ok(p) => map(p),
        Err(_) => {
            v.add(field, format!("unknown value {raw}"));
            None
        }
    }
}

/// A delegation's relationship (`gigshield.common.v1.Relationship`, the same numbers as
/// incident's own enum).
pub fn relationship_of_delegation(raw: i32) -> Option<Relationship> {
    relationship_in(&mut Violations::new(), "relationship", raw)
}

pub fn relationship_in(v: &mut Violations, field: &str, raw: i32) -> Option<Relationship> {
    choice(v, field, raw, pb::Relationship::Unspecified, |r| match r {
        pb::Relationship::Unspecified => None,
        pb::Relationship::Spouse => Some(Relationship::Spouse),
        pb::Relationship::Parent => Some(Relationship::Parent),
        pb::Relationship::Child => Some(Relationship::Child),
        pb::Relationship::Sibling => Some(Relationship::Sibling),
        pb::Relationship::Grandparent => Some(Relationship::Grandparent),
        pb::Relationship::Grandchild => Some(Relationship::Grandchild),
    })
}

pub fn channel_in(v: &mut Violations, field: &str, raw: i32) -> Option<Channel> {
    choice(v, field, raw, pb::Channel::Unspecified, |c| match c {
        pb::Channel::Unspecified => None,
        pb::Channel::App => Some(Channel::App),
        pb::Channel::Phone => Some(Channel::Phone),
        pb::Channel::Counter => Some(Channel::Counter),
    })
}

pub fn status_in(v: &mut Violations, field: &str, raw: i32) -> Option<IncidentStatus> {
    choice(
        v,
        field,
        raw,
        pb::IncidentStatus::Unspecified,
        |s| match s {
            pb::IncidentStatus::Unspecified => None,
            pb::IncidentStatus::Reported => Some(IncidentStatus::Reported),
            pb::IncidentStatus::ApplicationFiled => Some(IncidentStatus::ApplicationFiled),
            pb::IncidentStatus::Withdrawn => Some(IncidentStatus::Withdrawn),
        },
    )
}

/// An optional timestamp; an unrepresentable one is a violation.
pub fn instant(
    v: &mut Violations,
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    match wire::datetime(field, value) {
        Ok(at) => at,
        Err(_) => {
            v.add(field, "is not a valid timestamp");
            None
        }
    }
}

/// The facts of a request as domain input; unreadable values become violations under
/// `prefix` (`facts.`).
pub fn fault_in(v: &mut Violations, field: &str, raw: i32) -> Option<FaultShare> {
    choice(
        v,
        field,
        raw,
        pb::WorkerFaultShare::Unspecified,
        |s| match s {
            pb::WorkerFaultShare::Unspecified => None,
            pb::WorkerFaultShare::Undetermined => Some(FaultShare::Undetermined),
            pb::WorkerFaultShare::None => Some(FaultShare::None),
            pb::WorkerFaultShare::Minor => Some(FaultShare::Minor),
            pb::WorkerFaultShare::Equal => Some(FaultShare::Equal),
            pb::WorkerFaultShare::Main => Some(FaultShare::Main),
            pb::WorkerFaultShare::Full => Some(FaultShare::Full),
        },
    )
}

pub fn facts_in(v: &mut Violations, prefix: &str, facts: Option<&pb::IncidentFacts>) -> FactsInput {
    let default = pb::IncidentFacts::default();
    let f = facts.unwrap_or(&default);
    let field = |name: &str| format!("{prefix}{name}");
    let occurred_at = instant(v, &field("occurred_at"), f.occurred_at.as_ref());
    let died_at = instant(v, &field("died_at"), f.died_at.as_ref());
    let category = choice(
        v,
        &field("category"),
        f.category,
        pb::CauseCategory::Unspecified,
        |c| match c {
            pb::CauseCategory::Unspecified => None,
            pb::CauseCategory::TrafficAccident => Some(CauseCategory::TrafficAccident),
            pb::CauseCategory::Fall => Some(CauseCategory::Fall),
            pb::CauseCategory::Violence => Some(CauseCategory::Violence),
            pb::CauseCategory::SuddenIllness => Some(CauseCategory::SuddenIllness),
            pb::CauseCategory::Other => Some(CauseCategory::Other),
        },
    );
    let fault = fault_in(v, &field("worker_fault_share"), f.worker_fault_share);
    let severity = choice(
        v,
        &field("severity"),
        f.severity,
        pb::Severity::Unspecified,
        |s| match s {
            pb::Severity::Unspecified => None,
            pb::Severity::Outpatient => Some(Severity::Outpatient),
            pb::Severity::Hospitalised => Some(Severity::Hospitalised),
            pb::Severity::Death => Some(Severity::Death),
            pb::Severity::Missing => Some(Severity::Missing),
        },
    );
    let exclusions = f.exclusions.unwrap_or_default();
    FactsInput {
        occurred_at,
        place: f.place.as_ref().map(|p| PlaceInput {
            latitude: p.latitude,
            longitude: p.longitude,
            region_code: p.region_code.trim().to_string(),
        }),
        order_id: f.order_id.clone(),
        category,
        fault,
        severity,
        description: SensitiveText::new(f.description.clone()),
        died_at,
        exclusions: Exclusions {
            intentional_crime: exclusions.intentional_crime,
            intoxication_or_drugs: exclusions.intoxication_or_drugs,
            self_harm: exclusions.self_harm,
        },
    }
}
