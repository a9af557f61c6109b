//! gRPC for enrollment: each method admits the caller by the access table
//! ([`crate::domain::access`]), validates, applies the domain rules, and writes state and
//! outbox in one transaction on the kit's write path.

mod delegations;
mod platforms;

mod members;
mod reviews;
mod scheme;
mod views;
mod workers;

use std::sync::Arc;
use std::time::Duration;

use gigshield_kit::access::Caller;
use gigshield_kit::pii::PiiVault;
use gigshield_kit::write::Writer;
use gigshield_kit::{ApiError, Principal};
use gigshield_proto::enrollment as pb;
use gigshield_proto::enrollment::enrollment_service_server::EnrollmentService;
use tonic::{Request, Response, Status, Streaming};

use crate::domain::access::TABLE;
use crate::store::queries;

pub use workers::MAX_BATCH;

pub struct EnrollmentApi {
    writer: Writer,
    calendar: gigshield_kit::replica::scheme::SchemeCalendar,
    vault: Arc<PiiVault>,
    topic: String,
    min_age: u32,
    clock_skew: Duration,
}

/// Rules the API applies that come from configuration.
pub struct Settings {
    /// Where events go (`enrollment.events.v1`).
    pub topic: String,
    pub min_age: u32,
    pub clock_skew: Duration,
}

impl EnrollmentApi {
    pub fn new(writer: Writer, vault: Arc<PiiVault>, settings: Settings) -> Self {
        Self {
            writer,
            calendar: Default::default(),
            vault,
            topic: settings.topic,
            min_age: settings.min_age,
            clock_skew: settings.clock_skew,
        }
    }

    fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.writer.db
    }

    /// Admits the caller to `rpc` (before any lookup) with the delegations a worker holds.
    async fn caller(&self, rpc: &str, principal: Principal) -> Result<Caller, ApiError> {
        TABLE
            .caller_with(rpc, principal, |person| {
                queries::delegators(self.db(), person, self.writer.now())
            })
            .await
    }
}

#[tonic::async_trait]
impl EnrollmentService for EnrollmentApi {
    async fn register_platform(
        &self,
        request: Request<pb::RegisterPlatformRequest>,
    ) -> Result<Response<pb::RegisterPlatformResponse>, Status> {
        gigshield_kit::handle!(self, request, register_platform)
    }

    async fn get_platform(
        &self,
        request: Request<pb::GetPlatformRequest>,
    ) -> Result<Response<pb::GetPlatformResponse>, Status> {
        gigshield_kit::handle!(self, request, get_platform)
    }

    async fn list_platforms(
        &self,
        request: Request<pb::ListPlatformsRequest>,
    ) -> Result<Response<pb::ListPlatformsResponse>, Status> {
        gigshield_kit::handle!(self, request, list_platforms)
    }

    async fn update_platform(
        &self,
        request: Request<pb::UpdatePlatformRequest>,
    ) -> Result<Response<pb::UpdatePlatformResponse>, Status> {
        gigshield_kit::handle!(self, request, update_platform)
    }

    async fn add_credit_code_exception(
        &self,
        request: Request<pb::AddCreditCodeExceptionRequest>,
    ) -> Result<Response<pb::AddCreditCodeExceptionResponse>, Status> {
        gigshield_kit::handle!(self, request, add_credit_code_exception)
    }

    async fn register_worker(
        &self,
        request: Request<pb::RegisterWorkerRequest>,
    ) -> Result<Response<pb::RegisterWorkerResponse>, Status> {
        gigshield_kit::handle!(self, request, register_worker)
    }

    async fn bulk_register_workers(
        &self,
        request: Request<Streaming<pb::BulkRegisterWorkersRequest>>,
    ) -> Result<Response<pb::BulkRegisterWorkersResponse>, Status> {
        gigshield_kit::handle!(self, request, bulk_register_workers)
    }

    async fn get_worker(
        &self,
        request: Request<pb::GetWorkerRequest>,
    ) -> Result<Response<pb::GetWorkerResponse>, Status> {
        gigshield_kit::handle!(self, request, get_worker)
    }

    async fn list_workers(
        &self,
        request: Request<pb::ListWorkersRequest>,
    ) -> Result<Response<pb::ListWorkersResponse>, Status> {
        gigshield_kit::handle!(self, request, list_workers)
    }

    async fn deregister_worker(
        &self,
        request: Request<pb::DeregisterWorkerRequest>,
    ) -> Result<Response<pb::DeregisterWorkerResponse>, Status> {
        gigshield_kit::handle!(self, request, deregister_worker)
    }

    async fn get_person(
        &self,
        request: Request<pb::GetPersonRequest>,
    ) -> Result<Response<pb::GetPersonResponse>, Status> {
        gigshield_kit::handle!(self, request, get_person)
    }

    async fn grant_delegation(
        &self,
        request: Request<pb::GrantDelegationRequest>,
    ) -> Result<Response<pb::GrantDelegationResponse>, Status> {
        gigshield_kit::handle!(self, request, grant_delegation)
    }

    async fn revoke_delegation(
        &self,
        request: Request<pb::RevokeDelegationRequest>,
    ) -> Result<Response<pb::RevokeDelegationResponse>, Status> {
        gigshield_kit::handle!(self, request, revoke_delegation)
    }

    async fn list_delegations(
        &self,
        request: Request<pb::ListDelegationsRequest>,
    ) -> Result<Response<pb::ListDelegationsResponse>, Status> {
        gigshield_kit::handle!(self, request, list_delegations)
    }

    async fn list_identity_reviews(
        &self,
        request: Request<pb::ListIdentityReviewsRequest>,
    ) -> Result<Response<pb::ListIdentityReviewsResponse>, Status> {
        gigshield_kit::handle!(self, request, list_identity_reviews)
    }

    async fn resolve_identity_review(
        &self,
        request: Request<pb::ResolveIdentityReviewRequest>,
    ) -> Result<Response<pb::ResolveIdentityReviewResponse>, Status> {
        gigshield_kit::handle!(self, request, resolve_identity_review)
    }

    async fn add_scheme_rule(
        &self,
        request: Request<pb::AddSchemeRuleRequest>,
    ) -> Result<Response<pb::AddSchemeRuleResponse>, Status> {
        gigshield_kit::handle!(self, request, add_scheme_rule)
    }

    async fn list_scheme_rules(
        &self,
        request: Request<pb::ListSchemeRulesRequest>,
    ) -> Result<Response<pb::ListSchemeRulesResponse>, Status> {
        gigshield_kit::handle!(self, request, list_scheme_rules)
    }
}
