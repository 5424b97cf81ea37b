//! The screen view across two nodes of one service: the end user's page sends to one
//! node, the technician watches through the other. Pictures (also ones larger than a
//! NATS message), acknowledgements, keyframe requests, displays, input and the stop
//! cross between them; a session ended through a node without the stream stops it
//! first.

use lifeline_client::{MediaEvent, MediaSocket};
use lifeline_protocol::{
    ChunkHeader, ConsentKind, DisplayChoice, EventData, InputEvent, MediaRole, Party, StopReason,
};

use crate::helpers::two_nodes;
use crate::media::{
    allowed_session_for, format, next_chunk, next_matching, next_stop, next_stream, watch_and_share,
};

fn header(seq: u64, key: bool) -> ChunkHeader {
    ChunkHeader {
        seq,
        key,
        timestamp_us: seq * 33_333,
    }
}

fn displays() -> Vec<DisplayChoice> {
    ["0", "1"]
        .into_iter()
        .map(|id| DisplayChoice {
            id: id.into(),
            name: format!("Display {id}"),
            width: 1280,
            height: 720,
            primary: id == "0",
        })
        .collect()
}

#[tokio::test]
async fn a_technician_on_one_node_watches_and_controls_a_screen_sent_to_another() {
    let nodes = two_nodes().await;
    let (session_id, end_user) = allowed_session_for(&nodes.first, ConsentKind::Control).await;
    let technician = nodes.technician_on_second().await;
    let mut viewer = MediaSocket::connect(&technician, session_id, MediaRole::Viewer, Vec::new())
        .await
        .expect("the technician views through the second node");
    let mut sender = MediaSocket::connect(&end_user, session_id, MediaRole::Sender, Vec::new())
        .await
        .expect("the end user shares through the first node");
    let viewers = next_matching(&mut sender, "a viewer elsewhere", |e| {
        matches!(e, MediaEvent::Viewers { count: 1, .. })
    })
    .await;
    assert!(matches!(viewers, MediaEvent::Viewers { count: 1, .. }));

    sender.start(format()).expect("start");
    let stream = next_stream(&mut viewer).await;
    assert_eq!(stream.format, format());
    sender.send_displays(displays()).expect("displays");
    let shown = next_matching(&mut viewer, "the displays", |e| {
        matches!(e, MediaEvent::Displays(_))
    })
    .await;
    assert_eq!(shown, MediaEvent::Displays(displays()));

    // Pictures of every size a chunk may have, the largest cut into NATS messages.
    let sizes = [1_000, 700_000, 1_900_000, 20, 64_000];
    for (i, size) in sizes.into_iter().enumerate() {
        let seq = i as u64 + 1;
        let picture: Vec<u8> = (0..size).map(|b| (b * 7 + i) as u8).collect();
        sender
            .send_chunk(&header(seq, seq == 1), &picture)
            .expect("sent");
        let (got, data) = next_chunk(&mut viewer).await;
        assert_eq!(got, header(seq, seq == 1));
        assert_eq!(&data[..], &picture[..], "chunk {seq} arrives whole");
        viewer.ack(seq).expect("ack");
        let ack = next_matching(&mut sender, "the ack", |e| matches!(e, MediaEvent::Ack(_))).await;
        assert_eq!(ack, MediaEvent::Ack(seq), "the sender hears the far viewer");
    }

    viewer.request_keyframe().expect("keyframe request");
    next_matching(&mut sender, "the keyframe request", |e| {
        matches!(e, MediaEvent::KeyframeNeeded)
    })
    .await;
    viewer.select_display("1").expect("pick");
    let picked = next_matching(&mut sender, "the display pick", |e| {
        matches!(e, MediaEvent::SelectDisplay(_))
    })
    .await;
    assert_eq!(picked, MediaEvent::SelectDisplay("1".into()));
    let typed = InputEvent::Text {
        text: "hello".into(),
    };
    viewer.send_input(typed.clone()).expect("input");
    let input = next_matching(&mut sender, "the input", |e| {
        matches!(e, MediaEvent::Input(_))
    })
    .await;
    assert_eq!(input, MediaEvent::Input(typed));

    viewer.stop().expect("stop viewing");
    let stopped = next_stop(&mut sender).await;
    assert_eq!(
        stopped,
        MediaEvent::Stopped {
            stream_id: stream.stream_id,
            by: Party::Technician,
            reason: StopReason::StoppedViewing,
        }
    );
    // The viewer's node records the stop before its socket hears it.
    next_stop(&mut viewer).await;
    let events = nodes
        .first
        .technician
        .events(session_id, 0)
        .await
        .expect("events");
    let stops = events
        .iter()
        .filter(|e| matches!(e.data, EventData::ScreenShareStopped { .. }))
        .count();
    assert_eq!(stops, 1, "the stop is recorded once");
}

#[tokio::test]
async fn ending_a_session_through_a_node_without_its_stream_stops_the_stream_first() {
    let nodes = two_nodes().await;
    let (session_id, end_user) = allowed_session_for(&nodes.first, ConsentKind::ViewScreen).await;
    let (_viewer, mut sender, stream) =
        watch_and_share(&nodes.first.technician, &end_user, session_id).await;

    // Both sockets are on the first node; the session ends through the second.
    let technician = nodes.technician_on_second().await;
    technician.end_session(session_id).await.expect("ended");
    let stopped = next_stop(&mut sender).await;
    assert_eq!(
        stopped,
        MediaEvent::Stopped {
            stream_id: stream.stream_id,
            by: Party::Technician,
            reason: StopReason::SessionEnded,
        }
    );
    let kinds: Vec<EventData> = technician
        .events(session_id, 0)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.data)
        .collect();
    let stop = kinds.iter().position(|e| {
        matches!(
            e,
            EventData::ScreenShareStopped {
                reason: StopReason::SessionEnded,
                ..
            }
        )
    });
    let end = kinds
        .iter()
        .position(|e| matches!(e, EventData::SessionEnded { .. }));
    assert!(
        stop.is_some() && stop < end,
        "the stop is recorded before the end: {kinds:?}"
    );
}
