//! Screen views through the media socket: a real service relays a sender's chunks to
//! the technician's viewer, records start and stop, and refuses what it must.

use std::time::Duration;

use lifeline_client::{ApiClient, MediaEvent, MediaSocket};
use lifeline_protocol::{
    ChunkHeader, ConsentKind, ErrorCode, EventData, MediaRole, MediaSource, Party, ShareFailure,
    ShareSurface, StopReason, StreamFormat, VideoCodec, MAX_MEDIA_CHUNK_BYTES,
};
use uuid::Uuid;

use crate::helpers::{code, spawn_app, TestApp};

pub(crate) fn format() -> StreamFormat {
    StreamFormat {
        source: MediaSource::Browser,
        display_id: "0".into(),
        codec: VideoCodec::H264,
        codec_string: "avc1.42E01F".into(),
        width: 1280,
        height: 720,
        surface: ShareSurface::Monitor,
    }
}

fn header(seq: u64, key: bool) -> ChunkHeader {
    ChunkHeader {
        seq,
        key,
        timestamp_us: seq * 33_333,
    }
}

/// The next media event that matches, skipping others; fails after 15 s.
pub(crate) async fn next_matching(
    socket: &mut MediaSocket,
    what: &str,
    matches: impl Fn(&MediaEvent) -> bool,
) -> MediaEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let event = tokio::time::timeout_at(deadline, socket.next())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .unwrap_or_else(|| panic!("the media socket ended while waiting for {what}"));
        if matches(&event) {
            return event;
        }
    }
}

/// The next stream announcement.
pub(crate) async fn next_stream(socket: &mut MediaSocket) -> lifeline_protocol::StreamInfo {
    match next_matching(socket, "the stream", |e| matches!(e, MediaEvent::Stream(_))).await {
        MediaEvent::Stream(stream) => stream,
        _ => unreachable!("filtered"),
    }
}

/// The next stop, as the socket heard it.
pub(crate) async fn next_stop(socket: &mut MediaSocket) -> MediaEvent {
    next_matching(socket, "the stop", |e| {
        matches!(e, MediaEvent::Stopped { .. })
    })
    .await
}

/// A joined session whose end user allowed a screen view.
pub(crate) async fn allowed_session(app: &TestApp) -> (Uuid, ApiClient) {
    allowed_session_for(app, ConsentKind::ViewScreen).await
}

/// A joined session whose end user allowed `kind`.
pub(crate) async fn allowed_session_for(app: &TestApp, kind: ConsentKind) -> (Uuid, ApiClient) {
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    let request = app
        .technician
        .request_consent(session.id, kind)
        .await
        .expect("requested");
    let EventData::ConsentRequested { request_id, .. } = request.data else {
        panic!("a consent request: {request:?}");
    };
    end_user
        .answer_consent(joined.session_id, request_id, true)
        .await
        .expect("allowed");
    (session.id, end_user)
}

/// A session whose end user shares, watched by the technician, once the viewer has heard
/// of the stream: `(session, viewer, sender)`.
async fn streaming(app: &TestApp) -> (Uuid, MediaSocket, MediaSocket) {
    let (session_id, end_user) = allowed_session(app).await;
    let (viewer, sender, _) = watch_and_share(&app.technician, &end_user, session_id).await;
    (session_id, viewer, sender)
}

/// The technician views, the end user shares and starts: `(viewer, sender, stream)`
/// once the viewer has heard of the stream. Each may be on its own node.
pub(crate) async fn watch_and_share(
    technician: &ApiClient,
    end_user: &ApiClient,
    session_id: Uuid,
) -> (MediaSocket, MediaSocket, lifeline_protocol::StreamInfo) {
    let mut viewer = MediaSocket::connect(technician, session_id, MediaRole::Viewer, Vec::new())
        .await
        .expect("views");
    let sender = MediaSocket::connect(end_user, session_id, MediaRole::Sender, Vec::new())
        .await
        .expect("shares");
    sender.start(format()).expect("start");
    let stream = next_stream(&mut viewer).await;
    (viewer, sender, stream)
}

