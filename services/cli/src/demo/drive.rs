//! The phases of the simulated month, played through the public gRPC APIs: an operator
//! registers platforms and imports their workers, platforms stream orders, workers, relatives
//! and platforms report incidents and apply, an adjuster works the review queue, benefits are
//! assessed and paid, the operator closes the month and records the payments.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration as TimeDelta, Utc};
use gigshield_kit::Role;
use gigshield_kit::sea_orm::{ConnectionTrait, Database, Statement};
use gigshield_kit::wire::timestamp;
use gigshield_proto::claims::claims_service_client::ClaimsServiceClient;
use gigshield_proto::claims::watch_claims_response::Event;
use gigshield_proto::claims::{self as cpb};
use gigshield_proto::common::{Industry, PageRequest};
use gigshield_proto::enrollment::enrollment_service_client::EnrollmentServiceClient;
use gigshield_proto::enrollment::{self as epb};
use gigshield_proto::incident::incident_service_client::IncidentServiceClient;
use gigshield_proto::incident::{self as ipb};
use gigshield_proto::premium::premium_service_client::PremiumServiceClient;
use gigshield_proto::premium::{self as ppb};
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use tokio::sync::Mutex;
use tonic::transport::Channel;
use uuid::Uuid;

use super::client::{Progress, Retry, RetryStats, Tokens, retry};
use super::workload::{Incident, IncidentKind, Order, Rng, Timeline, Workload};
use crate::load::synthetic;

/// Orders per ReportOrders call.
const ORDER_BATCH: usize = 1000;
/// ReportOrders calls in flight.
const ORDER_STREAMS: usize = 4;
/// Incidents handled at once.
const INCIDENT_CONCURRENCY: usize = 8;

pub struct Channels {
    pub enrollment: Channel,
    pub premium: Channel,
    pub incident: Channel,
    pub claims: Channel,
    pub fund: Channel,
}

/// Shared by every phase.
pub struct Driver {
    pub channels: Channels,
    pub tokens: Tokens,
    pub stats: Arc<RetryStats>,
    pub seed: u64,
}

/// What the platforms, workers and the operator got done, as the generator counts it.
#[derive(Default)]
pub struct Tally {
    pub platform_ids: Vec<Uuid>,
    /// Per worker: person_id.
    pub persons: Vec<Uuid>,
    pub workers_registered: u64,
    pub memberships_registered: u64,
    /// Per platform, per month: (orders stored, billable of them).
    pub orders: Vec<BTreeMap<String, (i64, i64)>>,
    /// Per platform: distinct (worker, Shanghai date) with an order.
    pub coverage_days: Vec<u64>,
    pub orders_rejected: u64,
    pub first_rejection: Option<String>,
    pub report_latencies: Vec<Duration>,
    /// Per industry: fen per order in force over the month.
    pub rates: HashMap<i32, i64>,
    pub applications: Vec<Application>,
    pub refused_at_filing: u64,
    pub incident_failures: Vec<String>,
}

/// One accepted application (an incident filed): the claim it must open.
#[derive(Debug, Clone)]
pub struct Application {
    pub incident_id: String,
    /// The injured worker (who registers where the benefits go).
    pub person_id: Uuid,
    pub kind: IncidentKind,
    pub severity: ipb::Severity,
    pub died_at: Option<DateTime<Utc>>,
    pub filed: Instant,
}

impl Driver {
    /// The operator routes a province's claims to `insurer`.
    pub async fn route_to(&self, insurer: Uuid, province: &str) -> anyhow::Result<()> {
        let request = cpb::PutRouteRequest {
            request_id: format!("demo-{}-route-{province}", self.seed),
            route: Some(cpb::Route {
                province_code: province.into(),
                platform_id: String::new(),
                insurer_id: insurer.to_string(),
            }),
        };
        retry(&self.stats, Retry::Transient, || {
            let mut client = self.claims();
            let req = self
                .tokens
                .request(&Role::national_operator(), request.clone());
            async move { client.put_route(req).await }
        })
        .await
        .context("PutRoute")?;
        Ok(())
    }

    /// Shenzhen's average monthly wage (440300) for the years the demo's assessments may need,
    /// entered like an operator would — labelled as examples (confidence ?): the software ships
    /// only published figures, and Shenzhen's are not confirmed. Returns how many were added.
    pub async fn example_benefit_figures(&self) -> anyhow::Result<u32> {
        use gigshield_proto::common::{BenefitFigure, BenefitTable, Confidence, Source};
        let this_year = shanghai_date(Utc::now()).year();
        let mut added = 0;
        for year in this_year - 2..=this_year {
            let request = cpb::AddBenefitFigureRequest {
                request_id: format!("demo-{}-wage-440300-{year}", self.seed),
                figure: Some(BenefitFigure {
                    table: BenefitTable::AreaAverageMonthlyWage as i32,
                    region_code: "440300".into(),
                    year,
                    value_fen: 1_200_000,
                    source: Some(Source {
                        document: "example (demo): not a published figure".into(),
                        url: String::new(),
                        published_on: String::new(),
                        confidence: Confidence::Unconfirmed as i32,
                    }),
                }),
            };
            retry(&self.stats, Retry::Transient, || {
                let mut client = self.claims();
                let req = self
                    .tokens
                    .request(&Role::regional_operator("4403"), request.clone());
                async move { client.add_benefit_figure(req).await }
            })
            .await
            .context("AddBenefitFigure")?;
            added += 1;
        }
        Ok(added)
    }

