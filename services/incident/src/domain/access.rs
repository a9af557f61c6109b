//! Incident's access table, and who acts on an incident in which capacity.
//!
//! - A platform: incidents of its own platform; it amends only what it reported itself (a
//!   worker's report stays the worker's — the platform adds a statement instead).
//! - A worker: incidents about themself, and — under a delegation in force — about the person
//!   who delegated to them, in whose place they act as a close relative.
//! - Insurers and their adjusters read the incidents whose claims are routed to them; agency
//!   adjusters and operators those that happened in their area; operators also correct
//!   (amend, attach, withdraw). Nobody files in someone else's name.
//! - Regulators (and operators) read counts of their area's incidents, never one incident.

use gigshield_kit::access::{
    AGENCY_ADJUSTER, AccessTable, INSURER, INSURER_ADJUSTER, OPERATOR, PLATFORM, REGULATOR, Rule,
    Subject, WORKER,
};
use gigshield_kit::{Caller, Role};
use uuid::Uuid;

use super::actor::{Actor, ActorKind, Relationship};

const READERS: &[gigshield_kit::access::Grant] = &[
    PLATFORM,
    WORKER,
    INSURER,
    INSURER_ADJUSTER,
    AGENCY_ADJUSTER,
    OPERATOR,
];

pub const TABLE: AccessTable = AccessTable {
    service: "gigshield.incident.v1.IncidentService",
    rules: &[
        Rule {
            rpc: "ReportIncident",
            grants: &[PLATFORM, WORKER],
            note: "a platform for its own workers; a worker for themself or a delegator",
        },
        Rule {
            rpc: "AmendIncident",
            grants: &[PLATFORM, WORKER, OPERATOR],
            note: "a platform only what it reported itself; operators of the incident's area",
        },
        Rule {
            rpc: "AddStatement",
            grants: &[PLATFORM],
            note: "the platform of the incident",
        },
        Rule {
            rpc: "AttachEvidence",
            grants: &[PLATFORM, WORKER, OPERATOR],
            note: "the parties, operators of the incident's area",
        },
        Rule {
            rpc: "FileApplication",
            grants: &[PLATFORM, WORKER],
            note: "the platform, the worker or a delegate; never an operator",
        },
        Rule {
            rpc: "WithdrawIncident",
            grants: &[PLATFORM, WORKER, OPERATOR],
            note: "the worker or a delegate always; a platform what it reported or applied for",
        },
        Rule {
            rpc: "GetIncident",
            grants: READERS,
            note: "a platform without the worker's free text",
        },
        Rule {
            rpc: "ListIncidents",
            grants: READERS,
            note: "each caller's own incidents; summaries carry no free text",
        },
        Rule {
            rpc: "GetIncidentStatistics",
            grants: &[REGULATOR, OPERATOR],
            note: "counts of incidents located in the caller's area, never a record; cells of \
                   fewer persons than the threshold suppressed",
        },
    ],
};

/// The parties of one incident that access depends on.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    pub person_id: Uuid,
    pub platform_id: Option<Uuid>,
    pub region_code: &'a str,
    pub reported_by: &'a Actor,
    /// The insurers handling a claim of the incident.
    pub insurers: &'a [Uuid],
}

