//! The topics incident follows, one file per producer:
//! - `enrollment.events.v1` ([`enrollment`]): memberships and platform provinces (who may be
//!   reported, by whom), and delegations (who acts for whom);
//! - `claims.events.v1`: which insurer handles which incident's claim, applied by the kit's
//!   [`gigshield_kit::replica::assignments::Assignments`].

pub mod enrollment;

use gigshield_kit::Service;
use gigshield_kit::consumer::Subscription;
use gigshield_kit::replica::assignments::Assignments;

/// Starts both consumers; `group` names the enrollment one, `<group>-claims` the other.
pub fn spawn(
    service: &mut Service,
    group: &str,
    enrollment_topic: &str,
    claims_topic: &str,
) -> anyhow::Result<()> {
    service.spawn_consumer(
        group,
        &[Subscription {
            topic: enrollment_topic,
            producer: "enrollment",
        }],
        enrollment::EnrollmentReplica,
    )?;
    service.spawn_consumer(
        &format!("{group}-claims"),
        &[Subscription {
            topic: claims_topic,
            producer: "claims",
        }],
        Assignments,
    )
}
