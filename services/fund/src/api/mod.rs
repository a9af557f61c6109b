//! gRPC for the fund: each method admits the caller by the access table
//! ([`crate::domain::access`]), checks the area, insurer or platform the request names before
//! anything is read, and writes entries and outbox in one transaction on the kit's write path.

mod settlements;
mod statements;
mod statistics;
mod views;

use gigshield_kit::write::Writer;
use gigshield_kit::{ApiError, Caller, Principal, wire};
use gigshield_proto::fund as pb;
use gigshield_proto::fund::fund_service_server::FundService;
use gigshield_scheme::region::ProvinceCode;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::access::TABLE;

pub struct FundApi {
    writer: Writer,
    /// Where events go (`fund.events.v1`).
    topic: String,
    /// Statistics cells whose benefits were paid on fewer claims withhold them.
    stats_min_claims: u32,
    /// Streamed uploads held in memory at once (each up to ~100 MB): beyond it
    /// `RESOURCE_EXHAUSTED`, retry later.
    uploads: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Streamed payout-record uploads one replica holds at once.
pub const MAX_CONCURRENT_UPLOADS: usize = 2;

impl FundApi {
    pub fn new(writer: Writer, topic: String, stats_min_claims: u32) -> Self {
        Self {
            writer,
            topic,
            stats_min_claims,
            uploads: std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_UPLOADS)),
        }
    }

    fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.writer.db
    }

    /// Admits the caller to `rpc` before any lookup.
    fn caller(&self, rpc: &str, principal: Principal) -> Result<Caller, ApiError> {
        TABLE.caller(rpc, principal, Vec::new())
    }
}

/// A province's own code, `XX0000`.
fn province(field: &str, value: &str) -> Result<String, ApiError> {
    ProvinceCode::parse(value)
        .map(|p| p.region_code())
        .map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// The id a request names, or the caller's own when it is that party and left it empty.
fn own_or_named(field: &str, value: &str, own: Option<Uuid>) -> Result<Uuid, ApiError> {
    match (value.is_empty(), own) {
        (true, Some(own)) => Ok(own),
        _ => wire::uuid(field, value),
    }
}

#[tonic::async_trait]
impl FundService for FundApi {
    async fn get_fund_statement(
        &self,
        request: Request<pb::GetFundStatementRequest>,
    ) -> Result<Response<pb::GetFundStatementResponse>, Status> {
        gigshield_kit::handle!(self, request, get_fund_statement)
    }

    async fn list_fund_entries(
        &self,
        request: Request<pb::ListFundEntriesRequest>,
    ) -> Result<Response<pb::ListFundEntriesResponse>, Status> {
        gigshield_kit::handle!(self, request, list_fund_entries)
    }

    async fn get_benefit_fee_ratio(
        &self,
        request: Request<pb::GetBenefitFeeRatioRequest>,
    ) -> Result<Response<pb::GetBenefitFeeRatioResponse>, Status> {
        gigshield_kit::handle!(self, request, get_benefit_fee_ratio)
    }

    async fn add_insurer_contract(
        &self,
        request: Request<pb::AddInsurerContractRequest>,
    ) -> Result<Response<pb::AddInsurerContractResponse>, Status> {
        gigshield_kit::handle!(self, request, add_insurer_contract)
    }

    async fn record_reimbursement(
        &self,
        request: Request<pb::RecordReimbursementRequest>,
    ) -> Result<Response<pb::RecordReimbursementResponse>, Status> {
        gigshield_kit::handle!(self, request, record_reimbursement)
    }

    async fn submit_payout_records(
        &self,
        request: Request<pb::SubmitPayoutRecordsRequest>,
    ) -> Result<Response<pb::SubmitPayoutRecordsResponse>, Status> {
        gigshield_kit::handle!(self, request, submit_payout_records)
    }

    async fn get_insurer_settlement(
        &self,
        request: Request<pb::GetInsurerSettlementRequest>,
    ) -> Result<Response<pb::GetInsurerSettlementResponse>, Status> {
        gigshield_kit::handle!(self, request, get_insurer_settlement)
    }

    async fn approve_settlement(
        &self,
        request: Request<pb::ApproveSettlementRequest>,
    ) -> Result<Response<pb::ApproveSettlementResponse>, Status> {
        gigshield_kit::handle!(self, request, approve_settlement)
    }

    async fn upload_payout_records(
        &self,
        request: Request<tonic::Streaming<pb::UploadPayoutRecordsRequest>>,
    ) -> Result<Response<pb::UploadPayoutRecordsResponse>, Status> {
        gigshield_kit::handle!(self, request, upload_payout_records)
    }

    async fn get_fund_statistics(
        &self,
        request: Request<pb::GetFundStatisticsRequest>,
    ) -> Result<Response<pb::GetFundStatisticsResponse>, Status> {
        gigshield_kit::handle!(self, request, get_fund_statistics)
    }
}
