//! Assembles the service: routers merged in one place, middleware, OpenAPI, startup.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use lifeline_protocol::ServerInfo;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::adhoc::PendingConnections;
use crate::clock::Clock;
use crate::cluster::Cluster;
use crate::config::Config;
use crate::error::AppResult;
use crate::invites::Delivery;
use crate::realtime::Hub;
use crate::state::{AppState, Inner};
use crate::store::Store;

#[derive(OpenApi)]
#[openapi(
    info(title = "Lifeline API", description = "Remote support: sessions, chat, files, invites."),
    modifiers(&BearerAuth),
    components(schemas(
        lifeline_protocol::ApiError,
        lifeline_protocol::ErrorCode,
        lifeline_protocol::SessionEvent,
        lifeline_protocol::EventData,
    ))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Public facts clients adapt to.
#[utoipa::path(get, path = "/info", tag = "service", responses((status = 200, body = ServerInfo)))]
async fn info(State(state): State<AppState>) -> axum::Json<ServerInfo> {
    axum::Json(ServerInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        public_url: state.config.public_url.to_string(),
        email_enabled: state.delivery.email.enabled(),
        max_upload_bytes: state.config.limits.max_upload_bytes,
    })
}

/// Liveness: the process answers. It asks nothing of the database, so a database
/// outage does not get a healthy process restarted.
async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// Readiness: the database answers, so requests sent here can be served.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.count_technicians().await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(err) => {
            tracing::error!(error = %err, "readiness check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// The API under `/api/v1`, and its OpenAPI document built from the same routes.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::new()
        .routes(routes!(info))
        .merge(crate::auth::router())
        .merge(crate::sessions::router())
        .merge(crate::join::api_router())
        .merge(crate::files::router())
        .merge(crate::invites::router())
        .merge(crate::admin::router())
        .merge(crate::adhoc::router())
        .merge(crate::adhoc::connect_router())
        .merge(crate::adhoc::enroll_router())
        .merge(crate::media::router())
        .merge(crate::attended::router())
        .merge(crate::replies::router());
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .split_for_parts();
    document_errors(&mut openapi);
    (router, openapi)
}

/// Every operation can answer with the typed error (a bad path or query, a missing
/// sign-in, a rate limit, a body too large, a wrong method...), so each documents it as
/// its `default` response besides the errors it names itself.
fn document_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = ResponseBuilder::new()
        .description("An error, always as the typed `{code, message}`.")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ApiError")))
                .build(),
        )
        .build();
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .responses
                .responses
                .entry("default".to_owned())
                .or_insert_with(|| error.clone().into());
        }
    }
}

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api();
    let openapi = Arc::new(openapi);
    let max_json = state.config.limits.max_json_bytes;
    Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let openapi = Arc::clone(&openapi);
                async move { axum::Json((*openapi).clone()) }
            }),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(crate::metrics::public_router())
        .merge(crate::realtime::router())
        .merge(crate::media::socket_router())
        .merge(crate::join::page_router())
        .merge(crate::adhoc::page_router())
        .merge(crate::attended::page_router())
        .fallback(|| async { crate::error::AppError::NotFound("page") })
        .layer(DefaultBodyLimit::max(max_json))
        .layer(axum::middleware::from_fn_with_state(
            max_json,
            refuse_oversized_bodies,
        ))
        .layer(axum::middleware::from_fn(type_bare_errors))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts(&state.config),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::time_requests,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `Strict-Transport-Security` for a service whose public address is HTTPS (built in or
/// behind a proxy), so browsers never try plain HTTP again; nothing otherwise.
fn hsts(config: &Config) -> Option<HeaderValue> {
    if config.public_url.scheme() != "https" {
        return None;
    }
    let max_age = config
        .tls
        .as_ref()
        .map_or_else(crate::config::default_hsts_max_age, |tls| {
            tls.hsts_max_age_secs
        });
    (max_age > 0)
        .then(|| HeaderValue::from_str(&format!("max-age={max_age}")).ok())
        .flatten()
}

/// Refuses a body whose announced length is over the JSON limit before anything reads
/// it, on every route but the upload appends (streamed to disk, bounded by the announced
/// file size). Bodies without a length are still cut off by `DefaultBodyLimit`.
async fn refuse_oversized_bodies(
    State(max_json): State<usize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_upload_append = request.method() == axum::http::Method::PATCH
        && request.uri().path().starts_with("/api/v1/files/");
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match announced {
        Some(length) if !is_upload_append && length > max_json as u64 => {
            crate::error::AppError::PayloadTooLarge(format!(
                "the request body has {length} bytes; at most {max_json} are accepted here"
            ))
            .into_response()
        }
        _ => next.run(request).await,
    }
}

/// Gives every error the typed `{code, message}` body, including those the framework
/// answers itself (a wrong method, a body an extractor refused), which come back bare
/// or as plain text. Pages (HTML) and JSON bodies pass unchanged.
async fn type_bare_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use crate::error::AppError;
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return response;
    }
    let error = match status {
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed(method.to_string()),
        StatusCode::NOT_FOUND => AppError::NotFound("route"),
        StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::PayloadTooLarge("the request body is too large".into())
        }
        StatusCode::UNAUTHORIZED => AppError::Unauthorized,
        status if status.is_client_error() => AppError::invalid(format!(
            "the request was refused: {}",
            status.canonical_reason().unwrap_or("bad request")
        )),
        _ => AppError::Internal(anyhow::anyhow!("bare {status} from a route")),
    };
    let mut typed = error.into_response();
    // The status stays what the route chose; `Allow` and `Content-Range` go along.
    *typed.status_mut() = status;
    for name in [header::ALLOW, header::CONTENT_RANGE, header::RETRY_AFTER] {
        if let Some(value) = response.headers().get(&name) {
            typed.headers_mut().insert(name, value.clone());
        }
    }
    typed
}

