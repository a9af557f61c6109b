//! What the fund does with insurers: their contracts, their reimbursements, their own payout
//! records, and the monthly settlement reconciled against them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use gigshield_kit::access::Subject;
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::wire::{self, timestamp};
use gigshield_kit::{ApiError, Caller, Principal, outbox};
use gigshield_proto::events;
use gigshield_proto::fund as pb;
use gigshield_scheme::calendar::CalendarMonth;
use sea_orm::ConnectionTrait;
use tonic::Streaming;
use uuid::Uuid;

use super::{FundApi, own_or_named, province, views};
use crate::domain::access::require_province;
use crate::domain::ledger::{self, Account};
use crate::domain::settlement::{
    self, MAX_RECORDS, MAX_REJECTED_LISTED, MAX_SERVICE_FEE_BPS, MAX_STREAMED_RECORDS, Mismatch,
};
use crate::events as ev;
use crate::store::{insurer_contract, payout_record, payout_submission, queries, reimbursement};

/// The largest single reimbursement: a hundred billion yuan, far above any month of a province.
const MAX_AMOUNT_FEN: i64 = 10_000_000_000_000;
/// The longest bank reference, payout key and explanation.
const MAX_REFERENCE_CHARS: usize = 64;
const MAX_PAYOUT_KEY_CHARS: usize = 128;
const MAX_NOTE_CHARS: usize = 2_000;

impl FundApi {
    pub(super) async fn add_insurer_contract(
        &self,
        principal: Principal,
        req: pb::AddInsurerContractRequest,
    ) -> Result<pb::AddInsurerContractResponse, ApiError> {
        let caller = self.caller("AddInsurerContract", principal)?;
        let province = province("province_code", &req.province_code)?;
        caller.require(&Subject::default().region(province.as_str()))?;
        let key = IdempotencyKey::new(
            &caller.principal,
            &req.request_id,
            "AddInsurerContract",
            &req,
        )?;
        let insurer = wire::uuid("insurer_id", &req.insurer_id)?;
        let from = NaiveDate::parse_from_str(&req.effective_from, "%Y-%m-%d")
            .map_err(|_| ApiError::invalid("effective_from", "must be a date, YYYY-MM-DD"))?;
        if !(0..=MAX_SERVICE_FEE_BPS).contains(&req.service_fee_bps) {
            return Err(ApiError::invalid(
                "service_fee_bps",
                format!("must be 0 to {MAX_SERVICE_FEE_BPS}"),
            ));
        }
        gigshield_kit::write!(self.writer, key, |txn| {
            let row = insurer_contract::Model {
                insurer_id: insurer,
                province: province.clone(),
                effective_from: from.to_string(),
                service_fee_bps: req.service_fee_bps,
                added_by: caller.principal.actor(),
                added_at: self.writer.now(),
            };
            let added = gigshield_kit::db::insert_unless_exists(
                &txn,
                sea_orm::IntoActiveModel::into_active_model(row.clone()),
                [
                    insurer_contract::Column::InsurerId,
                    insurer_contract::Column::Province,
                    insurer_contract::Column::EffectiveFrom,
                ],
            )
            .await?;
            if !added {
                return Err(ApiError::AlreadyExists(
                    "a contract of the insurer in the province starts that day; add one for \
                     another day instead of rewriting it"
                        .into(),
                ));
            }
            Ok(pb::AddInsurerContractResponse {
                contract: Some(pb::InsurerContract {
                    insurer_id: insurer.to_string(),
                    province_code: row.province,
                    effective_from: row.effective_from,
                    service_fee_bps: row.service_fee_bps,
                    added_by: row.added_by,
                    added_at: Some(timestamp(row.added_at)),
                }),
            })
        })
    }

