//! Calling a deployed gigshield service from the command line with a token the operator holds
//! (`GIGSHIELD_TOKEN`), as `gigshield export` and `gigshield upload-payout-records` do.

use std::time::Duration;

use anyhow::Context;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

/// A channel to `addr` that connects on first use (a bad address fails the first call). An
/// `https://` address is verified against `GIGSHIELD_TLS_CA_FILE` when set (a deployment's
/// own CA), else against the system's trusted roots.
pub fn channel(addr: &str) -> anyhow::Result<Channel> {
    let endpoint = Endpoint::from_shared(addr.to_string())
        .with_context(|| format!("{addr} is not a URL"))?
        .connect_timeout(Duration::from_secs(5));
    let endpoint = if addr.to_ascii_lowercase().starts_with("https://") {
        endpoint.tls_config(client_tls(std::env::var_os("GIGSHIELD_TLS_CA_FILE"))?)?
    } else {
        endpoint
    };
    Ok(endpoint.connect_lazy())
}

fn client_tls(ca_file: Option<std::ffi::OsString>) -> anyhow::Result<ClientTlsConfig> {
    Ok(match ca_file {
        Some(path) => {
            let pem = std::fs::read(&path).with_context(|| {
                format!(
                    "GIGSHIELD_TLS_CA_FILE {}",
                    std::path::Path::new(&path).display()
                )
            })?;
            ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem))
        }
        None => ClientTlsConfig::new().with_native_roots(),
    })
}

/// `message` as a request carrying `token` as its bearer.
pub fn authorized<T>(message: T, token: &str) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}")
            .parse()
            .context("the token is not ASCII")?,
    );
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_ca_file_is_named_and_addresses_build_lazy_channels() {
        let err = client_tls(Some("/nowhere/ca.crt".into())).unwrap_err();
        assert!(
            format!("{err:#}").starts_with("GIGSHIELD_TLS_CA_FILE /nowhere/ca.crt"),
            "{err:#}"
        );
        assert!(channel("not a url").is_err());
        // Nothing connects yet: a plaintext address and one verified by the system roots
        // build alike.
        assert!(channel("http://127.0.0.1:1").is_ok());
        assert!(channel("https://localhost:1").is_ok());
    }
}
