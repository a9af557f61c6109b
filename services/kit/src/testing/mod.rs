//! Helpers for integration tests (feature `testing`): a fresh database per test on the real
//! PostgreSQL (or a SQLite file), unique Kafka topics on the real broker, tokens signed with the
//! development keys. Start the infrastructure with `make infra-up` (`make test` does).

mod events;
pub mod sql;
mod template;

pub use events::{Published, contains, read_events, read_events_where};

use std::path::PathBuf;
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use uuid::Uuid;

use crate::access::{AccessTable, Relation};
use crate::auth::{DEV_AUDIENCE, DEV_ISSUER, Jurisdiction, Role, TokenMinter};
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

/// Chooses the database a service's integration suite runs on; `make test` runs every suite
/// once per backend.
pub const TEST_DATABASE_VAR: &str = "GIGSHIELD_TEST_DATABASE";

impl Backend {
    /// The backend of this run of a service's integration suite: `GIGSHIELD_TEST_DATABASE`
    /// (`postgres`, the default, or `sqlite`). Tests about one backend's own behaviour name it
    /// instead.
    pub fn suite() -> Self {
        match std::env::var(TEST_DATABASE_VAR).as_deref() {
            Err(_) | Ok("") | Ok("postgres") => Self::Postgres,
            Ok("sqlite") => Self::Sqlite,
            Ok(other) => panic!("{TEST_DATABASE_VAR}={other}: expected `postgres` or `sqlite`"),
        }
    }
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
        Self::postgres_copy_of(None).await
    }

    /// A database `M` has already migrated. On PostgreSQL a copy of a template migrated once
    /// per test process (`CREATE DATABASE … TEMPLATE`): a suite pays for its migrations (42
    /// order partitions in premium) once, not once per test. The service's own migration at
    /// start then finds nothing to do, as a restarted service does.
    pub async fn migrated<M: MigratorTrait>(backend: Backend) -> Self {
        match backend {
            Backend::Postgres => {
                let template = template::migrated::<M>().await;
                Self::postgres_copy_of(Some(&template)).await
            }
            Backend::Sqlite => Self::sqlite(),
        }
    }

    async fn postgres_copy_of(template: Option<&str>) -> Self {
        let admin_url = pg_admin_url();
        let name = format!("test_{}", Uuid::now_v7().simple());
        let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {admin_url} unreachable ({e}); run `make infra-up`")
        });
        let from = template
            .map(|t| format!(" TEMPLATE {t}"))
            .unwrap_or_default();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}{from}"))
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
        group_suffix: String::new(),
        security: Default::default(),
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

/// The development identity provider: its tokens carry the issuer and audience every
/// service under test requires.
pub fn dev_minter() -> TokenMinter {
    TokenMinter::from_file(&dev_key("jwt-ed25519.pem"))
        .expect("development signing key")
        .with_issuer(Some(DEV_ISSUER.into()), Some(DEV_AUDIENCE.into()))
}

/// A bearer token for `role`, valid for an hour. A `service` role gets what that service
/// would present to premium (the one service another service calls), signed with the
/// development service key: other services refuse it, as they must.
pub fn token(role: &Role) -> String {
    match role {
        Role::Service { name } => service_token(name, "premium"),
        _ => dev_minter().mint("test", role, Duration::from_secs(3600)),
    }
}

/// A service token of `caller` for `audience`, signed with the development service key.
pub fn service_token(caller: &str, audience: &str) -> String {
    TokenMinter::from_file(&dev_key("service-claims.pem"))
        .expect("development service key")
        .mint_service(caller, audience, Duration::from_secs(300))
}

/// `JWT_SERVICE_KEYS` for a service that claims may call (the development service key).
pub fn dev_service_keys() -> String {
    format!("claims={}", dev_key("service-claims.pub.pem").display())
}

/// What claims presents to the services it calls, with the development service key.
pub fn claims_service_tokens() -> crate::auth::ServiceTokens {
    crate::auth::ServiceTokens::from_file("claims", &dev_key("service-claims.pem"))
        .expect("development service key")
}

/// The environment every service binary under test needs besides its database, address and
/// topics: the development keys (tokens, service tokens, personal data), the issuer and
/// audience of development tokens, the local broker.
pub fn service_env() -> Vec<(&'static str, String)> {
    let keys = dev_public_keys()
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",");
    vec![
        ("JWT_PUBLIC_KEYS", keys),
        ("JWT_ISSUER", DEV_ISSUER.into()),
        ("JWT_AUDIENCE", DEV_AUDIENCE.into()),
        ("JWT_SERVICE_KEYS", dev_service_keys()),
        ("PII_KEYS", DEV_PII_KEYS.into()),
        ("PII_INDEX_KEY", DEV_PII_INDEX_KEY.into()),
        ("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap()),
    ]
}