    fn enrollment(&self) -> EnrollmentServiceClient<Channel> {
        EnrollmentServiceClient::new(self.channels.enrollment.clone())
    }
    fn premium(&self) -> PremiumServiceClient<Channel> {
        PremiumServiceClient::new(self.channels.premium.clone())
    }
    fn incident(&self) -> IncidentServiceClient<Channel> {
        IncidentServiceClient::new(self.channels.incident.clone())
    }
    fn claims(&self) -> ClaimsServiceClient<Channel> {
        ClaimsServiceClient::new(self.channels.claims.clone())
    }
    pub(super) fn claims_client(&self) -> ClaimsServiceClient<Channel> {
        self.claims()
    }

    // ------------------------------------------------------------------ enrollment

    /// Registers every platform as the operator, its participation beginning at
    /// `effective_from` (None: now).
    pub async fn register_platforms(
        &self,
        w: &Workload,
        effective_from: Option<DateTime<Utc>>,
        tally: &mut Tally,
    ) -> anyhow::Result<()> {
        for p in &w.platforms {
            let request = epb::RegisterPlatformRequest {
                request_id: format!("demo-{}-platform-{}", self.seed, p.index),
                legal_name: p.legal_name.clone(),
                credit_code: synthetic::credit_code(self.seed * 1000 + p.index as u64),
                industries: vec![p.industry as i32],
                region_codes: vec!["440300".into()],
                contact: Some(epb::Contact {
                    name: "平台联络人".into(),
                    phone: "0755-12345678".into(),
                    email: String::new(),
                }),
                effective_from: effective_from.map(timestamp),
            };
            let platform = retry(&self.stats, Retry::Transient, || {
                let mut client = self.enrollment();
                let req = self
                    .tokens
                    .request(&Role::national_operator(), request.clone());
                async move { client.register_platform(req).await }
            })
            .await
            .with_context(|| format!("register platform {}", p.index))?
            .into_inner()
            .platform
            .context("no platform in the answer")?;
            tally
                .platform_ids
                .push(Uuid::parse_str(&platform.platform_id)?);
        }
        Ok(())
    }

    /// Imports every platform's workforce as the operator, with the membership beginning at
    /// `registered_at` (None: now).
    pub async fn register_workers(
        &self,
        w: &Workload,
        registered_at: Option<DateTime<Utc>>,
        tally: &mut Tally,
    ) -> anyhow::Result<()> {
        let total: usize = w.workers.iter().map(|x| x.memberships.len()).sum();
        let progress = Progress::new("workers registered", total as u64);
        tally.persons = vec![Uuid::nil(); w.workers.len()];
        for (p, platform_id) in tally.platform_ids.clone().into_iter().enumerate() {
            let members: Vec<(usize, &super::workload::Membership)> = w
                .workers
                .iter()
                .enumerate()
                .flat_map(|(i, worker)| {
                    worker
                        .memberships
                        .iter()
                        .filter(|m| m.platform == p)
                        .map(move |m| (i, m))
                })
                .collect();
            for chunk in members.chunks(500) {
                let batch = epb::BulkRegisterWorkersRequest {
                    platform_id: platform_id.to_string(),
                    registrations: chunk
                        .iter()
                        .map(|(i, m)| {
                            let identity = w.workers[*i].identity;
                            epb::WorkerRegistration {
                                external_worker_id: m.external_worker_id.clone(),
                                real_name: synthetic::name(identity),
                                resident_id: synthetic::resident_id(identity),
                                mobile: synthetic::mobile(identity),
                                region_code: "440305".into(),
                                registered_at: registered_at.map(timestamp),
                            }
                        })
                        .collect(),
                };
                let answer = retry(&self.stats, Retry::Transient, || {
                    let mut client = self.enrollment();
                    let req = self.tokens.request(
                        &Role::national_operator(),
                        tokio_stream::iter(vec![batch.clone()]),
                    );
                    async move { client.bulk_register_workers(req).await }
                })
                .await
                .context("BulkRegisterWorkers")?
                .into_inner();
                for (result, (i, _)) in answer.results.iter().zip(chunk) {
                    if !result.error_code.is_empty() {
                        bail!(
                            "worker {} refused: {} {} {:?}",
                            result.external_worker_id,
                            result.error_code,
                            result.error_message,
                            result.field_errors
                        );
                    }
                    tally.persons[*i] = Uuid::parse_str(&result.person_id)?;
                    tally.memberships_registered += 1;
                }
                progress.add(chunk.len() as u64);
            }
        }
        progress.finish();
        tally.workers_registered = w.workers.len() as u64;
        Ok(())
    }

    // ------------------------------------------------------------------ premium

