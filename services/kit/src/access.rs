//! Access tables: for every RPC of a service, the roles that may call it and the scope rule
//! that ties a caller of that role to the data. Each service keeps its table in
//! `domain/access.rs` as a `const` [`AccessTable`]; handlers ask it twice:
//!
//! 1. [`AccessTable::admit`] before anything is looked up: may this role call this method at
//!    all? A refusal is `PermissionDenied` and says nothing about any record.
//! 2. [`Caller::sees`] / [`Caller::visible`] once the record (or the scope a request names) is
//!    known: does it lie in the caller's scope? A record outside it is answered exactly like a
//!    record that does not exist ([`hidden`]), so ids cannot be probed.
//!
//! The scope rules, by role:
//! - platform → [`Scope::OwnPlatform`]: data of its own platform;
//! - worker → [`Scope::OwnPerson`]: their own person, or a person who delegated to them; or
//!   [`Scope::Myself`] where a delegate may not act (granting a delegation onward);
//! - insurer, and an insurer's adjuster → [`Scope::Assigned`]: the cases routed to that insurer;
//! - operator, and an agency's adjuster → [`Scope::Jurisdiction`]: data located in their province
//!   or city (all of it for a national token), or [`Scope::National`] where only the central
//!   operator may act;
//! - regulator → [`Scope::Aggregates`]: figures, never a personal record;
//! - service → [`Scope::Service`]: one named calling service.

use uuid::Uuid;

use crate::auth::{Party, Principal, Role, RoleKind};
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    OwnPlatform,
    OwnPerson,
    /// The worker's own person only, never a delegator's.
    Myself,
    Assigned,
    Jurisdiction,
    /// [`Scope::Jurisdiction`] for an operator of a province (or the nation), not of a city:
    /// for what is decided per province (rates).
    Province,
    /// An operator (or agency adjuster) whose token says `region: national`.
    National,
    Aggregates,
    Service(&'static str),
    /// Data that is the scheme's public rules, never about a party: every admitted caller.
    Public,
}

impl Scope {
    /// Whether the data a caller reaches depends on who they are (own versus foreign data);
    /// the national and service scopes reach every record once admitted.
    pub fn is_bounded(self) -> bool {
        !matches!(self, Scope::National | Scope::Service(_) | Scope::Public)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Scope::OwnPlatform => "own platform",
            Scope::OwnPerson => "own person or a delegator",
            Scope::Myself => "own person only",
            Scope::Assigned => "cases routed to its insurer",
            Scope::Jurisdiction => "its province or city",
            Scope::Province => "its province",
            Scope::National => "national token only",
            Scope::Aggregates => "aggregates only",
            Scope::Service(_) => "named service",
            Scope::Public => "public rules, no personal data",
        }
    }
}

/// How a caller stands to a record, for expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The record is the caller's own (its platform, person, case, area).
    Own,
    /// The caller is a worker the record's person delegated to.
    Delegate,
    /// Another tenant's, person's, insurer's or area's record.
    Foreign,
}

/// One role's right to call an RPC, with the scope that bounds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub role: RoleKind,
    pub scope: Scope,
}

/// Shorthand for table rows.
pub const fn grant(role: RoleKind, scope: Scope) -> Grant {
    Grant { role, scope }
}

/// The grants of the usual roles with their usual scopes.
pub const PLATFORM: Grant = grant(RoleKind::Platform, Scope::OwnPlatform);
pub const WORKER: Grant = grant(RoleKind::Worker, Scope::OwnPerson);
pub const WORKER_SELF: Grant = grant(RoleKind::Worker, Scope::Myself);
pub const INSURER: Grant = grant(RoleKind::Insurer, Scope::Assigned);
pub const INSURER_ADJUSTER: Grant = grant(RoleKind::Adjuster, Scope::Assigned);
pub const AGENCY_ADJUSTER: Grant = grant(RoleKind::Adjuster, Scope::Jurisdiction);
pub const OPERATOR: Grant = grant(RoleKind::Operator, Scope::Jurisdiction);
pub const PROVINCIAL_OPERATOR: Grant = grant(RoleKind::Operator, Scope::Province);
pub const NATIONAL_OPERATOR: Grant = grant(RoleKind::Operator, Scope::National);
pub const REGULATOR: Grant = grant(RoleKind::Regulator, Scope::Aggregates);

