//! Tokens end, and what they opened ends with them: a technician's realtime connection
//! closes at sign-out, refresh-token reuse, when the account is disabled and when its
//! access token expires unrenewed; an end user's token stops working when the session
//! ends.

use std::time::Duration;

use futures_util::SinkExt;
use lifeline_client::ApiClient;
use lifeline_protocol::{ApiError, ErrorCode, EventData, ServerFrame};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::helpers::{code, spawn_app, TestApp, PASSWORD};

type Socket = crate::helpers::TestSocket;

/// A realtime connection said hello with `token` and was welcomed.
async fn connected(app: &TestApp, token: &str) -> Socket {
    let url = format!("{}/api/v1/realtime", app.url.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connects");
    let hello = serde_json::json!({"type": "hello", "token": token, "cursors": []});
    socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .expect("sent");
    match next_frame(&mut socket).await {
        Ok(ServerFrame::Welcome { .. }) => socket,
        other => panic!("expected the welcome, got {other:?}"),
    }
}

/// The next server frame, or the close code once the socket closes.
async fn next_frame(socket: &mut Socket) -> Result<ServerFrame, Option<u16>> {
    let text = crate::helpers::next_text(socket, 10).await?;
    Ok(serde_json::from_str(&text).expect("a server frame"))
}

/// Reads until the close; returns the last error frame's code and the close code.
async fn closed_with(socket: &mut Socket) -> (Option<ErrorCode>, Option<u16>) {
    let mut last_error = None;
    loop {
        match next_frame(socket).await {
            Ok(ServerFrame::Error { error }) => last_error = Some(error.code),
            Ok(_) => {}
            Err(close) => return (last_error, close),
        }
    }
}

/// The connection stays open: a message from the end user arrives on it.
async fn still_delivers(socket: &mut Socket, end_user: &ApiClient, session_id: Uuid) {
    end_user
        .send_message(session_id, Uuid::new_v4(), "still there?")
        .await
        .expect("sent");
    loop {
        match next_frame(socket).await {
            Ok(ServerFrame::Event { event }) => {
                if matches!(&event.data, EventData::Message { text, .. } if text == "still there?")
                {
                    return;
                }
            }
            Ok(_) => {}
            Err(close) => panic!("the connection closed ({close:?}) but should be open"),
        }
    }
}

async fn signed_in(app: &TestApp, email: &str) -> (ApiClient, lifeline_protocol::TokenPair) {
    let client = ApiClient::new(&app.url).expect("client");
    let pair = client.login(email, PASSWORD).await.expect("signs in");
    (client, pair)
}

#[tokio::test]
async fn signing_out_closes_that_sign_ins_connections_at_once_and_no_other() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    let (laptop, laptop_pair) = signed_in(&app, "tech@acme.test").await;
    let (_desk, desk_pair) = signed_in(&app, "tech@acme.test").await;
    let mut on_laptop = connected(&app, laptop_pair.access_token.expose()).await;
    let mut on_desk = connected(&app, desk_pair.access_token.expose()).await;

    laptop.logout().await.expect("signed out");
    assert_eq!(
        closed_with(&mut on_laptop).await,
        (Some(ErrorCode::Unauthorized), Some(4401))
    );
    still_delivers(&mut on_desk, &end_user, joined.session_id).await;
}

#[tokio::test]
async fn reusing_a_refresh_token_closes_the_connections_of_that_sign_in() {
    let app = spawn_app().await;
    let (client, pair) = signed_in(&app, "tech@acme.test").await;
    let mut socket = connected(&app, pair.access_token.expose()).await;
    client
        .resume(pair.refresh_token.expose())
        .await
        .expect("rotated");
    let replay = app
        .http
        .post(app.api("/api/v1/auth/refresh"))
        .json(&serde_json::json!({"refresh_token": pair.refresh_token}))
        .send()
        .await
        .expect("sent");
    assert_eq!(replay.status(), 401, "the old refresh token is spent");
    assert_eq!(
        closed_with(&mut socket).await,
        (Some(ErrorCode::Unauthorized), Some(4401))
    );
}

#[tokio::test]
async fn disabling_a_technician_closes_their_connections() {
    let app = spawn_app().await;
    let colleague = app.add_technician("colleague@acme.test", false).await;
    let token = colleague.access_token().await.expect("token");
    let mut socket = connected(&app, token.expose()).await;
    let id = colleague.me().await.expect("profile").id;
    app.technician
        .set_technician_disabled(id, true)
        .await
        .expect("disabled");
    assert_eq!(
        closed_with(&mut socket).await,
        (Some(ErrorCode::Forbidden), Some(4403))
    );
}

