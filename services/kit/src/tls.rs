//! TLS on gRPC: a server's certificate (and, for mutual TLS, the CA its callers' certificates
//! must chain to), and the client side of calls between services. Files are PEM, named by
//! environment variables. The server reads its certificate again every `GRPC_TLS_RELOAD_SECS`
//! and serves a renewed one without a restart ([`crate::tls_listener`]); a client reads its
//! files when its channel is built.
//!
//! Without a certificate the port speaks plaintext HTTP/2: for local development, or behind a
//! mesh that terminates mutual TLS in a sidecar. PostgreSQL's TLS is libpq's (`sslmode`,
//! `sslrootcert` in `DATABASE_URL`, or `PGSSLMODE` / `PGSSLROOTCERT`); Kafka's is
//! [`crate::config::KafkaSecurity`].

use std::path::{Path, PathBuf};

use tonic::transport::{Certificate, ClientTlsConfig, Identity};

use crate::config::{ConfigError, Env};

/// A certificate and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The server side: `GRPC_TLS_CERT_FILE` and `GRPC_TLS_KEY_FILE` (both or neither), and
/// `GRPC_TLS_CLIENT_CA_FILE`: when set, every caller must present a certificate issued by
/// that CA (mutual TLS), on top of its bearer token. `GRPC_TLS_RELOAD_SECS`, default 60: how
/// often the certificate files are read again; a changed pair is served to new connections
/// from then on ([`crate::tls_listener`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTls {
    pub identity: KeyPair,
    pub client_ca: Option<PathBuf>,
    pub reload_every: std::time::Duration,
}

impl ServerTls {
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let Some(identity) = key_pair(env, "GRPC_TLS_CERT_FILE", "GRPC_TLS_KEY_FILE")? else {
            if env.optional("GRPC_TLS_CLIENT_CA_FILE").is_some() {
                return Err(ConfigError::Missing {
                    var: "GRPC_TLS_CERT_FILE".into(),
                });
            }
            return Ok(None);
        };
        let reload_secs: u64 = env.parse_or("GRPC_TLS_RELOAD_SECS", 60)?;
        if reload_secs == 0 {
            return Err(ConfigError::Invalid {
                var: "GRPC_TLS_RELOAD_SECS".into(),
                reason: "must be positive".into(),
            });
        }
        Ok(Some(Self {
            identity,
            client_ca: env.optional("GRPC_TLS_CLIENT_CA_FILE").map(PathBuf::from),
            reload_every: std::time::Duration::from_secs(reload_secs),
        }))
    }
}

/// The client side of one outgoing gRPC dependency, read under a prefix (claims' call to
/// premium: `CLAIMS_PREMIUM`): `<PREFIX>_TLS_CA_FILE`, the CA the server's certificate must
/// chain to (required for an `https://` address: nothing else is trusted), and
/// `<PREFIX>_TLS_CERT_FILE` / `<PREFIX>_TLS_KEY_FILE`, this service's own certificate for a
/// server that asks for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTls {
    prefix: String,
    pub ca: PathBuf,
    pub identity: Option<KeyPair>,
}

impl ClientTls {
    pub fn from_env(env: &Env, prefix: &str) -> Result<Option<Self>, ConfigError> {
        let var = |name: &str| format!("{prefix}_TLS_{name}");
        let identity = key_pair(env, &var("CERT_FILE"), &var("KEY_FILE"))?;
        let Some(ca) = env.optional(&var("CA_FILE")) else {
            if identity.is_some() {
                return Err(ConfigError::Missing {
                    var: var("CA_FILE"),
                });
            }
            return Ok(None);
        };
        Ok(Some(Self {
            prefix: prefix.to_string(),
            ca: PathBuf::from(ca),
            identity,
        }))
    }