/// Everything the service needs, opened: database migrated, drivers configured.
pub async fn build_state(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    use anyhow::Context;
    crate::private_files::restrict_new_files();
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let tightened = crate::private_files::tighten(&config.data_dir).with_context(|| {
        format!(
            "making the data directory {} private",
            config.data_dir.display()
        )
    })?;
    if tightened > 0 {
        tracing::info!(
            entries = tightened,
            "data directory made private to the service's user"
        );
    }
    let store = Store::connect(config.database_url.expose())
        .await
        .with_context(|| format!("opening the database {}", config.database_url))?;
    let delivery = Delivery::from_config(&config)?;
    // Versions before the key file kept the secret in the database; it becomes the
    // previous key (so what it signed still verifies) and leaves the database.
    let legacy = store.setting("link_secret").await?;
    let keys = crate::secrets::ServerKeys::load_or_create(&config.data_dir, legacy.as_deref())?;
    if legacy.is_some() {
        store.delete_setting("link_secret").await?;
        tracing::info!("the server secret moved from the database to its key file");
    }
    let shutdown = tokio_util::sync::CancellationToken::new();
    let folder = crate::files::FileStore::Folder(crate::files::FolderFiles::new(
        config.data_dir.join("files"),
    ));
    let (hub, connects, files, media) = match &config.cluster {
        None => (
            Hub::default(),
            PendingConnections::default(),
            folder,
            crate::media::MediaHub::default(),
        ),
        Some(settings) => {
            let cluster = Cluster::connect(settings)
                .await
                .with_context(|| format!("joining the cluster through {}", settings.nats_url))?;
            let link = cluster.link();
            tracing::info!(node = %link.node_id(), "joined the cluster");
            let shared = crate::files::SharedFiles::open(
                cluster.client(),
                &settings.files_bucket(),
                settings.files_replicas,
            )
            .await?;
            let media = crate::media::MediaHub::clustered(crate::media::MediaBus::new(
                cluster.client(),
                &settings.subject_prefix,
                link.node_id(),
            ));
            let hub = Hub::clustered(link.clone());
            let connects = PendingConnections::clustered(link);
            let running = cluster.run(hub.clone(), connects.clone(), shutdown.clone());
            tokio::spawn(async move {
                if let Err(err) = running.await {
                    tracing::error!(error = %err, "the cluster bus stopped");
                }
            });
            (
                hub,
                connects,
                crate::files::FileStore::Shared(shared),
                media,
            )
        }
    };
    Ok(AppState {
        inner: Arc::new(Inner {
            config,
            store,
            clock,
            hub,
            delivery,
            keys,
            files,
            uploads: Default::default(),
            connects,
            media,
            shutdown,
            metrics: crate::metrics::Metrics::default(),
        }),
    })
}

/// An ad-hoc session reads as expired the moment its time is up (the store decides that
/// on every read). What follows from it (its computer leaves its groups, its chats end,
/// the technician and the agent are told) is done by this sweep, within a second, and
/// also after a jump of the clock. Every node sweeps: the store marks each session
/// expired once, and only the node whose update marked it does the rest.
async fn sweep_expired_adhoc(state: AppState) {
    let mut every_second = tokio::time::interval(std::time::Duration::from_secs(1));
    every_second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every_second.tick() => {}
            () = state.shutdown.cancelled() => return,
        }
        match state.store.adhoc_due(state.now()).await {
            Ok(false) => {}
            Ok(true) => {
                if let Err(err) = crate::adhoc::expire_due(&state).await {
                    tracing::warn!(error = %err, "expiring ad-hoc sessions failed");
                }
            }
            Err(err) => tracing::warn!(error = %err, "looking for expired ad-hoc sessions failed"),
        }
    }
}

