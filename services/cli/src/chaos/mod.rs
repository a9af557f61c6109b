//! `gigshield chaos`: the demo's workload on its own PostgreSQL and Kafka (so restarting them
//! disturbs nobody else), while a seeded chaos task SIGKILLs every service at random moments
//! and restarts it, restarts the broker and restarts PostgreSQL, and hurts the network between
//! the services and both (latency, resets, partitions) through a fault proxy in front of each.
//! Afterwards the invariants are checked from outside, and any violation makes the command
//! fail.

mod fault_proxy;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use gigshield_kit::sea_orm::{ConnectionTrait, Database, Statement};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

use crate::demo::drive::rate_of;
use crate::demo::workload::Rng;
use crate::demo::{self, Outcome, WorkloadArgs};
use crate::stack::{SERVICES, Stack};
use fault_proxy::{Fault, FaultProxy};

#[derive(clap::Args, Debug, Clone)]
pub struct ChaosArgs {
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// SIGKILLs per service during the run.
    #[arg(long, default_value_t = 2)]
    pub kills_per_service: u32,
    /// Broker restarts during the run.
    #[arg(long, default_value_t = 1)]
    pub kafka_restarts: u32,
    /// PostgreSQL restarts during the run.
    #[arg(long, default_value_t = 1)]
    pub postgres_restarts: u32,
    /// Longest pause between two chaos events, in milliseconds (the pause is random).
    #[arg(long, default_value_t = 8000)]
    pub max_pause_ms: u64,
    /// The chaos run's own PostgreSQL port (its cluster lives in .local/chaos). Below Linux's
    /// ephemeral range (32768–60999): a port inside it can be held by any outgoing connection
    /// of an earlier test, and PostgreSQL then fails to bind (it did, in CI, on 55432).
    #[arg(long, default_value_t = 15432)]
    pub pg_port: u16,
    /// The chaos run's own Kafka broker port (and the controller's).
    #[arg(long, default_value_t = 19092)]
    pub kafka_port: u16,
    #[arg(long, default_value_t = 19093)]
    pub kafka_controller_port: u16,
    /// Network faults during the run, taken in turn from partition, connection reset and
    /// latency (200 ms per chunk), on the link to PostgreSQL and to Kafka alternately; a
    /// partition or latency lasts 2 to 5 s.
    #[arg(long, default_value_t = 3)]
    pub network_faults: u32,
    /// Where the services reach PostgreSQL: the fault proxy in front of `--pg-port`.
    #[arg(long, default_value_t = 15433)]
    pub pg_proxy_port: u16,
    /// Where the services reach Kafka: the fault proxy in front of `--kafka-port` (the broker
    /// advertises this port, so every connection to it goes through the proxy).
    #[arg(long, default_value_t = 19094)]
    pub kafka_proxy_port: u16,
}

/// A link the chaos run can hurt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Link {
    Postgres,
    Kafka,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Service(&'static str),
    Kafka,
    Postgres,
    Network(Link, Fault),
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Self::Service(s) => s,
            Self::Kafka => "kafka broker",
            Self::Postgres => "postgresql",
            Self::Network(Link::Postgres, Fault::Partition) => "network partition to postgresql",
            Self::Network(Link::Postgres, Fault::Reset) => "connections to postgresql reset",
            Self::Network(Link::Postgres, Fault::Latency) => "latency to postgresql",
            Self::Network(Link::Kafka, Fault::Partition) => "network partition to kafka",
            Self::Network(Link::Kafka, Fault::Reset) => "connections to kafka reset",
            Self::Network(Link::Kafka, Fault::Latency) => "latency to kafka",
        }
    }
}

/// The `n`-th network fault of a run: kinds in turn, links alternating, so three faults hit
/// both links and every kind.
fn network_fault(n: u32) -> Target {
    let fault = [Fault::Partition, Fault::Reset, Fault::Latency][(n % 3) as usize];
    let link = if n.is_multiple_of(2) {
        Link::Postgres
    } else {
        Link::Kafka
    };
    Target::Network(link, fault)
}

/// The chaos run's own infrastructure: scripts of deploy/local with another state folder and
/// other ports.
struct Infra {
    repo_root: std::path::PathBuf,
    local_dir: std::path::PathBuf,
    pg_port: u16,
    kafka_port: u16,
    controller_port: u16,
    /// The port the broker advertises: its fault proxy's.
    kafka_advertised_port: u16,
}

