//! gRPC for claims: each method admits the caller by the access table
//! ([`crate::domain::access`]), reads what it needs, applies the domain rules, and writes
//! state, history, outbox and stream rows in one transaction on the kit's write path.

mod accounts;
mod appeals;
mod benefits;
mod delivery;
mod figures;
mod listings;
mod recoveries;
mod review;
pub mod routes;
mod views;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use gigshield_kit::pii::PiiVault;
use gigshield_kit::replica::delegations;
use gigshield_kit::write::Writer;
use gigshield_kit::{ApiError, Caller, CancellationToken, Principal, access};
use gigshield_proto::claims as pb;
use gigshield_proto::claims::claims_service_server::ClaimsService;
use sea_orm::ConnectionTrait;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::access::{TABLE, subject};
use crate::domain::benefit_parameters::BenefitParameters;
use crate::store::figures::BenefitBook;
use crate::store::{claim, queries};
use crate::stream::StreamNotifier;

/// What the API needs from configuration and the process.
#[derive(Clone)]
pub struct Settings {
    /// Where events go (`claims.events.v1`).
    pub topic: String,
    /// Seals payout accounts, notes and history details.
    pub vault: Arc<PiiVault>,
    /// The embedded, validated benefit parameter file (operators' figures apply over it).
    pub benefits: Arc<BenefitParameters>,
    /// How often WatchClaims looks for events of other replicas.
    pub watch_poll: Duration,
    /// WatchClaims streams one replica serves at once.
    pub max_watch_streams: usize,
    /// Statistics cells describing fewer persons are suppressed.
    pub stats_min_persons: u32,
    pub stream: StreamNotifier,
    /// Ends open WatchClaims streams on shutdown: the server's graceful stop waits for every
    /// open call, and a stream otherwise never ends by itself.
    pub shutdown: CancellationToken,
}

pub struct ClaimsApi {
    writer: Writer,
    settings: Settings,
    /// The shipped parameters with the operators' figures over them.
    book: BenefitBook,
    /// Permits for open WatchClaims streams.
    watchers: Arc<tokio::sync::Semaphore>,
}

impl ClaimsApi {
    pub fn new(writer: Writer, settings: Settings) -> Self {
        let book = BenefitBook::new(settings.benefits.clone());
        let watchers = Arc::new(tokio::sync::Semaphore::new(settings.max_watch_streams));
        Self {
            writer,
            settings,
            book,
            watchers,
        }
    }

    /// Appends an entry to the claim's history, its detail sealed.
    async fn add_history(
        &self,
        conn: &impl ConnectionTrait,
        claim_id: Uuid,
        at: chrono::DateTime<chrono::Utc>,
        actor: &str,
        action: crate::domain::history::HistoryAction,
        detail: String,
    ) -> Result<(), sea_orm::DbErr> {
        queries::add_history(conn, self.vault(), claim_id, at, actor, action, detail).await
    }

    /// Today in Shanghai, as claims store their due dates (`YYYY-MM-DD`).
    fn today(&self) -> String {
        gigshield_scheme::calendar::shanghai_date(self.writer.now()).to_string()
    }

    /// The claim as `detail` may see it, today.
    async fn view(
        &self,
        conn: &impl ConnectionTrait,
        row: &claim::Model,
        detail: crate::domain::access::Detail,
    ) -> Result<pb::Claim, ApiError> {
        views::claim(conn, row, detail, self.vault(), &self.today()).await
    }

    fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.writer.db
    }

    fn vault(&self) -> &PiiVault {
        &self.settings.vault
    }

    /// Admits the caller to `rpc` before any lookup, with a worker's delegations.
    async fn caller(&self, rpc: &str, principal: Principal) -> Result<Caller, ApiError> {
        delegations::caller(&TABLE, rpc, principal, self.db(), self.writer.now()).await
    }

    /// After a commit that wrote events: wake the relay and the streams.
    fn committed(&self) {
        self.writer.outbox.notify();
        self.settings.stream.notify();
    }
}

/// The claim if the caller may see it; otherwise the answer of a claim that does not exist.
async fn visible_claim(
    caller: &Caller,
    conn: &impl ConnectionTrait,
    id: Uuid,
    lock: bool,
) -> Result<claim::Model, ApiError> {
    let row = if lock {
        queries::claim_for_update(conn, id).await?
    } else {
        queries::claim(conn, id).await?
    }
    .ok_or_else(|| access::hidden("claim"))?;
    caller.visible(
        &subject(
            row.person_id,
            row.platform_id,
            row.insurer_id,
            &row.region_code,
        ),
        "claim",
    )?;
    Ok(row)
}

#[tonic::async_trait]
impl ClaimsService for ClaimsApi {
    async fn get_claim(
        &self,
        request: Request<pb::GetClaimRequest>,
    ) -> Result<Response<pb::GetClaimResponse>, Status> {
        gigshield_kit::handle!(self, request, get_claim)
    }

    async fn list_claims(
        &self,
        request: Request<pb::ListClaimsRequest>,
    ) -> Result<Response<pb::ListClaimsResponse>, Status> {
        gigshield_kit::handle!(self, request, list_claims)
    }

