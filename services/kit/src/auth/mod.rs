//! Who is calling: the typed principal handlers authorise against (see [`crate::access`]),
//! and the interceptor that verifies the bearer token and puts the principal into a request.
//!
//! Roles and what ties each to data:
//! - `platform` — one platform company's backend (`platform_id`);
//! - `worker` — one person through an app (`person_id`); acts for another person only under
//!   that person's delegation, which the services check (a token never carries it);
//! - `insurer` — a commissioned insurer (`insurer_id`), for the cases routed to it;
//! - `adjuster` — a case handler of an insurer (`insurer_id`) or of an agency (`region`),
//!   seeing what that party sees;
//! - `operator` — an agency running the scheme for a `region` (a province or a city), or the
//!   central operator when the token says `region: national` — never by default;
//! - `regulator` — aggregates for a `region`, never a personal record;
//! - `service` — another gigshield service calling this one, with a short-lived token minted
//!   for this service alone (see [`jwt`]).

mod jurisdiction;
mod jwt;
mod service_token;

use std::sync::Arc;

use tonic::{Request, Status};
use uuid::Uuid;

use crate::error::ApiError;
pub use jurisdiction::Jurisdiction;
pub use jwt::{Claims, JwtVerifier, KeyError, TokenMinter, TokenPolicy};

/// The issuer and audience of tokens signed with the development keys
/// (`deploy/local/dev-keys`): `gigshield token`, local stacks and tests.
pub const DEV_ISSUER: &str = "gigshield-dev";
pub const DEV_AUDIENCE: &str = "gigshield";
pub use service_token::ServiceTokens;

/// The party an adjuster works for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    Insurer(Uuid),
    Agency(Jurisdiction),
}

/// Who is calling, with the tenant or area the token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Platform {
        platform_id: Uuid,
    },
    Worker {
        person_id: Uuid,
    },
    Insurer {
        insurer_id: Uuid,
    },
    Adjuster {
        party: Party,
    },
    Operator {
        jurisdiction: Jurisdiction,
    },
    Regulator {
        jurisdiction: Jurisdiction,
    },
    /// Another service: its name (the token's subject), verified with that service's key.
    Service {
        name: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleKind {
    Platform,
    Worker,
    Insurer,
    Adjuster,
    Operator,
    Regulator,
    Service,
}

impl RoleKind {
    pub const ALL: [RoleKind; 7] = [
        RoleKind::Platform,
        RoleKind::Worker,
        RoleKind::Insurer,
        RoleKind::Adjuster,
        RoleKind::Operator,
        RoleKind::Regulator,
        RoleKind::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Platform => "platform",
            RoleKind::Worker => "worker",
            RoleKind::Insurer => "insurer",
            RoleKind::Adjuster => "adjuster",
            RoleKind::Operator => "operator",
            RoleKind::Regulator => "regulator",
            RoleKind::Service => "service",
        }
    }
}

impl Role {
    pub fn kind(&self) -> RoleKind {
        match self {
            Role::Platform { .. } => RoleKind::Platform,
            Role::Worker { .. } => RoleKind::Worker,
            Role::Insurer { .. } => RoleKind::Insurer,
            Role::Adjuster { .. } => RoleKind::Adjuster,
            Role::Operator { .. } => RoleKind::Operator,
            Role::Regulator { .. } => RoleKind::Regulator,
            Role::Service { .. } => RoleKind::Service,
        }
    }

    /// The scheme's central operator.
    pub fn national_operator() -> Self {
        Role::Operator {
            jurisdiction: Jurisdiction::National,
        }
    }

    /// An operator of a province or city (`440000`, `440300`).
    pub fn regional_operator(region: &str) -> Self {
        Role::Operator {
            jurisdiction: Jurisdiction::parse(region).expect("a province or city code"),
        }
    }

    /// An adjuster of the national agency: handles every claim without a route.
    pub fn national_adjuster() -> Self {
        Role::Adjuster {
            party: Party::Agency(Jurisdiction::National),
        }
    }

    pub fn insurer_adjuster(insurer_id: Uuid) -> Self {
        Role::Adjuster {
            party: Party::Insurer(insurer_id),
        }
    }

    pub fn service(name: &str) -> Self {
        Role::Service { name: name.into() }
    }

    /// The insurer whose cases this role handles: insurers and their adjusters.
    pub fn insurer(&self) -> Option<Uuid> {
        match self {
            Role::Insurer { insurer_id }
            | Role::Adjuster {
                party: Party::Insurer(insurer_id),
            } => Some(*insurer_id),
            _ => None,
        }
    }

    /// The `LIKE` pattern of the region codes inside the role's area (`None`: national, or a
    /// role without an area): what statistics count, as opposed to the province-level records
    /// an area also sees ([`Jurisdiction::sql_patterns`]).
    pub fn inside_pattern(&self) -> Option<String> {
        self.jurisdiction()
            .and_then(|j| j.sql_patterns())
            .map(|(inside, _)| inside)
    }

