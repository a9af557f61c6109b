//! Claims' configuration: the kit's variables, the PII vault's (`PII_*`, as enrollment) and
//! its own (`CLAIMS_*`).

use std::path::PathBuf;
use std::time::Duration;

use gigshield_kit::config::{ConfigError, Env, KitConfig};
use gigshield_kit::tls::ClientTls;

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
    /// `CLAIMS_PREMIUM_TLS_CA_FILE` (required for an `https://` address, refused with
    /// `http://`), `CLAIMS_PREMIUM_TLS_CERT_FILE` / `_KEY_FILE` (claims' certificate, for a
    /// premium that asks callers for one): the bearer token goes to premium only over TLS when
    /// the address says `https`.
    pub premium_tls: Option<ClientTls>,
    /// `SERVICE_SIGNING_KEY_FILE` (required): claims' own private key (Ed25519 or RSA, PEM);
    /// it mints the short-lived `service` tokens premium accepts from claims alone.
    pub service_signing_key: PathBuf,
    /// `CLAIMS_PREMIUM_TIMEOUT_MS`, default 5000.
    pub premium_timeout: Duration,
    /// `CLAIMS_DUPLICATE_WINDOW_HOURS`, default 24: another claim of the person within ± this
    /// many hours of the incident is a possible duplicate. (The dated windows of determination
    /// are the scheme calendar's.)
    pub duplicate_window_hours: u32,
    /// `CLAIMS_INCIDENT_LANES`, default 4: partitions of `incident.events.v1` handled at once.
    /// Incident events are keyed by person, so a person's applications stay in order (the
    /// duplicate check reads the person's earlier claims); a burst of applications is
    /// determined in parallel, each waiting on premium independently.
    pub incident_lanes: usize,
    /// `CLAIMS_OVERDUE_SWEEP_SECS`, default 300: how often claims waiting for a human are
    /// checked against their determination due date.
    pub overdue_sweep: Duration,
    /// `CLAIMS_INSTALMENT_SWEEP_SECS`, default 3600: how often the monthly run looks for
    /// monthly instalments due this Shanghai month (issued once each, whenever it runs).
    pub instalment_sweep: Duration,
    /// `CLAIMS_WATCH_POLL_MS`, default 250: how often a WatchClaims stream looks for events
    /// written by other replicas (this replica's own writes wake it at once).
    pub watch_poll: Duration,
    /// `CLAIMS_MAX_WATCH_STREAMS`, default 256: WatchClaims streams one replica serves at
    /// once; beyond it `RESOURCE_EXHAUSTED`.
    pub max_watch_streams: usize,
    /// `CLAIMS_STATS_MIN_PERSONS`, default 5 (at least 2): a statistics cell describing fewer
    /// persons shows no figures.
    pub stats_min_persons: u32,
    /// `CLAIMS_TOPIC_PARTITIONS`, default 12.
    pub topic_partitions: i32,
    /// `CLAIMS_TOPIC`, `CLAIMS_ENROLLMENT_TOPIC`, `CLAIMS_INCIDENT_TOPIC`,
    /// `CLAIMS_CONSUMER_GROUP`: overridden only by tests and side-by-side stacks.
    pub topic: String,
    pub enrollment_topic: String,
    pub incident_topic: String,
    pub consumer_group: String,
}

