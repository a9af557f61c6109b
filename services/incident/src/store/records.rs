//! Rows ↔ domain values. A stored value this build cannot read is a database error, not a
//! caller's: it surfaces as `Internal`.

use chrono::{DateTime, Utc};
use gigshield_kit::pii::PiiVault;
use gigshield_scheme::region::RegionCode;
use sea_orm::DbErr;
use uuid::Uuid;

use super::entities::{application, incident, incident_revision};
use crate::domain::actor::Actor;
use crate::domain::amendment::FactField;
use crate::domain::facts::{CauseCategory, Exclusions, Facts, FaultShare, Place, Severity};
use crate::domain::lifecycle::IncidentStatus;
use crate::domain::text::SensitiveText;

fn corrupt(what: &str, err: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("stored {what} does not read back: {err}"))
}

pub fn actor(json: &str) -> Result<Actor, DbErr> {
    Actor::from_json(json).map_err(|e| corrupt("actor", e))
}

pub fn status(row: &incident::Model) -> Result<IncidentStatus, DbErr> {
    IncidentStatus::parse_stored(&row.status).map_err(|e| corrupt("status", e))
}

/// Authenticated contexts of the sealed text columns: a value copied into another column does
/// not open.
pub const DESCRIPTION: &[u8] = b"incident_revision.description";
pub const AMENDMENT_REASON: &[u8] = b"incident_revision.reason";
pub const LATE_EXPLANATION: &[u8] = b"application.late_explanation";
pub const WITHDRAWAL_REASON: &[u8] = b"incident.withdrawal_reason";
pub const STATEMENT: &[u8] = b"statement.text";

/// Opens a sealed text column (`None` is empty text).
pub fn open(vault: &PiiVault, column: Option<&[u8]>, context: &[u8]) -> Result<String, DbErr> {
    vault
        .open_text(column, context)
        .map_err(|e| corrupt("sealed text", e))
}

pub fn facts(rev: &incident_revision::Model, vault: &PiiVault) -> Result<Facts, DbErr> {
    Ok(Facts {
        occurred_at: rev.occurred_at,
        place: Place {
            latitude: rev.latitude,
            longitude: rev.longitude,
            region: RegionCode::parse(&rev.region_code).map_err(|e| corrupt("region", e))?,
        },
        order_id: rev.order_id.clone(),
        category: CauseCategory::parse_stored(&rev.category).map_err(|e| corrupt("category", e))?,
        fault: rev
            .worker_fault_share
            .as_deref()
            .map(FaultShare::parse_stored)
            .transpose()
            .map_err(|e| corrupt("fault share", e))?,
        severity: Severity::parse_stored(&rev.severity).map_err(|e| corrupt("severity", e))?,
        description: SensitiveText::new(open(
            vault,
            rev.description_sealed.as_deref(),
            DESCRIPTION,
        )?),
        died_at: rev.died_at,
        exclusions: Exclusions {
            intentional_crime: rev.intentional_crime,
            intoxication_or_drugs: rev.intoxication_or_drugs,
            self_harm: rev.self_harm,
        },
    })
}

pub fn changed_fields(rev: &incident_revision::Model) -> Result<Vec<FactField>, DbErr> {
    rev.changed_fields
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| FactField::from_path(p).ok_or_else(|| corrupt("changed field", p)))
        .collect()
}

/// One revision of the facts: 0 is the report, n the n-th amendment.
pub struct NewRevision<'a> {
    pub incident_id: Uuid,
    pub revision: i32,
    pub facts: &'a Facts,
    pub changed: &'a [FactField],
    pub reason: Option<&'a SensitiveText>,
    pub author: &'a Actor,
    pub at: DateTime<Utc>,
}

pub fn revision_row(new: NewRevision<'_>, vault: &PiiVault) -> incident_revision::Model {
    let facts = new.facts;
    incident_revision::Model {
        incident_id: new.incident_id,
        revision: new.revision,
        occurred_at: facts.occurred_at,
        latitude: facts.place.latitude,
        longitude: facts.place.longitude,
        region_code: facts.place.region.as_str().to_string(),
        order_id: facts.order_id.clone(),
        category: facts.category.as_str().to_string(),
        worker_fault_share: facts.fault.map(|f| f.as_str().to_string()),
        severity: facts.severity.as_str().to_string(),
        description_sealed: vault.seal_text(facts.description.expose(), DESCRIPTION),
        died_at: facts.died_at,
        intentional_crime: facts.exclusions.intentional_crime,
        intoxication_or_drugs: facts.exclusions.intoxication_or_drugs,
        self_harm: facts.exclusions.self_harm,
        changed_fields: new
            .changed
            .iter()
            .map(|f| f.path())
            .collect::<Vec<_>>()
            .join(","),
        reason_sealed: new
            .reason
            .and_then(|r| vault.seal_text(r.expose(), AMENDMENT_REASON)),
        author: new.author.to_json(),
        recorded_at: new.at,
    }
}

/// Copies the current facts that lists filter on into the incident row.
pub fn set_current_facts(row: &mut incident::Model, facts: &Facts) {
    row.occurred_at = facts.occurred_at;
    row.region_code = facts.place.region.as_str().to_string();
    row.category = facts.category.as_str().to_string();
    row.worker_fault_share = facts.fault.map(|f| f.as_str().to_string());
    row.severity = facts.severity.as_str().to_string();
}

pub fn applicant(row: &application::Model) -> Result<Actor, DbErr> {
    actor(&row.filed_by)
}
