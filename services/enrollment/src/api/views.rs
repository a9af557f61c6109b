//! Store rows as API messages, masked for whoever asks.

use chrono::{DateTime, Utc};
use gigshield_kit::pii::{PiiVault, Sealed};
use gigshield_kit::wire::timestamp;
use gigshield_kit::{ApiError, Principal, Role};
use gigshield_proto::enrollment as pb;

use crate::domain::contact::mask_mobile;
use crate::domain::platform::{Scope, scope_at};
use crate::store::{delegation, identity_review, membership, person, platform};

pub const RESIDENT_ID_CONTEXT: &[u8] = b"person.resident_id";
pub const MOBILE_CONTEXT: &[u8] = b"membership.mobile";
pub const CONTACT_PHONE_CONTEXT: &[u8] = b"platform.contact_phone";
pub const DEREGISTRATION_REASON_CONTEXT: &[u8] = b"membership.deregistration_reason";
pub const DELEGATION_REASON_CONTEXT: &[u8] = b"delegation.reason";
pub const REGISTRATION_CONTEXT: &[u8] = b"identity_review.registration";
pub const REVIEW_NOTE_CONTEXT: &[u8] = b"identity_review.note";

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

pub struct SealedPhone {
    pub sealed: Vec<u8>,
    pub masked: String,
}

/// A platform contact's phone: sealed, with a masked copy for display.
pub fn seal_contact_phone(vault: &PiiVault, phone: &str) -> SealedPhone {
    SealedPhone {
        sealed: vault.seal(phone, CONTACT_PHONE_CONTEXT).to_bytes(),
        masked: mask_mobile(phone),
    }
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

/// The platform and operators of its area read it whole (the contact's phone unsealed).
pub fn platform(
    p: &platform::Model,
    history: &[Scope],
    vault: &PiiVault,
    now: DateTime<Utc>,
) -> Result<pb::Platform, ApiError> {
    let phone = match &p.contact_phone_sealed {
        Some(bytes) => vault
            .open_text(Some(bytes), CONTACT_PHONE_CONTEXT)
            .map_err(ApiError::internal)?,
        None => p.contact_phone.clone(),
    };
    Ok(pb::Platform {
        platform_id: p.id.to_string(),
        legal_name: p.legal_name.clone(),
        credit_code: p.credit_code.clone(),
        contact: Some(pb::Contact {
            name: p.contact_name.clone(),
            phone,
            email: p.contact_email.clone().unwrap_or_default(),
        }),
        scope: scope_at(history, now).map(scope),
        scope_history: history.iter().map(scope).collect(),
        registered_at: Some(timestamp(p.registered_at)),
    })
}

pub fn delegation(d: &delegation::Model) -> pb::Delegation {
    pb::Delegation {
        delegation_id: d.id.to_string(),
        grantor_person_id: d.grantor_person_id.to_string(),
        delegate_person_id: d.delegate_person_id.to_string(),
        relationship: i32::from(d.relationship),
        valid_from: Some(timestamp(d.valid_from)),
        valid_until: d.valid_until.map(timestamp),
        granted_by: d.granted_by.clone(),
        granted_at: Some(timestamp(d.granted_at)),
        revoked_at: d.revoked_at.map(timestamp),
    }
}

pub fn review_status(stored: &str) -> pb::IdentityReviewStatus {
    match stored {
        "OPEN" => pb::IdentityReviewStatus::Open,
        "REGISTERED" => pb::IdentityReviewStatus::Registered,
        "REJECTED" => pb::IdentityReviewStatus::Rejected,
        _ => pb::IdentityReviewStatus::Unspecified,
    }
}

pub fn review(r: &identity_review::Model) -> pb::IdentityReview {
    pb::IdentityReview {
        review_id: r.id.to_string(),
        platform_id: r.platform_id.to_string(),
        external_worker_id: r.external_worker_id.clone(),
        region_code: r.region_code.clone(),
        resident_id_masked: r.resident_id_masked.clone(),
        status: review_status(&r.status) as i32,
        opened_at: Some(timestamp(r.opened_at)),
        resolved_at: r.resolved_at.map(timestamp),
        worker_id: r.worker_id.map(|id| id.to_string()).unwrap_or_default(),
    }
}
