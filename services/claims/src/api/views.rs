//! Claims as the API shows them.

use gigshield_kit::ApiError;
use gigshield_kit::pii::PiiVault;
use gigshield_kit::wire::timestamp;
use gigshield_proto::claims as pb;
use gigshield_proto::events;
use sea_orm::ConnectionTrait;

use crate::domain::access::Detail;
use crate::domain::benefits::{Amount, BenefitAssessment};
use crate::domain::delivery::{PayoutState, ReturnReason};
use crate::domain::determination::Verdict;
use crate::domain::lifecycle::{AppealKind, ClaimStatus, OverturnEffect};
use crate::store::{claim, payout_ledger, payout_schedule, payout_step, queries, records};

pub fn status(status: ClaimStatus) -> pb::ClaimStatus {
    match status {
        ClaimStatus::InReview => pb::ClaimStatus::InReview,
        ClaimStatus::InformationRequested => pb::ClaimStatus::InformationRequested,
        ClaimStatus::Confirmed => pb::ClaimStatus::Confirmed,
        ClaimStatus::Refused => pb::ClaimStatus::Refused,
        ClaimStatus::Withdrawn => pb::ClaimStatus::Withdrawn,
    }
}

fn opt(id: Option<uuid::Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

/// Waiting for a human after the last day its determination was due (Shanghai dates, as
/// `YYYY-MM-DD`).
fn overdue(row: &claim::Model, status: ClaimStatus, today: &str) -> bool {
    ClaimStatus::AWAITING_DECISION.contains(&status)
        && !row.determination_due_on.is_empty()
        && row.determination_due_on.as_str() < today
}

pub fn summary(row: &claim::Model, today: &str) -> Result<pb::ClaimSummary, ApiError> {
    let current = records::status(row)?;
    Ok(pb::ClaimSummary {
        determination_due_on: row.determination_due_on.clone(),
        overdue: overdue(row, current, today),
        awaiting_parameters: row.awaiting_parameters.clone().unwrap_or_default(),
        claim_id: row.id.to_string(),
        incident_id: row.incident_id.to_string(),
        person_id: row.person_id.to_string(),
        platform_id: opt(row.platform_id),
        insurer_id: opt(row.insurer_id),
        status: status(records::status(row)?) as i32,
        province_code: row.province_code.clone(),
        occurred_at: Some(timestamp(row.occurred_at)),
        opened_at: Some(timestamp(row.opened_at)),
        review_reasons: records::reasons(row),
    })
}

/// The rule trace; evidence names causes, deaths and times of illness: medical detail.
fn trace(row: &claim::Model, medical: bool) -> Result<Vec<pb::RuleResult>, ApiError> {
    Ok(records::trace(row)?
        .into_iter()
        .map(|o| pb::RuleResult {
            rule: o.rule.as_str().to_string(),
            passed: o.verdict == Verdict::Pass,
            reason: match o.verdict {
                Verdict::Pass => String::new(),
                Verdict::Review(r) => r.as_str().to_string(),
            },
            evidence: if medical { o.evidence } else { String::new() },
        })
        .collect())
}

/// The decision; its note only with medical detail, its decider only when a human decided.
fn decision(
    row: &claim::Model,
    medical: bool,
    vault: &PiiVault,
) -> Result<Option<pb::Decision>, ApiError> {
    let note = if medical {
        records::decision_note(row, vault)?
    } else {
        String::new()
    };
    Ok(records::decision(row)?.map(|d| pb::Decision {
        status: status(d.status) as i32,
        refusal_reason: d
            .refusal_reason
            .map_or(pb::RefusalReason::Unspecified, super::review::refusal_to_pb)
            as i32,
        automatic: d.automatic,
        decided_by: if d.automatic {
            String::new()
        } else {
            d.decided_by
        },
        decided_at: Some(timestamp(d.decided_at)),
        note,
    }))
}

/// The history; without medical detail, no appraisal, benefit or payout entries and no
/// entry's detail (notes, questions and grounds are for the parties and handlers only).
async fn history(
    conn: &impl ConnectionTrait,
    claim_id: uuid::Uuid,
    medical: bool,
    vault: &PiiVault,
) -> Result<Vec<pb::HistoryEntry>, ApiError> {
    queries::history(conn, claim_id)
        .await?
        .into_iter()
        .filter(|h| {
            medical
                || !h.action.starts_with("APPRAISAL")
                    && !h.action.starts_with("BENEFIT")
                    && !h.action.starts_with("PAYOUT")
        })
        .map(|h| {
            Ok(pb::HistoryEntry {
                number: h.number,
                at: Some(timestamp(h.at)),
                actor: h.actor,
                action: h.action,
                detail: if medical {
                    vault
                        .open_text(
                            h.detail_sealed.as_deref(),
                            crate::store::queries::HISTORY_DETAIL,
                        )
                        .map_err(ApiError::internal)?
                } else {
                    String::new()
                },
            })
        })
        .collect()
}

async fn appeals(
    conn: &impl ConnectionTrait,
    claim_id: uuid::Uuid,
) -> Result<Vec<pb::Appeal>, ApiError> {
    Ok(queries::appeals(conn, claim_id)
        .await?
        .into_iter()
        .map(|a| pb::Appeal {
            appeal_id: a.id.to_string(),
            kind: AppealKind::parse_stored(&a.kind)
                .ok()
                .map_or(pb::AppealKind::Unspecified, appeal_kind) as i32,
            outcome: match a.outcome.as_deref() {
                Some("UPHELD") => pb::AppealOutcome::Upheld,
                Some("OVERTURNED") => pb::AppealOutcome::Overturned,
                _ => pb::AppealOutcome::Unspecified,
            } as i32,
            effect: match a
                .effect
                .as_deref()
                .and_then(|e| OverturnEffect::parse_stored(e).ok())
            {
                Some(OverturnEffect::Confirm) => pb::OverturnEffect::Confirm,
                Some(OverturnEffect::Reopen) => pb::OverturnEffect::Reopen,
                None => pb::OverturnEffect::Unspecified,
            } as i32,
            filed_at: Some(timestamp(a.filed_at)),
            decided_at: a.decided_at.map(timestamp),
            filed_by: a.filed_by,
        })
        .collect())
}

type MedicalParts = (
    Vec<pb::Appraisal>,
    Option<pb::BenefitAssessment>,
    Vec<pb::Payout>,
);

/// Appraisals, the latest benefit assessment and the payouts: shown with medical detail only.
async fn medical_parts(
    conn: &impl ConnectionTrait,
    claim_id: uuid::Uuid,
) -> Result<MedicalParts, ApiError> {
    let appraisals = queries::appraisals(conn, claim_id)
        .await?
        .into_iter()
        .map(|a| pb::Appraisal {
            version: a.version,
            grade: a.grade,
            nursing_level: nursing(&a.nursing_level) as i32,
            appraised_on: a.appraised_on,
            appraisal_body: a.appraisal_body,
            recorded_at: Some(timestamp(a.recorded_at)),
        })
        .collect();
    let assessment = match queries::latest_assessment(conn, claim_id).await? {
        Some(a) => {
            let body: BenefitAssessment = serde_json::from_str(&a.body)
                .map_err(|e| ApiError::internal(anyhow::anyhow!("stored assessment: {e}")))?;
            Some(pb::BenefitAssessment {
                version: a.version,
                parameters_version: a.parameters_version,
                items: benefit_lines(&body),
                total_one_time_fen: body.total_one_time_fen,
                total_monthly_fen: body.total_monthly_fen,
                assessed_at: Some(timestamp(a.assessed_at)),
            })
        }
        None => None,
    };
    let schedule = queries::schedule(conn, claim_id).await?;
    let ledger = queries::ledger(conn, claim_id).await?;
    let steps = queries::payout_steps(conn, claim_id).await?;
    Ok((appraisals, assessment, payouts(&schedule, &ledger, &steps)?))
}

pub fn benefit_lines(assessment: &BenefitAssessment) -> Vec<events::BenefitLine> {
    assessment
        .items
        .iter()
        .map(|item| events::BenefitLine {
            kind: item.kind.code(),
            monthly: matches!(item.amount, Amount::Monthly(_)),
            amount_fen: item.amount.fen(),
            basis: item.basis.clone(),
        })
        .collect()
}

pub fn nursing(level: &str) -> pb::NursingLevel {
    match level {
        "NONE" => pb::NursingLevel::None,
        "PARTIAL" => pb::NursingLevel::Partial,
        "MAJOR" => pb::NursingLevel::Major,
        "TOTAL" => pb::NursingLevel::Total,
        _ => pb::NursingLevel::Unspecified,
    }
}

pub fn appeal_kind(kind: AppealKind) -> pb::AppealKind {
    match kind {
        AppealKind::AdministrativeReview => pb::AppealKind::AdministrativeReview,
        AppealKind::Lawsuit => pb::AppealKind::Lawsuit,
        AppealKind::Mediation => pb::AppealKind::Mediation,
    }
}

/// Scheduled payouts with what the ledger issued and what became of it, plus ledger rows an
/// older schedule had. A ledger row without an approval waits for a second person (it went to
/// an account other than the registered one).
pub fn payouts(
    schedule: &[payout_schedule::Model],
    ledger: &[payout_ledger::Model],
    steps: &[payout_step::Model],
) -> Result<Vec<pb::Payout>, ApiError> {
    let mut out = Vec::with_capacity(schedule.len() + ledger.len());
    for s in schedule {
        if !ledger
            .iter()
            .any(|l| l.idempotency_key == s.idempotency_key)
        {
            out.push(pb::Payout {
                idempotency_key: s.idempotency_key.clone(),
                kind: s.kind.clone(),
                period: s.period.clone(),
                due_month: s.due_month.clone(),
                amount_fen: s.amount_fen,
                ..Default::default()
            });
        }
    }
    for l in ledger {
        out.push(issued_payout(l, &records::delivery(l, steps)?));
    }
    out.sort_by(|a, b| {
        a.due_month
            .cmp(&b.due_month)
            .then(a.idempotency_key.cmp(&b.idempotency_key))
    });
    Ok(out)
}

/// An issued payout as its latest instruction and step leave it.
pub fn issued_payout(l: &payout_ledger::Model, delivery: &records::Delivery) -> pb::Payout {
    let held = l.approved_by.is_none();
    pb::Payout {
        idempotency_key: l.idempotency_key.clone(),
        kind: l.kind.clone(),
        period: l.period.clone(),
        due_month: l.due_month.clone(),
        amount_fen: l.amount_fen,
        issued: !held,
        issued_at: Some(timestamp(l.issued_at)),
        account_masked: delivery.account_masked.clone(),
        pending_approval: held,
        state: payout_state(delivery.state) as i32,
        attempt: i32::try_from(delivery.attempt).unwrap_or(i32::MAX),
        return_reason: match delivery.state {
            PayoutState::Returned(reason) => return_reason(reason) as i32,
            _ => pb::PayoutReturnReason::Unspecified as i32,
        },
    }
}

pub fn payout_state(state: PayoutState) -> pb::PayoutState {
    match state {
        PayoutState::Held => pb::PayoutState::Held,
        PayoutState::Instructed => pb::PayoutState::Instructed,
        PayoutState::Sent => pb::PayoutState::Sent,
        PayoutState::Paid => pb::PayoutState::Paid,
        PayoutState::Returned(_) => pb::PayoutState::Returned,
    }
}

pub fn return_reason(reason: ReturnReason) -> pb::PayoutReturnReason {
    match reason {
        ReturnReason::AccountClosed => pb::PayoutReturnReason::AccountClosed,
        ReturnReason::AccountNotFound => pb::PayoutReturnReason::AccountNotFound,
        ReturnReason::NameMismatch => pb::PayoutReturnReason::NameMismatch,
        ReturnReason::AccountFrozen => pb::PayoutReturnReason::AccountFrozen,
        ReturnReason::Other => pb::PayoutReturnReason::Other,
    }
}

/// The whole claim as `detail` allows.
pub async fn claim(
    conn: &impl ConnectionTrait,
    row: &claim::Model,
    detail: Detail,
    vault: &PiiVault,
    today: &str,
) -> Result<pb::Claim, ApiError> {
    let medical = detail == Detail::Full;
    let trace = trace(row, medical)?;
    let decision = decision(row, medical, vault)?;
    let history = history(conn, row.id, medical, vault).await?;
    let appeals = appeals(conn, row.id).await?;
    let (appraisals, assessment, payouts) = if medical {
        medical_parts(conn, row.id).await?
    } else {
        (Vec::new(), None, Vec::new())
    };
    Ok(pb::Claim {
        claim_id: row.id.to_string(),
        incident_id: row.incident_id.to_string(),
        person_id: row.person_id.to_string(),
        platform_id: opt(row.platform_id),
        insurer_id: opt(row.insurer_id),
        status: status(records::status(row)?) as i32,
        province_code: row.province_code.clone(),
        region_code: row.region_code.clone(),
        occurred_at: Some(timestamp(row.occurred_at)),
        filed_at: Some(timestamp(row.filed_at)),
        opened_at: Some(timestamp(row.opened_at)),
        review_reasons: records::reasons(row),
        liability: records::liability(row)?.map(|l| pb::Liability {
            platform_id: l.platform_id.to_string(),
            order_id: l.order_id,
            region_code: l.region.as_str().to_string(),
            industry: crate::events::industry_code(&l.industry),
        }),
        trace,
        decision,
        history,
        appraisals,
        assessment,
        payouts,
        appeals,
        evidence_count: row.evidence_count,
        medical_detail_withheld: !medical,
        determination_due_on: row.determination_due_on.clone(),
        overdue: overdue(row, records::status(row)?, today),
        awaiting_parameters: row.awaiting_parameters.clone().unwrap_or_default(),
    })
}
