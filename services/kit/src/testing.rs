//! Helpers for integration tests (feature `testing`): a fresh database per test on the real
//! PostgreSQL (or a SQLite file), unique Kafka topics on the real broker, tokens signed with the
//! development keys. Start the infrastructure with `make infra-up` (`make test` does).

use std::path::PathBuf;
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use uuid::Uuid;

use crate::auth::{Role, TokenMinter};
use crate::config::{DatabaseConfig, Env, KafkaConfig, KitConfig};

pub const DEFAULT_PG_ADMIN_URL: &str = "postgres://gigshield:gigshield@127.0.0.1:5432/postgres";

/// The server where tests create their databases: `GIGSHIELD_PG_ADMIN_URL` or the local one.
pub fn pg_admin_url() -> String {
    std::env::var("GIGSHIELD_PG_ADMIN_URL").unwrap_or_else(|_| DEFAULT_PG_ADMIN_URL.to_string())
}

pub fn kafka_bootstrap() -> String {
    std::env::var("KAFKA_BOOTSTRAP_SERVERS").unwrap_or_else(|_| "127.0.0.1:9092".to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database that exists for one test and is dropped with it.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    Postgres { admin_url: String, name: String },
    Sqlite { _dir: tempfile::TempDir },
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Postgres => Self::postgres().await,
            Backend::Sqlite => Self::sqlite(),
        }
    }

    pub async fn postgres() -> Self {
        let admin_url = pg_admin_url();
        let name = format!("test_{}", Uuid::now_v7().simple());
        let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {admin_url} unreachable ({e}); run `make infra-up`")
        });
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("admin URL names a database");
        Self {
            url: format!("{base}/{name}"),
            backend: Backend::Postgres,
            cleanup: Cleanup::Postgres { admin_url, name },
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        Self {
            url,
            backend: Backend::Sqlite,
            cleanup: Cleanup::Sqlite { _dir: dir },
        }
    }

    pub fn config(&self) -> DatabaseConfig {
        DatabaseConfig {
            url: self.url.clone(),
            max_connections: 8,
            connect_timeout: Duration::from_secs(10),
        }
    }

    pub async fn connect(&self) -> DatabaseConnection {
        crate::db::connect(&self.config())
            .await
            .expect("connect to test database")
    }

    pub async fn connect_migrated<M: MigratorTrait>(&self) -> DatabaseConnection {
        let db = self.connect().await;
        crate::db::migrate::<M>(&db)
            .await
            .expect("migrations apply");
        db
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime, which cannot block on itself.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let admin = Database::connect(&admin_url).await.ok()?;
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .ok()?;
                    admin.close().await.ok()
                })
            })
            .join();
        }
    }
}

/// Kafka settings for a test client; a short session timeout so a killed consumer's
/// partitions move on quickly.
pub fn kafka_config(client_id: &str) -> KafkaConfig {
    KafkaConfig {
        bootstrap_servers: kafka_bootstrap(),
        client_id: client_id.to_string(),
        session_timeout: Duration::from_secs(6),
        ensure_topics: true,
        topic_prefix: String::new(),
    }
}

/// Creates a topic with a unique name for one test.
pub async fn new_topic(prefix: &str, partitions: i32) -> String {
    let name = format!("test.{prefix}.{}", Uuid::now_v7().simple());
    crate::kafka::ensure_topics(
        &kafka_config("test-admin"),
        &[crate::kafka::TopicSpec {
            name: name.clone(),
            partitions,
            retention: None,
        }],
    )
    .await
    .unwrap_or_else(|e| panic!("create topic {name} ({e}); is Kafka up? run `make infra-up`"));
    name
}

fn dev_key(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/local/dev-keys")
        .join(file)
}

/// The development public keys (Ed25519 and RSA) that test services trust.
pub fn dev_public_keys() -> Vec<PathBuf> {
    vec![dev_key("jwt-ed25519.pub.pem"), dev_key("jwt-rs256.pub.pem")]
}

