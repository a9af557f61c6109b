//! Traces as a collector receives them: an OTLP/gRPC trace receiver in this process, the kit's
//! telemetry exporting to it (`OTEL_EXPORTER_OTLP_ENDPOINT`), and the spans of one gRPC call,
//! one outgoing gRPC call and one event's trip (written, sent, processed) checked on the wire:
//! names, kinds, the semantic conventions' attributes, error status, the resource, and one
//! trace from the writer to the consumer. Its own binary: telemetry installs the global
//! subscriber. Needs `make infra-up` (done by `make test`).

// Integration tests are scenarios told start to end; the function-length lint is for the
// code under test.
#![allow(clippy::too_many_lines)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gigshield_kit::CancellationToken;
use gigshield_kit::config::{LogFormat, OutboxConfig, TelemetryConfig};
use gigshield_kit::consumer::{IdempotentConsumer, Subscription};
use gigshield_kit::outbox::relay::Relay;
use gigshield_kit::telemetry;
use gigshield_kit::testing::{TestDatabase, kafka_config, new_topic, token};
use gigshield_tests::pb::probe_client::ProbeClient;
use gigshield_tests::{
    Migrator, RecordEffect, count, eventually, pb, platform, serve_probe, write_events,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span};
use tokio_stream::wrappers::TcpListenerStream;
use tracing::Instrument;

/// Every export request the receiver got.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

impl Receiver {
    fn resource_spans(&self) -> Vec<ResourceSpans> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .flat_map(|r| r.resource_spans.clone())
            .collect()
    }

    fn spans(&self) -> Vec<Span> {
        self.resource_spans()
            .into_iter()
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans)
            .collect()
    }
}

fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    let value = attributes.iter().find(|a| a.key == key)?.value.as_ref()?;
    match value.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::IntValue(i) => Some(i.to_string()),
        other => Some(format!("{other:?}")),
    }
}

fn attr(span: &Span, key: &str) -> Option<String> {
    text(&span.attributes, key)
}

fn is_error(span: &Span) -> bool {
    span.status
        .as_ref()
        .is_some_and(|s| s.code == StatusCode::Error as i32)
}

