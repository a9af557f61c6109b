//! Store rows as API messages, masked for whoever asks.

use gigshield_kit::pii::{PiiVault, Sealed};
use gigshield_kit::{ApiError, Principal, Role};
use gigshield_proto::enrollment as pb;

use crate::domain::platform::{Scope, scope_at};
use crate::store::{membership, person, platform};
use gigshield_kit::wire::timestamp;

pub const RESIDENT_ID_CONTEXT: &[u8] = b"person.resident_id";
pub const MOBILE_CONTEXT: &[u8] = b"membership.mobile";

/// Only the person themself sees their own numbers unmasked.
fn is_self(viewer: &Principal, person: &person::Model) -> bool {
    matches!(viewer.role, Role::Worker { person_id } if person_id == person.id)
}

fn open(vault: &PiiVault, key_id: &str, blob: &[u8], context: &[u8]) -> Result<String, ApiError> {
    vault
        .open(
            &Sealed {
                key_id: key_id.to_string(),
                blob: blob.to_vec(),
            },
            context,
        )
        .map_err(ApiError::internal)
}

pub fn worker(
    m: &membership::Model,
    p: &person::Model,
    viewer: &Principal,
    vault: &PiiVault,
) -> Result<pb::Worker, ApiError> {
    let (resident_id, mobile) = if is_self(viewer, p) {
        (
            open(
                vault,
                &p.resident_id_key_id,
                &p.resident_id_sealed,
                RESIDENT_ID_CONTEXT,
            )?,
            open(vault, &m.mobile_key_id, &m.mobile_sealed, MOBILE_CONTEXT)?,
        )
    } else {
        (p.resident_id_masked.clone(), m.mobile_masked.clone())
    };
    Ok(pb::Worker {
        worker_id: m.id.to_string(),
        person_id: p.id.to_string(),
        platform_id: m.platform_id.to_string(),
        external_worker_id: m.external_worker_id.clone(),
        real_name: p.real_name.clone(),
        resident_id,
        mobile,
        region_code: m.region_code.clone(),
        birth_year: p.birth_year,
        sex: i32::from(p.sex),
        status: if m.deregistered_at.is_some() {
            pb::WorkerStatus::Deregistered
        } else {
            pb::WorkerStatus::Active
        } as i32,
        registered_at: Some(timestamp(m.registered_at)),
        deregistered_at: m.deregistered_at.map(timestamp),
    })
}

pub fn person(
    p: &person::Model,
    memberships: &[membership::Model],
    viewer: &Principal,
    vault: &PiiVault,
) -> Result<pb::Person, ApiError> {
    Ok(pb::Person {
        person_id: p.id.to_string(),
        real_name: p.real_name.clone(),
        resident_id: if is_self(viewer, p) {
            open(
                vault,
                &p.resident_id_key_id,
                &p.resident_id_sealed,
                RESIDENT_ID_CONTEXT,
            )?
        } else {
            p.resident_id_masked.clone()
        },
        birth_year: p.birth_year,
        sex: i32::from(p.sex),
        memberships: memberships
            .iter()
            .map(|m| worker(m, p, viewer, vault))
            .collect::<Result<_, _>>()?,
    })
}

fn scope(s: &Scope) -> pb::PlatformScope {
    pb::PlatformScope {
        industries: s.industries.iter().map(|i| i.to_proto() as i32).collect(),
        province_codes: s.provinces.iter().cloned().collect(),
        effective_from: Some(timestamp(s.effective_from)),
    }
}

pub fn platform(p: &platform::Model, history: &[Scope]) -> pb::Platform {
    pb::Platform {
        platform_id: p.id.to_string(),
        legal_name: p.legal_name.clone(),
        credit_code: p.credit_code.clone(),
        contact: Some(pb::Contact {
            name: p.contact_name.clone(),
            phone: p.contact_phone.clone(),
            email: p.contact_email.clone().unwrap_or_default(),
        }),
        scope: scope_at(history, chrono::Utc::now()).map(scope),
        scope_history: history.iter().map(scope).collect(),
        registered_at: Some(timestamp(p.registered_at)),
    }
}
