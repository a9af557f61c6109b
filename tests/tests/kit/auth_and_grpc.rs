//! A service built on the kit, over a real socket: authentication, tenancy, health,
//! reflection and graceful shutdown.

use std::time::Duration;

use gigshield_kit::auth::{Claims, DEV_AUDIENCE, DEV_ISSUER};
use gigshield_kit::testing::{TestDatabase, dev_minter, kit_config, token};
use gigshield_kit::{Role, Service};
use gigshield_tests::pb::probe_client::ProbeClient;
use gigshield_tests::pb::probe_server::ProbeServer;
use gigshield_tests::{Migrator, ProbeApi, eventually, pb, platform};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

struct Running {
    channel: Channel,
    stop: gigshield_kit::CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _db: TestDatabase,
}

async fn start() -> Running {
    let db = TestDatabase::postgres().await;
    let mut service = Service::init::<Migrator>(kit_config("probe", &db))
        .await
        .expect("service starts");
    service.add_descriptor_set(pb::DESCRIPTOR_SET);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = service.shutdown.clone();
    let routes =
        tonic::service::Routes::new(ProbeServer::with_interceptor(ProbeApi, service.auth()));
    let task = tokio::spawn(service.serve(listener, routes));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect");
    Running {
        channel,
        stop,
        task,
        _db: db,
    }
}

fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

#[tokio::test]
async fn requests_are_authenticated_and_scoped_to_their_tenant() {
    let app = start().await;
    let mut client = ProbeClient::new(app.channel.clone());
    let mine = uuid::Uuid::now_v7();
    let theirs = uuid::Uuid::now_v7();
    let read = |id: uuid::Uuid| pb::ReadPlatformRequest {
        platform_id: id.to_string(),
    };

    let missing = client.read_platform(read(mine)).await.unwrap_err();
    assert_eq!(missing.code(), Code::Unauthenticated);

    let mut expired = Claims::new("backend", &platform(mine), Duration::from_secs(60));
    expired.exp = chrono::Utc::now().timestamp() - 600;
    expired.iss = Some(DEV_ISSUER.into());
    expired.aud = Some(DEV_AUDIENCE.into());
    let expired = dev_minter().mint_claims(&expired);
    let status = client
        .read_platform(with_token(read(mine), &expired))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("expired"));

    let forged = format!("{}x", token(&platform(mine)));
    assert_eq!(
        client
            .read_platform(with_token(read(mine), &forged))
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );

    let own = token(&platform(mine));
    let ok = client
        .read_platform(with_token(read(mine), &own))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.platform_id, mine.to_string());

    let denied = client
        .read_platform(with_token(read(theirs), &own))
        .await
        .unwrap_err();
    assert_eq!(
        denied.code(),
        Code::PermissionDenied,
        "another tenant's data"
    );

    let worker = token(&Role::Worker { person_id: mine });
    assert_eq!(
        client
            .read_platform(with_token(read(mine), &worker))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );

    let operator = token(&Role::national_operator());
    assert!(
        client
            .read_platform(with_token(read(theirs), &operator))
            .await
            .is_ok()
    );

    let bad = client
        .read_platform(with_token(
            pb::ReadPlatformRequest {
                platform_id: "nope".into(),
            },
            &own,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let violations = tonic_types::StatusExt::get_error_details(&bad);
    assert_eq!(
        violations.bad_request().unwrap().field_violations[0].field,
        "platform_id"
    );

    let me = client
        .who_am_i(with_token(pb::WhoAmIRequest {}, &operator))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.role, "Operator");

    app.stop.cancel();
    app.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn health_reflection_and_graceful_shutdown() {
    let app = start().await;
    let mut health = HealthClient::new(app.channel.clone());
    let serving = eventually(Duration::from_secs(20), || {
        let mut health = health.clone();
        async move {
            health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|r| r.into_inner().status == ServingStatus::Serving as i32)
                .unwrap_or(false)
        }
    })
    .await;
    assert!(serving, "SERVING once the database and Kafka answered");
    let liveness = health
        .check(HealthCheckRequest {
            service: gigshield_kit::service::LIVENESS.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        liveness.status,
        ServingStatus::Serving as i32,
        "liveness answers from the start"
    );

    // Reflection lists the probe service without the client having the .proto files.
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut reflection = ServerReflectionClient::new(app.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = stream.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("list services")
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"gigshield.harness.v1.Probe"), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");

    app.stop.cancel();
    tokio::time::timeout(Duration::from_secs(15), app.task)
        .await
        .expect("stops within the grace period")
        .unwrap()
        .unwrap();
    let after = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await;
    assert!(after.is_err(), "the listener is closed after shutdown");
}
