//! gRPC over TLS through the kit, over real sockets: the server's certificate verified
//! against the CA a client trusts, plaintext refused on a TLS port, mutual TLS refusing a
//! caller without a certificate of the client CA, kubelet-style health on the plaintext
//! health port, a renewed certificate served without a restart, and PostgreSQL connections
//! verifying the local server's certificate.

use std::time::Duration;

use gigshield_kit::Service;
use gigshield_kit::testing::{IssuedFiles, TestDatabase, TestPki, kit_config_with, token};
use gigshield_kit::tls_listener::ReloadingCertificate;
use gigshield_tests::pb::probe_client::ProbeClient;
use gigshield_tests::pb::probe_server::ProbeServer;
use gigshield_tests::{Migrator, ProbeApi, eventually, pb, platform};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

struct Running {
    port: u16,
    health_port: u16,
    stop: gigshield_kit::CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _db: TestDatabase,
}

impl Running {
    async fn stop(self) {
        self.stop.cancel();
        self.task.await.unwrap().expect("served without error");
    }
}

/// A port nothing listens on right now (the health port's address is configured, not chosen
/// by the server).
async fn free_port() -> u16 {
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    probe.local_addr().unwrap().port()
}

/// The probe service with `server`'s certificate, a plaintext health port, and `extra`
/// settings.
async fn start_tls(server: &IssuedFiles, extra: &[(&str, &str)]) -> Running {
    let db = TestDatabase::postgres().await;
    let health_port = free_port().await;
    let health_addr = format!("127.0.0.1:{health_port}");
    let cert = server.cert.display().to_string();
    let key = server.key.display().to_string();
    let mut settings = vec![
        ("GRPC_TLS_CERT_FILE", cert.as_str()),
        ("GRPC_TLS_KEY_FILE", key.as_str()),
        ("GRPC_HEALTH_ADDR", health_addr.as_str()),
    ];
    settings.extend_from_slice(extra);
    let extra = settings;
    let mut service = Service::init::<Migrator>(kit_config_with("probe", &db, &extra))
        .await
        .expect("service starts");
    service.add_descriptor_set(pb::DESCRIPTOR_SET);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = service.shutdown.clone();
    let routes =
        tonic::service::Routes::new(ProbeServer::with_interceptor(ProbeApi, service.auth()));
    let task = tokio::spawn(service.serve(listener, routes));
    Running {
        port,
        health_port,
        stop,
        task,
        _db: db,
    }
}

fn tls(ca: &std::path::Path, identity: Option<&IssuedFiles>) -> ClientTlsConfig {
    let mut config = ClientTlsConfig::new()
        .domain_name("localhost")
        .ca_certificate(Certificate::from_pem(std::fs::read(ca).unwrap()));
    if let Some(files) = identity {
        config = config.identity(Identity::from_pem(
            std::fs::read(&files.cert).unwrap(),
            std::fs::read(&files.key).unwrap(),
        ));
    }
    config
}

/// A channel to 127.0.0.1 that verifies the certificate for "localhost"; an error when the
/// handshake (or the plaintext connection) fails.
async fn connect(
    port: u16,
    tls: Option<ClientTlsConfig>,
) -> Result<Channel, tonic::transport::Error> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://127.0.0.1:{port}"))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5));
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls)?;
    }
    endpoint.connect().await
}

/// An authenticated call on `channel`: the platform reads itself.
async fn read_own_platform(channel: Channel) -> Result<String, tonic::Status> {
    let mine = uuid::Uuid::now_v7();
    let mut request = tonic::Request::new(pb::ReadPlatformRequest {
        platform_id: mine.to_string(),
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token(&platform(mine)))
            .parse()
            .unwrap(),
    );
    Ok(ProbeClient::new(channel)
        .read_platform(request)
        .await?
        .into_inner()
        .platform_id)
}

/// A call that must not succeed: the connection or the call fails.
async fn refused(port: u16, tls: Option<ClientTlsConfig>) -> bool {
    match connect(port, tls).await {
        Err(_) => true,
        Ok(channel) => read_own_platform(channel).await.is_err(),
    }
}

#[tokio::test]
async fn grpc_over_tls_trusts_only_the_configured_ca_and_refuses_plaintext() {
    let pki = TestPki::new();
    let server = pki.issue("server", &["localhost", "127.0.0.1"]);
    let app = start_tls(&server, &[]).await;

    let channel = connect(app.port, Some(tls(&pki.ca_file(), None)))
        .await
        .expect("a TLS client trusting the CA connects");
    assert!(
        read_own_platform(channel).await.is_ok(),
        "an authenticated call over TLS is served"
    );

    assert!(
        refused(app.port, None).await,
        "plaintext HTTP/2 on the TLS port is not served"
    );
    let stranger = TestPki::new();
    assert!(
        refused(app.port, Some(tls(&stranger.ca_file(), None))).await,
        "a client trusting another CA does not accept the server's certificate"
    );

    // Kubelet probes speak plaintext gRPC: the health port answers them, and nothing else.
    let health = connect(app.health_port, None)
        .await
        .expect("the health port speaks plaintext");
    let serving = eventually(Duration::from_secs(20), || {
        let mut client = HealthClient::new(health.clone());
        async move {
            client
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
        }
    })
    .await;
    assert!(serving, "the plaintext health port reports SERVING");
    let probe_on_health_port = read_own_platform(health).await.unwrap_err();
    assert_eq!(
        probe_on_health_port.code(),
        tonic::Code::Unimplemented,
        "the health port serves health only"
    );
    app.stop().await;
}

