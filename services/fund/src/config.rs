//! Fund's configuration: the kit's variables plus its own (`FUND_*`).

use gigshield_kit::config::{ConfigError, Env, KitConfig};

pub const SERVICE_NAME: &str = "fund";
/// The topic this service publishes (the contract's name).
pub const TOPIC: &str = "fund.events.v1";
pub const PREMIUM_TOPIC: &str = "premium.events.v1";
pub const CLAIMS_TOPIC: &str = "claims.events.v1";
/// The consumer groups are `<group>-premium` and `<group>-claims`.
pub const CONSUMER_GROUP: &str = "fund";

pub struct FundConfig {
    pub kit: KitConfig,
    /// `FUND_TOPIC_PARTITIONS`, default 6.
    pub topic_partitions: i32,
    /// `FUND_STATS_MIN_CLAIMS`, default 5 (at least 2): a statistics cell whose benefits were
    /// paid on fewer claims shows no benefit figures.
    pub stats_min_claims: u32,
    /// `FUND_TOPIC`, `FUND_PREMIUM_TOPIC`, `FUND_CLAIMS_TOPIC`, `FUND_CONSUMER_GROUP`:
    /// overridden only by tests and side-by-side stacks.
    pub topic: String,
    pub premium_topic: String,
    pub claims_topic: String,
    pub consumer_group: String,
}

impl FundConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let or = |var: &str, default: &str| env.optional(var).unwrap_or_else(|| default.into());
        Ok(Self {
            kit: KitConfig::from_env(SERVICE_NAME, env)?,
            topic_partitions: env.parse_or("FUND_TOPIC_PARTITIONS", 6)?,
            stats_min_claims: env.suppression_threshold("FUND_STATS_MIN_CLAIMS")?,
            topic: or("FUND_TOPIC", TOPIC),
            premium_topic: or("FUND_PREMIUM_TOPIC", PREMIUM_TOPIC),
            claims_topic: or("FUND_CLAIMS_TOPIC", CLAIMS_TOPIC),
            consumer_group: or("FUND_CONSUMER_GROUP", CONSUMER_GROUP),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_contract_names_and_bad_values_name_their_variable() {
        let cfg = FundConfig::from_env(&gigshield_kit::testing::minimal_env(&[])).unwrap();
        assert_eq!(cfg.topic, "fund.events.v1");
        assert_eq!(cfg.consumer_group, "fund");
        assert_eq!(cfg.topic_partitions, 6);
        let bad = FundConfig::from_env(&gigshield_kit::testing::minimal_env(&[(
            "FUND_TOPIC_PARTITIONS",
            "many",
        )]));
        assert!(
            matches!(bad, Err(ConfigError::Invalid { var, .. }) if var == "FUND_TOPIC_PARTITIONS")
        );
    }
}