/// Every hour, drop expired tokens and rate-limit windows. In a cluster only the
/// node holding the `housekeeping` lease does this; it renews the lease each minute,
/// and when it dies another node takes the lease within a minute and a half.
async fn housekeeping(state: AppState) {
    const DAY_MS: i64 = 86_400_000;
    const LEASE: &str = "housekeeping";
    const LEASE_MS: i64 = 90_000;
    let holder = uuid::Uuid::new_v4().to_string();
    let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
    let mut minutes: u64 = 0;
    loop {
        tokio::select! {
            _ = every_minute.tick() => {}
            () = state.shutdown.cancelled() => return,
        }
        match state
            .store
            .take_lease(LEASE, &holder, state.now(), LEASE_MS)
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "taking the housekeeping lease failed");
                continue;
            }
        }
        minutes += 1;
        if minutes % 60 != 1 {
            continue;
        }
        let now = state.now();
        let tokens = state.store.delete_expired_tokens(now).await;
        let limits = state.store.delete_stale_rate_limits(now - DAY_MS).await;
        match (tokens, limits) {
            (Ok(tokens), Ok(limits)) => tracing::debug!(tokens, limits, "housekeeping done"),
            (Err(err), _) | (_, Err(err)) => tracing::warn!(error = %err, "housekeeping failed"),
        }
        if let Err(err) = crate::files::expire_old_files(&state).await {
            tracing::warn!(error = %err, "deleting expired files failed");
        }
        if let Err(err) = crate::throttle::forget_stale(&state).await {
            tracing::warn!(error = %err, "forgetting old failed guesses failed");
        }
    }
}

/// A service listening on a real socket, for `serve` and for tests.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// The plain-HTTP listener that redirects to HTTPS, when one is configured.
    pub redirect_addr: Option<SocketAddr>,
    /// The separate `/metrics` listener, when one is configured.
    pub metrics_addr: Option<SocketAddr>,
    pub state: AppState,
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// The address the service answers on, `https://` with built-in TLS.
    pub fn url(&self) -> String {
        let scheme = if self.state.config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting, closes live sockets, and waits for requests in flight.
    pub async fn shutdown(self) -> AppResult<()> {
        self.state.shutdown.cancel();
        for task in self.tasks {
            task.await
                .map_err(|e| crate::error::AppError::Internal(e.into()))?
                .map_err(|e| crate::error::AppError::Internal(e.into()))?;
        }
        self.state.store.close().await;
        Ok(())
    }
}

/// Binds the configured address. When the port was 0 and the public URL was derived
/// from it, the URL gets the port actually bound, so links work.
pub async fn bind(config: &mut Config) -> anyhow::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    if config.public_url.port() == Some(0) {
        config
            .public_url
            .set_port(Some(addr.port()))
            .map_err(|()| anyhow::anyhow!("cannot set the port of {}", config.public_url))?;
    }
    config.listen = addr;
    Ok(listener)
}

/// A small plain-HTTP listener beside the service (the HTTPS redirect, the metrics),
/// stopped with it.
fn serve_beside(
    listener: tokio::net::TcpListener,
    router: Router,
    stop: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
    })
}

/// How long requests in flight may take to finish once a stop is asked for.
const GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves on a bound listener until `state.shutdown` is cancelled: HTTPS with built-in
/// TLS (and the redirecting HTTP listener when configured), plain HTTP otherwise.
pub async fn start(
    listener: tokio::net::TcpListener,
    state: AppState,
) -> anyhow::Result<RunningServer> {
    use anyhow::Context;
    let addr = listener.local_addr()?;
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let shutdown = state.shutdown.clone();
    let mut tasks = Vec::new();
    let mut redirect_addr = None;
    match state.config.tls.clone() {
        Some(settings) => {
            let tls = crate::tls::acceptor_config(&settings)?;
            tokio::spawn(crate::tls::keep_fresh(
                tls.clone(),
                settings.clone(),
                shutdown.clone(),
            ));
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            let stop = shutdown.clone();
            tokio::spawn(async move {
                stop.cancelled().await;
                stopper.graceful_shutdown(Some(GRACE));
            });
            let server = axum_server::from_tcp_rustls(listener.into_std()?, tls)?.handle(handle);
            tasks.push(tokio::spawn(async move { server.serve(app).await }));
            if let Some(from) = settings.redirect_from {
                let plain = tokio::net::TcpListener::bind(from)
                    .await
                    .with_context(|| format!("listening on {from} (tls.redirect_from)"))?;
                redirect_addr = Some(plain.local_addr()?);
                let redirect = crate::tls::redirect_router(state.config.public_url.clone());
                tasks.push(serve_beside(plain, redirect, shutdown.clone()));
            }
        }
        None => {
            tasks.push(tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move { shutdown.cancelled().await })
                    .await
            }));
        }
    }
    let mut metrics_addr = None;
    if let Some(listen) = state.config.metrics.listen {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen} (metrics.listen)"))?;
        metrics_addr = Some(listener.local_addr()?);
        let metrics = crate::metrics::separate_router(state.clone());
        tasks.push(serve_beside(listener, metrics, state.shutdown.clone()));
    }
    tokio::spawn(housekeeping(state.clone()));
    tokio::spawn(sweep_expired_adhoc(state.clone()));
    Ok(RunningServer {
        addr,
        redirect_addr,
        metrics_addr,
        state,
        tasks,
    })
}
