//! Reading the fund: a province's monthly statement, the entries behind it, and the benefit /
//! fee ratio of a platform.

use gigshield_kit::access::Subject;
use gigshield_kit::paging::PageQuery;
use gigshield_kit::{ApiError, Principal, Role, wire};
use gigshield_proto::fund as pb;

use super::{FundApi, province, views};
use crate::domain::access::require_province;
use crate::domain::ledger::{Account, net};
use crate::domain::{ratio, statement};
use crate::store::queries;

impl FundApi {
    pub(super) async fn get_fund_statement(
        &self,
        principal: Principal,
        req: pb::GetFundStatementRequest,
    ) -> Result<pb::GetFundStatementResponse, ApiError> {
        let caller = self.caller("GetFundStatement", principal)?;
        let province = province("province_code", &req.province_code)?;
        require_province(&caller, &province)?;
        let month = wire::month("month", &req.month)?;
        let rows = queries::entries_through(self.db(), &province, &month.to_string()).await?;
        let entries = rows
            .iter()
            .map(queries::entry_of)
            .collect::<Result<Vec<_>, _>>()?;
        let figures = statement::statement(&entries, month);
        Ok(pb::GetFundStatementResponse {
            statement: Some(views::statement(&province, &month.to_string(), figures)),
        })
    }

    pub(super) async fn list_fund_entries(
        &self,
        principal: Principal,
        req: pb::ListFundEntriesRequest,
    ) -> Result<pb::ListFundEntriesResponse, ApiError> {
        let caller = self.caller("ListFundEntries", principal)?;
        let province = province("province_code", &req.province_code)?;
        require_province(&caller, &province)?;
        let month = wire::month("month", &req.month)?;
        let page = PageQuery::from_request(req.page.as_ref())?;
        let mut rows = queries::entries_of_month(
            self.db(),
            &province,
            &month.to_string(),
            page.after,
            page.fetch(),
        )
        .await?;
        let page = page.finish(&mut rows, |r| r.id);
        Ok(pb::ListFundEntriesResponse {
            entries: rows.iter().map(views::entry).collect(),
            page: Some(page),
        })
    }

    pub(super) async fn get_benefit_fee_ratio(
        &self,
        principal: Principal,
        req: pb::GetBenefitFeeRatioRequest,
    ) -> Result<pb::GetBenefitFeeRatioResponse, ApiError> {
        let caller = self.caller("GetBenefitFeeRatio", principal)?;
        let own = match caller.principal.role {
            Role::Platform { platform_id } => Some(platform_id),
            _ => None,
        };
        let platform = super::own_or_named("platform_id", &req.platform_id, own)?;
        let province = province("province_code", &req.province_code)?;
        match own {
            Some(_) => caller.require(&Subject::default().platform(platform))?,
            None => require_province(&caller, &province)?,
        }
        let (from, through) = if req.rule_window {
            ratio::rule_window()
        } else {
            (
                wire::month("from_month", &req.from_month)?,
                wire::month("through_month", &req.through_month)?,
            )
        };
        from.months_through(through, ratio::MAX_MONTHS)
            .map_err(|e| ApiError::invalid("through_month", e.to_string()))?;
        let rows = queries::platform_entries(
            self.db(),
            platform,
            &province,
            &from.to_string(),
            &through.to_string(),
        )
        .await?;
        let entries = rows
            .iter()
            .map(queries::entry_of)
            .collect::<Result<Vec<_>, _>>()?;
        let all = |_: &crate::domain::ledger::Entry| true;
        let benefits = net(&entries, Account::BenefitExpense, all);
        let received: i64 = entries
            .iter()
            .filter(|e| e.debit == Account::Cash && e.credit == Account::FeesReceivable)
            .map(|e| e.amount_fen)
            .sum();
        let declared = -net(&entries, Account::FeeIncome, all);
        Ok(pb::GetBenefitFeeRatioResponse {
            platform_id: platform.to_string(),
            province_code: province,
            from_month: from.to_string(),
            through_month: through.to_string(),
            benefits_fen: benefits,
            fees_received_fen: received,
            fees_declared_fen: declared,
            ratio_bps: ratio::ratio_bps(benefits, received),
        })
    }
}