async fn start_receiver() -> (Receiver, std::net::SocketAddr) {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = TraceServiceServer::new(receiver.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    (receiver, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_an_otlp_receiver_with_their_conventions_and_one_trace_per_trip() {
    let (receiver, addr) = start_receiver().await;
    let guard = telemetry::init(
        "probe",
        &TelemetryConfig {
            otlp_endpoint: Some(format!("http://{addr}")),
            log_format: LogFormat::Text,
        },
    )
    .unwrap();
    assert!(telemetry::exporting());

    // A served call a caller gets wrong (no server fault), and one the server answers.
    let db = TestDatabase::postgres().await;
    let served = serve_probe(&db).await;
    let mine = uuid::Uuid::now_v7();
    let call = |platform_id: uuid::Uuid| {
        let mut request = tonic::Request::new(pb::ReadPlatformRequest {
            platform_id: platform_id.to_string(),
        });
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", token(&platform(mine)))
                .parse()
                .unwrap(),
        );
        request
    };
    let mut client = ProbeClient::new(served.channel.clone());
    // Made inside a client span, as claims calls premium: the server's span is its child.
    let client_span = telemetry::grpc_client_span("gigshield.harness.v1.Probe/ReadPlatform");
    let mut request = call(uuid::Uuid::now_v7());
    let tp = telemetry::traceparent_of(&client_span).unwrap();
    request
        .metadata_mut()
        .insert(telemetry::TRACEPARENT, tp.parse().unwrap());
    let denied = client
        .read_platform(request)
        .instrument(client_span.clone())
        .await
        .unwrap_err();
    telemetry::record_grpc_client_status(&client_span, denied.code());
    drop(client_span);
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);

    // One event's trip: written inside a span, sent by the relay, processed by a consumer. Its
    // own database: the served service's relay would publish the row as another producer.
    let source_db = TestDatabase::postgres().await;
    let source = source_db.connect_migrated::<Migrator>().await;
    let topic = new_topic("otlp", 1).await;
    let write = tracing::info_span!("write");
    write_events(&source, &topic, 1, 1)
        .instrument(write.clone())
        .await
        .unwrap();
    let written_trace = telemetry::traceparent_of(&write).unwrap();
    drop(write);
    let relay = Relay::new(
        source.clone(),
        &kafka_config("otlp-relay"),
        "harness",
        OutboxConfig::default(),
    )
    .unwrap();
    while relay.publish_batch().await.unwrap() > 0 {}
    let sink = TestDatabase::postgres().await;
    let sink_db = sink.connect_migrated::<Migrator>().await;
    let consumer = IdempotentConsumer::new(
        &kafka_config("otlp-consumer"),
        "otlp-consumer",
        &[Subscription {
            topic: &topic,
            producer: "harness",
        }],
        sink_db.clone(),
        RecordEffect,
    )
    .unwrap();
    let stop = CancellationToken::new();
    let consumer_task = tokio::spawn(consumer.run(stop.clone()));
    assert!(
        eventually(Duration::from_secs(60), || async {
            count(&sink_db, "SELECT COUNT(*) FROM effect").await >= 1
        })
        .await,
        "the event was processed"
    );
    stop.cancel();
    consumer_task.await.unwrap();
    served.stop().await;

    // Flushing blocks on the exporter, which needs this runtime's other worker.
    tokio::task::spawn_blocking(move || drop(guard))
        .await
        .unwrap();

    let server = receiver
        .spans()
        .into_iter()
        .find(|s| {
            s.name == "gigshield.harness.v1.Probe/ReadPlatform" && s.kind == SpanKind::Server as i32
        })
        .expect("the server span was exported");
    assert_eq!(attr(&server, "rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        attr(&server, "rpc.service").as_deref(),
        Some("gigshield.harness.v1.Probe")
    );
    assert_eq!(attr(&server, "rpc.method").as_deref(), Some("ReadPlatform"));
    assert_eq!(attr(&server, "rpc.grpc.status_code").as_deref(), Some("7"));
    assert!(!is_error(&server), "a caller's fault is no server error");

    let client = receiver
        .spans()
        .into_iter()
        .find(|s| s.kind == SpanKind::Client as i32)
        .expect("the client span was exported");
    assert_eq!(client.name, "gigshield.harness.v1.Probe/ReadPlatform");
    assert_eq!(attr(&client, "rpc.grpc.status_code").as_deref(), Some("7"));
    assert!(
        is_error(&client),
        "for a client every code but OK is an error"
    );
    assert_eq!(
        server.trace_id, client.trace_id,
        "one trace across the call"
    );
    assert_eq!(
        server.parent_span_id, client.span_id,
        "the server span is the client's child"
    );

    let producer = receiver
        .spans()
        .into_iter()
        .find(|s| s.kind == SpanKind::Producer as i32)
        .expect("the relay's producer span was exported");
    assert_eq!(producer.name, format!("send {topic}"));
    assert_eq!(
        attr(&producer, "messaging.system").as_deref(),
        Some("kafka")
    );
    assert_eq!(
        attr(&producer, "messaging.operation.type").as_deref(),
        Some("send")
    );
    assert_eq!(
        attr(&producer, "messaging.destination.name").as_deref(),
        Some(topic.as_str())
    );
    assert_eq!(
        attr(&producer, "messaging.kafka.message.key").as_deref(),
        Some("key-0")
    );
    let consumer = receiver
        .spans()
        .into_iter()
        .find(|s| s.kind == SpanKind::Consumer as i32)
        .expect("the consumer's span was exported");
    assert_eq!(consumer.name, format!("process {topic}"));
    assert_eq!(
        attr(&consumer, "messaging.operation.type").as_deref(),
        Some("process")
    );
    assert_eq!(
        attr(&consumer, "messaging.consumer.group.name").as_deref(),
        Some("otlp-consumer")
    );
    assert_eq!(
        attr(&consumer, "messaging.destination.partition.id").as_deref(),
        Some("0")
    );
    let sent_id = attr(&producer, "messaging.message.id").expect("the event's ce_id");
    assert_eq!(
        attr(&consumer, "messaging.message.id"),
        Some(sent_id),
        "the same event"
    );
    let written_trace_id = written_trace.split('-').nth(1).unwrap().to_string();
    let hex = |id: &[u8]| id.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(
        hex(&producer.trace_id),
        written_trace_id,
        "the writer's trace"
    );
    assert_eq!(
        consumer.trace_id, producer.trace_id,
        "one trace from writer to consumer"
    );
    assert_eq!(
        consumer.parent_span_id, producer.span_id,
        "processed under the send"
    );

    let resource = receiver.resource_spans()[0]
        .resource
        .clone()
        .expect("a resource");
    for (key, want) in [
        ("service.name", Some("probe".to_string())),
        ("service.namespace", Some("gigshield".to_string())),
        (
            "service.version",
            Some(env!("CARGO_PKG_VERSION").to_string()),
        ),
    ] {
        assert_eq!(text(&resource.attributes, key), want, "{key}");
    }
    assert!(
        text(&resource.attributes, "service.instance.id").is_some_and(|id| !id.is_empty()),
        "service.instance.id"
    );
}
