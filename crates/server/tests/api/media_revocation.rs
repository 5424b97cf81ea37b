//! A technician's screen viewer ends with the sign-in it was opened with: at sign-out, when
//! the account is disabled (through the API, or by the command line beside the running
//! service, which the connections notice at their next ping), and when its access token
//! expires without a renewal over the socket.

use std::time::Duration;

use futures_util::SinkExt;
use lifeline_client::ApiClient;
use lifeline_protocol::{ErrorCode, MediaServerFrame};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{spawn_app, TestApp, PASSWORD};

type Socket = crate::helpers::TestSocket;

/// A viewer's media socket, welcomed, for a session the technician owns.
async fn viewing(app: &TestApp, technician: &ApiClient) -> Socket {
    let session = technician.create_session(false).await.expect("session");
    let token = technician.access_token().await.expect("token");
    let url = format!("{}/api/v1/media", app.url.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connects");
    let hello = serde_json::json!({"type": "hello", "token": token.expose(),
        "session_id": session.id, "role": "viewer", "codecs": []});
    socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .expect("sent");
    match next_frame(&mut socket, 10).await {
        Ok(MediaServerFrame::Welcome { .. }) => socket,
        other => panic!("expected the welcome, got {other:?}"),
    }
}

/// The next text frame, or the close code once the socket closes.
async fn next_frame(
    socket: &mut Socket,
    within_secs: u64,
) -> Result<MediaServerFrame, Option<u16>> {
    let text = crate::helpers::next_text(socket, within_secs).await?;
    Ok(serde_json::from_str(&text).expect("a media frame"))
}

async fn closed_with(socket: &mut Socket, within_secs: u64) -> (Option<ErrorCode>, Option<u16>) {
    let mut last_error = None;
    loop {
        match next_frame(socket, within_secs).await {
            Ok(MediaServerFrame::Error { error }) => last_error = Some(error.code),
            Ok(_) => {}
            Err(close) => return (last_error, close),
        }
    }
}

async fn send(socket: &mut Socket, frame: serde_json::Value) {
    socket
        .send(Message::Text(frame.to_string().into()))
        .await
        .expect("sent");
}

/// Open: a frame a viewer may not send is answered with an error, not a close.
async fn still_open(socket: &mut Socket) {
    send(
        socket,
        serde_json::json!({"type": "blocked", "block": null}),
    )
    .await;
    match next_frame(socket, 10).await {
        Ok(MediaServerFrame::Error { error }) => assert_eq!(error.code, ErrorCode::InvalidInput),
        other => panic!("the viewer should be open: {other:?}"),
    }
}

async fn signed_in(app: &TestApp) -> (ApiClient, lifeline_protocol::TokenPair) {
    let client = ApiClient::new(&app.url).expect("client");
    let pair = client
        .login("tech@acme.test", PASSWORD)
        .await
        .expect("signs in");
    (client, pair)
}

#[tokio::test]
async fn signing_out_or_being_disabled_closes_the_viewer() {
    let app = spawn_app().await;
    let (laptop, _) = signed_in(&app).await;
    let mut watching = viewing(&app, &laptop).await;
    laptop.logout().await.expect("signed out");
    assert_eq!(
        closed_with(&mut watching, 10).await,
        (Some(ErrorCode::Unauthorized), Some(4401))
    );

    let colleague = app.add_technician("colleague@acme.test", false).await;
    let mut watching = viewing(&app, &colleague).await;
    let id = colleague.me().await.expect("profile").id;
    app.technician
        .set_technician_disabled(id, true)
        .await
        .expect("disabled");
    assert_eq!(
        closed_with(&mut watching, 10).await,
        (Some(ErrorCode::Forbidden), Some(4403))
    );
}

#[tokio::test]
async fn an_expired_viewer_closes_unless_renewed_over_the_socket() {
    let app = spawn_app().await;
    let (client, pair) = signed_in(&app).await;
    let mut renewed = viewing(&app, &client).await;
    let mut left_alone = viewing(&app, &client).await;

    app.clock.advance(Duration::from_secs(10 * 60));
    let fresh = client
        .resume(pair.refresh_token.expose())
        .await
        .expect("refreshed");
    send(
        &mut renewed,
        serde_json::json!({"type": "renew", "token": fresh.access_token}),
    )
    .await;
    send(
        &mut renewed,
        serde_json::json!({"type": "renew", "token": "lla_forged"}),
    )
    .await;
    match next_frame(&mut renewed, 10).await {
        Ok(MediaServerFrame::Error { error }) => {
            assert_eq!(
                error.code,
                ErrorCode::Unauthorized,
                "a forged renewal is refused"
            );
        }
        other => panic!("a forged renewal is answered, not closed: {other:?}"),
    }

    // Six more minutes: the first token (15 minutes) is over. Any frame wakes the socket.
    app.clock.advance(Duration::from_secs(6 * 60));
    send(
        &mut left_alone,
        serde_json::json!({"type": "ack", "seq": 0}),
    )
    .await;
    assert_eq!(
        closed_with(&mut left_alone, 10).await,
        (Some(ErrorCode::Unauthorized), Some(4401))
    );
    still_open(&mut renewed).await;
}

/// `lifeline-server technician disable` writes to the database beside the running
/// service, which hears nothing: its connections notice at their next ping (25 s).
#[tokio::test]
async fn a_disable_made_beside_the_service_closes_the_connections_at_the_next_ping() {
    let app = spawn_app().await;
    let colleague = app.add_technician("colleague@acme.test", false).await;
    let mut watching = viewing(&app, &colleague).await;
    let token = colleague.access_token().await.expect("token");
    let url = format!("{}/api/v1/realtime", app.url.replace("http://", "ws://"));
    let (mut realtime, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connects");
    let hello = serde_json::json!({"type": "hello", "token": token.expose(), "cursors": []});
    send(&mut realtime, hello).await;

    let database = app.database.inspect().await.expect("database");
    sqlx::query("UPDATE technicians SET disabled = TRUE WHERE email = $1")
        .bind("colleague@acme.test")
        .execute(&database)
        .await
        .expect("disabled beside the service");

    // Both read at once, as clients do: an unread socket would lose its close frame to
    // the reset that follows it.
    let realtime_closed = async {
        loop {
            if let Err(close) = crate::helpers::next_text(&mut realtime, 40).await {
                break close;
            }
        }
    };
    let (viewer, close) = tokio::join!(closed_with(&mut watching, 40), realtime_closed);
    assert_eq!(viewer, (Some(ErrorCode::Forbidden), Some(4403)));
    assert_eq!(close, Some(4403));
}