    /// Waits until premium's replica knows every platform and membership, so no order is
    /// refused for a registration still on its way over Kafka.
    pub async fn premium_knows(&self, premium_db_url: &str, tally: &Tally) -> anyhow::Result<()> {
        let db = Database::connect(premium_db_url)
            .await
            .context("connect to premium's database")?;
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let count = |sql: &'static str| {
                let db = &db;
                async move {
                    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                        .await
                        .ok()
                        .flatten()
                        .and_then(|row| row.try_get_by_index::<i64>(0).ok())
                        .unwrap_or(0)
                }
            };
            let scopes = count("SELECT count(DISTINCT platform_id) FROM platform_scope").await;
            let members = count("SELECT count(*) FROM replica_membership").await;
            if scopes as usize >= tally.platform_ids.len()
                && members as u64 >= tally.memberships_registered
            {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "premium's replica knows {scopes} platforms and {members} memberships after 5 minutes"
                );
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        db.close().await.ok();
        Ok(())
    }

    pub async fn load_rates(&self, tally: &mut Tally, at: DateTime<Utc>) -> anyhow::Result<()> {
        let rates = retry(&self.stats, Retry::Transient, || {
            let mut client = self.premium();
            let req = self.tokens.request(
                &Role::national_operator(),
                ppb::ListRatesRequest {
                    industry: 0,
                    page: Some(PageRequest {
                        page_size: 200,
                        page_token: String::new(),
                    }),
                },
            );
            async move { client.list_rates(req).await }
        })
        .await?
        .into_inner()
        .rates;
        let mut best: HashMap<i32, (DateTime<Utc>, i64)> = HashMap::new();
        for rate in rates {
            if !rate.platform_id.is_empty() || !rate.province_code.is_empty() {
                continue;
            }
            let from = rate
                .effective_from
                .and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos as u32))
                .unwrap_or_default();
            if from <= at && best.get(&rate.industry).is_none_or(|(f, _)| *f < from) {
                best.insert(rate.industry, (from, rate.fen_per_order));
            }
        }
        tally.rates = best.into_iter().map(|(k, (_, fen))| (k, fen)).collect();
        Ok(())
    }

    /// Streams every platform's orders in batches, several calls in flight; a batch that
    /// fails is resent as it was (idempotent per order id).
    pub async fn report_orders(&self, w: &Workload, tally: &mut Tally) -> anyhow::Result<()> {
        let progress = Progress::new("orders reported", w.order_count() as u64);
        let mut batches: Vec<(usize, &[Order])> = Vec::new();
        // Interleave platforms so all report side by side, oldest orders first.
        let chunked: Vec<Vec<&[Order]>> = w
            .orders
            .iter()
            .map(|list| list.chunks(ORDER_BATCH).collect())
            .collect();
        let longest = chunked.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            for (p, chunks) in chunked.iter().enumerate() {
                if let Some(chunk) = chunks.get(i) {
                    batches.push((p, chunk));
                }
            }
        }
        let next = AtomicU64::new(0);
        let results = Mutex::new(Vec::new());
        let worker = || async {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some((p, chunk)) = batches.get(i) else {
                    return Ok::<(), anyhow::Error>(());
                };
                let platform_id = tally.platform_ids[*p];
                let outcome = self.report_batch(w, platform_id, chunk).await?;
                progress.add(chunk.len() as u64);
                results.lock().await.push((*p, *chunk, outcome));
            }
        };
        let workers: Vec<_> = (0..ORDER_STREAMS).map(|_| worker()).collect();
        futures_join_all(workers).await?;
        progress.finish();

        tally.orders = vec![BTreeMap::new(); w.platforms.len()];
        let mut days: Vec<HashSet<(usize, chrono::NaiveDate)>> =
            vec![HashSet::new(); w.platforms.len()];
        for (p, chunk, outcome) in results.into_inner() {
            tally.report_latencies.extend(outcome.latencies);
            for (order, stored) in chunk.iter().zip(outcome.stored) {
                if !stored {
                    continue;
                }
                let month = CalendarMonth::of(order.accepted_at).to_string();
                let entry = tally.orders[p].entry(month).or_default();
                entry.0 += 1;
                entry.1 += i64::from(order.billable());
                days[p].insert((order.worker, shanghai_date(order.accepted_at)));
            }
            tally.orders_rejected += outcome.rejected;
            if tally.first_rejection.is_none() {
                tally.first_rejection = outcome.first_rejection;
            }
        }
        tally.coverage_days = days.iter().map(|d| d.len() as u64).collect();
        Ok(())
    }

    async fn report_batch(
        &self,
        w: &Workload,
        platform_id: Uuid,
        chunk: &[Order],
    ) -> anyhow::Result<BatchOutcome> {
        let reports: Vec<ppb::OrderReport> = chunk
            .iter()
            .map(|o| ppb::OrderReport {
                order_id: o.order_id.clone(),
                external_worker_id: w.workers[o.worker].memberships[o.membership]
                    .external_worker_id
                    .clone(),
                industry: w.platforms[o.platform].industry as i32,
                region_code: o.region_code.into(),
                accepted_at: Some(timestamp(o.accepted_at)),
                picked_up_at: o.picked_up_at.map(timestamp),
                completed_at: o.completed_at.map(timestamp),
                cancelled_at: o.cancelled_at.map(timestamp),
            })
            .collect();
        let mut outcome = BatchOutcome {
            stored: vec![false; chunk.len()],
            rejected: 0,
            first_rejection: None,
            latencies: Vec::new(),
        };
        // Rejected orders are resent a few times: a rejection changes nothing, and a replica
        // that lags (a membership not yet known) catches up.
        let mut pending: Vec<usize> = (0..chunk.len()).collect();
        for round in 0..5 {
            if pending.is_empty() {
                break;
            }
            if round > 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            let request = ppb::ReportOrdersRequest {
                platform_id: platform_id.to_string(),
                orders: pending.iter().map(|i| reports[*i].clone()).collect(),
            };
            let started = Instant::now();
            let answer = retry(&self.stats, Retry::Transient, || {
                let mut client = self.premium();
                let req = self.tokens.request(
                    &Role::Platform { platform_id },
                    tokio_stream::iter(vec![request.clone()]),
                );
                async move { client.report_orders(req).await }
            })
            .await
            .context("ReportOrders")?
            .into_inner();
            outcome.latencies.push(started.elapsed());
            let mut still = Vec::new();
            for result in answer.results {
                let Some(&i) = pending.get(result.index as usize) else {
                    continue;
                };
                match ppb::OrderResultStatus::try_from(result.status) {
                    Ok(
                        ppb::OrderResultStatus::Accepted
                        | ppb::OrderResultStatus::Unchanged
                        | ppb::OrderResultStatus::Updated,
                    ) => outcome.stored[i] = true,
                    _ => {
                        if outcome.first_rejection.is_none() {
                            outcome.first_rejection =
                                Some(format!("{}: {:?}", result.order_id, result.errors));
                        }
                        still.push(i);
                    }
                }
            }
            pending = still;
        }
        outcome.rejected = pending.len() as u64;
        Ok(outcome)
    }

    // ------------------------------------------------------------------ incidents

    pub async fn report_incidents(
        &self,
        w: &Workload,
        tally: &mut Tally,
        timeline: &Timeline,
    ) -> anyhow::Result<()> {
        let progress = Progress::new("incidents reported", w.incidents.len() as u64);
        let next = AtomicU64::new(0);
        let out = Mutex::new((Vec::new(), 0u64, Vec::new()));
        let tally_ref = &*tally;
        let worker = || async {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(incident) = w.incidents.get(i) else {
                    return Ok::<(), anyhow::Error>(());
                };
                match self.play_incident(w, tally_ref, timeline, incident).await {
                    Ok((apps, refused)) => {
                        let mut o = out.lock().await;
                        o.0.extend(apps);
                        o.1 += refused;
                    }
                    Err(e) => out.lock().await.2.push(format!(
                        "incident {} ({:?}): {e:#}",
                        incident.index, incident.kind
                    )),
                }
                progress.add(1);
            }
        };
        let workers: Vec<_> = (0..INCIDENT_CONCURRENCY).map(|_| worker()).collect();
        futures_join_all(workers).await?;
        progress.finish();
        let (apps, refused, failures) = out.into_inner();
        tally.applications = apps;
        tally.refused_at_filing = refused;
        tally.incident_failures = failures;
        Ok(())
    }

    /// Reports one incident and files its application(s) as the case demands.
    #[expect(
        clippy::too_many_lines,
        reason = "one case told start to end; to split by step (report, amend, file, decide)"
    )]
    async fn play_incident(
        &self,
        w: &Workload,
        tally: &Tally,
        timeline: &Timeline,
        incident: &Incident,
    ) -> anyhow::Result<(Vec<Application>, u64)> {
        let mut rng = Rng::new(self.seed ^ ((incident.index as u64 + 1) * 0x9E37));
        let person = tally.persons[incident.worker];
        let relative = tally.persons[incident.relative];
        let membership = &w.workers[incident.worker].memberships[incident.membership];
        let platform_id = tally.platform_ids[membership.platform];
        let worker_role = Role::Worker { person_id: person };
        let relative_role = Role::Worker {
            person_id: relative,
        };
        let platform_role = Role::Platform { platform_id };
        let hours = |h: f64| timeline_scale(timeline, h * 60.0);
        let (category, fault, severity, died_at) = match incident.kind {
            IncidentKind::CommuteMainFault => (
                ipb::CauseCategory::TrafficAccident,
                if rng.chance(0.5) {
                    ipb::WorkerFaultShare::Main
                } else {
                    ipb::WorkerFaultShare::Full
                },
                ipb::Severity::Hospitalised,
                None,
            ),
            IncidentKind::IllnessDeath => (
                ipb::CauseCategory::SuddenIllness,
                ipb::WorkerFaultShare::Unspecified,
                ipb::Severity::Death,
                Some(incident.occurred_at + hours(rng.range(1, 40) as f64)),
            ),
            IncidentKind::IllnessSurvived => (
                ipb::CauseCategory::SuddenIllness,
                ipb::WorkerFaultShare::Unspecified,
                ipb::Severity::Hospitalised,
                None,
            ),
            _ => match rng.range(0, 4) {
                0 => (
                    ipb::CauseCategory::Fall,
                    ipb::WorkerFaultShare::Unspecified,
                    severity_of(&mut rng),
                    None,
                ),
                1 => (
                    ipb::CauseCategory::Violence,
                    ipb::WorkerFaultShare::Unspecified,
                    severity_of(&mut rng),
                    None,
                ),
                _ => (
                    ipb::CauseCategory::TrafficAccident,
                    [
                        ipb::WorkerFaultShare::None,
                        ipb::WorkerFaultShare::Minor,
                        ipb::WorkerFaultShare::Equal,
                    ][rng.range(0, 3) as usize],
                    severity_of(&mut rng),
                    None,
                ),
            },
        };
        let facts = ipb::IncidentFacts {
            occurred_at: Some(timestamp(incident.occurred_at)),
            place: Some(ipb::Place {
                latitude: 22.53 + rng.unit() * 0.1,
                longitude: 113.93 + rng.unit() * 0.2,
                region_code: incident.region_code.into(),
            }),
            order_id: incident.order_id.clone().unwrap_or_default(),
            category: category as i32,
            worker_fault_share: fault as i32,
            severity: severity as i32,
            description: description(incident.kind).into(),
            died_at: died_at.map(timestamp),
            exclusions: None,
        };
        // A relative acts only under the worker's delegation (given once, in the worker's app).
        if matches!(
            incident.kind,
            IncidentKind::IllnessDeath | IncidentKind::Duplicate
        ) {
            self.delegate(person, relative, incident.index).await?;
        }
        let (reporter, relationship) = match incident.kind {
            IncidentKind::LateExplained | IncidentKind::LateUnexplained => {
                (platform_role.clone(), ipb::Relationship::Unspecified)
            }
            IncidentKind::IllnessDeath => (relative_role.clone(), ipb::Relationship::Spouse),
            _ => (worker_role.clone(), ipb::Relationship::Unspecified),
        };
        let report = ipb::ReportIncidentRequest {
            request_id: format!("demo-{}-incident-{}", self.seed, incident.index),
            person_id: if matches!(reporter, Role::Platform { .. }) {
                String::new()
            } else {
                person.to_string()
            },
            platform_id: platform_id.to_string(),
            external_worker_id: if matches!(reporter, Role::Platform { .. }) {
                membership.external_worker_id.clone()
            } else {
                String::new()
            },
            relationship: relationship as i32,
            channel: ipb::Channel::App as i32,
            facts: Some(facts.clone()),
        };
        let incident_id = self.report(&reporter, report).await?;
        let mut applications = Vec::new();
        let mut refused = 0;
        let app = |incident_id: &str| Application {
            incident_id: incident_id.to_string(),
            person_id: person,
            kind: incident.kind,
            severity,
            died_at,
            filed: Instant::now(),
        };
        match incident.kind {
            IncidentKind::LateExplained => {
                self.file(
                    &platform_role,
                    &incident_id,
                    "filed",
                    "骑手住院期间平台未及时获知事故,现补充申请。",
                )
                .await?;
                applications.push(app(&incident_id));
            }
            IncidentKind::LateUnexplained => {
                match self.file(&platform_role, &incident_id, "filed", "").await {
                    Ok(()) => applications.push(app(&incident_id)),
                    Err(status) if status_code(&status).is_some() => {
                        // Refused as late; the worker, within their own 90 days, files.
                        refused += 1;
                        self.file(&worker_role, &incident_id, "filed-by-worker", "")
                            .await?;
                        applications.push(app(&incident_id));
                    }
                    Err(other) => return Err(other),
                }
            }
            IncidentKind::IllnessDeath => {
                self.file(&relative_role, &incident_id, "filed", "").await?;
                applications.push(app(&incident_id));
            }
            IncidentKind::Duplicate => {
                self.file(&worker_role, &incident_id, "filed", "").await?;
                applications.push(app(&incident_id));
                // The spouse reports the same accident again and applies too.
                let again = ipb::ReportIncidentRequest {
                    request_id: format!("demo-{}-incident-{}-again", self.seed, incident.index),
                    person_id: person.to_string(),
                    platform_id: platform_id.to_string(),
                    external_worker_id: String::new(),
                    relationship: ipb::Relationship::Spouse as i32,
                    channel: ipb::Channel::Phone as i32,
                    facts: Some(facts),
                };
                let second = self.report(&relative_role, again).await?;
                self.file(&relative_role, &second, "filed", "").await?;
                applications.push(app(&second));
            }
            _ => {
                self.file(&worker_role, &incident_id, "filed", "").await?;
                applications.push(app(&incident_id));
            }
        }
        Ok((applications, refused))
    }

    /// The worker lets their relative act for them (the spouse reporting a death, a second
    /// report of the same accident).
    async fn delegate(&self, worker: Uuid, relative: Uuid, index: usize) -> anyhow::Result<()> {
        let request = epb::GrantDelegationRequest {
            request_id: format!("demo-{}-delegation-{index}", self.seed),
            grantor_person_id: worker.to_string(),
            delegate_person_id: relative.to_string(),
            relationship: gigshield_proto::common::Relationship::Spouse as i32,
            ..Default::default()
        };
        retry(&self.stats, Retry::Eventual, || {
            let mut client = self.enrollment();
            let req = self
                .tokens
                .request(&Role::Worker { person_id: worker }, request.clone());
            async move { client.grant_delegation(req).await }
        })
        .await
        .context("GrantDelegation")?;
        Ok(())
    }

    async fn report(
        &self,
        role: &Role,
        request: ipb::ReportIncidentRequest,
    ) -> anyhow::Result<String> {
        // A relative's delegation reaches incident through Kafka: until then, refused.
        let answer = retry(&self.stats, Retry::Delegated, || {
            let mut client = self.incident();
            let req = self.tokens.request(role, request.clone());
            async move { client.report_incident(req).await }
        })
        .await
        .context("ReportIncident")?;
        Ok(answer
            .into_inner()
            .incident
            .context("no incident in the answer")?
            .incident_id)
    }

    /// Files the application; an error carries the gRPC status for the caller to judge.
    async fn file(
        &self,
        role: &Role,
        incident_id: &str,
        suffix: &str,
        late_explanation: &str,
    ) -> anyhow::Result<()> {
        let request = ipb::FileApplicationRequest {
            request_id: format!("demo-{incident_id}-{suffix}"),
            incident_id: incident_id.to_string(),
            late_explanation: late_explanation.to_string(),
        };
        retry(&self.stats, Retry::Transient, || {
            let mut client = self.incident();
            let req = self.tokens.request(role, request.clone());
            async move { client.file_application(req).await }
        })
        .await
        .map_err(anyhow::Error::from)?;
        Ok(())
    }

    // ------------------------------------------------------------------ claims

    /// The adjuster works the review queue: confirms what is only late with an explanation
    /// (or otherwise clear), refuses with the reason code the review reasons point to.
    pub async fn decide_review_queue(
        &self,
        decisions: &mut BTreeMap<String, u64>,
    ) -> anyhow::Result<u64> {
        let mut decided = 0;
        // Bounded: every pass decides a full page; the queue only shrinks.
        for _ in 0..1000 {
            let page = retry(&self.stats, Retry::Transient, || {
                let mut client = self.claims();
                let req = self.tokens.request(
                    &Role::national_adjuster(),
                    cpb::ListReviewQueueRequest {
                        page: Some(PageRequest {
                            page_size: 100,
                            page_token: String::new(),
                        }),
                    },
                );
                async move { client.list_review_queue(req).await }
            })
            .await?
            .into_inner();
            if page.claims.is_empty() {
                return Ok(decided);
            }
            for claim in page.claims {
                let (status, reason, note) = decide(&claim.review_reasons);
                let request = cpb::DecideRequest {
                    request_id: format!("demo-decide-{}", claim.claim_id),
                    claim_id: claim.claim_id.clone(),
                    decision: status as i32,
                    refusal_reason: reason as i32,
                    note: note.into(),
                };
                retry(&self.stats, Retry::Transient, || {
                    let mut client = self.claims();
                    let req = self
                        .tokens
                        .request(&Role::national_adjuster(), request.clone());
                    async move { client.decide(req).await }
                })
                .await
                .with_context(|| format!("Decide {}", claim.claim_id))?;
                *decisions.entry(note.to_string()).or_default() += 1;
                decided += 1;
            }
        }
        bail!("the review queue did not empty")
    }

    /// Appraisal for the hospitalised, benefits for every confirmed claim, payouts through
    /// this month. Returns (appraisals, assessed fen one-time, monthly fen, paid fen).
    #[expect(
        clippy::too_many_lines,
        reason = "appraisal, assessment and payout passes over every claim; to split by pass"
    )]
    pub async fn benefits(
        &self,
        confirmed: &[(String, Application)],
        failures: &mut Vec<String>,
    ) -> anyhow::Result<BenefitTotals> {
        let now = Utc::now();
        let this_month = CalendarMonth::of(now).to_string();
        let today = shanghai_date(now).format("%Y-%m-%d").to_string();
        let mut totals = BenefitTotals::default();
        let progress = Progress::new("claims assessed and paid", confirmed.len() as u64);
        for (n, (claim_id, app)) in confirmed.iter().enumerate() {
            let mut rng = Rng::new(self.seed ^ n as u64 ^ 0xBE_2EF1);
            let hospitalised = app.severity == ipb::Severity::Hospitalised;
            if hospitalised && rng.chance(0.5) {
                let request = cpb::RecordAppraisalRequest {
                    request_id: format!("demo-appraisal-{claim_id}"),
                    claim_id: claim_id.clone(),
                    grade: rng.range(7, 11) as i32,
                    nursing_level: cpb::NursingLevel::None as i32,
                    appraised_on: today.clone(),
                    appraisal_body: "深圳市劳动能力鉴定委员会".into(),
                };
                match retry(&self.stats, Retry::Transient, || {
                    let mut client = self.claims();
                    let req = self
                        .tokens
                        .request(&Role::national_adjuster(), request.clone());
                    async move { client.record_appraisal(req).await }
                })
                .await
                {
                    Ok(_) => totals.appraisals += 1,
                    Err(e) => failures.push(format!("RecordAppraisal {claim_id}: {e}")),
                }
            }
            let request = cpb::AssessBenefitsRequest {
                request_id: format!("demo-assess-{claim_id}"),
                claim_id: claim_id.clone(),
                approved_bills: vec![cpb::ApprovedBill {
                    kind: cpb::BillKind::MedicalAndRehabilitation as i32,
                    amount_fen: rng.range(80_000, 6_000_000),
                }],
                hospital_days: if hospitalised {
                    rng.range(2, 30) as i32
                } else {
                    0
                },
                died_at: app.died_at.map(timestamp),
                dependants: if app.died_at.is_some() {
                    vec![
                        cpb::Dependant {
                            relation: cpb::Relation::Spouse as i32,
                            supplement: 0,
                        },
                        cpb::Dependant {
                            relation: cpb::Relation::Child as i32,
                            supplement: 0,
                        },
                    ]
                } else {
                    Vec::new()
                },
                start_month: this_month.clone(),
                monthly_instalments: 1,
            };
            match retry(&self.stats, Retry::Transient, || {
                let mut client = self.claims();
                let req = self
                    .tokens
                    .request(&Role::national_adjuster(), request.clone());
                async move { client.assess_benefits(req).await }
            })
            .await
            {
                Ok(answer) => {
                    let claim = answer.into_inner().claim.unwrap_or_default();
                    if !claim.awaiting_parameters.is_empty() {
                        // A figure is missing: the claim waits, listed for operators, and is
                        // assessed when one adds it.
                        *totals
                            .awaiting_parameters
                            .entry(claim.awaiting_parameters)
                            .or_default() += 1;
                        progress.add(1);
                        continue;
                    }
                    if let Some(a) = claim.assessment {
                        totals.one_time_fen += a.total_one_time_fen;
                        totals.monthly_fen += a.total_monthly_fen;
                        totals.assessed += 1;
                    }
                }
                Err(e) => {
                    failures.push(format!("AssessBenefits {claim_id}: {e}"));
                    progress.add(1);
                    continue;
                }
            }
            // The worker registers where the benefits go; payouts go there.
            let account = cpb::SetBeneficiaryAccountRequest {
                request_id: format!("demo-account-{claim_id}"),
                person_id: app.person_id.to_string(),
                account_reference: format!("6222{:015}", rng.range(0, 999_999_999_999_999)),
            };
            let worker = Role::Worker {
                person_id: app.person_id,
            };
            if let Err(e) = retry(&self.stats, Retry::Transient, || {
                let mut client = self.claims();
                let req = self.tokens.request(&worker, account.clone());
                async move { client.set_beneficiary_account(req).await }
            })
            .await
            {
                failures.push(format!("SetBeneficiaryAccount {claim_id}: {e}"));
            }
            let request = cpb::IssuePayoutsRequest {
                request_id: format!("demo-payout-{claim_id}-{this_month}"),
                claim_id: claim_id.clone(),
                through_month: this_month.clone(),
                account_reference: String::new(),
            };
            match retry(&self.stats, Retry::Transient, || {
                let mut client = self.claims();
                let req = self
                    .tokens
                    .request(&Role::national_adjuster(), request.clone());
                async move { client.issue_payouts(req).await }
            })
            .await
            {
                Ok(answer) => {
                    let answer = answer.into_inner();
                    totals.payouts += answer.issued.len() as u64;
                    totals.paid_fen += answer.issued.iter().map(|p| p.amount_fen).sum::<i64>();
                }
                Err(e) => failures.push(format!("IssuePayouts {claim_id}: {e}")),
            }
            progress.add(1);
        }
        progress.finish();
        Ok(totals)
    }

    // ------------------------------------------------------------------ the month's close

    /// Closes the month, lists each platform's declarations and pays them in full.
    /// Returns per platform (declared fen, paid fen).
    pub async fn close_and_pay(
        &self,
        month: CalendarMonth,
        tally: &Tally,
    ) -> anyhow::Result<Vec<(i64, i64)>> {
        let request = ppb::CloseMonthRequest {
            request_id: format!("demo-close-{month}"),
            month: month.to_string(),
        };
        retry(&self.stats, Retry::Transient, || {
            let mut client = self.premium();
            let req = self
                .tokens
                .request(&Role::national_operator(), request.clone());
            async move { client.close_month(req).await }
        })
        .await
        .with_context(|| format!("CloseMonth {month}"))?;
        let mut out = Vec::new();
        for (p, platform_id) in tally.platform_ids.iter().enumerate() {
            let list = retry(&self.stats, Retry::Transient, || {
                let mut client = self.premium();
                let req = self.tokens.request(
                    &Role::national_operator(),
                    ppb::ListDeclarationsRequest {
                        platform_id: platform_id.to_string(),
                        month: month.to_string(),
                        page: Some(PageRequest {
                            page_size: 100,
                            page_token: String::new(),
                        }),
                    },
                );
                async move { client.list_declarations(req).await }
            })
            .await?
            .into_inner()
            .declarations;
            let declared: i64 = list.iter().map(|d| d.total_fen).sum();
            let mut paid = 0;
            if declared > 0 {
                let request = ppb::RecordPaymentRequest {
                    platform_id: platform_id.to_string(),
                    reference: format!("TAX-{month}-{p:03}"),
                    amount_fen: declared,
                    received_at: None,
                };
                let answer = retry(&self.stats, Retry::Transient, || {
                    let mut client = self.premium();
                    let req = self
                        .tokens
                        .request(&Role::national_operator(), request.clone());
                    async move { client.record_payment(req).await }
                })
                .await
                .context("RecordPayment")?
                .into_inner();
                paid = answer
                    .payment
                    .map(|p| p.allocations.iter().map(|a| a.amount_fen).sum())
                    .unwrap_or(0);
            }
            out.push((declared, paid));
        }
        Ok(out)
    }

    /// Premium's month statement of a platform: (orders, billable, fen).
    pub async fn statement(
        &self,
        platform_id: Uuid,
        month: &str,
    ) -> anyhow::Result<(i64, i64, i64)> {
        let s = retry(&self.stats, Retry::Transient, || {
            let mut client = self.premium();
            let req = self.tokens.request(
                &Role::Platform { platform_id },
                ppb::GetMonthStatementRequest {
                    platform_id: platform_id.to_string(),
                    month: month.to_string(),
                },
            );
            async move { client.get_month_statement(req).await }
        })
        .await?
        .into_inner();
        Ok((s.order_count, s.billable_count, s.amount_fen))
    }
}

