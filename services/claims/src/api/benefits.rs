//! Capacity appraisal, benefit assessment and payouts of a confirmed claim.

use chrono::{NaiveDate, Utc};
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::wire::timestamp;
use gigshield_kit::{ApiError, Principal, Violations, wire};
use gigshield_proto::claims as pb;
use gigshield_proto::events;
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use gigshield_scheme::region::RegionCode;
use prost::Message as _;
use sea_orm::DatabaseTransaction;

use super::review::text;
use super::{ClaimsApi, accounts, views, visible_claim};
use crate::domain::access;
use crate::domain::benefits::{
    self, Appraisal, ApprovedBill, AssessmentError, BillKind, ClaimFacts, Death, Dependant,
    DisabilityGrade, NursingLevel, Relation, Supplement,
};
use crate::domain::history::HistoryAction;
use crate::domain::lifecycle;
use crate::domain::payouts::{self, SchedulePlan, Term};
use crate::events::{self as ev, ClaimEvent};
use crate::issuing::{Issuer, payout_target};
use crate::store::{appraisal, assessment, claim, figures, payout_schedule, queries, records};

fn nursing_from_pb(value: i32) -> Option<(NursingLevel, &'static str)> {
    match pb::NursingLevel::try_from(value) {
        Ok(pb::NursingLevel::None) => Some((NursingLevel::None, "NONE")),
        Ok(pb::NursingLevel::Partial) => Some((NursingLevel::Partial, "PARTIAL")),
        Ok(pb::NursingLevel::Major) => Some((NursingLevel::Major, "MAJOR")),
        Ok(pb::NursingLevel::Total) => Some((NursingLevel::Total, "TOTAL")),
        _ => None,
    }
}

fn stored_nursing(name: &str) -> Result<NursingLevel, ApiError> {
    nursing_from_pb(views::nursing(name) as i32)
        .map(|(level, _)| level)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("stored nursing level {name:?}")))
}

fn assessment_error(err: AssessmentError) -> ApiError {
    match err {
        AssessmentError::NegativeAmount { field, value } => {
            ApiError::invalid(field, format!("must not be negative, got {value}"))
        }
        AssessmentError::InvalidFacts { field, reason } => ApiError::invalid(field, reason),
        // Figures too large to pay as given (a missing figure is a wait, not an error).
        other => ApiError::FailedPrecondition(other.to_string()),
    }
}

