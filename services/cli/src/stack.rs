//! A process supervisor for the five services: each runs as a child process from the same
//! target directory as the running `gigshield`, on its own freshly created PostgreSQL database
//! and a free port, with a per-run Kafka topic prefix. A service can be SIGKILLed and started
//! again on the same port and database, which is what the chaos run does.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use gigshield_kit::Role;
use gigshield_kit::auth::TokenMinter;
use gigshield_kit::sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tokio::process::{Child, Command};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The services, in start order: enrollment creates the topic the others follow, claims calls
/// premium.
pub const SERVICES: [&str; 5] = ["enrollment", "premium", "incident", "claims", "fund"];

/// Development-only PII keys, the values of deploy/local/dev.env (public; never real data).
const PII_KEYS: &str = "dev1:Bl+i8zgtCzEqGdLuMIBf5lMIOZQzGQAm2PuaeF9gDr0=";
const PII_INDEX_KEY: &str = "Aeic/6V1HmBsTj3HRlDqlf60/gchlTQ06XWlngjW738=";

/// The development signing key, relative to the repository root.
pub const DEV_SIGNING_KEY: &str = "deploy/local/dev-keys/jwt-ed25519.pem";

/// How long a (re)started service has to report SERVING.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Where and how a stack runs.
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// The repository root (dev keys live under it).
    pub repo_root: PathBuf,
    /// `demo` or `chaos`: databases are `<label>_<service>`.
    pub label: String,
    /// `postgres://user:pass@host:port`, without a database.
    pub pg_base_url: String,
    pub kafka_bootstrap: String,
    /// `KAFKA_TOPIC_PREFIX` of every service, e.g. `demo-1764400000.`.
    pub topic_prefix: String,
    /// Logs go to `<log_dir>/<service>.log`.
    pub log_dir: PathBuf,
    /// Extra variables for one service (name, variable, value).
    pub extra_env: Vec<(&'static str, String, String)>,
}

impl StackConfig {
    pub fn database_url(&self, service: &str) -> String {
        format!("{}/{}_{service}", self.pg_base_url, self.label)
    }

    pub fn topic(&self, topic: &str) -> String {
        format!("{}{topic}", self.topic_prefix)
    }
}

struct Supervised {
    name: &'static str,
    port: u16,
    env: Vec<(String, String)>,
    child: Option<Child>,
    log: PathBuf,
    starts: u32,
}

/// What a client needs of a running stack: addresses and configuration, without the
/// processes (so a chaos task may own those meanwhile).
#[derive(Debug, Clone)]
pub struct StackInfo {
    pub config: StackConfig,
    ports: Vec<(&'static str, u16)>,
}

impl StackInfo {
    pub fn addr(&self, name: &str) -> String {
        let port = self
            .ports
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| *p)
            .unwrap_or_default();
        format!("http://127.0.0.1:{port}")
    }

    /// A channel that reconnects by itself, so it survives restarts of the service.
    pub fn channel(&self, name: &str) -> Channel {
        Channel::from_shared(self.addr(name))
            .expect("valid address")
            .connect_timeout(Duration::from_secs(2))
            .connect_lazy()
    }
}

/// The running services.
pub struct Stack {
    config: StackConfig,
    services: Vec<Supervised>,
}

/// Where cargo put the service binaries: beside the running executable (or, for a test or
/// example binary under `deps/`, one level up).
pub fn binary_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("path of the running executable")?;
    let mut dir = exe
        .parent()
        .context("executable has no directory")?
        .to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    Ok(dir)
}

/// Ports the stack's services listen on: below Linux's ephemeral range (32768–60999), so that a
/// service SIGKILLed by the chaos run finds its port free again when it restarts — inside the
/// range any outgoing connection may have taken it meanwhile.
const SERVICE_PORTS: std::ops::Range<u16> = 20_000..32_000;