#[derive(Debug, Default, Clone)]
pub struct BenefitTotals {
    pub appraisals: u64,
    pub assessed: u64,
    pub one_time_fen: i64,
    pub monthly_fen: i64,
    pub payouts: u64,
    pub paid_fen: i64,
    /// Example figures the demo entered through AddBenefitFigure.
    pub example_figures: u32,
    /// The figures assessments wait for, with counts.
    pub awaiting_parameters: BTreeMap<String, u64>,
}

struct BatchOutcome {
    stored: Vec<bool>,
    rejected: u64,
    first_rejection: Option<String>,
    latencies: Vec<Duration>,
}

fn status_code(err: &anyhow::Error) -> Option<tonic::Code> {
    err.downcast_ref::<tonic::Status>().map(|s| s.code())
}

fn severity_of(rng: &mut Rng) -> ipb::Severity {
    if rng.chance(0.6) {
        ipb::Severity::Outpatient
    } else {
        ipb::Severity::Hospitalised
    }
}

fn description(kind: IncidentKind) -> &'static str {
    match kind {
        IncidentKind::CommuteMainFault => "前往取货途中闯红灯与货车相撞",
        IncidentKind::IllnessDeath => "送单途中突发心梗,送医抢救",
        IncidentKind::IllnessSurvived => "配送中突发晕厥,住院治疗后好转",
        IncidentKind::OffOrder => "下线后在小区内摔倒",
        _ => "配送途中发生意外受伤",
    }
}

