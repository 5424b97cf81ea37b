//! Screen view from the join page: headless Chromium shares its own tab, which paints a
//! known pattern; the technician's client receives the stream through the real service
//! and decodes it. Refusals reach both sides.

use std::time::Duration;

use lifeline_client::{ApiClient, MediaEvent, MediaSocket, RealtimeClient, RealtimeOptions};
use lifeline_e2e::pattern::{Colour, Picture};
use lifeline_e2e::puppet::{artifacts_dir, Puppet};
use lifeline_protocol::{
    ConsentKind, EventData, MediaRole, Party, ShareFailure, ShareSurface, StopReason, VideoCodec,
};
use serde_json::json;
use uuid::Uuid;

use crate::https::event_of;
use lifeline_e2e::harness::ServiceProcess;

async fn next_media(socket: &mut MediaSocket, what: &str) -> anyhow::Result<MediaEvent> {
    tokio::time::timeout(Duration::from_secs(20), socket.next())
        .await
        .map_err(|_| anyhow::anyhow!("timed out waiting for {what}"))?
        .ok_or_else(|| anyhow::anyhow!("the media socket closed while waiting for {what}"))
}

struct Scene {
    _data: tempfile::TempDir,
    service: ServiceProcess,
    technician: ApiClient,
    realtime: RealtimeClient,
    browser: Puppet,
    session_id: Uuid,
}

/// A joined session whose technician asked to see the screen, the page opened with
/// `screen` as its picker's behaviour.
async fn asked_to_view(screen: &str) -> anyhow::Result<Scene> {
    let data = tempfile::tempdir()?;
    let service = ServiceProcess::start(data.path(), 0).await?;
    let technician = service.admin().await?;
    let realtime = RealtimeClient::connect(technician.clone(), RealtimeOptions::default());
    let mut browser = Puppet::start().await?;
    let session = technician.create_session(false).await?;
    browser
        .call("open", json!({"url": session.join_url, "screen": screen}))
        .await?;
    browser.call("join", json!({"name": "Erika"})).await?;
    technician
        .request_consent(session.id, ConsentKind::ViewScreen)
        .await?;
    Ok(Scene {
        _data: data,
        service,
        technician,
        realtime,
        browser,
        session_id: session.id,
    })
}

