//! The consumers: enrollment's memberships into the local replica, and incident's applications
//! into claims. The kit records each event id in the inbox in the same transaction as the
//! effect, so a redelivered event changes nothing; and `claim.incident_id` is unique, so a
//! second application event for one incident cannot open a second claim either.

use chrono::{DateTime, Utc};
use gigshield_kit::consumer::{EventHandler, HandlerError};
use gigshield_kit::enrollment_feed::{EnrollmentChange, field_instant, field_uuid};
use gigshield_kit::envelope::Envelope;
use gigshield_kit::wire;
use gigshield_proto::events;
use gigshield_proto::incident as ipb;
use gigshield_scheme::region::RegionCode;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::activity::WorkActivity;
use crate::domain::determination::{
    self, Application, DeterminationFacts, DeterminationParams, ExclusionFlags, Filer,
    IncidentCategory, Membership, OtherClaim, Outcome, TrafficFault,
};
use crate::domain::lifecycle::ClaimStatus;
use crate::domain::routing;
use crate::events as ev;
use crate::store::records::DecisionRecord;
use crate::store::{claim, membership, queries};
use crate::stream::StreamNotifier;

pub const APPLICATION_FILED: &str = "gigshield.events.v1.ApplicationFiled";
pub const INCIDENT_AMENDED: &str = "gigshield.events.v1.IncidentAmended";
pub const INCIDENT_WITHDRAWN: &str = "gigshield.events.v1.IncidentWithdrawn";

/// The actor name of the rules in histories.
pub const AUTOMATION: &str = "automation";

fn permanent(reason: impl Into<String>) -> HandlerError {
    HandlerError::Permanent(reason.into())
}

fn uuid(field: &str, value: &str) -> Result<Uuid, HandlerError> {
    field_uuid(field, value)
}

fn optional_uuid(field: &str, value: &str) -> Result<Option<Uuid>, HandlerError> {
    if value.is_empty() {
        Ok(None)
    } else {
        uuid(field, value).map(Some)
    }
}

fn instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<DateTime<Utc>, HandlerError> {
    field_instant(field, value)
}

/// Applies `WorkerRegistered` / `WorkerDeregistered` to `membership`.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnrollmentReplica;

impl EventHandler for EnrollmentReplica {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        match EnrollmentChange::decode(event)? {
            EnrollmentChange::MembershipStarted(m) => {
                queries::insert_membership(
                    txn,
                    membership::Model {
                        worker_id: m.worker_id,
                        person_id: m.person_id,
                        platform_id: m.platform_id,
                        registered_at: m.registered_at,
                        deregistered_at: None,
                    },
                )
                .await?;
            }
            EnrollmentChange::MembershipEnded(m) => {
                // One person's events share a partition, so the registration came first; a
                // missing one means the topic lost it, and guessing would be worse.
                if !queries::end_membership(txn, m.worker_id, m.deregistered_at).await? {
                    return Err(permanent(format!(
                        "deregistration of unknown membership {}",
                        m.worker_id
                    )));
                }
            }
            EnrollmentChange::PlatformScope(_) | EnrollmentChange::Other => {
                tracing::debug!(event.type = %event.event_type, "enrollment event ignored");
            }
        }
        Ok(())
    }
}

/// Opens a claim for every `ApplicationFiled` and runs the determination rules on it.
#[derive(Debug, Clone)]
pub struct IncidentIntake {
    pub topic: String,
    pub params: DeterminationParams,
    pub premium: WorkActivity,
    pub stream: StreamNotifier,
}

impl EventHandler for IncidentIntake {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        match event.event_type.as_str() {
            APPLICATION_FILED => {
                let e: events::ApplicationFiled = event.decode(APPLICATION_FILED)?;
                self.open(txn, e).await?;
                self.stream.notify();
            }
            INCIDENT_AMENDED => {
                let e: events::IncidentAmended = event.decode(INCIDENT_AMENDED)?;
                // The rules ran on the facts of the application; an amendment after it is for
                // the human handling the claim to weigh, so it is noted, not re-decided.
                note(
                    txn,
                    uuid("incident_id", &e.incident_id)?,
                    "INCIDENT_AMENDED",
                    format!(
                        "incident amendment {} changed {}",
                        e.amendment_number,
                        e.changed_fields.join(", ")
                    ),
                )
                .await?;
            }
            INCIDENT_WITHDRAWN => {
                let e: events::IncidentWithdrawn = event.decode(INCIDENT_WITHDRAWN)?;
                note(
                    txn,
                    uuid("incident_id", &e.incident_id)?,
                    "INCIDENT_WITHDRAWN",
                    "the incident was withdrawn".into(),
                )
                .await?;
            }
            other => tracing::debug!(event.type = %other, "incident event ignored"),
        }
        Ok(())
    }
}