    /// Reads the files. `domain` is the name the server's certificate must carry: the host of
    /// the configured address, also when the channel connects to resolved IP addresses.
    pub fn load(&self, domain: &str) -> anyhow::Result<ClientTlsConfig> {
        let var = |name: &str| format!("{}_TLS_{name}", self.prefix);
        let mut config = ClientTlsConfig::new()
            .domain_name(domain)
            .ca_certificate(Certificate::from_pem(read(&self.ca, &var("CA_FILE"))?));
        if let Some(pair) = &self.identity {
            config = config.identity(identity(pair, &format!("{}_TLS", self.prefix))?);
        }
        Ok(config)
    }
}

fn key_pair(env: &Env, cert_var: &str, key_var: &str) -> Result<Option<KeyPair>, ConfigError> {
    match (env.optional(cert_var), env.optional(key_var)) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(KeyPair {
            cert: cert.into(),
            key: key.into(),
        })),
        (Some(_), None) => Err(ConfigError::Missing {
            var: key_var.into(),
        }),
        (None, Some(_)) => Err(ConfigError::Missing {
            var: cert_var.into(),
        }),
    }
}

fn identity(pair: &KeyPair, prefix: &str) -> anyhow::Result<Identity> {
    Ok(Identity::from_pem(
        read(&pair.cert, &format!("{prefix}_CERT_FILE"))?,
        read(&pair.key, &format!("{prefix}_KEY_FILE"))?,
    ))
}

fn read(path: &Path, var: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("{var} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_certificate_needs_its_key_and_a_client_ca_needs_both() {
        let none = Env::from_pairs(&[]);
        assert_eq!(ServerTls::from_env(&none), Ok(None));
        let half = Env::from_pairs(&[("GRPC_TLS_CERT_FILE", "/tls/tls.crt")]);
        assert_eq!(
            ServerTls::from_env(&half),
            Err(ConfigError::Missing {
                var: "GRPC_TLS_KEY_FILE".into()
            })
        );
        let ca_only = Env::from_pairs(&[("GRPC_TLS_CLIENT_CA_FILE", "/tls/ca.crt")]);
        assert_eq!(
            ServerTls::from_env(&ca_only),
            Err(ConfigError::Missing {
                var: "GRPC_TLS_CERT_FILE".into()
            })
        );
        let mutual = Env::from_pairs(&[
            ("GRPC_TLS_CERT_FILE", "/tls/tls.crt"),
            ("GRPC_TLS_KEY_FILE", "/tls/tls.key"),
            ("GRPC_TLS_CLIENT_CA_FILE", "/tls/ca.crt"),
        ]);
        let tls = ServerTls::from_env(&mutual).unwrap().unwrap();
        assert_eq!(tls.identity.key, PathBuf::from("/tls/tls.key"));
        assert_eq!(tls.client_ca, Some(PathBuf::from("/tls/ca.crt")));
        assert_eq!(tls.reload_every, std::time::Duration::from_secs(60));
        let never = Env::from_pairs(&[
            ("GRPC_TLS_CERT_FILE", "/tls/tls.crt"),
            ("GRPC_TLS_KEY_FILE", "/tls/tls.key"),
            ("GRPC_TLS_RELOAD_SECS", "0"),
        ]);
        assert!(matches!(
            ServerTls::from_env(&never),
            Err(ConfigError::Invalid { var, .. }) if var == "GRPC_TLS_RELOAD_SECS"
        ));
    }

    #[test]
    fn a_client_trusts_only_its_configured_ca_and_names_missing_files() {
        assert_eq!(ClientTls::from_env(&Env::from_pairs(&[]), "X"), Ok(None));
        let cert_without_ca = Env::from_pairs(&[
            ("X_TLS_CERT_FILE", "/tls/tls.crt"),
            ("X_TLS_KEY_FILE", "/tls/tls.key"),
        ]);
        assert_eq!(
            ClientTls::from_env(&cert_without_ca, "X"),
            Err(ConfigError::Missing {
                var: "X_TLS_CA_FILE".into()
            })
        );
        let tls = ClientTls::from_env(&Env::from_pairs(&[("X_TLS_CA_FILE", "/nowhere")]), "X")
            .unwrap()
            .unwrap();
        let err = tls.load("premium").unwrap_err().to_string();
        assert!(err.starts_with("X_TLS_CA_FILE /nowhere:"), "{err}");
    }
}
