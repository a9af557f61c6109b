//! Load on premium: the order stream end to end into PostgreSQL (`StreamOrders`: gRPC stream
//! in, orders durable, dedupe, coverage days, ledger accrual, outbox), a bare `COPY` of the
//! same rows into the same table as the ceiling, and `VerifyWorkActivity` latency at a fixed
//! rate with tens of millions of orders stored.
//!
//! Workers come in the way they do in production: registered with enrollment
//! (`BulkRegisterWorkers`), published on Kafka, replicated by premium. The month of orders
//! ended yesterday, so the operator registers the platform and imports its riders with starts
//! dated before it (`effective_from`, `registered_at`), as a platform joining with its
//! workforce would be.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, FixedOffset, NaiveTime, TimeZone, Utc};
use gigshield_kit::Role;
use gigshield_kit::sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, Statement, TransactionTrait, Value,
};
use gigshield_kit::wire::timestamp;
use gigshield_proto::common::Industry;
use gigshield_proto::enrollment as epb;
use gigshield_proto::enrollment::enrollment_service_client::EnrollmentServiceClient;
use gigshield_proto::premium as pb;
use gigshield_proto::premium::premium_service_client::PremiumServiceClient;
use tonic::transport::Channel;
use uuid::Uuid;

use super::report::{Percentiles, machine, ms};
use super::{authorized, connect_when_serving, synthetic};

/// premium's `MAX_BATCH`: the most orders one ReportOrders message may carry.
pub(super) const PREMIUM_MAX_BATCH: usize = 2000;
/// premium's `MAX_STREAM_BATCH`: the most orders one StreamOrders message may carry.
const PREMIUM_MAX_STREAM_BATCH: usize = 10_000;
/// enrollment's `MAX_BATCH`.
const ENROLLMENT_MAX_BATCH: usize = 1000;
/// The seeded national rate for instant delivery (2025-07-01), fen per order.
const INSTANT_DELIVERY_FEN: i64 = 7;

/// The platform's provinces and the districts its riders work in (one district per rider).
pub(super) const PROVINCES: [&str; 5] = ["110000", "310000", "440000", "330000", "510000"];
pub(super) const DISTRICTS: [&str; 6] =
    ["110105", "310104", "440305", "440106", "330106", "510107"];

/// Share of a day's instant-delivery orders per Shanghai hour: lunch and dinner peaks.
const HOURLY_WEIGHT: [f64; 24] = [
    2.0, 1.0, 0.6, 0.4, 0.4, 0.8, 2.0, 4.0, 5.0, 5.0, 7.0, 12.0, 13.0, 8.0, 5.0, 5.0, 6.0, 9.0,
    12.0, 11.0, 8.0, 6.0, 4.0, 3.0,
];

#[derive(clap::Args, Debug)]
pub struct PremiumLoad {
    /// The premium service.
    #[arg(long, default_value = "http://127.0.0.1:50162")]
    pub addr: String,
    /// The enrollment service whose events premium replicates.
    #[arg(long, default_value = "http://127.0.0.1:50161")]
    pub enrollment_addr: String,
    /// Premium's database: replica checks, result checks, growing `orders`.
    #[arg(long)]
    pub database_url: String,
    /// An empty database for the COPY ceiling; premium's schema is copied into it.
    #[arg(long)]
    pub copy_database_url: String,
    /// Where psql and pg_dump are.
    #[arg(long, default_value = "/usr/lib/postgresql/15/bin")]
    pub pg_bin: PathBuf,
    /// The CSV file the COPY reads (deleted afterwards).
    #[arg(long, default_value = ".local/bench-premium-orders.csv")]
    pub csv: PathBuf,
    /// Riders registered with the platform.
    #[arg(long, default_value_t = 20_000)]
    pub workers: u64,
    /// Orders reported, spread over 30 Shanghai days.
    #[arg(long, default_value_t = 5_000_000)]
    pub orders: u64,
    /// Orders per StreamOrders message (at most 10,000).
    #[arg(long, default_value_t = 5_000)]
    pub batch: usize,
    /// Concurrent StreamOrders calls, each carrying its share of the batches.
    #[arg(long, default_value_t = 4)]
    pub streams: u64,
    /// A second premium replica on the same database: after the main stream, the first
    /// `--replica-orders` orders are reported again under new ids, once through the first
    /// replica alone and once with the streams split over both.
    #[arg(long)]
    pub second_addr: Option<String>,
    /// Orders in each leg of the replica comparison.
    #[arg(long, default_value_t = 1_000_000)]
    pub replica_orders: u64,
    /// Give each stream its own riders (rider number modulo streams), as a platform whose
    /// reporters are sharded by rider would, instead of dealing time-ordered batches to the
    /// streams in turn. Streams then never report the same person's orders at once.
    #[arg(long)]
    pub shard_by_rider: bool,
    /// Orders stored in total when VerifyWorkActivity is measured (grown server-side).
    #[arg(long, default_value_t = 50_000_000)]
    pub stored: u64,
    /// Persons the grown orders belong to.
    #[arg(long, default_value_t = 50_000)]
    pub history_persons: u64,
    /// Months of history the grown orders are spread over, before the reported month.
    #[arg(long, default_value_t = 6)]
    pub history_months: u64,
    /// VerifyWorkActivity requests per second, sent on schedule whatever the latency.
    #[arg(long, default_value_t = 200)]
    pub verify_rate: u64,
    #[arg(long, default_value_t = 30)]
    pub verify_seconds: u64,
    /// The margin each VerifyWorkActivity asks for, in minutes.
    #[arg(long, default_value_t = 30)]
    pub verify_margin_minutes: i64,
}