/// The development service signing key claims uses (`SERVICE_SIGNING_KEY_FILE`).
pub fn dev_service_signing_key() -> PathBuf {
    dev_key("service-claims.pem")
}

/// The smallest environment a service's configuration accepts (an SQLite file, the dev keys),
/// plus `extra` (which replaces a variable of the same name): for config unit tests.
pub fn minimal_env(extra: &[(&str, &str)]) -> Env {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("DATABASE_URL", "sqlite://x"),
        ("JWT_ISSUER", DEV_ISSUER),
        ("JWT_AUDIENCE", DEV_AUDIENCE),
        ("PII_KEYS", DEV_PII_KEYS),
        ("PII_INDEX_KEY", DEV_PII_INDEX_KEY),
    ];
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        pairs.push((k, v));
    }
    Env::from_pairs(&pairs)
}

/// The development PII keys (`deploy/local/dev.env`).
pub const DEV_PII_KEYS: &str = "dev1:Bl+i8zgtCzEqGdLuMIBf5lMIOZQzGQAm2PuaeF9gDr0=";
pub const DEV_PII_INDEX_KEY: &str = "Aeic/6V1HmBsTj3HRlDqlf60/gchlTQ06XWlngjW738=";

/// Kit configuration for a service under test: port 0, the test database, the dev keys, its
/// own consumer groups.
pub fn kit_config(service_name: &str, db: &TestDatabase) -> KitConfig {
    kit_config_with(service_name, db, &[])
}

