//! The events claims publishes on `claims.events.v1`, keyed by claim_id, and serves through
//! `WatchClaims`. Each is written twice in the business transaction: as an outbox row (Kafka)
//! and as a `claim_event` row (the stream), so both carry the same events in the same order.
//!
//! No event carries free text, rule evidence or a full payment account (see the .proto).

use chrono::{DateTime, Utc};
use gigshield_kit::outbox::{self, OutboxMessage};
use gigshield_kit::wire::timestamp;
use gigshield_proto::claims::watch_claims_response::Event as StreamEvent;
use gigshield_proto::events;
use prost::Message;
use sea_orm::{ConnectionTrait, DbErr};

use crate::domain::determination::{RuleOutcome, Verdict};
use crate::store::{claim, queries, records};

pub const CLAIM_OPENED: &str = "gigshield.events.v1.ClaimOpened";
pub const CLAIM_ROUTED: &str = "gigshield.events.v1.ClaimRouted";
pub const CLAIM_CONFIRMED: &str = "gigshield.events.v1.ClaimConfirmed";
pub const CLAIM_REFUSED: &str = "gigshield.events.v1.ClaimRefused";
pub const APPRAISAL_RECORDED: &str = "gigshield.events.v1.AppraisalRecorded";
pub const BENEFIT_ASSESSED: &str = "gigshield.events.v1.BenefitAssessed";
pub const PAYOUT_ISSUED: &str = "gigshield.events.v1.PayoutIssued";
pub const PAYOUT_STATE_CHANGED: &str = "gigshield.events.v1.PayoutStateChanged";
pub const APPEAL_FILED: &str = "gigshield.events.v1.AppealFiled";
pub const APPEAL_DECIDED: &str = "gigshield.events.v1.AppealDecided";
pub const CLAIM_WITHDRAWN: &str = "gigshield.events.v1.ClaimWithdrawn";
pub const CLAIM_OVERDUE: &str = "gigshield.events.v1.ClaimOverdue";
pub const CLAIM_AWAITING_PARAMETERS: &str = "gigshield.events.v1.ClaimAwaitingParameters";
pub const BENEFIT_FIGURE_ADDED: &str = "gigshield.events.v1.BenefitFigureAdded";

/// One event about a claim.
#[derive(Debug, Clone)]
pub enum ClaimEvent {
    Opened(events::ClaimOpened),
    Routed(events::ClaimRouted),
    Confirmed(events::ClaimConfirmed),
    Refused(events::ClaimRefused),
    AppraisalRecorded(events::AppraisalRecorded),
    BenefitAssessed(events::BenefitAssessed),
    PayoutIssued(events::PayoutIssued),
    PayoutStateChanged(events::PayoutStateChanged),
    AppealFiled(events::AppealFiled),
    AppealDecided(events::AppealDecided),
    Withdrawn(events::ClaimWithdrawn),
    Overdue(events::ClaimOverdue),
    AwaitingParameters(events::ClaimAwaitingParameters),
}

impl ClaimEvent {
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Opened(_) => CLAIM_OPENED,
            Self::Routed(_) => CLAIM_ROUTED,
            Self::Confirmed(_) => CLAIM_CONFIRMED,
            Self::Refused(_) => CLAIM_REFUSED,
            Self::AppraisalRecorded(_) => APPRAISAL_RECORDED,
            Self::BenefitAssessed(_) => BENEFIT_ASSESSED,
            Self::PayoutIssued(_) => PAYOUT_ISSUED,
            Self::PayoutStateChanged(_) => PAYOUT_STATE_CHANGED,
            Self::AppealFiled(_) => APPEAL_FILED,
            Self::AppealDecided(_) => APPEAL_DECIDED,
            Self::Withdrawn(_) => CLAIM_WITHDRAWN,
            Self::Overdue(_) => CLAIM_OVERDUE,
            Self::AwaitingParameters(_) => CLAIM_AWAITING_PARAMETERS,
        }
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            Self::Opened(e) => e.encode_to_vec(),
            Self::Routed(e) => e.encode_to_vec(),
            Self::Confirmed(e) => e.encode_to_vec(),
            Self::Refused(e) => e.encode_to_vec(),
            Self::AppraisalRecorded(e) => e.encode_to_vec(),
            Self::BenefitAssessed(e) => e.encode_to_vec(),
            Self::PayoutIssued(e) => e.encode_to_vec(),
            Self::PayoutStateChanged(e) => e.encode_to_vec(),
            Self::AppealFiled(e) => e.encode_to_vec(),
            Self::AppealDecided(e) => e.encode_to_vec(),
            Self::Withdrawn(e) => e.encode_to_vec(),
            Self::Overdue(e) => e.encode_to_vec(),
            Self::AwaitingParameters(e) => e.encode_to_vec(),
        }
    }
}

/// Writes the event to the outbox and the stream, in the caller's transaction. The stream row
/// is scoped to the insurer the claim is routed to now.
pub async fn emit(
    conn: &impl ConnectionTrait,
    topic: &str,
    claim: &claim::Model,
    event: ClaimEvent,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let event_type = event.type_name();
    let payload = event.encode();
    outbox::enqueue(
        conn,
        OutboxMessage {
            topic: topic.to_string(),
            aggregate_type: "claim",
            aggregate_id: claim.id.to_string(),
            event_type,
            payload: payload.clone(),
        },
    )
    .await?;
    queries::append_event(conn, claim.id, claim.insurer_id, event_type, payload, at).await
}

