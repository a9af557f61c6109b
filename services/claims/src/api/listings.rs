//! Finding claims: each party's own listing, and the regulators' aggregates.

use gigshield_kit::access::Subject;
use gigshield_kit::area_span::AreaSpan;
use gigshield_kit::paging::PageQuery;
use gigshield_kit::{ApiError, Caller, Principal, Role, wire};
use gigshield_proto::claims as pb;
use gigshield_scheme::calendar::CalendarMonth;
use uuid::Uuid;

use super::review::queue_of;
use super::{ClaimsApi, views};
use crate::domain::lifecycle::ClaimStatus;
use crate::domain::statistics::{self, Cell, ClaimFact, MAX_MONTHS};
use crate::store::claim;
use crate::store::queries::{self, ClaimFilter, ClaimsOf};
use crate::store::records;

/// The most claims one statistics request aggregates; a wider area or span is refused (ask
/// for fewer months) rather than answered slowly or partly.
pub const MAX_STATISTICS_CLAIMS: u64 = 100_000;

impl ClaimsApi {
    pub(super) async fn list_claims(
        &self,
        principal: Principal,
        req: pb::ListClaimsRequest,
    ) -> Result<pb::ListClaimsResponse, ApiError> {
        let caller = self.caller("ListClaims", principal).await?;
        let person = optional_uuid("person_id", &req.person_id)?;
        let of = claims_of(&caller, person)?;
        let filter = ClaimFilter {
            person,
            incident: optional_uuid("incident_id", &req.incident_id)?,
            status: status_filter(req.status)?,
        };
        let page = PageQuery::from_request(req.page.as_ref())?;
        let today = self.today();
        let mut rows =
            queries::list_claims(self.db(), of, filter, page.after, page.fetch()).await?;
        let page = page.finish(&mut rows, |r| r.id);
        Ok(pb::ListClaimsResponse {
            claims: rows
                .iter()
                .map(|row| views::summary(row, &today))
                .collect::<Result<_, _>>()?,
            page: Some(page),
        })
    }

    pub(super) async fn get_claim_statistics(
        &self,
        principal: Principal,
        req: pb::GetClaimStatisticsRequest,
    ) -> Result<pb::GetClaimStatisticsResponse, ApiError> {
        let caller = self.caller("GetClaimStatistics", principal).await?;
        let (from, through) = wire::month_span(&req.from_month, &req.through_month, MAX_MONTHS)?;
        // Counts of what happened inside the area: a city's regulator does not get the claims
        // recorded only at its province's level.
        let inside = caller.principal.role.inside_pattern();
        let span = AreaSpan {
            inside: inside.as_deref(),
            from: from.starts_at(),
            until: through.ends_at(),
        };
        let rows = queries::filed_between(self.db(), span, MAX_STATISTICS_CLAIMS + 1).await?;
        if rows.len() as u64 > MAX_STATISTICS_CLAIMS {
            return Err(ApiError::ResourceExhausted(format!(
                "more than {MAX_STATISTICS_CLAIMS} claims in the span: ask for fewer months"
            )));
        }
        let paid = queries::first_payouts_filed_between(self.db(), span).await?;
        let facts = rows
            .iter()
            .map(|row| fact(row, paid.get(&row.id).copied()))
            .collect::<Result<Vec<_>, _>>()?;
        let min_persons = self.settings.stats_min_persons;
        Ok(pb::GetClaimStatisticsResponse {
            cells: statistics::aggregate(&facts, min_persons)
                .into_iter()
                .map(cell)
                .collect(),
            min_persons: i64::from(min_persons),
        })
    }
}

/// Whose claims the caller lists: a worker a person they act for (themself by default), a
/// platform those it is liable for, everyone else their queue or area.
fn claims_of(caller: &Caller, person: Option<Uuid>) -> Result<ClaimsOf, ApiError> {
    match caller.principal.role {
        Role::Worker { person_id } => {
            let person = person.unwrap_or(person_id);
            caller.require(&Subject::default().person(person))?;
            Ok(ClaimsOf::Person(person))
        }
        Role::Platform { platform_id } => Ok(ClaimsOf::Platform(platform_id)),
        _ => Ok(ClaimsOf::Queue(queue_of(caller))),
    }
}

fn optional_uuid(field: &str, value: &str) -> Result<Option<Uuid>, ApiError> {
    (!value.is_empty())
        .then(|| wire::uuid(field, value))
        .transpose()
}

fn status_filter(value: i32) -> Result<Option<ClaimStatus>, ApiError> {
    if value == pb::ClaimStatus::Unspecified as i32 {
        return Ok(None);
    }
    ClaimStatus::ALL
        .iter()
        .copied()
        .find(|s| views::status(*s) as i32 == value)
        .map(Some)
        .ok_or_else(|| ApiError::invalid("status", "is not a claim status"))
}

fn fact(
    row: &claim::Model,
    paid_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<ClaimFact, ApiError> {
    let decision = records::decision(row)?;
    Ok(ClaimFact {
        month: CalendarMonth::of(row.filed_at).to_string(),
        province_code: row.province_code.clone(),
        platform_id: row.platform_id,
        person_id: row.person_id,
        status: records::status(row)?,
        automatic: decision.as_ref().is_some_and(|d| d.automatic),
        decision_days: decision
            .as_ref()
            .map(|d| (d.decided_at - row.filed_at).num_days().max(0)),
        refusal_reason: decision.and_then(|d| d.refusal_reason),
        payment_days: paid_at.map(|at| (at - row.filed_at).num_days().max(0)),
    })
}

fn cell(cell: Cell) -> pb::ClaimStatisticsCell {
    let keys = pb::ClaimStatisticsCell {
        month: cell.key.month,
        province_code: cell.key.province_code,
        platform_id: cell
            .key
            .platform_id
            .map(|p| p.to_string())
            .unwrap_or_default(),
        suppressed: cell.figures.is_none(),
        ..Default::default()
    };
    let Some(f) = cell.figures else {
        return keys;
    };
    pb::ClaimStatisticsCell {
        claims: f.claims,
        persons: f.persons,
        awaiting_decision: f.awaiting_decision,
        confirmed: f.confirmed,
        refused: f.refused,
        withdrawn: f.withdrawn,
        confirmed_automatically: f.confirmed_automatically,
        decision_days_median: f.decision_days_median,
        decision_days_p90: f.decision_days_p90,
        payment_days_median: f.payment_days_median,
        payment_days_p90: f.payment_days_p90,
        refusals_by_reason: f.refusals_by_reason.into_iter().collect(),
        ..keys
    }
}
