//! Tokens a service presents when it calls another service: minted with the caller's own key
//! for one audience, valid minutes, renewed before they expire.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::jwt::{KeyError, TokenMinter};

/// How long a minted service token lives. The verifier's cap (`JWT_SERVICE_MAX_LIFETIME_SECS`,
/// one hour by default) must not be lower.
pub const SERVICE_TOKEN_TTL: Duration = Duration::from_secs(300);

pub struct ServiceTokens {
    caller: String,
    minter: TokenMinter,
    ttl: Duration,
    cache: Mutex<HashMap<String, (String, Instant)>>,
}

impl std::fmt::Debug for ServiceTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a token or the key.
        f.debug_struct("ServiceTokens")
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}

impl ServiceTokens {
    pub fn new(caller: &str, minter: TokenMinter, ttl: Duration) -> Self {
        Self {
            caller: caller.into(),
            minter,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// `SERVICE_SIGNING_KEY_FILE`: this service's private key (Ed25519 or RSA, PEM).
    pub fn from_file(caller: &str, path: &Path) -> Result<Self, KeyError> {
        Ok(Self::new(
            caller,
            TokenMinter::from_file(path)?,
            SERVICE_TOKEN_TTL,
        ))
    }

    /// `Bearer <token>` for calls to `audience`; a cached token is reused until a quarter of
    /// its life is left.
    pub fn bearer(&self, audience: &str) -> String {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some((token, renew_at)) = cache.get(audience)
            && now < *renew_at
        {
            return format!("Bearer {token}");
        }
        let token = self.minter.mint_service(&self.caller, audience, self.ttl);
        cache.insert(
            audience.to_string(),
            (token.clone(), now + self.ttl * 3 / 4),
        );
        format!("Bearer {token}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{JwtVerifier, Role, TokenPolicy};

    const PRIVATE: &[u8] = include_bytes!("../../../../deploy/local/dev-keys/service-claims.pem");
    const PUBLIC: &[u8] =
        include_bytes!("../../../../deploy/local/dev-keys/service-claims.pub.pem");

    #[test]
    fn tokens_are_reused_per_audience_and_verify_there() {
        let tokens = ServiceTokens::new(
            "claims",
            TokenMinter::from_pem(PRIVATE).unwrap(),
            SERVICE_TOKEN_TTL,
        );
        let first = tokens.bearer("premium");
        assert_eq!(first, tokens.bearer("premium"));
        assert_ne!(first, tokens.bearer("enrollment"));
        let verifier = JwtVerifier::from_pems(&[], TokenPolicy::lenient("premium"))
            .unwrap()
            .with_service_keys(&[("claims".into(), PUBLIC.to_vec())])
            .unwrap();
        let token = first.strip_prefix("Bearer ").unwrap();
        assert_eq!(
            verifier.verify(token).unwrap().role,
            Role::service("claims")
        );
        assert!(!format!("{tokens:?}").contains(token));
    }
}