/// [`kit_config`] with `extra` variables set (or replaced).
pub fn kit_config_with(service_name: &str, db: &TestDatabase, extra: &[(&str, &str)]) -> KitConfig {
    let keys = dev_public_keys()
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",");
    let bootstrap = kafka_bootstrap();
    let service_keys = dev_service_keys();
    let group_suffix = format!("-test-{}", Uuid::now_v7().simple());
    let mut pairs: Vec<(&str, &str)> = vec![
        ("KAFKA_GROUP_SUFFIX", &group_suffix),
        ("GRPC_ADDR", "127.0.0.1:0"),
        ("DATABASE_URL", &db.url),
        ("DATABASE_MAX_CONNECTIONS", "8"),
        ("KAFKA_BOOTSTRAP_SERVERS", &bootstrap),
        ("KAFKA_SESSION_TIMEOUT_MS", "6000"),
        ("JWT_PUBLIC_KEYS", &keys),
        ("JWT_ISSUER", DEV_ISSUER),
        ("JWT_AUDIENCE", DEV_AUDIENCE),
        ("JWT_SERVICE_KEYS", &service_keys),
        ("PII_KEYS", DEV_PII_KEYS),
        ("PII_INDEX_KEY", DEV_PII_INDEX_KEY),
        ("OUTBOX_POLL_INTERVAL_MS", "20"),
        // Service tests count the events a call wrote: keep published rows for them (the
        // default deletes a row once Kafka acknowledged it).
        ("OUTBOX_RETENTION_HOURS", "1"),
        ("SHUTDOWN_GRACE_MS", "10000"),
    ];
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        pairs.push((k, v));
    }
    KitConfig::from_env(service_name, &Env::from_pairs(&pairs))
        .expect("test configuration is valid")
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
        Self::start_with(service, routes, None).await
    }

    /// [`Self::start`] for a service configured with `GRPC_TLS_*`: the channel connects over
    /// TLS with `tls` (its domain name must be one of the certificate's).
    pub async fn start_with(
        service: crate::service::Service,
        routes: tonic::service::Routes,
        tls: Option<tonic::transport::ClientTlsConfig>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("bound address");
        let stop = service.shutdown.clone();
        let task = tokio::spawn(service.serve(listener, routes));
        let scheme = if tls.is_some() { "https" } else { "http" };
        let mut endpoint = tonic::transport::Endpoint::from_shared(format!("{scheme}://{addr}"))
            .expect("a valid URI");
        if let Some(tls) = tls {
            endpoint = endpoint.tls_config(tls).expect("client TLS settings");
        }
        let channel = endpoint
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

/// One caller of a generated access test, and how it stands to the fixture's data.
#[derive(Debug, Clone)]
pub struct Persona {
    pub name: String,
    pub role: Role,
    pub relation: Relation,
}

/// The parties a fixture record belongs to: its platform, person, the insurer its case is
/// routed to, and its place (a 6-digit code of a city, e.g. `440305`).
#[derive(Debug, Clone)]
pub struct Parties {
    pub platform: Uuid,
    pub person: Uuid,
    pub insurer: Uuid,
    pub region: String,
}

impl Parties {
    /// Fresh ids at `region`.
    pub fn at(region: &str) -> Self {
        Self {
            platform: Uuid::now_v7(),
            person: Uuid::now_v7(),
            insurer: Uuid::now_v7(),
            region: region.into(),
        }
    }

    fn city(&self) -> Jurisdiction {
        Jurisdiction::Area(self.region[..4].to_string())
    }

    fn province(&self) -> Jurisdiction {
        Jurisdiction::Area(self.region[..2].to_string())
    }
}

/// Every kind of caller, once with the fixture's own scope and once with a foreign one, plus
/// a worker the fixture's person delegated to (when the service knows delegations). `own` and
/// `foreign` must lie in different provinces.
pub fn personas(own: &Parties, foreign: &Parties, delegate: Option<Uuid>) -> Vec<Persona> {
    let mut out = Vec::new();
    let mut add = |name: &str, role: Role, is_own: bool| {
        out.push(Persona {
            name: format!("{name} ({})", if is_own { "own" } else { "foreign" }),
            role,
            relation: if is_own {
                Relation::Own
            } else {
                Relation::Foreign
            },
        })
    };
    for (p, is_own) in [(own, true), (foreign, false)] {
        add(
            "platform",
            Role::Platform {
                platform_id: p.platform,
            },
            is_own,
        );
        add(
            "worker",
            Role::Worker {
                person_id: p.person,
            },
            is_own,
        );
        add(
            "insurer",
            Role::Insurer {
                insurer_id: p.insurer,
            },
            is_own,
        );
        add(
            "insurer adjuster",
            Role::insurer_adjuster(p.insurer),
            is_own,
        );
        add(
            "agency adjuster",
            Role::Adjuster {
                party: crate::auth::Party::Agency(p.city()),
            },
            is_own,
        );
        add(
            "city operator",
            Role::Operator {
                jurisdiction: p.city(),
            },
            is_own,
        );
        add(
            "provincial operator",
            Role::Operator {
                jurisdiction: p.province(),
            },
            is_own,
        );
        add(
            "regulator",
            Role::Regulator {
                jurisdiction: p.province(),
            },
            is_own,
        );
    }
    add("national operator", Role::national_operator(), true);
    add("service claims", Role::service("claims"), true);
    add("service incident", Role::service("incident"), true);
    if let Some(person_id) = delegate {
        out.push(Persona {
            name: "delegate of the worker".into(),
            role: Role::Worker { person_id },
            relation: Relation::Delegate,
        });
    }
    out
}

/// How one probe of an RPC by one persona came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// The call got past the access checks (it may still have failed validation or state).
    Allowed,
    /// Refused by role or scope (`PermissionDenied`, the uniform `NotFound`,
    /// `Unauthenticated`), or a listing that did not show the fixture's record.
    Denied,
}

impl Probe {
    /// Classifies a unary call's result.
    pub fn of<T>(result: Result<T, tonic::Status>) -> Self {
        match result {
            Ok(_) => Probe::Allowed,
            Err(status) => match status.code() {
                tonic::Code::PermissionDenied
                | tonic::Code::NotFound
                | tonic::Code::Unauthenticated => Probe::Denied,
                _ => Probe::Allowed,
            },
        }
    }
}

/// What a generated access test tried.
#[derive(Debug, Default)]
pub struct AccessReport {
    pub tried: usize,
    pub allowed: usize,
    pub mismatches: Vec<String>,
}

impl AccessReport {
    /// Records one probe against the table's expectation.
    pub fn record(&mut self, table: &AccessTable, rpc: &str, persona: &Persona, got: Probe) {
        self.tried += 1;
        let expected = table.expects(rpc, &persona.role, persona.relation);
        if got == Probe::Allowed {
            self.allowed += 1;
        }
        if expected != (got == Probe::Allowed) {
            self.mismatches.push(format!(
                "{rpc} by {}: table says {}, service {}",
                persona.name,
                if expected { "allowed" } else { "denied" },
                if got == Probe::Allowed {
                    "allowed"
                } else {
                    "denied"
                }
            ));
        }
    }