/// Every party of the scheme, for what is public (the scheme's rules): no service principal.
pub const ANYONE: &[Grant] = &[
    grant(RoleKind::Platform, Scope::Public),
    grant(RoleKind::Worker, Scope::Public),
    grant(RoleKind::Insurer, Scope::Public),
    grant(RoleKind::Adjuster, Scope::Public),
    grant(RoleKind::Operator, Scope::Public),
    grant(RoleKind::Regulator, Scope::Public),
];

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub rpc: &'static str,
    pub grants: &'static [Grant],
    /// What the callers may see or do beyond the role and scope (shown in docs and tests).
    pub note: &'static str,
}

/// A service's access table: one [`Rule`] per RPC.
#[derive(Debug, Clone, Copy)]
pub struct AccessTable {
    pub service: &'static str,
    pub rules: &'static [Rule],
}

impl AccessTable {
    pub fn rule(&self, rpc: &str) -> Option<&'static Rule> {
        self.rules.iter().find(|r| r.rpc == rpc)
    }

    /// The grant under which `principal` may call `rpc`, decided from the token alone.
    pub fn grant_for(&self, rpc: &str, principal: &Principal) -> Option<Grant> {
        self.rule(rpc)?
            .grants
            .iter()
            .copied()
            .find(|g| fits(g, &principal.role))
    }

    /// Step 1: refuses a role that may not call `rpc` at all, before any lookup.
    pub fn admit(&self, rpc: &str, principal: &Principal) -> Result<Scope, ApiError> {
        match self.grant_for(rpc, principal) {
            Some(grant) => Ok(grant.scope),
            None => Err(ApiError::PermissionDenied(format!(
                "{} may not call {rpc}",
                describe_role(&principal.role)
            ))),
        }
    }

    /// [`admit`](Self::admit) plus the caller's delegations, for the scope checks that follow.
    pub fn caller(
        &self,
        rpc: &str,
        principal: Principal,
        delegators: Vec<Uuid>,
    ) -> Result<Caller, ApiError> {
        let scope = self.admit(rpc, &principal)?;
        Ok(Caller {
            principal,
            scope,
            delegators,
        })
    }

    /// [`caller`](Self::caller), with a worker's delegations read by `delegators` (the
    /// service's own table or the kit's replica) — only for a worker, and after admission.
    pub async fn caller_with<F, Fut>(
        &self,
        rpc: &str,
        principal: Principal,
        delegators: F,
    ) -> Result<Caller, ApiError>
    where
        F: FnOnce(Uuid) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Uuid>, sea_orm::DbErr>>,
    {
        let scope = self.admit(rpc, &principal)?;
        let delegators = match (&principal.role, scope) {
            (Role::Worker { person_id }, Scope::OwnPerson) => delegators(*person_id).await?,
            _ => Vec::new(),
        };
        Ok(Caller {
            principal,
            scope,
            delegators,
        })
    }

    /// What the table promises for a caller standing in `relation` to the data: admitted,
    /// and (for a bounded scope) only on data of its own — a delegate's only where the scope
    /// lets delegates act. The generated access tests compare every RPC with this.
    pub fn expects(&self, rpc: &str, role: &Role, relation: Relation) -> bool {
        let principal = Principal {
            subject: "expectation".into(),
            role: role.clone(),
        };
        match (self.grant_for(rpc, &principal), relation) {
            (None, _) => false,
            (Some(grant), _) if !grant.scope.is_bounded() => true,
            (Some(_), Relation::Own) => true,
            (Some(grant), Relation::Delegate) => grant.scope == Scope::OwnPerson,
            (Some(_), Relation::Foreign) => false,
        }
    }
}

