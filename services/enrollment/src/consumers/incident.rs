//! `incident.events.v1`: an accident reported for a person at a platform.

use gigshield_kit::consumer::{EventHandler, HandlerError};
use gigshield_kit::envelope::Envelope;
use gigshield_kit::feed::{field_instant, field_uuid, optional_uuid};
use gigshield_proto::events;
use sea_orm::DatabaseTransaction;

use crate::store::queries;

pub const INCIDENT_REPORTED: &str = "gigshield.events.v1.IncidentReported";

pub struct Incidents;

impl EventHandler for Incidents {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        if event.event_type != INCIDENT_REPORTED {
            return Ok(());
        }
        let e: events::IncidentReported = event.decode(INCIDENT_REPORTED)?;
        let person = field_uuid("person_id", &e.person_id)?;
        // Without a known platform the incident bounds no membership.
        let Some(platform) = optional_uuid("platform_id", &e.platform_id)? else {
            return Ok(());
        };
        let occurred_at = field_instant(
            "facts.occurred_at",
            e.facts.as_ref().and_then(|f| f.occurred_at.as_ref()),
        )?;
        queries::note_incident(txn, person, platform, occurred_at).await?;
        Ok(())
    }
}
