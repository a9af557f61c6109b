//! `premium.events.v1`: a coverage day opens with the first order of a (person, platform,
//! day); the day is the membership's latest with an order.

use gigshield_kit::consumer::{EventHandler, HandlerError};
use gigshield_kit::envelope::Envelope;
use gigshield_kit::feed::field_uuid;
use gigshield_proto::events;
use sea_orm::DatabaseTransaction;

use crate::store::queries;

pub const COVERAGE_DAY_STARTED: &str = "gigshield.events.v1.CoverageDayStarted";

pub struct OrderDays;

impl EventHandler for OrderDays {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        if event.event_type != COVERAGE_DAY_STARTED {
            return Ok(());
        }
        let e: events::CoverageDayStarted = event.decode(COVERAGE_DAY_STARTED)?;
        let person = field_uuid("person_id", &e.person_id)?;
        let platform = field_uuid("platform_id", &e.platform_id)?;
        chrono::NaiveDate::parse_from_str(&e.date, "%Y-%m-%d")
            .map_err(|_| HandlerError::Permanent(format!("date {:?} is not YYYY-MM-DD", e.date)))?;
        queries::note_order_day(txn, person, platform, &e.date).await?;
        Ok(())
    }
}