#[tokio::test]
async fn the_page_shares_its_screen_and_the_technician_decodes_the_pattern_live(
) -> anyhow::Result<()> {
    let Scene {
        _data,
        service,
        technician,
        mut realtime,
        mut browser,
        session_id,
    } = asked_to_view("tab").await?;
    browser.call("paint_pattern", json!({})).await?;
    // This client decodes JPEG: the page falls back to it for this viewer.
    let mut viewer = MediaSocket::connect(
        &technician,
        session_id,
        MediaRole::Viewer,
        vec![VideoCodec::Jpeg],
    )
    .await?;
    browser
        .call("wait_testid", json!({"testid": "consent-prompt"}))
        .await?;
    let explained = browser
        .call("text", json!({"testid": "consent-explain"}))
        .await?;
    assert!(
        explained
            .as_str()
            .unwrap_or_default()
            .contains("which screen, window or tab"),
        "the page says what is about to happen: {explained}"
    );
    let shared = browser.call("share_screen", json!({})).await?;
    assert_eq!(
        shared["text"],
        json!("Your screen is visible to Lifeline Admin"),
        "the page says who sees the screen"
    );

    let mut stream = None;
    let mut pictures = Vec::new();
    while pictures.len() < 12 {
        match next_media(&mut viewer, "the shared screen").await? {
            MediaEvent::Stream(info) => stream = Some(info),
            MediaEvent::Chunk { header, data } => {
                let info = stream
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("a chunk before its stream"))?;
                assert_eq!(
                    info.format.codec,
                    VideoCodec::Jpeg,
                    "the codec this viewer reads"
                );
                assert!(header.key, "every JPEG picture stands alone");
                let picture = Picture::from_jpeg(&data)?;
                assert_eq!(
                    (picture.width as u32, picture.height as u32),
                    (info.format.width, info.format.height),
                    "the picture has the announced size"
                );
                viewer.ack(header.seq)?;
                pictures.push(picture);
            }
            other => anyhow::bail!("unexpected {other:?}"),
        }
    }
    let last = pictures
        .last()
        .ok_or_else(|| anyhow::anyhow!("no picture"))?;
    assert_eq!(
        last.quarters(),
        [Colour::Red, Colour::Green, Colour::Blue, Colour::Yellow],
        "the technician sees the page's colours where the page painted them"
    );
    let positions: Vec<f64> = pictures.iter().filter_map(Picture::marker_x).collect();
    assert!(positions.len() >= 6, "the marker shows: {positions:?}");
    let moved = positions
        .windows(2)
        .filter(|w| (w[0] - w[1]).abs() > 0.01)
        .count();
    assert!(
        moved >= 3,
        "the marker moves from picture to picture: {positions:?}"
    );
    browser
        .call(
            "screenshot",
            json!({"path": artifacts_dir().join("sharing.png")}),
        )
        .await?;

    let started = event_of(&mut realtime, "the start", |d| {
        matches!(d, EventData::ScreenShareStarted { .. })
    })
    .await?;
    assert!(
        matches!(
            started,
            EventData::ScreenShareStarted {
                surface: ShareSurface::Browser,
                ..
            }
        ),
        "the technician hears what was shared: {started:?}"
    );

    // Stop sharing on the page stops it at once on both sides.
    browser.call("stop_sharing", json!({})).await?;
    loop {
        match next_media(&mut viewer, "the stop").await? {
            MediaEvent::Stopped { by, reason, .. } => {
                assert_eq!((by, reason), (Party::EndUser, StopReason::StoppedSharing));
                break;
            }
            // Pictures still on their way; the socket may already be closing.
            MediaEvent::Chunk { header, .. } => {
                let _ = viewer.ack(header.seq);
            }
            other => anyhow::bail!("unexpected {other:?}"),
        }
    }
    browser
        .call(
            "wait_text",
            json!({"text": "You stopped sharing your screen."}),
        )
        .await?;
    let transcript = technician.transcript_text(session_id).await?;
    assert!(
        transcript.contains("Screen view started: Erika shares a browser tab"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Screen view stopped by Erika (stopped sharing)"),
        "{transcript}"
    );
    browser.close().await?;
    service.terminate().await?;
    Ok(())
}

#[tokio::test]
async fn a_cancelled_picker_and_a_browser_without_screen_capture_tell_both_sides(
) -> anyhow::Result<()> {
    for (screen, reason, page_says) in [
        (
            "cancel",
            ShareFailure::PickerCancelled,
            "You did not choose anything to share",
        ),
        (
            "unsupported",
            ShareFailure::Unsupported,
            "This browser cannot share its screen, so",
        ),
    ] {
        let Scene {
            _data,
            service,
            technician,
            mut realtime,
            mut browser,
            session_id,
        } = asked_to_view(screen).await?;
        browser
            .call("wait_testid", json!({"testid": "consent-prompt"}))
            .await?;
        if screen == "unsupported" {
            let explained = browser
                .call("text", json!({"testid": "consent-explain"}))
                .await?;
            assert!(
                explained
                    .as_str()
                    .unwrap_or_default()
                    .contains("cannot share its screen"),
                "a phone's browser says so before anything is allowed: {explained}"
            );
        }
        browser.call("consent", json!({"accept": true})).await?;
        let failed = event_of(&mut realtime, "the failure", |d| {
            matches!(d, EventData::ScreenShareFailed { .. })
        })
        .await?;
        assert_eq!(failed, EventData::ScreenShareFailed { reason }, "{screen}");
        browser
            .call("wait_text", json!({"text": page_says}))
            .await?;
        // The chat goes on.
        browser
            .call("send", json!({"text": "Can we chat instead?"}))
            .await?;
        event_of(&mut realtime, "the message", |d| {
            matches!(
                d,
                EventData::Message {
                    from: Party::EndUser,
                    ..
                }
            )
        })
        .await?;
        let transcript = technician.transcript_text(session_id).await?;
        assert!(
            transcript.contains("Screen view not possible"),
            "{transcript}"
        );
        browser.close().await?;
        service.terminate().await?;
    }
    Ok(())
}
