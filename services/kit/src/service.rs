//! The skeleton every service runs in: database connected and migrated, outbox relay and
//! consumers as background tasks, gRPC with health, reflection, tracing and auth, and an
//! orderly shutdown.
//!
//! Shutdown order on SIGTERM: health turns NOT_SERVING, the server stops accepting and lets
//! in-flight calls finish, consumers stop after their current event, then the relay publishes
//! what those calls committed and flushes the producer.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::auth::{AuthInterceptor, JwtVerifier};
use crate::config::KitConfig;
use crate::consumer::{EventHandler, IdempotentConsumer, Subscription};
use crate::idempotency::Replays;
use crate::outbox::OutboxNotifier;
use crate::outbox::relay::Relay;
use crate::write::Writer;

/// How often readiness re-checks the database and Kafka.
const HEALTH_INTERVAL: Duration = Duration::from_secs(5);
/// Health name for liveness probes: SERVING while the process serves at all. The overall
/// status `""` (readiness) also needs the database and Kafka; a liveness probe on it would
/// restart every pod during a Kafka outage.
pub const LIVENESS: &str = "liveness";

pub struct Service {
    pub config: KitConfig,
    pub db: DatabaseConnection,
    /// Cancelled on SIGTERM (see [`crate::shutdown::cancel_on_signal`]) or by a test.
    pub shutdown: CancellationToken,
    auth: AuthInterceptor,
    relay: Relay,
    consumers: Vec<JoinHandle<()>>,
    descriptor_sets: Vec<&'static [u8]>,
    /// The gRPC services this port serves, as reflection and health name them.
    advertised: Vec<&'static str>,
}

impl Service {
    /// Connects to the database, applies `M`'s migrations, loads the JWT keys and prepares the
    /// outbox relay. Installs the Prometheus listener when `METRICS_ADDR` is set.
    pub async fn init<M: MigratorTrait>(config: KitConfig) -> anyhow::Result<Self> {
        if let Some(addr) = config.metrics_addr {
            crate::telemetry::install_metrics(addr)?;
        }
        let verifier = Arc::new(JwtVerifier::from_config(
            &config.auth,
            &config.service_name,
        )?);
        let db = crate::db::connect(&config.database).await?;
        crate::db::migrate::<M>(&db).await?;
        let relay = Relay::new(
            db.clone(),
            &config.kafka,
            &config.service_name,
            config.outbox.clone(),
        )?;
        Ok(Self {
            db,
            shutdown: CancellationToken::new(),
            auth: AuthInterceptor::new(verifier),
            relay,
            consumers: Vec::new(),
            descriptor_sets: vec![gigshield_proto::FILE_DESCRIPTOR_SET],
            advertised: Vec::new(),
            config,
        })
    }

    pub fn auth(&self) -> AuthInterceptor {
        self.auth.clone()
    }

    /// Handlers wake the relay through this after committing an event.
    pub fn outbox(&self) -> OutboxNotifier {
        self.relay.notifier()
    }

    /// The write path of the service's API (see [`crate::write`]).
    pub fn writer(&self) -> Writer {
        Writer::new(
            self.db.clone(),
            self.outbox(),
            Replays {
                vault: self.config.vault.clone(),
                retention: self.config.replay_retention,
            },
            self.config.clock.clone(),
        )
    }

    /// The time handlers and consumers act at.
    pub fn clock(&self) -> crate::clock::Clock {
        self.config.clock.clone()
    }

    /// Seals personal data (`PII_*`).
    pub fn vault(&self) -> Arc<crate::pii::PiiVault> {
        self.config.vault.clone()
    }

    /// Creates the topics the service publishes, unless `KAFKA_ENSURE_TOPICS=false` (in
    /// Kubernetes, Strimzi `KafkaTopic` resources own them and the service may lack the ACL).
    pub async fn ensure_topics(&self, topics: &[crate::kafka::TopicSpec]) -> anyhow::Result<()> {
        if self.config.kafka.ensure_topics {
            crate::kafka::ensure_topics(&self.config.kafka, topics).await?;
        }
        Ok(())
    }

    /// Names a gRPC service this port serves (the generated `SERVICE_NAME`): reflection lists
    /// only the named services (plus health and reflection; without a name, every service in
    /// the descriptor sets), and health answers for each name.
    pub fn advertise(&mut self, service_name: &'static str) {
        self.advertised.push(service_name);
    }

    /// Serves an extra descriptor set through reflection (services outside `gigshield-proto`).
    pub fn add_descriptor_set(&mut self, set: &'static [u8]) {
        self.descriptor_sets.push(set);
    }

