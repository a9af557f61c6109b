//! Bearer JWTs: the claims gigshield tokens carry, verification, and minting.
//!
//! People's tokens (platform backends, workers' apps, insurers, adjusters, operators,
//! regulators) come from the identity provider and verify against `JWT_PUBLIC_KEYS`; they must
//! carry the configured issuer and audience, `iat`, and live no longer than
//! `JWT_MAX_LIFETIME_SECS`. A `service` token is minted by a calling gigshield service with
//! its own key, names that key in its header (`kid: service:<caller>`), names this service as
//! its audience and lives minutes (`JWT_SERVICE_MAX_LIFETIME_SECS`); it verifies only against
//! the caller's key in `JWT_SERVICE_KEYS`, so one service's key can mint nothing else, and a
//! people's key can mint no service token. `nbf` is checked wherever it is present.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Jurisdiction, Party, Principal, Role};
use crate::config::{AuthConfig, ConfigError};
use crate::error::ApiError;

/// Clock difference tolerated between the issuer and this service.
const LEEWAY_SECS: u64 = 30;
const SERVICE_KID_PREFIX: &str = "service:";
const SERVICE_ROLE: &str = "service";

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
    /// `national`, or a province or city code: operators, agency adjusters, regulators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
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
            role: role.kind().as_str().to_string(),
            platform_id: None,
            person_id: None,
            insurer_id: None,
            region: None,
            iat: now,
            nbf: Some(now),
            exp: now + ttl.as_secs() as i64,
            iss: None,
            aud: None,
        };
        match role {
            Role::Platform { platform_id } => claims.platform_id = Some(*platform_id),
            Role::Worker { person_id } => claims.person_id = Some(*person_id),
            Role::Insurer { insurer_id }
            | Role::Adjuster {
                party: Party::Insurer(insurer_id),
            } => claims.insurer_id = Some(*insurer_id),
            Role::Adjuster {
                party: Party::Agency(j),
            }
            | Role::Operator { jurisdiction: j }
            | Role::Regulator { jurisdiction: j } => claims.region = Some(j.claim()),
            Role::Service { name } => claims.sub = name.clone(),
        }
        claims
    }

    fn into_principal(self) -> Result<Principal, ApiError> {
        let missing = |what: &str| ApiError::Unauthenticated(format!("token lacks {what}"));
        let jurisdiction = |region: Option<String>| -> Result<Jurisdiction, ApiError> {
            let region = region.ok_or_else(|| missing("region"))?;
            Jurisdiction::parse(&region).map_err(ApiError::Unauthenticated)
        };
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
            "adjuster" => match (self.insurer_id, self.region) {
                (Some(insurer_id), None) => Role::Adjuster {
                    party: Party::Insurer(insurer_id),
                },
                (None, region @ Some(_)) => Role::Adjuster {
                    party: Party::Agency(jurisdiction(region)?),
                },
                _ => {
                    return Err(ApiError::Unauthenticated(
                        "an adjuster token names exactly one party: insurer_id or region".into(),
                    ));
                }
            },
            "operator" => Role::Operator {
                jurisdiction: jurisdiction(self.region)?,
            },
            "regulator" => Role::Regulator {
                jurisdiction: jurisdiction(self.region)?,
            },
            other => return Err(ApiError::Unauthenticated(format!("unknown role {other:?}"))),
        };
        Ok(Principal {
            subject: self.sub,
            role,
        })
    }

    /// Rejects a token that claims to live longer than `max`, or was issued in the future.
    fn check_lifetime(&self, max: Duration) -> Result<(), ApiError> {
        let now = chrono::Utc::now().timestamp();
        if self.iat > now + LEEWAY_SECS as i64 {
            return Err(ApiError::Unauthenticated(
                "token issued in the future".into(),
            ));
        }
        if self.exp - self.iat > max.as_secs() as i64 {
            return Err(ApiError::Unauthenticated(format!(
                "token lifetime exceeds {} s",
                max.as_secs()
            )));
        }
        Ok(())
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

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    /// `iss` of people's tokens; `None` only in the dev profile.
    pub issuer: Option<String>,
    /// `aud` of people's tokens; `None` only in the dev profile.
    pub audience: Option<String>,
    /// This service's name: the `aud` a service token must carry to be accepted here.
    pub service_audience: String,
    pub max_lifetime: Duration,
    pub service_max_lifetime: Duration,
}

