//! `gigshield demo`: brings up the five services on their own databases and topics, and
//! simulates a city-month through their public APIs — the last closed Asia/Shanghai month, so
//! the operator can close it, declare and collect. Ends with a summary and where to look next.

pub mod chart;
pub mod client;
pub mod drive;
pub mod export;
pub mod fund;
pub mod summary;
pub mod workload;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{Datelike, Duration as TimeDelta, Utc};
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use tokio::sync::Mutex;

use crate::stack::{self, Stack, StackConfig, StackInfo};
use client::{RetryStats, Tokens};
use drive::{Application, BenefitTotals, Channels, ClaimBook, Driver, Tally};
use workload::{Sizes, Timeline, Workload};

/// The workload's sizes, shared by `demo` and `chaos`.
#[derive(clap::Args, Debug, Clone)]
pub struct WorkloadArgs {
    /// Seed of the simulation: the same seed gives the same month.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Platforms, cycling through instant delivery, ride-hailing and intra-city freight.
    #[arg(long, default_value_t = 6)]
    pub platforms: usize,
    /// Workers; about one in eight also works for a second platform.
    #[arg(long, default_value_t = 2000)]
    pub workers: usize,
    /// Mean orders of a working worker-day (delivery ×1.6, ride-hailing ×1, freight ×0.35).
    #[arg(long, default_value_t = 3.0)]
    pub orders_per_worker_day: f64,
    /// Incidents (each may lead to one or two applications).
    #[arg(long, default_value_t = 150)]
    pub incidents: usize,
    /// Simulate only the first N days of the month (small runs).
    #[arg(long)]
    pub days: Option<u32>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// Leave the services running at the end (their addresses are printed).
    #[arg(long)]
    pub keep_running: bool,
    /// PostgreSQL server for the demo databases (`demo_<service>`).
    #[arg(
        long,
        env = "GIGSHIELD_PG_URL_BASE",
        default_value = "postgres://gigshield:gigshield@127.0.0.1:5432"
    )]
    pub pg: String,
    #[arg(
        long,
        env = "KAFKA_BOOTSTRAP_SERVERS",
        default_value = "127.0.0.1:9092"
    )]
    pub kafka: String,
}