impl ClaimsApi {
    pub(super) async fn record_appraisal(
        &self,
        principal: Principal,
        req: pb::RecordAppraisalRequest,
    ) -> Result<pb::RecordAppraisalResponse, ApiError> {
        let caller = self.caller("RecordAppraisal", principal).await?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "RecordAppraisal", &req)?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        let mut v = Violations::new();
        let grade = u8::try_from(req.grade)
            .ok()
            .and_then(|g| DisabilityGrade::new(g).ok());
        if grade.is_none() {
            v.add("grade", "must be 1 (most severe) to 10 (GB/T 16180-2014)");
        }
        let nursing = nursing_from_pb(req.nursing_level);
        if nursing.is_none() {
            v.add("nursing_level", "is required");
        }
        let appraised_on = NaiveDate::parse_from_str(&req.appraised_on, "%Y-%m-%d").ok();
        match appraised_on {
            None => v.add("appraised_on", "must be a date YYYY-MM-DD"),
            Some(day) if day > shanghai_date(self.writer.now()) => {
                v.add("appraised_on", "must not be in the future")
            }
            Some(_) => {}
        }
        let body = v.check(
            "appraisal_body",
            text("appraisal_body", &req.appraisal_body, true),
        );
        v.into_result()?;
        let (Some(grade), Some((_, nursing_name)), Some(appraised_on), Some(body)) =
            (grade, nursing, appraised_on, body)
        else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "validated fields missing"
            )));
        };

        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let mut row = visible_claim(&caller, &txn, id, true).await?;
            lifecycle::require_confirmed(records::status(&row)?, "appraised")
                .map_err(|e| ApiError::FailedPrecondition(e.0))?;
            let version = queries::appraisals(&txn, id)
                .await?
                .last()
                .map_or(1, |a| a.version + 1);
            let now = self.writer.now();
            let actor = caller.principal.actor();
            queries::insert_appraisal(
                &txn,
                appraisal::Model {
                    claim_id: id,
                    version,
                    grade: i32::from(grade.get()),
                    nursing_level: nursing_name.into(),
                    appraised_on: appraised_on.to_string(),
                    appraisal_body: body.clone(),
                    recorded_by: actor.clone(),
                    recorded_at: now,
                },
            )
            .await?;
            row.updated_at = now;
            queries::update_claim(&txn, row.clone()).await?;
            let detail = if version == 1 {
                format!(
                    "grade {}, nursing {nursing_name}, {appraised_on} by {body}",
                    grade.get()
                )
            } else {
                format!(
                    "re-appraisal {version} replaces {}: grade {}, nursing {nursing_name}, {appraised_on} by {body}",
                    version - 1,
                    grade.get()
                )
            };
            self.add_history(
                &txn,
                id,
                now,
                &actor,
                HistoryAction::AppraisalRecorded,
                detail,
            )
            .await?;
            let event = ClaimEvent::AppraisalRecorded(events::AppraisalRecorded {
                claim_id: id.to_string(),
                person_id: row.person_id.to_string(),
                version,
                grade: i32::from(grade.get()),
                nursing_level: nursing_name.into(),
                appraised_on: appraised_on.to_string(),
                recorded_at: Some(timestamp(now)),
            });
            ev::emit(&txn, &self.settings.topic, &row, event, now).await?;
            Ok(pb::RecordAppraisalResponse {
                claim: Some(self.view(&txn, &row, access::detail(&caller)).await?),
            })
        })?;
        self.committed();
        Ok(response)
    }

    pub(super) async fn assess_benefits(
        &self,
        principal: Principal,
        req: pb::AssessBenefitsRequest,
    ) -> Result<pb::AssessBenefitsResponse, ApiError> {
        let caller = self.caller("AssessBenefits", principal).await?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "AssessBenefits", &req)?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        let input = assessment_input(&req)?;

        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let mut row = visible_claim(&caller, &txn, id, true).await?;
            lifecycle::require_confirmed(records::status(&row)?, "assessed")
                .map_err(|e| ApiError::FailedPrecondition(e.0))?;
            let actor = caller.principal.actor();
            let now = self.writer.now();
            match self.assess_in(&txn, &mut row, &input, &actor, now).await? {
                Assessed::Done => figures::stop_waiting(&txn, id).await?,
                Assessed::Waiting(missing) => {
                    figures::keep_waiting(&txn, id, req.encode_to_vec(), &actor, now).await?;
                    self.wait_for_figure(&txn, &mut row, missing, &actor, now)
                        .await?;
                }
            }
            Ok(pb::AssessBenefitsResponse {
                claim: Some(self.view(&txn, &row, access::detail(&caller)).await?),
            })
        })?;
        self.committed();
        Ok(response)
    }

    /// Assesses a locked, confirmed claim with the benefit parameters in force now and
    /// replaces its schedule; a missing figure is not an error but a wait.
    pub(super) async fn assess_in(
        &self,
        txn: &DatabaseTransaction,
        row: &mut claim::Model,
        input: &AssessmentInput,
        actor: &str,
        now: chrono::DateTime<Utc>,
    ) -> Result<Assessed, ApiError> {
        let id = row.id;
        // The covering order's region: coverage (and the figures) follow where it was taken.
        let region = match records::liability(row)? {
            Some(l) => l.region,
            None => RegionCode::parse(&row.region_code).map_err(ApiError::internal)?,
        };
        let appraisal = match queries::appraisals(txn, id).await?.last() {
            Some(a) => Some(Appraisal {
                grade: u8::try_from(a.grade)
                    .ok()
                    .and_then(|g| DisabilityGrade::new(g).ok())
                    .ok_or_else(|| ApiError::internal(anyhow::anyhow!("stored grade")))?,
                nursing: stored_nursing(&a.nursing_level)?,
            }),
            None => None,
        };
        let facts = ClaimFacts {
            claim_id: id,
            region,
            occurred_at: row.occurred_at,
            approved_bills: input.bills.clone(),
            hospital_days: input.hospital_days,
            death: input.died_at.map(|died_at| Death {
                died_at,
                dependants: input.dependants.clone(),
            }),
        };
        let params = self.benefit_parameters(txn).await?;
        let assessment = match benefits::assess(&facts, appraisal.as_ref(), &params) {
            Ok(assessment) => assessment,
            Err(
                missing @ (AssessmentError::MissingNationalFigure { .. }
                | AssessmentError::MissingRegionalFigure { .. }),
            ) => {
                return Ok(Assessed::Waiting(missing.to_string()));
            }
            Err(other) => return Err(assessment_error(other)),
        };
        let plan = SchedulePlan {
            start: input.start,
            monthly_term: Term::Months(input.instalments),
            overrides: Vec::new(),
        };
        let schedule = payouts::schedule(&assessment, &plan)
            .map_err(|e| ApiError::invalid("monthly_instalments", e.to_string()))?;
        let version = queries::latest_assessment(txn, id)
            .await?
            .map_or(1, |a| a.version + 1);
        queries::insert_assessment(
            txn,
            assessment::Model {
                claim_id: id,
                version,
                parameters_version: assessment.parameters_version.clone(),
                facts: records::to_json(&facts)?,
                body: records::to_json(&assessment)?,
                assessed_by: actor.to_owned(),
                assessed_at: now,
            },
        )
        .await?;
        queries::replace_schedule(
            txn,
            id,
            schedule
                .iter()
                .map(|p| payout_schedule::Model {
                    idempotency_key: p.idempotency_key.clone(),
                    claim_id: id,
                    kind: p.kind.code(),
                    period: p.period.code(),
                    due_month: p.due.to_string(),
                    amount_fen: p.amount_fen,
                    assessment_version: version,
                })
                .collect(),
        )
        .await?;
        row.updated_at = now;
        row.awaiting_parameters = None;
        queries::update_claim(txn, row.clone()).await?;
        self.add_history(txn, id,
            now,
            actor,
            HistoryAction::BenefitAssessed,
            format!(
                "assessment {version} (parameters {}): one-time {} fen, monthly {} fen; {} payouts scheduled",
                assessment.parameters_version,
                assessment.total_one_time_fen,
                assessment.total_monthly_fen,
                schedule.len()
            ),
        )
        .await?;
        let event = ClaimEvent::BenefitAssessed(events::BenefitAssessed {
            claim_id: id.to_string(),
            person_id: row.person_id.to_string(),
            version,
            parameters_version: assessment.parameters_version.clone(),
            items: views::benefit_lines(&assessment),
            total_one_time_fen: assessment.total_one_time_fen,
            total_monthly_fen: assessment.total_monthly_fen,
            assessed_at: Some(timestamp(now)),
        });
        ev::emit(txn, &self.settings.topic, row, event, now).await?;
        Ok(Assessed::Done)
    }

    /// Marks the claim as waiting for `missing`, visibly: flag, history, event.
    pub(super) async fn wait_for_figure(
        &self,
        txn: &DatabaseTransaction,
        row: &mut claim::Model,
        missing: String,
        actor: &str,
        now: chrono::DateTime<Utc>,
    ) -> Result<(), ApiError> {
        if row.awaiting_parameters.as_deref() == Some(missing.as_str()) {
            return Ok(());
        }
        row.awaiting_parameters = Some(missing.clone());
        row.updated_at = now;
        queries::update_claim(txn, row.clone()).await?;
        self.add_history(
            txn,
            row.id,
            now,
            actor,
            HistoryAction::AwaitingParameters,
            format!("assessment kept until the figure is added: {missing}"),
        )
        .await?;
        let event = ClaimEvent::AwaitingParameters(events::ClaimAwaitingParameters {
            claim_id: row.id.to_string(),
            insurer_id: row.insurer_id.map(|i| i.to_string()).unwrap_or_default(),
            missing,
            since: Some(timestamp(now)),
        });
        ev::emit(txn, &self.settings.topic, row, event, now).await?;
        Ok(())
    }

    pub(super) async fn issue_payouts(
        &self,
        principal: Principal,
        req: pb::IssuePayoutsRequest,
    ) -> Result<pb::IssuePayoutsResponse, ApiError> {
        let caller = self.caller("IssuePayouts", principal).await?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "IssuePayouts", &req)?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        let through = wire::month("through_month", &req.through_month)?;
        let named = req.account_reference.trim();
        let named = (!named.is_empty())
            .then(|| accounts::account_reference("account_reference", named))
            .transpose()?;

        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let mut row = visible_claim(&caller, &txn, id, true).await?;
            lifecycle::require_confirmed(records::status(&row)?, "paid")
                .map_err(|e| ApiError::FailedPrecondition(e.0))?;
            let registered = queries::beneficiary_account(&txn, row.person_id).await?;
            let target = payout_target(self.vault(), named.clone(), registered.as_ref())?;
            let issuer = Issuer {
                vault: self.vault(),
                topic: &self.settings.topic,
                actor: caller.principal.actor(),
                now: self.writer.now(),
            };
            let due = queries::schedule(&txn, id).await?;
            let issued = issuer
                .issue(&txn, &mut row, due, &target, &through.to_string())
                .await?;
            Ok(pb::IssuePayoutsResponse {
                issued: views::payouts(&[], &issued, &[])?,
                claim: Some(self.view(&txn, &row, access::detail(&caller)).await?),
            })
        })?;
        self.committed();
        Ok(response)
    }
}