impl Infra {
    async fn script(&self, script: &str, action: &str) -> anyhow::Result<()> {
        let out = tokio::process::Command::new(self.repo_root.join("deploy/local").join(script))
            .arg(action)
            .env("GIGSHIELD_LOCAL_DIR", &self.local_dir)
            .env("GIGSHIELD_PG_PORT", self.pg_port.to_string())
            .env("GIGSHIELD_KAFKA_PORT", self.kafka_port.to_string())
            .env(
                "GIGSHIELD_KAFKA_CONTROLLER_PORT",
                self.controller_port.to_string(),
            )
            .env(
                "GIGSHIELD_KAFKA_ADVERTISED_PORT",
                self.kafka_advertised_port.to_string(),
            )
            .env_remove("KAFKA_BOOTSTRAP_SERVERS")
            .env_remove("GIGSHIELD_PG_ADMIN_URL")
            .output()
            .await
            .with_context(|| format!("run {script} {action}"))?;
        if !out.status.success() {
            bail!(
                "{script} {action} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Reuses the main Kafka jars instead of downloading them again: kafka.sh finds its libs
    /// (with the pom's stamp) already in place.
    fn share_kafka_jars(&self) -> anyhow::Result<()> {
        let shared = self.repo_root.join(".local/kafka/libs");
        let mine = self.local_dir.join("kafka/libs");
        if shared.join(".pom.sha256").exists() && !mine.exists() {
            std::fs::create_dir_all(self.local_dir.join("kafka"))?;
            std::os::unix::fs::symlink(&shared, &mine)
                .with_context(|| format!("link {}", mine.display()))?;
        }
        Ok(())
    }

    async fn up(&self) -> anyhow::Result<()> {
        self.share_kafka_jars()?;
        self.script("postgres.sh", "up").await?;
        self.script("kafka.sh", "up").await
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "the run's stages in order (infrastructure, stack, workload with faults, invariants); to split by stage"
)]
pub async fn run(args: &ChaosArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let repo_root = crate::stack::repo_root()?;
    let infra = Infra {
        local_dir: repo_root.join(".local/chaos"),
        repo_root,
        pg_port: args.pg_port,
        kafka_port: args.kafka_port,
        controller_port: args.kafka_controller_port,
        kafka_advertised_port: args.kafka_proxy_port,
    };
    let local = |port: u16| std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let proxies = Arc::new(Proxies {
        postgres: FaultProxy::start(local(args.pg_proxy_port), local(infra.pg_port)).await?,
        kafka: FaultProxy::start(local(args.kafka_proxy_port), local(infra.kafka_port)).await?,
    });
    eprintln!(
        "chaos: own PostgreSQL on :{} and Kafka on :{}, reached through fault proxies on :{} \
         and :{} (state in {})",
        infra.pg_port,
        infra.kafka_port,
        proxies.postgres.addr.port(),
        proxies.kafka.addr.port(),
        infra.local_dir.display()
    );
    infra.up().await?;
    let mut config = demo::stack_config(
        "chaos",
        &format!(
            "postgres://gigshield:gigshield@127.0.0.1:{}",
            proxies.postgres.addr.port()
        ),
        &format!("127.0.0.1:{}", proxies.kafka.addr.port()),
    )?;
    config.log_dir = infra.local_dir.join("logs");
    let stack = Stack::start(config).await?;
    let info = stack.info();
    eprintln!(
        "  all five SERVING after {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // The schedule: every target the asked number of times, in a seeded random order.
    let mut rng = Rng::new(args.workload.seed ^ 0x000C_4A05);
    let mut schedule = Vec::new();
    for name in SERVICES {
        for _ in 0..args.kills_per_service {
            schedule.push(Target::Service(name));
        }
    }
    schedule.extend((0..args.kafka_restarts).map(|_| Target::Kafka));
    schedule.extend((0..args.postgres_restarts).map(|_| Target::Postgres));
    schedule.extend((0..args.network_faults).map(network_fault));
    for i in (1..schedule.len()).rev() {
        schedule.swap(i, rng.range(0, i as i64 + 1) as usize);
    }

    let workload_done = Arc::new(AtomicBool::new(false));
    let chaos = tokio::spawn(chaos_task(
        stack,
        infra,
        proxies.clone(),
        schedule,
        rng,
        args.max_pause_ms,
        workload_done.clone(),
    ));
    let outcome = demo::simulate(&info, &args.workload).await;
    workload_done.store(true, Ordering::Relaxed);
    let (mut stack, log) = chaos.await.context("chaos task panicked")?;
    let (outcome, log) = match (outcome, log) {
        (Ok(o), Ok(log)) => (o, log),
        (Err(e), _) | (_, Err(e)) => {
            stack.stop().await;
            return Err(e.context(format!(
                "the chaos run failed; logs in {}",
                info.config.log_dir.display()
            )));
        }
    };
    let crashed = stack.crashed();

    eprintln!("settling: waiting for every outbox to drain");
    let report = check(&info, &outcome).await;
    stack.stop().await;
    drop(proxies);
    let report = report?;

    println!("\n== gigshield chaos: {} ==\n", outcome.month);
    println!("| target | kills / restarts survived |");
    println!("|---|---:|");
    let mut per_target: BTreeMap<&str, u32> = BTreeMap::new();
    for (target, _) in &log {
        *per_target.entry(target.name()).or_default() += 1;
    }
    for (name, n) in &per_target {
        println!("| {name} | {n} |");
    }
    println!("\n| invariant | checked | result |");
    println!("|---|---:|---|");
    for (name, count, violation) in &report {
        println!(
            "| {name} | {count} | {} |",
            violation.as_deref().unwrap_or("ok")
        );
    }
    println!(
        "\nWorkload: {} orders, {} applications, {} claim events; {} calls retried; {:.1}s in all.",
        outcome.workload.order_count(),
        outcome.tally.applications.len(),
        outcome.book.events,
        outcome.retries,
        started.elapsed().as_secs_f64()
    );
    println!("Chaos events:");
    for (target, at) in &log {
        println!("  {:>7.1}s {}", at.as_secs_f64(), target.name());
    }
    let violations: Vec<&String> = report.iter().filter_map(|(_, _, v)| v.as_ref()).collect();
    if !crashed.is_empty() {
        bail!("services exited by themselves: {}", crashed.join(", "));
    }
    if !outcome.failures.is_empty() {
        bail!(
            "{} workload step(s) failed: {}",
            outcome.failures.len(),
            outcome.failures.join("; ")
        );
    }
    if !violations.is_empty() {
        bail!("{} invariant(s) violated", violations.len());
    }
    println!(
        "CHAOS OK: {} kills/restarts survived, {} invariants held",
        log.len(),
        report.len()
    );
    Ok(())
}

/// The fault proxies in front of the chaos run's PostgreSQL and Kafka: every service and the
/// final checks reach both through them, so they live until the stack has stopped.
struct Proxies {
    postgres: FaultProxy,
    kafka: FaultProxy,
}

/// Works through the schedule while the workload runs; once the workload is done, the rest
/// of the schedule runs without pauses, so every target is always hit.
async fn chaos_task(
    mut stack: Stack,
    infra: Infra,
    proxies: Arc<Proxies>,
    schedule: Vec<Target>,
    mut rng: Rng,
    max_pause_ms: u64,
    workload_done: Arc<AtomicBool>,
) -> (Stack, anyhow::Result<Vec<(Target, Duration)>>) {
    let started = Instant::now();
    let mut log = Vec::new();
    for target in schedule {
        if !workload_done.load(Ordering::Relaxed) {
            let pause =
                Duration::from_millis(rng.range(1000, max_pause_ms.max(1001) as i64) as u64);
            let until = Instant::now() + pause;
            while Instant::now() < until && !workload_done.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let result = match target {
            Target::Service(name) => {
                eprintln!("\n  chaos: SIGKILL {name}");
                let down = Duration::from_millis(rng.range(100, 1500) as u64);
                async {
                    stack.kill(name).await?;
                    tokio::time::sleep(down).await;
                    stack.restart(name).await
                }
                .await
            }
            Target::Kafka => {
                eprintln!("\n  chaos: restart the Kafka broker");
                async {
                    infra.script("kafka.sh", "down").await?;
                    infra.script("kafka.sh", "up").await?;
                    wait_all_serving(&mut stack).await
                }
                .await
            }
            Target::Network(link, fault) => {
                let proxy = match link {
                    Link::Postgres => &proxies.postgres,
                    Link::Kafka => &proxies.kafka,
                };
                let lasting = Duration::from_millis(rng.range(2000, 5000) as u64);
                eprintln!("\n  chaos: {} ({lasting:?})", target.name());
                async {
                    proxy.inject(fault, lasting).await;
                    wait_all_serving(&mut stack).await
                }
                .await
            }
            Target::Postgres => {
                eprintln!("\n  chaos: restart PostgreSQL");
                async {
                    infra.script("postgres.sh", "down").await?;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    infra.script("postgres.sh", "up").await?;
                    wait_all_serving(&mut stack).await
                }
                .await
            }
        };
        if let Err(e) = result {
            return (stack, Err(e.context(format!("chaos on {}", target.name()))));
        }
        log.push((target, started.elapsed()));
    }
    (stack, Ok(log))
}

async fn wait_all_serving(stack: &mut Stack) -> anyhow::Result<()> {
    for name in SERVICES {
        stack.wait_serving(name, Duration::from_secs(180)).await?;
    }
    Ok(())
}

type Check = (String, u64, Option<String>);

/// Waits for the system to settle, then checks every invariant from outside.
async fn check(info: &crate::stack::StackInfo, o: &Outcome) -> anyhow::Result<Vec<Check>> {
    let mut out: Vec<Check> = Vec::new();
    let month = o.month.to_string();

    // 1. Every accepted order counted once, per platform-month.
    let mut orders = 0u64;
    let mut bad = Vec::new();
    for (p, (count, billable, _)) in o.statements.iter().enumerate() {
        let mine = o.tally.orders[p].get(&month).copied().unwrap_or_default();
        orders += mine.0 as u64;
        if (*count, *billable) != mine {
            bad.push(format!(
                "platform {p}: premium counts {count} orders ({billable} billable), the generator got {} ({}) accepted",
                mine.0, mine.1
            ));
        }
    }
    out.push(violation(
        "every accepted order counted once (statement = generator's tally)",
        orders,
        bad,
    ));

    // 2. Σ fees = Σ billable × rate per platform-month, and the declaration says the same.
    let mut bad = Vec::new();
    for (p, (_, billable, fen)) in o.statements.iter().enumerate() {
        let rate = rate_of(&o.tally, o.workload.platforms[p].industry);
        if *fen != billable * rate {
            bad.push(format!(
                "platform {p}: fees {fen} fen ≠ {billable} × {rate}"
            ));
        }
        let declared = o.declarations.get(p).map(|d| d.0).unwrap_or_default();
        if declared != *fen {
            bad.push(format!(
                "platform {p}: declared {declared} fen ≠ fees {fen}"
            ));
        }
    }
    out.push(violation(
        "Σ fees = Σ billable × rate = declaration, per platform-month",
        o.statements.len() as u64,
        bad,
    ));

    // 3. Every application has exactly one claim, and every claim an application.
    let mut bad = Vec::new();
    for app in &o.tally.applications {
        let n = o
            .book
            .by_incident
            .get(&app.incident_id)
            .map(Vec::len)
            .unwrap_or(0);
        if n != 1 {
            bad.push(format!("incident {}: {n} claims", app.incident_id));
        }
    }
    let opened: usize = o.book.by_incident.values().map(Vec::len).sum();
    if opened != o.tally.applications.len() {
        bad.push(format!(
            "{opened} claims opened for {} applications",
            o.tally.applications.len()
        ));
    }
    out.push(violation(
        "every application has exactly one claim",
        o.tally.applications.len() as u64,
        bad,
    ));

    // 4. No outbox row left unsent (polled: relays finish what the kills left).
    let deadline = Instant::now() + Duration::from_secs(180);
    let unsent = loop {
        let unsent = unsent_outbox_rows(info).await?;
        if unsent.values().all(|n| *n == 0) || Instant::now() > deadline {
            break unsent;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let bad: Vec<String> = unsent
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{s}: {n} unsent"))
        .collect();
    out.push(violation(
        "no outbox row left unsent (4 service databases)",
        unsent.len() as u64,
        bad,
    ));

    // 5. Every claim event reached the topic, once per event id.
    let topic = info.config.topic("claims.events.v1");
    let (distinct, copies) = count_topic_events(&info.config.kafka_bootstrap, &topic).await?;
    let mut bad = Vec::new();
    if distinct != o.book.events {
        bad.push(format!(
            "{distinct} distinct event ids on {topic}, {} events on WatchClaims",
            o.book.events
        ));
    }
    let mut check = violation(
        "every claim event on the topic, once per event id",
        distinct,
        bad,
    );
    if copies > 0 && check.2.is_none() {
        check.0 = format!(
            "{} ({copies} redelivered copies after kills, same ids: consumers drop them)",
            check.0
        );
    }
    out.push(check);
    Ok(out)
}

fn violation(name: &str, count: u64, bad: Vec<String>) -> Check {
    let v = if bad.is_empty() {
        None
    } else {
        Some(format!(
            "VIOLATED: {}",
            bad.into_iter().take(5).collect::<Vec<_>>().join("; ")
        ))
    };
    (name.to_string(), count, v)
}

async fn unsent_outbox_rows(
    info: &crate::stack::StackInfo,
) -> anyhow::Result<BTreeMap<&'static str, i64>> {
    let mut out = BTreeMap::new();
    for name in SERVICES {
        let db = Database::connect(info.config.database_url(name))
            .await
            .with_context(|| format!("connect to {name}'s database"))?;
        let n = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL",
            ))
            .await?
            .and_then(|row| row.try_get_by_index::<i64>(0).ok())
            .unwrap_or(-1);
        db.close().await.ok();
        out.insert(name, n);
    }
    Ok(out)
}

/// Reads the topic from the start to its end: (distinct ce_id, extra copies).
/// The one event type of `claims.events.v1` that is about no claim.
const NOT_A_CLAIM_EVENT: &str = "gigshield.events.v1.BenefitFigureAdded";

async fn count_topic_events(bootstrap: &str, topic: &str) -> anyhow::Result<(u64, u64)> {
    let bootstrap = bootstrap.to_string();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", format!("chaos-check-{}", uuid::Uuid::now_v7()))
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .create()
            .context("Kafka consumer")?;
        let metadata = consumer
            .fetch_metadata(Some(&topic), Duration::from_secs(30))
            .context("topic metadata")?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        let mut ends = HashMap::new();
        let mut assignment = TopicPartitionList::new();
        for p in &partitions {
            let (low, high) = consumer
                .fetch_watermarks(&topic, *p, Duration::from_secs(30))
                .context("watermarks")?;
            if high > low {
                ends.insert(*p, high);
                assignment.add_partition_offset(&topic, *p, Offset::Beginning)?;
            }
        }
        let mut seen: HashMap<Vec<u8>, u64> = HashMap::new();
        if ends.is_empty() {
            return Ok((0, 0));
        }
        consumer.assign(&assignment)?;
        let deadline = Instant::now() + Duration::from_secs(120);
        while !ends.is_empty() {
            if Instant::now() > deadline {
                bail!("could not read {topic} to its end within 2 minutes");
            }
            let Some(msg) = consumer.poll(Duration::from_millis(500)) else {
                continue;
            };
            let msg = msg?;
            let id = msg
                .headers()
                .and_then(|h| {
                    h.iter()
                        .find(|h| h.key == "ce_id")
                        .and_then(|h| h.value.map(<[u8]>::to_vec))
                })
                .unwrap_or_default();
            let ce_type = msg.headers().and_then(|h| {
                h.iter()
                    .find(|h| h.key == "ce_type")
                    .and_then(|h| h.value.map(<[u8]>::to_vec))
            });
            // Benefit figures share the topic but are no claim's events (not on WatchClaims).
            if ce_type.as_deref() != Some(NOT_A_CLAIM_EVENT.as_bytes()) {
                *seen.entry(id).or_default() += 1;
            }
            if ends
                .get(&msg.partition())
                .is_some_and(|end| msg.offset() + 1 >= *end)
            {
                ends.remove(&msg.partition());
            }
        }
        let distinct = seen.len() as u64;
        let copies = seen.values().map(|n| n - 1).sum();
        Ok((distinct, copies))
    })
    .await?
}
