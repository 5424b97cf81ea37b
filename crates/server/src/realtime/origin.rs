use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::config::Config;

/// Browsers always send `Origin` on a WebSocket upgrade, so a cross-site page cannot
/// hide it. Allowed: the public URL's origin and the configured extra origins, scheme,
/// host and port all compared. The `Host` header is not trusted for this: a page on a
/// name rebound to this service's address (DNS rebinding) sends a matching `Host`.
/// Native clients send no `Origin`.
pub fn allowed(config: &Config, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(origin) = origin.to_str().ok().and_then(|o| Url::parse(o).ok()) else {
        return false;
    };
    let origin = origin.origin();
    if !origin.is_tuple() {
        // `null` and other opaque origins (sandboxed frames, files) are nobody's.
        return false;
    }
    origin == config.public_url.origin()
        || config
            .allowed_origins
            .iter()
            .filter_map(|allowed| Url::parse(allowed).ok())
            .any(|allowed| allowed.origin() == origin)
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
    fn only_the_public_origin_and_configured_ones_pass() {
        let mut config = Config::for_data_dir(std::path::Path::new("/nonexistent"));
        config.allowed_origins = vec!["https://console.example:8443".into()];
        let public = "http://127.0.0.1:8080";
        assert!(allowed(&config, &headers(public, "127.0.0.1:8080")));
        assert!(allowed(
            &config,
            &headers("https://console.example:8443", "127.0.0.1:8080")
        ));
        for refused in [
            // DNS rebinding: the Host header matches the Origin, both the attacker's.
            ("http://rebound.example:8080", "rebound.example:8080"),
            // The right host under another scheme or port is another origin.
            ("https://127.0.0.1:8080", "127.0.0.1:8080"),
            ("http://127.0.0.1:8081", "127.0.0.1:8081"),
            ("http://console.example:8443", "127.0.0.1:8080"),
            ("https://evil.example", "127.0.0.1:8080"),
            ("null", "127.0.0.1:8080"),
        ] {
            assert!(
                !allowed(&config, &headers(refused.0, refused.1)),
                "{refused:?}"
            );
        }
        assert!(
            allowed(&config, &HeaderMap::new()),
            "native clients send no Origin"
        );
    }
}