impl Grant {
    /// How the grant reads in the access documentation, e.g. `operator (its province or city)`.
    pub fn describe(self) -> String {
        let who = match (self.role, self.scope) {
            (RoleKind::Adjuster, Scope::Assigned) => "insurer's adjuster",
            (RoleKind::Adjuster, Scope::Public) => "adjuster",
            (RoleKind::Adjuster, _) => "agency's adjuster",
            (RoleKind::Service, _) => "service",
            (role, _) => role.as_str(),
        };
        match self.scope {
            Scope::Service(name) => format!("service `{name}`"),
            scope => format!("{who} ({})", scope.describe()),
        }
    }
}

impl AccessTable {
    /// The table as a Markdown section: one row per RPC, its grants and its note. The
    /// repository's `docs/access.md` is these sections, checked by a test.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "## {}\n\n| RPC | Who may call it (scope) | What they see or do |\n|---|---|---|\n",
            self.service
        );
        for rule in self.rules {
            let grants: Vec<String> = rule.grants.iter().map(|g| g.describe()).collect();
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                rule.rpc,
                grants.join("<br>"),
                rule.note.replace('|', "\\|")
            ));
        }
        out
    }
}

/// Whether a grant applies to a role: the kind matches and the role's party or jurisdiction is
/// the kind the scope speaks of.
fn fits(grant: &Grant, role: &Role) -> bool {
    if grant.role != role.kind() {
        return false;
    }
    match (grant.scope, role) {
        (Scope::Assigned, Role::Adjuster { party }) => matches!(party, Party::Insurer(_)),
        (Scope::Jurisdiction, Role::Adjuster { party }) => matches!(party, Party::Agency(_)),
        (Scope::National, _) => role.jurisdiction().is_some_and(|j| j.is_national()),
        (Scope::Province, _) => role.jurisdiction().is_some_and(|j| match j {
            crate::auth::Jurisdiction::National => true,
            crate::auth::Jurisdiction::Area(prefix) => prefix.len() == 2,
        }),
        (Scope::Service(name), Role::Service { name: caller }) => name == caller,
        (Scope::Service(_), _) => false,
        _ => true,
    }
}

fn describe_role(role: &Role) -> String {
    match role {
        Role::Adjuster {
            party: Party::Insurer(_),
        } => "an insurer's adjuster".into(),
        Role::Adjuster {
            party: Party::Agency(_),
        } => "an agency's adjuster".into(),
        Role::Operator { jurisdiction } if !jurisdiction.is_national() => {
            "a regional operator".into()
        }
        Role::Service { name } => format!("service {name}"),
        other => format!("role {}", other.kind().as_str()),
    }
}

/// What a record is tied to, for the scope check: the platforms, persons, insurers and places
/// it belongs to.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub platforms: Vec<Uuid>,
    pub persons: Vec<Uuid>,
    pub insurers: Vec<Uuid>,
    /// 6-digit region codes (province codes `XX0000` count for the whole province).
    pub regions: Vec<String>,
}

impl Subject {
    pub fn platform(mut self, id: impl Into<Option<Uuid>>) -> Self {
        self.platforms.extend(id.into());
        self
    }

    pub fn person(mut self, id: impl Into<Option<Uuid>>) -> Self {
        self.persons.extend(id.into());
        self
    }

    pub fn insurer(mut self, id: impl Into<Option<Uuid>>) -> Self {
        self.insurers.extend(id.into());
        self
    }

    pub fn insurers(mut self, ids: impl IntoIterator<Item = Uuid>) -> Self {
        self.insurers.extend(ids);
        self
    }

    pub fn region(mut self, code: impl Into<String>) -> Self {
        let code = code.into();
        if !code.is_empty() {
            self.regions.push(code);
        }
        self
    }

    pub fn regions(mut self, codes: impl IntoIterator<Item = String>) -> Self {
        self.regions
            .extend(codes.into_iter().filter(|c| !c.is_empty()));
        self
    }
}