impl TokenPolicy {
    /// No issuer or audience required; lifetimes as in production. Tests of the verifier.
    pub fn lenient(service_audience: &str) -> Self {
        Self {
            issuer: None,
            audience: None,
            service_audience: service_audience.into(),
            max_lifetime: Duration::from_secs(24 * 3600),
            service_max_lifetime: Duration::from_secs(3600),
        }
    }
}

type Key = (Algorithm, DecodingKey);

/// Verifies bearer tokens: people's against every configured public key, services' against
/// the calling service's own key.
pub struct JwtVerifier {
    keys: Vec<Key>,
    service_keys: HashMap<String, Key>,
    policy: TokenPolicy,
}

fn decoding_key(name: &str, pem: &[u8]) -> Result<Key, KeyError> {
    DecodingKey::from_ed_pem(pem)
        .map(|k| (Algorithm::EdDSA, k))
        .or_else(|_| DecodingKey::from_rsa_pem(pem).map(|k| (Algorithm::RS256, k)))
        .map_err(|_| KeyError::Unrecognised(name.to_string()))
}

impl JwtVerifier {
    pub fn from_config(cfg: &AuthConfig, service_name: &str) -> Result<Self, ConfigError> {
        let invalid = |var: &str, e: KeyError| ConfigError::Invalid {
            var: var.into(),
            reason: e.to_string(),
        };
        if cfg.public_key_files.is_empty() {
            return Err(ConfigError::Missing {
                var: "JWT_PUBLIC_KEYS".into(),
            });
        }
        let mut pems = Vec::new();
        for path in &cfg.public_key_files {
            let pem = read_key(path).map_err(|e| invalid("JWT_PUBLIC_KEYS", e))?;
            pems.push((path.display().to_string(), pem));
        }
        let mut service_pems = Vec::new();
        for (caller, path) in &cfg.service_keys {
            let pem = read_key(path).map_err(|e| invalid("JWT_SERVICE_KEYS", e))?;
            service_pems.push((caller.clone(), pem));
        }
        let policy = TokenPolicy {
            issuer: cfg.issuer.clone(),
            audience: cfg.audience.clone(),
            service_audience: service_name.to_string(),
            max_lifetime: cfg.max_lifetime,
            service_max_lifetime: cfg.service_max_lifetime,
        };
        let verifier = Self::from_pems(&pems, policy).map_err(|e| invalid("JWT_PUBLIC_KEYS", e))?;
        verifier
            .with_service_keys(&service_pems)
            .map_err(|e| invalid("JWT_SERVICE_KEYS", e))
    }

