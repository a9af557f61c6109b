//! The consumers: enrollment's memberships into the local replica, and incident's applications
//! into claims. The kit records each event id in the inbox in the same transaction as the
//! effect, so a redelivered event changes nothing; and `claim.incident_id` is unique, so a
//! second application event for one incident cannot open a second claim either.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use gigshield_kit::clock::Clock;
use gigshield_kit::consumer::{EventHandler, HandlerError};
use gigshield_kit::envelope::Envelope;
use gigshield_kit::feed::enrollment::EnrollmentChange;
use gigshield_kit::feed::{field_instant, field_uuid};
use gigshield_kit::pii::PiiVault;
use gigshield_kit::replica::scheme::SchemeCalendar;
use gigshield_kit::wire;
use gigshield_proto::events;
use gigshield_proto::incident as ipb;
use gigshield_scheme::region::RegionCode;
use sea_orm::{DatabaseTransaction, DbErr};
use uuid::Uuid;

use crate::activity::WorkActivity;
use crate::domain::determination::{
    self, Application, DeterminationFacts, DeterminationParams, ExclusionFlags, Filer,
    IncidentCategory, Membership, OtherClaim, Outcome, TrafficFault,
};
use crate::domain::history::HistoryAction;
use crate::domain::lifecycle::{self, ClaimStatus};
use crate::domain::routing;
use crate::events as ev;
use crate::store::records::DecisionRecord;
use crate::store::{claim, queries};
use crate::stream::StreamNotifier;

pub const APPLICATION_FILED: &str = "gigshield.events.v1.ApplicationFiled";
pub const INCIDENT_AMENDED: &str = "gigshield.events.v1.IncidentAmended";
pub const INCIDENT_WITHDRAWN: &str = "gigshield.events.v1.IncidentWithdrawn";
pub const STATEMENT_ADDED: &str = "gigshield.events.v1.StatementAdded";

/// The review reason of a claim whose liable platform disputes the worker's facts.
pub const PLATFORM_DISPUTES: &str = "PLATFORM_DISPUTES";

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

/// Applies `WorkerRegistered` / `WorkerDeregistered` to `replica_membership`, and delegations to the
/// kit's `delegation` replica.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnrollmentReplica;

impl EventHandler for EnrollmentReplica {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        match EnrollmentChange::decode(event)? {
            change @ (EnrollmentChange::MembershipStarted(_)
            | EnrollmentChange::MembershipEnded(_)) => {
                gigshield_kit::replica::memberships::apply(txn, &change).await?;
            }
            change @ (EnrollmentChange::DelegationGranted(_)
            | EnrollmentChange::DelegationRevoked(_)) => {
                gigshield_kit::replica::delegations::apply(txn, &change).await?;
            }
            change @ EnrollmentChange::SchemeRule(_) => {
                gigshield_kit::replica::scheme::apply(txn, &change).await?;
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
    /// See [`DeterminationParams::duplicate_window_hours`].
    pub duplicate_window_hours: u32,
    /// The scheme calendar the rules judge by (operator entries from enrollment's events).
    pub calendar: SchemeCalendar,
    pub premium: WorkActivity,
    pub stream: StreamNotifier,
    /// Seals history details.
    pub vault: Arc<PiiVault>,
    /// When the rules run and history is written.
    pub clock: Clock,
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
            }
            INCIDENT_AMENDED => {
                let e: events::IncidentAmended = event.decode(INCIDENT_AMENDED)?;
                self.amend(txn, e).await?;
            }
            INCIDENT_WITHDRAWN => {
                let e: events::IncidentWithdrawn = event.decode(INCIDENT_WITHDRAWN)?;
                self.withdraw(txn, e).await?;
            }
            STATEMENT_ADDED => {
                let e: events::StatementAdded = event.decode(STATEMENT_ADDED)?;
                self.disputed(txn, e).await?;
            }
            other => tracing::debug!(event.type = %other, "incident event ignored"),
        }
        Ok(())
    }

    /// Watchers look again once the claim's events are committed; a spurious wake-up finds
    /// nothing new.
    fn committed(&self) {
        self.stream.notify();
    }
}

