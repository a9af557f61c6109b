//! Calling a deployed gigshield service from the command line with a token the operator holds
//! (`GIGSHIELD_TOKEN`), as `gigshield export` and `gigshield upload-payout-records` do.

use std::time::Duration;

use anyhow::Context;
use tonic::transport::Channel;

/// A channel to `addr` that connects on first use (a bad address fails the first call).
pub fn channel(addr: &str) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(addr.to_string())
        .with_context(|| format!("{addr} is not a URL"))?
        .connect_timeout(Duration::from_secs(5))
        .connect_lazy())
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
