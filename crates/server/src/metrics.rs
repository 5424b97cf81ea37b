//! The service's own measurements, in the Prometheus text format at `/metrics`: open
//! sockets by party, live sessions, events and bytes relayed, uploads in progress,
//! rate-limit refusals and request latencies. It counts; it must not change what a
//! request does, and no label carries an id, an address or anything a person typed.
//!
//! `/metrics` is closed on the public listener unless `metrics.token` is set (then it
//! asks for it as a bearer token); `metrics.listen` opens a separate listener (say on
//! loopback, for a local Prometheus) that asks for nothing.

use std::time::Instant;

use axum::extract::{MatchedPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::state::AppState;

pub const METRICS_PATH: &str = "/metrics";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PartyLabel {
    party: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    /// The route's pattern (`/api/v1/sessions/{id}`), never the path itself.
    route: String,
    status: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Who holds a socket, as the `party` label says it.
#[derive(Clone, Copy, Debug)]
pub enum SocketParty {
    Technician,
    EndUser,
    Agent,
    Media,
}

impl SocketParty {
    fn label(self) -> &'static str {
        match self {
            Self::Technician => "technician",
            Self::EndUser => "end_user",
            Self::Agent => "agent",
            Self::Media => "media",
        }
    }
}

/// What was relayed, as the `kind` label of the byte counter says it.
#[derive(Clone, Copy, Debug)]
pub enum Relayed {
    FileUpload,
    FileDownload,
    Screen,
}

pub struct Metrics {
    registry: Registry,
    sockets: Family<PartyLabel, Gauge>,
    events: Family<KindLabel, Counter>,
    bytes: Family<KindLabel, Counter>,
    live_sessions: Family<KindLabel, Gauge>,
    uploads_in_progress: Gauge,
    rate_limited: Counter,
    requests: LatencyFamily,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("lifeline");
        let sockets = Family::<PartyLabel, Gauge>::default();
        registry.register(
            "open_sockets",
            "WebSockets open now, by party (media: screen view)",
            sockets.clone(),
        );
        let events = Family::<KindLabel, Counter>::default();
        registry.register(
            "events_stored",
            "Session events stored and relayed, by kind (message, file, other)",
            events.clone(),
        );
        let bytes = Family::<KindLabel, Counter>::default();
        registry.register(
            "relayed_bytes",
            "Bytes relayed: file uploads, file downloads, screen pictures",
            bytes.clone(),
        );
        let live_sessions = Family::<KindLabel, Gauge>::default();
        registry.register(
            "live_sessions",
            "Sessions waiting or active now (instant), prepared or active (ad hoc)",
            live_sessions.clone(),
        );
        let uploads_in_progress = Gauge::default();
        registry.register(
            "uploads_in_progress",
            "File uploads receiving bytes now",
            uploads_in_progress.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "rate_limit_refusals",
            "Requests and frames refused by a rate limit or a guess throttle",
            rate_limited.clone(),
        );
        let requests = LatencyFamily::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method, route and status class",
            requests.clone(),
        );
        Self {
            registry,
            sockets,
            events,
            bytes,
            live_sessions,
            uploads_in_progress,
            rate_limited,
            requests,
        }
    }
}

/// Counts a socket as open until dropped.
pub struct OpenSocket {
    gauge: Gauge<i64, std::sync::atomic::AtomicI64>,
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

impl Metrics {
    pub fn socket_opened(&self, party: SocketParty) -> OpenSocket {
        let gauge = self
            .sockets
            .get_or_create(&PartyLabel {
                party: party.label(),
            })
            .clone();
        gauge.inc();
        OpenSocket { gauge }
    }

    pub fn event_stored(&self, data: &lifeline_protocol::EventData) {
        use lifeline_protocol::EventData;
        let kind = match data {
            EventData::Message { .. } => "message",
            EventData::FileShared { .. } => "file",
            _ => "other",
        };
        self.events.get_or_create(&KindLabel { kind }).inc();
    }

    pub fn relayed(&self, what: Relayed, bytes: u64) {
        let kind = match what {
            Relayed::FileUpload => "file_upload",
            Relayed::FileDownload => "file_download",
            Relayed::Screen => "screen",
        };
        self.bytes.get_or_create(&KindLabel { kind }).inc_by(bytes);
    }

    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// The text exposition, with the figures read at scrape time filled in first.
    async fn render(&self, state: &AppState) -> Result<String, crate::error::AppError> {
        let (instant, adhoc) = state.store.count_live_sessions(state.now()).await?;
        self.live_sessions
            .get_or_create(&KindLabel { kind: "instant" })
            .set(instant);
        self.live_sessions
            .get_or_create(&KindLabel { kind: "adhoc" })
            .set(adhoc);
        self.uploads_in_progress
            .set(i64::try_from(state.uploads.in_progress()).unwrap_or(i64::MAX));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).map_err(|e| {
            crate::error::AppError::Internal(anyhow::anyhow!("encoding metrics: {e}"))
        })?;
        Ok(text)
    }
}

/// Times every request by its route pattern.
pub async fn time_requests(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = format!("{}xx", response.status().as_u16() / 100);
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        state.metrics.rate_limited();
    }
    state
        .metrics
        .requests
        .get_or_create(&RouteLabels {
            method,
            route,
            status,
        })
        .observe(started.elapsed().as_secs_f64());
    response
}

fn exposition(text: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// `/metrics` on the public listener: only with the configured bearer token.
async fn public_metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config.metrics.token.as_ref() else {
        return crate::error::AppError::NotFound("route").into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let matches: bool = presented
        .as_bytes()
        .ct_eq(expected.expose_secret().as_bytes())
        .into();
    if !matches {
        return crate::error::AppError::Unauthorized.into_response();
    }
    match state.metrics.render(&state).await {
        Ok(text) => exposition(text),
        Err(err) => err.into_response(),
    }
}

/// `/metrics` on the separate listener, which asks for nothing.
async fn open_metrics(State(state): State<AppState>) -> Response {
    match state.metrics.render(&state).await {
        Ok(text) => exposition(text),
        Err(err) => err.into_response(),
    }
}

pub fn public_router() -> Router<AppState> {
    Router::new().route(METRICS_PATH, get(public_metrics))
}

pub fn separate_router(state: AppState) -> Router {
    Router::new()
        .route(METRICS_PATH, get(open_metrics))
        .with_state(state)
}