impl Parties<'_> {
    pub fn subject(&self) -> Subject {
        Subject::default()
            .platform(self.platform_id)
            .person(self.person_id)
            .region(self.region_code)
            .insurers(self.insurers.iter().copied())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub &'static str);

/// The capacity in which a platform or worker stands to the incident: its platform, the worker,
/// or a relative under the worker's delegation (`relationship_to` finds the delegation's
/// relationship). An operator acts as the agency.
pub fn actor(
    caller: &Caller,
    parties: &Parties<'_>,
    relationship_to: impl Fn(Uuid) -> Option<Relationship>,
) -> Option<Actor> {
    let subject = &caller.principal.subject;
    match caller.principal.role {
        Role::Platform { platform_id } if parties.platform_id == Some(platform_id) => {
            Some(Actor::platform(subject, platform_id))
        }
        Role::Worker { person_id } if person_id == parties.person_id => {
            Some(Actor::worker(subject, person_id))
        }
        Role::Worker { person_id } => {
            relationship_to(parties.person_id).map(|r| Actor::close_relative(subject, person_id, r))
        }
        Role::Operator { .. } => Some(Actor::operator(subject)),
        _ => None,
    }
}

/// Who amends: the worker or a delegate; a platform only an incident it reported itself.
pub fn amender(actor: Actor, parties: &Parties<'_>) -> Result<Actor, Denied> {
    let reported_it = parties.reported_by.kind == ActorKind::Platform
        && parties.reported_by.platform_id == actor.platform_id;
    if actor.kind == ActorKind::Platform && !reported_it {
        return Err(Denied(
            "a worker's report stays the worker's: the platform adds a statement (AddStatement) instead",
        ));
    }
    Ok(actor)
}

/// Who files the application: the platform, the worker, or a delegate.
pub fn filer(actor: Actor) -> Result<Actor, Denied> {
    match actor.kind {
        ActorKind::Operator => Err(Denied(
            "only the platform, the worker or a close relative files an application",
        )),
        _ => Ok(actor),
    }
}

/// Who withdraws: the worker (or a delegate, in the worker's place) always — it is their claim
/// to drop; a platform only what it reported, and once someone else applied, only what it
/// applied for; operators (duplicates and mistakes).
pub fn withdrawer(
    actor: Actor,
    parties: &Parties<'_>,
    applicant: Option<&Actor>,
) -> Result<Actor, Denied> {
    if actor.kind != ActorKind::Platform {
        return Ok(actor);
    }
    let same_platform =
        |other: &Actor| other.kind == ActorKind::Platform && other.platform_id == actor.platform_id;
    match applicant {
        Some(applicant) if same_platform(applicant) => Ok(actor),
        Some(_) => Err(Denied(
            "another party applied for determination; only they or the worker may withdraw",
        )),
        None if same_platform(parties.reported_by) => Ok(actor),
        None => Err(Denied(
            "only the reporter or the worker may withdraw this incident",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gigshield_kit::Principal;

    fn caller(rpc: &str, role: Role, delegators: Vec<Uuid>) -> Caller {
        TABLE
            .caller(
                rpc,
                Principal {
                    subject: "s".into(),
                    role,
                },
                delegators,
            )
            .unwrap()
    }

    struct Case {
        worker: Uuid,
        platform: Uuid,
        relative: Uuid,
        by_platform: Actor,
        by_worker: Actor,
    }

    fn case() -> Case {
        let (worker, platform, relative) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        Case {
            worker,
            platform,
            relative,
            by_platform: Actor::platform("backend", platform),
            by_worker: Actor::worker("app", worker),
        }
    }

    impl Case {
        fn parties<'a>(&self, reporter: &'a Actor) -> Parties<'a> {
            Parties {
                person_id: self.worker,
                platform_id: Some(self.platform),
                region_code: "440305",
                reported_by: reporter,
                insurers: &[],
            }
        }
    }

    #[test]
    fn a_delegate_acts_as_a_close_relative_a_stranger_not_at_all() {
        let c = case();
        let parties = c.parties(&c.by_worker);
        let relative = caller(
            "AmendIncident",
            Role::Worker {
                person_id: c.relative,
            },
            vec![c.worker],
        );
        let acting = actor(&relative, &parties, |p| {
            (p == c.worker).then_some(Relationship::Parent)
        })
        .unwrap();
        assert_eq!(acting.kind, ActorKind::CloseRelative);
        assert_eq!(acting.relationship, Some(Relationship::Parent));
        let stranger = caller(
            "AmendIncident",
            Role::Worker {
                person_id: Uuid::now_v7(),
            },
            vec![],
        );
        assert!(actor(&stranger, &parties, |_| None).is_none());
        let other_platform = caller(
            "AmendIncident",
            Role::Platform {
                platform_id: Uuid::now_v7(),
            },
            vec![],
        );
        assert!(actor(&other_platform, &parties, |_| None).is_none());
    }

    #[test]
    fn a_platform_amends_only_what_it_reported() {
        let c = case();
        let platform = Actor::platform("backend", c.platform);
        assert!(amender(platform.clone(), &c.parties(&c.by_platform)).is_ok());
        assert!(amender(platform, &c.parties(&c.by_worker)).is_err());
        assert!(amender(Actor::worker("app", c.worker), &c.parties(&c.by_platform)).is_ok());
    }

    #[test]
    fn withdrawal_belongs_to_the_worker_the_reporter_and_the_applicant() {
        let c = case();
        let parties = c.parties(&c.by_platform);
        let platform = Actor::platform("backend", c.platform);
        assert!(withdrawer(platform.clone(), &parties, None).is_ok());
        let worker_applied = Actor::worker("app", c.worker);
        assert!(withdrawer(platform.clone(), &parties, Some(&worker_applied)).is_err());
        assert!(withdrawer(worker_applied.clone(), &parties, Some(&worker_applied)).is_ok());
        let relative = Actor::close_relative("app", c.relative, Relationship::Spouse);
        assert!(withdrawer(relative, &parties, Some(&worker_applied)).is_ok());
        assert!(withdrawer(platform, &c.parties(&c.by_worker), None).is_err());
        assert!(filer(Actor::operator("op")).is_err());
    }
}
