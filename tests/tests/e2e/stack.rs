//! Starts the service binaries as child processes, each with its own fresh database, and
//! reads what they publish.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use gigshield_kit::Role;
use gigshield_kit::testing::{TestDatabase, dev_service_signing_key, kafka_bootstrap, service_env};
use tokio::process::{Child, Command};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

pub struct Process {
    pub name: &'static str,
    pub channel: Channel,
    /// `http://127.0.0.1:<port>`, for services that call this one.
    pub addr: String,
    /// Where Prometheus would scrape `/metrics`.
    pub metrics_addr: std::net::SocketAddr,
    child: Child,
    log: PathBuf,
    db: TestDatabase,
}

impl Process {
    /// The service's own database (a fresh one per run).
    pub fn database(&self) -> &TestDatabase {
        &self.db
    }

    /// Everything the service wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The service's log, for a failing assertion's message.
    pub fn log_tail(&self) -> String {
        let text = self.log();
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "last lines of {}:\n{}",
            self.name,
            lines[lines.len().saturating_sub(30)..].join("\n")
        )
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Where cargo put the workspace's binaries: beside the `deps` folder of this test.
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let path = dir.join(format!("gigshield-{name}"));
    assert!(
        path.exists(),
        "{} is missing: build the services first (`cargo build --bins`)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `gigshield-<name>` on a fresh PostgreSQL database and waits until it is SERVING.
/// `prefix` is the stack's `KAFKA_TOPIC_PREFIX`: its topics and consumer groups are its own.
pub async fn start(name: &'static str, prefix: &str, logs: &tempfile::TempDir) -> Process {
    start_with(name, prefix, logs, &[]).await
}

/// As [`start`], with service-specific variables.
pub async fn start_with(
    name: &'static str,
    prefix: &str,
    logs: &tempfile::TempDir,
    extra_env: &[(&str, String)],
) -> Process {
    let db = TestDatabase::postgres().await;
    let port = free_port();
    let metrics_addr = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
    let log = logs.path().join(format!("{name}.log"));
    let mut child = Command::new(binary(name))
        .envs(service_env())
        .env("DATABASE_URL", &db.url)
        .env("GRPC_ADDR", format!("127.0.0.1:{port}"))
        .env("METRICS_ADDR", metrics_addr.to_string())
        .env("KAFKA_SESSION_TIMEOUT_MS", "6000")
        .env("KAFKA_TOPIC_PREFIX", prefix)
        .env("OUTBOX_POLL_INTERVAL_MS", "20")
        .env("RUST_LOG", "info")
        .envs(extra_env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::from(std::fs::File::create(&log).expect("log file")))
        .stderr(Stdio::from(
            std::fs::File::options()
                .append(true)
                .open(&log)
                .expect("log file"),
        ))
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start {name}: {e}"));
    let addr = format!("http://127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(channel) = Channel::from_shared(addr.clone()).unwrap().connect().await {
            let status = HealthClient::new(channel.clone())
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|r| r.into_inner().status);
            if status.is_ok_and(|s| s == ServingStatus::Serving as i32) {
                return Process {
                    name,
                    channel,
                    addr,
                    metrics_addr,
                    child,
                    log,
                    db,
                };
            }
        }
        let exited = child.try_wait().ok().flatten();
        assert!(
            exited.is_none() && tokio::time::Instant::now() < deadline,
            "{name} did not become SERVING ({exited:?}):\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub use gigshield_kit::testing::as_;

/// Retries `attempt` every 200 ms until it succeeds or `timeout` passes (consumers catch up
/// asynchronously); returns the last error otherwise.
pub async fn until_ok<T, F, Fut>(timeout: Duration, mut attempt: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(status) if tokio::time::Instant::now() >= deadline => return Err(status),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// The five services side by side, sharing a per-run topic prefix on the real broker.
pub struct Stack {
    pub prefix: String,
    pub enrollment: Process,
    pub premium: Process,
    pub incident: Process,
    pub claims: Process,
    pub fund: Process,
    _logs: tempfile::TempDir,
}

impl Stack {
    /// Starts enrollment first (it creates the topic the others subscribe to), then premium,
    /// incident, claims pointed at premium for `VerifyWorkActivity`, and fund.
    pub async fn start() -> Self {
        let logs = tempfile::tempdir().expect("log directory");
        let prefix = format!("e2e-{}.", uuid::Uuid::now_v7().simple());
        let enrollment = start("enrollment", &prefix, &logs).await;
        let premium = start("premium", &prefix, &logs).await;
        let incident = start("incident", &prefix, &logs).await;
        let claims = start_with(
            "claims",
            &prefix,
            &logs,
            &[
                ("CLAIMS_PREMIUM_ADDR", premium.addr.clone()),
                (
                    "SERVICE_SIGNING_KEY_FILE",
                    dev_service_signing_key().display().to_string(),
                ),
            ],
        )
        .await;
        let fund = start("fund", &prefix, &logs).await;
        let stack = Self {
            prefix,
            enrollment,
            premium,
            incident,
            claims,
            fund,
            _logs: logs,
        };
        stack.no_order_grace().await;
        stack
    }

    /// The story's day lasts seconds: with the default 10-minute grace the rider's later ride
    /// would also cover the accident, and liability would be ambiguous. The national operator
    /// sets the grace to 0 in the scheme calendar, as an operator would, and the stack waits
    /// until claims has heard of it.
    async fn no_order_grace(&self) {
        use gigshield_kit::sea_orm::{ConnectionTrait, Database, Statement};
        use gigshield_proto::common as c;
        use gigshield_proto::enrollment as epb;
        let mut enrollment = epb::enrollment_service_client::EnrollmentServiceClient::new(
            self.enrollment.channel.clone(),
        );
        enrollment
            .add_scheme_rule(as_(
                &Role::national_operator(),
                epb::AddSchemeRuleRequest {
                    request_id: format!("{}no-grace", self.prefix),
                    rule: Some(c::SchemeRule {
                        rule: Some(c::scheme_rule::Rule::Window(c::SchemeWindow {
                            kind: c::SchemeWindowKind::OrderGraceMinutes as i32,
                            effective_from: "2022-07-01".into(),
                            value: 0,
                        })),
                        source: Some(c::Source {
                            document: "end-to-end test: the story's day lasts seconds".into(),
                            url: String::new(),
                            published_on: String::new(),
                            confidence: c::Confidence::Unconfirmed as i32,
                        }),
                    }),
                },
            ))
            .await
            .expect("the calendar takes the grace");
        let claims_db = Database::connect(&self.claims.db.url)
            .await
            .expect("claims db");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let n = claims_db
                .query_one_raw(Statement::from_string(
                    claims_db.get_database_backend(),
                    "SELECT COUNT(*) FROM scheme_rule",
                ))
                .await
                .ok()
                .flatten()
                .and_then(|row| row.try_get_by_index::<i64>(0).ok())
                .unwrap_or(0);
            if n >= 1 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "claims never heard of the grace"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The four processes, in start order.
    pub fn processes(&self) -> [&Process; 5] {
        [
            &self.enrollment,
            &self.premium,
            &self.incident,
            &self.claims,
            &self.fund,
        ]
    }

    /// The stack's name of a topic.
    pub fn topic(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

/// One message of a topic, with what the tests look at.
#[derive(Debug, Clone)]
pub struct Record {
    pub key: String,
    /// The CloudEvents `ce_type` header: the protobuf full name of the payload.
    pub ce_type: String,
    pub payload: Vec<u8>,
    pub partition: i32,
    pub offset: i64,
}

/// Reads every partition of `topic` from its beginning until `done` holds for what was read
/// (in partition, then offset order per partition) or `timeout` passes, and returns what was
/// read either way. Partitions are assigned directly: no consumer group to join, nothing
/// committed.
pub async fn read_topic<F>(topic: &str, timeout: Duration, done: F) -> Vec<Record>
where
    F: Fn(&[Record]) -> bool + Send + 'static,
{
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::Headers;
    use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", kafka_bootstrap())
            .set("group.id", format!("e2e-reader-{}", uuid::Uuid::now_v7()))
            .set("enable.auto.commit", "false")
            .create()
            .expect("Kafka consumer");
        let deadline = std::time::Instant::now() + timeout;
        let metadata = consumer
            .fetch_metadata(Some(&topic), Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("metadata of {topic}: {e}"));
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        assert!(!partitions.is_empty(), "topic {topic} has no partitions");
        let mut assignment = TopicPartitionList::new();
        for partition in partitions {
            assignment
                .add_partition_offset(&topic, partition, Offset::Beginning)
                .expect("partition offset");
        }
        consumer.assign(&assignment).expect("assign partitions");
        let mut records: Vec<Record> = Vec::new();
        while !done(&records) && std::time::Instant::now() < deadline {
            let Some(Ok(msg)) = consumer.poll(Duration::from_millis(200)) else {
                continue;
            };
            let ce_type = msg
                .headers()
                .and_then(|h| h.iter().find(|h| h.key == "ce_type"))
                .and_then(|h| h.value)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default();
            records.push(Record {
                key: String::from_utf8_lossy(msg.key().unwrap_or_default()).into_owned(),
                ce_type,
                payload: msg.payload().unwrap_or_default().to_vec(),
                partition: msg.partition(),
                offset: msg.offset(),
            });
        }
        records
    })
    .await
    .expect("topic reader")
}
