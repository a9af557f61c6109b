//! Load on the claim pipeline: `ApplicationFiled` on Kafka → `ClaimConfirmed` on Kafka, for
//! claims the rules confirm without a human, at a steady rate.
//!
//! Set-up goes through the real paths and is not measured: a platform and its riders are
//! registered with enrollment and reach premium and claims over Kafka; each rider reports one
//! order through premium's `StreamOrders`; an operator routes the platform's provinces to an
//! insurer through claims' `PutRoute`. Then this generator plays the incident service: it
//! publishes one `ApplicationFiled` per rider on `incident.events.v1` — the payload, key and
//! CloudEvents headers the incident service's outbox relay would send — at a fixed rate, and
//! reads `claims.events.v1` from its own consumer. The latency of an application is the moment
//! its `ClaimConfirmed` was read minus the moment its `ApplicationFiled` was handed to the
//! producer, both on this machine's monotonic clock.
//!
//! Every application is built to pass every rule: an active membership, one order covering the
//! incident, a province where the scheme is in force, filed the same day by the platform, an
//! order accident with no exclusion, one application per person (no duplicate). So the run
//! fails, rather than reports numbers, unless each application produced exactly one claim and
//! exactly one `ClaimConfirmed`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, FixedOffset, Utc};
use gigshield_kit::Role;
use gigshield_kit::config::KafkaConfig;
use gigshield_kit::envelope::Envelope;
use gigshield_kit::outbox::OutboxMessage;
use gigshield_kit::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use gigshield_kit::wire::timestamp;
use gigshield_proto::claims as cpb;
use gigshield_proto::claims::claims_service_client::ClaimsServiceClient;
use gigshield_proto::common::Industry;
use gigshield_proto::enrollment::enrollment_service_client::EnrollmentServiceClient;
use gigshield_proto::events;
use gigshield_proto::incident as ipb;
use gigshield_proto::premium as pb;
use gigshield_proto::premium::premium_service_client::PremiumServiceClient;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tonic::transport::Channel;
use uuid::Uuid;

use super::baseline;
use super::premium::{
    DISTRICTS, PREMIUM_MAX_BATCH, PROVINCES, loadavg, register_platform, register_workers,
    rider_id, wait_for_replica,
};
use super::report::{Percentiles, machine, ms};
use super::{authorized, connect_when_serving};

/// The contract topics (the services put `--topic-prefix` before them).
const INCIDENT_TOPIC: &str = "incident.events.v1";
const CLAIMS_TOPIC: &str = "claims.events.v1";
const APPLICATION_FILED: &str = "gigshield.events.v1.ApplicationFiled";
const CLAIM_OPENED: &str = "gigshield.events.v1.ClaimOpened";
const CLAIM_CONFIRMED: &str = "gigshield.events.v1.ClaimConfirmed";
const CLAIM_ROUTED: &str = "gigshield.events.v1.ClaimRouted";
/// The platform's filing deadline the incident service stamps (days).
const PLATFORM_DEADLINE_DAYS: i32 = 30;
/// Most applications one run may publish (one rider each).
const MAX_APPLICATIONS: u64 = 200_000;

#[derive(clap::Args, Debug)]
pub struct ClaimsLoad {
    /// The claims service.
    #[arg(long, default_value = "http://127.0.0.1:50173")]
    pub addr: String,
    /// The enrollment service whose events premium and claims replicate.
    #[arg(long, default_value = "http://127.0.0.1:50171")]
    pub enrollment_addr: String,
    /// The premium service claims asks `VerifyWorkActivity`.
    #[arg(long, default_value = "http://127.0.0.1:50172")]
    pub premium_addr: String,
    /// Premium's database: to wait until its replica knows every rider.
    #[arg(long)]
    pub premium_database_url: String,
    /// Claims' database: to wait for its replica and to count the claims afterwards.
    #[arg(long)]
    pub claims_database_url: String,
    #[arg(
        long,
        env = "KAFKA_BOOTSTRAP_SERVERS",
        default_value = "127.0.0.1:9092"
    )]
    pub kafka_bootstrap_servers: String,
    /// The services' `KAFKA_TOPIC_PREFIX`: the bench's own topics and consumer groups.
    #[arg(long)]
    pub topic_prefix: String,
    /// Applications published per second, on schedule whatever the pipeline's latency.
    #[arg(long, default_value_t = 50)]
    pub rate: u64,
    /// How long applications are published; one rider per application.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// How long to wait after the last application for the last outcome.
    #[arg(long, default_value_t = 120)]
    pub drain_seconds: u64,
}

