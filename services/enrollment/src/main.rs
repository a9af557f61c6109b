//! Wires configuration, telemetry, the database, the consumers, the outbox relay and the gRPC
//! API.

use gigshield_enrollment::api::{EnrollmentApi, Settings};
use gigshield_enrollment::config::{EnrollmentConfig, SERVICE_NAME};
use gigshield_enrollment::consumers;
use gigshield_enrollment::events::TOPIC;
use gigshield_enrollment::store::Migrator;
use gigshield_kit::config::Env;
use gigshield_kit::kafka::TopicSpec;
use gigshield_kit::{Service, shutdown, telemetry};
use gigshield_proto::enrollment::enrollment_service_server::EnrollmentServiceServer;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = EnrollmentConfig::from_env(&Env::process())?;
    let _telemetry = telemetry::init(SERVICE_NAME, &config.kit.telemetry)?;
    let mut service = Service::init::<Migrator>(config.kit.clone()).await?;
    service
        .ensure_topics(&[TopicSpec {
            name: TOPIC.into(),
            partitions: config.topic_partitions,
            retention: None,
        }])
        .await?;
    shutdown::cancel_on_signal(service.shutdown.clone());
    consumers::spawn(&mut service, &config.followed)?;

    let settings = Settings {
        topic: TOPIC.into(),
        min_age: config.min_age,
        clock_skew: config.clock_skew,
    };
    let api = EnrollmentApi::new(service.writer(), service.vault(), settings);
    let listener = tokio::net::TcpListener::bind(config.kit.grpc_addr).await?;
    let routes = tonic::service::Routes::new(EnrollmentServiceServer::with_interceptor(
        api,
        service.auth(),
    ));
    service.advertise(gigshield_proto::enrollment::enrollment_service_server::SERVICE_NAME);
    service.serve(listener, routes).await
}
