//! gRPC for incidents: each method admits the caller by the access table
//! ([`crate::domain::access`]), validates, applies the domain rules, and writes state and
//! outbox in one transaction on the kit's write path.
//!
//! Nothing here logs a request message or free text: request types derive `Debug` and would
//! print the description. Log lines carry ids and kinds only.

mod application;
mod changes;
pub mod convert;
mod reads;
mod report;
mod statements;
mod statistics;
mod views;

use std::sync::Arc;

use gigshield_kit::error::FieldViolation;
use gigshield_kit::pii::PiiVault;
use gigshield_kit::replica::scheme::SchemeCalendar;
use gigshield_kit::replica::{assignments, delegations};
use gigshield_kit::write::Writer;
use gigshield_kit::{ApiError, Caller, Principal, Role, Scope, Violations, access};
use gigshield_proto::incident as pb;
use gigshield_proto::incident::incident_service_server::IncidentService;
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::access::{Denied, Parties, TABLE};
use crate::domain::actor::{Actor, Relationship};
use crate::domain::evidence::EvidenceRules;
use crate::domain::facts::FactRules;
use crate::domain::lifecycle::IncidentStatus;
use crate::store::{incident, queries, records};
use views::Loaded;

/// Rules the API applies that come from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where events go (`incident.events.v1`).
    pub topic: String,
    pub facts: FactRules,
    pub evidence: EvidenceRules,
    /// Statistics cells describing fewer persons are suppressed.
    pub stats_min_persons: u32,
}

pub struct IncidentApi {
    writer: Writer,
    vault: Arc<PiiVault>,
    settings: Settings,
    calendar: SchemeCalendar,
}

/// An admitted caller and, for a worker, the delegations they act under.
pub(crate) struct Acting {
    pub caller: Caller,
    delegations: Vec<delegations::ActiveDelegation>,
}

impl Acting {
    /// How the caller stands to the person a delegation names.
    pub fn relationship_to(&self, person_id: Uuid) -> Option<Relationship> {
        self.delegations
            .iter()
            .find(|d| d.grantor_person_id == person_id)
            .and_then(|d| convert::relationship_of_delegation(d.relationship))
    }

    /// The capacity in which the caller acts on the incident; outside it the incident does
    /// not exist for them.
    pub fn actor(&self, parties: &Parties<'_>) -> Result<Actor, ApiError> {
        self.caller.visible(&parties.subject(), "incident")?;
        crate::domain::access::actor(&self.caller, parties, |p| self.relationship_to(p))
            .ok_or_else(|| access::hidden("incident"))
    }
}

impl IncidentApi {
    pub fn new(writer: Writer, vault: Arc<PiiVault>, settings: Settings) -> Self {
        Self {
            writer,
            vault,
            settings,
            calendar: SchemeCalendar::new(),
        }
    }

    fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.writer.db
    }

    /// The longest free text accepted anywhere.
    fn max_text(&self) -> usize {
        self.settings.facts.max_text_chars
    }

    /// Admits the caller to `rpc` before any lookup, with a worker's delegations.
    async fn acting(&self, rpc: &str, principal: Principal) -> Result<Acting, ApiError> {
        let scope = TABLE.admit(rpc, &principal)?;
        let delegations = match principal.role {
            Role::Worker { person_id } if scope == Scope::OwnPerson => {
                delegations::active_for(self.db(), person_id, self.writer.now()).await?
            }
            _ => Vec::new(),
        };
        let delegators = delegations.iter().map(|d| d.grantor_person_id).collect();
        Ok(Acting {
            caller: TABLE.caller(rpc, principal, delegators)?,
            delegations,
        })
    }

    /// The insurers handling a claim of the incident, when the caller's scope needs them.
    async fn insurers(
        &self,
        caller: &Caller,
        conn: &impl ConnectionTrait,
        incident_id: Uuid,
    ) -> Result<Vec<Uuid>, ApiError> {
        if caller.scope == Scope::Assigned {
            Ok(assignments::insurers_of_incident(conn, incident_id).await?)
        } else {
            Ok(Vec::new())
        }
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

/// The incident with its revisions, evidence, application and statements.
async fn load(conn: &impl ConnectionTrait, row: incident::Model) -> Result<Loaded, ApiError> {
    let revisions = queries::revisions(conn, row.id).await?;
    let evidence = queries::evidence(conn, row.id).await?;
    let application = queries::application(conn, row.id).await?;
    let statements = queries::statements(conn, row.id).await?;
    Ok(Loaded {
        row,
        revisions,
        evidence,
        application,
        statements,
    })
}

/// An incident locked for a change, with its reporter and status, visible to the caller.
struct Locked {
    row: incident::Model,
    reporter: Actor,
    status: IncidentStatus,
    insurers: Vec<Uuid>,
}

impl Locked {
    fn parties(&self) -> Parties<'_> {
        Parties {
            person_id: self.row.person_id,
            platform_id: self.row.platform_id,
            region_code: &self.row.region_code,
            reported_by: &self.reporter,
            insurers: &self.insurers,
        }
    }
}

impl IncidentApi {
    /// Locks the incident row (concurrent changes queue up and their events keep their order).
    async fn locked(
        &self,
        acting: &Acting,
        txn: &DatabaseTransaction,
        id: Uuid,
    ) -> Result<Locked, ApiError> {
        let row = queries::incident_for_update(txn, id)
            .await?
            .ok_or_else(|| access::hidden("incident"))?;
        let reporter = records::actor(&row.reported_by)?;
        let status = records::status(&row)?;
        let insurers = self.insurers(&acting.caller, txn, id).await?;
        Ok(Locked {
            row,
            reporter,
            status,
            insurers,
        })
    }
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

    async fn add_statement(
        &self,
        request: Request<pb::AddStatementRequest>,
    ) -> Result<Response<pb::AddStatementResponse>, Status> {
        gigshield_kit::handle!(self, request, add_statement)
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

    async fn get_incident_statistics(
        &self,
        request: Request<pb::GetIncidentStatisticsRequest>,
    ) -> Result<Response<pb::GetIncidentStatisticsResponse>, Status> {
        gigshield_kit::handle!(self, request, get_incident_statistics)
    }
}
