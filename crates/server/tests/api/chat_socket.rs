//! Chat messages sent as `send` frames on the realtime socket instead of a request each.

use lifeline_client::{RealtimeClient, RealtimeEvent};
use lifeline_protocol::{
    ApiError, ErrorCode, EventData, JoinResponse, Party, SessionEvent, SessionSummary,
    MAX_MESSAGE_CHARS,
};
use uuid::Uuid;

use crate::helpers::{realtime, spawn_app, wait_for, wait_for_event, TestApp};

async fn connected(rt: &mut RealtimeClient) {
    wait_for(rt, "connected", |e| {
        matches!(e, RealtimeEvent::Connected { .. })
    })
    .await;
}

/// A session the end user has joined, with both sides connected.
struct Chat {
    session: SessionSummary,
    joined: JoinResponse,
    technician_rt: RealtimeClient,
    end_user_rt: RealtimeClient,
}

async fn chat(app: &TestApp) -> Chat {
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    let mut technician_rt = realtime(&app.technician);
    let mut end_user_rt = realtime(&end_user);
    connected(&mut technician_rt).await;
    connected(&mut end_user_rt).await;
    Chat {
        session,
        joined,
        technician_rt,
        end_user_rt,
    }
}

/// The next `count` chat messages the connection gets, in the order it gets them.
async fn messages(rt: &mut RealtimeClient, count: usize) -> Vec<SessionEvent> {
    let mut got = Vec::with_capacity(count);
    while got.len() < count {
        got.push(
            wait_for_event(rt, "a message", |e| {
                matches!(e.data, EventData::Message { .. })
            })
            .await,
        );
    }
    got
}

fn text_of(event: &SessionEvent) -> &str {
    match &event.data {
        EventData::Message { text, .. } => text,
        _ => "",
    }
}

async fn refusal(rt: &mut RealtimeClient, client_id: Uuid) -> ApiError {
    match wait_for(
        rt,
        "the refusal",
        |e| matches!(e, RealtimeEvent::SendFailed { client_id: id, .. } if *id == client_id),
    )
    .await
    {
        RealtimeEvent::SendFailed { error, .. } => error,
        _ => unreachable!("filtered to refusals"),
    }
}