    /// The area an agency-side role answers for: operators, agency adjusters, regulators.
    pub fn jurisdiction(&self) -> Option<&Jurisdiction> {
        match self {
            Role::Operator { jurisdiction }
            | Role::Regulator { jurisdiction }
            | Role::Adjuster {
                party: Party::Agency(jurisdiction),
            } => Some(jurisdiction),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`: a user or client id, for audit trails.
    pub subject: String,
    pub role: Role,
}

impl Principal {
    pub fn is(&self, kind: RoleKind) -> bool {
        self.role.kind() == kind
    }

    /// Refuses callers whose role is not in `allowed`.
    pub fn require_any(&self, allowed: &[RoleKind]) -> Result<(), ApiError> {
        if allowed.contains(&self.role.kind()) {
            Ok(())
        } else {
            Err(ApiError::PermissionDenied(format!(
                "role {} may not call this method",
                self.role.kind().as_str()
            )))
        }
    }

    /// The key under which this caller's idempotent requests are kept apart from others'.
    pub fn tenant_scope(&self) -> String {
        match &self.role {
            Role::Platform { platform_id } => format!("platform:{platform_id}"),
            Role::Worker { person_id } => format!("worker:{person_id}"),
            Role::Insurer { insurer_id } => format!("insurer:{insurer_id}"),
            Role::Service { name } => format!("service:{name}"),
            other => format!("{}:{}", other.kind().as_str(), self.subject),
        }
    }

    /// How the caller is named in histories and audit records.
    pub fn actor(&self) -> String {
        match &self.role {
            Role::Platform { platform_id } => format!("platform:{platform_id}"),
            Role::Worker { person_id } => format!("worker:{person_id}"),
            Role::Insurer { insurer_id } => format!("insurer:{insurer_id}:{}", self.subject),
            Role::Adjuster {
                party: Party::Insurer(insurer_id),
            } => format!("adjuster:{insurer_id}:{}", self.subject),
            Role::Adjuster {
                party: Party::Agency(j),
            } => format!("adjuster:{j}:{}", self.subject),
            Role::Operator { jurisdiction } => format!("operator:{jurisdiction}:{}", self.subject),
            Role::Regulator { jurisdiction } => {
                format!("regulator:{jurisdiction}:{}", self.subject)
            }
            Role::Service { name } => format!("service:{name}"),
        }
    }
}

/// A tonic interceptor: verifies `authorization: Bearer <jwt>` and stores the [`Principal`].
#[derive(Clone)]
pub struct AuthInterceptor {
    verifier: Arc<JwtVerifier>,
}

impl AuthInterceptor {
    pub fn new(verifier: Arc<JwtVerifier>) -> Self {
        Self { verifier }
    }
}

impl tonic::service::Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let header = request.metadata().get("authorization").ok_or_else(|| {
            Status::from(ApiError::Unauthenticated("missing bearer token".into()))
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                Status::from(ApiError::Unauthenticated(
                    "authorization must be `Bearer <token>`".into(),
                ))
            })?;
        let principal = self.verifier.verify(token.trim()).map_err(Status::from)?;
        request.extensions_mut().insert(principal);
        Ok(request)
    }
}

/// The body of a gRPC method: takes the caller from the request, runs
/// `self.<handler>(principal, message)`, and maps its `ApiError` in the kit's one place.
#[macro_export]
macro_rules! handle {
    ($self:ident, $request:ident, $handler:ident) => {{
        let principal = $crate::auth::principal(&$request)?;
        $self
            .$handler(principal, $request.into_inner())
            .await
            .map(::tonic::Response::new)
            .map_err(::tonic::Status::from)
    }};
}

/// The caller of a request that passed [`AuthInterceptor`].
pub fn principal<T>(request: &Request<T>) -> Result<Principal, ApiError> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| ApiError::Unauthenticated("no authenticated principal".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_name_their_insurer_and_jurisdiction() {
        let insurer = Uuid::now_v7();
        assert_eq!(Role::insurer_adjuster(insurer).insurer(), Some(insurer));
        assert_eq!(
            Role::Insurer {
                insurer_id: insurer
            }
            .insurer(),
            Some(insurer)
        );
        assert_eq!(Role::national_adjuster().insurer(), None);
        assert_eq!(
            Role::regional_operator("440300").jurisdiction(),
            Some(&Jurisdiction::Area("4403".into()))
        );
        assert!(
            Role::national_operator()
                .jurisdiction()
                .unwrap()
                .is_national()
        );
        assert_eq!(Role::insurer_adjuster(insurer).jurisdiction(), None);
    }

    #[test]
    fn tenant_scopes_keep_parties_apart() {
        let p = |role| Principal {
            subject: "s".into(),
            role,
        };
        let a = p(Role::Platform {
            platform_id: Uuid::now_v7(),
        });
        let b = p(Role::national_operator());
        let c = p(Role::regional_operator("440000"));
        assert_ne!(a.tenant_scope(), b.tenant_scope());
        assert_ne!(
            b.tenant_scope(),
            p(Role::national_adjuster()).tenant_scope()
        );
        assert_eq!(
            b.tenant_scope(),
            c.tenant_scope(),
            "one operator user, one scope"
        );
        assert!(a.require_any(&[RoleKind::Operator]).is_err());
        assert!(b.require_any(&[RoleKind::Operator]).is_ok());
    }
}
