use futures_util::{SinkExt, StreamExt};
use lifeline_client::ApiClient;
use lifeline_protocol::{ApiError, ErrorCode, ServerFrame};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{code, spawn_app, spawn_app_with};

async fn api_error(response: reqwest::Response) -> (u16, ApiError) {
    let status = response.status().as_u16();
    (
        status,
        response.json().await.expect("a typed {code, message} body"),
    )
}

#[tokio::test]
async fn malformed_json_unknown_fields_and_oversized_bodies_get_clear_errors() {
    let app = spawn_app_with(|c| c.limits.max_json_bytes = 2048).await;
    let token = app.technician.access_token().await.expect("token");
    let post = |body: String| {
        app.http
            .post(app.api("/api/v1/sessions"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let (status, error) = api_error(post("{not json".into()).await.expect("sent")).await;
    assert_eq!((status, error.code), (400, ErrorCode::InvalidInput));
    let (status, error) = api_error(
        post(r#"{"request_control_on_arival": true}"#.into())
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!((status, error.code), (400, ErrorCode::InvalidInput));
    assert!(
        error.message.contains("request_control_on_arival"),
        "names the bad field: {}",
        error.message
    );
    let huge = format!(
        r#"{{"request_control_on_arrival": false, "x": "{}"}}"#,
        "a".repeat(10_000)
    );
    let (status, error) = api_error(post(huge).await.expect("sent")).await;
    assert_eq!((status, error.code), (413, ErrorCode::PayloadTooLarge));
    assert!(
        app.technician.sessions().await.expect("list").is_empty(),
        "nothing half-created"
    );
}

#[tokio::test]
async fn bad_and_missing_tokens_are_unauthorized() {
    let app = spawn_app().await;
    for token in ["", "lla_forged", "lle_forged", "garbage"] {
        let response = app
            .http
            .get(app.api("/api/v1/sessions"))
            .bearer_auth(token)
            .send()
            .await
            .expect("sent");
        let (status, error) = api_error(response).await;
        assert_eq!(
            (status, error.code),
            (401, ErrorCode::Unauthorized),
            "token {token:?}"
        );
    }
    let response = app
        .http
        .get(app.api("/api/v1/me"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn key_guessing_is_rate_limited_per_ip_and_survives_a_restart() {
    let mut app = spawn_app_with(|c| c.limits.key_lookups_per_ip_per_minute = 5).await;
    let guesser = ApiClient::new(&app.url).expect("client");
    for _ in 0..5 {
        let err = guesser
            .key_info("000000000")
            .await
            .expect_err("no such key");
        assert_eq!(code(err), ErrorCode::KeyUnknown);
    }
    assert_eq!(
        code(guesser.key_info("000000000").await.expect_err("limited")),
        ErrorCode::RateLimited
    );
    app.restart().await;
    let err = guesser
        .join("000000000", None)
        .await
        .expect_err("still limited after a restart");
    assert_eq!(
        code(err),
        ErrorCode::RateLimited,
        "the counters are durable"
    );
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited() {
    let app = spawn_app_with(|c| c.limits.login_per_ip_per_minute = 3).await;
    let client = ApiClient::new(&app.url).expect("client");
    for _ in 0..2 {
        let _ = client.login("tech@acme.test", "wrong password!").await;
    }
    let err = client
        .login("tech@acme.test", "wrong password!!")
        .await
        .expect_err("limited");
    assert_eq!(code(err), ErrorCode::RateLimited);
    let response = app
        .http
        .post(app.api("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "tech@acme.test", "password": "x"}))
        .send()
        .await
        .expect("sent");
    assert!(
        response.headers().contains_key("retry-after"),
        "says when to try again"
    );
}

async fn raw_socket(
    app: &crate::helpers::TestApp,
    origin: Option<&str>,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    u16,
> {
    let url = format!("{}/api/v1/realtime", app.url.replace("http://", "ws://"));
    let mut request = url.into_client_request().expect("request");
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("header"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(other) => panic!("unexpected failure: {other}"),
    }
}

#[tokio::test]
async fn websockets_from_foreign_origins_are_refused() {
    let app = spawn_app().await;
    assert_eq!(
        raw_socket(&app, Some("https://evil.example")).await.err(),
        Some(403)
    );
    assert!(
        raw_socket(&app, Some(&app.url)).await.is_ok(),
        "the service's own page may connect"
    );
    assert!(
        raw_socket(&app, None).await.is_ok(),
        "native clients send no Origin"
    );
}

#[tokio::test]
async fn a_websocket_hello_with_a_bad_token_is_refused_and_closed() {
    let app = spawn_app().await;
    let mut socket = raw_socket(&app, None).await.expect("connects");
    let hello = serde_json::json!({"type": "hello", "token": "lle_nope", "cursors": []});
    socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .expect("sent");
    let Some(Ok(Message::Text(text))) = socket.next().await else {
        panic!("expected an error frame")
    };
    let frame: ServerFrame = serde_json::from_str(text.as_str()).expect("frame");
    assert!(matches!(frame, ServerFrame::Error { error } if error.code == ErrorCode::Unauthorized));
    let closing = socket.next().await;
    assert!(
        matches!(closing, Some(Ok(Message::Close(_))) | None),
        "then the socket closes: {closing:?}"
    );
}

#[tokio::test]
async fn the_openapi_document_covers_every_route() {
    let app = spawn_app().await;
    let document: serde_json::Value = app
        .http
        .get(app.api("/api/v1/openapi.json"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/info",
        "/api/v1/sessions",
        "/api/v1/sessions/{id}",
        "/api/v1/sessions/{id}/events",
        "/api/v1/sessions/{id}/messages",
        "/api/v1/sessions/{id}/consent",
        "/api/v1/sessions/{id}/consent/{request_id}",
        "/api/v1/sessions/{id}/end",
        "/api/v1/sessions/{id}/transcript",
        "/api/v1/sessions/{id}/invites/sms",
        "/api/v1/sessions/{id}/invites/email",
        "/api/v1/sessions/{id}/files",
        "/api/v1/files/{id}",
        "/api/v1/files/{id}/link",
        "/api/v1/files/{id}/content",
        "/api/v1/join",
        "/api/v1/join/{key}",
        "/api/v1/end-user/session",
        "/api/v1/admin/technicians",
        "/api/v1/admin/technicians/{id}",
        "/api/v1/admin/outbox",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    let (api, openapi) = lifeline_server::app::api();
    drop(api);
    assert_eq!(
        openapi.paths.paths.len(),
        paths.len(),
        "the served document is the router's own"
    );
}

#[tokio::test]
async fn the_join_page_is_embedded_localized_and_locked_down() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.api("/join/123456789"))
        .header("accept-language", "de-DE,de;q=0.9")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(
        response.headers()["referrer-policy"],
        "no-referrer",
        "the key in the URL must not leak"
    );
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let html = response.text().await.expect("html");
    assert!(
        html.contains("<html lang=\"de\""),
        "German from Accept-Language"
    );
    let script = app
        .http
        .get(app.api("/assets/join.js"))
        .send()
        .await
        .expect("get");
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/javascript"));
    let health = app.http.get(app.api("/healthz")).send().await.expect("get");
    assert_eq!(health.status(), 200);
}
