//! Claims' configuration: the kit's variables, the PII vault's (`PII_*`, as enrollment) and
//! its own (`CLAIMS_*`).

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use gigshield_kit::config::{ConfigError, Env, KitConfig};
use gigshield_scheme::region::ProvinceCode;

use crate::domain::determination::{DeterminationParams, FilingDeadlines, SchemeStage};

pub const SERVICE_NAME: &str = "claims";
/// The topic this service publishes (the contract's name).
pub const TOPIC: &str = "claims.events.v1";
pub const ENROLLMENT_TOPIC: &str = "enrollment.events.v1";
pub const INCIDENT_TOPIC: &str = "incident.events.v1";
/// The consumer group (and inbox consumer name) of both consumers.
pub const CONSUMER_GROUP: &str = "claims";

pub struct ClaimsConfig {
    pub kit: KitConfig,
    /// `CLAIMS_PREMIUM_ADDR` (required): premium's gRPC endpoint for `VerifyWorkActivity`. A
    /// name that resolves to several addresses (a headless Service) is balanced round-robin
    /// over all of them, re-resolved every 30 s.
    pub premium_addr: String,
    /// `SERVICE_SIGNING_KEY_FILE` (required): claims' own private key (Ed25519 or RSA, PEM);
    /// it mints the short-lived `service` tokens premium accepts from claims alone.
    pub service_signing_key: PathBuf,
    /// `CLAIMS_PREMIUM_TIMEOUT_MS`, default 5000.
    pub premium_timeout: Duration,
    /// The determination parameters (`CLAIMS_ORDER_GRACE_MINUTES`, …).
    pub determination: DeterminationParams,
    /// `CLAIMS_WATCH_POLL_MS`, default 250: how often a WatchClaims stream looks for events
    /// written by other replicas (this replica's own writes wake it at once).
    pub watch_poll: Duration,
    /// `CLAIMS_TOPIC_PARTITIONS`, default 12.
    pub topic_partitions: i32,
    /// `CLAIMS_TOPIC`, `CLAIMS_ENROLLMENT_TOPIC`, `CLAIMS_INCIDENT_TOPIC`,
    /// `CLAIMS_CONSUMER_GROUP`: overridden only by tests and side-by-side stacks.
    pub topic: String,
    pub enrollment_topic: String,
    pub incident_topic: String,
    pub consumer_group: String,
}

fn invalid(var: &str, reason: String) -> ConfigError {
    ConfigError::Invalid {
        var: var.into(),
        reason,
    }
}

/// `P/W/R`: the days a platform, a worker and a close relative have to file.
pub fn parse_deadlines(text: &str) -> Result<FilingDeadlines, String> {
    let parts: Vec<&str> = text.trim().split('/').collect();
    let [p, w, r] = parts.as_slice() else {
        return Err(format!("expected P/W/R days, got {text:?}"));
    };
    let day = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("{s:?} is not a number of days"))
    };
    Ok(FilingDeadlines {
        platform: day(p)?,
        worker: day(w)?,
        close_relative: day(r)?,
    })
}

/// `DATE=PROVINCES[;…]` as `INCIDENT_SCHEME_STAGES`: provinces as 2-digit prefixes or XX0000.
pub fn parse_scheme_stages(text: &str) -> Result<Vec<SchemeStage>, String> {
    let mut stages = Vec::new();
    for stage in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let (date, provinces) = stage
            .split_once('=')
            .ok_or_else(|| format!("{stage:?} is not DATE=PROVINCES"))?;
        let from = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
            .map_err(|_| format!("{date:?} is not YYYY-MM-DD"))?;
        let provinces = provinces
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                if p.len() == 2 {
                    ProvinceCode::from_prefix(p)
                } else {
                    ProvinceCode::parse(p)
                }
                .map_err(|e| format!("{p:?}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if provinces.is_empty() {
            return Err(format!("stage {date} names no province"));
        }
        stages.push(SchemeStage { from, provinces });
    }
    if stages.is_empty() {
        return Err("names no stage".into());
    }
    Ok(stages)
}