    pub(super) async fn record_reimbursement(
        &self,
        principal: Principal,
        req: pb::RecordReimbursementRequest,
    ) -> Result<pb::RecordReimbursementResponse, ApiError> {
        let caller = self.caller("RecordReimbursement", principal)?;
        let province = province("province_code", &req.province_code)?;
        caller.require(&Subject::default().region(province.as_str()))?;
        let key = IdempotencyKey::new(
            &caller.principal,
            &req.request_id,
            "RecordReimbursement",
            &req,
        )?;
        let insurer = wire::uuid("insurer_id", &req.insurer_id)?;
        if !(1..=MAX_AMOUNT_FEN).contains(&req.amount_fen) {
            return Err(ApiError::invalid(
                "amount_fen",
                format!("must be 1 to {MAX_AMOUNT_FEN}"),
            ));
        }
        let reference = reference(&req.reference)?;
        let paid_at = wire::datetime("paid_at", req.paid_at.as_ref())?
            .ok_or_else(|| ApiError::invalid("paid_at", "is required"))?;
        let paid_in = CalendarMonth::of(paid_at);
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let entry = ledger::reimbursed(&province, paid_in, insurer, req.amount_fen);
            let source = format!("RecordReimbursement:{}", req.request_id.trim());
            let rows = queries::book(
                &txn,
                &entry.into_iter().collect::<Vec<_>>(),
                &source,
                "ReimbursementRecorded",
                self.writer.now(),
            )
            .await?;
            let booked = rows
                .first()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("nothing booked")))?;
            let fresh = queries::claim_reference(
                &txn,
                reimbursement::Model {
                    insurer_id: insurer,
                    reference: reference.clone(),
                    entry_id: booked.id,
                },
            )
            .await?;
            if !fresh {
                return Err(ApiError::AlreadyExists(format!(
                    "reference {reference} already reimbursed the insurer"
                )));
            }
            outbox::enqueue(
                &txn,
                ev::reimbursement_recorded(
                    &self.topic,
                    &events::ReimbursementRecorded {
                        insurer_id: insurer.to_string(),
                        province_code: province.clone(),
                        month: paid_in.to_string(),
                        amount_fen: req.amount_fen,
                        reference: reference.clone(),
                        paid_at: Some(timestamp(paid_at)),
                    },
                ),
            )
            .await?;
            Ok(pb::RecordReimbursementResponse {
                entry: Some(views::entry(booked)),
            })
        })?;
        self.writer.outbox.notify();
        Ok(response)
    }

    pub(super) async fn submit_payout_records(
        &self,
        principal: Principal,
        req: pb::SubmitPayoutRecordsRequest,
    ) -> Result<pb::SubmitPayoutRecordsResponse, ApiError> {
        let caller = self.caller("SubmitPayoutRecords", principal)?;
        records_insurer(&caller, &req.insurer_id)?;
        if req.records.len() > MAX_RECORDS {
            return Err(ApiError::invalid(
                "records",
                format!("more than {MAX_RECORDS} records: stream the month (UploadPayoutRecords)"),
            ));
        }
        self.replace_records(&caller, "SubmitPayoutRecords", req)
            .await
    }

    pub(super) async fn upload_payout_records(
        &self,
        principal: Principal,
        mut stream: Streaming<pb::UploadPayoutRecordsRequest>,
    ) -> Result<pb::UploadPayoutRecordsResponse, ApiError> {
        let caller = self.caller("UploadPayoutRecords", principal)?;
        let _slot = self.uploads.try_acquire().map_err(|_| {
            ApiError::ResourceExhausted(format!(
                "{} uploads are in progress on this replica: retry shortly",
                super::MAX_CONCURRENT_UPLOADS
            ))
        })?;
        let mut head: Option<pb::UploadPayoutRecordsRequest> = None;
        let mut records = Vec::new();
        while let Some(mut this) = stream
            .message()
            .await
            .map_err(|s| ApiError::invalid("stream", s.message().to_string()))?
        {
            let more = std::mem::take(&mut this.records);
            match &head {
                // The insurer's scope, checked before anything is held for it.
                None => {
                    records_insurer(&caller, &this.insurer_id)?;
                    head = Some(this);
                }
                Some(first) if *first != this => {
                    return Err(ApiError::invalid(
                        "request_id",
                        "every message of a stream carries the same request_id, insurer_id, \
                         province_code and month",
                    ));
                }
                Some(_) => {}
            }
            if more.len() > MAX_RECORDS {
                return Err(ApiError::invalid(
                    "records",
                    format!("at most {MAX_RECORDS} per message"),
                ));
            }
            if records.len() + more.len() > MAX_STREAMED_RECORDS {
                return Err(ApiError::invalid(
                    "records",
                    format!("more than {MAX_STREAMED_RECORDS} in one stream"),
                ));
            }
            records.extend(more);
        }
        let head = head.ok_or_else(|| ApiError::invalid("records", "the stream was empty"))?;
        let whole = pb::SubmitPayoutRecordsRequest {
            request_id: head.request_id,
            insurer_id: head.insurer_id,
            province_code: head.province_code,
            month: head.month,
            records,
        };
        let answer = self
            .replace_records(&caller, "UploadPayoutRecords", whole)
            .await?;
        Ok(pb::UploadPayoutRecordsResponse {
            accepted: answer.accepted,
            rejected: answer.rejected,
            rejected_total: answer.rejected_total,
        })
    }

    /// The insurer's month of records replaced by `req`'s, once per request id.
    async fn replace_records(
        &self,
        caller: &Caller,
        rpc: &'static str,
        req: pb::SubmitPayoutRecordsRequest,
    ) -> Result<pb::SubmitPayoutRecordsResponse, ApiError> {
        let insurer = records_insurer(caller, &req.insurer_id)?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, rpc, &req)?;
        let province = province("province_code", &req.province_code)?;
        let month = wire::month("month", &req.month)?.to_string();
        let (records, rejected) = checked_records(&req.records);
        let rejected_total = i32::try_from(rejected.len()).unwrap_or(i32::MAX);
        let rejected: Vec<_> = rejected.into_iter().take(MAX_REJECTED_LISTED).collect();
        gigshield_kit::write!(self.writer, key, |txn| {
            if queries::settlement(&txn, insurer, &province, &month)
                .await?
                .is_some()
            {
                return Err(ApiError::FailedPrecondition(
                    "the month is settled: its records no longer change".into(),
                ));
            }
            let accepted = i32::try_from(records.len()).unwrap_or(i32::MAX);
            let rows = records
                .iter()
                .map(|(payout_key, amount_fen)| payout_record::Model {
                    insurer_id: insurer,
                    province: province.clone(),
                    month: month.clone(),
                    payout_key: payout_key.clone(),
                    amount_fen: *amount_fen,
                })
                .collect();
            let submission = payout_submission::Model {
                insurer_id: insurer,
                province: province.clone(),
                month: month.clone(),
                records: accepted,
                submitted_at: self.writer.now(),
            };
            queries::replace_records(&txn, submission, rows).await?;
            Ok(pb::SubmitPayoutRecordsResponse {
                accepted,
                rejected: rejected.clone(),
                rejected_total,
            })
        })
    }

    pub(super) async fn get_insurer_settlement(
        &self,
        principal: Principal,
        req: pb::GetInsurerSettlementRequest,
    ) -> Result<pb::GetInsurerSettlementResponse, ApiError> {
        let caller = self.caller("GetInsurerSettlement", principal)?;
        let insurer = own_or_named(
            "insurer_id",
            &req.insurer_id,
            caller.principal.role.insurer(),
        )?;
        let province = province("province_code", &req.province_code)?;
        require_insurer_or_area(&caller, insurer, &province)?;
        let month = wire::month("month", &req.month)?;
        let (settlement, _) = settle(self.db(), insurer, &province, month).await?;
        Ok(pb::GetInsurerSettlementResponse {
            settlement: Some(settlement),
        })
    }

    pub(super) async fn approve_settlement(
        &self,
        principal: Principal,
        req: pb::ApproveSettlementRequest,
    ) -> Result<pb::ApproveSettlementResponse, ApiError> {
        let caller = self.caller("ApproveSettlement", principal)?;
        let province = province("province_code", &req.province_code)?;
        caller.require(&Subject::default().region(province.as_str()))?;
        let key = IdempotencyKey::new(
            &caller.principal,
            &req.request_id,
            "ApproveSettlement",
            &req,
        )?;
        let insurer = wire::uuid("insurer_id", &req.insurer_id)?;
        let month = wire::month("month", &req.month)?;
        let explanations = explanations(&req.explanations)?;
        if month.ends_at() > self.writer.now() {
            return Err(ApiError::FailedPrecondition(format!(
                "{month} has not ended: a month is settled after it"
            )));
        }
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            if queries::settlement(&txn, insurer, &province, &month.to_string())
                .await?
                .is_some()
            {
                return Err(ApiError::FailedPrecondition(
                    "the month is already settled".into(),
                ));
            }
            let (mut view, mismatches) = settle(&txn, insurer, &province, month).await?;
            if !view.records_submitted {
                return Err(ApiError::FailedPrecondition(
                    "the insurer has not submitted its payout records for the month".into(),
                ));
            }
            let keys: Vec<String> = explanations.keys().cloned().collect();
            let open = settlement::unexplained(&mismatches, &keys);
            if !open.is_empty() {
                return Err(ApiError::FailedPrecondition(format!(
                    "{} mismatch(es) not explained, e.g. {}",
                    open.len(),
                    open.iter().take(5).copied().collect::<Vec<_>>().join(", ")
                )));
            }
            let now = self.writer.now();
            let actor = caller.principal.actor();
            let fee = ledger::service_fee(&province, month, insurer, view.service_fee_fen);
            let source = format!("ApproveSettlement:{}", req.request_id.trim());
            queries::book(
                &txn,
                &fee.into_iter().collect::<Vec<_>>(),
                &source,
                "SettlementApproved",
                now,
            )
            .await?;
            queries::insert_settlement(
                &txn,
                crate::store::settlement::Model {
                    insurer_id: insurer,
                    province: province.clone(),
                    month: month.to_string(),
                    service_fee_fen: view.service_fee_fen,
                    explanations: serde_json::to_string(&explanations)
                        .map_err(ApiError::internal)?,
                    approved_by: actor.clone(),
                    approved_at: now,
                },
            )
            .await?;
            view.approved = true;
            view.approved_by = actor;
            view.approved_at = Some(timestamp(now));
            outbox::enqueue(
                &txn,
                ev::settlement_approved(
                    &self.topic,
                    &events::SettlementApproved {
                        insurer_id: insurer.to_string(),
                        province_code: province.clone(),
                        month: month.to_string(),
                        advanced_fen: view.advanced_fen,
                        service_fee_fen: view.service_fee_fen,
                        reimbursed_fen: view.reimbursed_fen,
                        owed_fen: view.owed_fen,
                        mismatches_explained: i32::try_from(mismatches.len()).unwrap_or(i32::MAX),
                        approved_at: Some(timestamp(now)),
                    },
                ),
            )
            .await?;
            Ok(pb::ApproveSettlementResponse {
                settlement: Some(view),
            })
        })?;
        self.writer.outbox.notify();
        Ok(response)
    }
}

