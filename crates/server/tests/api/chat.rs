use std::collections::HashSet;

use lifeline_client::{RealtimeClient, RealtimeEvent, RealtimeOptions};
use lifeline_protocol::{Cursor, ErrorCode, EventData, Party, MAX_MESSAGE_CHARS};
use uuid::Uuid;

use crate::helpers::{code, realtime, spawn_app, wait_for, wait_for_event};

#[tokio::test]
async fn both_sides_chat_and_see_delivered_and_read_marks() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let mut technician_rt = realtime(&app.technician);
    let (end_user, joined) = app.end_user(&session).await;
    let mut end_user_rt = realtime(&end_user);

    let sent = app
        .technician
        .send_message(session.id, Uuid::new_v4(), "Hi Erika")
        .await
        .expect("sent");
    let got = wait_for_event(&mut end_user_rt, "the technician's message", |e| {
        matches!(e.data, EventData::Message { .. })
    })
    .await;
    assert_eq!(got, sent, "the end user gets exactly the stored event");

    // The end user's client acknowledged delivery by itself; the technician sees it.
    let delivered = wait_for_event(&mut technician_rt, "delivered", |e| {
        matches!(e.data, EventData::Delivered { .. })
    })
    .await;
    assert!(
        matches!(delivered.data, EventData::Delivered { by: Party::EndUser, up_to_seq } if up_to_seq == sent.seq)
    );
    end_user_rt.read(joined.session_id, sent.seq);
    let read = wait_for_event(&mut technician_rt, "read", |e| {
        matches!(e.data, EventData::Read { .. })
    })
    .await;
    assert!(
        matches!(read.data, EventData::Read { by: Party::EndUser, up_to_seq } if up_to_seq == sent.seq)
    );

    end_user
        .send_message(joined.session_id, Uuid::new_v4(), "Hello!")
        .await
        .expect("sent");
    let reply = wait_for_event(&mut technician_rt, "the reply", |e| {
        matches!(
            &e.data,
            EventData::Message {
                from: Party::EndUser,
                ..
            }
        )
    })
    .await;
    assert!(matches!(&reply.data, EventData::Message { text, .. } if text == "Hello!"));
}

#[tokio::test]
async fn typing_reaches_the_other_side_only() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let mut technician_rt = realtime(&app.technician);
    let (end_user, _) = app.end_user(&session).await;
    let mut end_user_rt = realtime(&end_user);
    wait_for(&mut end_user_rt, "connected", |e| {
        matches!(e, RealtimeEvent::Connected { .. })
    })
    .await;
    wait_for(&mut technician_rt, "connected", |e| {
        matches!(e, RealtimeEvent::Connected { .. })
    })
    .await;
    end_user_rt.typing(session.id, true);
    let typing = wait_for(&mut technician_rt, "typing", |e| {
        matches!(e, RealtimeEvent::Typing { .. })
    })
    .await;
    assert_eq!(
        typing,
        RealtimeEvent::Typing {
            session_id: session.id,
            from: Party::EndUser,
            typing: true
        }
    );
}

#[tokio::test]
async fn a_resent_message_is_stored_once() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    app.end_user(&session).await;
    let client_id = Uuid::new_v4();
    let first = app
        .technician
        .send_message(session.id, client_id, "only once")
        .await
        .expect("sent");
    let second = app
        .technician
        .send_message(session.id, client_id, "only once")
        .await
        .expect("resend accepted");
    assert_eq!(first.seq, second.seq, "the resend returns the original");
    let events = app.technician.events(session.id, 0).await.expect("events");
    let copies = events
        .iter()
        .filter(|e| matches!(&e.data, EventData::Message { text, .. } if text == "only once"))
        .count();
    assert_eq!(copies, 1, "stored once: {events:?}");
}