/// `BenefitFigureAdded`, keyed "benefit-parameters" (one key: consumers see figures in the
/// order they were added). Not a claim event, so not on the stream.
pub fn benefit_figure_added(
    topic: &str,
    entry: &gigshield_proto::common::BenefitFigureEntry,
) -> OutboxMessage {
    OutboxMessage {
        topic: topic.to_string(),
        aggregate_type: "benefit-parameters",
        aggregate_id: "benefit-parameters".into(),
        event_type: BENEFIT_FIGURE_ADDED,
        payload: events::BenefitFigureAdded {
            entry: Some(entry.clone()),
        }
        .encode_to_vec(),
    }
}

/// A stored stream row back as the typed event; `None` for a type this build does not know.
pub fn decode(event_type: &str, payload: &[u8]) -> Option<StreamEvent> {
    fn d<M: Message + Default>(payload: &[u8]) -> Option<M> {
        M::decode(payload).ok()
    }
    Some(match event_type {
        CLAIM_OPENED => StreamEvent::ClaimOpened(d(payload)?),
        CLAIM_ROUTED => StreamEvent::ClaimRouted(d(payload)?),
        CLAIM_CONFIRMED => StreamEvent::ClaimConfirmed(d(payload)?),
        CLAIM_REFUSED => StreamEvent::ClaimRefused(d(payload)?),
        APPRAISAL_RECORDED => StreamEvent::AppraisalRecorded(d(payload)?),
        BENEFIT_ASSESSED => StreamEvent::BenefitAssessed(d(payload)?),
        PAYOUT_ISSUED => StreamEvent::PayoutIssued(d(payload)?),
        PAYOUT_STATE_CHANGED => StreamEvent::PayoutStateChanged(d(payload)?),
        APPEAL_FILED => StreamEvent::AppealFiled(d(payload)?),
        APPEAL_DECIDED => StreamEvent::AppealDecided(d(payload)?),
        CLAIM_WITHDRAWN => StreamEvent::ClaimWithdrawn(d(payload)?),
        CLAIM_OVERDUE => StreamEvent::ClaimOverdue(d(payload)?),
        CLAIM_AWAITING_PARAMETERS => StreamEvent::ClaimAwaitingParameters(d(payload)?),
        _ => return None,
    })
}

fn opt(id: Option<uuid::Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

/// A stored industry name as `gigshield.common.v1.Industry`; unspecified when empty or unknown.
pub fn industry_code(stored: &str) -> i32 {
    gigshield_scheme::industry::Industry::parse_stored(stored).map_or(0, |i| i.to_proto() as i32)
}

pub fn claim_opened(claim: &claim::Model, trace: &[RuleOutcome]) -> ClaimEvent {
    let industry = records::liability(claim)
        .ok()
        .flatten()
        .map_or(0, |l| industry_code(&l.industry));
    ClaimEvent::Opened(events::ClaimOpened {
        claim_id: claim.id.to_string(),
        incident_id: claim.incident_id.to_string(),
        person_id: claim.person_id.to_string(),
        platform_id: opt(claim.platform_id),
        insurer_id: opt(claim.insurer_id),
        province_code: claim.province_code.clone(),
        region_code: claim.region_code.clone(),
        occurred_at: Some(timestamp(claim.occurred_at)),
        filed_at: Some(timestamp(claim.filed_at)),
        opened_at: Some(timestamp(claim.opened_at)),
        trace: trace
            .iter()
            .map(|o| events::RuleVerdict {
                rule: o.rule.as_str().to_string(),
                passed: o.verdict == Verdict::Pass,
                reason: match o.verdict {
                    Verdict::Pass => String::new(),
                    Verdict::Review(reason) => reason.as_str().to_string(),
                },
            })
            .collect(),
        industry,
    })
}

pub fn claim_routed(claim: &claim::Model, reasons: Vec<String>, cause: &str) -> ClaimEvent {
    ClaimEvent::Routed(events::ClaimRouted {
        claim_id: claim.id.to_string(),
        person_id: claim.person_id.to_string(),
        platform_id: opt(claim.platform_id),
        insurer_id: opt(claim.insurer_id),
        province_code: claim.province_code.clone(),
        review_reasons: reasons,
        routed_at: Some(timestamp(claim.updated_at)),
        cause: cause.to_string(),
    })
}

pub fn claim_confirmed(
    claim: &claim::Model,
    order_id: Option<String>,
    automatic: bool,
    appeal_id: Option<uuid::Uuid>,
) -> ClaimEvent {
    ClaimEvent::Confirmed(events::ClaimConfirmed {
        claim_id: claim.id.to_string(),
        person_id: claim.person_id.to_string(),
        platform_id: opt(claim.platform_id),
        order_id: order_id.unwrap_or_default(),
        insurer_id: opt(claim.insurer_id),
        automatic,
        appeal_id: opt(appeal_id),
        confirmed_at: Some(timestamp(claim.updated_at)),
    })
}

pub fn claim_withdrawn(claim: &claim::Model, withdrawn_by: &str) -> ClaimEvent {
    ClaimEvent::Withdrawn(events::ClaimWithdrawn {
        claim_id: claim.id.to_string(),
        person_id: claim.person_id.to_string(),
        platform_id: opt(claim.platform_id),
        insurer_id: opt(claim.insurer_id),
        withdrawn_by: withdrawn_by.to_string(),
        withdrawn_at: Some(timestamp(claim.updated_at)),
    })
}

pub fn claim_refused(claim: &claim::Model, reason: &str) -> ClaimEvent {
    ClaimEvent::Refused(events::ClaimRefused {
        claim_id: claim.id.to_string(),
        person_id: claim.person_id.to_string(),
        platform_id: opt(claim.platform_id),
        insurer_id: opt(claim.insurer_id),
        refusal_reason: reason.to_string(),
        refused_at: Some(timestamp(claim.updated_at)),
    })
}
