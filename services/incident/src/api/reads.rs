//! GetIncident and ListIncidents.

use std::collections::HashMap;

use gigshield_kit::access::{self, Subject};
use gigshield_kit::{ApiError, Principal, Role, Violations, paging, wire};
use gigshield_proto::incident as pb;
use gigshield_scheme::region::RegionCode;
use uuid::Uuid;

use super::{IncidentApi, convert, load, optional_uuid, views};
use crate::domain::access::Parties;
use crate::store::queries::{self, ListFilter, Visibility};
use crate::store::records;

/// The prefix a region code stands for: a province (`440000` → `44`), a prefecture
/// (`440300` → `4403`) or the district itself (GB/T 2260 pads the levels above with zeros).
fn region_prefix(region: &RegionCode) -> String {
    let code = region.as_str();
    if code.ends_with("0000") {
        code[..2].to_string()
    } else if code.ends_with("00") {
        code[..4].to_string()
    } else {
        code.to_string()
    }
}

impl IncidentApi {
    pub(super) async fn get_incident(
        &self,
        principal: Principal,
        req: pb::GetIncidentRequest,
    ) -> Result<pb::GetIncidentResponse, ApiError> {
        let acting = self.acting("GetIncident", principal).await?;
        let id = wire::uuid("incident_id", &req.incident_id)?;
        // One snapshot: the incident and its history agree with each other.
        let txn = gigshield_kit::db::begin_snapshot(self.db()).await?;
        let row = queries::incident(&txn, id)
            .await?
            .ok_or_else(|| access::hidden("incident"))?;
        let reporter = records::actor(&row.reported_by)?;
        let insurers = self.insurers(&acting.caller, &txn, id).await?;
        let parties = Parties {
            person_id: row.person_id,
            platform_id: row.platform_id,
            region_code: &row.region_code,
            reported_by: &reporter,
            insurers: &insurers,
        };
        acting.caller.visible(&parties.subject(), "incident")?;
        let incident = views::incident(
            &load(&txn, row).await?,
            views::Audience::of(&acting.caller.principal.role),
            &self.vault,
        )?;
        txn.commit().await?;
        Ok(pb::GetIncidentResponse {
            incident: Some(incident),
        })
    }

    pub(super) async fn list_incidents(
        &self,
        principal: Principal,
        req: pb::ListIncidentsRequest,
    ) -> Result<pb::ListIncidentsResponse, ApiError> {
        let acting = self.acting("ListIncidents", principal).await?;
        let mut v = Violations::new();
        let platform_id = optional_uuid(&mut v, "platform_id", &req.platform_id);
        let person_id = optional_uuid(&mut v, "person_id", &req.person_id);
        let region = match req.region_code.trim() {
            "" => None,
            code => RegionCode::parse(code)
                .map_err(|e| v.add("region_code", e.to_string()))
                .ok(),
        };
        let from = convert::instant(&mut v, "occurred_from", req.occurred_from.as_ref());
        let until = convert::instant(&mut v, "occurred_until", req.occurred_until.as_ref());
        if let (Some(from), Some(until)) = (from, until)
            && until <= from
        {
            v.add("occurred_until", "must be after occurred_from");
        }
        let status = convert::status_in(&mut v, "status", req.status);
        v.into_result()?;

        let caller = &acting.caller;
        let visibility = match &caller.principal.role {
            Role::Platform { platform_id: own } => {
                if let Some(p) = platform_id {
                    caller.require(&Subject::default().platform(p))?;
                }
                Visibility::Platform(*own)
            }
            // Their own incidents and those of persons who delegated to them.
            Role::Worker { person_id: own } => {
                let mut persons = caller.delegators.clone();
                persons.push(*own);
                Visibility::Persons(persons)
            }
            role => match role.insurer() {
                Some(insurer) => Visibility::Insurer(insurer),
                None => Visibility::Area(role.jurisdiction().and_then(|j| j.sql_patterns())),
            },
        };
        let filter = ListFilter {
            platform_id,
            person_id,
            region_prefix: region.as_ref().map(region_prefix),
            occurred_from: from,
            occurred_until: until,
            status: status.map(|s| s.as_str().to_string()),
        };
        let page = paging::PageQuery::from_request(req.page.as_ref())?;
        let mut rows =
            queries::list(self.db(), visibility, &filter, page.after, page.fetch()).await?;
        let next = page.finish(&mut rows, |r| r.id);
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let applications: HashMap<Uuid, _> = queries::applications(self.db(), &ids)
            .await?
            .into_iter()
            .map(|a| (a.incident_id, a))
            .collect();
        let incidents = rows
            .iter()
            .map(|row| views::summary(row, applications.get(&row.id)))
            .collect::<Result<_, _>>()?;
        Ok(pb::ListIncidentsResponse {
            incidents,
            page: Some(next),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_widen_to_their_level() {
        let prefix = |c: &str| region_prefix(&RegionCode::parse(c).unwrap());
        assert_eq!(prefix("440000"), "44");
        assert_eq!(prefix("440300"), "4403");
        assert_eq!(prefix("440305"), "440305");
    }
}
