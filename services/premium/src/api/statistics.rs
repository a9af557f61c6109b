//! Regulators' counts of the order stream: aggregates only, for whole provinces in the
//! caller's area.

use chrono::Duration;
use gigshield_kit::Principal;
use gigshield_kit::{ApiError, wire};
use gigshield_proto::premium as pb;
use gigshield_scheme::calendar::CalendarMonth;

use super::PremiumApi;
use crate::domain::statistics::{self, CellKey, Figures, MAX_CELLS, MAX_MONTHS};
use crate::store::queries::{self, scope_at};
use crate::store::statistics::{self as sums, Span};

impl PremiumApi {
    pub(super) async fn get_premium_statistics(
        &self,
        principal: Principal,
        req: pb::GetPremiumStatisticsRequest,
    ) -> Result<pb::GetPremiumStatisticsResponse, ApiError> {
        let caller = self.caller("GetPremiumStatistics", principal)?;
        let (from, through) = wire::month_span(&req.from_month, &req.through_month, MAX_MONTHS)?;
        // Premium's figures are per province: an area smaller than a province sees none, so
        // only provinces wholly inside the caller's area match (a city's `4403%` matches no
        // `440000`).
        let provinces = caller
            .principal
            .role
            .inside_pattern()
            .unwrap_or_else(|| "%".to_string());
        let (first_day, last_day) = (from.first_day().to_string(), through.last_day().to_string());
        let (from_month, through_month) = (from.to_string(), through.to_string());
        let span = Span {
            first_day: &first_day,
            last_day: &last_day,
            from_month: &from_month,
            through_month: &through_month,
            provinces: &provinces,
        };
        let rows = sums::rows(self.db(), &span, MAX_CELLS + 1).await?;
        let min_persons = self.settings.stats_min_persons;
        let cells = statistics::cells(rows, min_persons);
        if cells.len() as u64 > MAX_CELLS {
            return Err(ApiError::ResourceExhausted(format!(
                "more than {MAX_CELLS} cells in the span: ask for fewer months"
            )));
        }
        let scopes = queries::scopes(self.db(), None).await?;
        let industries = |key: &CellKey| -> Vec<String> {
            let Ok(month) = key.month.parse::<CalendarMonth>() else {
                return Vec::new();
            };
            scopes
                .get(&key.platform_id)
                .and_then(|history| scope_at(history, month.ends_at() - Duration::nanoseconds(1)))
                .map(|scope| {
                    scope
                        .industries
                        .iter()
                        .map(|i| i.as_str().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(pb::GetPremiumStatisticsResponse {
            cells: cells
                .into_iter()
                .map(|(key, f)| {
                    let industries = industries(&key);
                    pb::PremiumStatisticsCell {
                        industries,
                        ..cell(key, f)
                    }
                })
                .collect(),
            min_persons: i64::from(min_persons),
        })
    }
}

fn cell(key: CellKey, figures: Option<Figures>) -> pb::PremiumStatisticsCell {
    let keys = pb::PremiumStatisticsCell {
        month: key.month,
        province_code: key.province,
        platform_id: key.platform_id.to_string(),
        suppressed: figures.is_none(),
        ..Default::default()
    };
    let Some(f) = figures else {
        return keys;
    };
    pb::PremiumStatisticsCell {
        orders: f.orders,
        billable_orders: f.billable_orders,
        fees_accrued_fen: f.fees_accrued_fen,
        fees_declared_fen: f.fees_declared_fen,
        coverage_days: f.coverage_days,
        covered_persons: f.covered_persons,
        ..keys
    }
}
