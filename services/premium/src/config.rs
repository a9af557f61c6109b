//! Premium's configuration: the kit's variables plus its own.

use chrono::Duration;
use gigshield_kit::config::{ConfigError, Env, KitConfig};

use crate::domain::arrears::PaymentTerms;
use crate::domain::billing::BillableRule;

pub const SERVICE_NAME: &str = "premium";
/// The consumer group (and inbox name) of the enrollment replica.
pub const ENROLLMENT_GROUP: &str = "premium";
/// The consumer group of the case assignments (which insurer handles which person's case).
pub const CLAIMS_GROUP: &str = "premium-claims";

pub struct PremiumConfig {
    pub kit: KitConfig,
    pub settings: PremiumSettings,
    /// `PREMIUM_TOPIC_PARTITIONS`, default 12, used when the service creates its topic.
    pub topic_partitions: i32,
}

/// The rules the API applies that come from configuration (tests build it directly).
#[derive(Debug, Clone)]
pub struct PremiumSettings {
    /// Where premium's events go (`premium.events.v1`).
    pub topic: String,
    /// `PREMIUM_BILLABLE_RULE`: accepted | not_cancelled_before_pickup (default) | completed.
    pub billable_rule: BillableRule,
    /// `PREMIUM_CLOCK_SKEW_SECS`, default 300: how far ahead of our clock a reported time may be.
    pub clock_skew: Duration,
    /// `PREMIUM_MAX_ORDER_HOURS`, default 24: the longest an order is expected to run. It bounds
    /// how far back `VerifyWorkActivity` looks (and so which monthly partitions it reads); an
    /// order that ran longer is not found for instants beyond this span.
    pub max_order_span: Duration,
    /// `PREMIUM_PAYMENT_DUE_DAY` (default 15), `PREMIUM_LATE_FEE_PPM_PER_DAY` (default 500 =
    /// 0.05 %/day), `PREMIUM_LATE_FEE_CAPPED` (default false).
    pub terms: PaymentTerms,
    /// `PREMIUM_STATS_MIN_PERSONS`, default 5 (at least 2): a statistics cell covering fewer
    /// persons shows no figures.
    pub stats_min_persons: u32,
}

impl PremiumSettings {
    pub fn defaults(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            billable_rule: BillableRule::default(),
            clock_skew: Duration::minutes(5),
            max_order_span: Duration::hours(24),
            terms: PaymentTerms::default(),
            stats_min_persons: 5,
        }
    }
}

fn invalid(var: &str, reason: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        var: var.into(),
        reason: reason.to_string(),
    }
}

impl PremiumConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let terms = PaymentTerms {
            due_day_of_following_month: env.parse_or("PREMIUM_PAYMENT_DUE_DAY", 15)?,
            late_fee_ppm_per_day: env.parse_or("PREMIUM_LATE_FEE_PPM_PER_DAY", 500)?,
            late_fee_capped_at_declared_amount: env.parse_or("PREMIUM_LATE_FEE_CAPPED", false)?,
        };
        terms
            .validate()
            .map_err(|e| invalid("PREMIUM_PAYMENT_DUE_DAY / PREMIUM_LATE_FEE_PPM_PER_DAY", e))?;
        let max_order_hours: i64 = env.parse_or("PREMIUM_MAX_ORDER_HOURS", 24)?;
        if !(1..=24 * 31).contains(&max_order_hours) {
            return Err(invalid("PREMIUM_MAX_ORDER_HOURS", "must be 1..=744"));
        }
        let skew_secs: i64 = env.parse_or("PREMIUM_CLOCK_SKEW_SECS", 300)?;
        if skew_secs < 0 {
            return Err(invalid("PREMIUM_CLOCK_SKEW_SECS", "must not be negative"));
        }
        Ok(Self {
            kit: KitConfig::from_env(SERVICE_NAME, env)?,
            settings: PremiumSettings {
                topic: crate::events::TOPIC.into(),
                billable_rule: env.parse_or("PREMIUM_BILLABLE_RULE", BillableRule::default())?,
                clock_skew: Duration::seconds(skew_secs),
                max_order_span: Duration::hours(max_order_hours),
                terms,
                stats_min_persons: env.suppression_threshold("PREMIUM_STATS_MIN_PERSONS")?,
            },
            topic_partitions: env.parse_or("PREMIUM_TOPIC_PARTITIONS", 12)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_named_errors() {
        let cfg = PremiumConfig::from_env(&gigshield_kit::testing::minimal_env(&[])).unwrap();
        assert_eq!(
            cfg.settings.billable_rule,
            BillableRule::NotCancelledBeforePickup
        );
        assert_eq!(cfg.settings.terms, PaymentTerms::default());
        assert_eq!(cfg.settings.topic, "premium.events.v1");
        let bad = PremiumConfig::from_env(&gigshield_kit::testing::minimal_env(&[(
            "PREMIUM_BILLABLE_RULE",
            "pickup",
        )]));
        assert!(
            matches!(bad, Err(ConfigError::Invalid { var, .. }) if var == "PREMIUM_BILLABLE_RULE")
        );
        let bad = PremiumConfig::from_env(&gigshield_kit::testing::minimal_env(&[(
            "PREMIUM_PAYMENT_DUE_DAY",
            "31",
        )]));
        assert!(bad.is_err());
        assert_eq!(cfg.settings.stats_min_persons, 5);
        let bad = PremiumConfig::from_env(&gigshield_kit::testing::minimal_env(&[(
            "PREMIUM_STATS_MIN_PERSONS",
            "1",
        )]));
        assert!(
            matches!(bad, Err(ConfigError::Invalid { var, .. }) if var == "PREMIUM_STATS_MIN_PERSONS")
        );
    }
}