/// Adds a history entry to the incident's claim, if it has one.
async fn note(
    txn: &DatabaseTransaction,
    incident_id: Uuid,
    action: &str,
    detail: String,
) -> Result<(), HandlerError> {
    if let Some(claim) = queries::claim_by_incident(txn, incident_id).await?
        && queries::claim_for_update(txn, claim.id).await?.is_some()
    {
        queries::add_history(txn, claim.id, Utc::now(), "incident", action, detail).await?;
    }
    Ok(())
}

/// The category the rules see. A missing person is its own case whatever cause was reported;
/// an unspecified cause is treated as unclassified (a human looks at it).
pub fn category(facts: &events::IncidentFactsSummary) -> IncidentCategory {
    if facts.severity == ipb::Severity::Missing as i32 {
        return IncidentCategory::Missing;
    }
    match ipb::CauseCategory::try_from(facts.category) {
        Ok(ipb::CauseCategory::TrafficAccident) => IncidentCategory::TrafficAccident {
            worker_fault: traffic_fault(facts.worker_fault_share),
        },
        Ok(ipb::CauseCategory::Fall) => IncidentCategory::OrderAccident,
        Ok(ipb::CauseCategory::Violence) => IncidentCategory::Violence,
        Ok(ipb::CauseCategory::SuddenIllness) => IncidentCategory::SuddenIllness,
        Ok(ipb::CauseCategory::Other | ipb::CauseCategory::Unspecified) | Err(_) => {
            IncidentCategory::Other
        }
    }
}

fn traffic_fault(share: i32) -> Option<TrafficFault> {
    match ipb::WorkerFaultShare::try_from(share) {
        Ok(ipb::WorkerFaultShare::None) => Some(TrafficFault::None),
        Ok(ipb::WorkerFaultShare::Minor) => Some(TrafficFault::Minor),
        Ok(ipb::WorkerFaultShare::Equal) => Some(TrafficFault::Equal),
        Ok(ipb::WorkerFaultShare::Main) => Some(TrafficFault::Main),
        Ok(ipb::WorkerFaultShare::Full) => Some(TrafficFault::Full),
        // Not yet determined by the police, or not said.
        _ => None,
    }
}

/// Who filed. An unknown filer gets the platform's deadline, the shortest, so an unclear case
/// errs towards review rather than automatic confirmation.
pub fn filer(kind: i32) -> Filer {
    match ipb::ActorKind::try_from(kind) {
        Ok(ipb::ActorKind::Worker) => Filer::Worker,
        Ok(ipb::ActorKind::CloseRelative) => Filer::CloseRelative,
        _ => Filer::Platform,
    }
}

impl IncidentIntake {
    async fn open(
        &self,
        txn: &DatabaseTransaction,
        e: events::ApplicationFiled,
    ) -> Result<(), HandlerError> {
        let incident_id = uuid("incident_id", &e.incident_id)?;
        let person_id = uuid("person_id", &e.person_id)?;
        let filing_platform = optional_uuid("platform_id", &e.platform_id)?;
        let facts = e.facts.as_ref().ok_or_else(|| permanent("facts missing"))?;
        let occurred_at = instant("facts.occurred_at", facts.occurred_at.as_ref())?;
        let filed_at = instant("filed_at", e.filed_at.as_ref())?;
        let region = RegionCode::parse(&facts.region_code)
            .map_err(|err| permanent(format!("facts.region_code: {err}")))?;
        let died_at = wire::datetime("facts.died_at", facts.died_at.as_ref())
            .map_err(|_| permanent("facts.died_at is invalid"))?;

        // Another event of the same application (a re-publication under a new id).
        if queries::claim_by_incident(txn, incident_id)
            .await?
            .is_some()
        {
            tracing::info!(%incident_id, "claim already open for the incident");
            return Ok(());
        }

        let memberships = queries::memberships_of(txn, person_id)
            .await?
            .into_iter()
            .map(|m| Membership {
                platform_id: m.platform_id,
                registered_at: m.registered_at,
                deregistered_at: m.deregistered_at,
            })
            .collect();
        let mut notes = Vec::new();
        let orders = match self
            .premium
            .orders(person_id, occurred_at, self.params.order_grace_minutes)
            .await
        {
            Ok(orders) => orders,
            // Premium says our question is malformed: retrying will not help, and the claim
            // must not be lost. Without orders the rules send it to a human.
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                notes.push(format!(
                    "premium refused VerifyWorkActivity: {}",
                    status.message()
                ));
                Vec::new()
            }
            // Unavailable, timeouts, auth misconfiguration …: retry the event in place.
            Err(status) => {
                return Err(HandlerError::Transient(anyhow::anyhow!(
                    "premium VerifyWorkActivity failed: {status}"
                )));
            }
        };
        let other_claims = queries::claims_of(txn, person_id)
            .await?
            .into_iter()
            .map(|c| OtherClaim {
                claim_id: c.id,
                occurred_at: c.occurred_at,
            })
            .collect();
        let exclusions = facts.exclusions.unwrap_or_default();
        let claim_id = Uuid::now_v7();
        let det_facts = DeterminationFacts {
            claim_id,
            person_id,
            occurred_at,
            region: region.clone(),
            category: category(facts),
            exclusions: ExclusionFlags {
                intentional_crime: exclusions.intentional_crime,
                intoxication_or_drugs: exclusions.intoxication_or_drugs,
                self_harm: exclusions.self_harm,
            },
            died_at,
            application: Application {
                filed_at,
                filer: filer(e.filed_by),
                late_explanation: e.has_late_explanation,
            },
            memberships,
            orders,
            other_claims,
        };
        let determination = determination::determine(&det_facts, &self.params);

