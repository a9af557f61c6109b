//! Who may see and change which claim. Insurers act on the claims routed to them, adjusters
//! (the agency) on every claim, workers see their own claims, platforms the claims they are
//! liable for (or filed) — without medical detail.

use gigshield_kit::{ApiError, Principal, Role};

use crate::store::claim;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    Full,
    /// Appraisals, benefits, payouts and rule evidence left out.
    WithoutMedical,
}

fn denied() -> ApiError {
    ApiError::PermissionDenied("another tenant's claim".into())
}

pub fn read(principal: &Principal, claim: &claim::Model) -> Result<Detail, ApiError> {
    match &principal.role {
        Role::Adjuster | Role::Operator => Ok(Detail::Full),
        Role::Insurer { insurer_id } if claim.insurer_id == Some(*insurer_id) => Ok(Detail::Full),
        Role::Worker { person_id } if claim.person_id == *person_id => Ok(Detail::Full),
        Role::Platform { platform_id } if claim.platform_id == Some(*platform_id) => {
            Ok(Detail::WithoutMedical)
        }
        _ => Err(denied()),
    }
}

/// Deciding, asking for information, appraisal, benefits, payouts and appeal outcomes.
pub fn handle(principal: &Principal, claim: &claim::Model) -> Result<(), ApiError> {
    match &principal.role {
        Role::Adjuster => Ok(()),
        Role::Insurer { insurer_id } if claim.insurer_id == Some(*insurer_id) => Ok(()),
        Role::Insurer { .. } => Err(denied()),
        _ => Err(ApiError::PermissionDenied(
            "only insurers and adjusters handle claims".into(),
        )),
    }
}

/// Filing an appeal: the person, the platform concerned, or an adjuster recording it.
pub fn appeal(principal: &Principal, claim: &claim::Model) -> Result<(), ApiError> {
    match &principal.role {
        Role::Adjuster => Ok(()),
        Role::Worker { person_id } if claim.person_id == *person_id => Ok(()),
        Role::Platform { platform_id } if claim.platform_id == Some(*platform_id) => Ok(()),
        Role::Worker { .. } | Role::Platform { .. } => Err(denied()),
        _ => Err(ApiError::PermissionDenied(
            "appeals are filed by the parties or recorded by adjusters".into(),
        )),
    }
}

/// How a principal is named in histories.
pub fn actor(principal: &Principal) -> String {
    match &principal.role {
        Role::Platform { platform_id } => format!("platform:{platform_id}"),
        Role::Worker { person_id } => format!("worker:{person_id}"),
        Role::Insurer { insurer_id } => format!("insurer:{insurer_id}:{}", principal.subject),
        Role::Adjuster => format!("adjuster:{}", principal.subject),
        Role::Operator => format!("operator:{}", principal.subject),
    }
}