/// A validated `AssessBenefits` request.
#[derive(Debug, Clone)]
pub(super) struct AssessmentInput {
    bills: Vec<ApprovedBill>,
    hospital_days: u32,
    died_at: Option<chrono::DateTime<Utc>>,
    dependants: Vec<Dependant>,
    start: CalendarMonth,
    instalments: u32,
}

/// What became of an assessment.
pub(super) enum Assessed {
    Done,
    /// Names the missing figure.
    Waiting(String),
}

pub(super) fn assessment_input(
    req: &pb::AssessBenefitsRequest,
) -> Result<AssessmentInput, ApiError> {
    let mut v = Violations::new();
    let mut bills = Vec::new();
    for (i, bill) in req.approved_bills.iter().enumerate() {
        let kind = match pb::BillKind::try_from(bill.kind) {
            Ok(pb::BillKind::MedicalAndRehabilitation) => BillKind::MedicalAndRehabilitation,
            Ok(pb::BillKind::AssistiveDevice) => BillKind::AssistiveDevice,
            Ok(pb::BillKind::OutOfAreaTravel) => BillKind::OutOfAreaTravel,
            _ => {
                v.add(format!("approved_bills[{i}].kind"), "is required");
                continue;
            }
        };
        bills.push(ApprovedBill {
            kind,
            amount_fen: bill.amount_fen,
        });
    }
    let hospital_days = u32::try_from(req.hospital_days).unwrap_or_else(|_| {
        v.add("hospital_days", "must not be negative");
        0
    });
    let died_at = v
        .check("died_at", wire::datetime("died_at", req.died_at.as_ref()))
        .flatten();
    let mut dependants = Vec::new();
    for (i, d) in req.dependants.iter().enumerate() {
        let relation = match pb::Relation::try_from(d.relation) {
            Ok(pb::Relation::Spouse) => Relation::Spouse,
            Ok(pb::Relation::Child) => Relation::Child,
            Ok(pb::Relation::Parent) => Relation::Parent,
            Ok(pb::Relation::Grandparent) => Relation::Grandparent,
            Ok(pb::Relation::Grandchild) => Relation::Grandchild,
            Ok(pb::Relation::Sibling) => Relation::Sibling,
            _ => {
                v.add(format!("dependants[{i}].relation"), "is required");
                continue;
            }
        };
        let supplement = match pb::Supplement::try_from(d.supplement) {
            Ok(pb::Supplement::LoneElder) => Some(Supplement::LoneElder),
            Ok(pb::Supplement::Orphan) => Some(Supplement::Orphan),
            _ => None,
        };
        dependants.push(Dependant {
            relation,
            supplement,
        });
    }
    if died_at.is_none() && !dependants.is_empty() {
        v.add("dependants", "only with died_at");
    }
    let start = v.check("start_month", wire::month("start_month", &req.start_month));
    let instalments = u32::try_from(req.monthly_instalments)
        .ok()
        .filter(|n| (1..=payouts::MAX_INSTALMENTS).contains(n));
    if instalments.is_none() {
        v.add(
            "monthly_instalments",
            format!("must be 1 to {}", payouts::MAX_INSTALMENTS),
        );
    }
    v.into_result()?;
    let (Some(start), Some(instalments)) = (start, instalments) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    Ok(AssessmentInput {
        bills,
        hospital_days,
        died_at,
        dependants,
        start,
        instalments,
    })
}
