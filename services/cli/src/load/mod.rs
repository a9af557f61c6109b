//! Load generators: each drives a running service through its public gRPC API as an outside
//! client would, checks that every request did what it should, and reports its numbers.

pub mod baseline;
pub mod claims;
pub mod enrollment;
pub mod ghz;
pub mod premium;
pub mod report;
pub mod synthetic;

use std::time::Duration;

use anyhow::bail;
use gigshield_kit::Role;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A request with a development token for `role`.
pub fn authorized<T>(role: &Role, message: T) -> tonic::Request<T> {
    let token = crate::stack::dev_minter(std::path::Path::new(crate::stack::DEV_SIGNING_KEY))
        .expect("development signing key (run from the repository root)")
        .mint("load", role, Duration::from_secs(3600));
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ASCII token"),
    );
    request
}

/// Connects and waits until the service reports SERVING (database and Kafka reachable).
pub async fn connect_when_serving(addr: &str, timeout: Duration) -> anyhow::Result<Channel> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Ok(channel) = Channel::from_shared(addr.to_string())?.connect().await {
            let status = HealthClient::new(channel.clone())
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|r| r.into_inner().status);
            if status.is_ok_and(|s| s == ServingStatus::Serving as i32) {
                return Ok(channel);
            }
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{addr} did not report SERVING within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
