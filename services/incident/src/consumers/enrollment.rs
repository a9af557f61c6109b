//! The local replica of enrollment that reporter and worker checks run against, filled by an
//! idempotent consumer of `enrollment.events.v1` (docs/architecture.md: no service reads another's
//! tables). The kit records each event id in the inbox in the same transaction as the rows
//! written here, so a redelivered event changes nothing.

use gigshield_kit::consumer::{EventHandler, HandlerError};
use gigshield_kit::envelope::Envelope;
use gigshield_kit::feed::enrollment::EnrollmentChange;
use gigshield_scheme::region::ProvinceCode;
use sea_orm::DatabaseTransaction;

use crate::store::{queries, replica_platform_scope};

/// Applies enrollment events to `replica_membership`, `replica_platform_scope` and the kit's
/// `delegation` replica.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnrollmentReplica;

/// Province codes as the scheme writes them; a code this build does not know is refused so a
/// bad event is noticed rather than half-applied.
fn provinces(codes: &[String]) -> Result<String, HandlerError> {
    codes
        .iter()
        .map(|code| {
            ProvinceCode::parse(code)
                .map(|p| p.to_string())
                .map_err(|e| HandlerError::Permanent(format!("province_codes: {code:?} {e}")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|codes| codes.join(","))
}

impl EventHandler for EnrollmentReplica {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        match EnrollmentChange::decode(event)? {
            change @ (EnrollmentChange::MembershipStarted(_)
            | EnrollmentChange::MembershipEnded(_)) => {
                gigshield_kit::replica::memberships::apply(txn, &change).await?;
            }
            EnrollmentChange::PlatformScope(scope) => {
                queries::insert_platform_scope(
                    txn,
                    replica_platform_scope::Model {
                        platform_id: scope.platform_id,
                        effective_from: scope.effective_from,
                        provinces: provinces(&scope.province_codes)?,
                    },
                )
                .await?;
            }
            change @ (EnrollmentChange::DelegationGranted(_)
            | EnrollmentChange::DelegationRevoked(_)) => {
                gigshield_kit::replica::delegations::apply(txn, &change).await?;
            }
            change @ EnrollmentChange::SchemeRule(_) => {
                gigshield_kit::replica::scheme::apply(txn, &change).await?;
            }
            // Enrollment may add event types (the contract is additive); none concerns us yet.
            EnrollmentChange::Other => {
                tracing::debug!(event.type = %event.event_type, "enrollment event ignored");
            }
        }
        Ok(())
    }
}
