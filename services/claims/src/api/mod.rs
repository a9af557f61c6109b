//! gRPC for claims: each method authenticates, then hands over to a handler that validates,
//! applies the domain rules, and writes state, history, outbox and stream rows in one
//! transaction (`begin_write`).

mod access;
mod appeals;
mod benefits;
mod review;
pub mod routes;
mod views;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use gigshield_kit::auth::principal;
use gigshield_kit::outbox::OutboxNotifier;
use gigshield_kit::pii::PiiVault;
use gigshield_kit::{ApiError, CancellationToken};
use gigshield_proto::claims as pb;
use gigshield_proto::claims::claims_service_server::ClaimsService;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::benefit_parameters::BenefitParameters;
use crate::store::{claim, queries};
use crate::stream::StreamNotifier;

/// What the API needs from configuration and the process.
#[derive(Clone)]
pub struct Settings {
    /// Where events go (`claims.events.v1`).
    pub topic: String,
    /// Seals payout account references.
    pub vault: Arc<PiiVault>,
    /// The embedded, validated benefit parameter file.
    pub benefits: Arc<BenefitParameters>,
    /// How often WatchClaims looks for events of other replicas.
    pub watch_poll: Duration,
    pub stream: StreamNotifier,
    /// Ends open WatchClaims streams on shutdown: the server's graceful stop waits for every
    /// open call, and a stream otherwise never ends by itself.
    pub shutdown: CancellationToken,
}

pub struct ClaimsApi {
    db: DatabaseConnection,
    outbox: OutboxNotifier,
    settings: Settings,
}

impl ClaimsApi {
    pub fn new(db: DatabaseConnection, outbox: OutboxNotifier, settings: Settings) -> Self {
        Self {
            db,
            outbox,
            settings,
        }
    }

    /// After a commit that wrote events: wake the relay and the streams.
    fn committed(&self) {
        self.outbox.notify();
        self.settings.stream.notify();
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("claim".into())
}

async fn locked_claim(conn: &impl ConnectionTrait, id: Uuid) -> Result<claim::Model, ApiError> {
    queries::claim_for_update(conn, id)
        .await?
        .ok_or_else(not_found)
}

/// Authenticates, runs the handler, maps its error in the kit's one place.
macro_rules! serve {
    ($self:ident, $request:ident, $handler:ident) => {{
        let principal = principal(&$request)?;
        $self
            .$handler(principal, $request.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }};
}

#[tonic::async_trait]
impl ClaimsService for ClaimsApi {
    async fn get_claim(
        &self,
        request: Request<pb::GetClaimRequest>,
    ) -> Result<Response<pb::GetClaimResponse>, Status> {
        serve!(self, request, get_claim)
    }

    async fn list_review_queue(
        &self,
        request: Request<pb::ListReviewQueueRequest>,
    ) -> Result<Response<pb::ListReviewQueueResponse>, Status> {
        serve!(self, request, list_review_queue)
    }

    async fn decide(
        &self,
        request: Request<pb::DecideRequest>,
    ) -> Result<Response<pb::DecideResponse>, Status> {
        serve!(self, request, decide)
    }

    async fn request_information(
        &self,
        request: Request<pb::RequestInformationRequest>,
    ) -> Result<Response<pb::RequestInformationResponse>, Status> {
        serve!(self, request, request_information)
    }

    async fn put_route(
        &self,
        request: Request<pb::PutRouteRequest>,
    ) -> Result<Response<pb::PutRouteResponse>, Status> {
        serve!(self, request, put_route)
    }

    async fn list_routes(
        &self,
        request: Request<pb::ListRoutesRequest>,
    ) -> Result<Response<pb::ListRoutesResponse>, Status> {
        serve!(self, request, list_routes)
    }

    async fn record_appraisal(
        &self,
        request: Request<pb::RecordAppraisalRequest>,
    ) -> Result<Response<pb::RecordAppraisalResponse>, Status> {
        serve!(self, request, record_appraisal)
    }

    async fn assess_benefits(
        &self,
        request: Request<pb::AssessBenefitsRequest>,
    ) -> Result<Response<pb::AssessBenefitsResponse>, Status> {
        serve!(self, request, assess_benefits)
    }

    async fn issue_payouts(
        &self,
        request: Request<pb::IssuePayoutsRequest>,
    ) -> Result<Response<pb::IssuePayoutsResponse>, Status> {
        serve!(self, request, issue_payouts)
    }

    async fn file_appeal(
        &self,
        request: Request<pb::FileAppealRequest>,
    ) -> Result<Response<pb::FileAppealResponse>, Status> {
        serve!(self, request, file_appeal)
    }

    async fn record_appeal_outcome(
        &self,
        request: Request<pb::RecordAppealOutcomeRequest>,
    ) -> Result<Response<pb::RecordAppealOutcomeResponse>, Status> {
        serve!(self, request, record_appeal_outcome)
    }

    type WatchClaimsStream = watch::ClaimStream;

    async fn watch_claims(
        &self,
        request: Request<pb::WatchClaimsRequest>,
    ) -> Result<Response<Self::WatchClaimsStream>, Status> {
        serve!(self, request, watch_claims)
    }
}