/// The next picture the viewer gets: its header and bytes.
pub(crate) async fn next_chunk(viewer: &mut MediaSocket) -> (ChunkHeader, bytes::Bytes) {
    match next_matching(viewer, "a chunk", |e| matches!(e, MediaEvent::Chunk { .. })).await {
        MediaEvent::Chunk { header, data } => (header, data),
        _ => unreachable!("filtered"),
    }
}

async fn event_kinds(app: &TestApp, session_id: Uuid) -> Vec<EventData> {
    app.technician
        .events(session_id, 0)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.data)
        .collect()
}

#[tokio::test]
async fn a_shared_screen_reaches_the_technician_chunk_for_chunk_and_stops_on_both_sides() {
    let app = spawn_app().await;
    let (session_id, end_user) = allowed_session(&app).await;
    let mut viewer =
        MediaSocket::connect(&app.technician, session_id, MediaRole::Viewer, Vec::new())
            .await
            .expect("the technician views");
    let mut sender = MediaSocket::connect(&end_user, session_id, MediaRole::Sender, Vec::new())
        .await
        .expect("the end user shares");
    sender.start(format()).expect("start");
    let MediaEvent::Stream(stream) = next_matching(&mut viewer, "the stream", |e| {
        matches!(e, MediaEvent::Stream(_))
    })
    .await
    else {
        unreachable!()
    };
    assert_eq!(stream.format, format(), "the viewer learns the format");
    assert_eq!(stream.session_id, session_id);

    let pictures: Vec<Vec<u8>> = (1..=5u8).map(|i| vec![i; 1000 * usize::from(i)]).collect();
    for (i, picture) in pictures.iter().enumerate() {
        let seq = i as u64 + 1;
        sender
            .send_chunk(&header(seq, seq == 1), picture)
            .expect("sent");
        let (got, data) = next_chunk(&mut viewer).await;
        assert_eq!(got, header(seq, seq == 1), "the header arrives as sent");
        assert_eq!(&data[..], &picture[..], "the bytes arrive as sent");
        viewer.ack(seq).expect("ack");
        let ack = next_matching(&mut sender, "the ack", |e| matches!(e, MediaEvent::Ack(_))).await;
        assert_eq!(
            ack,
            MediaEvent::Ack(seq),
            "the sender hears what was decoded"
        );
    }

    viewer.stop().expect("stop viewing");
    let stopped = next_matching(&mut sender, "the stop", |e| {
        matches!(e, MediaEvent::Stopped { .. })
    })
    .await;
    assert_eq!(
        stopped,
        MediaEvent::Stopped {
            stream_id: stream.stream_id,
            by: Party::Technician,
            reason: StopReason::StoppedViewing
        },
        "the page hears at once that viewing stopped"
    );
    next_matching(&mut viewer, "the stop", |e| {
        matches!(e, MediaEvent::Stopped { .. })
    })
    .await;

    let events = event_kinds(&app, session_id).await;
    assert!(events.iter().any(|e| matches!(e,
        EventData::ScreenShareStarted { stream_id, width: 1280, height: 720, .. } if *stream_id == stream.stream_id)));
    assert!(events.iter().any(|e| matches!(
        e,
        EventData::ScreenShareStopped {
            by: Party::Technician,
            reason: StopReason::StoppedViewing,
            ..
        }
    )));
    let transcript = app
        .technician
        .transcript_text(session_id)
        .await
        .expect("transcript");
    assert!(transcript.contains("Screen view started"), "{transcript}");
    assert!(
        transcript.contains("Screen view stopped by Tina Tech (stopped viewing)"),
        "{transcript}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, EventData::Message { .. })),
        "pictures are never stored"
    );
}

