//! Where payouts go: each person's registered beneficiary account (set by the worker, a
//! delegate, or an operator), and the second person's approval a payout to any other account
//! needs.

use gigshield_kit::access::Subject;
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::pii;
use gigshield_kit::wire::timestamp;
use gigshield_kit::{ApiError, Principal, Role, wire};
use gigshield_proto::claims as pb;

use super::{ClaimsApi, views, visible_claim};
use crate::domain::access;
use crate::domain::history::HistoryAction;
use crate::events as ev;
use crate::issuing::{ACCOUNT_CONTEXT, payout_issued};
use crate::store::{beneficiary_account, queries};

/// A bank account or payment reference as entered: 8 to 64 letters, digits or dashes.
pub fn account_reference(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    let n = value.chars().count();
    if !(8..=64).contains(&n) || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ApiError::invalid(
            field,
            "must be 8 to 64 letters, digits or dashes",
        ));
    }
    Ok(value.to_string())
}

impl ClaimsApi {
    pub(super) async fn set_beneficiary_account(
        &self,
        principal: Principal,
        req: pb::SetBeneficiaryAccountRequest,
    ) -> Result<pb::SetBeneficiaryAccountResponse, ApiError> {
        let caller = self.caller("SetBeneficiaryAccount", principal).await?;
        let person_id = wire::uuid("person_id", &req.person_id)?;
        // The worker or a delegate names the person in the request: checked before anything.
        if let Role::Worker { .. } = caller.principal.role {
            caller.require(&Subject::default().person(person_id))?;
        }
        let key = IdempotencyKey::new(
            &caller.principal,
            &req.request_id,
            "SetBeneficiaryAccount",
            &req,
        )?;
        let account = account_reference("account_reference", &req.account_reference)?;
        gigshield_kit::write!(self.writer, key, |txn| {
            // An operator: the person has a claim in its area.
            if !matches!(caller.principal.role, Role::Worker { .. }) {
                let regions = queries::claims_of(&txn, person_id)
                    .await?
                    .into_iter()
                    .map(|c| c.region_code);
                caller.visible(&Subject::default().regions(regions), "person")?;
            }
            let version = queries::beneficiary_account(&txn, person_id)
                .await?
                .map_or(1, |a| a.version + 1);
            let sealed = self.vault().seal(&account, ACCOUNT_CONTEXT);
            let now = self.writer.now();
            let row = beneficiary_account::Model {
                person_id,
                version,
                account_key_id: sealed.key_id,
                account_sealed: sealed.blob,
                account_masked: pii::mask(&account, 4, 4),
                account_index: self.vault().blind_index(&account),
                set_by: caller.principal.actor(),
                set_at: now,
            };
            queries::insert_beneficiary_account(&txn, row.clone()).await?;
            tracing::info!(%person_id, version, "beneficiary account set");
            Ok(pb::SetBeneficiaryAccountResponse {
                person_id: person_id.to_string(),
                account_masked: row.account_masked,
                set_at: Some(timestamp(now)),
            })
        })
    }

    pub(super) async fn approve_payouts(
        &self,
        principal: Principal,
        req: pb::ApprovePayoutsRequest,
    ) -> Result<pb::ApprovePayoutsResponse, ApiError> {
        let caller = self.caller("ApprovePayouts", principal).await?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "ApprovePayouts", &req)?;
        let id = wire::uuid("claim_id", &req.claim_id)?;
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let mut row = visible_claim(&caller, &txn, id, true).await?;
            let actor = caller.principal.actor();
            let held: Vec<_> = queries::ledger(&txn, id)
                .await?
                .into_iter()
                .filter(|l| l.approved_by.is_none())
                .collect();
            if held.is_empty() {
                return Err(ApiError::FailedPrecondition(
                    "no payout of the claim waits for approval".into(),
                ));
            }
            if held.iter().any(|l| l.issued_by == actor) {
                return Err(ApiError::PermissionDenied(
                    "the payouts were issued by the caller: a second person approves them".into(),
                ));
            }
            let now = self.writer.now();
            let mut approved = Vec::new();
            for mut entry in held {
                if queries::approve_ledger(&txn, &entry.idempotency_key, &actor, now).await? {
                    entry.approved_by = Some(actor.clone());
                    entry.approved_at = Some(now);
                    ev::emit(
                        &txn,
                        &self.settings.topic,
                        &row,
                        payout_issued(&row, &entry),
                        now,
                    )
                    .await?;
                    approved.push(entry);
                }
            }
            row.updated_at = now;
            queries::update_claim(&txn, row.clone()).await?;
            self.add_history(
                &txn,
                id,
                now,
                &actor,
                HistoryAction::PayoutsApproved,
                format!(
                    "{} held payout(s), {} fen",
                    approved.len(),
                    approved.iter().map(|p| p.amount_fen).sum::<i64>()
                ),
            )
            .await?;
            Ok(pb::ApprovePayoutsResponse {
                approved: views::payouts(&[], &approved, &[])?,
                claim: Some(self.view(&txn, &row, access::detail(&caller)).await?),
            })
        })?;
        self.committed();
        Ok(response)
    }
}