impl ClaimsConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = DeterminationParams::default();
        let determination = DeterminationParams {
            order_grace_minutes: env
                .parse_or("CLAIMS_ORDER_GRACE_MINUTES", defaults.order_grace_minutes)?,
            open_order_max_minutes: env.parse_or(
                "CLAIMS_OPEN_ORDER_MAX_MINUTES",
                defaults.open_order_max_minutes,
            )?,
            scheme_stages: match env.optional("CLAIMS_SCHEME_STAGES") {
                Some(text) => {
                    parse_scheme_stages(&text).map_err(|e| invalid("CLAIMS_SCHEME_STAGES", e))?
                }
                None => defaults.scheme_stages,
            },
            filing_deadline_days: match env.optional("CLAIMS_FILING_DEADLINES") {
                Some(text) => {
                    parse_deadlines(&text).map_err(|e| invalid("CLAIMS_FILING_DEADLINES", e))?
                }
                None => defaults.filing_deadline_days,
            },
            sudden_illness_death_hours: env.parse_or(
                "CLAIMS_SUDDEN_ILLNESS_DEATH_HOURS",
                defaults.sudden_illness_death_hours,
            )?,
            duplicate_window_hours: env.parse_or(
                "CLAIMS_DUPLICATE_WINDOW_HOURS",
                defaults.duplicate_window_hours,
            )?,
        };
        // Premium accepts a margin of at most 24 hours; the grace is sent as that margin.
        if determination.order_grace_minutes > 24 * 60 {
            return Err(invalid(
                "CLAIMS_ORDER_GRACE_MINUTES",
                "at most 1440 (premium's largest margin)".into(),
            ));
        }
        Ok(Self {
            kit: KitConfig::from_env(SERVICE_NAME, env)?,
            premium_addr: env.required("CLAIMS_PREMIUM_ADDR")?,
            service_signing_key: PathBuf::from(env.required("SERVICE_SIGNING_KEY_FILE")?),
            premium_timeout: env.millis_or("CLAIMS_PREMIUM_TIMEOUT_MS", 5000)?,
            determination,
            watch_poll: env.millis_or("CLAIMS_WATCH_POLL_MS", 250)?,
            topic_partitions: env.parse_or("CLAIMS_TOPIC_PARTITIONS", 12)?,
            topic: env.optional("CLAIMS_TOPIC").unwrap_or_else(|| TOPIC.into()),
            enrollment_topic: env
                .optional("CLAIMS_ENROLLMENT_TOPIC")
                .unwrap_or_else(|| ENROLLMENT_TOPIC.into()),
            incident_topic: env
                .optional("CLAIMS_INCIDENT_TOPIC")
                .unwrap_or_else(|| INCIDENT_TOPIC.into()),
            consumer_group: env
                .optional("CLAIMS_CONSUMER_GROUP")
                .unwrap_or_else(|| CONSUMER_GROUP.into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: [(&str, &str); 2] = [
        ("CLAIMS_PREMIUM_ADDR", "http://premium:50051"),
        ("SERVICE_SIGNING_KEY_FILE", "/run/secrets/service.pem"),
    ];

    fn env(pairs: &[(&str, &str)]) -> Env {
        gigshield_kit::testing::minimal_env(pairs)
    }

    #[test]
    fn defaults_are_the_domain_defaults() {
        let cfg = ClaimsConfig::from_env(&env(&BASE)).unwrap();
        assert_eq!(cfg.determination, DeterminationParams::default());
        assert_eq!(cfg.topic, "claims.events.v1");
        assert_eq!(cfg.consumer_group, "claims");
        assert_eq!(cfg.premium_timeout, Duration::from_secs(5));
    }

    #[test]
    fn premium_settings_are_required() {
        assert!(matches!(
            ClaimsConfig::from_env(&env(&BASE[..1])),
            Err(ConfigError::Missing { var }) if var == "SERVICE_SIGNING_KEY_FILE"
        ));
    }

    #[test]
    fn stages_and_deadlines_parse_and_bad_values_name_their_variable() {
        let stages = parse_scheme_stages("2022-07-01=11,310000; 2026-01-01=65").unwrap();
        assert_eq!(stages.len(), 2);
        assert_eq!(stages[0].provinces.len(), 2);
        assert_eq!(
            parse_deadlines("30/90/60").unwrap(),
            FilingDeadlines {
                platform: 30,
                worker: 90,
                close_relative: 60
            }
        );
        for (var, value) in [
            ("CLAIMS_SCHEME_STAGES", "2022-07-01=99"),
            ("CLAIMS_FILING_DEADLINES", "30/90"),
            ("CLAIMS_ORDER_GRACE_MINUTES", "2000"),
            ("CLAIMS_DUPLICATE_WINDOW_HOURS", "-1"),
        ] {
            let mut pairs = BASE.to_vec();
            pairs.push((var, value));
            match ClaimsConfig::from_env(&env(&pairs)) {
                Err(ConfigError::Invalid { var: named, .. }) => assert_eq!(named, var),
                Err(other) => panic!("{var}: unexpected {other:?}"),
                Ok(_) => panic!("{var}={value:?} accepted"),
            }
        }
    }
}