/// An admitted caller: the principal, the scope its grant gives, and — for a worker — the
/// persons who delegated to them (active delegations, read by the service).
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub scope: Scope,
    pub delegators: Vec<Uuid>,
}

impl Caller {
    /// Whether `subject` lies in the caller's scope.
    pub fn sees(&self, subject: &Subject) -> bool {
        let role = &self.principal.role;
        match self.scope {
            Scope::OwnPlatform => match role {
                Role::Platform { platform_id } => subject.platforms.contains(platform_id),
                _ => false,
            },
            Scope::OwnPerson => match role {
                Role::Worker { person_id } => subject
                    .persons
                    .iter()
                    .any(|p| p == person_id || self.delegators.contains(p)),
                _ => false,
            },
            Scope::Myself => match role {
                Role::Worker { person_id } => subject.persons.contains(person_id),
                _ => false,
            },
            Scope::Assigned => role
                .insurer()
                .is_some_and(|insurer| subject.insurers.contains(&insurer)),
            Scope::Jurisdiction | Scope::Province => role
                .jurisdiction()
                .is_some_and(|j| subject.regions.iter().any(|r| j.covers(r))),
            Scope::National | Scope::Service(_) | Scope::Public => true,
            Scope::Aggregates => false,
        }
    }

    /// The scope check on a scope the request names, before anything is looked up.
    pub fn require(&self, subject: &Subject) -> Result<(), ApiError> {
        if self.sees(subject) {
            Ok(())
        } else {
            Err(ApiError::PermissionDenied(format!(
                "outside the caller's scope ({})",
                self.scope.describe()
            )))
        }
    }

    /// The scope check on a record that was looked up: outside the scope it is [`hidden`].
    pub fn visible(&self, subject: &Subject, what: &str) -> Result<(), ApiError> {
        if self.sees(subject) {
            Ok(())
        } else {
            Err(hidden(what))
        }
    }

    /// The worker's own person id (delegations aside).
    pub fn person(&self) -> Option<Uuid> {
        match self.principal.role {
            Role::Worker { person_id } => Some(person_id),
            _ => None,
        }
    }

    /// Whether a worker acts for `person_id`: themself, or under that person's delegation.
    pub fn acts_for(&self, person_id: Uuid) -> bool {
        self.person() == Some(person_id) || self.delegators.contains(&person_id)
    }
}