/// cert-manager renews the Secret and the kubelet rewrites the mounted files: within
/// `GRPC_TLS_RELOAD_SECS` new connections get the new certificate, no restart; a key that does
/// not belong to its certificate keeps the previous pair in service.
#[tokio::test]
async fn a_renewed_certificate_is_served_without_a_restart() {
    let first = TestPki::new();
    let mounted = first.issue("server", &["localhost"]);
    let app = start_tls(&mounted, &[("GRPC_TLS_RELOAD_SECS", "1")]).await;
    let before = connect(app.port, Some(tls(&first.ca_file(), None)))
        .await
        .expect("the first certificate is served");
    assert!(read_own_platform(before.clone()).await.is_ok());

    let renewed = TestPki::new();
    let next = renewed.issue("server", &["localhost"]);
    std::fs::copy(&next.key, &mounted.key).unwrap();
    std::fs::copy(&next.cert, &mounted.cert).unwrap();
    let switched = eventually(Duration::from_secs(15), || async {
        connect(app.port, Some(tls(&renewed.ca_file(), None)))
            .await
            .is_ok()
    })
    .await;
    assert!(
        switched,
        "the renewed certificate is served without a restart"
    );
    assert!(
        refused(app.port, Some(tls(&first.ca_file(), None))).await,
        "new connections no longer get the old certificate"
    );
    assert!(
        read_own_platform(before).await.is_ok(),
        "a connection made before the renewal keeps working"
    );
    app.stop().await;
}

/// Between the kubelet's writes a certificate may sit beside the old key: that pair is refused
/// and the previous one stays in service until the whole new pair is there.
#[test]
fn a_key_that_does_not_belong_to_its_certificate_keeps_the_previous_pair() {
    let first = TestPki::new();
    let mounted = first.issue("server", &["localhost"]);
    let files = gigshield_kit::tls::KeyPair {
        cert: mounted.cert.clone(),
        key: mounted.key.clone(),
    };
    let certificate = ReloadingCertificate::load(&files).unwrap();
    let original = certificate.leaf();
    assert!(
        !certificate.reload().unwrap(),
        "unchanged files: nothing to do"
    );

    let renewed = TestPki::new();
    let next = renewed.issue("server", &["localhost"]);
    std::fs::copy(&next.cert, &mounted.cert).unwrap();
    let err = certificate.reload().unwrap_err();
    assert!(format!("{err:#}").contains("does not belong"), "{err:#}");
    assert_eq!(
        certificate.leaf(),
        original,
        "the previous pair stays in service"
    );

    std::fs::copy(&next.key, &mounted.key).unwrap();
    assert!(certificate.reload().unwrap(), "the whole new pair is taken");
    assert_ne!(certificate.leaf(), original);
}

#[tokio::test]
async fn mutual_tls_refuses_callers_without_a_certificate_of_the_client_ca() {
    let pki = TestPki::new();
    let server = pki.issue("server", &["localhost"]);
    let clients = TestPki::new();
    let claims = clients.issue("claims", &["claims"]);
    let client_ca = clients.ca_file().display().to_string();
    let app = start_tls(&server, &[("GRPC_TLS_CLIENT_CA_FILE", &client_ca)]).await;

    let channel = connect(app.port, Some(tls(&pki.ca_file(), Some(&claims))))
        .await
        .expect("a client with a certificate of the client CA connects");
    assert!(read_own_platform(channel).await.is_ok());

    assert!(
        refused(app.port, Some(tls(&pki.ca_file(), None))).await,
        "no client certificate"
    );
    let impostor = pki.issue("impostor", &["claims"]);
    assert!(
        refused(app.port, Some(tls(&pki.ca_file(), Some(&impostor)))).await,
        "a certificate of another CA (the server's own) is not a client certificate here"
    );
    app.stop().await;
}

#[tokio::test]
async fn postgres_connections_verify_the_servers_certificate() {
    let Some(ca) = local_postgres_ca() else {
        panic!(
            "the local PostgreSQL's CA is missing: `make infra-up` writes {} (deploy/local/postgres.sh)",
            postgres_ca_path().display()
        );
    };
    let db = TestDatabase::postgres().await;
    let verified = with_query(
        &db.url,
        &format!("sslmode=verify-full&sslrootcert={}", ca.display()),
    );
    let conn = sea_orm::Database::connect(verified.as_str())
        .await
        .expect("verify-full against the local CA connects");
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &conn,
        sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        row.try_get::<bool>("", "ssl").unwrap(),
        "the session is encrypted"
    );
    conn.close().await.unwrap();

    let stranger = TestPki::new();
    let unverified = with_query(
        &db.url,
        &format!(
            "sslmode=verify-full&sslrootcert={}",
            stranger.ca_file().display()
        ),
    );
    assert!(
        sea_orm::Database::connect(unverified.as_str())
            .await
            .is_err(),
        "a server certificate of another CA is refused"
    );
}

fn with_query(url: &str, query: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

/// `GIGSHIELD_PG_CA_FILE` for a server of one's own (`GIGSHIELD_PG_ADMIN_URL`), else the CA
/// `deploy/local/postgres.sh` minted under `GIGSHIELD_LOCAL_DIR` (default `.local`).
fn postgres_ca_path() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("GIGSHIELD_PG_CA_FILE") {
        return path.into();
    }
    let local = std::env::var_os("GIGSHIELD_LOCAL_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.local"));
    local.join("postgres-tls/ca.crt")
}

fn local_postgres_ca() -> Option<std::path::PathBuf> {
    let path = postgres_ca_path();
    path.exists().then_some(path)
}
