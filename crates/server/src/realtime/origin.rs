use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::config::Config;

/// Browsers always send `Origin` on a WebSocket upgrade, so a cross-site page cannot
/// hide it. Allowed: the public URL's origin, configured extra origins, and the origin
/// the request was addressed to (same-origin). Native clients send no `Origin`.
pub fn allowed(config: &Config, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == config.public_url.origin().ascii_serialization()
        || config
            .allowed_origins
            .iter()
            .any(|allowed| allowed == origin)
    {
        return true;
    }
    let Ok(origin_url) = Url::parse(origin) else {
        return false;
    };
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let origin_authority = match (origin_url.host_str(), origin_url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => return false,
    };
    origin_authority.eq_ignore_ascii_case(host)
}

/// The refusal of a WebSocket upgrade from a foreign origin, or `None` to go on.
/// Every socket's upgrade asks this first.
pub fn refuse_foreign(config: &Config, headers: &HeaderMap) -> Option<Response> {
    if allowed(config, headers) {
        return None;
    }
    tracing::warn!(origin = ?headers.get(header::ORIGIN), "WebSocket from a foreign origin refused");
    let error = crate::error::AppError::Forbidden("this origin may not open a connection".into());
    Some(error.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: &str, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, origin.parse().expect("valid header"));
        headers.insert(header::HOST, host.parse().expect("valid header"));
        headers
    }

    #[test]
    fn same_origin_and_public_origin_pass_other_sites_do_not() {
        let config = Config::for_data_dir(std::path::Path::new("/nonexistent"));
        assert!(allowed(
            &config,
            &headers("http://127.0.0.1:8080", "127.0.0.1:8080")
        ));
        assert!(allowed(
            &config,
            &headers("http://localhost:9000", "localhost:9000")
        ));
        assert!(!allowed(
            &config,
            &headers("https://evil.example", "127.0.0.1:8080")
        ));
        assert!(
            allowed(&config, &HeaderMap::new()),
            "native clients send no Origin"
        );
    }
}
