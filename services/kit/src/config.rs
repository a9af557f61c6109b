//! Typed configuration from environment variables (12-factor).
//!
//! Every variable the kit reads is named here and listed in README's configuration table;
//! a service adds its own variables through the same [`Env`] reader so a bad value is
//! reported with the variable's name before anything starts.

use std::fmt::Display;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::pii::PiiVault;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {var} is required")]
    Missing { var: String },
    #[error("environment variable {var}: {reason}")]
    Invalid { var: String, reason: String },
}

type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A source of configuration variables: the process environment, or a fixed map in tests.
pub struct Env {
    lookup: Lookup,
}

impl Env {
    pub fn process() -> Self {
        Self {
            lookup: Box::new(|var| std::env::var(var).ok()),
        }
    }

    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self {
            lookup: Box::new(move |var| map.get(var).cloned()),
        }
    }

    /// The value of `var`; an empty value counts as unset.
    pub fn optional(&self, var: &str) -> Option<String> {
        (self.lookup)(var).filter(|v| !v.trim().is_empty())
    }

    /// Refuses a variable that no longer has an effect, saying where its setting went, so a
    /// deployment that still sets it fails loudly instead of running without it.
    pub fn retired(&self, vars: &[&str], instead: &str) -> Result<(), ConfigError> {
        match vars.iter().find(|var| self.optional(var).is_some()) {
            Some(var) => Err(ConfigError::Invalid {
                var: var.to_string(),
                reason: format!("is no longer read: {instead}"),
            }),
            None => Ok(()),
        }
    }

    pub fn required(&self, var: &str) -> Result<String, ConfigError> {
        self.optional(var).ok_or_else(|| ConfigError::Missing {
            var: var.to_string(),
        })
    }

    /// The smallest number of persons a published statistics cell may describe: `var`,
    /// default 5, refused below 2 (a cell of one is that person's record).
    pub fn suppression_threshold(&self, var: &str) -> Result<u32, ConfigError> {
        let value: u32 = self.parse_or(var, 5)?;
        if value < 2 {
            return Err(ConfigError::Invalid {
                var: var.into(),
                reason: "must be at least 2: a smaller cell describes one person".into(),
            });
        }
        Ok(value)
    }

    pub fn parse_or<T>(&self, var: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.optional(var) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::Invalid {
                    var: var.to_string(),
                    reason: format!("cannot parse {raw:?}: {e}"),
                }),
        }
    }

    pub fn parse_optional<T>(&self, var: &str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.optional(var)
            .map(|raw| {
                raw.trim()
                    .parse()
                    .map_err(|e: T::Err| ConfigError::Invalid {
                        var: var.to_string(),
                        reason: format!("cannot parse {raw:?}: {e}"),
                    })
            })
            .transpose()
    }

    pub fn millis_or(&self, var: &str, default_ms: u64) -> Result<Duration, ConfigError> {
        self.parse_or(var, default_ms).map(Duration::from_millis)
    }

    /// A comma-separated list; blanks are dropped.
    pub fn list(&self, var: &str) -> Vec<String> {
        self.optional(var)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Everything the shared runtime needs; services embed it in their own config.
#[derive(Debug, Clone)]
pub struct KitConfig {
    pub service_name: String,
    /// `GRPC_ADDR`, default `0.0.0.0:50051`.
    pub grpc_addr: SocketAddr,
    /// The server's limits (`GRPC_*`).
    pub grpc: GrpcLimits,
    /// The server's certificate (`GRPC_TLS_*`); none: plaintext (see [`crate::tls`]).
    pub grpc_tls: Option<crate::tls::ServerTls>,
    /// `GRPC_HEALTH_ADDR`: a second, plaintext port serving only `grpc.health.v1.Health`, for
    /// kubelet gRPC probes, which cannot speak TLS. Unset: health is served on `GRPC_ADDR` only.
    pub grpc_health_addr: Option<SocketAddr>,
    /// `METRICS_ADDR`: where Prometheus scrapes `/metrics`; unset = no metrics listener.
    pub metrics_addr: Option<SocketAddr>,
    pub database: DatabaseConfig,
    pub kafka: KafkaConfig,
    pub telemetry: TelemetryConfig,
    pub auth: AuthConfig,
    pub outbox: OutboxConfig,
    /// Seals personal data and replay records (`PII_KEYS`, `PII_CURRENT_KEY_ID`,
    /// `PII_INDEX_KEY`; see [`crate::pii`]).
    pub vault: Arc<PiiVault>,
    /// `REPLAY_RETENTION_HOURS`, default 168: how long the answer of a mutating call is kept
    /// (sealed) to answer a retry with the same request_id.
    pub replay_retention: Duration,
    /// `GIGSHIELD_PROFILE`.
    pub profile: Profile,
    /// `SHUTDOWN_GRACE_MS`: how long in-flight work may take after SIGTERM, default 20000.
    pub shutdown_grace: Duration,
    /// The time handlers and consumers act at: the system clock, unless a test fixes it.
    pub clock: crate::clock::Clock,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`: `postgres://…` or `sqlite://path?mode=rwc`.
    pub url: String,
    /// `DATABASE_MAX_CONNECTIONS`, default 16.
    pub max_connections: u32,
    /// `DATABASE_CONNECT_TIMEOUT_MS`, default 5000.
    pub connect_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// `KAFKA_BOOTSTRAP_SERVERS`, default `127.0.0.1:9092`.
    pub bootstrap_servers: String,
    /// `KAFKA_CLIENT_ID`, default the service name.
    pub client_id: String,
    /// `KAFKA_SESSION_TIMEOUT_MS`, default 10000: how soon a dead consumer's partitions move.
    pub session_timeout: Duration,
    /// `KAFKA_ENSURE_TOPICS`, default true: services create their topics at start.
    pub ensure_topics: bool,
    /// `KAFKA_TOPIC_PREFIX`, default empty: put before every topic and consumer group name, so
    /// a side-by-side stack (an end-to-end test, a demo) shares a broker without sharing
    /// topics or groups. Services keep using the contract names; the kit maps them.
    pub topic_prefix: String,
    /// `KAFKA_GROUP_SUFFIX`, default empty: put after every consumer-group name, so several
    /// instances under test in one process keep their groups apart.
    pub group_suffix: String,
    /// How the service authenticates to the brokers.
    pub security: KafkaSecurity,
}

/// `KAFKA_SECURITY_PROTOCOL` (`plaintext` by default, `ssl`, `sasl_plaintext`, `sasl_ssl`),
/// `KAFKA_SASL_MECHANISM` (default `SCRAM-SHA-512`), `KAFKA_SASL_USERNAME`,
/// `KAFKA_SASL_PASSWORD_FILE` (a mounted file: Strimzi's KafkaUser secret), and
/// `KAFKA_SSL_CA_LOCATION` (the cluster CA certificate) — each passed to librdkafka as is.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KafkaSecurity {
    settings: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for KafkaSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: the password is among the values.
        f.debug_list()
            .entries(self.settings.iter().map(|(k, _)| k))
            .finish()
    }
}