    /// Fails the test on any difference between the table and the service, after printing
    /// the counts (the access notes quote them).
    pub fn assert_matches(&self, table: &AccessTable) {
        println!(
            "{}: {} probes, {} allowed, {} denied",
            table.service,
            self.tried,
            self.allowed,
            self.tried - self.allowed
        );
        assert!(
            self.mismatches.is_empty(),
            "{} of {} probes differ from the access table:\n{}",
            self.mismatches.len(),
            self.tried,
            self.mismatches.join("\n")
        );
    }
}

/// Fails unless the table has exactly one rule per RPC of `service` (e.g.
/// `gigshield.claims.v1.ClaimsService`) in the proto descriptors.
pub fn assert_table_covers(table: &AccessTable, service: &str) {
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(gigshield_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set decodes");
    let (package, name) = service.rsplit_once('.').expect("a full service name");
    let methods: Vec<String> = set
        .file
        .iter()
        .filter(|f| f.package() == package)
        .flat_map(|f| f.service.iter())
        .filter(|s| s.name() == name)
        .flat_map(|s| s.method.iter().map(|m| m.name().to_string()))
        .collect();
    assert!(
        !methods.is_empty(),
        "no service {service} in the descriptors"
    );
    let mut missing: Vec<&String> = methods.iter().filter(|m| table.rule(m).is_none()).collect();
    missing.sort();
    assert!(
        missing.is_empty(),
        "RPCs without an access rule: {missing:?}"
    );
    let extra: Vec<&str> = table
        .rules
        .iter()
        .map(|r| r.rpc)
        .filter(|r| !methods.iter().any(|m| m == r))
        .collect();
    assert!(
        extra.is_empty(),
        "rules for RPCs the service lacks: {extra:?}"
    );
    let mut seen = std::collections::HashSet::new();
    for rule in table.rules {
        assert!(seen.insert(rule.rpc), "two rules for {}", rule.rpc);
    }
}

/// The field names of an InvalidArgument status's BadRequest details.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    tonic_types::StatusExt::get_error_details(status)
        .bad_request()
        .map(|b| b.field_violations.iter().map(|f| f.field.clone()).collect())
        .unwrap_or_default()
}

/// A request carrying a bearer token for `role`.
pub fn as_<T>(role: &crate::Role, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token(role))
            .parse()
            .expect("a token is a header value"),
    );
    request
}

/// An operator's scheme-calendar entry as enrollment publishes it (`SchemeRuleAdded`), sourced
/// from a test notice, for services under test that replicate the calendar.
pub fn scheme_rule_added(
    rule: gigshield_proto::common::scheme_rule::Rule,
) -> gigshield_proto::events::SchemeRuleAdded {
    use gigshield_proto::common as c;
    gigshield_proto::events::SchemeRuleAdded {
        entry: Some(c::SchemeRuleEntry {
            rule_id: uuid::Uuid::now_v7().to_string(),
            rule: Some(c::SchemeRule {
                rule: Some(rule),
                source: Some(c::Source {
                    document: "test notice".into(),
                    url: String::new(),
                    published_on: "2026-01-01".into(),
                    confidence: c::Confidence::High as i32,
                }),
            }),
            entered_by: "national-operator".into(),
            recorded_at: Some(crate::wire::timestamp(chrono::Utc::now())),
            shipped: false,
        }),
    }
}

/// A certificate authority minted for one test, with certificates it issued, as PEM files in
/// a temporary directory (removed when dropped).
pub struct TestPki {
    dir: tempfile::TempDir,
    ca: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

/// Where one issued certificate and its key were written.
pub struct IssuedFiles {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

impl TestPki {
    /// A fresh CA (`<dir>/ca.crt`); two `TestPki`s never trust each other's certificates.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "gigshield test CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let key = rcgen::KeyPair::generate().expect("CA key");
        let ca = rcgen::CertifiedIssuer::self_signed(params, key).expect("CA certificate");
        std::fs::write(dir.path().join("ca.crt"), ca.pem()).expect("write ca.crt");
        Self { dir, ca }
    }

    pub fn ca_file(&self) -> std::path::PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// Issues a certificate for `names` (DNS names or IP addresses; the first is also the
    /// common name), written as `<file>.crt` and `<file>.key`.
    pub fn issue(&self, file: &str, names: &[&str]) -> IssuedFiles {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names.clone()).expect("certificate params");
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.ca).expect("certificate");
        let files = IssuedFiles {
            cert: self.dir.path().join(format!("{file}.crt")),
            key: self.dir.path().join(format!("{file}.key")),
        };
        std::fs::write(&files.cert, cert.pem()).expect("write certificate");
        std::fs::write(&files.key, key.serialize_pem()).expect("write key");
        files
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}
