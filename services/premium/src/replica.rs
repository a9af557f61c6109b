//! The copy of enrollment that order checks read: platform scopes (industries and provinces
//! over time) and memberships (which person is behind a platform's worker id, and when). Fed
//! by `enrollment.events.v1` through the kit's idempotent consumer: each event's effect and
//! its inbox row commit together.

use gigshield_kit::consumer::{EventHandler, HandlerError};
use gigshield_kit::envelope::Envelope;
use gigshield_kit::feed::enrollment::{EnrollmentChange, PlatformScope};
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::ProvinceCode;
use sea_orm::DatabaseTransaction;

use crate::store::{platform_scope, queries};

pub struct EnrollmentReplica;

fn permanent(what: &str, err: impl std::fmt::Display) -> HandlerError {
    HandlerError::Permanent(format!("{what}: {err}"))
}

fn scope_row(scope: PlatformScope) -> Result<platform_scope::Model, HandlerError> {
    let industries = scope
        .industries
        .iter()
        .map(|i| Industry::from_proto(*i).map(Industry::as_str))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| permanent("industries", e))?;
    let provinces = scope
        .province_codes
        .iter()
        .map(|p| ProvinceCode::parse(p).map(|p| p.region_code()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| permanent("province_codes", e))?;
    Ok(platform_scope::Model {
        platform_id: scope.platform_id,
        effective_from: scope.effective_from,
        industries: industries.join(","),
        provinces: provinces.join(","),
    })
}

impl EventHandler for EnrollmentReplica {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        match EnrollmentChange::decode(event)? {
            EnrollmentChange::PlatformScope(scope) => {
                queries::upsert_scope(txn, scope_row(scope)?).await?;
            }
            change @ (EnrollmentChange::MembershipStarted(_)
            | EnrollmentChange::MembershipEnded(_)) => {
                gigshield_kit::replica::memberships::apply(txn, &change).await?;
            }
            // Other enrollment events say nothing premium needs.
            // Delegations concern no premium RPC; other types are additive.
            EnrollmentChange::DelegationGranted(_)
            | EnrollmentChange::DelegationRevoked(_)
            | EnrollmentChange::Other => {}
            change @ EnrollmentChange::SchemeRule(_) => {
                gigshield_kit::replica::scheme::apply(txn, &change).await?;
            }
        }
        Ok(())
    }
}
