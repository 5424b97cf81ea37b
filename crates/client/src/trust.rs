//! Which TLS certificates a client believes: the public web's roots, plus a private
//! CA's (a company's own CA, or a test's) from `LIFELINE_CA_FILE` or given by the
//! caller. The REST client and both WebSockets (realtime and media) of one `ApiClient`
//! share its trust, so a service they reach over one they reach over all. It never
//! turns checking off.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::ClientError;

/// The environment variable naming a PEM file of extra CA certificates, read by
/// [`Trust::from_env`] (what the desktop app and the agent use).
pub const CA_FILE_ENV: &str = "LIFELINE_CA_FILE";

/// The certificates trusted besides the public roots.
#[derive(Clone, Default)]
pub struct Trust {
    extra: Vec<CertificateDer<'static>>,
}

impl Trust {
    /// The public roots only.
    pub fn public_roots() -> Self {
        Self::default()
    }

    /// The public roots, and the CA certificates of the PEM text.
    pub fn with_pem(pem: &[u8]) -> Result<Self, ClientError> {
        let extra = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ClientError::InvalidInput(format!("CA certificates: {e}")))?;
        if extra.is_empty() {
            return Err(ClientError::InvalidInput(
                "the CA file holds no PEM certificate".into(),
            ));
        }
        Ok(Self { extra })
    }

    /// The public roots, and the file `LIFELINE_CA_FILE` names, if it is set.
    pub fn from_env() -> Result<Self, ClientError> {
        let Some(path) = std::env::var_os(CA_FILE_ENV) else {
            return Ok(Self::public_roots());
        };
        let shown = std::path::Path::new(&path).display().to_string();
        let pem = std::fs::read(&path)
            .map_err(|e| ClientError::InvalidInput(format!("{CA_FILE_ENV} {shown}: {e}")))?;
        let trust = Self::with_pem(&pem)
            .map_err(|e| ClientError::InvalidInput(format!("{CA_FILE_ENV} {shown}: {e}")))?;
        tracing::info!(certificates = trust.extra.len(), file = %shown, "trusting extra CA certificates");
        Ok(trust)
    }

    /// The REST client, trusting the extra roots too.
    pub(crate) fn http_client(
        &self,
        builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::Client, ClientError> {
        let mut builder = builder;
        for root in &self.extra {
            builder = builder.add_root_certificate(reqwest::Certificate::from_der(root)?);
        }
        Ok(builder.build()?)
    }

    /// The WebSockets' TLS: `None` (tungstenite's default, the public roots) unless
    /// extra roots are set.
    pub(crate) fn websocket_tls(&self) -> Result<Option<Arc<rustls::ClientConfig>>, ClientError> {
        if self.extra.is_empty() {
            return Ok(None);
        }
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for root in &self.extra {
            roots
                .add(root.clone())
                .map_err(|e| ClientError::InvalidInput(format!("CA certificate: {e}")))?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::InvalidInput(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Some(Arc::new(config)))
    }
}

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket with a client's TLS settings.
pub(crate) async fn connect_websocket(
    url: &str,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<Socket, ClientError> {
    let connector = tls.map(|config| tokio_tungstenite::Connector::Rustls(Arc::clone(config)));
    let (socket, _) = tokio_tungstenite::connect_async_tls_with_config(url, None, false, connector)
        .await
        .map_err(|e| ClientError::WebSocket(e.to_string()))?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_adds_roots_and_garbage_is_refused() {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).expect("a CA");
        let trust = Trust::with_pem(ca.pem().as_bytes()).expect("a PEM CA is taken");
        assert_eq!(trust.extra.len(), 1);
        assert!(
            trust.websocket_tls().expect("config").is_some(),
            "the WebSockets trust it too"
        );
        assert!(
            Trust::public_roots()
                .websocket_tls()
                .expect("config")
                .is_none(),
            "without extra roots the WebSockets keep their default"
        );
        for garbage in [&b"not a certificate"[..], b""] {
            let err = Trust::with_pem(garbage).err().expect("refused");
            assert!(matches!(err, ClientError::InvalidInput(_)), "{err}");
        }
    }
}
