//! Wires configuration, telemetry, the database, the enrollment and incident consumers, the
//! premium client, the outbox relay and the gRPC API.

use std::sync::Arc;

use gigshield_claims::activity::WorkActivity;
use gigshield_claims::api::{ClaimsApi, Settings};
use gigshield_claims::config::{ClaimsConfig, SERVICE_NAME};
use gigshield_claims::domain::benefit_parameters::BenefitParameters;
use gigshield_claims::instalments::InstalmentRun;
use gigshield_claims::intake::{EnrollmentReplica, IncidentIntake};
use gigshield_claims::overdue::OverdueSweep;
use gigshield_claims::premium_channel;
use gigshield_claims::store::Migrator;
use gigshield_claims::stream::StreamNotifier;
use gigshield_kit::auth::ServiceTokens;
use gigshield_kit::config::Env;
use gigshield_kit::consumer::Subscription;
use gigshield_kit::kafka::TopicSpec;
use gigshield_kit::replica::scheme::SchemeCalendar;
use gigshield_kit::{Service, shutdown, telemetry};
use gigshield_proto::claims::claims_service_server::ClaimsServiceServer;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = Env::process();
    let config = ClaimsConfig::from_env(&env)?;
    // Validated as a whole now, so a bad parameter file stops the start, not a payment.
    let benefits = Arc::new(BenefitParameters::embedded()?);
    let tokens =
        ServiceTokens::from_file(SERVICE_NAME, &config.service_signing_key).map_err(|e| {
            anyhow::anyhow!(
                "SERVICE_SIGNING_KEY_FILE {}: {e}",
                config.service_signing_key.display()
            )
        })?;
    let _telemetry = telemetry::init(SERVICE_NAME, &config.kit.telemetry)?;

    let mut service = Service::init::<Migrator>(config.kit.clone()).await?;
    // Lazy: claims starts while premium is down; applications wait in Kafka until it answers.
    let premium_channel = premium_channel::connect(
        &config.premium_addr,
        config.premium_tls.as_ref(),
        config.premium_timeout,
        service.shutdown.clone(),
    )?;
    let premium = WorkActivity::new(premium_channel, Arc::new(tokens));
    service
        .ensure_topics(&[TopicSpec {
            name: config.topic.clone(),
            partitions: config.topic_partitions,
            retention: None,
        }])
        .await?;
    shutdown::cancel_on_signal(service.shutdown.clone());
    let stream = StreamNotifier::default();
    // Separate groups: an application waiting on premium does not hold up memberships. An
    // application that overtakes its worker's registration finds no membership and goes to
    // review (never a refusal), so the lack of cross-topic order costs at most a human look.
    service.spawn_consumer(
        &config.consumer_group,
        &[Subscription {
            topic: &config.enrollment_topic,
            producer: "enrollment",
        }],
        EnrollmentReplica,
    )?;
    service.spawn_consumer_in_lanes(
        &format!("{}-incident", config.consumer_group),
        &[Subscription {
            topic: &config.incident_topic,
            producer: "incident",
        }],
        IncidentIntake {
            topic: config.topic.clone(),
            duplicate_window_hours: config.duplicate_window_hours,
            calendar: SchemeCalendar::new(),
            premium,
            stream: stream.clone(),
            vault: service.vault(),
            clock: service.clock(),
        },
        config.incident_lanes,
    )?;

    gigshield_claims::overdue::describe_metrics();
    let sweep = OverdueSweep {
        db: service.db.clone(),
        vault: service.vault(),
        topic: config.topic.clone(),
        clock: service.clock(),
    };
    let (writer, woken_stream) = (service.writer(), stream.clone());
    service.spawn_task(
        sweep.run(config.overdue_sweep, service.shutdown.clone(), move || {
            writer.outbox.notify();
            woken_stream.notify();
        }),
    );

    let instalments = InstalmentRun {
        db: service.db.clone(),
        vault: service.vault(),
        topic: config.topic.clone(),
        clock: service.clock(),
    };
    let (writer, woken_stream) = (service.writer(), stream.clone());
    service.spawn_task(instalments.run(
        config.instalment_sweep,
        service.shutdown.clone(),
        move || {
            writer.outbox.notify();
            woken_stream.notify();
        },
    ));

    let api = ClaimsApi::new(
        service.writer(),
        Settings {
            topic: config.topic.clone(),
            vault: service.vault(),
            benefits,
            watch_poll: config.watch_poll,
            max_watch_streams: config.max_watch_streams,
            stats_min_persons: config.stats_min_persons,
            stream,
            shutdown: service.shutdown.clone(),
        },
    );
    let listener = tokio::net::TcpListener::bind(config.kit.grpc_addr).await?;
    let routes =
        tonic::service::Routes::new(ClaimsServiceServer::with_interceptor(api, service.auth()));
    service.advertise(gigshield_proto::claims::claims_service_server::SERVICE_NAME);
    service.serve(listener, routes).await
}