impl KafkaSecurity {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let protocol = env
            .optional("KAFKA_SECURITY_PROTOCOL")
            .unwrap_or_else(|| "plaintext".into())
            .to_ascii_lowercase();
        let sasl = match protocol.as_str() {
            "plaintext" | "ssl" => false,
            "sasl_plaintext" | "sasl_ssl" => true,
            other => {
                return Err(ConfigError::Invalid {
                    var: "KAFKA_SECURITY_PROTOCOL".into(),
                    reason: format!(
                        "expected plaintext, ssl, sasl_plaintext or sasl_ssl, got {other}"
                    ),
                });
            }
        };
        let mut settings = vec![("security.protocol", protocol.clone())];
        if let Some(ca) = env.optional("KAFKA_SSL_CA_LOCATION") {
            settings.push(("ssl.ca.location", ca));
        }
        if sasl {
            let password_file = env.required("KAFKA_SASL_PASSWORD_FILE")?;
            let password =
                std::fs::read_to_string(&password_file).map_err(|e| ConfigError::Invalid {
                    var: "KAFKA_SASL_PASSWORD_FILE".into(),
                    reason: format!("{password_file}: {e}"),
                })?;
            settings.push((
                "sasl.mechanism",
                env.optional("KAFKA_SASL_MECHANISM")
                    .unwrap_or_else(|| "SCRAM-SHA-512".into()),
            ));
            settings.push(("sasl.username", env.required("KAFKA_SASL_USERNAME")?));
            settings.push(("sasl.password", password.trim().to_string()));
        }
        Ok(Self { settings })
    }

    /// Sets these on a librdkafka client configuration.
    pub fn apply(&self, config: &mut rdkafka::ClientConfig) {
        for (key, value) in &self.settings {
            config.set(*key, value);
        }
    }
}

