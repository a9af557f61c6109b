//! Wires configuration, telemetry, the database, the premium and claims consumers, the outbox
//! relay and the gRPC API.

use gigshield_fund::api::FundApi;
use gigshield_fund::config::{FundConfig, SERVICE_NAME};
use gigshield_fund::consumers;
use gigshield_fund::store::Migrator;
use gigshield_kit::config::Env;
use gigshield_kit::kafka::TopicSpec;
use gigshield_kit::{Service, shutdown, telemetry};
use gigshield_proto::fund::fund_service_server::FundServiceServer;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = FundConfig::from_env(&Env::process())?;
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
        &config.premium_topic,
        &config.claims_topic,
    )?;
    let api = FundApi::new(
        service.writer(),
        config.topic.clone(),
        config.stats_min_claims,
    );
    let listener = tokio::net::TcpListener::bind(config.kit.grpc_addr).await?;
    let routes =
        tonic::service::Routes::new(FundServiceServer::with_interceptor(api, service.auth()));
    service.advertise(gigshield_proto::fund::fund_service_server::SERVICE_NAME);
    service.serve(listener, routes).await
}
