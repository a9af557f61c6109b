//! Regulators' counts of incidents: aggregates only, for incidents located in the caller's
//! area.

use gigshield_kit::area_span::AreaSpan;
use std::collections::HashMap;

use gigshield_kit::{ApiError, Principal, wire};
use gigshield_proto::incident as pb;
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use gigshield_scheme::region::RegionCode;

use super::IncidentApi;
use crate::domain::access::TABLE;
use crate::domain::lifecycle::IncidentStatus;
use crate::domain::statistics::{self, Cell, IncidentFact, MAX_MONTHS};
use crate::store::{incident, queries, records};

/// The most incidents one statistics request aggregates; a wider area or span is refused
/// (ask for fewer months) rather than answered slowly or partly.
pub const MAX_STATISTICS_INCIDENTS: u64 = 100_000;

impl IncidentApi {
    pub(super) async fn get_incident_statistics(
        &self,
        principal: Principal,
        req: pb::GetIncidentStatisticsRequest,
    ) -> Result<pb::GetIncidentStatisticsResponse, ApiError> {
        let caller = TABLE.caller("GetIncidentStatistics", principal, Vec::new())?;
        let (from, through) = wire::month_span(&req.from_month, &req.through_month, MAX_MONTHS)?;
        // What happened inside the area: a city's regulator does not get the incidents
        // recorded only at its province's level.
        let inside = caller.principal.role.inside_pattern();
        let span = AreaSpan {
            inside: inside.as_deref(),
            from: from.starts_at(),
            until: through.ends_at(),
        };
        let rows = queries::reported_between(self.db(), span, MAX_STATISTICS_INCIDENTS + 1).await?;
        if rows.len() as u64 > MAX_STATISTICS_INCIDENTS {
            return Err(ApiError::ResourceExhausted(format!(
                "more than {MAX_STATISTICS_INCIDENTS} incidents in the span: ask for fewer months"
            )));
        }
        let late: HashMap<uuid::Uuid, bool> =
            queries::applications_reported_between(self.db(), span)
                .await?
                .into_iter()
                .map(|a| (a.incident_id, a.late))
                .collect();
        let facts = rows
            .iter()
            .map(|row| fact(row, late.get(&row.id).copied()))
            .collect::<Result<Vec<_>, _>>()?;
        let min_persons = self.settings.stats_min_persons;
        Ok(pb::GetIncidentStatisticsResponse {
            cells: statistics::aggregate(&facts, min_persons)
                .into_iter()
                .map(cell)
                .collect(),
            min_persons: i64::from(min_persons),
        })
    }
}

fn fact(row: &incident::Model, application: Option<bool>) -> Result<IncidentFact, ApiError> {
    let province = RegionCode::parse(&row.region_code)
        .map(|r| r.province().region_code())
        .map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("incident {}: stored region: {e}", row.id))
        })?;
    Ok(IncidentFact {
        month: CalendarMonth::of(row.reported_at).to_string(),
        province_code: province,
        platform_id: row.platform_id,
        person_id: row.person_id,
        withdrawn: records::status(row)? == IncidentStatus::Withdrawn,
        application,
        report_days: (shanghai_date(row.reported_at) - shanghai_date(row.occurred_at))
            .num_days()
            .max(0),
    })
}

fn cell(cell: Cell) -> pb::IncidentStatisticsCell {
    let keys = pb::IncidentStatisticsCell {
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
    pb::IncidentStatisticsCell {
        incidents: f.incidents,
        persons: f.persons,
        applications: f.applications,
        applications_late: f.applications_late,
        withdrawn: f.withdrawn,
        report_days_median: f.report_days_median,
        report_days_p90: f.report_days_p90,
        ..keys
    }
}