impl KafkaConfig {
    /// The broker-side name of a contract topic.
    pub fn topic(&self, name: &str) -> String {
        format!("{}{name}", self.topic_prefix)
    }

    /// The broker-side name of a consumer group (it also names the consumer's inbox rows).
    pub fn group(&self, name: &str) -> String {
        format!("{}{name}{}", self.topic_prefix, self.group_suffix)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("expected text or json, got {other}")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: OTLP/gRPC collector; unset = spans are not exported
    /// (trace context is still propagated).
    pub otlp_endpoint: Option<String>,
    /// `LOG_FORMAT`: `text` (default) or `json`. Filtering follows `RUST_LOG`.
    pub log_format: LogFormat,
}

/// `GIGSHIELD_PROFILE`: `production` (the default) or `dev`. Only `dev` may run without a
/// token issuer and audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Production,
    Dev,
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "production" => Ok(Self::Production),
            "dev" => Ok(Self::Dev),
            other => Err(format!("expected production or dev, got {other}")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `JWT_PUBLIC_KEYS`: comma-separated PEM files (Ed25519 or RSA public keys) of the
    /// identity provider that signs people's tokens.
    pub public_key_files: Vec<PathBuf>,
    /// `JWT_ISSUER`: the `iss` people's tokens must carry; required outside the dev profile.
    pub issuer: Option<String>,
    /// `JWT_AUDIENCE`: the `aud` people's tokens must carry; required outside the dev profile.
    pub audience: Option<String>,
    /// `JWT_MAX_LIFETIME_SECS`, default 86400: longest `exp - iat` of a person's token.
    pub max_lifetime: Duration,
    /// `JWT_SERVICE_MAX_LIFETIME_SECS`, default 3600: longest `exp - iat` of a service token.
    pub service_max_lifetime: Duration,
    /// `JWT_SERVICE_KEYS`: `caller=public-key.pem[,…]`, the services that may call this one,
    /// each with the key its service tokens verify against.
    pub service_keys: Vec<(String, PathBuf)>,
}

impl AuthConfig {
    fn from_env(env: &Env, profile: Profile) -> Result<Self, ConfigError> {
        let required_outside_dev = |var: &str| -> Result<Option<String>, ConfigError> {
            match (env.optional(var), profile) {
                (None, Profile::Production) => Err(ConfigError::Invalid {
                    var: var.into(),
                    reason: "is required outside GIGSHIELD_PROFILE=dev".into(),
                }),
                (value, _) => Ok(value),
            }
        };
        let mut service_keys = Vec::new();
        for entry in env.list("JWT_SERVICE_KEYS") {
            let (caller, path) = entry.split_once('=').ok_or_else(|| ConfigError::Invalid {
                var: "JWT_SERVICE_KEYS".into(),
                reason: format!("{entry:?} is not caller=key.pem"),
            })?;
            service_keys.push((caller.trim().to_string(), PathBuf::from(path.trim())));
        }
        Ok(Self {
            public_key_files: env
                .list("JWT_PUBLIC_KEYS")
                .into_iter()
                .map(PathBuf::from)
                .collect(),
            issuer: required_outside_dev("JWT_ISSUER")?,
            audience: required_outside_dev("JWT_AUDIENCE")?,
            max_lifetime: Duration::from_secs(env.parse_or("JWT_MAX_LIFETIME_SECS", 86_400u64)?),
            service_max_lifetime: Duration::from_secs(
                env.parse_or("JWT_SERVICE_MAX_LIFETIME_SECS", 3_600u64)?,
            ),
            service_keys,
        })
    }
}

/// What one caller may take of a gRPC server. Every limit is explicit: a client that ignores
/// them meets a clear status, never an unbounded task or buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrpcLimits {
    /// `GRPC_REQUEST_TIMEOUT_MS`, default 120000: how long a call may take until its answer
    /// begins — for a client stream, reading the whole stream (a bench stream of 100,000
    /// orders takes about 25 s here). A server stream's messages after that are not cut.
    /// Beyond it: `CANCELLED`; the call's uncommitted work rolls back, and a retry with the
    /// same `request_id` replays what did commit.
    pub request_timeout: Duration,
    /// `GRPC_MAX_CONCURRENT_STREAMS`, default 64: calls open at once on one HTTP/2 connection.
    pub max_concurrent_streams: u32,
    /// `GRPC_CONCURRENCY_PER_CONNECTION`, default 32: calls handled at once per connection;
    /// the rest wait.
    pub concurrency_per_connection: usize,
    /// `GRPC_KEEPALIVE_SECS`, default 30: HTTP/2 pings (a dead peer's connection is closed
    /// after a further 20 s) and TCP keepalive.
    pub keepalive: Duration,
    /// `GRPC_MAX_CONNECTION_AGE_SECS`, default 1800: connections are closed (gracefully)
    /// after this, so clients re-resolve and spread over new replicas.
    pub max_connection_age: Duration,
}