fn timeline_scale(timeline: &Timeline, minutes: f64) -> TimeDelta {
    let ms = timeline.day_length.num_milliseconds() as f64 * minutes / 1440.0;
    TimeDelta::milliseconds(ms.max(1.0) as i64)
}

/// The adjuster's rule of thumb: the first doubtful reason decides the refusal; a claim only
/// late with an explanation is confirmed (the explanation is accepted).
pub fn decide(reasons: &[String]) -> (cpb::ClaimStatus, cpb::RefusalReason, &'static str) {
    use cpb::RefusalReason as R;
    let has = |r: &str| reasons.iter().any(|x| x == r);
    let refuse = |reason: R, note: &'static str| (cpb::ClaimStatus::Refused, reason, note);
    if has("POSSIBLE_DUPLICATE") {
        refuse(R::DuplicateClaim, "refused: duplicate claim")
    } else if has("COMMUTE_TRAFFIC_WORKER_AT_FAULT") {
        refuse(R::CommuteWorkerAtFault, "refused: commute, worker at fault")
    } else if has("SUDDEN_ILLNESS_WITHOUT_TIMELY_DEATH") {
        refuse(
            R::SuddenIllnessNotDeemed,
            "refused: sudden illness not deemed",
        )
    } else if has("NO_COVERING_ORDER") {
        refuse(R::NotDuringOrder, "refused: not during an order")
    } else if has("LATE_WITHOUT_EXPLANATION") {
        refuse(R::FiledLate, "refused: filed late")
    } else if has("NOT_REGISTERED") {
        refuse(R::NotRegistered, "refused: not registered")
    } else {
        (
            cpb::ClaimStatus::Confirmed,
            R::Unspecified,
            "confirmed by the adjuster",
        )
    }
}

