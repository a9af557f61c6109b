//! Store rows as API messages. Free text appears only in the full incident (GetIncident and
//! the answers to changes), never in list summaries — and a platform reads only the text its
//! own side wrote: never the worker's description of their injury, their reasons or
//! explanations.

use gigshield_kit::pii::PiiVault;
use gigshield_kit::wire::timestamp;
use gigshield_kit::{ApiError, Role};
use gigshield_proto::incident as pb;
use uuid::Uuid;

use super::convert;
use crate::domain::actor::{Actor, ActorKind};
use crate::domain::amendment::FactField;
use crate::domain::facts::{CauseCategory, Facts, FaultShare, Severity};
use crate::domain::statement::Disputes;
use crate::store::{application, evidence, incident, incident_revision, records, statement};

/// An incident with everything that hangs off it.
pub struct Loaded {
    pub row: incident::Model,
    /// Oldest first; at least the report (revision 0).
    pub revisions: Vec<incident_revision::Model>,
    pub evidence: Vec<evidence::Model>,
    pub application: Option<application::Model>,
    pub statements: Vec<statement::Model>,
}

/// Who reads an incident: the parties and case handlers read all of it; a platform only the
/// text its own side wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Full,
    Platform(Uuid),
}

impl Audience {
    pub fn of(role: &Role) -> Self {
        match role {
            Role::Platform { platform_id } => Audience::Platform(*platform_id),
            _ => Audience::Full,
        }
    }

    /// Whether text written by `author` is shown.
    fn reads_text_of(self, author: &Actor) -> bool {
        match self {
            Audience::Full => true,
            Audience::Platform(id) => {
                author.kind == ActorKind::Platform && author.platform_id == Some(id)
            }
        }
    }

    fn text(self, author: &Actor, text: String) -> String {
        if self.reads_text_of(author) {
            text
        } else {
            String::new()
        }
    }
}

pub fn actor(a: &Actor) -> pb::Actor {
    pb::Actor {
        kind: convert::actor_kind(a.kind) as i32,
        platform_id: a.platform_id.map(|p| p.to_string()).unwrap_or_default(),
        person_id: a.person_id.map(|p| p.to_string()).unwrap_or_default(),
        relationship: a
            .relationship
            .map_or(pb::Relationship::Unspecified, convert::relationship)
            as i32,
        subject: a.subject.clone(),
    }
}

/// The facts with only `fields` set (every field for the report and the current facts).
fn facts(f: &Facts, fields: &[FactField]) -> pb::IncidentFacts {
    let mut out = pb::IncidentFacts::default();
    for field in fields {
        match field {
            FactField::OccurredAt => out.occurred_at = Some(timestamp(f.occurred_at)),
            FactField::Place => {
                out.place = Some(pb::Place {
                    latitude: f.place.latitude,
                    longitude: f.place.longitude,
                    region_code: f.place.region.as_str().to_string(),
                })
            }
            FactField::OrderId => out.order_id = f.order_id.clone().unwrap_or_default(),
            FactField::Category => out.category = convert::category(f.category) as i32,
            FactField::WorkerFaultShare => {
                out.worker_fault_share = f
                    .fault
                    .map_or(pb::WorkerFaultShare::Unspecified, convert::fault)
                    as i32
            }
            FactField::Severity => out.severity = convert::severity(f.severity) as i32,
            FactField::Description => out.description = f.description.expose().to_string(),
            FactField::DiedAt => out.died_at = f.died_at.map(timestamp),
            FactField::Exclusions => out.exclusions = Some(convert::exclusions(f.exclusions)),
        }
    }
    out
}

