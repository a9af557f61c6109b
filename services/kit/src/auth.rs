//! Bearer-JWT authentication and the typed principal handlers authorise against.
//!
//! Tokens are signed with EdDSA (Ed25519) or RS256 and verified against public keys from
//! configuration. The interceptor puts a [`Principal`] into the request's extensions; handlers
//! call [`principal`] and then one of the `require_*` checks, which answer `PermissionDenied`
//! for another tenant's data.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tonic::{Request, Status};
use uuid::Uuid;

use crate::config::{AuthConfig, ConfigError};
use crate::error::ApiError;

/// Who is calling, with the tenant the token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A platform company's backend, for its own platform only.
    Platform {
        platform_id: Uuid,
    },
    /// One person, through an app.
    Worker {
        person_id: Uuid,
    },
    /// A commissioned insurer, for the routes assigned to it.
    Insurer {
        insurer_id: Uuid,
    },
    Adjuster,
    Operator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    Platform,
    Worker,
    Insurer,
    Adjuster,
    Operator,
}

impl Role {
    pub fn kind(&self) -> RoleKind {
        match self {
            Role::Platform { .. } => RoleKind::Platform,
            Role::Worker { .. } => RoleKind::Worker,
            Role::Insurer { .. } => RoleKind::Insurer,
            Role::Adjuster => RoleKind::Adjuster,
            Role::Operator => RoleKind::Operator,
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
                "role {:?} may not call this method",
                self.role.kind()
            )))
        }
    }

    /// Operators act for any platform; a platform token only for its own.
    pub fn require_platform(&self, platform_id: Uuid) -> Result<(), ApiError> {
        match &self.role {
            Role::Operator => Ok(()),
            Role::Platform { platform_id: own } if *own == platform_id => Ok(()),
            _ => Err(ApiError::PermissionDenied("another platform's data".into())),
        }
    }

    /// Operators may see any person; a worker token only its own person.
    pub fn require_person(&self, person_id: Uuid) -> Result<(), ApiError> {
        match &self.role {
            Role::Operator => Ok(()),
            Role::Worker { person_id: own } if *own == person_id => Ok(()),
            _ => Err(ApiError::PermissionDenied("another person's data".into())),
        }
    }

    /// The key under which this caller's idempotent requests are kept apart from others'.
    pub fn tenant_scope(&self) -> String {
        match &self.role {
            Role::Platform { platform_id } => format!("platform:{platform_id}"),
            Role::Worker { person_id } => format!("worker:{person_id}"),
            Role::Insurer { insurer_id } => format!("insurer:{insurer_id}"),
            Role::Adjuster => format!("adjuster:{}", self.subject),
            Role::Operator => format!("operator:{}", self.subject),
        }
    }
}

/// The claims gigshield tokens carry. Tenant ids sit beside the role they scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurer_id: Option<Uuid>,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

impl Claims {
    pub fn new(subject: &str, role: &Role, ttl: Duration) -> Self {
        let now = chrono::Utc::now().timestamp();
        let mut claims = Self {
            sub: subject.to_string(),
            role: String::new(),
            platform_id: None,
            person_id: None,
            insurer_id: None,
            iat: now,
            exp: now + ttl.as_secs() as i64,
            iss: None,
            aud: None,
        };
        claims.role = match role {
            Role::Platform { platform_id } => {
                claims.platform_id = Some(*platform_id);
                "platform"
            }
            Role::Worker { person_id } => {
                claims.person_id = Some(*person_id);
                "worker"
            }
            Role::Insurer { insurer_id } => {
                claims.insurer_id = Some(*insurer_id);
                "insurer"
            }
            Role::Adjuster => "adjuster",
            Role::Operator => "operator",
        }
        .to_string();
        claims
    }

