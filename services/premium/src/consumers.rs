//! The topics premium follows: `enrollment.events.v1` (platform scopes and memberships, in
//! [`crate::replica`]) and `claims.events.v1` (which insurer handles which person's case,
//! applied by the kit's [`Assignments`]).

use gigshield_kit::Service;
use gigshield_kit::consumer::Subscription;
use gigshield_kit::replica::assignments::Assignments;

use crate::config::{CLAIMS_GROUP, ENROLLMENT_GROUP};
use crate::replica::EnrollmentReplica;

/// The contract topics; tests and side-by-side stacks pass their own.
pub const ENROLLMENT_TOPIC: &str = "enrollment.events.v1";
pub const CLAIMS_TOPIC: &str = "claims.events.v1";

pub fn spawn(
    service: &mut Service,
    enrollment_topic: &str,
    claims_topic: &str,
) -> anyhow::Result<()> {
    service.spawn_consumer(
        ENROLLMENT_GROUP,
        &[Subscription {
            topic: enrollment_topic,
            producer: "enrollment",
        }],
        EnrollmentReplica,
    )?;
    service.spawn_consumer(
        CLAIMS_GROUP,
        &[Subscription {
            topic: claims_topic,
            producer: "claims",
        }],
        Assignments,
    )
}
