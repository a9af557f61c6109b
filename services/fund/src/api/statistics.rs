//! Regulators' figures of the books: per month × province × platform, for the provinces of
//! the caller's area.

use gigshield_kit::{ApiError, Principal, wire};
use gigshield_proto::fund as pb;

use super::FundApi;
use crate::domain::statistics::{self, Cell, MAX_MONTHS, MAX_ROWS};
use crate::store::statistics as sums;

impl FundApi {
    pub(super) async fn get_fund_statistics(
        &self,
        principal: Principal,
        req: pb::GetFundStatisticsRequest,
    ) -> Result<pb::GetFundStatisticsResponse, ApiError> {
        let caller = self.caller("GetFundStatistics", principal)?;
        let (from, through) = wire::month_span(&req.from_month, &req.through_month, MAX_MONTHS)?;
        // The books are per province: only provinces wholly inside the area match (a city's
        // `4403%` matches no `440000`).
        let provinces = caller
            .principal
            .role
            .inside_pattern()
            .unwrap_or_else(|| "%".to_string());
        let (from, through) = (from.to_string(), through.to_string());
        let rows = sums::sums(self.db(), &through, &provinces, MAX_ROWS + 1).await?;
        if rows.len() as u64 > MAX_ROWS {
            return Err(ApiError::ResourceExhausted(format!(
                "more than {MAX_ROWS} groups of entries: ask for fewer months or a smaller area"
            )));
        }
        let paid = sums::claims_paid(self.db(), &from, &through, &provinces).await?;
        let cells = statistics::cells(&rows, &paid, &from, &through, self.stats_min_claims);
        Ok(pb::GetFundStatisticsResponse {
            cells: cells.into_iter().map(cell).collect(),
            min_claims: i64::from(self.stats_min_claims),
        })
    }
}

fn cell(c: Cell) -> pb::FundStatisticsCell {
    let shown = pb::FundStatisticsCell {
        month: c.key.month,
        province_code: c.key.province,
        platform_id: c.key.platform_id.map(|p| p.to_string()).unwrap_or_default(),
        fees_declared_fen: c.fees_declared_fen,
        fees_received_fen: c.fees_received_fen,
        arrears_fen: c.arrears_fen,
        benefits_suppressed: c.benefits.is_none(),
        ..Default::default()
    };
    match c.benefits {
        None => shown,
        Some(b) => pb::FundStatisticsCell {
            claims_paid: b.claims_paid,
            benefits_fen: b.total_fen.unwrap_or(0),
            benefits_by_type_fen: b.by_type_fen.into_iter().collect(),
            withheld_types: b.withheld_types,
            ..shown
        },
    }
}
