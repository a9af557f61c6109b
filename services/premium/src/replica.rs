//! The copy of enrollment that order checks read: platform scopes (industries and provinces
//! over time) and memberships (which person is behind a platform's worker id, and when). Fed
//! by `enrollment.events.v1` through the kit's idempotent consumer: each event's effect and
//! its inbox row commit together.

use chrono::{DateTime, Utc};
use gigshield_kit::consumer::{EventHandler, HandlerError};
use gigshield_kit::envelope::Envelope;
use gigshield_kit::wire;
use gigshield_proto::events;
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::ProvinceCode;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::store::{membership, platform_scope, queries};

pub const PLATFORM_REGISTERED: &str = "gigshield.events.v1.PlatformRegistered";
pub const PLATFORM_UPDATED: &str = "gigshield.events.v1.PlatformUpdated";
pub const WORKER_REGISTERED: &str = "gigshield.events.v1.WorkerRegistered";
pub const WORKER_DEREGISTERED: &str = "gigshield.events.v1.WorkerDeregistered";

pub struct EnrollmentReplica;

fn permanent(what: &str, err: impl std::fmt::Display) -> HandlerError {
    HandlerError::Permanent(format!("{what}: {err}"))
}

fn uuid(field: &str, value: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(value).map_err(|e| permanent(field, e))
}

fn instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<DateTime<Utc>, HandlerError> {
    wire::datetime(field, value)
        .map_err(|e| permanent(field, e))?
        .ok_or_else(|| permanent(field, "is missing"))
}

fn scope_row(
    platform_id: &str,
    industries: &[i32],
    provinces: &[String],
    effective_from: Option<&prost_types::Timestamp>,
) -> Result<platform_scope::Model, HandlerError> {
    let industries = industries
        .iter()
        .map(|i| Industry::from_proto(*i).map(Industry::as_str))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| permanent("industries", e))?;
    let provinces = provinces
        .iter()
        .map(|p| ProvinceCode::parse(p).map(|p| p.region_code()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| permanent("province_codes", e))?;
    Ok(platform_scope::Model {
        platform_id: uuid("platform_id", platform_id)?,
        effective_from: instant("effective_from", effective_from)?,
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
        match event.event_type.as_str() {
            PLATFORM_REGISTERED => {
                let e: events::PlatformRegistered = event.decode(PLATFORM_REGISTERED)?;
                let row = scope_row(
                    &e.platform_id,
                    &e.industries,
                    &e.province_codes,
                    e.effective_from.as_ref(),
                )?;
                queries::upsert_scope(txn, row).await?;
            }
            PLATFORM_UPDATED => {
                let e: events::PlatformUpdated = event.decode(PLATFORM_UPDATED)?;
                let row = scope_row(
                    &e.platform_id,
                    &e.industries,
                    &e.province_codes,
                    e.effective_from.as_ref(),
                )?;
                queries::upsert_scope(txn, row).await?;
            }
            WORKER_REGISTERED => {
                let e: events::WorkerRegistered = event.decode(WORKER_REGISTERED)?;
                queries::insert_membership(
                    txn,
                    membership::Model {
                        worker_id: uuid("worker_id", &e.worker_id)?,
                        platform_id: uuid("platform_id", &e.platform_id)?,
                        external_worker_id: e.external_worker_id,
                        person_id: uuid("person_id", &e.person_id)?,
                        registered_at: instant("registered_at", e.registered_at.as_ref())?,
                        deregistered_at: None,
                    },
                )
                .await?;
            }
            WORKER_DEREGISTERED => {
                let e: events::WorkerDeregistered = event.decode(WORKER_DEREGISTERED)?;
                let worker_id = uuid("worker_id", &e.worker_id)?;
                let at = instant("deregistered_at", e.deregistered_at.as_ref())?;
                if !queries::end_membership(txn, worker_id, at).await? {
                    // Both events of a worker share its person's key, so the registration
                    // came first unless it was lost upstream; nothing to end then.
                    return Err(HandlerError::Permanent(format!(
                        "deregistration of unknown worker {worker_id}"
                    )));
                }
            }
            // Other enrollment events say nothing premium needs.
            _ => {}
        }
        Ok(())
    }
}