fn ids(value: Option<uuid::Uuid>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

pub fn incident(
    loaded: &Loaded,
    audience: Audience,
    vault: &PiiVault,
) -> Result<pb::Incident, ApiError> {
    let row = &loaded.row;
    let (first, rest) = loaded
        .revisions
        .split_first()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("incident {} has no report", row.id)))?;
    let reporter = records::actor(&row.reported_by)?;
    let original = records::facts(first, vault)?;
    let mut current = original.clone();
    let mut description_by = reporter.clone();
    let mut amendments = Vec::with_capacity(rest.len());
    for rev in rest {
        current = records::facts(rev, vault)?;
        let changed = records::changed_fields(rev)?;
        let author = records::actor(&rev.author)?;
        if changed.contains(&FactField::Description) {
            description_by = author.clone();
        }
        let mut new_values = facts(&current, &changed);
        new_values.description = audience.text(&author, new_values.description);
        let reason = records::open(
            vault,
            rev.reason_sealed.as_deref(),
            records::AMENDMENT_REASON,
        )?;
        amendments.push(pb::Amendment {
            number: rev.revision,
            amended_by: Some(actor(&author)),
            amended_at: Some(timestamp(rev.recorded_at)),
            changed_fields: changed.iter().map(|f| f.path().to_string()).collect(),
            new_values: Some(new_values),
            reason: audience.text(&author, reason),
        });
    }
    let mut original = facts(&original, &FactField::ALL);
    original.description = audience.text(&reporter, original.description);
    let mut current = facts(&current, &FactField::ALL);
    current.description = audience.text(&description_by, current.description);
    let evidence = loaded
        .evidence
        .iter()
        .map(|e| {
            Ok(pb::Evidence {
                evidence_id: e.id.to_string(),
                item: Some(pb::EvidenceItem {
                    uri: e.uri.clone(),
                    sha256: e.sha256.clone(),
                    media_type: e.media_type.clone(),
                    size_bytes: e.size_bytes,
                }),
                added_by: Some(actor(&records::actor(&e.added_by)?)),
                added_at: Some(timestamp(e.added_at)),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let application = loaded
        .application
        .as_ref()
        .map(|a| {
            let filer = records::applicant(a)?;
            let explanation = records::open(
                vault,
                a.late_explanation_sealed.as_deref(),
                records::LATE_EXPLANATION,
            )?;
            Ok::<_, ApiError>(pb::Application {
                filed_by: Some(actor(&filer)),
                filed_at: Some(timestamp(a.filed_at)),
                deadline_days: a.deadline_days,
                days_after_accident: a.days_after_accident,
                late: a.late,
                late_explanation: audience.text(&filer, explanation),
            })
        })
        .transpose()?;
    let withdrawal = match (&row.withdrawn_at, &row.withdrawn_by) {
        (Some(at), Some(by)) => {
            let by = records::actor(by)?;
            let reason = records::open(
                vault,
                row.withdrawal_reason_sealed.as_deref(),
                records::WITHDRAWAL_REASON,
            )?;
            Some(pb::Withdrawal {
                withdrawn_by: Some(actor(&by)),
                withdrawn_at: Some(timestamp(*at)),
                reason: audience.text(&by, reason),
            })
        }
        _ => None,
    };
    let statements = loaded
        .statements
        .iter()
        .map(|s| statement_view(s, vault))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let channel =
        crate::domain::facts::Channel::parse_stored(&row.channel).map_err(ApiError::internal)?;
    Ok(pb::Incident {
        incident_id: row.id.to_string(),
        person_id: row.person_id.to_string(),
        platform_id: ids(row.platform_id),
        external_worker_id: row.external_worker_id.clone().unwrap_or_default(),
        reported_by: Some(actor(&reporter)),
        channel: convert::channel(channel) as i32,
        status: convert::status(records::status(row)?) as i32,
        reported_at: Some(timestamp(row.reported_at)),
        original: Some(original),
        current: Some(current),
        amendments,
        evidence,
        application,
        withdrawal,
        outside_platform_provinces: row.outside_platform_provinces,
        statements,
    })
}

fn statement_view(s: &statement::Model, vault: &PiiVault) -> Result<pb::Statement, ApiError> {
    let fault = s
        .disputed_fault_share
        .as_deref()
        .map(FaultShare::parse_stored)
        .transpose()
        .map_err(ApiError::internal)?;
    let disputes = Disputes::from_names(&s.disputes, fault);
    Ok(pb::Statement {
        statement_id: s.id.to_string(),
        added_by: Some(actor(&records::actor(&s.added_by)?)),
        added_at: Some(timestamp(s.added_at)),
        text: records::open(vault, Some(&s.text_sealed), records::STATEMENT)?,
        disputes: Some(pb::Disputes {
            not_during_order: disputes.not_during_order,
            intentional_crime: disputes.intentional_crime,
            intoxication_or_drugs: disputes.intoxication_or_drugs,
            self_harm: disputes.self_harm,
            worker_fault_share: disputes
                .worker_fault_share
                .map_or(pb::WorkerFaultShare::Unspecified, convert::fault)
                as i32,
        }),
    })
}

/// The list form: current facts without free text or history.
pub fn summary(
    row: &incident::Model,
    application: Option<&application::Model>,
) -> Result<pb::IncidentSummary, ApiError> {
    let category = CauseCategory::parse_stored(&row.category).map_err(ApiError::internal)?;
    let fault = row
        .worker_fault_share
        .as_deref()
        .map(FaultShare::parse_stored)
        .transpose()
        .map_err(ApiError::internal)?;
    let severity = Severity::parse_stored(&row.severity).map_err(ApiError::internal)?;
    let reporter_kind = crate::domain::actor::ActorKind::parse_stored(&row.reporter_kind)
        .map_err(ApiError::internal)?;
    Ok(pb::IncidentSummary {
        incident_id: row.id.to_string(),
        person_id: row.person_id.to_string(),
        platform_id: ids(row.platform_id),
        external_worker_id: row.external_worker_id.clone().unwrap_or_default(),
        reported_by: convert::actor_kind(reporter_kind) as i32,
        status: convert::status(records::status(row)?) as i32,
        occurred_at: Some(timestamp(row.occurred_at)),
        region_code: row.region_code.clone(),
        category: convert::category(category) as i32,
        worker_fault_share: fault.map_or(pb::WorkerFaultShare::Unspecified, convert::fault) as i32,
        severity: convert::severity(severity) as i32,
        reported_at: Some(timestamp(row.reported_at)),
        amendment_count: row.revision,
        evidence_count: row.evidence_count,
        late_application: application.is_some_and(|a| a.late),
    })
}