/// The facts of an incident as the rules read them.
struct IncidentFacts {
    occurred_at: DateTime<Utc>,
    region: RegionCode,
    category: IncidentCategory,
    exclusions: ExclusionFlags,
    died_at: Option<DateTime<Utc>>,
}

impl IncidentFacts {
    fn parse(facts: Option<&events::IncidentFactsSummary>) -> Result<Self, HandlerError> {
        let facts = facts.ok_or_else(|| permanent("facts missing"))?;
        let exclusions = facts.exclusions.unwrap_or_default();
        Ok(Self {
            occurred_at: instant("facts.occurred_at", facts.occurred_at.as_ref())?,
            region: RegionCode::parse(&facts.region_code)
                .map_err(|err| permanent(format!("facts.region_code: {err}")))?,
            category: category(facts),
            exclusions: ExclusionFlags {
                intentional_crime: exclusions.intentional_crime,
                intoxication_or_drugs: exclusions.intoxication_or_drugs,
                self_harm: exclusions.self_harm,
            },
            died_at: wire::datetime("facts.died_at", facts.died_at.as_ref())
                .map_err(|_| permanent("facts.died_at is invalid"))?,
        })
    }
}

/// What the rules know beyond the incident and the application, looked up now.
struct Context {
    memberships: Vec<Membership>,
    orders: Vec<determination::OrderWindow>,
    other_claims: Vec<OtherClaim>,
    /// For the claim's history: what could not be looked up, and why.
    notes: Vec<String>,
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
    async fn params(&self, txn: &DatabaseTransaction) -> Result<DeterminationParams, DbErr> {
        Ok(DeterminationParams {
            scheme: self.calendar.current(txn).await?,
            duplicate_window_hours: self.duplicate_window_hours,
        })
    }

    async fn context(
        &self,
        txn: &DatabaseTransaction,
        person_id: Uuid,
        occurred_at: DateTime<Utc>,
        params: &DeterminationParams,
    ) -> Result<Context, HandlerError> {
        let memberships = gigshield_kit::replica::memberships::of_person(txn, person_id)
            .await?
            .iter()
            .map(Membership::from)
            .collect();
        let mut notes = Vec::new();
        let orders = match self
            .premium
            .orders(
                person_id,
                occurred_at,
                params.reach(occurred_at).grace_minutes,
            )
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
        // A withdrawn claim was never determined: it is no duplicate of anything.
        let other_claims = queries::claims_of(txn, person_id)
            .await?
            .into_iter()
            .filter(|c| c.status != ClaimStatus::Withdrawn.as_str())
            .map(|c| OtherClaim {
                claim_id: c.id,
                occurred_at: c.occurred_at,
            })
            .collect();
        Ok(Context {
            memberships,
            orders,
            other_claims,
            notes,
        })
    }

