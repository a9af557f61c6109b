//! Load on enrollment: `BulkRegisterWorkers` into PostgreSQL (validation, encryption, blind
//! index, person and membership rows, outbox) and `GetWorker` latency at a fixed rate.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use gigshield_kit::Role;
use gigshield_kit::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use gigshield_proto::common::Industry;
use gigshield_proto::enrollment as pb;
use gigshield_proto::enrollment::enrollment_service_client::EnrollmentServiceClient;
use tonic::transport::Channel;

use super::report::{Percentiles, machine, ms};
use super::{authorized, synthetic};

#[derive(clap::Args, Debug)]
pub struct EnrollmentLoad {
    /// The enrollment service.
    #[arg(long, default_value = "http://127.0.0.1:50151")]
    pub addr: String,
    /// The service's database, to watch its outbox drain.
    #[arg(long)]
    pub database_url: String,
    #[arg(long, default_value_t = 200_000)]
    pub workers: u64,
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Concurrent client streams.
    #[arg(long, default_value_t = 4)]
    pub streams: u64,
    /// GetWorker requests per second, sent on schedule whatever the answers' latency.
    #[arg(long, default_value_t = 500)]
    pub get_rate: u64,
    #[arg(long, default_value_t = 20)]
    pub get_seconds: u64,
}

#[expect(
    clippy::too_many_lines,
    reason = "the benchmark's phases in order; to split by phase"
)]
pub async fn run(args: &EnrollmentLoad, channel: Channel) -> anyhow::Result<String> {
    let client = EnrollmentServiceClient::new(channel).max_decoding_message_size(256 << 20);
    let platform_id = register_platform(&mut client.clone()).await?;
    let platform = Role::Platform { platform_id };

    // Build every request before the clock starts.
    let per_stream = args.workers.div_ceil(args.streams);
    let streams: Vec<Vec<pb::BulkRegisterWorkersRequest>> = (0..args.streams)
        .map(|s| {
            let range = (s * per_stream)..((s + 1) * per_stream).min(args.workers);
            range
                .collect::<Vec<_>>()
                .chunks(args.batch)
                .map(|chunk| pb::BulkRegisterWorkersRequest {
                    platform_id: platform_id.to_string(),
                    registrations: chunk
                        .iter()
                        .map(|&i| pb::WorkerRegistration {
                            external_worker_id: format!("bench-{i}"),
                            real_name: synthetic::name(i),
                            resident_id: synthetic::resident_id(i),
                            mobile: synthetic::mobile(i),
                            region_code: synthetic::region(i).to_string(),
                            registered_at: None,
                        })
                        .collect(),
                })
                .collect()
        })
        .collect();

    eprintln!(
        "registering {} workers in {} streams of batches of {}",
        args.workers, args.streams, args.batch
    );
    let started = Instant::now();
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|batches| {
            let mut client = client.clone();
            let platform = platform.clone();
            tokio::spawn(async move {
                client
                    .bulk_register_workers(authorized(&platform, tokio_stream::iter(batches)))
                    .await
                    .map(|r| r.into_inner())
            })
        })
        .collect();
    let mut worker_ids = Vec::with_capacity(args.workers as usize);
    let mut registered = 0;
    for task in tasks {
        let response = task.await?.context("bulk stream")?;
        registered += response.registered_count;
        if let Some(bad) = response.results.iter().find(|r| !r.error_code.is_empty()) {
            bail!(
                "item {} refused: {} {}",
                bad.index,
                bad.error_code,
                bad.error_message
            );
        }
        worker_ids.extend(response.results.into_iter().map(|r| r.worker_id));
    }
    let ingest = started.elapsed();
    if registered as u64 != args.workers {
        bail!("registered {registered} of {} workers", args.workers);
    }
    let ingest_rate = args.workers as f64 / ingest.as_secs_f64();
    eprintln!(
        "ingested in {ingest:.1?}: {ingest_rate:.0} workers/s; waiting for the outbox to drain"
    );

    let db = Database::connect(&args.database_url).await?;
    loop {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL".to_string(),
            ))
            .await?
            .context("count row")?;
        if row.try_get::<i64>("", "n")? == 0 {
            break;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!("outbox did not drain within 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained = started.elapsed();
    let published_rate = args.workers as f64 / drained.as_secs_f64();

    eprintln!(
        "GetWorker at {} req/s for {} s",
        args.get_rate, args.get_seconds
    );
    let latency = get_worker_latency(
        &client,
        &platform,
        &worker_ids,
        args.get_rate,
        args.get_seconds,
    )
    .await?;
    eprintln!(
        "no-op RPC baseline at {} req/s for {} s",
        args.get_rate, args.get_seconds
    );
    let baseline = super::baseline::noop_rpc(args.get_rate, args.get_seconds).await?;
    eprintln!("bare COPY of the rows the registrations left");
    let copy = copy_baseline(&db).await?;
    let copy_rate = args.workers as f64 / copy.elapsed.as_secs_f64();

    Ok(format!(
        "## Enrollment\n\n\
         Machine: {}.\n\n\
         | measure | result |\n|---|---|\n\
         | `BulkRegisterWorkers`: {} workers, {} concurrent streams, batches of {} | **{:.0} workers/s** ({:.1} s) — goal ≥ 20,000/s |\n\
         | baseline: bare `COPY` (one stream, text format) of the rows those registrations left — {} `person`, {} `membership`, {} `outbox` rows, as stored — into copies of the three tables with their indexes and constraints (no foreign keys) in the same database | {:.0} workers/s ({:.1} s); ingest / COPY = **{:.2}** |\n\
         | … until every `WorkerRegistered` event was on Kafka (outbox drained) | {:.0} workers/s ({:.1} s) |\n\
         | `GetWorker` at {} req/s for {} s, open loop ({} requests, {} failed) | p50 {}, p90 {}, p99 {}, max {} |\n\
         {}\n\
         Each registration is validated (GB 11643 check), its resident ID sealed (AES-256-GCM) and \
         blind-indexed (HMAC-SHA256), its mobile sealed, and person, membership and outbox rows \
         written in one transaction per batch; the relay publishes to Kafka with acks=all \
         meanwhile. Regenerate with `make bench`.\n",
        machine(),
        args.workers,
        args.streams,
        args.batch,
        ingest_rate,
        ingest.as_secs_f64(),
        copy.rows[0],
        copy.rows[1],
        copy.rows[2],
        copy_rate,
        copy.elapsed.as_secs_f64(),
        ingest_rate / copy_rate,
        published_rate,
        drained.as_secs_f64(),
        args.get_rate,
        args.get_seconds,
        latency.requests,
        latency.failures,
        ms(latency.percentiles.p50),
        ms(latency.percentiles.p90),
        ms(latency.percentiles.p99),
        ms(latency.percentiles.max),
        baseline.row(args.get_rate, args.get_seconds),
    ))
}

struct CopyBaseline {
    /// person, membership, outbox
    rows: [u64; 3],
    elapsed: Duration,
}

/// The rows the registrations left in `person`, `membership` and `outbox` (the database is the
/// bench's own, so that is all of them), copied out, then timed while `COPY … FROM STDIN` loads
/// them into scratch copies of the tables (`LIKE … INCLUDING ALL`: columns, defaults, primary
/// keys, unique and other indexes; no foreign keys), which are dropped afterwards.
async fn copy_baseline(db: &DatabaseConnection) -> anyhow::Result<CopyBaseline> {
    use futures::StreamExt;
    use gigshield_kit::sea_orm::sqlx::postgres::PgPoolCopyExt;

    const TABLES: [&str; 3] = ["person", "membership", "outbox"];
    const CHUNK: usize = 1 << 20;
    let pool = db.get_postgres_connection_pool();
    let mut data = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        db.execute_unprepared(&format!(
            "DROP TABLE IF EXISTS bench_copy_{table}; \
             CREATE TABLE bench_copy_{table} (LIKE {table} INCLUDING ALL)"
        ))
        .await?;
        let mut stream = pool
            .copy_out_raw(&format!("COPY {table} TO STDOUT"))
            .await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        data.push(bytes);
    }
    let started = Instant::now();
    let mut rows = [0u64; 3];
    for ((table, bytes), count) in TABLES.iter().zip(&data).zip(rows.iter_mut()) {
        let mut copy = pool
            .copy_in_raw(&format!("COPY bench_copy_{table} FROM STDIN"))
            .await?;
        for chunk in bytes.chunks(CHUNK) {
            copy.send(chunk).await?;
        }
        *count = copy.finish().await?;
    }
    let elapsed = started.elapsed();
    for table in TABLES {
        db.execute_unprepared(&format!("DROP TABLE bench_copy_{table}"))
            .await?;
    }
    Ok(CopyBaseline { rows, elapsed })
}