    /// `pems` pairs a name (for error messages) with a public key in PEM form.
    pub fn from_pems(pems: &[(String, Vec<u8>)], policy: TokenPolicy) -> Result<Self, KeyError> {
        let keys = pems
            .iter()
            .map(|(name, pem)| decoding_key(name, pem))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            keys,
            service_keys: HashMap::new(),
            policy,
        })
    }

    /// Adds the public keys of calling services: `(caller name, PEM)`.
    pub fn with_service_keys(mut self, pems: &[(String, Vec<u8>)]) -> Result<Self, KeyError> {
        for (caller, pem) in pems {
            self.service_keys
                .insert(caller.clone(), decoding_key(caller, pem)?);
        }
        Ok(self)
    }

    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::Unauthenticated("malformed bearer token".into()))?;
        match header
            .kid
            .as_deref()
            .and_then(|kid| kid.strip_prefix(SERVICE_KID_PREFIX))
        {
            Some(caller) => self.verify_service(token, header.alg, caller),
            None => self.verify_person(token, header.alg),
        }
    }

    fn verify_person(&self, token: &str, alg: Algorithm) -> Result<Principal, ApiError> {
        let mut last_error = None;
        for (_, key) in self.keys.iter().filter(|(a, _)| *a == alg) {
            let mut validation = validation(alg);
            let mut required = vec!["exp", "sub"];
            match &self.policy.issuer {
                Some(iss) => {
                    validation.set_issuer(&[iss]);
                    required.push("iss");
                }
                None => validation.iss = None,
            }
            match &self.policy.audience {
                Some(aud) => {
                    validation.set_audience(&[aud]);
                    required.push("aud");
                }
                None => validation.validate_aud = false,
            }
            validation.set_required_spec_claims(&required);
            match jsonwebtoken::decode::<Claims>(token, key, &validation) {
                Ok(data) => {
                    if data.claims.role == SERVICE_ROLE {
                        return Err(ApiError::Unauthenticated(
                            "a service token must name its service key".into(),
                        ));
                    }
                    data.claims.check_lifetime(self.policy.max_lifetime)?;
                    return data.claims.into_principal();
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(refusal(last_error))
    }

    fn verify_service(
        &self,
        token: &str,
        alg: Algorithm,
        caller: &str,
    ) -> Result<Principal, ApiError> {
        let Some((key_alg, key)) = self.service_keys.get(caller) else {
            return Err(ApiError::Unauthenticated("token not accepted".into()));
        };
        if *key_alg != alg {
            return Err(ApiError::Unauthenticated("token not accepted".into()));
        }
        let mut validation = validation(alg);
        validation.set_issuer(&[caller]);
        validation.set_audience(&[&self.policy.service_audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|e| refusal(Some(e)))?
            .claims;
        if claims.role != SERVICE_ROLE || claims.sub != caller {
            return Err(ApiError::Unauthenticated(
                "a service key signs only its own service's tokens".into(),
            ));
        }
        claims.check_lifetime(self.policy.service_max_lifetime)?;
        Ok(Principal {
            subject: claims.sub,
            role: Role::Service {
                name: caller.to_string(),
            },
        })
    }
}

fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = LEEWAY_SECS;
    validation.validate_nbf = true;
    validation
}

fn refusal(error: Option<jsonwebtoken::errors::Error>) -> ApiError {
    let reason = match error.as_ref().map(|e| e.kind()) {
        Some(ErrorKind::ExpiredSignature) => "token expired",
        Some(ErrorKind::ImmatureSignature) => "token not yet valid",
        Some(ErrorKind::InvalidIssuer) => "token from another issuer",
        Some(ErrorKind::InvalidAudience) => "token for another audience",
        Some(ErrorKind::MissingRequiredClaim(_)) => "token lacks a required claim",
        _ => "token not accepted",
    };
    ApiError::Unauthenticated(reason.into())
}

/// Signs tokens: the `gigshield token` command and the tests with the development keys, and a
/// service with its own key for the services it calls.
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

    /// A token with which service `caller` calls service `audience`.
    pub fn mint_service(&self, caller: &str, audience: &str, ttl: Duration) -> String {
        let mut claims = Claims::new(caller, &Role::service(caller), ttl);
        claims.iss = Some(caller.to_string());
        claims.aud = Some(audience.to_string());
        let mut header = Header::new(self.algorithm);
        header.kid = Some(format!("{SERVICE_KID_PREFIX}{caller}"));
        jsonwebtoken::encode(&header, &claims, &self.key)
            .expect("claims always serialise and the key was validated at load")
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

#[cfg(test)]
mod tests {
    use super::*;

    const ED_PRIVATE: &[u8] = include_bytes!("../../../../deploy/local/dev-keys/jwt-ed25519.pem");
    const ED_PUBLIC: &[u8] =
        include_bytes!("../../../../deploy/local/dev-keys/jwt-ed25519.pub.pem");
    const RSA_PRIVATE: &[u8] = include_bytes!("../../../../deploy/local/dev-keys/jwt-rs256.pem");
    const RSA_PUBLIC: &[u8] = include_bytes!("../../../../deploy/local/dev-keys/jwt-rs256.pub.pem");
    const SERVICE_PRIVATE: &[u8] =
        include_bytes!("../../../../deploy/local/dev-keys/service-claims.pem");
    const SERVICE_PUBLIC: &[u8] =
        include_bytes!("../../../../deploy/local/dev-keys/service-claims.pub.pem");

    fn verifier() -> JwtVerifier {
        JwtVerifier::from_pems(
            &[
                ("ed".into(), ED_PUBLIC.to_vec()),
                ("rsa".into(), RSA_PUBLIC.to_vec()),
            ],
            TokenPolicy::lenient("premium"),
        )
        .unwrap()
        .with_service_keys(&[("claims".into(), SERVICE_PUBLIC.to_vec())])
        .unwrap()
    }

    fn strict() -> JwtVerifier {
        JwtVerifier::from_pems(
            &[("ed".into(), ED_PUBLIC.to_vec())],
            TokenPolicy {
                issuer: Some("https://id.example".into()),
                audience: Some("gigshield".into()),
                ..TokenPolicy::lenient("premium")
            },
        )
        .unwrap()
    }

    fn minter() -> TokenMinter {
        TokenMinter::from_pem(ED_PRIVATE).unwrap()
    }

    fn unauthenticated(result: Result<Principal, ApiError>, why: &str) {
        match result {
            Err(ApiError::Unauthenticated(m)) => assert!(m.contains(why), "{m} lacks {why:?}"),
            other => panic!("expected Unauthenticated({why}), got {other:?}"),
        }
    }

    #[test]
    fn both_algorithms_round_trip_every_role() {
        let platform_id = Uuid::now_v7();
        let roles = [
            Role::Platform { platform_id },
            Role::Worker {
                person_id: Uuid::now_v7(),
            },
            Role::Insurer {
                insurer_id: Uuid::now_v7(),
            },
            Role::insurer_adjuster(Uuid::now_v7()),
            Role::national_adjuster(),
            Role::regional_operator("440300"),
            Role::national_operator(),
            Role::Regulator {
                jurisdiction: Jurisdiction::parse("110000").unwrap(),
            },
        ];
        for private in [ED_PRIVATE, RSA_PRIVATE] {
            for role in &roles {
                let token = TokenMinter::from_pem(private).unwrap().mint(
                    "backend",
                    role,
                    Duration::from_secs(60),
                );
                let p = verifier().verify(&token).unwrap();
                assert_eq!(&p.role, role);
                assert_eq!(p.subject, "backend");
            }
        }
    }

    #[test]
    fn expired_immature_and_foreign_tokens_are_refused() {
        let mut claims = Claims::new("x", &Role::national_operator(), Duration::from_secs(60));
        claims.exp = chrono::Utc::now().timestamp() - 3600;
        claims.iat = claims.exp - 60;
        unauthenticated(verifier().verify(&minter().mint_claims(&claims)), "expired");

        let mut claims = Claims::new("x", &Role::national_operator(), Duration::from_secs(60));
        claims.nbf = Some(chrono::Utc::now().timestamp() + 600);
        claims.exp += 600;
        unauthenticated(
            verifier().verify(&minter().mint_claims(&claims)),
            "not yet valid",
        );

        // Signed with the RSA key but verified by a set holding only the Ed25519 key.
        let only_ed = JwtVerifier::from_pems(
            &[("ed".into(), ED_PUBLIC.to_vec())],
            TokenPolicy::lenient("premium"),
        )
        .unwrap();
        let rsa_token = TokenMinter::from_pem(RSA_PRIVATE).unwrap().mint(
            "x",
            &Role::national_operator(),
            Duration::from_secs(60),
        );
        assert!(only_ed.verify(&rsa_token).is_err());
        assert!(verifier().verify("not.a.token").is_err());
    }

    #[test]
    fn lifetimes_are_capped() {
        // A hundred-year token.
        let token = minter().mint(
            "x",
            &Role::national_operator(),
            Duration::from_secs(100 * 365 * 24 * 3600),
        );
        unauthenticated(verifier().verify(&token), "lifetime");
        let mut claims = Claims::new("x", &Role::national_operator(), Duration::from_secs(60));
        claims.iat += 3600;
        claims.nbf = None;
        claims.exp += 3600;
        unauthenticated(
            verifier().verify(&minter().mint_claims(&claims)),
            "in the future",
        );
    }

    #[test]
    fn a_role_without_its_scope_is_refused() {
        for (role, claim) in [
            ("platform", "platform_id"),
            ("operator", "region"),
            ("regulator", "region"),
        ] {
            let mut claims = Claims::new("x", &Role::national_operator(), Duration::from_secs(60));
            claims.role = role.into();
            claims.region = None;
            unauthenticated(verifier().verify(&minter().mint_claims(&claims)), claim);
        }
        let mut claims = Claims::new("x", &Role::national_adjuster(), Duration::from_secs(60));
        claims.insurer_id = Some(Uuid::now_v7());
        unauthenticated(
            verifier().verify(&minter().mint_claims(&claims)),
            "exactly one party",
        );
        let mut claims = Claims::new("x", &Role::national_operator(), Duration::from_secs(60));
        claims.region = Some("440305".into());
        unauthenticated(verifier().verify(&minter().mint_claims(&claims)), "440305");
    }

    #[test]
    fn issuer_and_audience_are_enforced_when_configured() {
        let plain = minter().mint("x", &Role::national_operator(), Duration::from_secs(60));
        unauthenticated(strict().verify(&plain), "required claim");
        let wrong = minter()
            .with_issuer(Some("https://id.example".into()), Some("other".into()))
            .mint("x", &Role::national_operator(), Duration::from_secs(60));
        unauthenticated(strict().verify(&wrong), "another audience");
        let right = minter()
            .with_issuer(Some("https://id.example".into()), Some("gigshield".into()))
            .mint("x", &Role::national_operator(), Duration::from_secs(60));
        assert!(strict().verify(&right).is_ok());
    }

    #[test]
    fn service_tokens_verify_only_with_their_callers_key_for_their_audience() {
        let claims_key = TokenMinter::from_pem(SERVICE_PRIVATE).unwrap();
        let token = claims_key.mint_service("claims", "premium", Duration::from_secs(300));
        let p = verifier().verify(&token).unwrap();
        assert_eq!(p.role, Role::service("claims"));

        // Another audience.
        let token = claims_key.mint_service("claims", "enrollment", Duration::from_secs(300));
        unauthenticated(verifier().verify(&token), "another audience");
        // Too long.
        let token = claims_key.mint_service("claims", "premium", Duration::from_secs(10 * 3600));
        unauthenticated(verifier().verify(&token), "lifetime");
        // Claiming to be another service with claims' key.
        let token = claims_key.mint_service("incident", "premium", Duration::from_secs(300));
        unauthenticated(verifier().verify(&token), "not accepted");
        // The identity provider's key cannot mint a service token.
        let token = minter().mint_service("claims", "premium", Duration::from_secs(300));
        unauthenticated(verifier().verify(&token), "");
        let mut claims = Claims::new("claims", &Role::service("claims"), Duration::from_secs(60));
        claims.aud = Some("premium".into());
        unauthenticated(
            verifier().verify(&minter().mint_claims(&claims)),
            "service key",
        );
        // claims' key cannot mint a person's token.
        let token = claims_key.mint("x", &Role::national_operator(), Duration::from_secs(60));
        assert!(verifier().verify(&token).is_err());
    }
}
