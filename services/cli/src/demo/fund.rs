//! The fund's side of the demo month: once the month is declared and paid and the benefits
//! are out, the fund service (fed only by premium's and claims' events) must show the same
//! money: Guangdong's fees of the month, the benefits the insurer advanced, its settlement,
//! and the regulator's counts of claims.

use std::time::{Duration, Instant};

use gigshield_kit::{Jurisdiction, Role};
use gigshield_proto::claims as cpb;
use gigshield_proto::fund as fpb;
use gigshield_proto::fund::fund_service_client::FundServiceClient;
use gigshield_scheme::calendar::CalendarMonth;
use tonic::transport::Channel;
use uuid::Uuid;

use super::client::{Retry, retry};
use super::drive::Driver;

/// How long the fund may take to read the month's events.
const CATCH_UP: Duration = Duration::from_secs(120);
const PROVINCE: &str = "440000";

/// What the fund shows at the end of the demo.
pub struct FundView {
    /// The simulated month: its fees.
    pub fees: fpb::FundStatement,
    /// This month: the payments received and the benefits paid out during the demo.
    pub benefits: fpb::FundStatement,
    pub settlement: fpb::Settlement,
    pub statistics: Vec<cpb::ClaimStatisticsCell>,
    pub min_persons: i64,
    pub caught_up_after: Duration,
}

/// What the demo's own books say the fund must show.
pub struct Expected {
    pub declared_fen: i64,
    pub received_fen: i64,
    pub benefits_fen: i64,
}

fn regulator() -> Role {
    Role::Regulator {
        jurisdiction: Jurisdiction::parse("44").expect("a province"),
    }
}

impl Driver {
    fn fund(&self) -> FundServiceClient<Channel> {
        FundServiceClient::new(self.channels.fund.clone())
    }

    async fn fund_statement(&self, month: CalendarMonth) -> anyhow::Result<fpb::FundStatement> {
        let request = fpb::GetFundStatementRequest {
            province_code: PROVINCE.into(),
            month: month.to_string(),
        };
        let answer = retry(&self.stats, Retry::Transient, || {
            let mut client = self.fund();
            let req = self.tokens.request(&regulator(), request.clone());
            async move { client.get_fund_statement(req).await }
        })
        .await?;
        answer
            .into_inner()
            .statement
            .ok_or_else(|| anyhow::anyhow!("GetFundStatement answered no statement"))
    }

    /// Waits until the fund shows what the demo did (or says where it does not), then reads
    /// the insurer's settlement of this month and the regulator's claim counts.
    pub async fn fund_books(
        &self,
        month: CalendarMonth,
        insurer: Uuid,
        expected: &Expected,
        failures: &mut Vec<String>,
    ) -> anyhow::Result<FundView> {
        let now = CalendarMonth::of(chrono::Utc::now());
        let started = Instant::now();
        let (fees, benefits) = loop {
            let fees = self.fund_statement(month).await?;
            let benefits = self.fund_statement(now).await?;
            // Fees are booked in the month declared, payments in the month received (now).
            let agrees = fees.fees_declared_fen == expected.declared_fen
                && benefits.fees_received_fen == expected.received_fen
                && benefits.benefits_fen == expected.benefits_fen;
            if agrees || started.elapsed() > CATCH_UP {
                if !agrees {
                    failures.push(format!(
                        "the fund shows declared {} / received {} / benefits {} fen, the demo \
                         declared {} / received {} / paid {}",
                        fees.fees_declared_fen,
                        benefits.fees_received_fen,
                        benefits.benefits_fen,
                        expected.declared_fen,
                        expected.received_fen,
                        expected.benefits_fen
                    ));
                }
                break (fees, benefits);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        let caught_up_after = started.elapsed();
        let request = fpb::GetInsurerSettlementRequest {
            insurer_id: insurer.to_string(),
            province_code: PROVINCE.into(),
            month: now.to_string(),
        };
        let settlement = retry(&self.stats, Retry::Transient, || {
            let mut client = self.fund();
            let req = self
                .tokens
                .request(&Role::regional_operator("44"), request.clone());
            async move { client.get_insurer_settlement(req).await }
        })
        .await?
        .into_inner()
        .settlement
        .unwrap_or_default();
        let request = cpb::GetClaimStatisticsRequest {
            from_month: month.to_string(),
            through_month: now.to_string(),
        };
        let statistics = retry(&self.stats, Retry::Transient, || {
            let mut client = self.claims_client();
            let req = self.tokens.request(&regulator(), request.clone());
            async move { client.get_claim_statistics(req).await }
        })
        .await?
        .into_inner();
        Ok(FundView {
            fees,
            benefits,
            settlement,
            statistics: statistics.cells,
            min_persons: statistics.min_persons,
            caught_up_after,
        })
    }
}