    async fn open(
        &self,
        txn: &DatabaseTransaction,
        e: events::ApplicationFiled,
    ) -> Result<(), HandlerError> {
        let incident_id = uuid("incident_id", &e.incident_id)?;
        let person_id = uuid("person_id", &e.person_id)?;
        let filing_platform = optional_uuid("platform_id", &e.platform_id)?;
        let incident = IncidentFacts::parse(e.facts.as_ref())?;
        let filed_at = instant("filed_at", e.filed_at.as_ref())?;

        // Another event of the same application (a re-publication under a new id).
        if queries::claim_by_incident(txn, incident_id)
            .await?
            .is_some()
        {
            tracing::info!(%incident_id, "claim already open for the incident");
            return Ok(());
        }

        let params = self.params(txn).await?;
        let context = self
            .context(txn, person_id, incident.occurred_at, &params)
            .await?;
        let claim_id = Uuid::now_v7();
        let det_facts = DeterminationFacts {
            claim_id,
            person_id,
            occurred_at: incident.occurred_at,
            region: incident.region.clone(),
            category: incident.category,
            exclusions: incident.exclusions,
            died_at: incident.died_at,
            application: Application {
                filed_at,
                filer: filer(e.filed_by),
                late_explanation: e.has_late_explanation,
            },
            memberships: context.memberships,
            orders: context.orders,
            other_claims: context.other_claims,
        };
        let mut determination = determination::determine(&det_facts, &params);
        let disputed = !e.platform_disputes.is_empty();
        let platform_id = determination
            .liability
            .as_ref()
            .map(|l| l.platform_id)
            .or(filing_platform);
        let now = self.clock.now();
        let mut row = claim::Model {
            id: claim_id,
            incident_id,
            person_id,
            platform_id,
            insurer_id: None,
            status: ClaimStatus::InReview.as_str().into(),
            province_code: String::new(),
            region_code: incident.region.as_str().into(),
            occurred_at: incident.occurred_at,
            filed_at,
            opened_at: now,
            updated_at: now,
            evidence_count: e.evidence_count,
            facts: json(&det_facts)?,
            trace: String::new(),
            review_reasons: String::new(),
            liability: None,
            decision: None,
            decision_note_sealed: None,
            determination_due_on: params.determination_due_on(filed_at).to_string(),
            overdue_at: None,
            awaiting_parameters: None,
        };
        let mut reasons = self
            .apply_determination(txn, &mut row, &det_facts, &determination, now)
            .await?;
        if disputed {
            // The platform disputes the worker's facts: a human weighs them, never automation.
            dispute(&mut row, &mut reasons, &mut determination);
        }
        queries::insert_claim(txn, row.clone()).await?;
        self.automation_history(
            txn,
            claim_id,
            now,
            HistoryAction::Opened,
            format!("application of incident {incident_id}; rules run"),
        )
        .await?;
        for detail in context.notes {
            self.automation_history(txn, claim_id, now, HistoryAction::Note, detail)
                .await?;
        }
        ev::emit(
            txn,
            &self.topic,
            &row,
            ev::claim_opened(&row, &determination.trace),
            now,
        )
        .await?;
        self.record_outcome(txn, &row, &determination, reasons, "OPENED", now)
            .await?;
        tracing::info!(%claim_id, %incident_id, status = %row.status, "claim opened");
        Ok(())
    }

