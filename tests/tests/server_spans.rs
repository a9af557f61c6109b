//! The server span of every call, as an OpenTelemetry exporter would receive it: named after
//! the method, with the semantic conventions' `rpc.*` attributes and the call's status code.
//! Spans are captured in-process by a `tracing` layer installed as the global subscriber, so
//! this test has a binary of its own. Needs `make infra-up` (done by `make test`).

// Integration tests are scenarios told start to end; the function-length lint is for the
// code under test.
#![allow(clippy::too_many_lines)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gigshield_kit::testing::{TestDatabase, token};
use gigshield_tests::pb::probe_client::ProbeClient;
use gigshield_tests::{pb, platform, serve_probe};
use tonic::transport::Channel;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Every span's fields, by span id.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<HashMap<u64, HashMap<String, String>>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Captured {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut fields = HashMap::new();
        fields.insert("span.name".to_string(), attrs.metadata().name().to_string());
        attrs.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().insert(id.into_u64(), fields);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some(fields) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }
}

impl Captured {
    fn server_span(&self, name: &str) -> Option<HashMap<String, String>> {
        self.0
            .lock()
            .unwrap()
            .values()
            .find(|f| f.get("otel.name").map(String::as_str) == Some(name))
            .cloned()
    }
}

#[tokio::test]
async fn each_call_has_a_server_span_named_after_its_method_with_its_status() {
    let captured = Captured::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(captured.clone()))
        .expect("the only global subscriber of this binary");

    let db = TestDatabase::postgres().await;
    let served = serve_probe(&db).await;
    let channel: Channel = served.channel.clone();
    let mut client = ProbeClient::new(channel);
    let mine = uuid::Uuid::now_v7();
    let mut request = tonic::Request::new(pb::ReadPlatformRequest {
        platform_id: uuid::Uuid::now_v7().to_string(),
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token(&platform(mine)))
            .parse()
            .unwrap(),
    );
    let denied = client.read_platform(request).await.unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);

    let span = captured
        .server_span("gigshield.harness.v1.Probe/ReadPlatform")
        .expect("a server span named after the method");
    assert_eq!(span["span.name"], "grpc.request");
    assert_eq!(span["otel.kind"], "server");
    assert_eq!(span["rpc.system"], "grpc");
    assert_eq!(span["rpc.service"], "gigshield.harness.v1.Probe");
    assert_eq!(span["rpc.method"], "ReadPlatform");
    assert_eq!(span["rpc.grpc.status_code"], "7");
    assert!(
        !span.contains_key("otel.status_code"),
        "a caller's fault is no server error"
    );
    served.stop().await;
}
