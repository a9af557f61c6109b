//! The channel to premium: every address premium's name resolves to (a Kubernetes headless
//! Service lists one per pod), balanced round-robin and re-resolved periodically, so one
//! premium pod does not take every call over one long-lived HTTP/2 connection.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use gigshield_kit::tls::ClientTls;
use tokio_util::sync::CancellationToken;
use tonic::transport::channel::Change;
use tonic::transport::{Channel, Endpoint};

/// How often the name is resolved again (pods come and go).
const RESOLVE_EVERY: Duration = Duration::from_secs(30);

/// A balanced channel to `addr` (`http://host:port`, or `https://` with `tls`). Lazy: nothing
/// connects until a call, so claims starts while premium is down. Over TLS each connection
/// goes to an IP address but verifies the certificate against the address's host name.
pub fn connect(
    addr: &str,
    tls: Option<&ClientTls>,
    timeout: Duration,
    shutdown: CancellationToken,
) -> anyhow::Result<Channel> {
    let uri: http::Uri = addr.parse()?;
    let scheme = uri.scheme_str().unwrap_or("http").to_string();
    let host = uri
        .host()
        .ok_or_else(|| anyhow::anyhow!("CLAIMS_PREMIUM_ADDR {addr} names no host"))?
        .to_string();
    let port = uri
        .port_u16()
        .unwrap_or(if tls.is_some() { 443 } else { 80 });
    let tls = tls.map(|t| t.load(&host)).transpose()?;
    let (channel, changes) = Channel::balance_channel::<SocketAddr>(16);
    let endpoint = move |at: SocketAddr| -> Result<Endpoint, tonic::transport::Error> {
        let endpoint = Endpoint::from_shared(format!("{scheme}://{at}"))?
            .timeout(timeout)
            .connect_timeout(timeout);
        match &tls {
            Some(tls) => endpoint.tls_config(tls.clone()),
            None => Ok(endpoint),
        }
    };
    tokio::spawn(async move {
        let mut known: HashSet<SocketAddr> = HashSet::new();
        loop {
            match tokio::net::lookup_host((host.as_str(), port)).await {
                Ok(found) => {
                    let found: HashSet<SocketAddr> = found.collect();
                    for gone in known.difference(&found) {
                        let _ = changes.send(Change::Remove(*gone)).await;
                    }
                    for new in found.difference(&known) {
                        match endpoint(*new) {
                            Ok(e) => {
                                let _ = changes.send(Change::Insert(*new, e)).await;
                            }
                            Err(err) => tracing::warn!(%err, "premium endpoint refused"),
                        }
                    }
                    known = found;
                }
                Err(err) => tracing::warn!(%host, %err, "premium address does not resolve"),
            }
            tokio::select! {
                _ = tokio::time::sleep(RESOLVE_EVERY) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    });
    Ok(channel)
}
