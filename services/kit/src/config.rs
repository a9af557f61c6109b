//! Typed configuration from environment variables (12-factor).
//!
//! Every variable the kit reads is named here and listed in README's configuration table;
//! a service adds its own variables through the same [`Env`] reader so a bad value is
//! reported with the variable's name before anything starts.

use std::fmt::Display;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

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

    pub fn required(&self, var: &str) -> Result<String, ConfigError> {
        self.optional(var).ok_or_else(|| ConfigError::Missing {
            var: var.to_string(),
        })
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
    /// `METRICS_ADDR`: where Prometheus scrapes `/metrics`; unset = no metrics listener.
    pub metrics_addr: Option<SocketAddr>,
    pub database: DatabaseConfig,
    pub kafka: KafkaConfig,
    pub telemetry: TelemetryConfig,
    pub auth: AuthConfig,
    pub outbox: OutboxConfig,
    /// `SHUTDOWN_GRACE_MS`: how long in-flight work may take after SIGTERM, default 20000.
    pub shutdown_grace: Duration,
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
}

impl KafkaConfig {
    /// The broker-side name of a contract topic (or consumer group).
    pub fn topic(&self, name: &str) -> String {
        format!("{}{name}", self.topic_prefix)
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

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `JWT_PUBLIC_KEYS`: comma-separated PEM files (Ed25519 or RSA public keys).
    pub public_key_files: Vec<PathBuf>,
    /// `JWT_ISSUER`: when set, tokens must carry this `iss`.
    pub issuer: Option<String>,
    /// `JWT_AUDIENCE`: when set, tokens must carry this `aud`.
    pub audience: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// `OUTBOX_POLL_INTERVAL_MS`, default 50: idle wait between polls when nothing woke the relay.
    pub poll_interval: Duration,
    /// `OUTBOX_BATCH_SIZE`, default 500.
    pub batch_size: u32,
    /// `OUTBOX_LANES_PER_CLAIM`, default 16 (all lanes): set to 16 / replicas so relays of
    /// several replicas share the lanes.
    pub lanes_per_claim: u32,
    /// `OUTBOX_RETENTION_HOURS`, default 168: sent rows older than this are deleted.
    pub retention: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(50),
            batch_size: 500,
            lanes_per_claim: 16,
            retention: Duration::from_secs(168 * 3600),
        }
    }
}

impl KitConfig {
    pub fn from_env(service_name: &str, env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            service_name: service_name.to_string(),
            grpc_addr: env.parse_or("GRPC_ADDR", SocketAddr::from(([0, 0, 0, 0], 50051)))?,
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
            },
            telemetry: TelemetryConfig {
                otlp_endpoint: env.optional("OTEL_EXPORTER_OTLP_ENDPOINT"),
                log_format: env.parse_or("LOG_FORMAT", LogFormat::Text)?,
            },
            auth: AuthConfig {
                public_key_files: env
                    .list("JWT_PUBLIC_KEYS")
                    .into_iter()
                    .map(PathBuf::from)
                    .collect(),
                issuer: env.optional("JWT_ISSUER"),
                audience: env.optional("JWT_AUDIENCE"),
            },
            outbox: OutboxConfig {
                poll_interval: env.millis_or("OUTBOX_POLL_INTERVAL_MS", 50)?,
                batch_size: env.parse_or("OUTBOX_BATCH_SIZE", 500)?,
                lanes_per_claim: env.parse_or("OUTBOX_LANES_PER_CLAIM", 16)?,
                retention: Duration::from_secs(
                    3600 * env.parse_or("OUTBOX_RETENTION_HOURS", 168u64)?,
                ),
            },
            shutdown_grace: env.millis_or("SHUTDOWN_GRACE_MS", 20_000)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_and_required_values_are_named() {
        let err = KitConfig::from_env("svc", &Env::from_pairs(&[])).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Missing {
                var: "DATABASE_URL".into()
            }
        );

        let cfg = KitConfig::from_env("svc", &Env::from_pairs(&[("DATABASE_URL", "sqlite://x")]))
            .unwrap();
        assert_eq!(cfg.grpc_addr.port(), 50051);
        assert_eq!(cfg.kafka.bootstrap_servers, "127.0.0.1:9092");
        assert_eq!(cfg.kafka.client_id, "svc");
        assert!(cfg.metrics_addr.is_none());
        assert_eq!(cfg.outbox.lanes_per_claim, 16);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let env = Env::from_pairs(&[("DATABASE_URL", "sqlite://x"), ("GRPC_ADDR", "nope")]);
        match KitConfig::from_env("svc", &env).unwrap_err() {
            ConfigError::Invalid { var, .. } => assert_eq!(var, "GRPC_ADDR"),
            other => panic!("unexpected {other:?}"),
        }
        let env = Env::from_pairs(&[("DATABASE_URL", "sqlite://x"), ("LOG_FORMAT", "xml")]);
        assert!(matches!(
            KitConfig::from_env("svc", &env),
            Err(ConfigError::Invalid { var, .. }) if var == "LOG_FORMAT"
        ));
    }

    #[test]
    fn lists_drop_blanks() {
        let env = Env::from_pairs(&[("JWT_PUBLIC_KEYS", " a.pem, ,b.pem ")]);
        assert_eq!(env.list("JWT_PUBLIC_KEYS"), vec!["a.pem", "b.pem"]);
    }
}