impl Default for GrpcLimits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(120),
            max_concurrent_streams: 64,
            concurrency_per_connection: 32,
            keepalive: Duration::from_secs(30),
            max_connection_age: Duration::from_secs(1800),
        }
    }
}

impl GrpcLimits {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        let limits = Self {
            request_timeout: env.millis_or("GRPC_REQUEST_TIMEOUT_MS", 120_000)?,
            max_concurrent_streams: env
                .parse_or("GRPC_MAX_CONCURRENT_STREAMS", d.max_concurrent_streams)?,
            concurrency_per_connection: env.parse_or(
                "GRPC_CONCURRENCY_PER_CONNECTION",
                d.concurrency_per_connection,
            )?,
            keepalive: Duration::from_secs(env.parse_or("GRPC_KEEPALIVE_SECS", 30u64)?),
            max_connection_age: Duration::from_secs(
                env.parse_or("GRPC_MAX_CONNECTION_AGE_SECS", 1800u64)?,
            ),
        };
        for (var, zero) in [
            ("GRPC_REQUEST_TIMEOUT_MS", limits.request_timeout.is_zero()),
            (
                "GRPC_MAX_CONCURRENT_STREAMS",
                limits.max_concurrent_streams == 0,
            ),
            (
                "GRPC_CONCURRENCY_PER_CONNECTION",
                limits.concurrency_per_connection == 0,
            ),
            ("GRPC_KEEPALIVE_SECS", limits.keepalive.is_zero()),
            (
                "GRPC_MAX_CONNECTION_AGE_SECS",
                limits.max_connection_age.is_zero(),
            ),
        ] {
            if zero {
                return Err(ConfigError::Invalid {
                    var: var.into(),
                    reason: "must be positive".into(),
                });
            }
        }
        Ok(limits)
    }
}

#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// `OUTBOX_POLL_INTERVAL_MS`, default 50: idle wait between polls when nothing woke the relay.
    pub poll_interval: Duration,
    /// `OUTBOX_BATCH_SIZE`, default 1000: rows one relay worker publishes per transaction.
    pub batch_size: u32,
    /// `OUTBOX_LANES_PER_CLAIM`, default 16 (all lanes): set to 16 / replicas so relays of
    /// several replicas share the lanes. A replica's workers split its claim between them.
    pub lanes_per_claim: u32,
    /// `OUTBOX_RELAY_WORKERS`, default 4 (PostgreSQL; SQLite has one): relay loops per replica,
    /// each publishing its own lanes, so one batch's wait for the broker's acknowledgements
    /// does not hold up the others.
    pub workers: u32,
    /// `OUTBOX_RETENTION_HOURS`, default 0: how long a published row is kept (stamped
    /// `sent_at`) for inspection. 0 deletes it as soon as Kafka acknowledged it, which writes
    /// no second row version and no `outbox_sent_at` index entry per event.
    pub retention: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(50),
            batch_size: 1000,
            lanes_per_claim: 16,
            workers: 4,
            retention: Duration::ZERO,
        }
    }
}