/// Everything a run produced, for the summary and for chaos's invariants.
pub struct Outcome {
    pub month: CalendarMonth,
    /// The insurer every Shenzhen claim was routed to.
    pub insurer: uuid::Uuid,
    pub workload: Workload,
    pub tally: Tally,
    pub book: ClaimBook,
    pub decisions: BTreeMap<String, u64>,
    pub benefits: BenefitTotals,
    /// Per platform: (declared, paid) fen.
    pub declarations: Vec<(i64, i64)>,
    /// Per platform: premium's statement (orders, billable, fen) of the month.
    pub statements: Vec<(i64, i64, i64)>,
    /// What the fund service shows of the month.
    pub fund: fund::FundView,
    pub failures: Vec<String>,
    pub phases: Vec<(&'static str, Duration)>,
    pub retries: u64,
    pub decision_latencies: Vec<Duration>,
}

/// The last closed Shanghai calendar month and the days simulated in it.
pub fn simulated_month(days: Option<u32>) -> anyhow::Result<(CalendarMonth, Timeline)> {
    let month = CalendarMonth::of(Utc::now())
        .previous()
        .context("no previous month")?;
    let last = match days {
        Some(n) if n >= 1 => {
            let last = month.first_day() + chrono::Days::new(u64::from(n) - 1);
            last.min(month.last_day())
        }
        Some(_) => bail!("--days must be at least 1"),
        None => month.last_day(),
    };
    debug_assert_eq!(last.month(), month.month());
    Ok((month, Timeline::calendar(month.first_day(), last)))
}

pub fn stack_config(label: &str, pg: &str, kafka: &str) -> anyhow::Result<StackConfig> {
    let repo_root = stack::repo_root()?;
    Ok(StackConfig {
        log_dir: repo_root.join(".local").join(label),
        repo_root,
        label: label.to_string(),
        pg_base_url: pg.trim_end_matches('/').to_string(),
        kafka_bootstrap: kafka.to_string(),
        topic_prefix: format!("{label}-{}.", Utc::now().timestamp()),
        extra_env: Vec::new(),
    })
}

pub async fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let config = stack_config("demo", &args.pg, &args.kafka)?;
    eprintln!(
        "starting enrollment, premium, incident, claims and fund (databases demo_*, topics {}*, logs {})",
        config.topic_prefix,
        config.log_dir.display()
    );
    let stack = Stack::start(config.clone()).await?;
    eprintln!(
        "  all five SERVING after {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let result = simulate(&stack.info(), &args.workload).await;
    match result {
        Ok(mut outcome) => {
            let export = match export::write(&stack.info(), &config, &mut outcome).await {
                Ok(view) => export::section(&view),
                Err(e) => {
                    outcome
                        .failures
                        .push(format!("the regulators' export: {e:#}"));
                    String::new()
                }
            };
            let mut text = summary::render(
                &outcome,
                &stack.info(),
                started.elapsed(),
                args.keep_running,
            );
            text.push_str(&export);
            println!("{text}");
            let written = chart::write_beside(&text, &outcome, &config.log_dir)?;
            println!(
                "The summary, with pictures of the month ({}), is in {}",
                chart::PICTURES.join(", "),
                written.display()
            );
            if args.keep_running {
                println!("{}", summary::running(&stack.info()));
                stack.detach();
            } else {
                stack.stop().await;
            }
            if outcome.failures.is_empty() {
                Ok(())
            } else {
                bail!("{} step(s) failed (listed above)", outcome.failures.len())
            }
        }
        Err(err) => {
            let logs = config.log_dir.display().to_string();
            stack.stop().await;
            Err(err.context(format!("the demo failed; service logs are in {logs}")))
        }
    }
}

/// Plays the month against a running stack.
#[expect(
    clippy::too_many_lines,
    reason = "the month's phases in order; to split by phase"
)]
pub async fn simulate(stack: &StackInfo, args: &WorkloadArgs) -> anyhow::Result<Outcome> {
    let (month, timeline) = simulated_month(args.days)?;
    let today = shanghai_date(Utc::now());
    let sizes = Sizes {
        platforms: args.platforms.max(1),
        workers: args.workers.max(2),
        orders_per_worker_day: args.orders_per_worker_day,
        incidents: args.incidents,
        multi_platform_share: 0.12,
    };
    let t = Instant::now();
    let workload = workload::generate(args.seed, &sizes, &timeline, today);
    eprintln!(
        "simulating {month} in Shenzhen: {} platforms, {} workers, {} orders over {} days, {} incidents (seed {})",
        workload.platforms.len(),
        workload.workers.len(),
        workload.order_count(),
        timeline.day_starts.len(),
        workload.incidents.len(),
        args.seed
    );
    let mut phases = vec![("generate the month", t.elapsed())];
    let stats = Arc::new(RetryStats::default());
    let tokens = Tokens::new(&stack.config.repo_root)?;
    let driver = Driver {
        channels: Channels {
            enrollment: stack.channel("enrollment"),
            premium: stack.channel("premium"),
            incident: stack.channel("incident"),
            claims: stack.channel("claims"),
            fund: stack.channel("fund"),
        },
        tokens: tokens.clone(),
        stats: stats.clone(),
        seed: args.seed,
    };
    let mut tally = Tally::default();
    let mut failures = Vec::new();

    // Guangdong's claims go to one commissioned insurer, which watches them from the start.
    let insurer = drive::demo_insurer(args.seed);
    driver.route_to(insurer, "440000").await?;
    let example_figures = driver.example_benefit_figures().await?;
    let book = Arc::new(Mutex::new(ClaimBook::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(drive::watch_claims(
        stack.channel("claims"),
        tokens.clone(),
        insurer,
        book.clone(),
        stop.clone(),
    ));

    let t = Instant::now();
    // The platforms joined, and their workforce was imported with memberships that began,
    // the day before the month (operators may date both, within a year).
    let member_since = timeline.start() - TimeDelta::days(1);
    driver
        .register_platforms(&workload, Some(member_since), &mut tally)
        .await?;
    driver
        .register_workers(&workload, Some(member_since), &mut tally)
        .await?;
    phases.push(("register platforms and workers", t.elapsed()));

    let t = Instant::now();
    driver
        .premium_knows(&stack.config.database_url("premium"), &tally)
        .await?;
    driver.load_rates(&mut tally, timeline.start()).await?;
    driver.report_orders(&workload, &mut tally).await?;
    phases.push(("report orders", t.elapsed()));
    if tally.orders_rejected > 0 {
        failures.push(format!(
            "{} orders rejected, e.g. {}",
            tally.orders_rejected,
            tally.first_rejection.clone().unwrap_or_default()
        ));
    }

    let t = Instant::now();
    driver
        .report_incidents(&workload, &mut tally, &timeline)
        .await?;
    failures.extend(tally.incident_failures.iter().cloned());
    phases.push(("report incidents and apply", t.elapsed()));

    // Every application opens a claim and automation determines it.
    let t = Instant::now();
    wait_for(&book, Duration::from_secs(300), |b| {
        tally.applications.iter().all(|a| {
            b.by_incident
                .get(&a.incident_id)
                .and_then(|ids| ids.first())
                .and_then(|id| b.claims.get(id))
                .is_some_and(|c| c.determined_at.is_some())
        })
    })
    .await
    .context("claims were not all determined within 5 minutes")?;
    let decision_latencies: Vec<Duration> = {
        let b = book.lock().await;
        tally
            .applications
            .iter()
            .filter_map(|a| {
                let id = b.by_incident.get(&a.incident_id)?.first()?;
                Some(
                    b.claims
                        .get(id)?
                        .determined_at?
                        .saturating_duration_since(a.filed),
                )
            })
            .collect()
    };
    phases.push(("claims opened and determined", t.elapsed()));

    let t = Instant::now();
    let mut decisions = BTreeMap::new();
    driver.decide_review_queue(&mut decisions).await?;
    // Every claim now confirmed or refused, as the stream tells.
    wait_for(&book, Duration::from_secs(120), |b| {
        b.claims
            .values()
            .all(|c| c.confirmed.is_some() || c.refused.is_some())
    })
    .await
    .context("decisions did not all reach WatchClaims")?;
    let confirmed: Vec<(String, Application)> = {
        let b = book.lock().await;
        tally
            .applications
            .iter()
            .filter_map(|a| {
                let id = b.by_incident.get(&a.incident_id)?.first()?;
                b.claims.get(id)?.confirmed.map(|_| (id.clone(), a.clone()))
            })
            .collect()
    };
    let mut benefits = driver.benefits(&confirmed, &mut failures).await?;
    benefits.example_figures = example_figures;
    phases.push(("review, appraisal, benefits, payouts", t.elapsed()));

    let t = Instant::now();
    let mut statements = Vec::new();
    for platform_id in &tally.platform_ids {
        statements.push(driver.statement(*platform_id, &month.to_string()).await?);
    }
    let declarations = driver.close_and_pay(month, &tally).await?;
    phases.push(("close the month, declare, collect", t.elapsed()));

    let t = Instant::now();
    let expected = fund::Expected {
        declared_fen: declarations.iter().map(|(declared, _)| declared).sum(),
        received_fen: declarations.iter().map(|(_, paid)| paid).sum(),
        benefits_fen: benefits.paid_fen,
    };
    let fund = driver
        .fund_books(month, insurer, &expected, &mut failures)
        .await?;
    phases.push(("the fund's books and the regulator's counts", t.elapsed()));

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = watcher.await;
    let book = Arc::try_unwrap(book)
        .map_err(|_| anyhow::anyhow!("watcher still holds the claim book"))?
        .into_inner();
    let retries = stats.retries.load(std::sync::atomic::Ordering::Relaxed);
    Ok(Outcome {
        month,
        insurer,
        workload,
        tally,
        book,
        decisions,
        benefits,
        declarations,
        statements,
        fund,
        failures,
        phases,
        retries,
        decision_latencies,
    })
}

/// Polls the claim book until `done` holds, at most `timeout`.
pub async fn wait_for(
    book: &Mutex<ClaimBook>,
    timeout: Duration,
    done: impl Fn(&ClaimBook) -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if done(&*book.lock().await) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
