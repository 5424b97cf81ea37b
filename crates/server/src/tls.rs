//! Built-in HTTPS: the rustls configuration from the configured PEM files, its reload
//! on SIGHUP or when the files change (a renewal by certbot or an ACME client), and the
//! plain-HTTP listener that sends browsers to the HTTPS address. It must not decide
//! what is served: the same router answers over both.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect};
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::TlsSettings;

/// How often the files' modification times are compared, for renewals that send no
/// SIGHUP.
const FILE_CHECK_INTERVAL: Duration = Duration::from_secs(10);

/// Why the certificate or key can't be used; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate {path}: {source}")]
    ReadCertificate {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the TLS key {path}: {source}")]
    ReadKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the TLS certificate file {path} holds no PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("the TLS key file {path} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoKey { path: PathBuf },
    #[error("the TLS key {key} does not belong to the certificate {certificate}")]
    Mismatch { certificate: PathBuf, key: PathBuf },
    #[error("the TLS certificate {certificate} with the key {key} was refused: {detail}")]
    Refused {
        certificate: PathBuf,
        key: PathBuf,
        detail: String,
    },
}

/// The rustls server configuration from the files, with HTTP/2 and HTTP/1.1 offered.
pub fn server_config(settings: &TlsSettings) -> Result<rustls::ServerConfig, TlsError> {
    let certificate_pem =
        std::fs::read(&settings.cert).map_err(|source| TlsError::ReadCertificate {
            path: settings.cert.clone(),
            source,
        })?;
    let key_pem = std::fs::read(&settings.key).map_err(|source| TlsError::ReadKey {
        path: settings.key.clone(),
        source,
    })?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&certificate_pem)
        .collect::<Result<_, _>>()
        .map_err(|_| TlsError::NoCertificate {
            path: settings.cert.clone(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: settings.cert.clone(),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::NoKey {
        path: settings.key.clone(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let refused = |detail: String| TlsError::Refused {
        certificate: settings.cert.clone(),
        key: settings.key.clone(),
        detail,
    };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| refused(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => TlsError::Mismatch {
                certificate: settings.cert.clone(),
                key: settings.key.clone(),
            },
            other => refused(other.to_string()),
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The configuration the HTTPS listener starts with.
pub fn acceptor_config(settings: &TlsSettings) -> Result<RustlsConfig, TlsError> {
    Ok(RustlsConfig::from_config(Arc::new(server_config(
        settings,
    )?)))
}

fn modified(settings: &TlsSettings) -> Option<(SystemTime, SystemTime)> {
    let time = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    Some((time(&settings.cert)?, time(&settings.key)?))
}

/// Loads the files again on SIGHUP and when either file's modification time moves. A
/// pair that fails to load is logged and the one in use stays.
pub async fn keep_fresh(live: RustlsConfig, settings: TlsSettings, stop: CancellationToken) {
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut last_seen = modified(&settings);
    let mut every = tokio::time::interval(FILE_CHECK_INTERVAL);
    every.tick().await;
    loop {
        #[cfg(unix)]
        let signal = async {
            match hangup.as_mut() {
                Some(hangup) => {
                    hangup.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let signal = std::future::pending::<()>();
        let cause = tokio::select! {
            () = stop.cancelled() => return,
            () = signal => "SIGHUP",
            _ = every.tick() => {
                let now = modified(&settings);
                if now.is_none() || now == last_seen {
                    continue;
                }
                "the files changed"
            }
        };
        last_seen = modified(&settings);
        match server_config(&settings) {
            Ok(config) => {
                live.reload_from_config(Arc::new(config));
                tracing::info!(cause, certificate = %settings.cert.display(), "TLS certificate reloaded");
            }
            Err(err) => {
                tracing::error!(cause, error = %err, "TLS certificate not reloaded; the previous one stays");
            }
        }
    }
}

/// The plain-HTTP side: every request is sent, with its path and query, to the same
/// place under the public HTTPS URL.
pub fn redirect_router(public_url: Url) -> Router {
    Router::new().fallback(move |uri: Uri| {
        let public_url = public_url.clone();
        async move {
            let path_and_query = uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .trim_start_matches('/');
            match public_url.join(path_and_query) {
                Ok(target) => Redirect::permanent(target.as_str()).into_response(),
                Err(_) => (StatusCode::BAD_REQUEST, "bad request path").into_response(),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(dir: &Path, name: &str) -> TlsSettings {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()])
            .expect("a self-signed certificate");
        let cert = dir.join(format!("{name}.crt"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&cert, certified.cert.pem()).expect("write");
        std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write");
        TlsSettings {
            cert,
            key,
            redirect_from: None,
            hsts_max_age_secs: 0,
        }
    }

    #[test]
    fn each_bad_file_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = pair(dir.path(), "a");
        assert!(server_config(&good).is_ok(), "a matching pair loads");

        let missing = TlsSettings {
            cert: dir.path().join("absent.crt"),
            ..good.clone()
        };
        let err = server_config(&missing).expect_err("missing");
        assert!(matches!(err, TlsError::ReadCertificate { .. }), "{err}");
        assert!(err.to_string().contains("absent.crt"), "{err}");

        let not_pem = dir.path().join("garbage.key");
        std::fs::write(&not_pem, "not a key").expect("write");
        let err = server_config(&TlsSettings {
            key: not_pem,
            ..good.clone()
        })
        .expect_err("garbage");
        assert!(matches!(err, TlsError::NoKey { .. }), "{err}");

        let other = pair(dir.path(), "b");
        let err = server_config(&TlsSettings {
            key: other.key,
            ..good
        })
        .expect_err("someone else's key");
        assert!(matches!(err, TlsError::Mismatch { .. }), "{err}");
        assert!(err.to_string().contains("b.key"), "{err}");
    }
}