/// An insurer its own settlement; an operator one of its area.
fn require_insurer_or_area(caller: &Caller, insurer: Uuid, province: &str) -> Result<(), ApiError> {
    match caller.principal.role.insurer() {
        Some(_) => caller.require(&Subject::default().insurer(insurer)),
        None => require_province(caller, province),
    }
}

fn reference(value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    let n = value.chars().count();
    if !(1..=MAX_REFERENCE_CHARS).contains(&n)
        || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ApiError::invalid(
            "reference",
            format!("must be 1 to {MAX_REFERENCE_CHARS} letters, digits or dashes"),
        ));
    }
    Ok(value.to_string())
}

/// The insurer whose records a request submits (an insurer caller: empty or its own), in the
/// caller's scope.
fn records_insurer(caller: &Caller, named: &str) -> Result<Uuid, ApiError> {
    let insurer = own_or_named("insurer_id", named, caller.principal.role.insurer())?;
    caller.require(&Subject::default().insurer(insurer))?;
    Ok(insurer)
}

/// The valid records by payout key, and each left out with its field and reason (a key given
/// twice keeps its first record).
fn checked_records(
    records: &[pb::PayoutRecord],
) -> (BTreeMap<String, i64>, Vec<pb::RejectedRecord>) {
    let mut kept = BTreeMap::new();
    let mut rejected = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let index = i32::try_from(i).unwrap_or(i32::MAX);
        let reject = |field: &str, reason: &str| pb::RejectedRecord {
            index,
            field: format!("records[{i}].{field}"),
            reason: reason.to_string(),
        };
        let key = r.payout_key.trim();
        if key.is_empty() || key.chars().count() > MAX_PAYOUT_KEY_CHARS {
            rejected.push(reject("payout_key", "must be 1 to 128 characters"));
        } else if r.amount_fen == 0 || r.amount_fen.unsigned_abs() > MAX_AMOUNT_FEN.unsigned_abs() {
            rejected.push(reject(
                "amount_fen",
                "must not be zero (negative: a recovery) nor beyond the largest amount",
            ));
        } else if kept.contains_key(key) {
            rejected.push(reject("payout_key", "repeats an earlier record"));
        } else {
            kept.insert(key.to_string(), r.amount_fen);
        }
    }
    (kept, rejected)
}

