//! Incident's configuration: the kit's variables plus its own (`INCIDENT_*`).

use std::time::Duration;

use gigshield_kit::config::{ConfigError, Env, KitConfig};

use crate::domain::evidence::EvidenceRules;

pub const SERVICE_NAME: &str = "incident";
/// The topic this service publishes (the contract's name).
pub const TOPIC: &str = "incident.events.v1";
/// Where enrollment publishes the memberships the reporter checks use.
pub const ENROLLMENT_TOPIC: &str = "enrollment.events.v1";
/// Where claims publishes which insurer handles which incident.
pub const CLAIMS_TOPIC: &str = "claims.events.v1";
/// The consumer group (and inbox consumer name) of the enrollment replica; `-claims` is
/// appended for the assignments consumer.
pub const CONSUMER_GROUP: &str = "incident";

/// Where the settings of retired variables went.
const SCHEME_CALENDAR_MOVED: &str = "filing deadlines and province start dates are the scheme \
    calendar, kept by operators through enrollment's AddSchemeRule (docs/domain.md)";

pub struct IncidentConfig {
    pub kit: KitConfig,
    /// `INCIDENT_CLOCK_SKEW_SECS`, default 300: how far in the future a caller's clock may be.
    pub clock_skew: Duration,
    /// `INCIDENT_MAX_TEXT_CHARS`, default 4000: the longest description, reason or explanation.
    pub max_text_chars: usize,
    /// `INCIDENT_EVIDENCE_URI_SCHEMES` (default `https,s3`), `INCIDENT_EVIDENCE_MAX_PER_INCIDENT`
    /// (default 50), `INCIDENT_EVIDENCE_MAX_BYTES` (default 2 GiB: dash-cam video).
    pub evidence: EvidenceRules,
    /// `INCIDENT_TOPIC_PARTITIONS`, default 12, used when the service creates its topic.
    pub topic_partitions: i32,
    /// `INCIDENT_STATS_MIN_PERSONS`, default 5 (at least 2): a statistics cell describing fewer
    /// persons shows no figures.
    pub stats_min_persons: u32,
    /// `INCIDENT_TOPIC`, default `incident.events.v1`: overridden only by tests and side-by-side
    /// stacks that must not touch the shared topics.
    pub topic: String,
    /// `INCIDENT_ENROLLMENT_TOPIC`, default `enrollment.events.v1` (same purpose).
    pub enrollment_topic: String,
    /// `INCIDENT_CLAIMS_TOPIC`, default `claims.events.v1` (same purpose).
    pub claims_topic: String,
    /// `INCIDENT_CONSUMER_GROUP`, default `incident` (same purpose).
    pub consumer_group: String,
}

fn invalid(var: &str, reason: String) -> ConfigError {
    ConfigError::Invalid {
        var: var.into(),
        reason,
    }
}

impl IncidentConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let schemes: Vec<String> = match env.optional("INCIDENT_EVIDENCE_URI_SCHEMES") {
            Some(_) => env
                .list("INCIDENT_EVIDENCE_URI_SCHEMES")
                .into_iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            None => vec!["https".into(), "s3".into()],
        };
        if schemes.is_empty() {
            return Err(invalid(
                "INCIDENT_EVIDENCE_URI_SCHEMES",
                "names no scheme".into(),
            ));
        }
        let max_text_chars: usize = env.parse_or("INCIDENT_MAX_TEXT_CHARS", 4000)?;
        if max_text_chars == 0 {
            return Err(invalid(
                "INCIDENT_MAX_TEXT_CHARS",
                "must be positive".into(),
            ));
        }
        let max_per_incident: usize = env.parse_or("INCIDENT_EVIDENCE_MAX_PER_INCIDENT", 50)?;
        if max_per_incident == 0 {
            return Err(invalid(
                "INCIDENT_EVIDENCE_MAX_PER_INCIDENT",
                "must be positive".into(),
            ));
        }
        env.retired(
            &["INCIDENT_FILING_DEADLINES", "INCIDENT_SCHEME_STAGES"],
            SCHEME_CALENDAR_MOVED,
        )?;
        Ok(Self {
            kit: KitConfig::from_env(SERVICE_NAME, env)?,
            clock_skew: Duration::from_secs(env.parse_or("INCIDENT_CLOCK_SKEW_SECS", 300)?),
            max_text_chars,
            evidence: EvidenceRules {
                allowed_schemes: schemes,
                max_per_incident,
                max_size_bytes: env
                    .parse_or("INCIDENT_EVIDENCE_MAX_BYTES", 2 * 1024 * 1024 * 1024)?,
            },
            topic_partitions: env.parse_or("INCIDENT_TOPIC_PARTITIONS", 12)?,
            stats_min_persons: env.suppression_threshold("INCIDENT_STATS_MIN_PERSONS")?,
            topic: env
                .optional("INCIDENT_TOPIC")
                .unwrap_or_else(|| TOPIC.into()),
            claims_topic: env
                .optional("INCIDENT_CLAIMS_TOPIC")
                .unwrap_or_else(|| CLAIMS_TOPIC.to_string()),
            enrollment_topic: env
                .optional("INCIDENT_ENROLLMENT_TOPIC")
                .unwrap_or_else(|| ENROLLMENT_TOPIC.into()),
            consumer_group: env
                .optional("INCIDENT_CONSUMER_GROUP")
                .unwrap_or_else(|| CONSUMER_GROUP.into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gigshield_kit::testing::minimal_env;

    #[test]
    fn defaults_need_only_the_kit_variables() {
        let env = minimal_env(&[]);
        let cfg = IncidentConfig::from_env(&env).unwrap();
        assert_eq!(cfg.clock_skew, Duration::from_secs(300));
        assert_eq!(cfg.max_text_chars, 4000);
        assert_eq!(cfg.evidence.allowed_schemes, ["https", "s3"]);
        assert_eq!(cfg.evidence.max_per_incident, 50);
        assert_eq!(cfg.topic, "incident.events.v1");
        assert_eq!(cfg.enrollment_topic, "enrollment.events.v1");
        assert_eq!(cfg.consumer_group, "incident");
        assert_eq!(cfg.topic_partitions, 12);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            // Retired: even a well-formed value is refused, not silently ignored.
            ("INCIDENT_FILING_DEADLINES", "2022-07-01=30/90/90"),
            ("INCIDENT_SCHEME_STAGES", "2022-07-01=11"),
            ("INCIDENT_MAX_TEXT_CHARS", "0"),
            ("INCIDENT_EVIDENCE_MAX_PER_INCIDENT", "many"),
            ("INCIDENT_EVIDENCE_URI_SCHEMES", " , "),
            ("INCIDENT_CLOCK_SKEW_SECS", "-1"),
        ] {
            let env = minimal_env(&[(var, value)]);
            match IncidentConfig::from_env(&env) {
                Err(ConfigError::Invalid { var: named, .. }) => assert_eq!(named, var),
                Err(other) => panic!("{var}: unexpected {other:?}"),
                Ok(_) => panic!("{var}={value:?} was accepted"),
            }
        }
    }

    #[test]
    fn schemes_are_case_insensitive() {
        let env = minimal_env(&[("INCIDENT_EVIDENCE_URI_SCHEMES", "HTTPS, oss")]);
        let cfg = IncidentConfig::from_env(&env).unwrap();
        assert_eq!(cfg.evidence.allowed_schemes, ["https", "oss"]);
    }
}
