//! gRPC for incidents: each method authenticates, then hands over to a handler that validates,
//! applies the domain rules, and writes state and outbox in one transaction.
//!
//! Nothing here logs a request message or free text: request types derive `Debug` and would
//! print the description. Log lines carry ids and kinds only.

mod application;
mod changes;
pub mod convert;
mod reads;
mod report;
mod views;

use gigshield_kit::error::FieldViolation;
use gigshield_kit::outbox::OutboxNotifier;
use gigshield_kit::{ApiError, Violations};
use gigshield_proto::incident as pb;
use gigshield_proto::incident::incident_service_server::IncidentService;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::access::Denied;
use crate::domain::deadline::FilingDeadlines;
use crate::domain::evidence::EvidenceRules;
use crate::domain::facts::FactRules;
use crate::store::{incident, queries};
use views::Loaded;

/// Rules the API applies that come from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where events go (`incident.events.v1`).
    pub topic: String,
    pub facts: FactRules,
    pub evidence: EvidenceRules,
    pub deadlines: FilingDeadlines,
}

pub struct IncidentApi {
    db: DatabaseConnection,
    outbox: OutboxNotifier,
    settings: Settings,
}

impl IncidentApi {
    pub fn new(db: DatabaseConnection, outbox: OutboxNotifier, settings: Settings) -> Self {
        Self {
            db,
            outbox,
            settings,
        }
    }

    /// The longest free text accepted anywhere.
    fn max_text(&self) -> usize {
        self.settings.facts.max_text_chars
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        ApiError::PermissionDenied(denied.0.to_string())
    }
}

/// A rule about the world rather than the request's form, named by its field.
fn failed_precondition(v: FieldViolation) -> ApiError {
    ApiError::FailedPrecondition(format!("{}: {}", v.field, v.description))
}

/// Records domain violations under `prefix` (`facts.`).
fn add_prefixed(v: &mut Violations, prefix: &str, violations: Vec<FieldViolation>) {
    for violation in violations {
        v.add(
            format!("{prefix}{}", violation.field),
            violation.description,
        );
    }
}

/// An optional UUID field: empty is `None`, anything else must parse.
fn optional_uuid(v: &mut Violations, field: &str, value: &str) -> Option<Uuid> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match Uuid::parse_str(value) {
        Ok(id) => Some(id),
        Err(_) => {
            v.add(field, "must be a UUID");
            None
        }
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("incident".into())
}

/// Whether the place lies outside the provinces the platform was registered for at the time
/// (an accident across a province border still counts; claims decides what it means). False
/// when the platform or its scope then is unknown.
async fn outside_platform_provinces(
    conn: &impl ConnectionTrait,
    platform_id: Option<Uuid>,
    facts: &crate::domain::facts::Facts,
) -> Result<bool, ApiError> {
    let Some(platform_id) = platform_id else {
        return Ok(false);
    };
    let province = facts.place.region.province().to_string();
    Ok(
        queries::platform_provinces_at(conn, platform_id, facts.occurred_at)
            .await?
            .is_some_and(|provinces| !provinces.contains(&province)),
    )
}

/// The incident with its revisions, evidence and application.
async fn load(conn: &impl ConnectionTrait, row: incident::Model) -> Result<Loaded, ApiError> {
    let revisions = queries::revisions(conn, row.id).await?;
    let evidence = queries::evidence(conn, row.id).await?;
    let application = queries::application(conn, row.id).await?;
    Ok(Loaded {
        row,
        revisions,
        evidence,
        application,
    })
}

#[tonic::async_trait]
impl IncidentService for IncidentApi {
    async fn report_incident(
        &self,
        request: Request<pb::ReportIncidentRequest>,
    ) -> Result<Response<pb::ReportIncidentResponse>, Status> {
        gigshield_kit::handle!(self, request, report_incident)
    }

    async fn amend_incident(
        &self,
        request: Request<pb::AmendIncidentRequest>,
    ) -> Result<Response<pb::AmendIncidentResponse>, Status> {
        gigshield_kit::handle!(self, request, amend_incident)
    }

    async fn attach_evidence(
        &self,
        request: Request<pb::AttachEvidenceRequest>,
    ) -> Result<Response<pb::AttachEvidenceResponse>, Status> {
        gigshield_kit::handle!(self, request, attach_evidence)
    }

    async fn file_application(
        &self,
        request: Request<pb::FileApplicationRequest>,
    ) -> Result<Response<pb::FileApplicationResponse>, Status> {
        gigshield_kit::handle!(self, request, file_application)
    }

    async fn withdraw_incident(
        &self,
        request: Request<pb::WithdrawIncidentRequest>,
    ) -> Result<Response<pb::WithdrawIncidentResponse>, Status> {
        gigshield_kit::handle!(self, request, withdraw_incident)
    }

    async fn get_incident(
        &self,
        request: Request<pb::GetIncidentRequest>,
    ) -> Result<Response<pb::GetIncidentResponse>, Status> {
        gigshield_kit::handle!(self, request, get_incident)
    }

    async fn list_incidents(
        &self,
        request: Request<pb::ListIncidentsRequest>,
    ) -> Result<Response<pb::ListIncidentsResponse>, Status> {
        gigshield_kit::handle!(self, request, list_incidents)
    }
}
