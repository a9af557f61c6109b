//! Who may see and act on an incident.
//!
//! - A platform: incidents that belong to it (it reported them, or the worker named it, or it
//!   was the person's only platform at the accident time).
//! - A worker: incidents about themself.
//! - A close relative (a worker token of another person): the incidents they reported, and
//!   nothing else — a stranger must not be able to read a worker's health data by claiming
//!   kinship, and the relationship was stated only on those reports.
//! - Insurers, adjusters and operators read everything; operators also correct (amend, attach,
//!   withdraw), but nobody files in someone else's name.

use gigshield_kit::{Principal, Role};
use uuid::Uuid;

use super::actor::{Actor, ActorKind};

/// The parties of one incident that access depends on.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    pub person_id: Uuid,
    pub platform_id: Option<Uuid>,
    pub reported_by: &'a Actor,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub &'static str);

const OTHER_TENANT: Denied = Denied("another tenant's incident");

/// The capacity in which a platform or worker token stands to the incident, if any.
fn party(principal: &Principal, parties: &Parties<'_>) -> Option<Actor> {
    match principal.role {
        Role::Platform { platform_id } if parties.platform_id == Some(platform_id) => {
            Some(Actor::platform(&principal.subject, platform_id))
        }
        Role::Worker { person_id } if person_id == parties.person_id => {
            Some(Actor::worker(&principal.subject, person_id))
        }
        Role::Worker { person_id } if parties.reported_by.is_relative(person_id) => Some(Actor {
            subject: principal.subject.clone(),
            ..parties.reported_by.clone()
        }),
        _ => None,
    }
}

pub fn may_read(principal: &Principal, parties: &Parties<'_>) -> bool {
    match principal.role {
        Role::Insurer { .. } | Role::Adjuster | Role::Operator => true,
        Role::Platform { .. } | Role::Worker { .. } => party(principal, parties).is_some(),
    }
}

/// Who amends or attaches evidence: the parties and operators.
pub fn acting(principal: &Principal, parties: &Parties<'_>) -> Result<Actor, Denied> {
    match principal.role {
        Role::Operator => Ok(Actor::operator(&principal.subject)),
        Role::Insurer { .. } | Role::Adjuster => Err(Denied(
            "insurers and adjusters read incidents; they do not change them",
        )),
        Role::Platform { .. } | Role::Worker { .. } => {
            party(principal, parties).ok_or(OTHER_TENANT)
        }
    }
}

/// Who files the application: the platform, the worker, or the relative who reported.
pub fn filer(principal: &Principal, parties: &Parties<'_>) -> Result<Actor, Denied> {
    match principal.role {
        Role::Platform { .. } | Role::Worker { .. } => {
            party(principal, parties).ok_or(OTHER_TENANT)
        }
        _ => Err(Denied(
            "only the platform, the worker or a close relative files an application",
        )),
    }
}