#[tokio::test]
async fn a_stream_needs_a_standing_consent_and_a_stopped_one_needs_a_new_one() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    let mut sender =
        MediaSocket::connect(&end_user, joined.session_id, MediaRole::Sender, Vec::new())
            .await
            .expect("connects");
    sender.start(format()).expect("start");
    let refused = next_matching(&mut sender, "the refusal", |e| {
        matches!(e, MediaEvent::Refused(_))
    })
    .await;
    assert!(
        matches!(refused, MediaEvent::Refused(ref e) if e.code == ErrorCode::ConsentRequired),
        "{refused:?}"
    );
    drop(sender);

    let (session_id, end_user) = allowed_session(&app).await;
    let mut sender = MediaSocket::connect(&end_user, session_id, MediaRole::Sender, Vec::new())
        .await
        .expect("connects");
    sender.start(format()).expect("start");
    sender.stop().expect("stop sharing");
    next_matching(&mut sender, "the stop", |e| {
        matches!(e, MediaEvent::Stopped { .. })
    })
    .await;
    drop(sender);
    let mut again = MediaSocket::connect(&end_user, session_id, MediaRole::Sender, Vec::new())
        .await
        .expect("connects");
    again.start(format()).expect("start");
    let refused = next_matching(&mut again, "the refusal", |e| {
        matches!(e, MediaEvent::Refused(_))
    })
    .await;
    assert!(
        matches!(refused, MediaEvent::Refused(ref e) if e.code == ErrorCode::ConsentRequired),
        "the consent was spent by the stop: {refused:?}"
    );
}

#[tokio::test]
async fn media_sockets_of_other_sessions_and_wrong_roles_are_refused() {
    let app = spawn_app().await;
    let (session_id, end_user) = allowed_session(&app).await;
    let other = app.new_session().await;
    let err = MediaSocket::connect(&end_user, other.id, MediaRole::Sender, Vec::new())
        .await
        .err()
        .expect("another session's stream is refused");
    assert_eq!(code(err), ErrorCode::NotFound);
    let err = MediaSocket::connect(&end_user, session_id, MediaRole::Viewer, Vec::new())
        .await
        .err()
        .expect("the end user cannot view");
    assert_eq!(code(err), ErrorCode::Unauthorized);
    let err = MediaSocket::connect(&app.technician, session_id, MediaRole::Sender, Vec::new())
        .await
        .err()
        .expect("the technician cannot send");
    assert_eq!(code(err), ErrorCode::Forbidden);
    let stranger = app.add_technician("sam@acme.test", false).await;
    let err = MediaSocket::connect(&stranger, session_id, MediaRole::Viewer, Vec::new())
        .await
        .err()
        .expect("another technician cannot view");
    assert_eq!(code(err), ErrorCode::NotFound);
}

#[tokio::test]
async fn oversized_and_malformed_chunks_are_refused_with_typed_errors_and_the_chat_goes_on() {
    let app = spawn_app().await;
    let (session_id, end_user) = allowed_session(&app).await;
    let mut sender = MediaSocket::connect(&end_user, session_id, MediaRole::Sender, Vec::new())
        .await
        .expect("connects");
    sender.start(format()).expect("start");
    sender
        .send_raw(vec![0u8; MAX_MEDIA_CHUNK_BYTES + 1])
        .expect("sent");
    let refused = next_matching(&mut sender, "the refusal", |e| {
        matches!(e, MediaEvent::Refused(_))
    })
    .await;
    assert!(
        matches!(refused, MediaEvent::Refused(ref e) if e.code == ErrorCode::PayloadTooLarge),
        "{refused:?}"
    );
    // Refusals are reported at most once a second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    sender.send_raw(b"\x00\x05{oops".to_vec()).expect("sent");
    let refused = next_matching(&mut sender, "the refusal", |e| {
        matches!(e, MediaEvent::Refused(_))
    })
    .await;
    assert!(
        matches!(refused, MediaEvent::Refused(ref e) if e.code == ErrorCode::InvalidInput),
        "{refused:?}"
    );
    let message = end_user
        .send_message(session_id, Uuid::new_v4(), "Can you see it?")
        .await
        .expect("the chat goes on");
    assert!(matches!(message.data, EventData::Message { .. }));
}