impl KitConfig {
    pub fn from_env(service_name: &str, env: &Env) -> Result<Self, ConfigError> {
        let profile = env.parse_or("GIGSHIELD_PROFILE", Profile::Production)?;
        Ok(Self {
            service_name: service_name.to_string(),
            grpc_addr: env.parse_or("GRPC_ADDR", SocketAddr::from(([0, 0, 0, 0], 50051)))?,
            grpc: GrpcLimits::from_env(env)?,
            grpc_tls: crate::tls::ServerTls::from_env(env)?,
            grpc_health_addr: env.parse_optional("GRPC_HEALTH_ADDR")?,
            metrics_addr: env.parse_optional("METRICS_ADDR")?,
            database: DatabaseConfig {
                url: env.required("DATABASE_URL")?,
                max_connections: env.parse_or("DATABASE_MAX_CONNECTIONS", 16)?,
                connect_timeout: env.millis_or("DATABASE_CONNECT_TIMEOUT_MS", 5000)?,
            },
            kafka: KafkaConfig {
                bootstrap_servers: env
                    .optional("KAFKA_BOOTSTRAP_SERVERS")
                    .unwrap_or_else(|| "127.0.0.1:9092".to_string()),
                client_id: env
                    .optional("KAFKA_CLIENT_ID")
                    .unwrap_or_else(|| service_name.into()),
                session_timeout: env.millis_or("KAFKA_SESSION_TIMEOUT_MS", 10_000)?,
                ensure_topics: env.parse_or("KAFKA_ENSURE_TOPICS", true)?,
                topic_prefix: env.optional("KAFKA_TOPIC_PREFIX").unwrap_or_default(),
                group_suffix: env.optional("KAFKA_GROUP_SUFFIX").unwrap_or_default(),
                security: KafkaSecurity::from_env(env)?,
            },
            telemetry: TelemetryConfig {
                otlp_endpoint: env.optional("OTEL_EXPORTER_OTLP_ENDPOINT"),
                log_format: env.parse_or("LOG_FORMAT", LogFormat::Text)?,
            },
            auth: AuthConfig::from_env(env, profile)?,
            outbox: OutboxConfig {
                poll_interval: env.millis_or("OUTBOX_POLL_INTERVAL_MS", 50)?,
                batch_size: env.parse_or("OUTBOX_BATCH_SIZE", 1000)?,
                lanes_per_claim: env.parse_or("OUTBOX_LANES_PER_CLAIM", 16)?,
                workers: env.parse_or("OUTBOX_RELAY_WORKERS", 4)?,
                retention: Duration::from_secs(
                    3600 * env.parse_or("OUTBOX_RETENTION_HOURS", 0u64)?,
                ),
            },
            vault: Arc::new(PiiVault::from_env(env)?),
            replay_retention: Duration::from_secs(
                3600 * env.parse_or("REPLAY_RETENTION_HOURS", 168u64)?,
            ),
            profile,
            shutdown_grace: env.millis_or("SHUTDOWN_GRACE_MS", 20_000)?,
            clock: crate::clock::Clock::system(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: [(&str, &str); 5] = [
        ("DATABASE_URL", "sqlite://x"),
        (
            "PII_KEYS",
            "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ),
        (
            "PII_INDEX_KEY",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ),
        ("JWT_ISSUER", "https://id.example"),
        ("JWT_AUDIENCE", "gigshield"),
    ];

    fn env_with(extra: &[(&'static str, &'static str)]) -> Env {
        let mut pairs: Vec<(&str, &str)> = MINIMAL.to_vec();
        for (k, v) in extra {
            pairs.retain(|(key, _)| key != k);
            pairs.push((k, v));
        }
        Env::from_pairs(&pairs)
    }

    #[test]
    fn defaults_apply_and_required_values_are_named() {
        let err = KitConfig::from_env("svc", &Env::from_pairs(&[])).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Missing {
                var: "DATABASE_URL".into()
            }
        );

        let cfg = KitConfig::from_env("svc", &env_with(&[])).unwrap();
        assert_eq!(cfg.grpc_addr.port(), 50051);
        assert_eq!(cfg.kafka.bootstrap_servers, "127.0.0.1:9092");
        assert_eq!(cfg.kafka.client_id, "svc");
        assert!(cfg.metrics_addr.is_none());
        assert_eq!(cfg.outbox.lanes_per_claim, 16);
        assert_eq!(cfg.profile, Profile::Production);
        assert_eq!(cfg.auth.max_lifetime, Duration::from_secs(86_400));
        assert_eq!(cfg.auth.service_max_lifetime, Duration::from_secs(3_600));
        assert_eq!(cfg.replay_retention, Duration::from_secs(168 * 3600));
    }

    #[test]
    fn issuer_and_audience_are_required_outside_the_dev_profile() {
        for var in ["JWT_ISSUER", "JWT_AUDIENCE"] {
            let pairs: Vec<(&str, &str)> =
                MINIMAL.iter().copied().filter(|(k, _)| *k != var).collect();
            match KitConfig::from_env("svc", &Env::from_pairs(&pairs)).unwrap_err() {
                ConfigError::Invalid { var: v, reason } => {
                    assert_eq!(v, var);
                    assert!(reason.contains("GIGSHIELD_PROFILE=dev"), "{reason}");
                }
                other => panic!("unexpected {other:?}"),
            }
            let mut dev = pairs.clone();
            dev.push(("GIGSHIELD_PROFILE", "dev"));
            assert!(KitConfig::from_env("svc", &Env::from_pairs(&dev)).is_ok());
        }
    }

    #[test]
    fn service_keys_name_their_caller() {
        let cfg = KitConfig::from_env(
            "premium",
            &env_with(&[(
                "JWT_SERVICE_KEYS",
                "claims=/k/claims.pub.pem, fund=/k/fund.pem",
            )]),
        )
        .unwrap();
        assert_eq!(
            cfg.auth.service_keys,
            vec![
                ("claims".to_string(), PathBuf::from("/k/claims.pub.pem")),
                ("fund".to_string(), PathBuf::from("/k/fund.pem")),
            ]
        );
        assert!(matches!(
            KitConfig::from_env("premium", &env_with(&[("JWT_SERVICE_KEYS", "claims.pem")])),
            Err(ConfigError::Invalid { var, .. }) if var == "JWT_SERVICE_KEYS"
        ));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        match KitConfig::from_env("svc", &env_with(&[("GRPC_ADDR", "nope")])).unwrap_err() {
            ConfigError::Invalid { var, .. } => assert_eq!(var, "GRPC_ADDR"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            KitConfig::from_env("svc", &env_with(&[("LOG_FORMAT", "xml")])),
            Err(ConfigError::Invalid { var, .. }) if var == "LOG_FORMAT"
        ));
    }

    #[test]
    fn kafka_credentials_come_from_a_file_and_never_print() {
        let dir = tempfile_dir();
        let file = dir.join("password");
        std::fs::write(&file, "s3cret\n").unwrap();
        let path = file.display().to_string();
        let path: &'static str = Box::leak(path.into_boxed_str());
        let cfg = KitConfig::from_env(
            "svc",
            &env_with(&[
                ("KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
                ("KAFKA_SASL_USERNAME", "gigshield-premium"),
                ("KAFKA_SASL_PASSWORD_FILE", path),
                ("KAFKA_SSL_CA_LOCATION", "/etc/kafka/ca.crt"),
            ]),
        )
        .unwrap();
        let mut client = rdkafka::ClientConfig::new();
        cfg.kafka.security.apply(&mut client);
        assert_eq!(client.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(client.get("sasl.mechanism"), Some("SCRAM-SHA-512"));
        assert_eq!(client.get("sasl.password"), Some("s3cret"));
        assert!(!format!("{cfg:?}").contains("s3cret"));
        assert!(matches!(
            KitConfig::from_env("svc", &env_with(&[("KAFKA_SECURITY_PROTOCOL", "sasl_ssl")])),
            Err(ConfigError::Missing { var }) if var == "KAFKA_SASL_PASSWORD_FILE"
        ));
        assert!(
            KitConfig::from_env("svc", &env_with(&[("KAFKA_SECURITY_PROTOCOL", "tls")])).is_err()
        );
        std::fs::remove_dir_all(dir).ok();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kit-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn lists_drop_blanks() {
        let env = Env::from_pairs(&[("JWT_PUBLIC_KEYS", " a.pem, ,b.pem ")]);
        assert_eq!(env.list("JWT_PUBLIC_KEYS"), vec!["a.pem", "b.pem"]);
    }
}