#[tokio::test]
async fn bad_messages_get_clear_errors() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let err = app
        .technician
        .send_message(session.id, Uuid::new_v4(), "   ")
        .await
        .expect_err("empty");
    assert_eq!(code(err), ErrorCode::InvalidInput);
    let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
    let err = app
        .technician
        .send_message(session.id, Uuid::new_v4(), &long)
        .await
        .expect_err("too long");
    assert_eq!(code(err), ErrorCode::InvalidInput);
    assert!(err_message_names_limit(&app, session.id, &long).await);
}

async fn err_message_names_limit(app: &crate::helpers::TestApp, session: Uuid, text: &str) -> bool {
    match app
        .technician
        .send_message(session, Uuid::new_v4(), text)
        .await
    {
        Err(lifeline_client::ClientError::Api { error, .. }) => {
            error.message.contains(&MAX_MESSAGE_CHARS.to_string())
        }
        _ => false,
    }
}

#[tokio::test]
async fn a_reconnecting_client_gets_exactly_what_it_missed() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    let mut end_user_rt = realtime(&end_user);
    for i in 0..3 {
        app.technician
            .send_message(session.id, Uuid::new_v4(), &format!("before {i}"))
            .await
            .expect("sent");
    }
    wait_for_event(
        &mut end_user_rt,
        "the third message",
        |e| matches!(&e.data, EventData::Message { text, .. } if text == "before 2"),
    )
    .await;
    let cursor = end_user_rt.cursor(joined.session_id);
    end_user_rt.close();

    for i in 0..3 {
        app.technician
            .send_message(session.id, Uuid::new_v4(), &format!("missed {i}"))
            .await
            .expect("sent");
    }
    let options = RealtimeOptions {
        cursors: vec![Cursor {
            session_id: joined.session_id,
            seq: cursor,
        }],
        ..RealtimeOptions::default()
    };
    let mut resumed = RealtimeClient::connect(end_user.clone(), options);
    let mut texts = Vec::new();
    while texts.len() < 3 {
        if let RealtimeEvent::Event(event) = wait_for(&mut resumed, "missed messages", |e| {
            matches!(e, RealtimeEvent::Event(_))
        })
        .await
        {
            assert!(
                event.seq > cursor,
                "nothing before the cursor is sent again: {event:?}"
            );
            if let EventData::Message { text, .. } = event.data {
                texts.push(text);
            }
        }
    }
    assert_eq!(texts, ["missed 0", "missed 1", "missed 2"]);
}

#[tokio::test]
async fn acknowledged_messages_survive_a_service_restart_without_duplicates() {
    let mut app = spawn_app().await;
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    let mut end_user_rt = realtime(&end_user);
    let mut technician_rt = realtime(&app.technician);
    let mut expected = Vec::new();
    for i in 0..5 {
        let text = format!("message {i}");
        app.technician
            .send_message(session.id, Uuid::new_v4(), &text)
            .await
            .expect("acknowledged");
        expected.push(text);
        if i == 2 {
            app.restart().await;
        }
    }
    end_user
        .send_message(joined.session_id, Uuid::new_v4(), "after restart")
        .await
        .expect("sent");

    let mut seen_seqs = HashSet::new();
    let mut texts = Vec::new();
    while texts.len() < expected.len() {
        let RealtimeEvent::Event(event) = wait_for(&mut end_user_rt, "all messages", |e| {
            matches!(e, RealtimeEvent::Event(_))
        })
        .await
        else {
            continue;
        };
        assert!(
            seen_seqs.insert(event.seq),
            "seq {} delivered twice",
            event.seq
        );
        if let EventData::Message {
            from: Party::Technician,
            text,
            ..
        } = event.data
        {
            texts.push(text);
        }
    }
    assert_eq!(texts, expected, "nothing lost, in order");
    let reply = wait_for_event(&mut technician_rt, "the end user's reply", |e| {
        matches!(
            &e.data,
            EventData::Message {
                from: Party::EndUser,
                ..
            }
        )
    })
    .await;
    assert!(matches!(&reply.data, EventData::Message { text, .. } if text == "after restart"));
}