pub fn dev_minter() -> TokenMinter {
    TokenMinter::from_file(&dev_key("jwt-ed25519.pem")).expect("development signing key")
}

/// A bearer token for `role`, valid for an hour.
pub fn token(role: &Role) -> String {
    dev_minter().mint("test", role, Duration::from_secs(3600))
}

/// Kit configuration for a service under test: port 0, the test database, the dev keys.
pub fn kit_config(service_name: &str, db: &TestDatabase) -> KitConfig {
    let keys = dev_public_keys()
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",");
    let bootstrap = kafka_bootstrap();
    let env = Env::from_pairs(&[
        ("GRPC_ADDR", "127.0.0.1:0"),
        ("DATABASE_URL", &db.url),
        ("DATABASE_MAX_CONNECTIONS", "8"),
        ("KAFKA_BOOTSTRAP_SERVERS", &bootstrap),
        ("KAFKA_SESSION_TIMEOUT_MS", "6000"),
        ("JWT_PUBLIC_KEYS", &keys),
        ("OUTBOX_POLL_INTERVAL_MS", "20"),
        ("SHUTDOWN_GRACE_MS", "10000"),
    ]);
    KitConfig::from_env(service_name, &env).expect("test configuration is valid")
}

/// A service under test serving on 127.0.0.1, on a port the OS picked.
pub struct Served {
    pub addr: std::net::SocketAddr,
    /// Connected; clone it for each client.
    pub channel: tonic::transport::Channel,
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Served {
    /// Starts `routes` (plus the kit's health and reflection) on a free port and connects.
    pub async fn start(service: crate::service::Service, routes: tonic::service::Routes) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("bound address");
        let stop = service.shutdown.clone();
        let task = tokio::spawn(service.serve(listener, routes));
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .expect("a valid URI")
            .connect()
            .await
            .expect("connect to the service under test");
        Self {
            addr,
            channel,
            stop,
            task,
        }
    }

    /// Shuts down gracefully and fails the test if serving failed.
    pub async fn stop(self) {
        self.stop.cancel();
        self.task
            .await
            .expect("serve task")
            .expect("served without error");
    }
}

/// Plays another service on Kafka: publishes events as its outbox relay would (CloudEvents
/// headers, the aggregate as key), so a consumer under test sees exactly what production
/// sends it.
pub struct EventPublisher {
    producer: rdkafka::producer::FutureProducer,
    /// `ce_source`, e.g. `//gigshield/enrollment`.
    source: String,
}

impl EventPublisher {
    pub fn new(source: &str) -> Self {
        let producer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", kafka_bootstrap())
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("message.timeout.ms", "10000")
            .create()
            .expect("Kafka producer");
        Self {
            producer,
            source: source.to_string(),
        }
    }

    /// Publishes `event` with event id `id` (a redelivery reuses one) and `ce_type`
    /// `event_type` (the protobuf full name).
    pub async fn publish_with_id<M: prost::Message>(
        &self,
        topic: &str,
        id: &str,
        key: &str,
        event_type: &str,
        event: &M,
    ) {
        let envelope = crate::envelope::Envelope {
            id: id.to_string(),
            source: self.source.clone(),
            event_type: event_type.to_string(),
            time: chrono::Utc::now(),
            subject: Some(key.to_string()),
            traceparent: None,
            payload: event.encode_to_vec(),
            topic: String::new(),
            partition: 0,
            offset: 0,
        };
        self.producer
            .send(
                rdkafka::producer::FutureRecord::to(topic)
                    .key(key)
                    .payload(&envelope.payload)
                    .headers(envelope.headers()),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)
            .unwrap_or_else(|e| panic!("publish {event_type} on {topic}: {e}"));
    }

    /// Publishes `event` under a new event id.
    pub async fn publish<M: prost::Message>(
        &self,
        topic: &str,
        key: &str,
        event_type: &str,
        event: &M,
    ) {
        self.publish_with_id(topic, &Uuid::now_v7().to_string(), key, event_type, event)
            .await;
    }
}
