//! Logs, traces and metrics.
//!
//! Spans always get OpenTelemetry context (an SDK tracer provider is installed even without an
//! exporter), so W3C `traceparent` flows request → outbox row → Kafka header → consumer
//! whether or not `OTEL_EXPORTER_OTLP_ENDPOINT` is set. With it set, spans are exported over
//! OTLP/gRPC.

use std::collections::HashMap;
use std::net::SocketAddr;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetryConfig};

pub const TRACEPARENT: &str = "traceparent";

/// Set once spans leave the process (an OTLP endpoint is configured).
static EXPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether spans are exported. Spans that exist only to be seen in a trace backend — one per
/// published event — are not built otherwise: at ingest rates they would cost CPU for nothing.
pub fn exporting() -> bool {
    EXPORTING.load(std::sync::atomic::Ordering::Relaxed)
}

/// Flushes exported spans when dropped; keep it alive for the life of `main`.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(err) = self.provider.shutdown() {
            eprintln!("telemetry shutdown: {err}");
        }
    }
}

/// Installs the global subscriber. A second call in the same process (tests) keeps the first.
pub fn init(service_name: &str, cfg: &TelemetryConfig) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service_name.to_string())
        .with_attributes([
            opentelemetry::KeyValue::new("service.namespace", "gigshield"),
            opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            opentelemetry::KeyValue::new("service.instance.id", instance_id()),
        ])
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = &cfg.otlp_endpoint {
        EXPORTING.store(true, std::sync::atomic::Ordering::Relaxed);
        use opentelemetry_otlp::WithExportConfig;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    let tracer = provider.tracer(service_name.to_string());
    opentelemetry::global::set_tracer_provider(provider.clone());

    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,h2=warn,tower=warn"));
    let fmt = match cfg.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(false)
            .boxed(),
        // Colour codes only on a terminal: log files and collectors get plain text.
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_target(true)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .boxed(),
    };
    let _already_installed = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(tracing_opentelemetry::layer().with_tracer(tracer))
        .try_init();
    Ok(TelemetryGuard { provider })
}

/// This process among the service's replicas: the host's name (a pod's name in Kubernetes)
/// with the process id, so two replicas on one machine differ; else a fresh UUID.
fn instance_id() -> String {
    match std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()) {
        Some(host) => format!("{host}-{}", std::process::id()),
        None => uuid::Uuid::now_v7().to_string(),
    }
}

/// Serves Prometheus metrics on `addr` at `/metrics`.
pub fn install_metrics(addr: SocketAddr) -> anyhow::Result<()> {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        // Real histograms (`_bucket` series), not summaries: quantiles aggregate over pods.
        .set_buckets(LATENCY_BUCKETS)?
        .install()?;
    describe_metrics();
    Ok(())
}

