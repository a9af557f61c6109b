//! Enrollment's configuration: the kit's variables plus its own.

use std::time::Duration;

use gigshield_kit::config::{ConfigError, Env, KitConfig};
use gigshield_kit::pii::PiiVault;

pub const SERVICE_NAME: &str = "enrollment";

pub struct EnrollmentConfig {
    pub kit: KitConfig,
    /// `ENROLLMENT_MIN_AGE`, default 16 (DOMAIN.md: platforms apply their own; a floor here).
    pub min_age: u32,
    /// `ENROLLMENT_CLOCK_SKEW_SECS`, default 300: how far in the future a caller's clock may be.
    pub clock_skew: Duration,
    /// `ENROLLMENT_TOPIC_PARTITIONS`, default 12, used when the service creates its topic.
    pub topic_partitions: i32,
    pub vault: PiiVault,
}

impl EnrollmentConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            kit: KitConfig::from_env(SERVICE_NAME, env)?,
            min_age: env.parse_or("ENROLLMENT_MIN_AGE", 16)?,
            clock_skew: Duration::from_secs(env.parse_or("ENROLLMENT_CLOCK_SKEW_SECS", 300)?),
            topic_partitions: env.parse_or("ENROLLMENT_TOPIC_PARTITIONS", 12)?,
            vault: PiiVault::from_env(env)?,
        })
    }
}