#[tokio::test]
async fn messages_sent_on_the_socket_are_stored_in_order_and_reach_both_sides() {
    let app = spawn_app().await;
    let Chat {
        session,
        joined,
        mut technician_rt,
        mut end_user_rt,
    } = chat(&app).await;

    // Sent at once, without waiting for each: order must hold all the same.
    let client_ids: Vec<Uuid> = (0..40).map(|_| Uuid::new_v4()).collect();
    for (i, client_id) in client_ids.iter().enumerate() {
        technician_rt.send_message(session.id, *client_id, &format!("line {i}"));
    }
    let received = messages(&mut end_user_rt, client_ids.len()).await;
    let texts: Vec<&str> = received.iter().map(text_of).collect();
    let expected: Vec<String> = (0..client_ids.len()).map(|i| format!("line {i}")).collect();
    assert_eq!(
        texts, expected,
        "the end user gets every line once, in order"
    );
    assert!(received.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    // The sender hears each of its own messages back as stored: that is its answer.
    let echoed = messages(&mut technician_rt, client_ids.len()).await;
    let echoed_ids: Vec<Uuid> = echoed
        .iter()
        .filter_map(|e| match e.data {
            EventData::Message {
                client_id,
                from: Party::Technician,
                ..
            } => Some(client_id),
            _ => None,
        })
        .collect();
    assert_eq!(echoed_ids, client_ids);
    let stored = app.technician.events(session.id, 0).await.expect("events");
    let stored_texts: Vec<&str> = stored
        .iter()
        .filter(|e| matches!(e.data, EventData::Message { .. }))
        .map(text_of)
        .collect();
    assert_eq!(
        stored_texts, expected,
        "stored once each, in the order sent"
    );

    // The end user sends on theirs too.
    let reply_id = Uuid::new_v4();
    end_user_rt.send_message(joined.session_id, reply_id, "Danke!");
    let reply = wait_for_event(
        &mut technician_rt,
        "the reply",
        |e| matches!(e.data, EventData::Message { client_id, .. } if client_id == reply_id),
    )
    .await;
    assert!(matches!(
        &reply.data,
        EventData::Message { from: Party::EndUser, text, .. } if text == "Danke!"
    ));
}

#[tokio::test]
async fn a_message_sent_again_on_the_socket_or_by_request_is_stored_once() {
    let app = spawn_app().await;
    let Chat {
        session,
        technician_rt,
        mut end_user_rt,
        ..
    } = chat(&app).await;

    let client_id = Uuid::new_v4();
    technician_rt.send_message(session.id, client_id, "only once");
    technician_rt.send_message(session.id, client_id, "only once");
    let first = messages(&mut end_user_rt, 1).await.remove(0);
    let by_request = app
        .technician
        .send_message(session.id, client_id, "only once")
        .await
        .expect("the resend returns the stored one");
    assert_eq!(by_request.seq, first.seq);
    // A marker after the resends: if a copy had been stored, it would come first.
    technician_rt.send_message(session.id, Uuid::new_v4(), "marker");
    let next = messages(&mut end_user_rt, 1).await.remove(0);
    assert_eq!(text_of(&next), "marker", "no copy was delivered");
    let copies = app
        .technician
        .events(session.id, 0)
        .await
        .expect("events")
        .iter()
        .filter(|e| text_of(e) == "only once")
        .count();
    assert_eq!(copies, 1);
}

#[tokio::test]
async fn refused_sends_on_the_socket_say_why_and_store_nothing() {
    let app = spawn_app().await;
    let Chat {
        session,
        mut technician_rt,
        mut end_user_rt,
        ..
    } = chat(&app).await;

    let empty = Uuid::new_v4();
    technician_rt.send_message(session.id, empty, "  \n ");
    assert_eq!(
        refusal(&mut technician_rt, empty).await.code,
        ErrorCode::InvalidInput
    );

    let long = Uuid::new_v4();
    technician_rt.send_message(session.id, long, &"x".repeat(MAX_MESSAGE_CHARS + 1));
    let error = refusal(&mut technician_rt, long).await;
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert!(
        error.message.contains(&MAX_MESSAGE_CHARS.to_string()),
        "{error:?}"
    );

    // Another technician's session, and one that does not exist, look the same.
    let other = app.add_technician("other@example.com", false).await;
    let other_session = other.create_session(false).await.expect("session");
    for session_id in [other_session.id, Uuid::new_v4()] {
        let probe = Uuid::new_v4();
        technician_rt.send_message(session_id, probe, "hello?");
        assert_eq!(
            refusal(&mut technician_rt, probe).await.code,
            ErrorCode::NotFound
        );
    }
    // The end user can only write into their own session.
    let stray = Uuid::new_v4();
    end_user_rt.send_message(other_session.id, stray, "hello?");
    assert_eq!(
        refusal(&mut end_user_rt, stray).await.code,
        ErrorCode::NotFound
    );

    app.technician.end_session(session.id).await.expect("ended");
    let late = Uuid::new_v4();
    technician_rt.send_message(session.id, late, "too late");
    assert_eq!(
        refusal(&mut technician_rt, late).await.code,
        ErrorCode::SessionEnded
    );

    let stored = app.technician.events(session.id, 0).await.expect("events");
    assert!(
        !stored
            .iter()
            .any(|e| matches!(e.data, EventData::Message { .. })),
        "nothing refused was stored: {stored:?}"
    );
    let theirs = other.events(other_session.id, 0).await.expect("events");
    assert!(!theirs
        .iter()
        .any(|e| matches!(e.data, EventData::Message { .. })));
}
