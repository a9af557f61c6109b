//! Who the injured worker is, resolved against the local replica of enrollment.
//!
//! The reporter names the worker by platform + external worker id (what a platform knows) or
//! by person id (what the worker's app knows). Either way the worker must have been registered
//! — with the named platform, or with any platform — at the moment of the accident: coverage
//! is per day of work for a platform, so a report about someone who was not registered then
//! cannot become a claim.

use chrono::{DateTime, Utc};
use gigshield_kit::error::FieldViolation;
use uuid::Uuid;

use super::actor::{ActorKind, Relationship};

pub use gigshield_scheme::membership::Membership;

/// How the report names the injured worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectRef {
    /// The platform's own id for its worker. `person_id`, when also given, must agree.
    External {
        platform_id: Uuid,
        external_worker_id: String,
        person_id: Option<Uuid>,
    },
    /// The person, optionally with the platform whose order it was.
    Person {
        person_id: Uuid,
        platform_id: Option<Uuid>,
    },
}

impl SubjectRef {
    /// The request field a refusal points at.
    pub fn field(&self) -> &'static str {
        match self {
            SubjectRef::External { .. } => "external_worker_id",
            SubjectRef::Person { .. } => "person_id",
        }
    }
}

/// The injured worker, and the platform the incident belongs to when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub person_id: Uuid,
    pub platform_id: Option<Uuid>,
    pub external_worker_id: Option<String>,
}

/// Resolves `reference` among `memberships` (every membership the replica holds for the
/// platform or person named, current and past) at the accident time `at`.
///
/// A person with several platforms at `at` and no platform named stays without a platform:
/// whose order it was is for claims to find from the order timeline.
pub fn resolve(
    reference: &SubjectRef,
    memberships: &[Membership],
    at: DateTime<Utc>,
) -> Result<Subject, FieldViolation> {
    let field = reference.field();
    let refuse = |description: String| FieldViolation {
        field: field.to_string(),
        description,
    };
    match reference {
        SubjectRef::External {
            platform_id,
            external_worker_id,
            person_id,
        } => {
            let matching: Vec<&Membership> = memberships
                .iter()
                .filter(|m| {
                    m.platform_id == *platform_id && m.external_worker_id == *external_worker_id
                })
                .collect();
            if matching.is_empty() {
                return Err(refuse(format!(
                    "worker {external_worker_id:?} is not registered with platform {platform_id}"
                )));
            }
            let active = matching
                .iter()
                .find(|m| m.active_at(at))
                .ok_or_else(|| {
                    refuse(format!(
                        "worker {external_worker_id:?} was not registered with platform {platform_id} at occurred_at"
                    ))
                })?;
            if person_id.is_some_and(|p| p != active.person_id) {
                return Err(FieldViolation {
                    field: "person_id".into(),
                    description: "is not the person registered under external_worker_id".into(),
                });
            }
            Ok(Subject {
                person_id: active.person_id,
                platform_id: Some(*platform_id),
                external_worker_id: Some(external_worker_id.clone()),
            })
        }
        SubjectRef::Person {
            person_id,
            platform_id,
        } => {
            let matching: Vec<&Membership> = memberships
                .iter()
                .filter(|m| m.person_id == *person_id)
                .filter(|m| platform_id.is_none_or(|p| m.platform_id == p))
                .collect();
            let with = match platform_id {
                Some(p) => format!("with platform {p}"),
                None => "with any platform".to_string(),
            };
            if matching.is_empty() {
                return Err(refuse(format!("is not registered {with}")));
            }
            let active: Vec<&&Membership> = matching.iter().filter(|m| m.active_at(at)).collect();
            let mut platforms: Vec<Uuid> = active.iter().map(|m| m.platform_id).collect();
            platforms.sort();
            platforms.dedup();
            match platforms[..] {
                [] => Err(refuse(format!("was not registered {with} at occurred_at"))),
                [only] => Ok(Subject {
                    person_id: *person_id,
                    platform_id: Some(only),
                    external_worker_id: active
                        .iter()
                        .find(|m| m.platform_id == only)
                        .map(|m| m.external_worker_id.clone()),
                }),
                _ => Ok(Subject {
                    person_id: *person_id,
                    platform_id: None,
                    external_worker_id: None,
                }),
            }
        }
    }
}

