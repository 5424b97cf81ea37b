use lifeline_protocol::{MediaSource, ShareSurface, StreamFormat, VideoCodec};

use super::*;

fn stream() -> StreamInfo {
    StreamInfo {
        stream_id: Uuid::new_v4(),
        session_id: Uuid::new_v4(),
        format: StreamFormat {
            source: MediaSource::Browser,
            display_id: "0".into(),
            codec: VideoCodec::H264,
            codec_string: "avc1.42E01F".into(),
            width: 1280,
            height: 720,
            surface: ShareSurface::Monitor,
        },
        started_at: 0,
    }
}

fn chunk(seq: u64, key: bool, bytes: usize) -> Chunk {
    Chunk {
        seq,
        key,
        frame: Bytes::from(vec![0u8; bytes]),
    }
}

fn drain(viewer: &ViewerLink) -> Vec<u64> {
    let mut inbox = viewer.inbox();
    std::iter::from_fn(|| inbox.pop()).map(|c| c.seq).collect()
}

#[test]
fn a_viewer_starts_at_a_keyframe_and_then_gets_every_chunk() {
    let relay = Relay::default();
    let sender = relay.attach_sender().expect("first sender");
    relay.announce(stream());
    let viewer = relay.attach_viewer(Vec::new()).expect("room");
    assert!(
        viewer.inbox().stream.is_some(),
        "the viewer hears of the stream"
    );
    assert!(
        sender.take_notes().keyframe_needed,
        "a joining viewer asks the sender for a keyframe"
    );
    relay.publish(chunk(1, false, 10)).expect("accepted");
    relay.publish(chunk(2, true, 10)).expect("accepted");
    relay.publish(chunk(3, false, 10)).expect("accepted");
    assert_eq!(
        drain(&viewer),
        vec![2, 3],
        "deltas before the first keyframe are dropped"
    );
}

#[test]
fn a_viewer_that_falls_behind_drops_whole_groups_until_the_next_keyframe() {
    let relay = Relay::default();
    let sender = relay.attach_sender().expect("sender");
    relay.announce(stream());
    let viewer = relay.attach_viewer(Vec::new()).expect("room");
    sender.take_notes();
    relay.publish(chunk(1, true, 10)).expect("accepted");
    let mut seq = 2;
    // The viewer reads nothing; acks come from elsewhere so the sender may go on.
    while seq <= VIEWER_QUEUE_CHUNKS as u64 + 3 {
        relay.viewer_acked(seq - 1);
        relay.publish(chunk(seq, false, 10)).expect("accepted");
        seq += 1;
    }
    assert!(
        sender.take_notes().keyframe_needed,
        "the overflow asks the sender for a keyframe"
    );
    assert!(viewer.inbox().chunks.is_empty(), "the broken group is gone");
    relay.viewer_acked(seq - 1);
    relay.publish(chunk(seq, false, 10)).expect("accepted");
    relay.viewer_acked(seq);
    relay.publish(chunk(seq + 1, true, 10)).expect("accepted");
    relay.viewer_acked(seq + 1);
    relay.publish(chunk(seq + 2, false, 10)).expect("accepted");
    assert_eq!(
        drain(&viewer),
        vec![seq + 1, seq + 2],
        "the picture resumes at the keyframe, never at a delta"
    );
    assert!(viewer.inbox().dropped > 0);
}

#[test]
fn a_sender_far_ahead_of_its_viewers_is_refused() {
    let relay = Relay::default();
    let _sender = relay.attach_sender().expect("sender");
    relay.announce(stream());
    let _viewer = relay.attach_viewer(Vec::new()).expect("room");
    for seq in 1..=SENDER_IN_FLIGHT_LIMIT {
        relay
            .publish(chunk(seq, seq == 1, 10))
            .expect("within the limit");
    }
    assert_eq!(
        relay.publish(chunk(SENDER_IN_FLIGHT_LIMIT + 1, false, 10)),
        Err(Refused::Flooding)
    );
    relay.viewer_acked(SENDER_IN_FLIGHT_LIMIT);
    assert_eq!(
        relay.publish(chunk(SENDER_IN_FLIGHT_LIMIT + 1, true, 10)),
        Ok(()),
        "an acknowledgement makes room again"
    );
}

#[test]
fn a_sender_over_its_byte_rate_is_refused() {
    let relay = Relay::default();
    let _sender = relay.attach_sender().expect("sender");
    relay.announce(stream());
    let big = lifeline_protocol::MAX_MEDIA_CHUNK_BYTES;
    let mut refused = false;
    for seq in 1..=(SENDER_BYTES_PER_SEC as usize / big + 2) as u64 {
        if relay.publish(chunk(seq, true, big)) == Err(Refused::Flooding) {
            refused = true;
            break;
        }
    }
    assert!(refused, "more than a second's bytes at once are refused");
}

#[test]
fn with_nobody_watching_the_relay_acknowledges_and_drops() {
    let relay = Relay::default();
    let sender = relay.attach_sender().expect("sender");
    relay.announce(stream());
    for seq in 1..=40 {
        relay.publish(chunk(seq, false, 10)).expect("never refused");
    }
    let notes = sender.take_notes();
    assert_eq!(notes.ack, Some(40));
    assert_eq!(notes.viewers, Some((0, VideoCodec::ALL.to_vec())));
}

