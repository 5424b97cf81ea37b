use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Form, Json, Router};
use lifeline_e2e::smtp::SmtpServer;
use lifeline_protocol::{ErrorCode, InviteChannel};
use lifeline_server::config::{SmsConfig, SmtpConfig, SmtpTls};

use crate::helpers::{code, spawn_app, spawn_app_with};

#[tokio::test]
async fn an_sms_invite_lands_in_the_outbox_and_names_the_number() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let sent = app
        .technician
        .send_sms_invite(session.id, "+49 151 1234 5678", Some("de"))
        .await
        .expect("sent");
    assert_eq!(
        sent.to, "+4915112345678",
        "the confirmation names the normalized number"
    );
    assert_eq!(sent.channel, InviteChannel::Sms);
    let outbox = app
        .technician
        .outbox()
        .await
        .expect("admin reads the outbox");
    let message = outbox.first().expect("one message");
    assert_eq!(message.to, "+4915112345678");
    assert!(
        message.body.contains(&session.join_url),
        "the SMS carries the link: {}",
        message.body
    );
    assert!(
        message.body.contains("Support-Schlüssel"),
        "German on request: {}",
        message.body
    );
}

#[tokio::test]
async fn invalid_numbers_are_refused_and_sms_is_rate_limited() {
    let app = spawn_app_with(|c| c.limits.sms_per_technician_per_hour = 2).await;
    let session = app.new_session().await;
    let err = app
        .technician
        .send_sms_invite(session.id, "0151 1234", None)
        .await
        .expect_err("not E.164");
    assert_eq!(code(err), ErrorCode::InvalidInput);
    for _ in 0..2 {
        app.technician
            .send_sms_invite(session.id, "+4915112345678", None)
            .await
            .expect("within the limit");
    }
    let err = app
        .technician
        .send_sms_invite(session.id, "+4915112345678", None)
        .await
        .expect_err("limited");
    assert_eq!(code(err), ErrorCode::RateLimited);
}

#[derive(Clone, Default)]
struct FakeTwilio {
    received: Arc<Mutex<Vec<(String, String, String)>>>,
}

/// Speaks Twilio's Messages API: form fields To/From/Body, basic auth, JSON answers.
async fn twilio_messages(
    State(fake): State<FakeTwilio>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> (StatusCode, Json<serde_json::Value>) {
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("AC123:token456")
    );
    if account != "AC123"
        || headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str())
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"code": 20003, "message": "Authenticate", "status": 401})),
        );
    }
    let to = form.get("To").cloned().unwrap_or_default();
    if to == "+15005550001" {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                serde_json::json!({"code": 21211, "message": "The 'To' number +15005550001 is not a valid phone number.", "status": 400}),
            ),
        );
    }
    let from = form.get("From").cloned().unwrap_or_default();
    let body = form.get("Body").cloned().unwrap_or_default();
    fake.received
        .lock()
        .expect("lock")
        .push((to.clone(), from.clone(), body.clone()));
    (
        StatusCode::CREATED,
        Json(
            serde_json::json!({"sid": "SM0001", "status": "queued", "to": to, "from": from, "body": body}),
        ),
    )
}

#[tokio::test]
async fn the_twilio_driver_posts_the_message_and_reports_provider_errors() {
    let fake = FakeTwilio::default();
    let router = Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            post(twilio_messages),
        )
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });

    let app = spawn_app_with(|c| {
        c.sms = SmsConfig::Twilio {
            base_url: base.parse().expect("url"),
            account_sid: "AC123".into(),
            auth_token: "token456".into(),
            from: "+15550001111".into(),
        }
    })
    .await;
    let session = app.new_session().await;
    app.technician
        .send_sms_invite(session.id, "+14155550123", None)
        .await
        .expect("sent through the provider");
    let received = fake.received.lock().expect("lock").clone();
    assert_eq!(received.len(), 1);
    let (to, from, body) = &received[0];
    assert_eq!(
        (to.as_str(), from.as_str()),
        ("+14155550123", "+15550001111")
    );
    assert!(body.contains(&session.join_url), "{body}");

    let err = app
        .technician
        .send_sms_invite(session.id, "+15005550001", None)
        .await
        .expect_err("provider refuses");
    match err {
        lifeline_client::ClientError::Api { status, error } => {
            assert_eq!(status, 502);
            assert_eq!(error.code, ErrorCode::DeliveryFailed);
            assert!(
                error.message.contains("not a valid phone number"),
                "the provider's reason reaches the technician: {}",
                error.message
            );
        }
        other => panic!("expected a delivery error, got {other}"),
    }
}

#[tokio::test]
async fn an_email_invite_goes_out_through_a_real_smtp_server() {
    let mut smtp = SmtpServer::start().await.expect("SMTP server");
    let port = smtp.port;
    let app = spawn_app_with(|c| {
        c.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "Lifeline <support@acme.test>".into(),
        })
    })
    .await;
    assert!(app.technician.info().await.expect("info").email_enabled);
    let session = app.new_session().await;
    let sent = app
        .technician
        .send_email_invite(session.id, "erika@example.test", None)
        .await
        .expect("sent");
    assert_eq!(sent.to, "erika@example.test");
    let mail = smtp
        .received_text(&session.support_key_display)
        .await
        .expect("the invite arrives");
    assert!(
        mail.contains("Subject: Your support session with Tina Tech"),
        "{mail}"
    );
    assert!(mail.contains(&session.join_url), "{mail}");

    let err = app
        .technician
        .send_email_invite(session.id, "not-an-address", None)
        .await
        .expect_err("bad address");
    assert_eq!(code(err), ErrorCode::InvalidInput);
}

#[tokio::test]
async fn without_smtp_email_invites_are_kept_in_the_outbox() {
    let app = spawn_app().await;
    assert!(!app.technician.info().await.expect("info").email_enabled);
    let session = app.new_session().await;
    app.technician
        .send_email_invite(session.id, "erika@example.test", Some("de"))
        .await
        .expect("kept");
    let outbox = app.technician.outbox().await.expect("outbox");
    assert_eq!(outbox[0].channel, InviteChannel::Email);
    assert!(
        outbox[0].body.contains("Fernsupportsitzung"),
        "{}",
        outbox[0].body
    );
}