    async fn get_claim_statistics(
        &self,
        request: Request<pb::GetClaimStatisticsRequest>,
    ) -> Result<Response<pb::GetClaimStatisticsResponse>, Status> {
        gigshield_kit::handle!(self, request, get_claim_statistics)
    }

    async fn list_review_queue(
        &self,
        request: Request<pb::ListReviewQueueRequest>,
    ) -> Result<Response<pb::ListReviewQueueResponse>, Status> {
        gigshield_kit::handle!(self, request, list_review_queue)
    }

    async fn list_awaiting_parameters(
        &self,
        request: Request<pb::ListAwaitingParametersRequest>,
    ) -> Result<Response<pb::ListAwaitingParametersResponse>, Status> {
        gigshield_kit::handle!(self, request, list_awaiting_parameters)
    }

    async fn add_benefit_figure(
        &self,
        request: Request<pb::AddBenefitFigureRequest>,
    ) -> Result<Response<pb::AddBenefitFigureResponse>, Status> {
        gigshield_kit::handle!(self, request, add_benefit_figure)
    }

    async fn list_benefit_figures(
        &self,
        request: Request<pb::ListBenefitFiguresRequest>,
    ) -> Result<Response<pb::ListBenefitFiguresResponse>, Status> {
        gigshield_kit::handle!(self, request, list_benefit_figures)
    }

    async fn decide(
        &self,
        request: Request<pb::DecideRequest>,
    ) -> Result<Response<pb::DecideResponse>, Status> {
        gigshield_kit::handle!(self, request, decide)
    }

    async fn request_information(
        &self,
        request: Request<pb::RequestInformationRequest>,
    ) -> Result<Response<pb::RequestInformationResponse>, Status> {
        gigshield_kit::handle!(self, request, request_information)
    }

    async fn put_route(
        &self,
        request: Request<pb::PutRouteRequest>,
    ) -> Result<Response<pb::PutRouteResponse>, Status> {
        gigshield_kit::handle!(self, request, put_route)
    }

    async fn list_routes(
        &self,
        request: Request<pb::ListRoutesRequest>,
    ) -> Result<Response<pb::ListRoutesResponse>, Status> {
        gigshield_kit::handle!(self, request, list_routes)
    }

    async fn record_appraisal(
        &self,
        request: Request<pb::RecordAppraisalRequest>,
    ) -> Result<Response<pb::RecordAppraisalResponse>, Status> {
        gigshield_kit::handle!(self, request, record_appraisal)
    }

    async fn assess_benefits(
        &self,
        request: Request<pb::AssessBenefitsRequest>,
    ) -> Result<Response<pb::AssessBenefitsResponse>, Status> {
        gigshield_kit::handle!(self, request, assess_benefits)
    }

    async fn issue_payouts(
        &self,
        request: Request<pb::IssuePayoutsRequest>,
    ) -> Result<Response<pb::IssuePayoutsResponse>, Status> {
        gigshield_kit::handle!(self, request, issue_payouts)
    }

    async fn record_recovery(
        &self,
        request: Request<pb::RecordRecoveryRequest>,
    ) -> Result<Response<pb::RecordRecoveryResponse>, Status> {
        gigshield_kit::handle!(self, request, record_recovery)
    }

    async fn approve_payouts(
        &self,
        request: Request<pb::ApprovePayoutsRequest>,
    ) -> Result<Response<pb::ApprovePayoutsResponse>, Status> {
        gigshield_kit::handle!(self, request, approve_payouts)
    }

    async fn record_payout_outcome(
        &self,
        request: Request<pb::RecordPayoutOutcomeRequest>,
    ) -> Result<Response<pb::RecordPayoutOutcomeResponse>, Status> {
        gigshield_kit::handle!(self, request, record_payout_outcome)
    }

    async fn reinstruct_payout(
        &self,
        request: Request<pb::ReinstructPayoutRequest>,
    ) -> Result<Response<pb::ReinstructPayoutResponse>, Status> {
        gigshield_kit::handle!(self, request, reinstruct_payout)
    }

    async fn set_beneficiary_account(
        &self,
        request: Request<pb::SetBeneficiaryAccountRequest>,
    ) -> Result<Response<pb::SetBeneficiaryAccountResponse>, Status> {
        gigshield_kit::handle!(self, request, set_beneficiary_account)
    }

    async fn file_appeal(
        &self,
        request: Request<pb::FileAppealRequest>,
    ) -> Result<Response<pb::FileAppealResponse>, Status> {
        gigshield_kit::handle!(self, request, file_appeal)
    }

    async fn record_appeal_outcome(
        &self,
        request: Request<pb::RecordAppealOutcomeRequest>,
    ) -> Result<Response<pb::RecordAppealOutcomeResponse>, Status> {
        gigshield_kit::handle!(self, request, record_appeal_outcome)
    }

    type WatchClaimsStream = watch::ClaimStream;

    async fn watch_claims(
        &self,
        request: Request<pb::WatchClaimsRequest>,
    ) -> Result<Response<Self::WatchClaimsStream>, Status> {
        gigshield_kit::handle!(self, request, watch_claims)
    }
}