#[test]
fn chunks_without_a_stream_or_out_of_order_are_refused() {
    let relay = Relay::default();
    let _sender = relay.attach_sender().expect("sender");
    assert_eq!(relay.publish(chunk(1, true, 10)), Err(Refused::OutOfOrder));
    relay.announce(stream());
    relay.publish(chunk(1, true, 10)).expect("accepted");
    assert_eq!(relay.publish(chunk(1, true, 10)), Err(Refused::OutOfOrder));
}

#[test]
fn stopping_tells_both_ends_once_and_a_second_sender_waits_its_turn() {
    let relay = Relay::default();
    let sender = relay.attach_sender().expect("sender");
    assert!(relay.attach_sender().is_none(), "one sender at a time");
    let info = stream();
    relay.announce(info.clone());
    let viewer = relay.attach_viewer(Vec::new()).expect("room");
    let stopped = relay
        .stop(Party::Technician, StopReason::StoppedViewing)
        .expect("a stream was live");
    assert_eq!(stopped.stream_id, info.stream_id);
    assert_eq!(viewer.inbox().stopped, Some(stopped));
    assert_eq!(sender.take_notes().stopped, Some(stopped));
    assert!(relay
        .stop(Party::EndUser, StopReason::StoppedSharing)
        .is_none());
    relay.detach_sender(&sender);
    relay.detach_viewer(&viewer);
    assert!(relay.is_idle());
}

#[test]
fn the_sender_hears_the_codecs_every_viewer_can_decode() {
    let relay = Relay::default();
    let sender = relay.attach_sender().expect("sender");
    let _one = relay
        .attach_viewer(vec![VideoCodec::Vp8, VideoCodec::H264])
        .expect("room");
    let _two = relay
        .attach_viewer(vec![VideoCodec::Vp8, VideoCodec::Jpeg])
        .expect("room");
    assert_eq!(
        sender.take_notes().viewers,
        Some((2, vec![VideoCodec::Vp8])),
        "only what both decode, in the sender's order"
    );
}

#[test]
fn a_viewer_gets_no_pictures_in_a_codec_it_cannot_decode() {
    let relay = Relay::default();
    let _sender = relay.attach_sender().expect("sender");
    relay.announce(stream());
    let jpeg_only = relay.attach_viewer(vec![VideoCodec::Jpeg]).expect("room");
    let any = relay.attach_viewer(Vec::new()).expect("room");
    relay.publish(chunk(1, true, 10)).expect("accepted");
    assert!(
        drain(&jpeg_only).is_empty(),
        "H.264 is not for a JPEG-only viewer"
    );
    assert_eq!(drain(&any), vec![1]);
}

#[test]
fn viewers_of_one_screen_have_a_ceiling() {
    let relay = Relay::default();
    let viewers: Vec<_> = (0..MAX_VIEWERS)
        .map(|_| relay.attach_viewer(Vec::new()).expect("room"))
        .collect();
    assert!(
        relay.attach_viewer(Vec::new()).is_none(),
        "one more is refused"
    );
    relay.detach_viewer(&viewers[0]);
    assert!(
        relay.attach_viewer(Vec::new()).is_some(),
        "a freed place is free"
    );
}

#[test]
fn links_for_other_nodes_keep_no_relay_alive_and_give_way_to_a_real_sender() {
    let relay = Relay::default();
    let stand_in = relay.attach_remote_sender().expect("no sender yet");
    assert!(relay.attach_remote_sender().is_none(), "one stand-in");
    assert!(relay.is_idle(), "a stand-in alone keeps nothing alive");
    let viewer = relay.attach_viewer(Vec::new()).expect("room");
    assert!(!relay.is_idle());
    // The stand-in heard of one viewer here.
    assert_eq!(
        stand_in.take_notes().viewers,
        Some((1, VideoCodec::ALL.to_vec()))
    );

    let real = relay
        .attach_sender()
        .expect("a real sender takes the stand-in's place");
    assert!(
        relay.attach_sender().is_none(),
        "but not another real one's"
    );
    relay.detach_sender(&stand_in);
    assert_eq!(
        relay.local_presence(),
        LocalPresence {
            sender: true,
            viewers: 1
        },
        "detaching the displaced stand-in leaves the real sender"
    );

    // A proxy for three viewers elsewhere counts as three.
    let proxy = relay.attach_remote_viewers(Vec::new(), 3).expect("room");
    assert_eq!(real.take_notes().viewers.map(|v| v.0), Some(4));
    relay.recount_remote_viewers(&proxy, 5);
    assert_eq!(real.take_notes().viewers.map(|v| v.0), Some(6));
    assert_eq!(relay.local_presence().viewers, 1, "the proxy is not local");
    relay.detach_viewer(&viewer);
    relay.detach_sender(&real);
    assert!(relay.is_idle(), "only the proxy is left");
}

#[test]
fn a_stop_for_another_stream_stops_nothing() {
    let relay = Relay::default();
    let _sender = relay.attach_sender().expect("sender");
    let live = stream();
    relay.announce(live.clone());
    assert!(relay
        .stop_if(
            Some(Uuid::new_v4()),
            Party::Technician,
            StopReason::StoppedViewing
        )
        .is_none());
    let stopped = relay
        .stop_if(
            Some(live.stream_id),
            Party::Technician,
            StopReason::StoppedViewing,
        )
        .expect("this one");
    assert_eq!(stopped.stream_id, live.stream_id);
}