    /// Sets the claim's status, trace, reasons, liability, route and automatic decision from
    /// a run of the rules; returns the review reasons.
    async fn apply_determination(
        &self,
        txn: &DatabaseTransaction,
        row: &mut claim::Model,
        facts: &DeterminationFacts,
        determination: &determination::Determination,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, HandlerError> {
        let province = determination
            .liability
            .as_ref()
            .map_or_else(|| facts.region.province(), |l| l.region.province());
        if let Some(liable) = determination.liability.as_ref() {
            row.platform_id = Some(liable.platform_id);
        }
        let routes = queries::routes(txn)
            .await?
            .into_iter()
            .filter_map(|r| crate::api::routes::domain_route(&r))
            .collect::<Vec<_>>();
        row.insurer_id = routing::insurer_for(&routes, province, row.platform_id);
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
        row.status = status.as_str().into();
        row.province_code = province.to_string();
        row.region_code = facts.region.as_str().into();
        row.occurred_at = facts.occurred_at;
        row.updated_at = now;
        row.facts = json(facts)?;
        row.trace = json(&determination.trace)?;
        row.review_reasons = reasons.join(",");
        row.liability = determination.liability.as_ref().map(json).transpose()?;
        row.decision = decision.as_ref().map(json).transpose()?;
        row.decision_note_sealed = None;
        Ok(reasons)
    }

    /// The history entry and event of a run's outcome: confirmed, or routed to review.
    async fn record_outcome(
        &self,
        txn: &DatabaseTransaction,
        row: &claim::Model,
        determination: &determination::Determination,
        reasons: Vec<String>,
        cause: &str,
        now: DateTime<Utc>,
    ) -> Result<(), HandlerError> {
        if row.status == ClaimStatus::Confirmed.as_str() {
            self.automation_history(
                txn,
                row.id,
                now,
                HistoryAction::Confirmed,
                "every rule passed".into(),
            )
            .await?;
            let order_id = determination.liability.as_ref().map(|l| l.order_id.clone());
            ev::emit(
                txn,
                &self.topic,
                row,
                ev::claim_confirmed(row, order_id, true, None),
                now,
            )
            .await?;
        } else {
            self.automation_history(
                txn,
                row.id,
                now,
                HistoryAction::Routed,
                format!(
                    "to insurer {} for {}",
                    row.insurer_id
                        .map_or_else(|| "none (adjusters)".into(), |i| i.to_string()),
                    reasons.join(", ")
                ),
            )
            .await?;
            ev::emit(
                txn,
                &self.topic,
                row,
                ev::claim_routed(row, reasons, cause),
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// An amendment before a decision runs the rules again on the amended facts (the
    /// application itself is unchanged): automation may confirm, never refuse. After a
    /// decision the determination stands and the amendment is noted for the human handling
    /// the claim (an appeal is the way to change a decision).
    async fn amend(
        &self,
        txn: &DatabaseTransaction,
        e: events::IncidentAmended,
    ) -> Result<(), HandlerError> {
        let incident_id = uuid("incident_id", &e.incident_id)?;
        let detail = format!(
            "incident amendment {} changed {}",
            e.amendment_number,
            e.changed_fields.join(", ")
        );
        let Some((mut row, status)) = locked_claim_of(txn, incident_id).await? else {
            // Amended before (or without) an application: the application carries the facts.
            return Ok(());
        };
        let now = self.clock.now();
        if !status.awaits_decision() {
            self.incident_history(txn, row.id, now, HistoryAction::IncidentAmended, detail)
                .await?;
            return Ok(());
        }
        let incident = IncidentFacts::parse(e.facts.as_ref())?;
        let previous: DeterminationFacts = serde_json::from_str(&row.facts)
            .map_err(|err| permanent(format!("claim {} facts: {err}", row.id)))?;
        let params = self.params(txn).await?;
        let context = self
            .context(txn, row.person_id, incident.occurred_at, &params)
            .await?;
        let facts = DeterminationFacts {
            occurred_at: incident.occurred_at,
            region: incident.region,
            category: incident.category,
            exclusions: incident.exclusions,
            died_at: incident.died_at,
            memberships: context.memberships,
            orders: context.orders,
            other_claims: context.other_claims,
            ..previous
        };
        let mut determination = determination::determine(&facts, &params);
        let was_disputed = crate::store::records::reasons(&row)
            .iter()
            .any(|r| r == PLATFORM_DISPUTES);
        self.incident_history(txn, row.id, now, HistoryAction::IncidentAmended, detail)
            .await?;
        for note in context.notes {
            self.automation_history(txn, row.id, now, HistoryAction::Note, note)
                .await?;
        }
        let mut reasons = self
            .apply_determination(txn, &mut row, &facts, &determination, now)
            .await?;
        if was_disputed {
            dispute(&mut row, &mut reasons, &mut determination);
        }
        queries::update_claim(txn, row.clone()).await?;
        self.record_outcome(txn, &row, &determination, reasons, "AMENDED", now)
            .await?;
        tracing::info!(claim_id = %row.id, status = %row.status, "rules ran again after an amendment");
        Ok(())
    }

    /// A history entry the rules or the intake wrote (actor `automation`).
    async fn automation_history(
        &self,
        txn: &DatabaseTransaction,
        claim_id: Uuid,
        at: DateTime<Utc>,
        action: HistoryAction,
        detail: String,
    ) -> Result<(), DbErr> {
        queries::add_history(txn, &self.vault, claim_id, at, AUTOMATION, action, detail).await
    }

    /// A history entry an event of the incident service caused (actor `incident`).
    async fn incident_history(
        &self,
        txn: &DatabaseTransaction,
        claim_id: Uuid,
        at: DateTime<Utc>,
        action: HistoryAction,
        detail: String,
    ) -> Result<(), DbErr> {
        queries::add_history(txn, &self.vault, claim_id, at, "incident", action, detail).await
    }

    /// The liable platform disputes facts of the worker's report. A claim waiting for a
    /// decision goes (or stays) in review with the dispute among its reasons; a decided claim
    /// notes it (an appeal is the way to challenge a decision). Before an application there is
    /// no claim: the application carries the disputes.
    async fn disputed(
        &self,
        txn: &DatabaseTransaction,
        e: events::StatementAdded,
    ) -> Result<(), HandlerError> {
        let incident_id = uuid("incident_id", &e.incident_id)?;
        let Some((mut row, status)) = locked_claim_of(txn, incident_id).await? else {
            return Ok(());
        };
        let now = self.clock.now();
        let detail = format!("the platform disputes {}", e.disputed.join(", "));
        if e.disputed.is_empty() || !status.awaits_decision() {
            self.incident_history(txn, row.id, now, HistoryAction::Statement, detail)
                .await?;
            return Ok(());
        }
        let mut reasons = crate::store::records::reasons(&row);
        if !reasons.iter().any(|r| r == PLATFORM_DISPUTES) {
            reasons.push(PLATFORM_DISPUTES.into());
        }
        row.review_reasons = reasons.join(",");
        row.updated_at = now;
        queries::update_claim(txn, row.clone()).await?;
        self.incident_history(txn, row.id, now, HistoryAction::Disputed, detail)
            .await?;
        ev::emit(
            txn,
            &self.topic,
            &row,
            ev::claim_routed(&row, reasons, "DISPUTED"),
            now,
        )
        .await?;
        tracing::info!(claim_id = %row.id, "claim disputed by its platform");
        Ok(())
    }

    /// A withdrawn incident closes its claim if nobody decided it yet; a decided claim keeps
    /// its determination and notes the withdrawal.
    async fn withdraw(
        &self,
        txn: &DatabaseTransaction,
        e: events::IncidentWithdrawn,
    ) -> Result<(), HandlerError> {
        let incident_id = uuid("incident_id", &e.incident_id)?;
        let Some((mut row, status)) = locked_claim_of(txn, incident_id).await? else {
            return Ok(());
        };
        let now = self.clock.now();
        let by = ipb::ActorKind::try_from(e.withdrawn_by)
            .map(|k| {
                k.as_str_name()
                    .trim_start_matches("ACTOR_KIND_")
                    .to_string()
            })
            .unwrap_or_else(|_| "UNKNOWN".into());
        match lifecycle::withdraw(status) {
            Ok(closed) => {
                row.status = closed.as_str().into();
                row.updated_at = now;
                queries::update_claim(txn, row.clone()).await?;
                self.incident_history(
                    txn,
                    row.id,
                    now,
                    HistoryAction::Withdrawn,
                    format!("the incident was withdrawn by {by} before a decision"),
                )
                .await?;
                ev::emit(txn, &self.topic, &row, ev::claim_withdrawn(&row, &by), now).await?;
                tracing::info!(claim_id = %row.id, "claim withdrawn with its incident");
            }
            Err(_) => {
                let detail = format!(
                    "the incident was withdrawn by {by} after the claim was {}; the determination stands",
                    status.as_str()
                );
                self.incident_history(txn, row.id, now, HistoryAction::IncidentWithdrawn, detail)
                    .await?;
            }
        }
        Ok(())
    }
}

/// The incident's claim, locked for the rest of the transaction, with its status; `None`
/// when no application opened one.
async fn locked_claim_of(
    txn: &DatabaseTransaction,
    incident_id: Uuid,
) -> Result<Option<(claim::Model, ClaimStatus)>, HandlerError> {
    let Some(found) = queries::claim_by_incident(txn, incident_id).await? else {
        return Ok(None);
    };
    let Some(row) = queries::claim_for_update(txn, found.id).await? else {
        return Ok(None);
    };
    let status = ClaimStatus::parse_stored(&row.status)
        .ok()
        .ok_or_else(|| permanent(format!("claim {} has status {:?}", row.id, row.status)))?;
    Ok(Some((row, status)))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, HandlerError> {
    serde_json::to_string(value).map_err(|e| HandlerError::Transient(e.into()))
}

/// A claim the platform disputes waits for a human: an automatic confirmation is withdrawn
/// before it was recorded, and the reason joins the review reasons.
fn dispute(
    row: &mut claim::Model,
    reasons: &mut Vec<String>,
    determination: &mut determination::Determination,
) {
    if !reasons.iter().any(|r| r == PLATFORM_DISPUTES) {
        reasons.push(PLATFORM_DISPUTES.into());
    }
    row.status = ClaimStatus::InReview.as_str().into();
    row.decision = None;
    row.review_reasons = reasons.join(",");
    determination.outcome = Outcome::Review(Vec::new());
}