async fn register_platform(
    client: &mut EnrollmentServiceClient<Channel>,
) -> anyhow::Result<uuid::Uuid> {
    let code = synthetic::credit_code(chrono::Utc::now().timestamp() as u64);
    let response = client
        .register_platform(authorized(
            &Role::national_operator(),
            pb::RegisterPlatformRequest {
                request_id: uuid::Uuid::now_v7().to_string(),
                legal_name: "基准测试配送平台".into(),
                credit_code: code,
                industries: vec![Industry::InstantDelivery as i32],
                region_codes: vec!["110000".into(), "310000".into(), "440000".into()],
                contact: Some(pb::Contact {
                    name: "基准测试".into(),
                    phone: "010-12345678".into(),
                    email: String::new(),
                }),
                effective_from: None,
            },
        ))
        .await
        .context("register the benchmark platform")?
        .into_inner();
    Ok(uuid::Uuid::parse_str(
        &response.platform.context("platform")?.platform_id,
    )?)
}

pub struct Latency {
    pub requests: usize,
    pub failures: usize,
    pub percentiles: Percentiles,
}

/// Sends requests on a fixed schedule (open loop), so a slow answer does not delay the next
/// request and hide queueing from the percentiles.
async fn get_worker_latency(
    client: &EnrollmentServiceClient<Channel>,
    platform: &Role,
    worker_ids: &[String],
    rate: u64,
    seconds: u64,
) -> anyhow::Result<Latency> {
    let total = rate * seconds;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        ticker.tick().await;
        let mut client = client.clone();
        let request = authorized(
            platform,
            pb::GetWorkerRequest {
                worker_id: worker_ids[(i as usize * 7919) % worker_ids.len()].clone(),
            },
        );
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            client.get_worker(request).await.map(|_| sent.elapsed())
        }));
    }
    let mut samples = Vec::with_capacity(tasks.len());
    let mut failures = 0;
    for task in tasks {
        match task.await? {
            Ok(latency) => samples.push(latency),
            Err(_) => failures += 1,
        }
    }
    let percentiles = Percentiles::of(samples).context("no successful GetWorker")?;
    Ok(Latency {
        requests: total as usize,
        failures,
        percentiles,
    })
}
