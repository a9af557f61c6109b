//! The gRPC port's TLS, done here rather than by tonic so the certificate can change under a
//! running server: cert-manager renews the Secret, the kubelet updates the mounted files, and
//! within `GRPC_TLS_RELOAD_SECS` every new handshake presents the new certificate — no restart.
//! Handshakes run concurrently, at most [`MAX_HANDSHAKES`] at once and each within
//! [`HANDSHAKE_TIMEOUT`], so a slow or silent client holds up nobody.

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use crate::tls::{KeyPair, ServerTls};

/// Handshakes in progress at once; further connections wait to be accepted.
pub const MAX_HANDSHAKES: usize = 256;
/// A client that has not finished its handshake by then is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificate presented to every new connection, replaced when its files change.
#[derive(Debug)]
pub struct ReloadingCertificate {
    files: KeyPair,
    current: RwLock<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    pem: (Vec<u8>, Vec<u8>),
    key: Arc<CertifiedKey>,
}

impl ReloadingCertificate {
    /// Loads the files now; an unreadable or mismatched pair is an error naming its variable.
    pub fn load(files: &KeyPair) -> anyhow::Result<Self> {
        let pem = read_pair(files)?;
        let key = certified_key(&pem)?;
        Ok(Self {
            files: files.clone(),
            current: RwLock::new(Loaded { pem, key }),
        })
    }

    /// Reads the files again and swaps the certificate when they changed. Returns whether it
    /// did. A pair that does not load (caught between the certificate's and the key's update,
    /// say) keeps the current one; the next round tries again.
    pub fn reload(&self) -> anyhow::Result<bool> {
        let pem = read_pair(&self.files)?;
        if self.current.read().expect("certificate lock").pem == pem {
            return Ok(false);
        }
        let key = certified_key(&pem)?;
        *self.current.write().expect("certificate lock") = Loaded { pem, key };
        Ok(true)
    }
}

impl ReloadingCertificate {
    /// The end-entity certificate served now (DER).
    pub fn leaf(&self) -> Vec<u8> {
        let current = self.current.read().expect("certificate lock");
        current
            .key
            .cert
            .first()
            .map(|c| c.to_vec())
            .unwrap_or_default()
    }
}

impl ResolvesServerCert for ReloadingCertificate {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().expect("certificate lock").key.clone())
    }
}

fn read_pair(files: &KeyPair) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let read = |path: &Path, var: &str| {
        std::fs::read(path).with_context(|| format!("{var} {}", path.display()))
    };
    Ok((
        read(&files.cert, "GRPC_TLS_CERT_FILE")?,
        read(&files.key, "GRPC_TLS_KEY_FILE")?,
    ))
}

fn certified_key((cert, key): &(Vec<u8>, Vec<u8>)) -> anyhow::Result<Arc<CertifiedKey>> {
    let chain = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<Vec<_>, _>>()
        .context("GRPC_TLS_CERT_FILE is not a PEM certificate chain")?;
    anyhow::ensure!(!chain.is_empty(), "GRPC_TLS_CERT_FILE holds no certificate");
    let key = PrivateKeyDer::from_pem_slice(key).context("GRPC_TLS_KEY_FILE is not a PEM key")?;
    let signer = provider()
        .key_provider
        .load_private_key(key)
        .context("GRPC_TLS_KEY_FILE: unsupported key")?;
    let certified = CertifiedKey::new(chain, signer);
    certified
        .keys_match()
        .context("GRPC_TLS_KEY_FILE does not belong to GRPC_TLS_CERT_FILE")?;
    Ok(Arc::new(certified))
}

/// The TLS side of the gRPC port: HTTP/2 only (ALPN `h2`), TLS 1.2 and 1.3, client
/// certificates required when `tls` names a client CA.
pub fn acceptor(
    tls: &ServerTls,
    certificate: Arc<ReloadingCertificate>,
) -> anyhow::Result<TlsAcceptor> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?;
    let builder = match &tls.client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            let pem = std::fs::read(ca)
                .with_context(|| format!("GRPC_TLS_CLIENT_CA_FILE {}", ca.display()))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                roots
                    .add(cert.context("GRPC_TLS_CLIENT_CA_FILE is not PEM")?)
                    .context("GRPC_TLS_CLIENT_CA_FILE")?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .context("GRPC_TLS_CLIENT_CA_FILE")?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(certificate);
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Connections of `listener` that completed their handshake, until `shutdown`.
pub fn incoming(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shutdown: CancellationToken,
) -> ReceiverStream<Result<TlsStream<TcpStream>, std::io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel(MAX_HANDSHAKES);
    tokio::spawn(async move {
        let handshakes = Arc::new(tokio::sync::Semaphore::new(MAX_HANDSHAKES));
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = shutdown.cancelled() => return,
            };
            let tcp = match accepted {
                Ok((tcp, _)) => tcp,
                Err(err) => {
                    // Out of descriptors, say: back off instead of spinning on the error.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(permit) = handshakes.clone().acquire_owned().await else {
                return;
            };
            let _ = tcp.set_nodelay(true);
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                let _permit = permit;
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let _ = tx.send(Ok(stream)).await;
                    }
                    Ok(Err(err)) => tracing::debug!(%err, "TLS handshake refused"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// Reloads `certificate` every `every` until `shutdown`.
pub async fn watch(
    certificate: Arc<ReloadingCertificate>,
    every: Duration,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.cancelled() => return,
        }
        match certificate.reload() {
            Ok(true) => tracing::info!("gRPC certificate reloaded"),
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(error = %format!("{err:#}"), "gRPC certificate not reloaded; serving the previous one")
            }
        }
    }
}
