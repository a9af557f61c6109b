//! The events enrollment publishes on `enrollment.events.v1`. None carries a resident ID
//! number, a name or a mobile number.

use gigshield_kit::outbox::OutboxMessage;
use gigshield_kit::wire::timestamp;
use gigshield_proto::events;

use crate::domain::platform::Scope;
use crate::store::{delegation, membership, person, platform};

/// The topic of the contract; tests publish to their own.
pub const TOPIC: &str = "enrollment.events.v1";

fn industries(scope: &Scope) -> Vec<i32> {
    scope
        .industries
        .iter()
        .map(|i| i.to_proto() as i32)
        .collect()
}

pub fn platform_registered(topic: &str, p: &platform::Model, scope: &Scope) -> OutboxMessage {
    let event = events::PlatformRegistered {
        platform_id: p.id.to_string(),
        legal_name: p.legal_name.clone(),
        credit_code: p.credit_code.clone(),
        industries: industries(scope),
        province_codes: scope.provinces.iter().cloned().collect(),
        effective_from: Some(timestamp(scope.effective_from)),
    };
    OutboxMessage::new(
        topic,
        "platform",
        p.id.to_string(),
        "gigshield.events.v1.PlatformRegistered",
        &event,
    )
}

pub fn platform_updated(topic: &str, p: &platform::Model, scope: &Scope) -> OutboxMessage {
    let event = events::PlatformUpdated {
        platform_id: p.id.to_string(),
        legal_name: p.legal_name.clone(),
        industries: industries(scope),
        province_codes: scope.provinces.iter().cloned().collect(),
        effective_from: Some(timestamp(scope.effective_from)),
    };
    OutboxMessage::new(
        topic,
        "platform",
        p.id.to_string(),
        "gigshield.events.v1.PlatformUpdated",
        &event,
    )
}

pub fn worker_registered(topic: &str, m: &membership::Model, p: &person::Model) -> OutboxMessage {
    let event = events::WorkerRegistered {
        person_id: p.id.to_string(),
        platform_id: m.platform_id.to_string(),
        worker_id: m.id.to_string(),
        external_worker_id: m.external_worker_id.clone(),
        birth_year: p.birth_year,
        sex: i32::from(p.sex),
        region_code: m.region_code.clone(),
        registered_at: Some(timestamp(m.registered_at)),
    };
    OutboxMessage::new(
        topic,
        "person",
        p.id.to_string(),
        "gigshield.events.v1.WorkerRegistered",
        &event,
    )
}

pub fn worker_deregistered(topic: &str, m: &membership::Model) -> OutboxMessage {
    let event = events::WorkerDeregistered {
        person_id: m.person_id.to_string(),
        platform_id: m.platform_id.to_string(),
        worker_id: m.id.to_string(),
        external_worker_id: m.external_worker_id.clone(),
        deregistered_at: m.deregistered_at.map(timestamp),
    };
    OutboxMessage::new(
        topic,
        "person",
        m.person_id.to_string(),
        "gigshield.events.v1.WorkerDeregistered",
        &event,
    )
}

pub fn delegation_granted(topic: &str, d: &delegation::Model) -> OutboxMessage {
    let event = events::DelegationGranted {
        delegation_id: d.id.to_string(),
        grantor_person_id: d.grantor_person_id.to_string(),
        delegate_person_id: d.delegate_person_id.to_string(),
        relationship: i32::from(d.relationship),
        valid_from: Some(timestamp(d.valid_from)),
        valid_until: d.valid_until.map(timestamp),
        granted_by: d.granted_by.clone(),
        granted_at: Some(timestamp(d.granted_at)),
    };
    OutboxMessage::new(
        topic,
        "person",
        d.grantor_person_id.to_string(),
        gigshield_kit::feed::enrollment::DELEGATION_GRANTED,
        &event,
    )
}

pub fn delegation_revoked(topic: &str, d: &delegation::Model) -> OutboxMessage {
    let event = events::DelegationRevoked {
        delegation_id: d.id.to_string(),
        grantor_person_id: d.grantor_person_id.to_string(),
        delegate_person_id: d.delegate_person_id.to_string(),
        revoked_at: d.revoked_at.map(timestamp),
    };
    OutboxMessage::new(
        topic,
        "person",
        d.grantor_person_id.to_string(),
        gigshield_kit::feed::enrollment::DELEGATION_REVOKED,
        &event,
    )
}

/// The one key of calendar events: entries arrive in the order they were recorded.
pub const SCHEME_CALENDAR_KEY: &str = "scheme-calendar";

pub fn scheme_rule_added(topic: &str, entry: &gigshield_scheme::rules::Entry) -> OutboxMessage {
    let event = events::SchemeRuleAdded {
        entry: Some(gigshield_scheme::rules::entry_to_proto(entry)),
    };
    OutboxMessage::new(
        topic,
        "scheme_calendar",
        SCHEME_CALENDAR_KEY.to_string(),
        gigshield_kit::feed::enrollment::SCHEME_RULE_ADDED,
        &event,
    )
}