/// Awaits every future; the first error wins.
pub async fn futures_join_all<F>(futures: Vec<F>) -> anyhow::Result<()>
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    futures::future::try_join_all(futures).await.map(|_| ())
}

/// Claim events as the adjuster's WatchClaims stream shows them, resumed after every break.
#[derive(Default)]
pub struct ClaimBook {
    /// incident_id → claim ids opened for it.
    pub by_incident: HashMap<String, Vec<String>>,
    pub claims: HashMap<String, ClaimState>,
    pub events: u64,
    pub event_types: BTreeMap<String, u64>,
    pub reconnects: u64,
}

#[derive(Default, Debug, Clone)]
pub struct ClaimState {
    pub incident_id: String,
    /// When this program first saw it determined (confirmed, or routed to review).
    pub determined_at: Option<Instant>,
    pub review_reasons: Vec<String>,
    pub confirmed: Option<bool>,
    pub refused: Option<String>,
}

/// The commissioned insurer of the simulated city (an id derived from the seed).
pub fn demo_insurer(seed: u64) -> Uuid {
    Uuid::from_u64_pair(0x6769_6773_6869_656c, seed)
}

/// Follows WatchClaims as `insurer` from the beginning until `stop` is set, reconnecting with
/// the last resume token (no gap, no duplicate) when the stream or the service breaks.
pub async fn watch_claims(
    channel: Channel,
    tokens: Tokens,
    insurer: Uuid,
    book: Arc<Mutex<ClaimBook>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut resume = String::new();
    while !stop.load(Ordering::Relaxed) {
        let mut client = ClaimsServiceClient::new(channel.clone());
        let mut req = tokens.request(
            &Role::Insurer {
                insurer_id: insurer,
            },
            cpb::WatchClaimsRequest {
                resume_token: resume.clone(),
            },
        );
        req.set_timeout(Duration::from_secs(24 * 3600));
        let mut stream = match client.watch_claims(req).await {
            Ok(s) => s.into_inner(),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                book.lock().await.reconnects += 1;
                continue;
            }
        };
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let item =
                match tokio::time::timeout(Duration::from_millis(500), stream.message()).await {
                    Err(_) => continue,
                    Ok(Ok(Some(item))) => item,
                    Ok(_) => break,
                };
            resume = item.resume_token.clone();
            let mut book = book.lock().await;
            book.events += 1;
            *book.event_types.entry(item.event_type.clone()).or_default() += 1;
            let now = Instant::now();
            match item.event {
                Some(Event::ClaimOpened(e)) => {
                    book.by_incident
                        .entry(e.incident_id.clone())
                        .or_default()
                        .push(e.claim_id.clone());
                    book.claims.entry(e.claim_id).or_default().incident_id = e.incident_id;
                }
                Some(Event::ClaimRouted(e)) => {
                    let c = book.claims.entry(e.claim_id).or_default();
                    c.review_reasons = e.review_reasons;
                    c.determined_at.get_or_insert(now);
                }
                Some(Event::ClaimConfirmed(e)) => {
                    let c = book.claims.entry(e.claim_id).or_default();
                    c.confirmed = Some(e.automatic);
                    c.refused = None;
                    c.determined_at.get_or_insert(now);
                }
                Some(Event::ClaimRefused(e)) => {
                    let c = book.claims.entry(e.claim_id).or_default();
                    c.refused = Some(e.refusal_reason);
                    c.confirmed = None;
                    c.determined_at.get_or_insert(now);
                }
                _ => {}
            }
        }
        book.lock().await.reconnects += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The rate that prices a platform's orders.
pub fn rate_of(tally: &Tally, industry: Industry) -> i64 {
    tally.rates.get(&(industry as i32)).copied().unwrap_or(0)
}
