//! A worker's membership of a platform, as enrollment publishes it, and the one rule every
//! service applies to it: when it was in force.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One platform's registration of one person, under the platform's own worker id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub worker_id: Uuid,
    pub person_id: Uuid,
    pub platform_id: Uuid,
    pub external_worker_id: String,
    pub registered_at: DateTime<Utc>,
    pub deregistered_at: Option<DateTime<Utc>>,
}

impl Membership {
    /// See [`in_force`].
    pub fn active_at(&self, at: DateTime<Utc>) -> bool {
        in_force(self.registered_at, self.deregistered_at, at)
    }
}

/// A membership is in force on `[registered_at, deregistered_at)`: a worker deregistered at an
/// instant is no longer registered at it. (For records that keep only the dates, such as the
/// facts a claim was determined on.)
pub fn in_force(
    registered_at: DateTime<Utc>,
    deregistered_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> bool {
    registered_at <= at && deregistered_at.is_none_or(|end| at < end)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn membership(deregistered_after_hours: Option<i64>) -> (Membership, DateTime<Utc>) {
        let start = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        let m = Membership {
            worker_id: Uuid::from_u128(1),
            person_id: Uuid::from_u128(2),
            platform_id: Uuid::from_u128(3),
            external_worker_id: "rider-1".into(),
            registered_at: start,
            deregistered_at: deregistered_after_hours.map(|h| start + TimeDelta::hours(h)),
        };
        (m, start)
    }

    #[test]
    fn in_force_from_registration_up_to_but_not_at_deregistration() {
        let (m, start) = membership(Some(5));
        assert!(!m.active_at(start - TimeDelta::seconds(1)));
        assert!(m.active_at(start));
        assert!(m.active_at(start + TimeDelta::hours(5) - TimeDelta::seconds(1)));
        assert!(!m.active_at(start + TimeDelta::hours(5)));
    }

    #[test]
    fn an_open_membership_stays_in_force() {
        let (m, start) = membership(None);
        assert!(m.active_at(start + TimeDelta::days(3650)));
    }
}
