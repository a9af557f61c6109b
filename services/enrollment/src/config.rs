//! Enrollment's configuration: the kit's variables plus its own.

use std::time::Duration;

use gigshield_kit::config::{ConfigError, Env, KitConfig};

use crate::consumers::Followed;

pub const SERVICE_NAME: &str = "enrollment";

pub struct EnrollmentConfig {
    pub kit: KitConfig,
    /// `ENROLLMENT_MIN_AGE`, default 16 (docs/domain.md § Enrollment: platforms apply their own).
    pub min_age: u32,
    /// `ENROLLMENT_CLOCK_SKEW_SECS`, default 300: how far in the future a caller's clock may be.
    pub clock_skew: Duration,
    /// `ENROLLMENT_TOPIC_PARTITIONS`, default 12, used when the service creates its topic.
    pub topic_partitions: i32,
    /// `ENROLLMENT_PREMIUM_TOPIC` / `ENROLLMENT_INCIDENT_TOPIC` / `ENROLLMENT_CLAIMS_TOPIC`:
    /// what the service follows; overridden only by tests and side-by-side stacks.
    pub followed: Followed,
}

impl EnrollmentConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            kit: KitConfig::from_env(SERVICE_NAME, env)?,
            min_age: env.parse_or("ENROLLMENT_MIN_AGE", 16)?,
            clock_skew: Duration::from_secs(env.parse_or("ENROLLMENT_CLOCK_SKEW_SECS", 300)?),
            topic_partitions: env.parse_or("ENROLLMENT_TOPIC_PARTITIONS", 12)?,
            followed: {
                let d = Followed::default();
                Followed {
                    premium: env
                        .optional("ENROLLMENT_PREMIUM_TOPIC")
                        .unwrap_or(d.premium),
                    incident: env
                        .optional("ENROLLMENT_INCIDENT_TOPIC")
                        .unwrap_or(d.incident),
                    claims: env.optional("ENROLLMENT_CLAIMS_TOPIC").unwrap_or(d.claims),
                }
            },
        })
    }
}