    fn into_principal(self) -> Result<Principal, ApiError> {
        let missing = |what: &str| ApiError::Unauthenticated(format!("token lacks {what}"));
        let role = match self.role.as_str() {
            "platform" => Role::Platform {
                platform_id: self.platform_id.ok_or_else(|| missing("platform_id"))?,
            },
            "worker" => Role::Worker {
                person_id: self.person_id.ok_or_else(|| missing("person_id"))?,
            },
            "insurer" => Role::Insurer {
                insurer_id: self.insurer_id.ok_or_else(|| missing("insurer_id"))?,
            },
            "adjuster" => Role::Adjuster,
            "operator" => Role::Operator,
            other => return Err(ApiError::Unauthenticated(format!("unknown role {other:?}"))),
        };
        Ok(Principal {
            subject: self.sub,
            role,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is neither an Ed25519 nor an RSA key in PEM form")]
    Unrecognised(String),
}

/// Verifies bearer tokens against every configured public key.
pub struct JwtVerifier {
    keys: Vec<(Algorithm, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl JwtVerifier {
    pub fn from_config(cfg: &AuthConfig) -> Result<Self, ConfigError> {
        if cfg.public_key_files.is_empty() {
            return Err(ConfigError::Missing {
                var: "JWT_PUBLIC_KEYS".into(),
            });
        }
        let mut pems = Vec::new();
        for path in &cfg.public_key_files {
            let pem = read_key(path).map_err(|e| ConfigError::Invalid {
                var: "JWT_PUBLIC_KEYS".into(),
                reason: e.to_string(),
            })?;
            pems.push((path.display().to_string(), pem));
        }
        Self::from_pems(&pems, cfg.issuer.clone(), cfg.audience.clone()).map_err(|e| {
            ConfigError::Invalid {
                var: "JWT_PUBLIC_KEYS".into(),
                reason: e.to_string(),
            }
        })
    }

    /// `pems` pairs a name (for error messages) with a public key in PEM form.
    pub fn from_pems(
        pems: &[(String, Vec<u8>)],
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Result<Self, KeyError> {
        let keys = pems
            .iter()
            .map(|(name, pem)| {
                DecodingKey::from_ed_pem(pem)
                    .map(|k| (Algorithm::EdDSA, k))
                    .or_else(|_| DecodingKey::from_rsa_pem(pem).map(|k| (Algorithm::RS256, k)))
                    .map_err(|_| KeyError::Unrecognised(name.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            keys,
            issuer,
            audience,
        })
    }

    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::Unauthenticated("malformed bearer token".into()))?;
        let mut last_error = None;
        for (alg, key) in self.keys.iter().filter(|(alg, _)| *alg == header.alg) {
            let mut validation = Validation::new(*alg);
            validation.leeway = 30;
            // A configured issuer or audience must be present, not merely right when present.
            let mut required = vec!["exp", "sub"];
            match &self.issuer {
                Some(iss) => {
                    validation.set_issuer(&[iss]);
                    required.push("iss");
                }
                None => validation.iss = None,
            }
            match &self.audience {
                Some(aud) => {
                    validation.set_audience(&[aud]);
                    required.push("aud");
                }
                None => validation.validate_aud = false,
            }
            validation.set_required_spec_claims(&required);
            match jsonwebtoken::decode::<Claims>(token, key, &validation) {
                Ok(data) => return data.claims.into_principal(),
                Err(e) => last_error = Some(e),
            }
        }
        let reason = match last_error.as_ref().map(|e| e.kind()) {
            Some(jsonwebtoken::errors::ErrorKind::ExpiredSignature) => "token expired",
            Some(jsonwebtoken::errors::ErrorKind::InvalidIssuer) => "token from another issuer",
            Some(jsonwebtoken::errors::ErrorKind::InvalidAudience) => "token for another audience",
            _ => "token not accepted",
        };
        Err(ApiError::Unauthenticated(reason.into()))
    }
}

/// Signs tokens: the `gigshield token` command and the tests use it with the development keys.
pub struct TokenMinter {
    algorithm: Algorithm,
    key: EncodingKey,
    issuer: Option<String>,
    audience: Option<String>,
}

impl TokenMinter {
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let (algorithm, key) = EncodingKey::from_ed_pem(pem)
            .map(|k| (Algorithm::EdDSA, k))
            .or_else(|_| EncodingKey::from_rsa_pem(pem).map(|k| (Algorithm::RS256, k)))
            .map_err(|_| KeyError::Unrecognised("signing key".into()))?;
        Ok(Self {
            algorithm,
            key,
            issuer: None,
            audience: None,
        })
    }

    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        Self::from_pem(&read_key(path)?)
    }

    pub fn with_issuer(mut self, issuer: Option<String>, audience: Option<String>) -> Self {
        self.issuer = issuer;
        self.audience = audience;
        self
    }

    pub fn mint(&self, subject: &str, role: &Role, ttl: Duration) -> String {
        let mut claims = Claims::new(subject, role, ttl);
        claims.iss = self.issuer.clone();
        claims.aud = self.audience.clone();
        self.mint_claims(&claims)
    }

    pub fn mint_claims(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(self.algorithm), claims, &self.key)
            .expect("claims always serialise and the key was validated at load")
    }
}

fn read_key(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| KeyError::Read {
        path: path.display().to_string(),
        source,
    })
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
        let header = request
            .metadata()
            .get("authorization")
            .ok_or_else(|| Status::unauthenticated("missing bearer token"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| Status::unauthenticated("authorization must be `Bearer <token>`"))?;
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

    const ED_PRIVATE: &[u8] = include_bytes!("../../../deploy/local/dev-keys/jwt-ed25519.pem");
    const ED_PUBLIC: &[u8] = include_bytes!("../../../deploy/local/dev-keys/jwt-ed25519.pub.pem");
    const RSA_PRIVATE: &[u8] = include_bytes!("../../../deploy/local/dev-keys/jwt-rs256.pem");
    const RSA_PUBLIC: &[u8] = include_bytes!("../../../deploy/local/dev-keys/jwt-rs256.pub.pem");

    fn verifier() -> JwtVerifier {
        JwtVerifier::from_pems(
            &[
                ("ed".into(), ED_PUBLIC.to_vec()),
                ("rsa".into(), RSA_PUBLIC.to_vec()),
            ],
            None,
            None,
        )
        .unwrap()
    }

    #[test]
    fn both_algorithms_round_trip() {
        let platform_id = Uuid::now_v7();
        for private in [ED_PRIVATE, RSA_PRIVATE] {
            let token = TokenMinter::from_pem(private).unwrap().mint(
                "backend",
                &Role::Platform { platform_id },
                Duration::from_secs(60),
            );
            let p = verifier().verify(&token).unwrap();
            assert_eq!(p.role, Role::Platform { platform_id });
            assert_eq!(p.subject, "backend");
        }
    }

    #[test]
    fn expired_and_foreign_tokens_are_refused() {
        let minter = TokenMinter::from_pem(ED_PRIVATE).unwrap();
        let mut claims = Claims::new("x", &Role::Operator, Duration::from_secs(60));
        claims.exp = chrono::Utc::now().timestamp() - 3600;
        let err = verifier().verify(&minter.mint_claims(&claims)).unwrap_err();
        assert!(matches!(err, ApiError::Unauthenticated(m) if m.contains("expired")));

        // Signed with the RSA key but claiming EdDSA in the header: no key matches.
        let only_ed =
            JwtVerifier::from_pems(&[("ed".into(), ED_PUBLIC.to_vec())], None, None).unwrap();
        let rsa_token = TokenMinter::from_pem(RSA_PRIVATE).unwrap().mint(
            "x",
            &Role::Operator,
            Duration::from_secs(60),
        );
        assert!(only_ed.verify(&rsa_token).is_err());
        assert!(verifier().verify("not.a.token").is_err());
    }

    #[test]
    fn a_role_without_its_tenant_is_refused() {
        let minter = TokenMinter::from_pem(ED_PRIVATE).unwrap();
        let mut claims = Claims::new("x", &Role::Operator, Duration::from_secs(60));
        claims.role = "platform".into();
        assert!(verifier().verify(&minter.mint_claims(&claims)).is_err());
    }

    #[test]
    fn issuer_and_audience_are_enforced_when_configured() {
        let strict = JwtVerifier::from_pems(
            &[("ed".into(), ED_PUBLIC.to_vec())],
            Some("gigshield".into()),
            Some("enrollment".into()),
        )
        .unwrap();
        let minter = TokenMinter::from_pem(ED_PRIVATE).unwrap();
        let plain = minter.mint("x", &Role::Operator, Duration::from_secs(60));
        assert!(strict.verify(&plain).is_err());
        let minter = minter.with_issuer(Some("gigshield".into()), Some("enrollment".into()));
        assert!(
            strict
                .verify(&minter.mint("x", &Role::Operator, Duration::from_secs(60)))
                .is_ok()
        );
    }

    #[test]
    fn tenancy_checks() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        let platform = Principal {
            subject: "s".into(),
            role: Role::Platform { platform_id: a },
        };
        assert!(platform.require_platform(a).is_ok());
        assert!(matches!(
            platform.require_platform(b),
            Err(ApiError::PermissionDenied(_))
        ));
        assert!(platform.require_person(a).is_err());
        let operator = Principal {
            subject: "o".into(),
            role: Role::Operator,
        };
        assert!(operator.require_platform(b).is_ok());
        assert!(platform.require_any(&[RoleKind::Operator]).is_err());
        assert_ne!(platform.tenant_scope(), operator.tenant_scope());
    }
}