#[expect(
    clippy::too_many_lines,
    reason = "the benchmark's phases in order; to split by phase"
)]
pub async fn run(args: &ClaimsLoad) -> anyhow::Result<String> {
    let total = args.rate * args.seconds;
    if total == 0 || total > MAX_APPLICATIONS {
        bail!("--rate × --seconds must be 1..={MAX_APPLICATIONS}");
    }
    let load_before = loadavg();
    let timeout = Duration::from_secs(120);
    let enrollment_channel = connect_when_serving(&args.enrollment_addr, timeout).await?;
    let premium_channel = connect_when_serving(&args.premium_addr, timeout).await?;
    let claims_channel = connect_when_serving(&args.addr, timeout).await?;
    let premium_db = Database::connect(&args.premium_database_url).await?;
    let claims_db = Database::connect(&args.claims_database_url).await?;

    // (1) Platform, routes, riders (one per application), replicas.
    let enrollment =
        EnrollmentServiceClient::new(enrollment_channel).max_decoding_message_size(256 << 20);
    let platform_id = register_platform(&mut enrollment.clone(), None).await?;
    let insurer_id = Uuid::now_v7();
    put_routes(&mut ClaimsServiceClient::new(claims_channel), insurer_id).await?;
    let started = Instant::now();
    let persons = register_workers(&enrollment, platform_id, total, None).await?;
    eprintln!(
        "registered {total} riders in {:.1?}; waiting for premium's and claims' replicas",
        started.elapsed()
    );
    wait_for_replica(&premium_db, "premium", platform_id, total, true).await?;
    wait_for_replica(&claims_db, "claims", platform_id, total, false).await?;
    let replicated = started.elapsed();
    eprintln!("premium and claims know all {total} riders after {replicated:.1?}");

    // (2) One order per rider, accepted after every registration and completed before it is
    // reported; the incident happens halfway through it.
    let accepted_at = Utc::now();
    let order = OrderTimes {
        accepted_at,
        picked_up_at: accepted_at + chrono::Duration::milliseconds(1000),
        occurred_at: accepted_at + chrono::Duration::milliseconds(2000),
        completed_at: accepted_at + chrono::Duration::milliseconds(3000),
    };
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let premium = PremiumServiceClient::new(premium_channel);
    report_orders(&premium, platform_id, total, &order).await?;
    eprintln!("{total} orders reported");

    // (3) The claims topic is read from its start (a fresh topic of this run) before the first
    // application goes out.
    let kafka = KafkaConfig {
        bootstrap_servers: args.kafka_bootstrap_servers.clone(),
        client_id: "gigshield-load-claims".into(),
        session_timeout: Duration::from_secs(10),
        ensure_topics: false,
        topic_prefix: args.topic_prefix.clone(),
        group_suffix: String::new(),
        security: Default::default(),
    };
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let consumer = claims_consumer(&kafka).await?;
    let stop = gigshield_kit::CancellationToken::new();
    let reader = tokio::spawn(read_claims_topic(consumer, seen_tx, stop.clone()));
    let producer: FutureProducer = gigshield_kit::kafka::producer_config(&kafka)
        .create()
        .context("Kafka producer")?;

    // (4) The measured part: applications at a fixed rate.
    let applications: Vec<Application> = (0..total)
        .map(|i| Application {
            incident_id: Uuid::now_v7(),
            person_id: persons[i as usize],
            worker: i,
        })
        .collect();
    let by_person: HashMap<Uuid, usize> = applications
        .iter()
        .enumerate()
        .map(|(i, a)| (a.person_id, i))
        .collect();
    let by_incident: HashMap<Uuid, usize> = applications
        .iter()
        .enumerate()
        .map(|(i, a)| (a.incident_id, i))
        .collect();
    eprintln!(
        "publishing {total} applications at {}/s for {} s",
        args.rate, args.seconds
    );
    let incident_topic = kafka.topic(INCIDENT_TOPIC);
    let (sampler_stop, sampler) = load_sampler();
    let mut sent = Vec::with_capacity(total as usize);
    let mut acks = Vec::with_capacity(total as usize);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for application in &applications {
        ticker.tick().await;
        let (key, headers, payload) = application.event(platform_id, &order, Utc::now());
        let record = FutureRecord::to(&incident_topic)
            .key(&key)
            .payload(&payload)
            .headers(headers);
        let at = Instant::now();
        let delivery = producer
            .send_result(record)
            .map_err(|(err, _)| anyhow::anyhow!("produce ApplicationFiled: {err}"))?;
        sent.push(at);
        acks.push(tokio::spawn(async move {
            match delivery.await {
                Ok(Ok(_)) => Ok(at.elapsed()),
                Ok(Err((err, _))) => Err(err.to_string()),
                Err(_) => Err("producer dropped the message".to_string()),
            }
        }));
    }
    let publish_span = sent.last().copied().unwrap_or_else(Instant::now) - sent[0];
    let mut ack_latencies = Vec::with_capacity(acks.len());
    for ack in acks {
        ack_latencies.push(
            ack.await?
                .map_err(|e| anyhow::anyhow!("ApplicationFiled: {e}"))?,
        );
    }

    // (5) Outcomes: wait until every application has one, then a little longer for doubles.
    let mut outcomes: Vec<Outcome> = (0..total).map(|_| Outcome::default()).collect();
    let mut unexpected = 0usize;
    let mut apply = |seen: Seen, outcomes: &mut [Outcome]| match seen {
        Seen::Opened { incident_id } => match by_incident.get(&incident_id) {
            Some(&i) => outcomes[i].opened += 1,
            None => unexpected += 1,
        },
        Seen::Confirmed {
            person_id,
            event_id,
            automatic,
            at,
        } => match by_person.get(&person_id) {
            Some(&i) => {
                let o = &mut outcomes[i];
                if !o.confirmed.iter().any(|(id, _)| *id == event_id) {
                    o.confirmed.push((event_id, at));
                } else {
                    o.redelivered += 1;
                }
                o.manual |= !automatic;
            }
            None => unexpected += 1,
        },
        Seen::Routed { person_id, reasons } => match by_person.get(&person_id) {
            Some(&i) => outcomes[i].routed.push(reasons),
            None => unexpected += 1,
        },
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.drain_seconds);
    let mut settle_until: Option<tokio::time::Instant> = None;
    loop {
        let until = settle_until.unwrap_or(deadline).min(deadline);
        match tokio::time::timeout_at(until, seen_rx.recv()).await {
            Ok(Some(seen)) => apply(seen, &mut outcomes),
            Ok(None) => bail!("the claims topic reader stopped"),
            Err(_) => break,
        }
        if settle_until.is_none() && outcomes.iter().all(Outcome::decided) {
            eprintln!("every application has an outcome; watching 3 s more for doubles");
            settle_until = Some(tokio::time::Instant::now() + Duration::from_secs(3));
        }
    }
    stop.cancel();
    reader.await?;
    sampler_stop.send(()).ok();
    let load_during = sampler.await?;
    let waited_after_last = sent.last().map(|t| t.elapsed()).unwrap_or_default();

    // (6) Checks: one claim and one automatic confirmation per application, nothing else.
    let lost = outcomes.iter().filter(|o| !o.decided()).count();
    let routed = outcomes.iter().filter(|o| !o.routed.is_empty()).count();
    let doubled = outcomes
        .iter()
        .filter(|o| o.confirmed.len() > 1 || o.opened > 1)
        .count();
    let manual = outcomes.iter().filter(|o| o.manual).count();
    let confirmed = outcomes.iter().filter(|o| o.confirmed.len() == 1).count();
    let redelivered: usize = outcomes.iter().map(|o| o.redelivered).sum();
    let claims = claim_counts(&claims_db).await?;
    let mut problems = Vec::new();
    if lost > 0 {
        problems.push(format!(
            "{lost} applications without an outcome {:.0} s after the last was published",
            waited_after_last.as_secs_f64()
        ));
    }
    if routed > 0 {
        let mut reasons: HashMap<String, usize> = HashMap::new();
        for o in &outcomes {
            for r in &o.routed {
                *reasons.entry(r.join("+")).or_default() += 1;
            }
        }
        problems.push(format!(
            "{routed} applications routed to review instead of confirmed: {reasons:?}"
        ));
    }
    if doubled > 0 {
        problems.push(format!(
            "{doubled} applications opened or confirmed more than once"
        ));
    }
    if manual > 0 {
        problems.push(format!("{manual} confirmations not automatic"));
    }
    if unexpected > 0 {
        problems.push(format!(
            "{unexpected} claim events for persons or incidents this run did not file"
        ));
    }
    if claims.all != total as i64 || claims.confirmed != total as i64 {
        problems.push(format!(
            "claims' database holds {} claims, {} confirmed, for {total} applications",
            claims.all, claims.confirmed
        ));
    }
    if !problems.is_empty() {
        bail!(
            "the claim pipeline did not confirm every application exactly once: {}",
            problems.join("; ")
        );
    }

    let latencies: Vec<Duration> = outcomes
        .iter()
        .zip(&sent)
        .map(|(o, at)| o.confirmed[0].1.saturating_duration_since(*at))
        .collect();
    let last_confirmed = outcomes
        .iter()
        .map(|o| o.confirmed[0].1)
        .max()
        .context("no confirmation")?;
    // Where the slowest ones were in the run (start-up effects show as low numbers).
    let mut slowest: Vec<(usize, Duration)> = latencies.iter().copied().enumerate().collect();
    slowest.sort_unstable_by_key(|(_, d)| std::cmp::Reverse(*d));
    eprintln!(
        "slowest applications (index of {total}, at second, latency): {}",
        slowest
            .iter()
            .take(8)
            .map(|(i, d)| format!(
                "#{i} @{:.1}s {}",
                sent[*i].saturating_duration_since(sent[0]).as_secs_f64(),
                ms(*d)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let pipeline = Percentiles::of(latencies).context("no latency")?;
    let produce = Percentiles::of(ack_latencies).context("no acknowledgement")?;
    let published_rate = if total > 1 {
        (total - 1) as f64 / publish_span.as_secs_f64()
    } else {
        f64::NAN
    };
    let confirmed_span = last_confirmed.saturating_duration_since(sent[0]);
    let confirmed_rate = total as f64 / confirmed_span.as_secs_f64();
    eprintln!(
        "p50 {}, p99 {}; no-op RPC baseline at {}/s for {} s",
        ms(pipeline.p50),
        ms(pipeline.p99),
        args.rate,
        args.seconds
    );
    let baseline = baseline::noop_rpc(args.rate, args.seconds).await?;

    let verdict = if pipeline.p99 < Duration::from_millis(500) {
        format!(
            "p99 {} **meets the goal** (p99 < 500 ms).",
            ms(pipeline.p99)
        )
    } else {
        format!(
            "p99 {} **misses the goal** (p99 < 500 ms).",
            ms(pipeline.p99)
        )
    };
    Ok(format!(
        "## Claim pipeline\n\n\
         Machine: {machine}; load average {load_before} before the run, {load_during} on average while applications were published (2 cores; other builds share them).\n\n\
         | measure | result |\n|---|---|\n\
         | `ApplicationFiled` on Kafka → `ClaimConfirmed` on Kafka, {rate} applications/s for {seconds} s, open loop \
         ({total} applications, {confirmed}/{total} confirmed automatically, 0 routed to review, 0 lost, 0 doubled) | \
         **p50 {p50}, p90 {p90}, p99 {p99}, max {max}** — goal p99 < 500 ms |\n\
         | rate achieved | {published_rate:.1} applications/s published; all {total} confirmed {confirmed_span:.1} s after the first was published ({confirmed_rate:.1}/s) |\n\
         | … of which: `ApplicationFiled` acknowledged by the broker (idempotent producer, acks=all, linger 5 ms) | p50 {a50}, p90 {a90}, p99 {a99}, max {amax} |\n\
         {baseline_row}\
         | set-up, not measured: {total} riders registered with enrollment (`BulkRegisterWorkers`) until premium's and claims' replicas knew them all | {replicated:.1} s |\n\n\
         {verdict}\n\n\
         Checked: every application opened exactly one claim and produced exactly one automatic `ClaimConfirmed` on the topic \
         ({redelivered} redeliveries of an already-seen event); claims' database holds {claims_all} claims, all `CONFIRMED`.\n\n\
         The stack is enrollment, premium and claims as release processes on fresh databases, with topics and consumer groups \
         of their own (`KAFKA_TOPIC_PREFIX`). Set-up goes through the APIs: the platform and one rider per application \
         registered with enrollment and replicated over Kafka; one order per rider reported through premium's `StreamOrders` \
         (accepted after the registration, completed 3 s later); the platform's provinces routed to an insurer with claims' \
         `PutRoute`. The generator then plays the incident service: `ApplicationFiled` events with the payload, key \
         (person id) and CloudEvents headers the incident service's relay sends, for an order accident halfway through the \
         rider's order, filed by the platform the same day, one per person. For each, claims' consumer records the event in its \
         inbox, reads the person's memberships, asks premium's `VerifyWorkActivity` over gRPC (bearer token, adjuster role) \
         for the orders around the incident, reads the person's other claims and the routes, runs the ten determination rules, \
         and writes the claim, its history and the `ClaimOpened` and `ClaimConfirmed` events to the outbox in one transaction; \
         the relay publishes them (polling every 50 ms, the default). Latency is from the moment the generator handed an \
         application to its producer to the moment its consumer read the `ClaimConfirmed`, on this machine's monotonic clock. \
         Premium holds only this run's {total} orders, so `VerifyWorkActivity` is cheap here (see the premium section for \
         it over 50 M orders). Regenerate with `make bench` (or `tests/load/bench.sh claims`).\n",
        machine = machine(),
        rate = args.rate,
        seconds = args.seconds,
        p50 = ms(pipeline.p50),
        p90 = ms(pipeline.p90),
        p99 = ms(pipeline.p99),
        max = ms(pipeline.max),
        confirmed_span = confirmed_span.as_secs_f64(),
        a50 = ms(produce.p50),
        a90 = ms(produce.p90),
        a99 = ms(produce.p99),
        amax = ms(produce.max),
        baseline_row = baseline.row(args.rate, args.seconds),
        replicated = replicated.as_secs_f64(),
        claims_all = claims.all,
    ))
}

// ---------------------------------------------------------------------------- set-up

/// Every province of the benchmark platform to one insurer (for all platforms).
async fn put_routes(
    client: &mut ClaimsServiceClient<Channel>,
    insurer_id: Uuid,
) -> anyhow::Result<()> {
    for province in PROVINCES {
        client
            .put_route(authorized(
                &Role::national_operator(),
                cpb::PutRouteRequest {
                    request_id: Uuid::now_v7().to_string(),
                    route: Some(cpb::Route {
                        province_code: province.into(),
                        platform_id: String::new(),
                        insurer_id: insurer_id.to_string(),
                    }),
                },
            ))
            .await
            .with_context(|| format!("route province {province}"))?;
    }
    Ok(())
}

struct OrderTimes {
    accepted_at: DateTime<Utc>,
    picked_up_at: DateTime<Utc>,
    occurred_at: DateTime<Utc>,
    completed_at: DateTime<Utc>,
}

fn order_id(worker: u64) -> String {
    format!("C{worker:09}")
}

fn district(worker: u64) -> &'static str {
    DISTRICTS[(worker % DISTRICTS.len() as u64) as usize]
}

async fn report_orders(
    client: &PremiumServiceClient<Channel>,
    platform_id: Uuid,
    total: u64,
    times: &OrderTimes,
) -> anyhow::Result<()> {
    let batches: Vec<pb::StreamOrdersRequest> = (0..total)
        .collect::<Vec<_>>()
        .chunks(PREMIUM_MAX_BATCH)
        .enumerate()
        .map(|(n, chunk)| pb::StreamOrdersRequest {
            platform_id: platform_id.to_string(),
            batch_id: format!("claims-bench-{n}"),
            orders: chunk
                .iter()
                .map(|&w| pb::OrderReport {
                    order_id: order_id(w),
                    external_worker_id: rider_id(w),
                    industry: Industry::InstantDelivery as i32,
                    region_code: district(w).into(),
                    accepted_at: Some(timestamp(times.accepted_at)),
                    picked_up_at: Some(timestamp(times.picked_up_at)),
                    completed_at: Some(timestamp(times.completed_at)),
                    cancelled_at: None,
                })
                .collect(),
        })
        .collect();
    let mut acks = client
        .clone()
        .stream_orders(authorized(
            &Role::Platform { platform_id },
            tokio_stream::iter(batches),
        ))
        .await
        .context("StreamOrders")?
        .into_inner();
    let mut accepted = 0;
    let mut first_refused = None;
    while let Some(ack) = acks.message().await.context("StreamOrders")? {
        accepted += ack.accepted_count;
        first_refused = first_refused.or_else(|| {
            ack.results
                .iter()
                .find(|r| !r.errors.is_empty())
                .map(|r| format!("first refused: {} {:?}", r.order_id, r.errors))
        });
    }
    if accepted != total as i64 {
        bail!(
            "premium accepted {accepted} of {total} orders ({})",
            first_refused.unwrap_or_default()
        );
    }
    Ok(())
}

// ------------------------------------------------------------------- the applications

struct Application {
    incident_id: Uuid,
    person_id: Uuid,
    worker: u64,
}

fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

impl Application {
    /// Key, CloudEvents headers and protobuf payload, as the incident service's relay sends an
    /// `ApplicationFiled` (`events::application_filed` then `Relay::publish`).
    fn event(
        &self,
        platform_id: Uuid,
        order: &OrderTimes,
        filed_at: DateTime<Utc>,
    ) -> (String, rdkafka::message::OwnedHeaders, Vec<u8>) {
        let region = district(self.worker);
        let days_after = (filed_at.with_timezone(&shanghai()).date_naive()
            - order.occurred_at.with_timezone(&shanghai()).date_naive())
        .num_days();
        let event = events::ApplicationFiled {
            incident_id: self.incident_id.to_string(),
            person_id: self.person_id.to_string(),
            platform_id: platform_id.to_string(),
            external_worker_id: rider_id(self.worker),
            facts: Some(events::IncidentFactsSummary {
                occurred_at: Some(timestamp(order.occurred_at)),
                region_code: region.into(),
                province_code: format!("{}0000", &region[..2]),
                order_id: order_id(self.worker),
                category: ipb::CauseCategory::Fall as i32,
                worker_fault_share: ipb::WorkerFaultShare::Unspecified as i32,
                severity: ipb::Severity::Hospitalised as i32,
                died_at: None,
                exclusions: Some(ipb::ExclusionFlags::default()),
            }),
            filed_by: ipb::ActorKind::Platform as i32,
            relationship: ipb::Relationship::Unspecified as i32,
            filed_at: Some(timestamp(filed_at)),
            deadline_days: PLATFORM_DEADLINE_DAYS,
            days_after_accident: days_after as i32,
            late: false,
            has_late_explanation: false,
            reported_at: Some(timestamp(order.completed_at)),
            evidence_count: 0,
            outside_platform_provinces: false,
            platform_disputes: Vec::new(),
        };
        let message = OutboxMessage::new(
            INCIDENT_TOPIC,
            "person",
            self.person_id.to_string(),
            APPLICATION_FILED,
            &event,
        );
        let envelope = Envelope {
            id: Uuid::now_v7().to_string(),
            source: "//gigshield/incident".into(),
            event_type: message.event_type.into(),
            time: filed_at,
            subject: Some(message.aggregate_id.clone()),
            traceparent: None,
            payload: Vec::new(),
            topic: message.topic.clone(),
            partition: -1,
            offset: -1,
        };
        (message.aggregate_id, envelope.headers(), message.payload)
    }
}

// ------------------------------------------------------------------- the claims topic

/// What the generator read on the claims topic, stamped when it was read.
enum Seen {
    Opened {
        incident_id: Uuid,
    },
    Confirmed {
        person_id: Uuid,
        event_id: String,
        automatic: bool,
        at: Instant,
    },
    Routed {
        person_id: Uuid,
        reasons: Vec<String>,
    },
}

#[derive(Default)]
struct Outcome {
    opened: usize,
    /// Distinct `ClaimConfirmed` events (by `ce_id`) and when each was first read.
    confirmed: Vec<(String, Instant)>,
    routed: Vec<Vec<String>>,
    /// The same event read again (at-least-once delivery; not a second confirmation).
    redelivered: usize,
    manual: bool,
}

impl Outcome {
    fn decided(&self) -> bool {
        !self.confirmed.is_empty() || !self.routed.is_empty()
    }
}

/// A consumer assigned every partition of this run's claims topic from the beginning: no
/// group rebalance to wait for, nothing committed.
async fn claims_consumer(kafka: &KafkaConfig) -> anyhow::Result<StreamConsumer> {
    let topic = kafka.topic(CLAIMS_TOPIC);
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &kafka.bootstrap_servers)
        .set("client.id", &kafka.client_id)
        .set("group.id", kafka.topic("load-claims"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .set("isolation.level", "read_committed")
        .set("fetch.wait.max.ms", "10")
        .create()
        .context("Kafka consumer")?;
    let (consumer, partitions) = tokio::task::spawn_blocking(move || {
        let metadata = consumer.fetch_metadata(Some(&topic), Duration::from_secs(10))?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        let mut assignment = TopicPartitionList::new();
        for p in &partitions {
            assignment.add_partition_offset(&topic, *p, Offset::Beginning)?;
        }
        consumer.assign(&assignment)?;
        Ok::<_, rdkafka::error::KafkaError>((consumer, partitions))
    })
    .await??;
    if partitions.is_empty() {
        bail!(
            "topic {} not found (claims creates it at start)",
            kafka.topic(CLAIMS_TOPIC)
        );
    }
    Ok(consumer)
}

async fn read_claims_topic(
    consumer: StreamConsumer,
    seen: tokio::sync::mpsc::UnboundedSender<Seen>,
    stop: gigshield_kit::CancellationToken,
) {
    let mut failures = 0u32;
    loop {
        let message = tokio::select! {
            m = consumer.recv() => m,
            _ = stop.cancelled() => break,
        };
        let at = Instant::now();
        let message = match message {
            Ok(message) => message,
            Err(err) => {
                failures += 1;
                if failures == 1 {
                    eprintln!("reading the claims topic: {err}");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(envelope) = Envelope::from_message(&message) else {
            continue;
        };
        let parsed = match envelope.event_type.as_str() {
            CLAIM_OPENED => envelope
                .decode::<events::ClaimOpened>(CLAIM_OPENED)
                .ok()
                .and_then(|e| Uuid::parse_str(&e.incident_id).ok())
                .map(|incident_id| Seen::Opened { incident_id }),
            CLAIM_CONFIRMED => envelope
                .decode::<events::ClaimConfirmed>(CLAIM_CONFIRMED)
                .ok()
                .and_then(|e| {
                    Some(Seen::Confirmed {
                        person_id: Uuid::parse_str(&e.person_id).ok()?,
                        event_id: envelope.id.clone(),
                        automatic: e.automatic,
                        at,
                    })
                }),
            CLAIM_ROUTED => envelope
                .decode::<events::ClaimRouted>(CLAIM_ROUTED)
                .ok()
                .and_then(|e| {
                    Some(Seen::Routed {
                        person_id: Uuid::parse_str(&e.person_id).ok()?,
                        reasons: e.review_reasons,
                    })
                }),
            _ => None,
        };
        if let Some(parsed) = parsed
            && seen.send(parsed).is_err()
        {
            break;
        }
    }
}

// ------------------------------------------------------------------------ checks

struct ClaimCounts {
    all: i64,
    confirmed: i64,
}

async fn claim_counts(db: &DatabaseConnection) -> anyhow::Result<ClaimCounts> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE status = 'CONFIRMED') AS confirmed \
             FROM claim"
                .to_string(),
        ))
        .await?
        .context("count row")?;
    Ok(ClaimCounts {
        all: row.try_get("", "n")?,
        confirmed: row.try_get("", "confirmed")?,
    })
}

/// Samples the 1-minute load average every 5 s until told to stop; returns the mean.
fn load_sampler() -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<String>,
) {
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut samples = Vec::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                _ = tokio::time::sleep(Duration::from_secs(5)) => {
                    if let Some(one) = loadavg().split(' ').next().and_then(|l| l.parse::<f64>().ok()) {
                        samples.push(one);
                    }
                }
            }
        }
        if samples.is_empty() {
            "unknown".to_string()
        } else {
            format!("{:.1}", samples.iter().sum::<f64>() / samples.len() as f64)
        }
    });
    (stop, task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_is_encoded_as_the_incident_service_sends_it() {
        let accepted_at = Utc::now();
        let order = OrderTimes {
            accepted_at,
            picked_up_at: accepted_at,
            occurred_at: accepted_at + chrono::Duration::seconds(2),
            completed_at: accepted_at + chrono::Duration::seconds(3),
        };
        let application = Application {
            incident_id: Uuid::now_v7(),
            person_id: Uuid::now_v7(),
            worker: 7,
        };
        let (key, headers, payload) = application.event(Uuid::now_v7(), &order, Utc::now());
        assert_eq!(key, application.person_id.to_string());
        use rdkafka::message::Headers;
        let found: HashMap<&str, &[u8]> = headers
            .iter()
            .filter_map(|h| h.value.map(|v| (h.key, v)))
            .collect();
        assert_eq!(found["ce_type"], APPLICATION_FILED.as_bytes());
        assert_eq!(found["ce_source"], b"//gigshield/incident");
        assert_eq!(found["ce_subject"], key.as_bytes());
        // Decoded the way claims reads it: through the kit's envelope.
        let envelope = Envelope {
            id: String::new(),
            source: String::new(),
            event_type: APPLICATION_FILED.into(),
            time: Utc::now(),
            subject: None,
            traceparent: None,
            payload,
            topic: String::new(),
            partition: 0,
            offset: 0,
        };
        let event: events::ApplicationFiled = envelope.decode(APPLICATION_FILED).unwrap();
        assert_eq!(event.incident_id, application.incident_id.to_string());
        let facts = event.facts.unwrap();
        assert_eq!(facts.region_code, district(7));
        assert_eq!(facts.province_code, format!("{}0000", &district(7)[..2]));
        assert_eq!(facts.order_id, order_id(7));
        assert!(!event.late && event.days_after_accident <= 1);
    }
}
