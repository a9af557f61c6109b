//! The topics enrollment follows, one file per producer:
//! - `premium.events.v1` and `incident.events.v1`: the last order day and the last incident
//!   of each membership, so no deregistration is dated before them;
//! - `claims.events.v1`: which insurer handles which person's case (insurer access), applied
//!   by the kit's [`gigshield_kit::replica::assignments::Assignments`].

pub mod incident;
pub mod premium;

/// Consumer groups, each named `enrollment-<producer>` (Kafka ACLs grant the `enrollment`
/// prefix).
pub const PREMIUM_GROUP: &str = "enrollment-premium";
pub const INCIDENT_GROUP: &str = "enrollment-incident";
pub const CLAIMS_GROUP: &str = "enrollment-claims";

use gigshield_kit::Service;
use gigshield_kit::consumer::Subscription;
use gigshield_kit::replica::assignments::Assignments;

/// The topics enrollment follows (contract names; tests use their own).
#[derive(Debug, Clone)]
pub struct Followed {
    pub premium: String,
    pub incident: String,
    pub claims: String,
}

impl Default for Followed {
    fn default() -> Self {
        Self {
            premium: "premium.events.v1".into(),
            incident: "incident.events.v1".into(),
            claims: "claims.events.v1".into(),
        }
    }
}

/// Starts the three consumers. Separate groups, so premium's stream of coverage days never
/// delays an insurer's access.
pub fn spawn(service: &mut Service, topics: &Followed) -> anyhow::Result<()> {
    service.spawn_consumer(
        PREMIUM_GROUP,
        &[Subscription {
            topic: &topics.premium,
            producer: "premium",
        }],
        premium::OrderDays,
    )?;
    service.spawn_consumer(
        INCIDENT_GROUP,
        &[Subscription {
            topic: &topics.incident,
            producer: "incident",
        }],
        incident::Incidents,
    )?;
    service.spawn_consumer(
        CLAIMS_GROUP,
        &[Subscription {
            topic: &topics.claims,
            producer: "claims",
        }],
        Assignments,
    )
}
