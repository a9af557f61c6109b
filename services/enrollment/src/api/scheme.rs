//! The scheme calendar: operators add dated rules, anyone reads them. Enrollment keeps the
//! entries in the kit's `scheme_rule` table (the same table the other services fill from the
//! `SchemeRuleAdded` events it publishes here).

use gigshield_kit::access::Subject;
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::replica::scheme;
use gigshield_kit::{ApiError, Caller, Principal};
use gigshield_proto::common::ProvinceStart;
use gigshield_proto::enrollment as pb;
use gigshield_scheme::region::{PROVINCE_PREFIXES, ProvinceCode};
use gigshield_scheme::rules::{self, Entry, Rule, SchemeRules};
use uuid::Uuid;

use super::EnrollmentApi;
use crate::events;

/// A province's start belongs to that province's operators (and the national one); the rest
/// of the calendar is national.
fn require_authority(caller: &Caller, rule: &Rule) -> Result<(), ApiError> {
    match rule {
        Rule::ProvinceStart { province, .. } => {
            caller.require(&Subject::default().region(province.region_code()))
        }
        _ if caller
            .principal
            .role
            .jurisdiction()
            .is_some_and(|j| j.is_national()) =>
        {
            Ok(())
        }
        _ => Err(ApiError::PermissionDenied(
            "only a national operator enters filing deadlines, windows and holidays".into(),
        )),
    }
}

fn province_starts(rules: &SchemeRules) -> Vec<ProvinceStart> {
    PROVINCE_PREFIXES
        .iter()
        .filter_map(|p| ProvinceCode::from_prefix(p).ok())
        .filter_map(|p| {
            rules.province_start(p).map(|starts_on| ProvinceStart {
                province_code: p.region_code(),
                starts_on: starts_on.to_string(),
            })
        })
        .collect()
}

impl EnrollmentApi {
    pub(super) async fn add_scheme_rule(
        &self,
        principal: Principal,
        req: pb::AddSchemeRuleRequest,
    ) -> Result<pb::AddSchemeRuleResponse, ApiError> {
        let caller = self.caller("AddSchemeRule", principal).await?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "AddSchemeRule", &req)?;
        let wire = req
            .rule
            .as_ref()
            .ok_or_else(|| ApiError::invalid("rule", "is required"))?;
        let (rule, source) =
            rules::rule_from_proto(wire).map_err(|e| ApiError::invalid(&e.field, e.reason))?;
        require_authority(&caller, &rule)?;
        gigshield_kit::write!(self.writer, key, |txn| {
            let entry = Entry {
                rule_id: Some(Uuid::now_v7().to_string()),
                rule: rule.clone(),
                source: source.clone(),
                entered_by: caller.principal.actor(),
                recorded_at: self.writer.now(),
            };
            scheme::insert(&txn, &entry).await?;
            gigshield_kit::outbox::enqueue(&txn, events::scheme_rule_added(&self.topic, &entry))
                .await?;
            Ok(pb::AddSchemeRuleResponse {
                entry: Some(rules::entry_to_proto(&entry)),
            })
        })
    }

    pub(super) async fn list_scheme_rules(
        &self,
        principal: Principal,
        _req: pb::ListSchemeRulesRequest,
    ) -> Result<pb::ListSchemeRulesResponse, ApiError> {
        self.caller("ListSchemeRules", principal).await?;
        let rules = self.calendar.current(self.db()).await?;
        Ok(pb::ListSchemeRulesResponse {
            entries: rules.entries().iter().map(rules::entry_to_proto).collect(),
            province_starts: province_starts(&rules),
        })
    }
}