/// Seconds, from a millisecond to half a minute.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// HELP text for every metric the kit records, and the build's identity.
fn describe_metrics() {
    metrics::describe_histogram!(
        RPC_SERVER_DURATION,
        metrics::Unit::Seconds,
        "gRPC calls served, from request to the answer's start, by service, method and status code"
    );
    metrics::describe_counter!(
        "consumer_events_total",
        "Kafka events a consumer handled, by consumer and outcome (applied, duplicate, rejected)"
    );
    metrics::describe_histogram!(
        "outbox_publish_lag_seconds",
        metrics::Unit::Seconds,
        "Time from an outbox row's commit to the broker's acknowledgement"
    );
    metrics::describe_counter!(
        "outbox_published_total",
        "Outbox rows the relay published to Kafka"
    );
    metrics::describe_gauge!(
        "outbox_backlog_rows",
        "Outbox rows not yet published (read every health round, 5 s)"
    );
    metrics::describe_gauge!(
        "outbox_oldest_unsent_seconds",
        metrics::Unit::Seconds,
        "Age of the oldest outbox row not yet published; 0 when none"
    );
    metrics::describe_gauge!(
        "kafka_consumer_lag",
        "Messages a consumer is behind the end of a partition (librdkafka statistics, every 15 s)"
    );
    metrics::describe_gauge!(
        "db_pool_connections",
        "Database connections of the pool, by state (idle, in_use)"
    );
    metrics::describe_gauge!(
        "gigshield_build_info",
        "Always 1; the labels name the running build"
    );
    metrics::gauge!("gigshield_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    crate::process_metrics::describe();
    crate::process_metrics::record();
}

/// The per-call histogram (OpenTelemetry's `rpc.server.duration`, in seconds).
pub const RPC_SERVER_DURATION: &str = "rpc_server_duration_seconds";

/// The W3C `traceparent` of the current span, to store beside an outbox row or send onward.
pub fn current_traceparent() -> Option<String> {
    let cx = Span::current().context();
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// Whether a W3C `traceparent` (`00-<trace>-<span>-<flags>`) says its trace is sampled.
pub fn is_sampled(traceparent: &str) -> bool {
    traceparent
        .rsplit('-')
        .next()
        .and_then(|flags| u8::from_str_radix(flags, 16).ok())
        .is_some_and(|flags| flags & 1 == 1)
}

/// The W3C `traceparent` naming `span` itself, to make it the parent of remote work.
pub fn traceparent_of(span: &Span) -> Option<String> {
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&span.context(), &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// The producer span of one event sent to `topic` (messaging semantic conventions), a child of
/// the span that wrote the event (`parent`, as stored beside the outbox row).
pub fn producer_span(topic: &str, event_id: &str, key: &str, parent: Option<&str>) -> Span {
    let span = tracing::info_span!(
        "event.send",
        otel.name = %format_args!("send {topic}"),
        otel.kind = "producer",
        messaging.system = "kafka",
        messaging.operation.type = "send",
        messaging.operation.name = "send",
        messaging.destination.name = %topic,
        messaging.message.id = %event_id,
        messaging.kafka.message.key = %key,
        otel.status_code = tracing::field::Empty,
        error.type = tracing::field::Empty,
    );
    set_remote_parent(&span, parent);
    span
}

/// The client span of one outgoing gRPC call to `path` (`pkg.Service/Method`); the caller
/// sends [`traceparent_of`] it and records the outcome with [`record_grpc_client_status`].
pub fn grpc_client_span(path: &str) -> Span {
    let (service, method) = rpc_name(path);
    tracing::info_span!(
        "grpc.call",
        otel.name = %path,
        otel.kind = "client",
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    )
}

/// Records a client call's status code; for a client every code but OK is an error (the
/// conventions for gRPC client spans).
pub fn record_grpc_client_status(span: &Span, code: tonic::Code) {
    span.record("rpc.grpc.status_code", code as i32);
    if code != tonic::Code::Ok {
        span.record("otel.status_code", "ERROR");
    }
}

/// Makes `span` a child of the remote span named by `traceparent`.
pub fn set_remote_parent(span: &Span, traceparent: Option<&str>) {
    let Some(traceparent) = traceparent else {
        return;
    };
    let carrier = HashMap::from([(TRACEPARENT.to_string(), traceparent.to_string())]);
    let cx = TraceContextPropagator::new().extract(&carrier);
    let _ = span.set_parent(cx);
}

/// The server span of one gRPC request, parented on the caller's `traceparent` if any.
///
/// Named after the method (`gigshield.claims.v1.ClaimsService/GetClaim`), with the semantic
/// conventions' `rpc.service` / `rpc.method`; the edge layer records the status code and marks
/// errors (`otel.status_code`), see [`record_grpc_status`].
pub fn grpc_request_span(request: &http::Request<()>) -> Span {
    let path = request.uri().path().trim_start_matches('/');
    let (service, method) = rpc_name(path);
    let span = tracing::info_span!(
        "grpc.request",
        otel.name = %path,
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    let parent = request
        .headers()
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok());
    set_remote_parent(&span, parent);
    span
}

/// `/pkg.Service/Method` (or without the leading slash) as (service, method); anything else as
/// ("", path).
pub(crate) fn rpc_name(path: &str) -> (&str, &str) {
    let path = path.trim_start_matches('/');
    path.split_once('/').unwrap_or(("", path))
}

/// Records a call's gRPC status code on the current (server) span; codes the server is
/// responsible for (`UNKNOWN`, `DEADLINE_EXCEEDED`, `UNIMPLEMENTED`, `INTERNAL`,
/// `UNAVAILABLE`, `DATA_LOSS`) mark the span as an error, as the conventions say for servers.
pub fn record_grpc_status(code: &str) {
    let span = Span::current();
    span.record("rpc.grpc.status_code", code);
    if matches!(code, "2" | "4" | "12" | "13" | "14" | "15") {
        span.record("otel.status_code", "ERROR");
    }
}

/// A client interceptor that forwards the current trace context on outgoing gRPC calls.
pub fn propagate_trace(
    mut request: tonic::Request<()>,
) -> Result<tonic::Request<()>, tonic::Status> {
    if let Some(tp) = current_traceparent()
        && let Ok(value) = tp.parse()
    {
        request.metadata_mut().insert(TRACEPARENT, value);
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sampled_flag_is_the_low_bit_of_the_trace_flags() {
        let trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331";
        assert!(is_sampled(&format!("{trace}-01")));
        assert!(is_sampled(&format!("{trace}-03")));
        assert!(!is_sampled(&format!("{trace}-00")));
        assert!(!is_sampled(&format!("{trace}-zz")));
        assert!(!is_sampled(""));
    }
}
