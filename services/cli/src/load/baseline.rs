//! Baselines measured in the same run as the load they stand beside: the smallest unary tonic
//! RPC this machine can serve, so a reader sees which part of a service's latency is the
//! framework (HTTP/2, protobuf, the tokio scheduler on shared cores) and which the service's own
//! work.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tonic::transport::{Channel, Server};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::report::{Percentiles, ms};

/// Latencies of an open-loop run: requests sent on a fixed schedule whatever the answers'
/// latency, so queueing shows in the percentiles.
pub struct OpenLoop {
    pub requests: usize,
    pub failures: usize,
    pub percentiles: Percentiles,
}

impl OpenLoop {
    /// `p50 …, p90 …, p99 …, max …`
    pub fn summary(&self) -> String {
        let p = &self.percentiles;
        format!(
            "p50 {}, p90 {}, p99 {}, max {}",
            ms(p.p50),
            ms(p.p90),
            ms(p.p99),
            ms(p.max)
        )
    }

    /// A table row for the no-op RPC at `rate` for `seconds`, to put next to a service's RPC.
    pub fn row(&self, rate: u64, seconds: u64) -> String {
        format!(
            "| baseline: no-op tonic RPC (gRPC health `Check` of an in-process tonic server on its own runtime thread, plain HTTP/2 over loopback, no auth) at {rate} req/s for {seconds} s, open loop, same client code ({} requests, {} failed) | {} |\n",
            self.requests,
            self.failures,
            self.summary()
        )
    }
}

/// Serves the standard gRPC health service on a loopback port from a runtime of its own (one
/// worker thread, so client and server do not share a scheduler), and calls `Check` at `rate`
/// requests per second for `seconds`, open loop, as the generators call the services.
pub async fn noop_rpc(rate: u64, seconds: u64) -> anyhow::Result<OpenLoop> {
    if rate == 0 || seconds == 0 {
        bail!("the baseline needs a positive rate and duration");
    }
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel::<anyhow::Result<SocketAddr>>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::Builder::new()
        .name("noop-grpc".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => {
                    addr_tx.send(Err(err.into())).ok();
                    return;
                }
            };
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                    Ok(listener) => listener,
                    Err(err) => {
                        addr_tx.send(Err(err.into())).ok();
                        return;
                    }
                };
                let addr = listener.local_addr().map_err(anyhow::Error::from);
                let (reporter, health) = tonic_health::server::health_reporter();
                reporter
                    .set_service_status("", tonic_health::ServingStatus::Serving)
                    .await;
                addr_tx.send(addr).ok();
                let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
                let served = Server::builder()
                    .add_service(health)
                    .serve_with_incoming_shutdown(incoming, async {
                        stop_rx.await.ok();
                    })
                    .await;
                if let Err(err) = served {
                    eprintln!("no-op gRPC server: {err}");
                }
            });
        })
        .context("start the no-op gRPC server thread")?;
    let addr = addr_rx.await.context("no-op gRPC server")??;
    let result = check_latency(addr, rate, seconds).await;
    stop_tx.send(()).ok();
    tokio::task::spawn_blocking(move || server.join())
        .await?
        .map_err(|_| anyhow::anyhow!("no-op gRPC server thread panicked"))?;
    result
}

async fn check_latency(addr: SocketAddr, rate: u64, seconds: u64) -> anyhow::Result<OpenLoop> {
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await
        .context("connect to the no-op gRPC server")?;
    let client = HealthClient::new(channel);
    let request = || HealthCheckRequest {
        service: String::new(),
    };
    // One call first, so the connection's set-up is not in the first sample.
    let status = client.clone().check(request()).await?.into_inner().status;
    if status != ServingStatus::Serving as i32 {
        bail!("the no-op gRPC server is not SERVING");
    }
    let total = rate * seconds;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(total as usize);
    for _ in 0..total {
        ticker.tick().await;
        let mut client = client.clone();
        let message = request();
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            client.check(message).await.map(|_| sent.elapsed())
        }));
    }
    let mut samples = Vec::with_capacity(tasks.len());
    let mut failures = 0;
    for task in tasks {
        match task.await? {
            Ok(latency) => samples.push(latency),
            Err(_) => failures += 1,
        }
    }
    Ok(OpenLoop {
        requests: total as usize,
        failures,
        percentiles: Percentiles::of(samples).context("no successful no-op RPC")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_noop_rpc_answers_on_schedule() {
        let run = noop_rpc(200, 1).await.unwrap();
        assert_eq!((run.requests, run.failures), (200, 0));
        assert!(run.percentiles.p50 < Duration::from_secs(1));
        assert!(run.row(200, 1).contains("200 req/s"));
    }
}