/// The one answer for a record that does not exist and a record the caller may not see.
pub fn hidden(what: &str) -> ApiError {
    ApiError::NotFound(what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Jurisdiction;

    const TABLE: AccessTable = AccessTable {
        service: "test",
        rules: &[
            Rule {
                rpc: "Get",
                grants: &[
                    PLATFORM,
                    WORKER,
                    INSURER,
                    INSURER_ADJUSTER,
                    AGENCY_ADJUSTER,
                    OPERATOR,
                ],
                note: "",
            },
            Rule {
                rpc: "Exceptions",
                grants: &[NATIONAL_OPERATOR],
                note: "",
            },
            Rule {
                rpc: "Verify",
                grants: &[grant(RoleKind::Service, Scope::Service("claims"))],
                note: "",
            },
        ],
    };

    fn principal(role: Role) -> Principal {
        Principal {
            subject: "s".into(),
            role,
        }
    }

    #[test]
    fn admission_is_decided_from_the_token_alone() {
        let regulator = principal(Role::Regulator {
            jurisdiction: Jurisdiction::National,
        });
        assert!(matches!(
            TABLE.admit("Get", &regulator),
            Err(ApiError::PermissionDenied(_))
        ));
        assert!(
            TABLE
                .admit("Unknown", &principal(Role::national_operator()))
                .is_err()
        );
        assert_eq!(
            TABLE
                .admit("Exceptions", &principal(Role::national_operator()))
                .unwrap(),
            Scope::National
        );
        assert!(
            TABLE
                .admit("Exceptions", &principal(Role::regional_operator("440000")))
                .is_err()
        );
        assert!(
            TABLE
                .admit("Verify", &principal(Role::service("claims")))
                .is_ok()
        );
        assert!(
            TABLE
                .admit("Verify", &principal(Role::service("fund")))
                .is_err()
        );
        assert_eq!(
            TABLE
                .admit("Get", &principal(Role::insurer_adjuster(Uuid::now_v7())))
                .unwrap(),
            Scope::Assigned
        );
        assert_eq!(
            TABLE
                .admit("Get", &principal(Role::national_adjuster()))
                .unwrap(),
            Scope::Jurisdiction
        );
    }

    #[test]
    fn scopes_tie_callers_to_their_own_data() {
        let (platform, person, delegator, insurer) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let record = Subject::default()
            .platform(platform)
            .person(delegator)
            .insurer(insurer)
            .region("440305");
        let caller = |role: Role, delegators: Vec<Uuid>| {
            TABLE.caller("Get", principal(role), delegators).unwrap()
        };
        assert!(
            caller(
                Role::Platform {
                    platform_id: platform
                },
                vec![]
            )
            .sees(&record)
        );
        assert!(
            !caller(
                Role::Platform {
                    platform_id: person
                },
                vec![]
            )
            .sees(&record)
        );
        assert!(!caller(Role::Worker { person_id: person }, vec![]).sees(&record));
        assert!(caller(Role::Worker { person_id: person }, vec![delegator]).sees(&record));
        assert!(
            caller(
                Role::Insurer {
                    insurer_id: insurer
                },
                vec![]
            )
            .sees(&record)
        );
        assert!(!caller(Role::Insurer { insurer_id: person }, vec![]).sees(&record));
        assert!(caller(Role::insurer_adjuster(insurer), vec![]).sees(&record));
        assert!(caller(Role::regional_operator("440300"), vec![]).sees(&record));
        assert!(!caller(Role::regional_operator("110000"), vec![]).sees(&record));
        assert!(caller(Role::national_operator(), vec![]).sees(&record));
        assert!(caller(Role::national_adjuster(), vec![]).sees(&record));

        let outsider = caller(Role::regional_operator("110000"), vec![]);
        assert!(matches!(
            outsider.visible(&record, "claim"),
            Err(ApiError::NotFound(w)) if w == "claim"
        ));
        assert!(matches!(
            outsider.require(&record),
            Err(ApiError::PermissionDenied(_))
        ));
    }

    #[test]
    fn expectations_follow_the_table() {
        let op = Role::regional_operator("440000");
        assert!(TABLE.expects("Get", &op, Relation::Own));
        assert!(!TABLE.expects("Get", &op, Relation::Foreign));
        assert!(TABLE.expects("Exceptions", &Role::national_operator(), Relation::Foreign));
        assert!(!TABLE.expects("Exceptions", &op, Relation::Own));
        assert!(TABLE.expects("Verify", &Role::service("claims"), Relation::Foreign));
        let worker = Role::Worker {
            person_id: Uuid::now_v7(),
        };
        assert!(TABLE.expects("Get", &worker, Relation::Delegate));
    }

    #[test]
    fn a_delegate_acts_where_the_scope_allows_delegates_only() {
        const SELF_ONLY: AccessTable = AccessTable {
            service: "test",
            rules: &[Rule {
                rpc: "Grant",
                grants: &[WORKER_SELF],
                note: "",
            }],
        };
        let (me, grantor) = (Uuid::now_v7(), Uuid::now_v7());
        let caller = SELF_ONLY
            .caller(
                "Grant",
                principal(Role::Worker { person_id: me }),
                vec![grantor],
            )
            .unwrap();
        assert!(!caller.sees(&Subject::default().person(grantor)));
        assert!(caller.sees(&Subject::default().person(me)));
        assert!(!SELF_ONLY.expects("Grant", &Role::Worker { person_id: me }, Relation::Delegate));
    }
}