impl ClaimsConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        env.retired(
            &[
                "CLAIMS_ORDER_GRACE_MINUTES",
                "CLAIMS_OPEN_ORDER_MAX_MINUTES",
                "CLAIMS_SCHEME_STAGES",
                "CLAIMS_FILING_DEADLINES",
                "CLAIMS_SUDDEN_ILLNESS_DEATH_HOURS",
            ],
            "province start dates, filing deadlines and the order, open-order and \
             sudden-illness windows are the scheme calendar, kept by operators through \
             enrollment's AddSchemeRule (docs/domain.md)",
        )?;
        Ok(Self {
            kit: KitConfig::from_env(SERVICE_NAME, env)?,
            premium_addr: env.required("CLAIMS_PREMIUM_ADDR")?,
            premium_tls: premium_tls(env)?,
            service_signing_key: PathBuf::from(env.required("SERVICE_SIGNING_KEY_FILE")?),
            premium_timeout: env.millis_or("CLAIMS_PREMIUM_TIMEOUT_MS", 5000)?,
            duplicate_window_hours: env.parse_or("CLAIMS_DUPLICATE_WINDOW_HOURS", 24)?,
            incident_lanes: env.parse_or("CLAIMS_INCIDENT_LANES", 4)?,
            overdue_sweep: Duration::from_secs(env.parse_or("CLAIMS_OVERDUE_SWEEP_SECS", 300)?),
            instalment_sweep: Duration::from_secs(
                env.parse_or("CLAIMS_INSTALMENT_SWEEP_SECS", 3600)?,
            ),
            watch_poll: env.millis_or("CLAIMS_WATCH_POLL_MS", 250)?,
            max_watch_streams: env.parse_or("CLAIMS_MAX_WATCH_STREAMS", 256)?,
            stats_min_persons: env.suppression_threshold("CLAIMS_STATS_MIN_PERSONS")?,
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

/// The TLS settings of the call to premium, which must agree with its address's scheme: an
/// `https` address trusts only the configured CA, and files set for an `http` one would be
/// silently unused.
fn premium_tls(env: &Env) -> Result<Option<ClientTls>, ConfigError> {
    let tls = ClientTls::from_env(env, "CLAIMS_PREMIUM")?;
    let https = env
        .required("CLAIMS_PREMIUM_ADDR")?
        .to_ascii_lowercase()
        .starts_with("https://");
    match (https, &tls) {
        (true, None) => Err(ConfigError::Missing {
            var: "CLAIMS_PREMIUM_TLS_CA_FILE".into(),
        }),
        (false, Some(_)) => Err(ConfigError::Invalid {
            var: "CLAIMS_PREMIUM_ADDR".into(),
            reason: "must be https:// when CLAIMS_PREMIUM_TLS_CA_FILE is set".into(),
        }),
        _ => Ok(tls),
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
        assert_eq!(cfg.duplicate_window_hours, 24);
        assert_eq!(cfg.incident_lanes, 4);
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
    fn premium_over_https_needs_a_ca_and_a_ca_needs_https() {
        let https = [
            ("CLAIMS_PREMIUM_ADDR", "https://premium-headless:50051"),
            BASE[1],
        ];
        assert!(matches!(
            ClaimsConfig::from_env(&env(&https)),
            Err(ConfigError::Missing { var }) if var == "CLAIMS_PREMIUM_TLS_CA_FILE"
        ));
        let ca = ("CLAIMS_PREMIUM_TLS_CA_FILE", "/etc/gigshield/tls/ca.crt");
        let cfg = ClaimsConfig::from_env(&env(&[https[0], https[1], ca])).unwrap();
        assert_eq!(
            cfg.premium_tls.map(|t| t.ca),
            Some(PathBuf::from("/etc/gigshield/tls/ca.crt"))
        );
        assert!(matches!(
            ClaimsConfig::from_env(&env(&[BASE[0], BASE[1], ca])),
            Err(ConfigError::Invalid { var, .. }) if var == "CLAIMS_PREMIUM_ADDR"
        ));
        assert!(
            ClaimsConfig::from_env(&env(&BASE))
                .unwrap()
                .premium_tls
                .is_none()
        );
    }

    #[test]
    fn bad_values_and_retired_variables_name_their_variable() {
        for (var, value) in [
            // Retired: even a well-formed value is refused, not silently ignored.
            ("CLAIMS_SCHEME_STAGES", "2022-07-01=11"),
            ("CLAIMS_FILING_DEADLINES", "30/90/90"),
            ("CLAIMS_ORDER_GRACE_MINUTES", "10"),
            ("CLAIMS_DUPLICATE_WINDOW_HOURS", "-1"),
            ("CLAIMS_STATS_MIN_PERSONS", "1"),
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