    /// Starts an idempotent consumer that runs until shutdown. Each subscription names the
    /// one service that publishes on its topic; events from anyone else are dead-lettered.
    pub fn spawn_consumer<H: EventHandler>(
        &mut self,
        group_id: &str,
        subscriptions: &[Subscription<'_>],
        handler: H,
    ) -> anyhow::Result<()> {
        self.spawn_consumer_in_lanes(group_id, subscriptions, handler, 1)
    }

    /// [`Self::spawn_consumer`] handling up to `lanes` partitions at once
    /// ([`IdempotentConsumer::in_lanes`]: only for handlers whose events of different keys never
    /// read and then write the same rows).
    pub fn spawn_consumer_in_lanes<H: EventHandler>(
        &mut self,
        group_id: &str,
        subscriptions: &[Subscription<'_>],
        handler: H,
        lanes: usize,
    ) -> anyhow::Result<()> {
        // An applied event may have enqueued events of our own: publish them now rather than
        // at the relay's next poll.
        let relay = self.relay.notifier();
        let consumer = IdempotentConsumer::new(
            &self.config.kafka,
            group_id,
            subscriptions,
            self.db.clone(),
            handler,
        )?
        .on_committed(move |_, outcome| {
            if outcome == crate::consumer::Outcome::Applied {
                relay.notify();
            }
        })
        .in_lanes(lanes);
        self.consumers
            .push(tokio::spawn(consumer.run(self.shutdown.clone())));
        Ok(())
    }

    /// Runs a background task of the service (a periodic sweep) that ends by itself on
    /// [`Self::shutdown`]; [`Self::serve`] waits for it like for the consumers.
    pub fn spawn_task(&mut self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.consumers.push(tokio::spawn(task));
    }

    /// Serves `routes` (plus health and reflection) on `listener` until shutdown.
    pub async fn serve(self, listener: TcpListener, routes: Routes) -> anyhow::Result<()> {
        let Service {
            config,
            db,
            shutdown,
            relay,
            consumers,
            descriptor_sets,
            advertised,
            ..
        } = self;
        // First, before any task starts: a certificate that does not load stops the start.
        let tls = config.grpc_tls.as_ref().map(load_tls).transpose()?;
        let (reporter, health_service) = tonic_health::server::health_reporter();
        reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        reporter
            .set_service_status(LIVENESS, ServingStatus::Serving)
            .await;
        let health_task = tokio::spawn(watch_dependencies(
            reporter.clone(),
            advertised.clone(),
            db.clone(),
            config.clone(),
            shutdown.clone(),
        ));

        let relay_stop = CancellationToken::new();
        let relay_task = tokio::spawn(relay.run(relay_stop.clone()));

        let reflection = |itself: &str| reflection(&descriptor_sets, &advertised, itself);
        let reflection_v1 = reflection("grpc.reflection.v1.ServerReflection").build_v1()?;
        // Older grpcurl, Postman and many IDEs speak only v1alpha.
        let reflection_v1alpha =
            reflection("grpc.reflection.v1alpha.ServerReflection").build_v1alpha()?;

        tracing::info!(
            service = %config.service_name,
            addr = %listener.local_addr()?,
            tls = config.grpc_tls.is_some(),
            "serving gRPC"
        );
        let health_port = match config.grpc_health_addr {
            Some(addr) => {
                Some(spawn_health_port(addr, health_service.clone(), shutdown.clone()).await?)
            }
            None => None,
        };
        let stop = shutdown.clone();
        let limits = &config.grpc;
        let router = tonic::transport::Server::builder()
            .timeout(limits.request_timeout)
            .concurrency_limit_per_connection(limits.concurrency_per_connection)
            .max_concurrent_streams(limits.max_concurrent_streams)
            .http2_keepalive_interval(Some(limits.keepalive))
            .tcp_keepalive(Some(limits.keepalive))
            .max_connection_age(limits.max_connection_age)
            .layer(crate::grpc_edge::CallerFaultStatus)
            .trace_fn(crate::telemetry::grpc_request_span)
            .add_routes(routes)
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);
        let stopping = async move {
            stop.cancelled().await;
            reporter
                .set_service_status("", ServingStatus::NotServing)
                .await;
        };
        let served = match tls {
            Some((acceptor, certificate, every)) => {
                let watcher = tokio::spawn(crate::tls_listener::watch(
                    certificate,
                    every,
                    shutdown.clone(),
                ));
                let incoming = crate::tls_listener::incoming(listener, acceptor, shutdown.clone());
                let served = router
                    .serve_with_incoming_shutdown(incoming, stopping)
                    .await;
                watcher.abort();
                served
            }
            None => {
                router
                    .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stopping)
                    .await
            }
        };
        shutdown.cancel();

        let grace = config.shutdown_grace;
        let drain = async {
            for consumer in consumers {
                let _ = consumer.await;
            }
            relay_stop.cancel();
            let _ = relay_task.await;
        };
        if tokio::time::timeout(grace, drain).await.is_err() {
            tracing::warn!(
                ?grace,
                "shutdown grace elapsed before the relay drained; unsent events stay in the outbox"
            );
        }
        health_task.abort();
        if let Some(port) = health_port {
            let _ = port.await;
        }
        db.close().await.ok();
        served?;
        Ok(())
    }
}