        let platform_id = determination
            .liability
            .as_ref()
            .map(|l| l.platform_id)
            .or(filing_platform);
        let province = determination
            .liability
            .as_ref()
            .map_or_else(|| region.province(), |l| l.region.province());
        let routes = queries::routes(txn)
            .await?
            .into_iter()
            .filter_map(|r| crate::api::routes::domain_route(&r))
            .collect::<Vec<_>>();
        let insurer_id = routing::insurer_for(&routes, province, platform_id);
        let now = Utc::now();
        let (status, reasons) = match &determination.outcome {
            Outcome::AutoConfirm => (ClaimStatus::Confirmed, Vec::new()),
            Outcome::Review(reasons) => (
                ClaimStatus::InReview,
                reasons.iter().map(|r| r.as_str().to_string()).collect(),
            ),
        };
        let decision = (status == ClaimStatus::Confirmed).then(|| DecisionRecord {
            status,
            refusal_reason: None,
            automatic: true,
            decided_by: AUTOMATION.into(),
            decided_at: now,
            note: String::new(),
        });
        let row = claim::Model {
            id: claim_id,
            incident_id,
            person_id,
            platform_id,
            insurer_id,
            status: status.as_str().into(),
            province_code: province.to_string(),
            region_code: region.as_str().into(),
            occurred_at,
            filed_at,
            opened_at: now,
            updated_at: now,
            evidence_count: e.evidence_count,
            facts: json(&det_facts)?,
            trace: json(&determination.trace)?,
            review_reasons: reasons.join(","),
            liability: determination.liability.as_ref().map(json).transpose()?,
            decision: decision.as_ref().map(json).transpose()?,
        };
        queries::insert_claim(txn, row.clone()).await?;
        queries::add_history(
            txn,
            claim_id,
            now,
            AUTOMATION,
            "OPENED",
            format!("application of incident {incident_id}; rules run"),
        )
        .await?;
        for detail in notes {
            queries::add_history(txn, claim_id, now, AUTOMATION, "NOTE", detail).await?;
        }
        ev::emit(
            txn,
            &self.topic,
            &row,
            ev::claim_opened(&row, &determination.trace),
            now,
        )
        .await?;
        if status == ClaimStatus::Confirmed {
            queries::add_history(
                txn,
                claim_id,
                now,
                AUTOMATION,
                "CONFIRMED",
                "every rule passed".into(),
            )
            .await?;
            let order_id = determination.liability.as_ref().map(|l| l.order_id.clone());
            ev::emit(
                txn,
                &self.topic,
                &row,
                ev::claim_confirmed(&row, order_id, true, None),
                now,
            )
            .await?;
        } else {
            queries::add_history(
                txn,
                claim_id,
                now,
                AUTOMATION,
                "ROUTED",
                format!(
                    "to insurer {} for {}",
                    insurer_id.map_or_else(|| "none (adjusters)".into(), |i| i.to_string()),
                    reasons.join(", ")
                ),
            )
            .await?;
            ev::emit(
                txn,
                &self.topic,
                &row,
                ev::claim_routed(&row, reasons.clone(), "OPENED"),
                now,
            )
            .await?;
        }
        tracing::info!(%claim_id, %incident_id, status = status.as_str(), "claim opened");
        Ok(())
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, HandlerError> {
    serde_json::to_string(value).map_err(|e| HandlerError::Transient(e.into()))
}
