//! gRPC for premium: each method authenticates, then hands over to a handler that validates,
//! applies the domain rules, and writes state and outbox in one transaction.

mod accounts;
mod activity;
mod declarations;
mod orders;
mod rates;
mod views;

use gigshield_kit::outbox::OutboxNotifier;
use gigshield_proto::premium as pb;
use gigshield_proto::premium::premium_service_server::PremiumService;
use sea_orm::DatabaseConnection;
use tonic::{Request, Response, Status, Streaming};

pub use crate::config::PremiumSettings;
use crate::domain::orders::OrderValidationParams;
pub use orders::MAX_BATCH;

pub struct PremiumApi {
    db: DatabaseConnection,
    outbox: OutboxNotifier,
    settings: PremiumSettings,
    params: OrderValidationParams,
}

impl PremiumApi {
    pub fn new(db: DatabaseConnection, outbox: OutboxNotifier, settings: PremiumSettings) -> Self {
        let params = OrderValidationParams {
            clock_skew: settings.clock_skew,
            ..OrderValidationParams::default()
        };
        Self {
            db,
            outbox,
            settings,
            params,
        }
    }
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
}