#[tokio::test]
async fn an_expired_access_token_delivers_nothing_more_unless_renewed_on_the_socket() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    let (client, pair) = signed_in(&app, "tech@acme.test").await;
    let mut renewed = connected(&app, pair.access_token.expose()).await;
    let mut left_alone = connected(&app, pair.access_token.expose()).await;

    // Ten minutes on, a fresh access token renews one connection.
    app.clock.advance(Duration::from_secs(10 * 60));
    let fresh = client
        .resume(pair.refresh_token.expose())
        .await
        .expect("refreshed");
    let renew = serde_json::json!({"type": "renew", "token": fresh.access_token});
    renewed
        .send(Message::Text(renew.to_string().into()))
        .await
        .expect("sent");
    let forged = serde_json::json!({"type": "renew", "token": "lla_forged"});
    renewed
        .send(Message::Text(forged.to_string().into()))
        .await
        .expect("sent");
    loop {
        match next_frame(&mut renewed).await {
            Ok(ServerFrame::Error { error }) => {
                assert_eq!(
                    error.code,
                    ErrorCode::Unauthorized,
                    "a forged renewal is refused"
                );
                break;
            }
            Ok(_) => {}
            Err(close) => panic!("a forged renewal does not close the connection: {close:?}"),
        }
    }

    // Six more minutes: the first access token (15 minutes) is over.
    app.clock.advance(Duration::from_secs(6 * 60));
    end_user
        .send_message(joined.session_id, Uuid::new_v4(), "after expiry")
        .await
        .expect("sent");
    let mut leaked = Vec::new();
    let closed = loop {
        match next_frame(&mut left_alone).await {
            Ok(ServerFrame::Event { event }) if event.seq > 1 => leaked.push(event),
            Ok(ServerFrame::Error { error }) => assert_eq!(error.code, ErrorCode::Unauthorized),
            Ok(_) => {}
            Err(close) => break close,
        }
    };
    assert!(leaked.is_empty(), "nothing after expiry: {leaked:?}");
    assert_eq!(closed, Some(4401));
    loop {
        match next_frame(&mut renewed).await {
            Ok(ServerFrame::Event { event }) if matches!(&event.data, EventData::Message { text, .. } if text == "after expiry") => {
                break
            }
            Ok(_) => {}
            Err(close) => panic!("the renewed connection closed: {close:?}"),
        }
    }
}

#[tokio::test]
async fn an_end_users_token_ends_with_the_session() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    let token = joined.end_user_token.clone();
    let work = tempfile::tempdir().expect("dir");
    let path = work.path().join("notes.txt");
    std::fs::write(&path, b"for the end user").expect("write");
    let file = app
        .technician
        .upload_file(session.id, &path, |_| {})
        .await
        .expect("uploaded");
    let mut socket = connected(&app, &token).await;

    app.technician.end_session(session.id).await.expect("ended");
    let mut saw_end = false;
    let close = loop {
        match next_frame(&mut socket).await {
            Ok(ServerFrame::Event { event }) => {
                saw_end |= matches!(event.data, EventData::SessionEnded { .. });
            }
            Ok(_) => {}
            Err(close) => break close,
        }
    };
    assert!(saw_end, "the page hears that the session ended");
    assert_eq!(close, Some(4410), "then its connection closes");

    let err = end_user
        .end_user_session()
        .await
        .expect_err("the token ended");
    assert_eq!(code(err), ErrorCode::SessionEnded);
    let err = end_user
        .download_link(file.id)
        .await
        .expect_err("no more downloads");
    assert_eq!(code(err), ErrorCode::SessionEnded);
    let events = app
        .http
        .get(app.api(&format!("/api/v1/sessions/{}/events", session.id)))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(events.status(), 410);
    let error: ApiError = events.json().await.expect("typed");
    assert_eq!(error.code, ErrorCode::SessionEnded);

    let url = format!("{}/api/v1/realtime", app.url.replace("http://", "ws://"));
    let (mut again, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connects");
    let hello = serde_json::json!({"type": "hello", "token": token, "cursors": []});
    again
        .send(Message::Text(hello.to_string().into()))
        .await
        .expect("sent");
    let (error, _) = closed_with(&mut again).await;
    assert_eq!(
        error,
        Some(ErrorCode::SessionEnded),
        "a new hello is refused"
    );
}

/// The desktop app's client sends each fresh access token over its connection, so the
/// connection outlives the token it was opened with without a reconnect.
#[tokio::test]
async fn the_client_renews_its_connection_when_its_token_is_refreshed() {
    use lifeline_client::RealtimeEvent;
    let app = spawn_app().await;
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    let (client, pair) = signed_in(&app, "tech@acme.test").await;
    let mut rt = crate::helpers::realtime(&client);
    crate::helpers::wait_for(&mut rt, "the welcome", |e| {
        matches!(e, RealtimeEvent::Connected { .. })
    })
    .await;
    app.clock.advance(Duration::from_secs(10 * 60));
    client
        .resume(pair.refresh_token.expose())
        .await
        .expect("refreshed");
    // Let the renewal reach the service before the first token runs out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.clock.advance(Duration::from_secs(6 * 60));
    end_user
        .send_message(joined.session_id, Uuid::new_v4(), "after the first token")
        .await
        .expect("sent");
    let event = crate::helpers::wait_for(&mut rt, "the message or a disconnect", |e| {
        matches!(e, RealtimeEvent::Disconnected { .. })
            || matches!(e, RealtimeEvent::Event(ev) if matches!(&ev.data, EventData::Message { text, .. } if text == "after the first token"))
    })
    .await;
    assert!(
        matches!(event, RealtimeEvent::Event(_)),
        "delivered on the same connection: {event:?}"
    );
}