#[tokio::test]
async fn a_viewer_that_never_acknowledges_is_closed_and_a_flooding_sender_is_throttled() {
    let app = spawn_app().await;
    let (session_id, mut viewer, mut sender) = streaming(&app).await;
    sender
        .send_chunk(&header(1, true), &[7u8; 2000])
        .expect("sent");
    next_matching(&mut viewer, "the first chunk", |e| {
        matches!(e, MediaEvent::Chunk { .. })
    })
    .await;
    // The viewer acknowledges nothing; the sender ignores that and sends as fast as it
    // can.
    for seq in 2..=200u64 {
        sender
            .send_chunk(&header(seq, seq % 50 == 1), &[7u8; 2000])
            .expect("sent");
    }
    let refused = next_matching(&mut sender, "the throttle", |e| {
        matches!(e, MediaEvent::Refused(_))
    })
    .await;
    assert!(
        matches!(refused, MediaEvent::Refused(ref e) if e.code == ErrorCode::RateLimited),
        "{refused:?}"
    );
    let mut received = 1;
    let stalled = loop {
        match next_matching(&mut viewer, "the stall", |_| true).await {
            MediaEvent::Chunk { .. } => received += 1,
            MediaEvent::Refused(error) => break error,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(stalled.code, ErrorCode::Stalled, "{stalled:?}");
    assert!(
        received <= 4,
        "a viewer that acknowledges nothing gets a few chunks, not the flood: {received}"
    );
    // With nobody watching, the sender is no longer held back.
    let ack = next_matching(&mut sender, "the relay's own ack", |e| {
        matches!(e, MediaEvent::Ack(_))
    })
    .await;
    assert!(matches!(ack, MediaEvent::Ack(seq) if seq >= 16), "{ack:?}");
    let message = app
        .technician
        .send_message(session_id, Uuid::new_v4(), "Still here")
        .await;
    assert!(message.is_ok(), "the chat goes on: {message:?}");
}

#[tokio::test]
async fn ending_the_session_stops_the_screen_view_on_both_sides() {
    let app = spawn_app().await;
    let (session_id, mut viewer, mut sender) = streaming(&app).await;
    app.technician.end_session(session_id).await.expect("ended");
    for socket in [&mut viewer, &mut sender] {
        let stopped = next_matching(socket, "the stop", |e| {
            matches!(e, MediaEvent::Stopped { .. })
        })
        .await;
        assert!(
            matches!(
                stopped,
                MediaEvent::Stopped {
                    by: Party::Technician,
                    reason: StopReason::SessionEnded,
                    ..
                }
            ),
            "{stopped:?}"
        );
    }
}

#[tokio::test]
async fn a_cancelled_picker_is_reported_once_and_spends_the_consent() {
    let app = spawn_app().await;
    let (session_id, end_user) = allowed_session(&app).await;
    let event = end_user
        .report_share_failed(session_id, ShareFailure::PickerCancelled)
        .await
        .expect("reported");
    assert_eq!(
        event.data,
        EventData::ScreenShareFailed {
            reason: ShareFailure::PickerCancelled
        }
    );
    let again = end_user
        .report_share_failed(session_id, ShareFailure::PickerCancelled)
        .await
        .expect_err("nothing left to report on");
    assert_eq!(code(again), ErrorCode::Conflict);
    let transcript = app
        .technician
        .transcript_text(session_id)
        .await
        .expect("transcript");
    assert!(
        transcript.contains("the screen picker was closed without a choice"),
        "{transcript}"
    );
}

#[tokio::test]
async fn a_ninth_viewer_and_a_flood_of_start_frames_are_refused() {
    let app = spawn_app().await;
    let (session_id, _end_user) = allowed_session(&app).await;
    let mut viewers = Vec::new();
    for _ in 0..8 {
        viewers.push(
            MediaSocket::connect(&app.technician, session_id, MediaRole::Viewer, Vec::new())
                .await
                .expect("room for eight"),
        );
    }
    let err = MediaSocket::connect(&app.technician, session_id, MediaRole::Viewer, Vec::new())
        .await
        .err()
        .expect("a ninth is refused");
    assert_eq!(code(err), ErrorCode::Conflict);

    let other = app.new_session().await;
    let (stranger, joined) = app.end_user(&other).await;
    let mut sender =
        MediaSocket::connect(&stranger, joined.session_id, MediaRole::Sender, Vec::new())
            .await
            .expect("connects");
    for _ in 0..30 {
        sender.start(format()).expect("sent");
    }
    let throttled = next_matching(
        &mut sender,
        "the throttle",
        |e| matches!(e, MediaEvent::Refused(error) if error.code == ErrorCode::RateLimited),
    )
    .await;
    assert!(matches!(throttled, MediaEvent::Refused(_)));
    drop(viewers);
}
