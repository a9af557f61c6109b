//! The gRPC edges of the running binaries, tried as an outside client would: what each port
//! lists through reflection (v1 and v1alpha), health by service name, and the codes bad input
//! gets — a malformed message, an oversized one, out-of-range times, margins and amounts — with
//! the service still serving afterwards.

use gigshield_kit::Role;
use gigshield_proto::premium as ppb;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::stack::{Process, Stack, as_};

/// What a port lists through reflection, sorted.
async fn listed(channel: &Channel, v1alpha: bool) -> Vec<String> {
    let mut names = if v1alpha {
        use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut stream = ServerReflectionClient::new(channel.clone())
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .expect("v1alpha reflection is served")
            .into_inner();
        match stream.next().await.unwrap().unwrap().message_response {
            Some(MessageResponse::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect::<Vec<_>>()
            }
            other => panic!("list services: {other:?}"),
        }
    } else {
        use tonic_reflection::pb::v1::ServerReflectionRequest;
        use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
        let requests = [
            MessageRequest::ListServices(String::new()),
            // The error details a client decodes from a status.
            MessageRequest::FileContainingSymbol("google.rpc.BadRequest".into()),
        ]
        .map(|message_request| ServerReflectionRequest {
            host: String::new(),
            message_request: Some(message_request),
        });
        let mut stream = ServerReflectionClient::new(channel.clone())
            .server_reflection_info(tokio_stream::iter(requests))
            .await
            .expect("v1 reflection is served")
            .into_inner();
        let names = match stream.next().await.unwrap().unwrap().message_response {
            Some(MessageResponse::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect::<Vec<_>>()
            }
            other => panic!("list services: {other:?}"),
        };
        match stream.next().await.unwrap().unwrap().message_response {
            Some(MessageResponse::FileDescriptorResponse(files)) => {
                assert!(!files.file_descriptor_proto.is_empty())
            }
            other => panic!("google.rpc.BadRequest is not served: {other:?}"),
        }
        names
    };
    names.sort();
    names
}

/// Each port lists its own service, health and reflection — nothing of the others' — and
/// answers health for its own service name.
pub async fn discovery(stack: &Stack) {
    for process in stack.processes() {
        let own = own_service(process);
        for v1alpha in [false, true] {
            let reflection = if v1alpha {
                "grpc.reflection.v1alpha.ServerReflection"
            } else {
                "grpc.reflection.v1.ServerReflection"
            };
            let mut want = vec![
                own.to_string(),
                "grpc.health.v1.Health".to_string(),
                reflection.to_string(),
            ];
            want.sort();
            assert_eq!(
                listed(&process.channel, v1alpha).await,
                want,
                "{}",
                process.name
            );
        }
        let mut health = HealthClient::new(process.channel.clone());
        let status = crate::stack::until_ok(crate::story::CATCH_UP, || {
            let mut health = health.clone();
            async move {
                let status = health
                    .check(HealthCheckRequest {
                        service: own.into(),
                    })
                    .await?
                    .into_inner()
                    .status;
                if status == ServingStatus::Serving as i32 {
                    Ok(status)
                } else {
                    Err(tonic::Status::unavailable("not serving yet"))
                }
            }
        })
        .await;
        assert!(status.is_ok(), "{}: {status:?}", process.name);
        let other = health
            .check(HealthCheckRequest {
                service: "gigshield.nothing.v1.Nothing".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(other.code(), Code::NotFound, "{}", process.name);
    }
}

fn own_service(process: &Process) -> &'static str {
    match process.name {
        "enrollment" => gigshield_proto::enrollment::enrollment_service_server::SERVICE_NAME,
        "premium" => gigshield_proto::premium::premium_service_server::SERVICE_NAME,
        "incident" => gigshield_proto::incident::incident_service_server::SERVICE_NAME,
        "claims" => gigshield_proto::claims::claims_service_server::SERVICE_NAME,
        "fund" => gigshield_proto::fund::fund_service_server::SERVICE_NAME,
        other => panic!("unknown process {other}"),
    }
}

/// `RecordPaymentRequest` as a careless client might send it: field 1 (`platform_id`, a
/// string) as a number, and a field nobody knows, for padding.
#[derive(Clone, PartialEq, prost::Message)]
struct Malformed {
    #[prost(uint64, tag = "1")]
    platform_id: u64,
    #[prost(bytes = "vec", tag = "99")]
    padding: Vec<u8>,
}

async fn send_malformed(channel: &Channel, message: Malformed) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.expect("connection");
    let request = as_(&Role::national_operator(), message);
    grpc.unary::<_, (), _>(
        request,
        PathAndQuery::from_static("/gigshield.premium.v1.PremiumService/RecordPayment"),
        tonic_prost::ProstCodec::default(),
    )
    .await
    .expect_err("refused")
}

