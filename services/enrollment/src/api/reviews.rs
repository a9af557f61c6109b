//! Identity reviews: registrations held because the name did not match the resident ID
//! number on record, resolved by an operator of the registration's area.

use gigshield_kit::access::{self, Subject};
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Jurisdiction, Principal, paging, wire};
use gigshield_proto::enrollment as pb;
use gigshield_scheme::calendar::shanghai_date;
use prost::Message;

use super::{EnrollmentApi, views};
use crate::domain::registration::{self, RegistrationInput};
use crate::events;
use crate::store::queries;

impl EnrollmentApi {
    pub(super) async fn list_identity_reviews(
        &self,
        principal: Principal,
        req: pb::ListIdentityReviewsRequest,
    ) -> Result<pb::ListIdentityReviewsResponse, ApiError> {
        let caller = self.caller("ListIdentityReviews", principal).await?;
        let area = caller
            .principal
            .role
            .jurisdiction()
            .cloned()
            .unwrap_or(Jurisdiction::National);
        let status = match pb::IdentityReviewStatus::try_from(req.status) {
            Ok(pb::IdentityReviewStatus::Unspecified) => None,
            Ok(pb::IdentityReviewStatus::Open) => Some("OPEN"),
            Ok(pb::IdentityReviewStatus::Registered) => Some("REGISTERED"),
            Ok(pb::IdentityReviewStatus::Rejected) => Some("REJECTED"),
            Err(_) => return Err(ApiError::invalid("status", "unknown status")),
        };
        let page = paging::PageQuery::from_request(req.page.as_ref())?;
        let mut rows =
            queries::list_identity_reviews(self.db(), &area, status, page.after, page.fetch())
                .await?;
        let next = page.finish(&mut rows, |r| r.id);
        Ok(pb::ListIdentityReviewsResponse {
            reviews: rows.iter().map(views::review).collect(),
            page: Some(next),
        })
    }

    pub(super) async fn resolve_identity_review(
        &self,
        principal: Principal,
        req: pb::ResolveIdentityReviewRequest,
    ) -> Result<pb::ResolveIdentityReviewResponse, ApiError> {
        let caller = self.caller("ResolveIdentityReview", principal).await?;
        let id = wire::uuid("review_id", &req.review_id)?;
        let outcome = match pb::IdentityReviewStatus::try_from(req.outcome) {
            Ok(pb::IdentityReviewStatus::Registered) => "REGISTERED",
            Ok(pb::IdentityReviewStatus::Rejected) => "REJECTED",
            _ => {
                return Err(ApiError::invalid(
                    "outcome",
                    "must be REGISTERED or REJECTED",
                ));
            }
        };
        if req.note.trim().is_empty() {
            return Err(ApiError::invalid(
                "note",
                "is required: say what was checked",
            ));
        }
        let key = IdempotencyKey::new(
            &caller.principal,
            &req.request_id,
            "ResolveIdentityReview",
            &req,
        )?;
        gigshield_kit::write!(self.writer, key, |txn| {
            let mut review = queries::identity_review(&txn, id)
                .await?
                .ok_or_else(|| access::hidden("identity review"))?;
            caller.visible(
                &Subject::default().region(review.region_code.clone()),
                "identity review",
            )?;
            if review.status != "OPEN" {
                return Err(ApiError::FailedPrecondition(
                    "the review is already resolved".into(),
                ));
            }
            if outcome == "REGISTERED" {
                review.worker_id = Some(self.register_reviewed(&txn, &review).await?);
            }
            review.status = outcome.into();
            review.resolved_at = Some(self.writer.now());
            review.resolved_by = Some(caller.principal.actor());
            review.note_sealed = self
                .vault
                .seal_text(req.note.trim(), views::REVIEW_NOTE_CONTEXT);
            queries::update_identity_review(&txn, review.clone()).await?;
            Ok(pb::ResolveIdentityReviewResponse {
                review: Some(views::review(&review)),
            })
        })
    }

    /// Registers the held registration for the person on record, under the recorded name,
    /// from the moment the platform sent it.
    async fn register_reviewed(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        review: &crate::store::identity_review::Model,
    ) -> Result<uuid::Uuid, ApiError> {
        let sealed = gigshield_kit::pii::Sealed::from_bytes(&review.registration_sealed)
            .map_err(ApiError::internal)?;
        let bytes = self
            .vault
            .open_bytes(&sealed, views::REGISTRATION_CONTEXT)
            .map_err(ApiError::internal)?;
        let sent = pb::WorkerRegistration::decode(bytes.as_slice()).map_err(ApiError::internal)?;
        let person = queries::person(txn, review.person_id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("review without person")))?;
        let now = self.writer.now();
        let mut valid = registration::validate(
            RegistrationInput {
                external_worker_id: &sent.external_worker_id,
                real_name: &person.real_name,
                resident_id: &sent.resident_id,
                mobile: &sent.mobile,
                region_code: &sent.region_code,
                registered_at: None,
            },
            now,
            shanghai_date(now),
            self.min_age,
        )
        .map_err(ApiError::InvalidArgument)?;
        valid.registered_at = Some(review.opened_at);
        let taken = queries::active_memberships_matching(
            txn,
            review.platform_id,
            std::slice::from_ref(&valid.external_worker_id),
            &[person.id],
        )
        .await?;
        if !taken.is_empty() {
            return Err(ApiError::FailedPrecondition(
                "the platform has since registered this external id or this person".into(),
            ));
        }
        let m = self.new_membership(review.platform_id, person.id, &valid, now);
        queries::insert_memberships(txn, vec![m.clone()]).await?;
        gigshield_kit::outbox::enqueue(txn, events::worker_registered(&self.topic, &m, &person))
            .await?;
        Ok(m.id)
    }
}
