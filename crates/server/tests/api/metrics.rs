//! `/metrics` in the Prometheus text format: closed without a token, open with it, and
//! on a separate listener; its figures follow what happened. `/readyz` and `/healthz`.

use lifeline_server::config::MetricsSettings;
use uuid::Uuid;

use crate::helpers::{realtime, spawn_app, spawn_app_with, wait_for_event};

/// The value of the sample whose line starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_need_the_token_and_count_what_happened() {
    let app = spawn_app_with(|config| {
        config.metrics = MetricsSettings {
            token: Some("scrape-secret-123".to_owned().into()),
            listen: Some("127.0.0.1:0".parse().expect("address")),
        };
    })
    .await;
    let metrics_url = app.api("/metrics");
    let refused = app.http.get(&metrics_url).send().await.expect("answer");
    assert_eq!(refused.status(), 401, "no token, no metrics");
    let wrong = app
        .http
        .get(&metrics_url)
        .bearer_auth("scrape-secret-12")
        .send()
        .await
        .expect("answer");
    assert_eq!(wrong.status(), 401, "a wrong token is refused");

    let session = app.new_session().await;
    let mut technician_rt = realtime(&app.technician);
    let (end_user, _) = app.end_user(&session).await;
    let _end_user_rt = realtime(&end_user);
    app.technician
        .send_message(session.id, Uuid::new_v4(), "Hello")
        .await
        .expect("sent");
    end_user
        .send_message(session.id, Uuid::new_v4(), "Hi")
        .await
        .expect("sent");
    wait_for_event(
        &mut technician_rt,
        "the reply",
        |e| matches!(&e.data, lifeline_protocol::EventData::Message { text, .. } if text == "Hi"),
    )
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, vec![b'x'; 12_345]).expect("write");
    app.technician
        .upload_file(session.id, &path, |_| {})
        .await
        .expect("uploaded");

    let text = app
        .http
        .get(&metrics_url)
        .bearer_auth("scrape-secret-123")
        .send()
        .await
        .expect("answer")
        .text()
        .await
        .expect("text");
    assert_eq!(
        sample(&text, "lifeline_events_stored_total{kind=\"message\"}"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "lifeline_relayed_bytes_total{kind=\"file_upload\"}"),
        Some(12_345.0)
    );
    assert_eq!(
        sample(&text, "lifeline_open_sockets{party=\"technician\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "lifeline_open_sockets{party=\"end_user\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "lifeline_live_sessions{kind=\"instant\"}"),
        Some(1.0)
    );
    assert_eq!(sample(&text, "lifeline_uploads_in_progress"), Some(0.0));
    assert!(
        text.contains(
            "lifeline_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/sessions/{id}/messages\",status=\"2xx\"}"
        ),
        "latency by route pattern, never by id: {text}"
    );
    assert!(
        !text.contains(&session.id.to_string()),
        "no id in any label"
    );

    // The separate listener asks for nothing.
    let separate = app.running().metrics_addr.expect("a metrics listener");
    let open = app
        .http
        .get(format!("http://{separate}/metrics"))
        .send()
        .await
        .expect("answer");
    assert_eq!(open.status(), 200);
    let open_text = open.text().await.expect("text");
    assert!(open_text.contains("lifeline_open_sockets"), "{open_text}");
}

#[tokio::test]
async fn without_a_token_metrics_are_not_served_and_readiness_checks_the_database() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.api("/metrics"))
        .bearer_auth("anything")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 404, "closed unless configured");
    for path in ["/healthz", "/readyz"] {
        let response = app.http.get(app.api(path)).send().await.expect("answer");
        assert_eq!(response.status(), 200, "{path}");
    }
    app.state().store.close().await;
    let ready = app
        .http
        .get(app.api("/readyz"))
        .send()
        .await
        .expect("answer");
    assert_eq!(ready.status(), 503, "the database is gone");
    let live = app
        .http
        .get(app.api("/healthz"))
        .send()
        .await
        .expect("answer");
    assert_eq!(live.status(), 200, "the process still lives");
}
