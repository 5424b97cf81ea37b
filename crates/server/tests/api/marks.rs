//! Delivered and read marks: stored only when they cover something new from the other
//! side, and at most one a second per session and kind from one connection.

use std::time::Duration;

use lifeline_client::{RealtimeClient, RealtimeEvent};
use lifeline_protocol::{EventData, Party, SessionEvent};
use uuid::Uuid;

use crate::helpers::{realtime, spawn_app, wait_for, wait_for_event, TestApp};

/// Longer than the service's one-second mark interval, so kept marks have been flushed.
const AFTER_MARK_INTERVAL: Duration = Duration::from_millis(1500);

async fn all_events(app: &TestApp, session_id: Uuid) -> Vec<SessionEvent> {
    app.technician
        .events(session_id, 0)
        .await
        .expect("events listed")
}

fn read_marks_by(events: &[SessionEvent], by: Party) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e.data {
            EventData::Read { by: b, up_to_seq } if b == by => Some(up_to_seq),
            _ => None,
        })
        .collect()
}

/// Frames on one socket are handled in order: once the other side sees this typing
/// frame, every frame sent before it has been handled.
async fn settle(from: &RealtimeClient, to: &mut RealtimeClient, session_id: Uuid) {
    from.typing(session_id, true);
    wait_for(to, "the typing frame sent after the marks", |e| {
        matches!(e, RealtimeEvent::Typing { typing: true, .. })
    })
    .await;
    from.typing(session_id, false);
    tokio::time::sleep(AFTER_MARK_INTERVAL).await;
}

#[tokio::test]
async fn marks_that_cover_nothing_new_store_nothing_however_often_they_come() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let mut technician_rt = realtime(&app.technician);
    let (end_user, joined) = app.end_user(&session).await;
    let mut end_user_rt = realtime(&end_user);
    app.technician
        .send_message(session.id, Uuid::new_v4(), "Hi Erika")
        .await
        .expect("sent");
    let message = wait_for_event(&mut end_user_rt, "the message", |e| {
        matches!(e.data, EventData::Message { .. })
    })
    .await;
    end_user_rt.read(joined.session_id, message.seq);
    wait_for_event(&mut technician_rt, "the end user's read mark", |e| {
        matches!(
            e.data,
            EventData::Read {
                by: Party::EndUser,
                ..
            }
        )
    })
    .await;
    // The other side's marks arrive: let the automatic delivered mark settle too.
    settle(&end_user_rt, &mut technician_rt, session.id).await;
    let before = all_events(&app, session.id).await;
    let last_seq = before.last().expect("events").seq;

    // Both sides mark everything they have, in a tight loop: the end user's marks cover
    // only marks, the technician's only the end user's marks and the join.
    for _ in 0..500 {
        end_user_rt.read(joined.session_id, last_seq);
        end_user_rt.delivered(joined.session_id, last_seq);
        technician_rt.read(session.id, last_seq);
        technician_rt.delivered(session.id, last_seq);
    }
    settle(&end_user_rt, &mut technician_rt, session.id).await;
    settle(&technician_rt, &mut end_user_rt, session.id).await;

    let after = all_events(&app, session.id).await;
    assert_eq!(
        after.len(),
        before.len(),
        "marks over marks are answered as no-ops and stored nothing: {:?}",
        &after[before.len().min(after.len())..]
    );
    let summary = app.technician.session(session.id).await.expect("session");
    assert_eq!(summary.last_seq, last_seq, "last_seq stays where it was");
}

#[tokio::test]
async fn a_mark_over_ones_own_message_stores_nothing() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let mut technician_rt = realtime(&app.technician);
    let (end_user, joined) = app.end_user(&session).await;
    let end_user_rt = realtime(&end_user);
    let own = end_user
        .send_message(joined.session_id, Uuid::new_v4(), "Hello?")
        .await
        .expect("sent");
    end_user_rt.read(joined.session_id, own.seq);
    settle(&end_user_rt, &mut technician_rt, session.id).await;
    assert!(
        read_marks_by(&all_events(&app, session.id).await, Party::EndUser).is_empty(),
        "nobody reads their own message"
    );
}

#[tokio::test]
async fn quick_marks_are_coalesced_into_one_carrying_the_highest_position() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let mut technician_rt = realtime(&app.technician);
    let (end_user, joined) = app.end_user(&session).await;
    let end_user_rt = realtime(&end_user);
    let mut sent = Vec::new();
    for text in ["one", "two", "three", "four"] {
        sent.push(
            app.technician
                .send_message(session.id, Uuid::new_v4(), text)
                .await
                .expect("sent")
                .seq,
        );
    }
    // The end user reads each message as it shows, faster than once a second.
    for &seq in &sent {
        end_user_rt.read(joined.session_id, seq);
    }
    let last = *sent.last().expect("messages");
    wait_for_event(&mut technician_rt, "the read mark for the last message", |e| {
        matches!(e.data, EventData::Read { by: Party::EndUser, up_to_seq } if up_to_seq == last)
    })
    .await;
    settle(&end_user_rt, &mut technician_rt, session.id).await;
    let marks = read_marks_by(&all_events(&app, session.id).await, Party::EndUser);
    assert_eq!(
        marks,
        vec![sent[0], last],
        "the first mark goes at once, the rest wait for the second and carry the highest"
    );
}
