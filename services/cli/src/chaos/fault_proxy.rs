//! A TCP proxy between the services and one dependency (PostgreSQL or Kafka) that can hurt the
//! network on command: add latency to every chunk, cut every open connection at once, or
//! partition (stall every byte both ways, new connections included) for a while. Real sockets, real
//! TCP: the services see what they would see on a bad network.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gigshield_kit::CancellationToken;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the network does right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Healthy,
    /// Every chunk waits this long before it is forwarded.
    Latency(Duration),
    /// Nothing is forwarded; bytes wait in the kernel's buffers until the partition heals.
    Partitioned,
}

/// The faults a chaos schedule can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    Latency,
    Reset,
    Partition,
}

/// Longest a chunk may be, so a stalled connection holds a bounded buffer.
const CHUNK: usize = 64 * 1024;

pub struct FaultProxy {
    pub addr: SocketAddr,
    condition: watch::Sender<Condition>,
    /// Cancelling it closes every connection open now (both sides see the connection end
    /// mid-conversation, as when a middlebox or the peer drops it); new ones get a new token.
    connections: Arc<std::sync::Mutex<CancellationToken>>,
    stop: CancellationToken,
}

impl FaultProxy {
    /// Listens on `listen` and forwards every connection to `upstream`.
    pub async fn start(listen: SocketAddr, upstream: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (condition, watcher) = watch::channel(Condition::Healthy);
        let connections = Arc::new(std::sync::Mutex::new(CancellationToken::new()));
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(
            listener,
            upstream,
            watcher,
            connections.clone(),
            stop.clone(),
        ));
        Ok(Self {
            addr,
            condition,
            connections,
            stop,
        })
    }

    pub fn set(&self, condition: Condition) {
        self.condition.send_replace(condition);
    }

    /// Resets every open connection at once, as a middlebox or a peer's crash would.
    pub fn reset_all(&self) {
        let mut current = self.connections.lock().expect("connections lock");
        current.cancel();
        *current = CancellationToken::new();
    }

    /// `fault` for `duration` (a reset is instantaneous), then healthy again.
    pub async fn inject(&self, fault: Fault, duration: Duration) {
        match fault {
            Fault::Reset => self.reset_all(),
            Fault::Latency => {
                self.set(Condition::Latency(Duration::from_millis(200)));
                tokio::time::sleep(duration).await;
                self.set(Condition::Healthy);
            }
            Fault::Partition => {
                self.set(Condition::Partitioned);
                tokio::time::sleep(duration).await;
                self.set(Condition::Healthy);
            }
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.cancel();
        self.reset_all();
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    condition: watch::Receiver<Condition>,
    connections: Arc<std::sync::Mutex<CancellationToken>>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.cancelled() => return,
        };
        let Ok((client, _)) = accepted else {
            // Out of descriptors, say: back off instead of spinning on the error.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let reset = connections.lock().expect("connections lock").clone();
        let condition = condition.clone();
        tokio::spawn(async move {
            // A partitioned network lets no new connection through either; a cut meanwhile
            // drops the waiting one too.
            let mut waiting = condition.clone();
            tokio::select! {
                healed = waiting.wait_for(|c| *c != Condition::Partitioned) => {
                    if healed.is_err() {
                        return;
                    }
                }
                _ = reset.cancelled() => return,
            }
            let Ok(server) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::select! {
                _ = pipe(client_read, server_write, condition.clone()) => {}
                _ = pipe(server_read, client_write, condition) => {}
                _ = reset.cancelled() => {}
            }
            // Dropping both halves closes both sockets: each peer reads the end of its
            // connection in the middle of whatever it was doing.
        });
    }
}

/// Copies `from` to `to` chunk by chunk, obeying the current condition before each chunk.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut condition: watch::Receiver<Condition>,
) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let now = *condition.borrow();
        match now {
            Condition::Healthy => {}
            Condition::Latency(delay) => tokio::time::sleep(delay).await,
            Condition::Partitioned => {
                if condition
                    .wait_for(|c| *c != Condition::Partitioned)
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn round_trip(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
        s.write_all(b"ping").await?;
        let mut buf = [0u8; 4];
        s.read_exact(&mut buf).await?;
        Ok(buf.to_vec())
    }

    #[tokio::test]
    async fn forwards_delays_stalls_and_resets_real_connections() {
        let upstream = echo_server().await;
        let proxy = FaultProxy::start("127.0.0.1:0".parse().unwrap(), upstream)
            .await
            .unwrap();
        let mut conn = TcpStream::connect(proxy.addr).await.unwrap();
        assert_eq!(round_trip(&mut conn).await.unwrap(), b"ping");

        proxy.set(Condition::Latency(Duration::from_millis(150)));
        let started = tokio::time::Instant::now();
        round_trip(&mut conn).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "both directions delayed"
        );

        proxy.set(Condition::Partitioned);
        let stalled = tokio::time::timeout(Duration::from_millis(300), round_trip(&mut conn)).await;
        assert!(stalled.is_err(), "nothing crosses a partition");
        proxy.set(Condition::Healthy);
        // The bytes sent during the partition arrive once it heals.
        let mut buf = [0u8; 4];
        conn.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");

        proxy.reset_all();
        let mut gone = [0u8; 1];
        let after = tokio::time::timeout(Duration::from_secs(2), conn.read(&mut gone))
            .await
            .expect("the reset is seen at once");
        assert!(matches!(after, Ok(0) | Err(_)), "the connection is closed");
        let mut fresh = TcpStream::connect(proxy.addr).await.unwrap();
        assert_eq!(round_trip(&mut fresh).await.unwrap(), b"ping");
    }
}
