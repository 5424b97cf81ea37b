use futures_util::{SinkExt, StreamExt};
use lifeline_client::ApiClient;
use lifeline_protocol::{ApiError, ErrorCode, ServerFrame};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{code, spawn_app, spawn_app_with, PASSWORD};

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
            .bearer_auth(token.expose())
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
async fn key_guessing_is_slowed_per_address_and_survives_a_restart() {
    let mut app = spawn_app().await;
    let guesser = ApiClient::new(&app.url).expect("client");
    for _ in 0..lifeline_server::throttle::FREE_FAILURES {
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

/// One request as if from `address`, through a trusted proxy.
async fn from(
    app: &crate::helpers::TestApp,
    address: &str,
    request: reqwest::RequestBuilder,
) -> reqwest::Response {
    let _ = app;
    request
        .header("x-forwarded-for", address)
        .send()
        .await
        .expect("sent")
}

async fn sign_in_from(app: &crate::helpers::TestApp, address: &str, password: &str) -> u16 {
    let request = app
        .http
        .post(app.api("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "tech@acme.test", "password": password}));
    from(app, address, request).await.status().as_u16()
}

/// Moves the service's clock to the start of a minute, so a test's failures all fall
/// in one minute's count.
fn start_of_a_minute(app: &crate::helpers::TestApp) {
    let now = app.state().now();
    let to_next = 60_000 - now.rem_euclid(60_000) + 100;
    app.clock.advance(std::time::Duration::from_millis(
        u64::try_from(to_next).expect("positive"),
    ));
}

fn behind_a_proxy(c: &mut lifeline_server::Config) {
    c.trusted_proxies = vec!["127.0.0.0/8".parse().expect("cidr")];
}

/// Failed sign-ins slow down their own address, exponentially, and the account they
/// aim at, but nothing anyone else did stops the real user: a right password from an
/// address without failures always gets through, even with the service-wide limit hit.
#[tokio::test]
async fn failed_sign_ins_never_lock_the_real_user_out() {
    let app = spawn_app_with(|c| {
        behind_a_proxy(c);
        c.limits.login_failures_per_minute = 20;
        c.limits.login_per_ip_per_minute = 100;
    })
    .await;
    start_of_a_minute(&app);
    // Ten addresses guess three times each: thirty failures, past the service's twenty.
    let mut refused = 0;
    for host in 1..=10 {
        for _ in 0..3 {
            let status = sign_in_from(&app, &format!("198.51.100.{host}"), "wrong guess!!").await;
            assert!(status == 401 || status == 429, "{status}");
            refused += u32::from(status == 429);
        }
    }
    assert!(refused > 0, "the service-wide limit held guessers back");
    assert_eq!(
        sign_in_from(&app, "203.0.113.7", PASSWORD).await,
        200,
        "the admin at a clean address signs in"
    );
    assert_eq!(
        sign_in_from(&app, "198.51.100.1", PASSWORD).await,
        429,
        "a guessing address waits, right password or not"
    );
}

/// An address's delays grow with each failure past the free ones, and end with time.
#[tokio::test]
async fn an_addresss_delay_doubles_with_each_further_failure() {
    let app = spawn_app_with(|c| {
        behind_a_proxy(c);
        c.limits.login_per_ip_per_minute = 100;
    })
    .await;
    let guesser = "198.51.100.50";
    for _ in 0..lifeline_server::throttle::FREE_FAILURES {
        assert_eq!(sign_in_from(&app, guesser, "wrong guess!!").await, 401);
    }
    let mut waits = Vec::new();
    for _ in 0..3 {
        let request = app
            .http
            .post(app.api("/api/v1/auth/login"))
            .json(&serde_json::json!({"email": "tech@acme.test", "password": "wrong guess!!"}));
        let held = from(&app, guesser, request).await;
        assert_eq!(held.status(), 429);
        let wait: u64 = held.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        waits.push(wait);
        app.clock.advance(std::time::Duration::from_secs(wait));
        assert_eq!(sign_in_from(&app, guesser, "wrong guess!!").await, 401);
    }
    assert!(
        waits[0] < waits[1] && waits[1] < waits[2],
        "each failure doubles the wait: {waits:?}"
    );
    app.clock.advance(std::time::Duration::from_secs(25 * 3600));
    assert_eq!(
        sign_in_from(&app, guesser, PASSWORD).await,
        200,
        "a day later the address is clean again"
    );
}

/// The addresses of one IPv6 /64 are one guesser.
#[tokio::test]
async fn ipv6_addresses_of_one_64_share_their_failures() {
    let app = spawn_app_with(behind_a_proxy).await;
    for host in 1..=lifeline_server::throttle::FREE_FAILURES {
        let address = format!("2001:db8:aa:bb::{host}");
        assert_eq!(sign_in_from(&app, &address, "wrong guess!!").await, 401);
    }
    assert_eq!(
        sign_in_from(&app, "2001:db8:aa:bb:ffff::1", "wrong guess!!").await,
        429,
        "a new address in the same /64 is no fresh start"
    );
    assert_eq!(
        sign_in_from(&app, "2001:db8:aa:cc::1", PASSWORD).await,
        200,
        "the next /64 is someone else"
    );
}

/// Guessing support keys from many addresses does not stop real end users from joining.
#[tokio::test]
async fn key_guessing_never_stops_an_end_user_with_a_real_key() {
    let app = spawn_app_with(|c| {
        behind_a_proxy(c);
        c.limits.key_failures_per_minute = 20;
    })
    .await;
    start_of_a_minute(&app);
    let session = app.new_session().await;
    for host in 1..=10 {
        for guess in 0..3 {
            let request = app
                .http
                .get(app.api(&format!("/api/v1/join/00000000{guess}")));
            let status = from(&app, &format!("198.51.100.{host}"), request)
                .await
                .status();
            assert!(status == 404 || status == 429, "{status}");
        }
    }
    let join = |address: &'static str| {
        let request = app
            .http
            .post(app.api("/api/v1/join"))
            .json(&serde_json::json!({"key": session.support_key.as_str(), "name": "Erika"}));
        from(&app, address, request)
    };
    assert_eq!(
        join("198.51.100.3").await.status(),
        429,
        "a guessing address waits"
    );
    assert_eq!(
        join("203.0.113.9").await.status(),
        200,
        "the end user at a clean address joins"
    );
}

#[tokio::test]
async fn sign_in_requests_are_capped_per_address_with_a_retry_after() {
    let app = spawn_app_with(|c| c.limits.login_per_ip_per_minute = 3).await;
    let client = ApiClient::new(&app.url).expect("client");
    for _ in 0..3 {
        let _ = client.login("nobody@acme.test", "wrong password!").await;
    }
    let err = client
        .login("tech@acme.test", PASSWORD)
        .await
        .expect_err("capped");
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
    // DNS rebinding: a page on the attacker's name, rebound to this address, sends its
    // own name as both Origin and Host.
    let port = app.url.rsplit(':').next().expect("a port");
    let rebound = format!("rebound.example:{port}");
    let url = format!("{}/api/v1/realtime", app.url.replace("http://", "ws://"));
    let mut request = url.into_client_request().expect("request");
    let headers = request.headers_mut();
    headers.insert("host", rebound.parse().expect("header"));
    headers.insert(
        "origin",
        format!("http://{rebound}").parse().expect("header"),
    );
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403, "a rebound origin is foreign");
        }
        other => panic!("a rebound origin must be refused: {:?}", other.map(|_| ())),
    }
    let secure_twin = app.url.replace("http://", "https://");
    assert_eq!(
        raw_socket(&app, Some(&secure_twin)).await.err(),
        Some(403),
        "the scheme is part of the origin"
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

/// Every route that takes a body answers one over the JSON limit with a typed 413
/// before reading it, whoever sends it; only the upload appends stream past the limit.
#[tokio::test]
async fn every_route_with_a_body_refuses_an_oversized_one_with_a_typed_413() {
    let app = spawn_app_with(|c| c.limits.max_json_bytes = 4096).await;
    let doc: serde_json::Value = app
        .http
        .get(app.api("/api/v1/openapi.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("openapi json");
    let token = app.technician.access_token().await.expect("token");
    let oversized = format!(r#"{{"name":"{}"}}"#, "a".repeat(64 * 1024));
    let mut checked = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            if operation.get("requestBody").is_none() {
                continue;
            }
            if method == "patch" && path.starts_with("/api/v1/files/") {
                continue;
            }
            let concrete = path
                .split('/')
                .map(|part| {
                    if part.starts_with('{') {
                        uuid::Uuid::new_v4().to_string()
                    } else {
                        part.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes())
                .expect("an HTTP method");
            for bearer in [None, Some(token.expose())] {
                let mut request = app
                    .http
                    .request(method.clone(), app.api(&concrete))
                    .header("content-type", "application/json")
                    .body(oversized.clone());
                if let Some(bearer) = bearer {
                    request = request.bearer_auth(bearer);
                }
                let (status, error) = api_error(request.send().await.expect("sent")).await;
                assert_eq!(
                    (status, error.code),
                    (413, ErrorCode::PayloadTooLarge),
                    "{method} {path} with token {}",
                    bearer.is_some()
                );
            }
            checked.push(format!("{method} {path}"));
        }
    }
    assert!(
        checked
            .iter()
            .any(|route| route == "POST /api/v1/sessions/{id}/files"),
        "the file announcement is among the routes checked: {checked:?}"
    );
    assert!(checked.len() >= 15, "routes checked: {checked:?}");
}

/// A chunked body without a length is cut off at the limit too, on the file announcement.
#[tokio::test]
async fn a_chunked_file_announcement_over_the_limit_is_refused() {
    let app = spawn_app_with(|c| c.limits.max_json_bytes = 4096).await;
    let session = app.technician.create_session(false).await.expect("session");
    let token = app.technician.access_token().await.expect("token");
    let chunks: Vec<Result<String, std::io::Error>> = (0..64)
        .map(|_| Ok(format!(r#"{{"x":"{}"}}"#, "b".repeat(1024))))
        .collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let response = app
        .http
        .post(app.api(&format!("/api/v1/sessions/{}/files", session.id)))
        .bearer_auth(token.expose())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("sent");
    let (status, error) = api_error(response).await;
    assert_eq!((status, error.code), (413, ErrorCode::PayloadTooLarge));
}

/// The framework's own refusals carry the typed body too.
#[tokio::test]
async fn a_wrong_method_is_a_typed_405_with_allow() {
    let app = spawn_app().await;
    for (method, path) in [
        (reqwest::Method::DELETE, "/api/v1/info"),
        (reqwest::Method::PUT, "/api/v1/auth/login"),
        (reqwest::Method::PATCH, "/api/v1/sessions"),
    ] {
        let response = app
            .http
            .request(method.clone(), app.api(path))
            .send()
            .await
            .expect("sent");
        assert!(
            response.headers().contains_key("allow"),
            "{method} {path} names the methods it takes"
        );
        let (status, error) = api_error(response).await;
        assert_eq!(
            (status, error.code),
            (405, ErrorCode::MethodNotAllowed),
            "{method} {path}"
        );
    }
}

/// Sends `message` while reading what comes back until the Close; returns the error
/// frames' codes and the close code. The send runs on its own: the service stops
/// reading an oversized message, so a large one may never finish sending.
async fn oversized_then_close(
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    message: Message,
) -> (Vec<ErrorCode>, Option<u16>) {
    let (mut sink, mut stream) = socket.split();
    let sending = tokio::spawn(async move {
        let _ = sink.send(message).await;
        sink
    });
    let mut errors = Vec::new();
    let read = async {
        while let Some(message) = stream.next().await {
            match message.expect("a clean WebSocket close, not a dropped connection") {
                Message::Text(text) => {
                    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
                    if value["type"] == "error" {
                        let error: ApiError =
                            serde_json::from_value(value["error"].clone()).expect("typed");
                        errors.push(error.code);
                    }
                }
                Message::Close(frame) => return frame.map(|f| u16::from(f.code)),
                _ => {}
            }
        }
        None
    };
    let close = tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("closed in time");
    sending.abort();
    (errors, close)
}

/// A message over the realtime socket's limit ends it with a typed error and Close
/// 1009, before hello and after it.
#[tokio::test]
async fn an_oversized_realtime_message_closes_with_1009_before_and_after_hello() {
    let app = spawn_app().await;
    let oversized = "x".repeat(80 * 1024);

    let early = raw_socket(&app, None).await.expect("connects");
    let (errors, close) =
        oversized_then_close(early, Message::Text(oversized.clone().into())).await;
    assert_eq!(errors, vec![ErrorCode::PayloadTooLarge]);
    assert_eq!(close, Some(1009));

    let token = app.technician.access_token().await.expect("token");
    let mut socket = raw_socket(&app, None).await.expect("connects");
    let hello = serde_json::json!({"type": "hello", "token": token, "cursors": []});
    socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .expect("sent");
    let Some(Ok(Message::Text(welcome))) = socket.next().await else {
        panic!("expected the welcome")
    };
    let welcome: ServerFrame = serde_json::from_str(welcome.as_str()).expect("frame");
    assert!(
        matches!(welcome, ServerFrame::Welcome { .. }),
        "{welcome:?}"
    );
    let (errors, close) = oversized_then_close(socket, Message::Text(oversized.into())).await;
    assert_eq!(errors, vec![ErrorCode::PayloadTooLarge]);
    assert_eq!(close, Some(1009));
}

/// The media socket does the same with a message over twice the chunk limit.
#[tokio::test]
async fn an_oversized_media_message_closes_with_1009_before_and_after_hello() {
    let app = spawn_app().await;
    let (session_id, _end_user) = crate::media::allowed_session(&app).await;
    let url = format!(
        "{}{}",
        app.url.replace("http://", "ws://"),
        lifeline_protocol::MEDIA_PATH
    );
    let oversized = vec![0u8; 2 * lifeline_protocol::MAX_MEDIA_CHUNK_BYTES + 1024];

    let (early, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connects");
    let (errors, close) =
        oversized_then_close(early, Message::Binary(oversized.clone().into())).await;
    assert_eq!(errors, vec![ErrorCode::PayloadTooLarge]);
    assert_eq!(close, Some(1009));

    let token = app.technician.access_token().await.expect("token");
    let (mut viewer, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connects");
    let hello = serde_json::json!({
        "type": "hello", "token": token, "session_id": session_id, "role": "viewer", "codecs": []
    });
    viewer
        .send(Message::Text(hello.to_string().into()))
        .await
        .expect("sent");
    let Some(Ok(Message::Text(welcome))) = viewer.next().await else {
        panic!("expected the welcome")
    };
    assert!(welcome.as_str().contains("welcome"), "{welcome}");
    let (errors, close) = oversized_then_close(viewer, Message::Binary(oversized.into())).await;
    assert_eq!(errors, vec![ErrorCode::PayloadTooLarge]);
    assert_eq!(close, Some(1009));
}
