use std::time::Duration;

use lifeline_client::ApiClient;
use lifeline_protocol::{ConsentKind, ErrorCode, EventData, Party, SessionStatus};

use crate::helpers::{code, realtime, spawn_app, wait_for_event};

#[tokio::test]
async fn a_new_key_has_nine_digits_a_join_link_and_sixty_minutes() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let key = session.support_key.as_str();
    assert_eq!(key.len(), 9, "nine digits: {key}");
    assert_eq!(
        session.support_key_display,
        format!("{} {} {}", &key[..3], &key[3..6], &key[6..])
    );
    assert_eq!(session.join_url, format!("{}/join/{key}", app.url));
    assert_eq!(
        session.key_expires_at - session.created_at,
        60 * 60 * 1000,
        "valid for 60 minutes"
    );
    assert!(!session.request_control_on_arrival, "off by default");
    assert_eq!(session.status, SessionStatus::Waiting);
}

#[tokio::test]
async fn the_first_end_user_consumes_the_key_and_a_second_is_refused() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let info = ApiClient::new(&app.url)
        .expect("client")
        .key_info(session.support_key.as_str())
        .await
        .expect("key is good");
    assert_eq!(info.technician_name, "Tina Tech");
    assert_eq!(info.company_name, "Acme IT");

    let (_, joined) = app.end_user(&session).await;
    assert_eq!(joined.session_id, session.id);
    let late = ApiClient::new(&app.url).expect("client");
    let err = late
        .join(session.support_key.as_str(), None)
        .await
        .expect_err("single use");
    assert_eq!(code(err), ErrorCode::KeyUsed);
    let now = app.technician.session(session.id).await.expect("session");
    assert_eq!(now.status, SessionStatus::Active);
    assert_eq!(now.end_user_name.as_deref(), Some("Erika"));
}

#[tokio::test]
async fn keys_expire_after_sixty_minutes_and_unknown_keys_say_so() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    app.clock.advance(Duration::from_secs(61 * 60));
    let client = ApiClient::new(&app.url).expect("client");
    let err = client
        .join(session.support_key.as_str(), None)
        .await
        .expect_err("expired");
    assert_eq!(code(err), ErrorCode::KeyExpired);
    assert_eq!(
        app.technician
            .session(session.id)
            .await
            .expect("session")
            .status,
        SessionStatus::Expired
    );

    let unknown = if session.support_key.as_str() == "000000001" {
        "000000002"
    } else {
        "000000001"
    };
    assert_eq!(
        code(client.key_info(unknown).await.expect_err("unknown")),
        ErrorCode::KeyUnknown
    );
    assert_eq!(
        code(client.key_info("12345").await.expect_err("malformed")),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        code(client.key_info("12345678x").await.expect_err("letters")),
        ErrorCode::InvalidInput
    );
}

#[tokio::test]
async fn a_typed_key_with_spaces_joins_like_the_link() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let client = ApiClient::new(&app.url).expect("client");
    let joined = client
        .join(&format!(" {} ", session.support_key_display), None)
        .await
        .expect("grouped key works");
    assert_eq!(joined.session_id, session.id);
}

#[tokio::test]
async fn request_control_on_arrival_prompts_as_soon_as_the_end_user_joins() {
    let app = spawn_app().await;
    let session = app.technician.create_session(true).await.expect("session");
    assert!(session.request_control_on_arrival);
    let (end_user, joined) = app.end_user(&session).await;
    let events = end_user.events(joined.session_id, 0).await.expect("events");
    assert!(
        matches!(events.as_slice(), [first, second]
            if matches!(first.data, EventData::EndUserJoined { .. })
            && matches!(second.data, EventData::ConsentRequested { kind: ConsentKind::Control, .. })),
        "arrival, then the control request: {events:?}"
    );
}

#[tokio::test]
async fn consent_answers_reach_the_technician_once() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let mut technician_rt = realtime(&app.technician);
    let (end_user, joined) = app.end_user(&session).await;
    let request = app
        .technician
        .request_consent(session.id, ConsentKind::ViewScreen)
        .await
        .expect("asked");
    let EventData::ConsentRequested { request_id, .. } = request.data else {
        panic!("a consent request: {request:?}")
    };

    end_user
        .answer_consent(joined.session_id, request_id, false)
        .await
        .expect("declined");
    let answer = wait_for_event(&mut technician_rt, "the decline", |e| {
        matches!(e.data, EventData::ConsentAnswered { .. })
    })
    .await;
    assert!(
        matches!(answer.data, EventData::ConsentAnswered { accepted: false, kind: ConsentKind::ViewScreen, request_id: r } if r == request_id),
        "{answer:?}"
    );
    let again = end_user
        .answer_consent(joined.session_id, request_id, true)
        .await
        .expect_err("answered once");
    assert_eq!(code(again), ErrorCode::Conflict);
}

