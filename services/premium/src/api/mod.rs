//! gRPC for premium: each method authenticates, then hands over to a handler that validates,
//! applies the domain rules, and writes state and outbox in one transaction.

mod accounts;
mod activity;
mod declarations;
pub mod orders;
mod rates;
mod statistics;
mod views;

use std::sync::Arc;

use gigshield_kit::access::Subject;
use gigshield_kit::write::Writer;
use gigshield_kit::{ApiError, Caller, Principal};
use gigshield_proto::premium as pb;
use gigshield_proto::premium::premium_service_server::PremiumService;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

pub use crate::config::PremiumSettings;
use crate::domain::access::TABLE;
use crate::domain::orders::OrderValidationParams;
use crate::store::known_days::KnownDays;
use crate::store::queries;
use gigshield_kit::replica::scheme::SchemeCalendar;
pub use orders::{MAX_BATCH, MAX_REPORT_STREAM_ORDERS};

#[derive(Clone)]
pub struct PremiumApi {
    writer: Writer,
    settings: PremiumSettings,
    params: OrderValidationParams,
    calendar: SchemeCalendar,
    known_days: KnownDays,
    order_streams: Arc<Semaphore>,
}

impl PremiumApi {
    pub fn new(writer: Writer, settings: PremiumSettings) -> Self {
        let params = OrderValidationParams {
            clock_skew: settings.clock_skew,
            ..OrderValidationParams::default()
        };
        Self {
            writer,
            settings,
            params,
            calendar: SchemeCalendar::new(),
            known_days: KnownDays::default(),
            order_streams: Arc::new(Semaphore::new(orders::MAX_ORDER_STREAMS)),
        }
    }

    fn db(&self) -> &DatabaseConnection {
        &self.writer.db
    }

    /// Admits the caller to `rpc` before any lookup (no premium RPC serves workers, so no
    /// delegations are read).
    fn caller(&self, rpc: &str, principal: Principal) -> Result<Caller, ApiError> {
        TABLE.caller(rpc, principal, Vec::new())
    }
}

/// A platform as the access checks see it: itself and every province it was ever registered
/// for (the replica's scopes).
async fn platform_subject(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
) -> Result<Subject, ApiError> {
    let scopes = queries::scopes(conn, Some(platform_id)).await?;
    let provinces = scopes
        .into_values()
        .flatten()
        .flat_map(|at| at.scope.provinces.into_iter().map(|p| p.region_code()));
    Ok(Subject::default().platform(platform_id).regions(provinces))
}

/// The scope check on a platform the request names, before its data is read.
async fn require_platform(
    caller: &Caller,
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
) -> Result<(), ApiError> {
    let subject = match caller.principal.role {
        gigshield_kit::Role::Platform { .. } => Subject::default().platform(platform_id),
        _ => platform_subject(conn, platform_id).await?,
    };
    caller.require(&subject)
}

#[tonic::async_trait]
impl PremiumService for PremiumApi {
    async fn add_rate(
        &self,
        request: Request<pb::AddRateRequest>,
    ) -> Result<Response<pb::AddRateResponse>, Status> {
        gigshield_kit::handle!(self, request, add_rate)
    }

    async fn list_rates(
        &self,
        request: Request<pb::ListRatesRequest>,
    ) -> Result<Response<pb::ListRatesResponse>, Status> {
        gigshield_kit::handle!(self, request, list_rates)
    }

    async fn report_orders(
        &self,
        request: Request<Streaming<pb::ReportOrdersRequest>>,
    ) -> Result<Response<pb::ReportOrdersResponse>, Status> {
        gigshield_kit::handle!(self, request, report_orders)
    }

    type StreamOrdersStream = orders::OrderAcks;

    async fn stream_orders(
        &self,
        request: Request<Streaming<pb::StreamOrdersRequest>>,
    ) -> Result<Response<Self::StreamOrdersStream>, Status> {
        gigshield_kit::handle!(self, request, stream_orders)
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::GetOrderResponse>, Status> {
        gigshield_kit::handle!(self, request, get_order)
    }

    async fn get_month_statement(
        &self,
        request: Request<pb::GetMonthStatementRequest>,
    ) -> Result<Response<pb::GetMonthStatementResponse>, Status> {
        gigshield_kit::handle!(self, request, get_month_statement)
    }

    async fn close_month(
        &self,
        request: Request<pb::CloseMonthRequest>,
    ) -> Result<Response<pb::CloseMonthResponse>, Status> {
        gigshield_kit::handle!(self, request, close_month)
    }

    async fn list_declarations(
        &self,
        request: Request<pb::ListDeclarationsRequest>,
    ) -> Result<Response<pb::ListDeclarationsResponse>, Status> {
        gigshield_kit::handle!(self, request, list_declarations)
    }

    async fn record_payment(
        &self,
        request: Request<pb::RecordPaymentRequest>,
    ) -> Result<Response<pb::RecordPaymentResponse>, Status> {
        gigshield_kit::handle!(self, request, record_payment)
    }

    async fn get_account(
        &self,
        request: Request<pb::GetAccountRequest>,
    ) -> Result<Response<pb::GetAccountResponse>, Status> {
        gigshield_kit::handle!(self, request, get_account)
    }

    async fn verify_work_activity(
        &self,
        request: Request<pb::VerifyWorkActivityRequest>,
    ) -> Result<Response<pb::VerifyWorkActivityResponse>, Status> {
        gigshield_kit::handle!(self, request, verify_work_activity)
    }

    async fn list_coverage_days(
        &self,
        request: Request<pb::ListCoverageDaysRequest>,
    ) -> Result<Response<pb::ListCoverageDaysResponse>, Status> {
        gigshield_kit::handle!(self, request, list_coverage_days)
    }

    async fn get_premium_statistics(
        &self,
        request: Request<pb::GetPremiumStatisticsRequest>,
    ) -> Result<Response<pb::GetPremiumStatisticsResponse>, Status> {
        gigshield_kit::handle!(self, request, get_premium_statistics)
    }
}