/// Serves only `grpc.health.v1.Health`, in plaintext, on `addr` until shutdown: what a
/// kubelet probe reaches when the main port speaks TLS. It reports the same statuses.
async fn spawn_health_port(
    addr: std::net::SocketAddr,
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
    shutdown: CancellationToken,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "serving gRPC health in plaintext");
    Ok(tokio::spawn(async move {
        let served = tonic::transport::Server::builder()
            .add_service(health)
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown.cancelled())
            .await;
        if let Err(err) = served {
            tracing::error!(%err, "health port failed");
        }
    }))
}

/// The outbox backlog and the connection pool, every health round.
async fn record_gauges(db: &DatabaseConnection) {
    match crate::outbox::backlog(db, chrono::Utc::now()).await {
        Ok((rows, oldest)) => {
            metrics::gauge!("outbox_backlog_rows").set(rows as f64);
            metrics::gauge!("outbox_oldest_unsent_seconds").set(oldest);
        }
        Err(err) => tracing::warn!(error = %err, "outbox backlog not read"),
    }
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let pool = db.get_postgres_connection_pool();
        let idle = pool.num_idle() as f64;
        metrics::gauge!("db_pool_connections", "state" => "idle").set(idle);
        metrics::gauge!("db_pool_connections", "state" => "in_use")
            .set(f64::from(pool.size()) - idle);
    }
}

/// Readiness: SERVING only while both the database and Kafka answer, for the overall status
/// and for each advertised service name; the gauges (outbox, pool, process) each round.
async fn watch_dependencies(
    reporter: HealthReporter,
    advertised: Vec<&'static str>,
    db: DatabaseConnection,
    config: KitConfig,
    shutdown: CancellationToken,
) {
    loop {
        let db_ok = db.ping().await.is_ok();
        let kafka_ok = crate::kafka::ping(&config.kafka, Duration::from_secs(2))
            .await
            .is_ok();
        let status = if db_ok && kafka_ok && !shutdown.is_cancelled() {
            ServingStatus::Serving
        } else {
            tracing::warn!(db_ok, kafka_ok, "dependency check failed");
            ServingStatus::NotServing
        };
        reporter.set_service_status("", status).await;
        for name in &advertised {
            reporter.set_service_status(*name, status).await;
        }
        if db_ok {
            record_gauges(&db).await;
        }
        crate::process_metrics::record();
        tokio::select! {
            _ = tokio::time::sleep(HEALTH_INTERVAL) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

type LoadedTls = (
    tokio_rustls::TlsAcceptor,
    Arc<crate::tls_listener::ReloadingCertificate>,
    std::time::Duration,
);

/// The acceptor and the certificate it serves (reloaded every `reload_every`).
fn load_tls(tls: &crate::tls::ServerTls) -> anyhow::Result<LoadedTls> {
    let certificate = Arc::new(crate::tls_listener::ReloadingCertificate::load(
        &tls.identity,
    )?);
    let acceptor = crate::tls_listener::acceptor(tls, certificate.clone())?;
    Ok((acceptor, certificate, tls.reload_every))
}

/// Reflection for this port: health, error details and the service's own descriptor sets;
/// listing the advertised services, health and `itself` when any is advertised.
fn reflection<'a>(
    descriptor_sets: &[&'static [u8]],
    advertised: &[&'static str],
    itself: &str,
) -> tonic_reflection::server::Builder<'a> {
    let mut builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        // `google.rpc.BadRequest` and friends: clients decode the error details.
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET);
    for set in descriptor_sets {
        builder = builder.register_encoded_file_descriptor_set(set);
    }
    if !advertised.is_empty() {
        builder = builder
            .with_service_name("grpc.health.v1.Health")
            .with_service_name(itself);
        for name in advertised {
            builder = builder.with_service_name(*name);
        }
    }
    builder
}
