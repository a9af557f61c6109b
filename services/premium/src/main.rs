//! Wires configuration, telemetry, the database, the consumers, the outbox relay and the gRPC
//! API.

use gigshield_kit::config::Env;
use gigshield_kit::kafka::TopicSpec;
use gigshield_kit::{Service, shutdown, telemetry};
use gigshield_premium::api::PremiumApi;
use gigshield_premium::config::{PremiumConfig, SERVICE_NAME};
use gigshield_premium::consumers::{self, CLAIMS_TOPIC, ENROLLMENT_TOPIC};
use gigshield_premium::events::TOPIC;
use gigshield_premium::store::Migrator;
use gigshield_proto::premium::premium_service_server::PremiumServiceServer;

// mimalloc: glibc's malloc spent a third of premium's ingest CPU (perf, 2026-12-01).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = PremiumConfig::from_env(&Env::process())?;
    let _telemetry = telemetry::init(SERVICE_NAME, &config.kit.telemetry)?;
    let mut service = Service::init::<Migrator>(config.kit.clone()).await?;
    service
        .ensure_topics(&[TopicSpec {
            name: TOPIC.into(),
            partitions: config.topic_partitions,
            retention: None,
        }])
        .await?;
    consumers::spawn(&mut service, ENROLLMENT_TOPIC, CLAIMS_TOPIC)?;
    shutdown::cancel_on_signal(service.shutdown.clone());

    gigshield_premium::api::orders::describe_metrics();
    let api = PremiumApi::new(service.writer(), config.settings);
    let listener = tokio::net::TcpListener::bind(config.kit.grpc_addr).await?;
    let routes =
        tonic::service::Routes::new(PremiumServiceServer::with_interceptor(api, service.auth()));
    service.advertise(gigshield_proto::premium::premium_service_server::SERVICE_NAME);
    service.serve(listener, routes).await
}
