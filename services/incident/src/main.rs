//! Wires configuration, telemetry, the database, the consumers, the outbox relay and the gRPC
//! API.

use chrono::TimeDelta;
use gigshield_incident::api::{IncidentApi, Settings};
use gigshield_incident::config::IncidentConfig;
use gigshield_incident::config::SERVICE_NAME;
use gigshield_incident::consumers;
use gigshield_incident::domain::facts::FactRules;
use gigshield_incident::store::Migrator;
use gigshield_kit::config::Env;
use gigshield_kit::kafka::TopicSpec;
use gigshield_kit::{Service, shutdown, telemetry};
use gigshield_proto::incident::incident_service_server::IncidentServiceServer;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = IncidentConfig::from_env(&Env::process())?;
    let _telemetry = telemetry::init(SERVICE_NAME, &config.kit.telemetry)?;
    let mut service = Service::init::<Migrator>(config.kit.clone()).await?;
    service
        .ensure_topics(&[TopicSpec {
            name: config.topic.clone(),
            partitions: config.topic_partitions,
            retention: None,
        }])
        .await?;
    shutdown::cancel_on_signal(service.shutdown.clone());
    consumers::spawn(
        &mut service,
        &config.consumer_group,
        &config.enrollment_topic,
        &config.claims_topic,
    )?;

    let settings = Settings {
        topic: config.topic.clone(),
        facts: FactRules {
            clock_skew: TimeDelta::from_std(config.clock_skew)?,
            max_text_chars: config.max_text_chars,
        },
        evidence: config.evidence.clone(),
        stats_min_persons: config.stats_min_persons,
    };
    let api = IncidentApi::new(service.writer(), service.vault(), settings);
    let listener = tokio::net::TcpListener::bind(config.kit.grpc_addr).await?;
    let routes =
        tonic::service::Routes::new(IncidentServiceServer::with_interceptor(api, service.auth()));
    service.advertise(gigshield_proto::incident::incident_service_server::SERVICE_NAME);
    service.serve(listener, routes).await
}
