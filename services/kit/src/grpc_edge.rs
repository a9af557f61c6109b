//! What the gRPC server answers at its edge, before a handler sees a request: the limits of
//! [`GrpcLimits`](crate::config::GrpcLimits), and the statuses of requests the codec cannot
//! read. tonic answers a malformed message with `INTERNAL` and an oversized one with
//! `OUT_OF_RANGE`; both are the caller's doing, so clients see `INVALID_ARGUMENT` and
//! `RESOURCE_EXHAUSTED` — codes they may act on without retrying. The same layer times every
//! call (`rpc_server_duration_seconds`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::HeaderMap;
use tonic::codegen::Service;

/// The tower layer that rewrites those statuses (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct CallerFaultStatus;

impl<S> tower_layer::Layer<S> for CallerFaultStatus {
    type Service = CallerFaultStatusService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallerFaultStatusService { inner }
    }
}

#[derive(Debug, Clone)]
pub struct CallerFaultStatusService<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for CallerFaultStatusService<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let started = std::time::Instant::now();
        let (service, method) = crate::telemetry::rpc_name(request.uri().path());
        let (service, method) = (service.to_owned(), method.to_owned());
        let answer = self.inner.call(request);
        Box::pin(async move {
            let mut response = answer.await?;
            rewrite(response.headers_mut());
            // An error before any message travels in the headers; a stream's later status is
            // in its trailers and counts here as the answer's start (OK).
            let code = response
                .headers()
                .get("grpc-status")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("0")
                .to_owned();
            crate::telemetry::record_grpc_status(&code);
            metrics::histogram!(
                crate::telemetry::RPC_SERVER_DURATION,
                "rpc_service" => service,
                "rpc_method" => method,
                "rpc_grpc_status_code" => code,
            )
            .record(started.elapsed().as_secs_f64());
            Ok(response)
        })
    }
}

const INTERNAL: &str = "13";
const OUT_OF_RANGE: &str = "11";
const INVALID_ARGUMENT: &str = "3";
const RESOURCE_EXHAUSTED: &str = "8";

/// A trailers-only answer (an error before any message: where a request fails to decode)
/// carries its status in the headers.
fn rewrite(headers: &mut HeaderMap) {
    let Some(code) = headers.get("grpc-status").and_then(|v| v.to_str().ok()) else {
        return;
    };
    let message = headers
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .map(|m| m.replace("%20", " "))
        .unwrap_or_default();
    let replacement = match code {
        INTERNAL if message.starts_with("failed to decode Protobuf message") => INVALID_ARGUMENT,
        OUT_OF_RANGE if message.contains("decoded message length too large") => RESOURCE_EXHAUSTED,
        _ => return,
    };
    headers.insert("grpc-status", http::HeaderValue::from_static(replacement));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: &str, message: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("grpc-status", code.parse().unwrap());
        headers.insert("grpc-message", message.parse().unwrap());
        rewrite(&mut headers);
        headers
    }

    #[test]
    fn decode_failures_are_the_callers_and_other_statuses_stay() {
        let code = |h: HeaderMap| h.get("grpc-status").unwrap().to_str().unwrap().to_owned();
        assert_eq!(
            code(status(
                "13",
                "failed%20to%20decode%20Protobuf%20message: invalid wire type"
            )),
            "3"
        );
        assert_eq!(
            code(status(
                "11",
                "Error,%20decoded%20message%20length%20too%20large: found 5 bytes"
            )),
            "8"
        );
        assert_eq!(code(status("13", "internal%20error")), "13");
        assert_eq!(code(status("11", "month out of range")), "11");
        assert_eq!(code(status("0", "")), "0");
    }
}