/// In which capacity a worker token reports about `subject_person`: for itself, or for another
/// person as a close relative under that person's delegation (`delegated`: the delegation's
/// relationship). A relationship the request states must agree with the delegation's.
pub fn worker_capacity(
    caller_person: Uuid,
    subject_person: Uuid,
    stated: Option<Relationship>,
    delegated: Option<Relationship>,
) -> Result<(ActorKind, Option<Relationship>), FieldViolation> {
    let refuse = |description: &str| FieldViolation {
        field: "relationship".into(),
        description: description.into(),
    };
    if caller_person == subject_person {
        return match stated {
            None => Ok((ActorKind::Worker, None)),
            Some(_) => Err(refuse("must be unset when workers report for themselves")),
        };
    }
    match (delegated, stated) {
        (None, _) => Err(refuse(
            "reporting for another person needs that person's delegation (enrollment GrantDelegation)",
        )),
        (Some(d), Some(s)) if s != d => Err(refuse("differs from the delegation's relationship")),
        (Some(d), _) => Ok((ActorKind::CloseRelative, Some(d))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    struct World {
        person: Uuid,
        a: Uuid,
        b: Uuid,
        memberships: Vec<Membership>,
    }

    /// One person: on platform A as "a-1" from January (left in June), again as "a-2" from
    /// August; on platform B as "b-1" from March.
    fn world() -> World {
        let person = Uuid::now_v7();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let m = |platform_id, external: &str, from: &str, to: Option<&str>| Membership {
            worker_id: Uuid::now_v7(),
            person_id: person,
            platform_id,
            external_worker_id: external.into(),
            registered_at: utc(from),
            deregistered_at: to.map(utc),
        };
        World {
            person,
            a,
            b,
            memberships: vec![
                m(
                    a,
                    "a-1",
                    "2025-01-01T00:00:00Z",
                    Some("2025-06-01T00:00:00Z"),
                ),
                m(b, "b-1", "2025-03-01T00:00:00Z", None),
                m(a, "a-2", "2025-08-01T00:00:00Z", None),
            ],
        }
    }

    #[test]
    fn a_platform_names_its_worker_by_external_id_active_at_the_accident() {
        let w = world();
        let reference = SubjectRef::External {
            platform_id: w.a,
            external_worker_id: "a-1".into(),
            person_id: None,
        };
        let subject = resolve(&reference, &w.memberships, utc("2025-05-31T23:59:59Z")).unwrap();
        assert_eq!(subject.person_id, w.person);
        assert_eq!(subject.platform_id, Some(w.a));
        assert_eq!(subject.external_worker_id.as_deref(), Some("a-1"));
        // At the instant of deregistration the membership has ended.
        let err = resolve(&reference, &w.memberships, utc("2025-06-01T00:00:00Z")).unwrap_err();
        assert_eq!(err.field, "external_worker_id");
        assert!(err.description.contains("at occurred_at"), "{err:?}");
    }

    #[test]
    fn an_unknown_external_id_is_not_registered_with_the_platform() {
        let w = world();
        let err = resolve(
            &SubjectRef::External {
                platform_id: w.b,
                external_worker_id: "a-1".into(),
                person_id: None,
            },
            &w.memberships,
            utc("2025-04-01T00:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(err.field, "external_worker_id");
        assert!(err.description.contains("is not registered with platform"));
    }

    #[test]
    fn a_person_id_given_beside_the_external_id_must_agree() {
        let w = world();
        let err = resolve(
            &SubjectRef::External {
                platform_id: w.b,
                external_worker_id: "b-1".into(),
                person_id: Some(Uuid::now_v7()),
            },
            &w.memberships,
            utc("2025-04-01T00:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(err.field, "person_id");
    }

    #[test]
    fn a_person_with_one_platform_at_the_time_gets_that_platform() {
        let w = world();
        let by_person = SubjectRef::Person {
            person_id: w.person,
            platform_id: None,
        };
        // February: only A.
        let feb = resolve(&by_person, &w.memberships, utc("2025-02-01T00:00:00Z")).unwrap();
        assert_eq!(feb.platform_id, Some(w.a));
        assert_eq!(feb.external_worker_id.as_deref(), Some("a-1"));
        // April: A and B → unknown until claims matches the orders.
        let apr = resolve(&by_person, &w.memberships, utc("2025-04-01T00:00:00Z")).unwrap();
        assert_eq!(apr.platform_id, None);
        // July: only B.
        let jul = resolve(&by_person, &w.memberships, utc("2025-07-01T00:00:00Z")).unwrap();
        assert_eq!(jul.platform_id, Some(w.b));
        // A named platform narrows it.
        let named = resolve(
            &SubjectRef::Person {
                person_id: w.person,
                platform_id: Some(w.a),
            },
            &w.memberships,
            utc("2025-09-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(named.external_worker_id.as_deref(), Some("a-2"));
    }

    #[test]
    fn a_person_not_registered_then_is_refused_naming_person_id() {
        let w = world();
        let by_person = SubjectRef::Person {
            person_id: w.person,
            platform_id: Some(w.a),
        };
        let err = resolve(&by_person, &w.memberships, utc("2025-07-01T00:00:00Z")).unwrap_err();
        assert_eq!(err.field, "person_id");
        assert!(err.description.contains("at occurred_at"));
        let before_all = resolve(
            &SubjectRef::Person {
                person_id: w.person,
                platform_id: None,
            },
            &w.memberships,
            utc("2024-12-31T00:00:00Z"),
        )
        .unwrap_err();
        assert!(before_all.description.contains("with any platform"));
        let stranger = resolve(
            &SubjectRef::Person {
                person_id: Uuid::now_v7(),
                platform_id: None,
            },
            &w.memberships,
            utc("2025-04-01T00:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(stranger.description, "is not registered with any platform");
    }

    #[test]
    fn relatives_act_under_a_delegation_and_workers_for_themselves() {
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            worker_capacity(me, me, None, None),
            Ok((ActorKind::Worker, None))
        );
        let spouse = Some(Relationship::Spouse);
        assert_eq!(
            worker_capacity(me, other, None, spouse),
            Ok((ActorKind::CloseRelative, spouse))
        );
        assert_eq!(
            worker_capacity(me, other, spouse, spouse),
            Ok((ActorKind::CloseRelative, spouse))
        );
        // Claiming kinship without a delegation, or another kinship than the delegation's.
        assert_eq!(
            worker_capacity(me, other, spouse, None).unwrap_err().field,
            "relationship"
        );
        assert!(worker_capacity(me, other, Some(Relationship::Parent), spouse).is_err());
        assert_eq!(
            worker_capacity(me, me, Some(Relationship::Parent), None)
                .unwrap_err()
                .field,
            "relationship"
        );
    }
}