#[expect(
    clippy::too_many_lines,
    reason = "the benchmark's phases in order; to split by phase"
)]
pub async fn run(args: &PremiumLoad) -> anyhow::Result<String> {
    if args.batch == 0 || args.batch > PREMIUM_MAX_STREAM_BATCH {
        bail!("--batch must be 1..={PREMIUM_MAX_STREAM_BATCH}");
    }
    if args.workers == 0 || args.orders == 0 || args.streams == 0 {
        bail!("--workers, --orders and --streams must be positive");
    }
    let load_before = loadavg();
    let enrollment_channel =
        connect_when_serving(&args.enrollment_addr, Duration::from_secs(120)).await?;
    let premium_channel = connect_when_serving(&args.addr, Duration::from_secs(120)).await?;
    let db = Database::connect(&args.database_url).await?;

    // The COPY target: premium's schema, as its migrations left it, in an empty database.
    copy_schema(args)?;

    // (1) Platform and riders through enrollment, replicated by premium over Kafka.
    let enrollment =
        EnrollmentServiceClient::new(enrollment_channel).max_decoding_message_size(256 << 20);
    let generator = OrderGenerator::new(args.orders, args.workers, Utc::now());
    let joined = generator.first_day_start - chrono::Duration::days(JOINED_DAYS_BEFORE);
    let platform_id = register_platform(&mut enrollment.clone(), Some(joined)).await?;
    let started = Instant::now();
    let persons = register_workers(&enrollment, platform_id, args.workers, Some(joined)).await?;
    eprintln!(
        "registered {} riders in {:.1?}; waiting for premium's replica",
        args.workers,
        started.elapsed()
    );
    wait_for_replica(&db, "premium", platform_id, args.workers, true).await?;
    let replicated = started.elapsed();
    eprintln!(
        "premium knows all {} riders after {replicated:.1?}",
        args.workers
    );

    // (2) The order stream.
    let premium = PremiumServiceClient::new(premium_channel).max_decoding_message_size(1 << 30);
    // The 1-minute load average every 5 s while the orders stream: other work on the machine.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break samples,
                _ = tokio::time::sleep(Duration::from_secs(5)) => {
                    if let Some(one) = loadavg().split(' ').next().and_then(|l| l.parse::<f64>().ok()) {
                        samples.push(one);
                    }
                }
            }
        }
    });
    let main_leg = Leg {
        orders: args.orders,
        id_prefix: None,
    };
    let ingest = report_orders(
        args,
        std::slice::from_ref(&premium),
        platform_id,
        &generator,
        main_leg,
    )
    .await;
    stop.send(()).ok();
    let load_samples = sampler.await?;
    let load_during = if load_samples.is_empty() {
        "unknown".to_string()
    } else {
        format!(
            "{:.1}",
            load_samples.iter().sum::<f64>() / load_samples.len() as f64
        )
    };
    let ingest = ingest?;
    let ingest_rate = args.orders as f64 / ingest.elapsed.as_secs_f64();
    eprintln!(
        "ingested {} orders in {:.1?}: {ingest_rate:.0} orders/s",
        args.orders, ingest.elapsed
    );
    let drained = wait_for_outbox(&db, Duration::from_secs(900)).await?;
    let after_ingest = ingest.elapsed + drained.waited;
    let drain_row = if drained.left == 0 {
        format!(
            "| … until all `CoverageDayStarted` events were on Kafka (outbox drained) | {:.0} orders/s ({:.1} s; {} events still queued when the last batch was answered) |\n",
            args.orders as f64 / after_ingest.as_secs_f64(),
            after_ingest.as_secs_f64(),
            drained.backlog
        )
    } else {
        format!(
            "| … outbox relay to Kafka | **not drained**: {} of {} events still queued {:.0} s after the last batch |\n",
            drained.left,
            drained.backlog,
            drained.waited.as_secs_f64()
        )
    };

    // What the stream left in the database, against what the generator says it must be.
    let expected = generator.expectations();
    let checks = check_ingest(&db, platform_id, args.orders, &expected).await?;
    let replica_row = compare_replicas(args, &premium, &db, platform_id, &generator).await?;

    // (3) The ceiling: the same rows, COPY'd.
    eprintln!("writing {} rows to {}", args.orders, args.csv.display());
    write_csv(args, &generator, platform_id, &persons)?;
    let copy = copy_rows(args)?;
    std::fs::remove_file(&args.csv).ok();
    let copy_rate = args.orders as f64 / copy.as_secs_f64();
    let binary = copy_rows_binary(args)?;
    let binary_rate = args.orders as f64 / binary.as_secs_f64();
    let ratio = ingest_rate / binary_rate;
    let text_ratio = ingest_rate / copy_rate;
    eprintln!(
        "COPY of {} rows: text {copy:.1?} ({copy_rate:.0} rows/s), binary {binary:.1?} ({binary_rate:.0} rows/s); \
         ratio to binary {ratio:.3}, to text {text_ratio:.3}",
        args.orders
    );

    // (4) Tens of millions of orders, then VerifyWorkActivity.
    let grown = grow_orders(args, &db, generator.first_day_start).await?;
    let stored = count(&db, "SELECT COUNT(*) AS n FROM orders").await?;
    let orders_size = size_of_orders(&db).await?;
    eprintln!(
        "VerifyWorkActivity at {} req/s for {} s over {stored} orders",
        args.verify_rate, args.verify_seconds
    );
    let latency = verify_latency(args, &premium, &db, stored).await?;
    eprintln!(
        "no-op RPC baseline at {} req/s for {} s",
        args.verify_rate, args.verify_seconds
    );
    let baseline = super::baseline::noop_rpc(args.verify_rate, args.verify_seconds).await?;

    let mut verdict = Vec::new();
    if ingest_rate >= 100_000.0 && ratio >= 0.6 {
        verdict.push("Meets both ingest goals.".to_string());
    } else {
        if ingest_rate < 100_000.0 {
            verdict.push(format!(
                "Ingest is **{:.0} % of the 100,000 orders/s goal**.",
                100.0 * ingest_rate / 100_000.0
            ));
        }
        if ratio < 0.6 {
            verdict.push(format!(
                "The ratio to a binary COPY is **{ratio:.2}, below the 0.6 goal**."
            ));
        }
        if ingest_rate < 30_000.0 {
            verdict.push(
                "Under 30,000 orders/s: by the issue's own bar **the ingest design needs \
                 rethinking** (see the notes below this section)."
                    .to_string(),
            );
        }
    }

    Ok(format!(
        "## Premium\n\n\
         Machine: {machine}; load average {load_before} before the run, {load_during} on average while the orders streamed (2 cores; other builds share them).\n\n\
         | measure | result |\n|---|---|\n\
         | `StreamOrders`: {orders} orders of {workers} riders in {districts} districts of {provinces} provinces over 30 Shanghai days, \
         {streams} concurrent `StreamOrders` calls {dealing}, batches of {batch} | \
         **{ingest_rate:.0} orders/s** ({ingest_s:.1} s) — goal ≥ 100,000/s |\n\
         | bare binary `COPY` of the same {orders} rows into `orders` of a fresh database with premium's schema (`psql \\copy … (FORMAT binary)`) | \
         {binary_rate:.0} rows/s ({binary_s:.1} s) |\n\
         | ratio ingest / binary COPY | **{ratio:.2}** — goal ≥ 0.6 |\n\
         | the same as text (`psql \\copy`, CSV) | {copy_rate:.0} rows/s ({copy_s:.1} s); ratio ingest / text COPY {text_ratio:.2} |\n\
         {drain_row}\
         {replica_row}\
         | riders registered with enrollment until premium's replica knew all {workers} | {replicated_s:.1} s |\n\
         | `orders` grown server-side to {stored} rows ({size}): {hist_months} earlier month partitions filled with `INSERT … SELECT generate_series` for {hist_persons} more persons, indexed in bulk, attached, then `ANALYZE` | {grow_s:.0} s |\n\
         | `VerifyWorkActivity` at {vrate} req/s for {vsecs} s, open loop, margin {margin} min, {stored} orders stored ({requests} requests, {failures} failed, {empty} without the sampled order; {per_answer:.1} orders per answer) | p50 {p50}, p90 {p90}, p99 {p99}, max {max} |\n\
         {baseline_row}\n\
         {verdict}\n\n\
         Checked after the stream: {accepted} accepted, {rejected} rejected; {rows} rows in `orders`; {coverage_rows} coverage days \
         (expected {coverage}); ledger net {ledger} fen (expected {billable} billable × {fen} fen = {expected_fen}).\n\n\
         Each order is reported once, in its final state: {cancelled_share:.1} % cancelled ({unbilled_share:.1} % before pickup, so \
         not billable under the default rule), the rest completed 10–50 min after acceptance; acceptance times follow lunch and \
         dinner peaks, riders are drawn at random (≈ {per_day:.1} orders per rider and day), order ids grow with time. \
         A batch is one transaction: replica, rates and last closed month read; order keys claimed \
         (`ON CONFLICT DO NOTHING RETURNING`, the dedupe); orders inserted into the month partition without a conflict clause \
         (their keys were just claimed); net fees posted to the double-entry ledger; coverage days not known to the replica \
         inserted (`ON CONFLICT DO NOTHING`); the daily statement incremented; `CoverageDayStarted` events enqueued — every \
         write one statement of column arrays (`unnest`); the relay publishes the events to Kafka meanwhile and deletes \
         their rows. The operator registered the platform and imported its riders with \
         starts dated {backdate} days before the first order (the month ended yesterday); nothing is written around the API. The COPY loads only `orders` (its primary key, \
         `(person_id, accepted_at)` index and monthly partitions), with no dedupe, coverage, ledger or outbox. \
         The grown rows have no `order_key`, coverage or ledger rows (only `VerifyWorkActivity` reads them), and their partitions' indexes were built by `CREATE INDEX`, so they are denser than indexes grown by ingest. \
         `VerifyWorkActivity` asks about instants inside orders drawn at random from the whole table (`TABLESAMPLE`). Regenerate with \
         `make bench` (or `tests/load/bench.sh premium`).\n",
        machine = machine(),
        orders = args.orders,
        workers = args.workers,
        districts = DISTRICTS.len(),
        provinces = PROVINCES.len(),
        streams = args.streams,
        dealing = if args.shard_by_rider {
            "each with its own riders"
        } else {
            "taking time-ordered batches in turn"
        },
        batch = args.batch,
        ingest_s = ingest.elapsed.as_secs_f64(),
        copy_s = copy.as_secs_f64(),
        binary_s = binary.as_secs_f64(),
        coverage = expected.coverage_days,
        replicated_s = replicated.as_secs_f64(),
        size = gib(orders_size),
        hist_months = args.history_months,
        hist_persons = args.history_persons,
        grow_s = grown.as_secs_f64(),
        vrate = args.verify_rate,
        vsecs = args.verify_seconds,
        margin = args.verify_margin_minutes,
        requests = latency.requests,
        failures = latency.failures,
        empty = latency.empty,
        per_answer = latency.orders_per_answer,
        p50 = ms(latency.percentiles.p50),
        p90 = ms(latency.percentiles.p90),
        p99 = ms(latency.percentiles.p99),
        max = ms(latency.percentiles.max),
        baseline_row = baseline.row(args.verify_rate, args.verify_seconds),
        verdict = verdict.join(" "),
        accepted = ingest.accepted,
        rejected = ingest.rejected,
        rows = checks.orders,
        coverage_rows = checks.coverage_days,
        ledger = checks.ledger_fen,
        billable = expected.billable,
        fen = INSTANT_DELIVERY_FEN,
        expected_fen = expected.billable * INSTANT_DELIVERY_FEN,
        cancelled_share = 100.0 * expected.cancelled as f64 / args.orders as f64,
        unbilled_share =
            100.0 * (args.orders - expected.billable as u64) as f64 / args.orders as f64,
        per_day = args.orders as f64 / (args.workers as f64 * f64::from(DAYS)),
        backdate = JOINED_DAYS_BEFORE,
    ))
}

mod ceiling;
mod generator;
mod growing;
mod latency;
mod riders;
mod stream;

use ceiling::*;
pub(super) use generator::*;
use growing::*;
pub(super) use latency::*;
pub(super) use riders::*;
use stream::*;