fn explanations(items: &[pb::Explanation]) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for (i, e) in items.iter().enumerate() {
        let note = e.note.trim();
        if e.payout_key.trim().is_empty() {
            return Err(ApiError::invalid(
                format!("explanations[{i}].payout_key"),
                "is required",
            ));
        }
        if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
            return Err(ApiError::invalid(
                format!("explanations[{i}].note"),
                format!("must be 1 to {MAX_NOTE_CHARS} characters"),
            ));
        }
        out.insert(e.payout_key.trim().to_string(), note.to_string());
    }
    Ok(out)
}

/// The insurer's month as it stands, and its mismatches.
async fn settle(
    conn: &impl ConnectionTrait,
    insurer: Uuid,
    province: &str,
    month: CalendarMonth,
) -> Result<(pb::Settlement, Vec<Mismatch>), ApiError> {
    let m = month.to_string();
    let payouts = queries::payouts_of(conn, insurer, province, &m).await?;
    let entries = queries::insurer_entries(conn, insurer, province, &m)
        .await?
        .iter()
        .map(queries::entry_of)
        .collect::<Result<Vec<_>, _>>()?;
    let flow = |debit: Account, credit: Account| -> i64 {
        entries
            .iter()
            .filter(|e| e.debit == debit && e.credit == credit)
            .map(|e| e.amount_fen)
            .sum()
    };
    let advanced = flow(Account::BenefitExpense, Account::InsurerPayable)
        - flow(Account::InsurerPayable, Account::BenefitExpense);
    let reimbursed = flow(Account::InsurerPayable, Account::Cash);
    let contract =
        queries::contract_on(conn, insurer, province, &month.first_day().to_string()).await?;
    let bps = contract.map_or(0, |c| c.service_fee_bps);
    let approved = queries::settlement(conn, insurer, province, &m).await?;
    let fee = approved.as_ref().map_or_else(
        || settlement::service_fee(advanced, bps),
        |s| s.service_fee_fen,
    );
    let ours: BTreeMap<String, i64> = payouts
        .iter()
        .filter(|p| p.state != "RETURNED")
        .map(|p| (p.payout_key.clone(), p.amount_fen))
        .collect();
    let (submission, records) = queries::records(conn, insurer, province, &m).await?;
    let theirs: BTreeMap<String, i64> = records
        .into_iter()
        .map(|r| (r.payout_key, r.amount_fen))
        .collect();
    let mismatches = settlement::reconcile(&ours, &theirs);
    let count = |state: Option<&str>| {
        payouts
            .iter()
            .filter(|p| state.is_none_or(|s| p.state == s))
            .fold((0_i32, 0_i64), |(n, fen), p| (n + 1, fen + p.amount_fen))
    };
    let (issued_n, issued_fen) = count(None);
    let (returned_n, returned_fen) = count(Some("RETURNED"));
    let (paid_n, paid_fen) = count(Some("PAID"));
    let view = pb::Settlement {
        insurer_id: insurer.to_string(),
        province_code: province.to_string(),
        month: m,
        payouts_issued: issued_n,
        issued_fen,
        payouts_returned: returned_n,
        returned_fen,
        payouts_paid: paid_n,
        paid_fen,
        advanced_fen: advanced,
        service_fee_bps: bps,
        service_fee_fen: fee,
        reimbursed_fen: reimbursed,
        owed_fen: advanced + fee - reimbursed,
        records_submitted: submission.is_some(),
        mismatches: mismatches.iter().map(views::mismatch).collect(),
        approved: approved.is_some(),
        approved_by: approved
            .as_ref()
            .map(|s| s.approved_by.clone())
            .unwrap_or_default(),
        approved_at: approved.map(|s| timestamp(s.approved_at)),
    };
    Ok((view, mismatches))
}