/// Bad input gets the caller's code, never a crash: premium is tried with what the issue
/// found (the service must still serve afterwards).
pub async fn bad_input(stack: &Stack) {
    let premium = &stack.premium;
    let malformed = send_malformed(
        &premium.channel,
        Malformed {
            platform_id: 7,
            padding: Vec::new(),
        },
    )
    .await;
    assert_eq!(malformed.code(), Code::InvalidArgument, "{malformed:?}");
    let oversized = send_malformed(
        &premium.channel,
        Malformed {
            platform_id: 7,
            padding: vec![0; 5 * 1024 * 1024],
        },
    )
    .await;
    assert_eq!(oversized.code(), Code::ResourceExhausted, "{oversized:?}");

    let mut client =
        ppb::premium_service_client::PremiumServiceClient::new(premium.channel.clone());
    let verify = |at: prost_types::Timestamp, margin: prost_types::Duration| {
        as_(
            &Role::national_operator(),
            ppb::VerifyWorkActivityRequest {
                person_id: uuid::Uuid::now_v7().to_string(),
                at: Some(at),
                margin: Some(margin),
            },
        )
    };
    let now = prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp(),
        nanos: 0,
    };
    for (at, margin, field) in [
        (
            now,
            prost_types::Duration {
                seconds: i64::MAX,
                nanos: 0,
            },
            "margin",
        ),
        (
            prost_types::Timestamp {
                seconds: i64::MAX,
                nanos: 0,
            },
            prost_types::Duration {
                seconds: 600,
                nanos: 0,
            },
            "at",
        ),
    ] {
        let refused = client
            .verify_work_activity(verify(at, margin))
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            Code::InvalidArgument,
            "{field}: {refused:?}"
        );
        assert_eq!(gigshield_kit::testing::violated_fields(&refused), [field]);
    }
    let payment = client
        .record_payment(as_(
            &Role::national_operator(),
            ppb::RecordPaymentRequest {
                platform_id: uuid::Uuid::now_v7().to_string(),
                reference: "ICBC-huge".into(),
                amount_fen: i64::MAX,
                received_at: Some(now),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        gigshield_kit::testing::violated_fields(&payment),
        ["amount_fen"]
    );

    // Still serving.
    let status = HealthClient::new(premium.channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("premium still answers")
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);
}

/// `/metrics` as Prometheus would read it (HTTP/1.0, one GET).
async fn scrape(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("metrics listener");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).await.unwrap();
    body
}

/// Every call is timed per service, method and status code, as a histogram with HELP text;
/// the process's CPU, memory and file descriptors are there under the usual names.
pub async fn metrics(stack: &Stack) {
    let text = scrape(stack.premium.metrics_addr).await;
    for needle in [
        "# HELP rpc_server_duration_seconds ",
        "# TYPE rpc_server_duration_seconds histogram",
        "rpc_server_duration_seconds_bucket{",
        "rpc_method=\"RecordPayment\"",
        "rpc_grpc_status_code=\"3\"",
        "rpc_grpc_status_code=\"8\"",
        "gigshield_build_info{version=",
        "# HELP consumer_events_total ",
        "# TYPE outbox_backlog_rows gauge",
        "outbox_oldest_unsent_seconds ",
        "db_pool_connections{state=\"in_use\"}",
        // The process collector's names, as every Prometheus client library exports them.
        "# HELP process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "process_start_time_seconds ",
    ] {
        assert!(
            text.contains(needle),
            "{needle} missing from /metrics:\n{text}"
        );
    }
}

/// Each consumer reports its lag per partition (librdkafka's statistics, every 15 s: polled
/// until the first report, at most a minute).
pub async fn consumer_lag(stack: &Stack) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let text = scrape(stack.claims.metrics_addr).await;
        if text.contains("kafka_consumer_lag{") {
            assert!(text.contains("# HELP kafka_consumer_lag "), "{text}");
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no kafka_consumer_lag in claims' /metrics:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