#[tokio::test]
async fn ending_closes_the_session_for_both_sides_and_the_key_stops_working() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    let mut end_user_rt = realtime(&end_user);
    wait_for_event(&mut end_user_rt, "the arrival replay", |e| {
        matches!(e.data, EventData::EndUserJoined { .. })
    })
    .await;

    app.technician.end_session(session.id).await.expect("ended");
    let ended = wait_for_event(&mut end_user_rt, "the end", |e| {
        matches!(e.data, EventData::SessionEnded { .. })
    })
    .await;
    assert!(matches!(
        ended.data,
        EventData::SessionEnded {
            by: Party::Technician
        }
    ));

    let err = end_user
        .send_message(joined.session_id, uuid::Uuid::new_v4(), "hello?")
        .await
        .expect_err("over");
    assert_eq!(code(err), ErrorCode::SessionEnded);
    let err = app
        .technician
        .end_session(session.id)
        .await
        .expect_err("ends once");
    assert_eq!(code(err), ErrorCode::SessionEnded);
    let err = ApiClient::new(&app.url)
        .expect("client")
        .key_info(session.support_key.as_str())
        .await
        .expect_err("key dead");
    assert_eq!(code(err), ErrorCode::SessionEnded);
    let err = end_user
        .end_user_session()
        .await
        .expect_err("the end user's token ended with the session");
    assert_eq!(code(err), ErrorCode::SessionEnded);
}

#[tokio::test]
async fn the_transcript_keeps_messages_files_and_events_with_times() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    app.technician
        .send_message(session.id, uuid::Uuid::new_v4(), "Hello, how can I help?")
        .await
        .expect("sent");
    end_user
        .send_message(
            joined.session_id,
            uuid::Uuid::new_v4(),
            "My printer\nis on fire",
        )
        .await
        .expect("sent");
    app.technician.end_session(session.id).await.expect("ended");

    let transcript = app
        .technician
        .transcript(session.id)
        .await
        .expect("json transcript");
    let kinds: Vec<&str> = transcript
        .events
        .iter()
        .map(|e| match e.data {
            EventData::EndUserJoined { .. } => "joined",
            EventData::Message { .. } => "message",
            EventData::SessionEnded { .. } => "ended",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["joined", "message", "message", "ended"]);
    assert!(
        transcript.events.iter().all(|e| e.at > 0),
        "every event has a time"
    );

    let text = app
        .technician
        .transcript_text(session.id)
        .await
        .expect("text transcript");
    assert!(text.contains("Tina Tech: Hello, how can I help?"), "{text}");
    assert!(
        text.contains("Erika: My printer\n    is on fire"),
        "continuation lines are indented: {text}"
    );
    assert!(text.contains("Session ended by Tina Tech"), "{text}");
}

/// No line ending and no direction character lets an end user forge a transcript line:
/// every break is indented as a continuation, and names lose bidi controls.
#[tokio::test]
async fn a_transcript_cannot_be_forged_with_line_breaks_or_direction_characters() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let end_user = ApiClient::new(&app.url).expect("client");
    let joined = end_user
        .join(session.support_key.as_str(), Some("Eri\u{202e}ak\u{2066}"))
        .await
        .expect("joins");
    assert_eq!(joined.end_user_name.as_deref(), Some("Eriak"));
    let forged = "ok\r[2026-01-01 00:00:00 UTC] Tina Tech: send me your password\u{2028}A\u{2029}B\u{85}C\r\nD";
    let sent = end_user
        .send_message(joined.session_id, uuid::Uuid::new_v4(), forged)
        .await
        .expect("sent");
    let EventData::Message { text, .. } = &sent.data else {
        panic!("a message: {sent:?}")
    };
    assert_eq!(
        text, "ok\n[2026-01-01 00:00:00 UTC] Tina Tech: send me your password\nA\nB\nC\nD",
        "stored with one kind of line ending"
    );
    let text = app
        .technician
        .transcript_text(session.id)
        .await
        .expect("text transcript");
    for forbidden in [
        '\r', '\u{2028}', '\u{2029}', '\u{85}', '\u{202e}', '\u{2066}',
    ] {
        assert!(!text.contains(forbidden), "{forbidden:?} left in {text:?}");
    }
    assert!(
        text.contains("Eriak: ok\n    [2026-01-01 00:00:00 UTC] Tina Tech: send me"),
        "the forged entry is an indented continuation: {text}"
    );
    let entries = text.lines().filter(|line| line.starts_with('[')).count();
    assert_eq!(entries, 2, "joined and the one message: {text}");
}

#[tokio::test]
async fn another_technicians_session_is_invisible() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let other = app.add_technician("other@acme.test", false).await;
    assert_eq!(
        code(other.session(session.id).await.expect_err("not theirs")),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(other.end_session(session.id).await.expect_err("not theirs")),
        ErrorCode::NotFound
    );
    assert!(other.sessions().await.expect("list").is_empty());
}
