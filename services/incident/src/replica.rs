//! The local replica of enrollment that reporter and worker checks run against, filled by an
//! idempotent consumer of `enrollment.events.v1` (DESIGN.md: no service reads another's
//! tables). The kit records each event id in the inbox in the same transaction as the rows
//! written here, so a redelivered event changes nothing.

use chrono::{DateTime, Utc};
use gigshield_kit::consumer::{EventHandler, HandlerError};
use gigshield_kit::envelope::Envelope;
use gigshield_kit::wire;
use gigshield_proto::events;
use gigshield_scheme::region::ProvinceCode;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::store::{queries, replica_membership, replica_platform_scope};

pub const WORKER_REGISTERED: &str = "gigshield.events.v1.WorkerRegistered";
pub const WORKER_DEREGISTERED: &str = "gigshield.events.v1.WorkerDeregistered";
pub const PLATFORM_REGISTERED: &str = "gigshield.events.v1.PlatformRegistered";
pub const PLATFORM_UPDATED: &str = "gigshield.events.v1.PlatformUpdated";

/// Applies enrollment events to `replica_membership` and `replica_platform_scope`.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnrollmentReplica;

fn uuid(field: &str, value: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(value)
        .map_err(|_| HandlerError::Permanent(format!("{field} {value:?} is not a UUID")))
}

fn instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<DateTime<Utc>, HandlerError> {
    wire::datetime(field, value)
        .ok()
        .flatten()
        .ok_or_else(|| HandlerError::Permanent(format!("{field} is missing or invalid")))
}

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
        match event.event_type.as_str() {
            WORKER_REGISTERED => {
                let e: events::WorkerRegistered = event.decode(WORKER_REGISTERED)?;
                let row = replica_membership::Model {
                    worker_id: uuid("worker_id", &e.worker_id)?,
                    person_id: uuid("person_id", &e.person_id)?,
                    platform_id: uuid("platform_id", &e.platform_id)?,
                    external_worker_id: e.external_worker_id,
                    registered_at: instant("registered_at", e.registered_at.as_ref())?,
                    deregistered_at: None,
                };
                queries::insert_membership(txn, row).await?;
            }
            WORKER_DEREGISTERED => {
                let e: events::WorkerDeregistered = event.decode(WORKER_DEREGISTERED)?;
                let worker_id = uuid("worker_id", &e.worker_id)?;
                let at = instant("deregistered_at", e.deregistered_at.as_ref())?;
                // Events of one person share a partition, so the registration came first; a
                // missing one means the topic lost it (retention) and guessing would be worse.
                if !queries::end_membership(txn, worker_id, at).await? {
                    return Err(HandlerError::Permanent(format!(
                        "deregistration of unknown membership {worker_id}"
                    )));
                }
            }
            PLATFORM_REGISTERED => {
                let e: events::PlatformRegistered = event.decode(PLATFORM_REGISTERED)?;
                queries::insert_platform_scope(
                    txn,
                    replica_platform_scope::Model {
                        platform_id: uuid("platform_id", &e.platform_id)?,
                        effective_from: instant("effective_from", e.effective_from.as_ref())?,
                        provinces: provinces(&e.province_codes)?,
                    },
                )
                .await?;
            }
            PLATFORM_UPDATED => {
                let e: events::PlatformUpdated = event.decode(PLATFORM_UPDATED)?;
                queries::insert_platform_scope(
                    txn,
                    replica_platform_scope::Model {
                        platform_id: uuid("platform_id", &e.platform_id)?,
                        effective_from: instant("effective_from", e.effective_from.as_ref())?,
                        provinces: provinces(&e.province_codes)?,
                    },
                )
                .await?;
            }
            // Enrollment may add event types (the contract is additive); none concerns us yet.
            other => {
                tracing::debug!(event.type = %other, "enrollment event ignored");
            }
        }
        Ok(())
    }
}