/// Who withdraws: the worker always (it is their claim to drop); a platform or relative only
/// what they reported, and once someone else applied, only that applicant; operators (for
/// duplicates and mistakes).
pub fn withdrawer(
    principal: &Principal,
    parties: &Parties<'_>,
    applicant: Option<&Actor>,
) -> Result<Actor, Denied> {
    if let Role::Operator = principal.role {
        return Ok(Actor::operator(&principal.subject));
    }
    let actor = match principal.role {
        Role::Platform { .. } | Role::Worker { .. } => {
            party(principal, parties).ok_or(OTHER_TENANT)?
        }
        _ => return Err(Denied("insurers and adjusters do not withdraw incidents")),
    };
    if actor.kind == ActorKind::Worker {
        return Ok(actor);
    }
    let same_party = |other: &Actor| {
        other.kind == actor.kind
            && other.platform_id == actor.platform_id
            && other.person_id == actor.person_id
    };
    match applicant {
        Some(applicant) if same_party(applicant) => Ok(actor),
        Some(_) => Err(Denied(
            "another party applied for determination; only they or the worker may withdraw",
        )),
        None if same_party(parties.reported_by) => Ok(actor),
        None => Err(Denied(
            "only the reporter or the worker may withdraw this incident",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::actor::Relationship;

    fn principal(role: Role) -> Principal {
        Principal {
            subject: "s".into(),
            role,
        }
    }

    struct Case {
        worker: Uuid,
        platform: Uuid,
        relative: Uuid,
        reported_by_platform: Actor,
        reported_by_relative: Actor,
    }

    fn case() -> Case {
        let (worker, platform, relative) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        Case {
            worker,
            platform,
            relative,
            reported_by_platform: Actor::platform("backend", platform),
            reported_by_relative: Actor::close_relative("app", relative, Relationship::Parent),
        }
    }

    impl Case {
        fn parties<'a>(&self, reporter: &'a Actor) -> Parties<'a> {
            Parties {
                person_id: self.worker,
                platform_id: Some(self.platform),
                reported_by: reporter,
            }
        }
    }

    #[test]
    fn reads_follow_tenancy() {
        let c = case();
        let parties = c.parties(&c.reported_by_platform);
        let yes = [
            Role::Platform {
                platform_id: c.platform,
            },
            Role::Worker {
                person_id: c.worker,
            },
            Role::Insurer {
                insurer_id: Uuid::now_v7(),
            },
            Role::Adjuster,
            Role::Operator,
        ];
        for role in yes {
            assert!(may_read(&principal(role.clone()), &parties), "{role:?}");
        }
        let no = [
            Role::Platform {
                platform_id: Uuid::now_v7(),
            },
            Role::Worker {
                person_id: Uuid::now_v7(),
            },
            // A relative sees only what they reported themself.
            Role::Worker {
                person_id: c.relative,
            },
        ];
        for role in no {
            assert!(!may_read(&principal(role.clone()), &parties), "{role:?}");
        }
        let relative = principal(Role::Worker {
            person_id: c.relative,
        });
        assert!(may_read(&relative, &c.parties(&c.reported_by_relative)));
    }

    #[test]
    fn an_incident_without_platform_is_invisible_to_platforms() {
        let c = case();
        let parties = Parties {
            platform_id: None,
            ..c.parties(&c.reported_by_relative)
        };
        let platform = principal(Role::Platform {
            platform_id: c.platform,
        });
        assert!(!may_read(&platform, &parties));
    }

    #[test]
    fn a_relative_acts_in_the_capacity_they_reported_in() {
        let c = case();
        let relative = principal(Role::Worker {
            person_id: c.relative,
        });
        let actor = acting(&relative, &c.parties(&c.reported_by_relative)).unwrap();
        assert_eq!(actor.kind, ActorKind::CloseRelative);
        assert_eq!(actor.relationship, Some(Relationship::Parent));
        assert_eq!(actor.subject, "s");
        assert_eq!(
            filer(&relative, &c.parties(&c.reported_by_relative))
                .unwrap()
                .kind,
            ActorKind::CloseRelative
        );
        assert!(acting(&relative, &c.parties(&c.reported_by_platform)).is_err());
    }

    #[test]
    fn readers_do_not_write_and_operators_do_not_file() {
        let c = case();
        let parties = c.parties(&c.reported_by_platform);
        for role in [
            Role::Insurer {
                insurer_id: Uuid::now_v7(),
            },
            Role::Adjuster,
        ] {
            assert!(acting(&principal(role.clone()), &parties).is_err());
            assert!(filer(&principal(role.clone()), &parties).is_err());
            assert!(withdrawer(&principal(role), &parties, None).is_err());
        }
        let operator = principal(Role::Operator);
        assert_eq!(
            acting(&operator, &parties).unwrap().kind,
            ActorKind::Operator
        );
        assert!(filer(&operator, &parties).is_err());
        assert!(withdrawer(&operator, &parties, None).is_ok());
    }

    #[test]
    fn withdrawal_belongs_to_the_worker_the_reporter_and_the_applicant() {
        let c = case();
        let parties = c.parties(&c.reported_by_platform);
        let platform = principal(Role::Platform {
            platform_id: c.platform,
        });
        let worker = principal(Role::Worker {
            person_id: c.worker,
        });
        assert!(withdrawer(&platform, &parties, None).is_ok());
        let worker_applied = Actor::worker("app", c.worker);
        assert!(withdrawer(&platform, &parties, Some(&worker_applied)).is_err());
        assert!(withdrawer(&worker, &parties, Some(&worker_applied)).is_ok());
        let platform_applied = Actor::platform("other-subject", c.platform);
        assert!(withdrawer(&platform, &parties, Some(&platform_applied)).is_ok());

        // The platform did not report what the relative reported.
        let relative_parties = c.parties(&c.reported_by_relative);
        assert!(withdrawer(&platform, &relative_parties, None).is_err());
        let relative = principal(Role::Worker {
            person_id: c.relative,
        });
        assert!(withdrawer(&relative, &relative_parties, None).is_ok());
        assert!(withdrawer(&worker, &relative_parties, None).is_ok());
    }
}