fn free_port() -> anyhow::Result<u16> {
    // Each call starts past the last port handed out: the service given it may not listen yet.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let span = u32::from(SERVICE_PORTS.end - SERVICE_PORTS.start);
    let start =
        std::process::id().wrapping_mul(7) % span + NEXT.load(std::sync::atomic::Ordering::Relaxed);
    let (offset, port) = (0..span)
        .map(|i| {
            (
                i,
                SERVICE_PORTS.start + u16::try_from((start + i) % span).unwrap_or(0),
            )
        })
        .find(|(_, port)| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .with_context(|| format!("no free port in {SERVICE_PORTS:?}"))?;
    NEXT.fetch_add(offset + 1, std::sync::atomic::Ordering::Relaxed);
    Ok(port)
}

/// The repository root: the current directory, which must hold the development keys.
pub fn repo_root() -> anyhow::Result<PathBuf> {
    let dir = std::env::current_dir()?;
    if !dir.join(DEV_SIGNING_KEY).exists() {
        bail!(
            "{} not found: run from the repository root (make demo does)",
            DEV_SIGNING_KEY
        );
    }
    Ok(dir)
}

/// The development identity provider: the development key, issuer and audience.
pub fn dev_minter(key: &Path) -> anyhow::Result<TokenMinter> {
    Ok(TokenMinter::from_file(key)
        .with_context(|| format!("development signing key {}", key.display()))?
        .with_issuer(
            Some(gigshield_kit::auth::DEV_ISSUER.into()),
            Some(gigshield_kit::auth::DEV_AUDIENCE.into()),
        ))
}

/// A bearer token for `role`, signed with the development key (at most a day: the services
/// refuse longer-lived tokens).
pub fn dev_token(repo_root: &Path, role: &Role, ttl: Duration) -> anyhow::Result<String> {
    let minter = dev_minter(&repo_root.join(DEV_SIGNING_KEY))?;
    Ok(minter.mint("demo", role, ttl.min(Duration::from_secs(24 * 3600))))
}

/// Drops and creates `<label>_<service>` for every service on the server of `pg_base_url`.
pub async fn recreate_databases(config: &StackConfig) -> anyhow::Result<()> {
    let admin = connect_admin(&config.pg_base_url).await?;
    for service in SERVICES {
        let db = format!("{}_{service}", config.label);
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .await
            .with_context(|| format!("drop {db}"))?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {db}"))
            .await
            .with_context(|| format!("create {db}"))?;
    }
    admin.close().await.ok();
    Ok(())
}

async fn connect_admin(pg_base_url: &str) -> anyhow::Result<DatabaseConnection> {
    Database::connect(format!("{pg_base_url}/postgres"))
        .await
        .with_context(|| format!("connect to PostgreSQL at {pg_base_url}"))
}

impl Stack {
    /// Recreates the databases and starts every service, each waited for until SERVING.
    pub async fn start(config: StackConfig) -> anyhow::Result<Self> {
        let bins = binary_dir()?;
        for name in SERVICES {
            let path = bins.join(format!("gigshield-{name}"));
            if !path.exists() {
                bail!(
                    "{} is missing: build the services first (cargo build --locked --bins)",
                    path.display()
                );
            }
        }
        std::fs::create_dir_all(&config.log_dir)
            .with_context(|| format!("create {}", config.log_dir.display()))?;
        recreate_databases(&config).await?;
        let keys = ["jwt-ed25519.pub.pem", "jwt-rs256.pub.pem"]
            .iter()
            .map(|k| {
                config
                    .repo_root
                    .join("deploy/local/dev-keys")
                    .join(k)
                    .display()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join(",");
        let dev_key = |file: &str| {
            config
                .repo_root
                .join("deploy/local/dev-keys")
                .join(file)
                .display()
                .to_string()
        };
        let mut services = Vec::new();
        let mut premium_addr = String::new();
        for name in SERVICES {
            let port = free_port()?;
            let mut env: Vec<(String, String)> = vec![
                ("DATABASE_URL".into(), config.database_url(name)),
                ("GRPC_ADDR".into(), format!("127.0.0.1:{port}")),
                (
                    "KAFKA_BOOTSTRAP_SERVERS".into(),
                    config.kafka_bootstrap.clone(),
                ),
                ("KAFKA_SESSION_TIMEOUT_MS".into(), "6000".into()),
                ("KAFKA_TOPIC_PREFIX".into(), config.topic_prefix.clone()),
                ("JWT_PUBLIC_KEYS".into(), keys.clone()),
                ("JWT_ISSUER".into(), gigshield_kit::auth::DEV_ISSUER.into()),
                (
                    "JWT_AUDIENCE".into(),
                    gigshield_kit::auth::DEV_AUDIENCE.into(),
                ),
                ("PII_KEYS".into(), PII_KEYS.into()),
                ("PII_CURRENT_KEY_ID".into(), "dev1".into()),
                ("PII_INDEX_KEY".into(), PII_INDEX_KEY.into()),
                ("OUTBOX_POLL_INTERVAL_MS".into(), "20".into()),
                ("SHUTDOWN_GRACE_MS".into(), "5000".into()),
                ("RUST_LOG".into(), "info".into()),
            ];
            if name == "premium" {
                premium_addr = format!("http://127.0.0.1:{port}");
                // Claims calls premium with its own short-lived service tokens.
                env.push((
                    "JWT_SERVICE_KEYS".into(),
                    format!("claims={}", dev_key("service-claims.pub.pem")),
                ));
            }
            if name == "claims" {
                env.push(("CLAIMS_PREMIUM_ADDR".into(), premium_addr.clone()));
                env.push((
                    "SERVICE_SIGNING_KEY_FILE".into(),
                    dev_key("service-claims.pem"),
                ));
            }
            for (service, var, value) in &config.extra_env {
                if *service == name {
                    env.push((var.clone(), value.clone()));
                }
            }
            services.push(Supervised {
                name,
                port,
                env,
                child: None,
                log: config.log_dir.join(format!("{name}.log")),
                starts: 0,
            });
        }
        let mut stack = Self { config, services };
        for name in SERVICES {
            stack.restart(name).await?;
        }
        Ok(stack)
    }

    pub fn config(&self) -> &StackConfig {
        &self.config
    }

    pub fn info(&self) -> StackInfo {
        StackInfo {
            config: self.config.clone(),
            ports: self.services.iter().map(|s| (s.name, s.port)).collect(),
        }
    }

    /// How often each service was started (1 + restarts).
    pub fn starts(&self) -> Vec<(&'static str, u32)> {
        self.services.iter().map(|s| (s.name, s.starts)).collect()
    }

    fn service(&mut self, name: &str) -> anyhow::Result<&mut Supervised> {
        self.services
            .iter_mut()
            .find(|s| s.name == name)
            .with_context(|| format!("no service {name}"))
    }

    /// `http://127.0.0.1:<port>` of a service.
    pub fn addr(&self, name: &str) -> String {
        self.info().addr(name)
    }

    pub fn log_path(&self, name: &str) -> PathBuf {
        self.config.log_dir.join(format!("{name}.log"))
    }

    /// SIGKILL: no grace, no flush, no goodbye.
    pub async fn kill(&mut self, name: &str) -> anyhow::Result<()> {
        let service = self.service(name)?;
        if let Some(mut child) = service.child.take() {
            child.start_kill().ok();
            child.wait().await.ok();
        }
        Ok(())
    }

    /// Starts the service (again) on the same port and database and waits until SERVING.
    pub async fn restart(&mut self, name: &str) -> anyhow::Result<()> {
        let bins = binary_dir()?;
        let service = self.service(name)?;
        if let Some(child) = service.child.as_mut()
            && child.try_wait()?.is_none()
        {
            bail!("{name} is still running");
        }
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(&service.log)
            .with_context(|| format!("open {}", service.log.display()))?;
        let child = Command::new(bins.join(format!("gigshield-{name}")))
            .envs(service.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start gigshield-{name}"))?;
        service.child = Some(child);
        service.starts += 1;
        self.wait_serving(name, START_TIMEOUT).await
    }

    /// Waits until the service's overall health is SERVING (database and Kafka reachable).
    pub async fn wait_serving(&mut self, name: &str, timeout: Duration) -> anyhow::Result<()> {
        let addr = self.addr(name);
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok(channel) = Channel::from_shared(addr.clone())?.connect().await {
                let status = HealthClient::new(channel)
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await
                    .map(|r| r.into_inner().status);
                if status.is_ok_and(|s| s == ServingStatus::Serving as i32) {
                    return Ok(());
                }
            }
            let service = self.service(name)?;
            let log = service.log.clone();
            if let Some(child) = service.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "{name} exited ({status}) before SERVING; see {}:\n{}",
                    log.display(),
                    log_tail(&log, 20)
                );
            }
            if tokio::time::Instant::now() > deadline {
                bail!(
                    "{name} did not report SERVING within {timeout:?}; see {}:\n{}",
                    log.display(),
                    log_tail(&log, 20)
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Every service that exited by itself (not killed by us), with its exit status.
    pub fn crashed(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for service in &mut self.services {
            if let Some(child) = service.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                out.push(format!("{} ({status})", service.name));
            }
        }
        out
    }

    /// Asks every service to stop (SIGTERM, the graceful path), then kills what is left.
    pub async fn stop(mut self) {
        for service in self.services.iter_mut().rev() {
            if let Some(mut child) = service.child.take() {
                if let Some(pid) = child.id() {
                    let _ = Command::new("kill")
                        .args(["-TERM", &pid.to_string()])
                        .status()
                        .await;
                }
                if tokio::time::timeout(Duration::from_secs(10), child.wait())
                    .await
                    .is_err()
                {
                    child.start_kill().ok();
                    child.wait().await.ok();
                }
            }
        }
    }

    /// Leaves the processes running after this program exits (`--keep-running`).
    pub fn detach(mut self) {
        for service in &mut self.services {
            // Dropping a tokio Child with kill_on_drop kills it; forget the handle instead.
            if let Some(child) = service.child.take() {
                std::mem::forget(child);
            }
        }
    }
}

/// The last `lines` lines of a log file.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
