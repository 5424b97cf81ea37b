use std::time::Duration;

use lifeline_client::{ApiClient, RealtimeClient, RealtimeEvent, RealtimeOptions};
use lifeline_protocol::{ConsentKind, EventData, Party, SessionEvent};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use lifeline_e2e::harness::ServiceProcess;
use lifeline_e2e::puppet::{artifacts_dir, Puppet};

async fn next_event(
    rt: &mut RealtimeClient,
    what: &str,
    matches: impl Fn(&SessionEvent) -> bool,
) -> SessionEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let event = tokio::time::timeout_at(deadline, rt.next())
            .await
            .unwrap_or_else(|_| panic!("the technician waited in vain for {what}"))
            .unwrap_or_else(|| panic!("realtime stream ended while waiting for {what}"));
        if let RealtimeEvent::Event(event) = event {
            if matches(&event) {
                return event;
            }
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

struct Scene {
    _data: tempfile::TempDir,
    service: ServiceProcess,
    technician: ApiClient,
    realtime: RealtimeClient,
    browser: Puppet,
}

async fn scene() -> anyhow::Result<Scene> {
    let data = tempfile::tempdir()?;
    let service = ServiceProcess::start(data.path(), 0).await?;
    let technician = service.admin().await?;
    let realtime = RealtimeClient::connect(technician.clone(), RealtimeOptions::default());
    let browser = Puppet::start().await?;
    Ok(Scene {
        _data: data,
        service,
        technician,
        realtime,
        browser,
    })
}

#[tokio::test]
async fn an_end_user_joins_by_link_chats_swaps_files_declines_a_view_and_sees_the_end(
) -> anyhow::Result<()> {
    let Scene {
        _data,
        service,
        technician,
        mut realtime,
        mut browser,
    } = scene().await?;
    let session = technician.create_session(false).await?;

    browser
        .call(
            "open",
            json!({"url": session.join_url, "viewport": {"width": 390, "height": 844}}),
        )
        .await?;
    browser
        .call(
            "screenshot",
            json!({"path": artifacts_dir().join("join-phone.png")}),
        )
        .await?;
    let joined = browser
        .call("join", json!({"name": "Erika Mustermann"}))
        .await?;
    assert_eq!(
        joined["session_id"],
        json!(session.id.to_string()),
        "the link opened this session"
    );
    let arrival = next_event(&mut realtime, "the arrival", |e| {
        matches!(e.data, EventData::EndUserJoined { .. })
    })
    .await;
    assert!(
        matches!(arrival.data, EventData::EndUserJoined { name: Some(ref n) } if n == "Erika Mustermann")
    );

    // Chat both ways; markup a person typed stays text.
    technician
        .send_message(session.id, Uuid::new_v4(), "Hello Erika, I am Tina.")
        .await?;
    browser
        .call(
            "wait_message",
            json!({"text": "Hello Erika, I am Tina.", "from": "technician"}),
        )
        .await?;
    let tricky = "<img src=x onerror=alert(1)> is just text";
    technician
        .send_message(session.id, Uuid::new_v4(), tricky)
        .await?;
    browser
        .call(
            "wait_message",
            json!({"text": tricky, "from": "technician"}),
        )
        .await?;
    browser
        .call("send", json!({"text": "Hi Tina, my printer is offline."}))
        .await?;
    // The page marks the technician's messages read as soon as they show, which may be
    // before or after its own message arrives: wait for both, in either order.
    let (mut reply, mut read) = (None, None);
    while reply.is_none() || read.is_none() {
        let event = next_event(&mut realtime, "the end user's message and read mark", |e| {
            matches!(
                e.data,
                EventData::Message {
                    from: Party::EndUser,
                    ..
                } | EventData::Read {
                    by: Party::EndUser,
                    ..
                }
            )
        })
        .await;
        match event.data {
            EventData::Message { text, .. } => reply = Some(text),
            EventData::Read { up_to_seq, .. } => read = Some(up_to_seq),
            _ => {}
        }
    }
    assert_eq!(reply.as_deref(), Some("Hi Tina, my printer is offline."));
    assert!(
        read.is_some_and(|seq| seq > 0),
        "the page marked messages read"
    );

    // The technician's file reaches the browser byte for byte.
    let work = tempfile::tempdir()?;
    let driver: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let driver_path = work.path().join("printer-driver.zip");
    std::fs::write(&driver_path, &driver)?;
    let shared = technician
        .upload_file(session.id, &driver_path, |_| {})
        .await?;
    let downloaded = browser
        .call("download", json!({"name": "printer-driver.zip"}))
        .await?;
    assert_eq!(
        downloaded["sha256"],
        json!(sha256_hex(&driver)),
        "same SHA-256 in the browser"
    );
    assert_eq!(downloaded["sha256"], json!(shared.sha256));

    // The end user's file reaches the technician byte for byte.
    let log: Vec<u8> = b"printer log line\n".repeat(5000);
    let log_path = work.path().join("printer.log");
    std::fs::write(&log_path, &log)?;
    browser.call("upload", json!({"path": log_path})).await?;
    let offered = next_event(
        &mut realtime,
        "the end user's file",
        |e| matches!(&e.data, EventData::FileShared { file } if file.from == Party::EndUser),
    )
    .await;
    let EventData::FileShared { file } = offered.data else {
        unreachable!()
    };
    let saved = work.path().join("received.log");
    technician.download_file(&file, &saved, |_| {}).await?;
    assert_eq!(
        sha256_hex(&std::fs::read(&saved)?),
        sha256_hex(&log),
        "same SHA-256 at the technician"
    );

    // A view request, declined.
    technician
        .request_consent(session.id, ConsentKind::ViewScreen)
        .await?;
    browser
        .call(
            "screenshot",
            json!({"path": artifacts_dir().join("consent-phone.png")}),
        )
        .await?;
    browser.call("consent", json!({"accept": false})).await?;
    let answer = next_event(&mut realtime, "the consent answer", |e| {
        matches!(e.data, EventData::ConsentAnswered { .. })
    })
    .await;
    assert!(matches!(
        answer.data,
        EventData::ConsentAnswered {
            accepted: false,
            kind: ConsentKind::ViewScreen,
            ..
        }
    ));

    browser
        .call("viewport", json!({"width": 1280, "height": 800}))
        .await?;
    browser
        .call(
            "screenshot",
            json!({"path": artifacts_dir().join("chat-desktop.png")}),
        )
        .await?;

    // The technician ends it; the page shows it ended and nothing more can be sent.
    technician.end_session(session.id).await?;
    let ended = browser.call("wait_ended", json!({})).await?;
    assert!(
        !ended["text"].as_str().unwrap_or_default().is_empty(),
        "the page says the session ended"
    );
    browser
        .call(
            "screenshot",
            json!({"path": artifacts_dir().join("ended-desktop.png")}),
        )
        .await?;
    let transcript = technician.transcript_text(session.id).await?;
    assert!(
        transcript.contains("Erika Mustermann: Hi Tina, my printer is offline."),
        "{transcript}"
    );

    browser.close().await?;
    service.terminate().await?;
    Ok(())
}

#[tokio::test]
async fn an_end_user_types_the_key_joins_and_ends_the_session_from_the_page() -> anyhow::Result<()>
{
    let Scene {
        _data,
        service,
        technician,
        mut realtime,
        mut browser,
    } = scene().await?;

    browser
        .call(
            "open",
            json!({"url": format!("{}/join", service.url), "locale": "de-DE"}),
        )
        .await?;
    let unknown = browser
        .call("enter_key", json!({"key": "000 000 000"}))
        .await?;
    assert_eq!(
        unknown["state"],
        json!("key_unknown"),
        "an unknown key is said to be unknown: {unknown}"
    );
    browser
        .call(
            "screenshot",
            json!({"path": artifacts_dir().join("unknown-key-de.png")}),
        )
        .await?;

    let session = technician.create_session(false).await?;
    let typed = browser
        .call("enter_key", json!({"key": session.support_key_display}))
        .await?;
    assert_eq!(
        typed["view"],
        json!("join"),
        "a good key leads to the join step: {typed}"
    );
    browser.call("join", json!({})).await?;
    next_event(&mut realtime, "the arrival", |e| {
        matches!(e.data, EventData::EndUserJoined { .. })
    })
    .await;

    browser.call("send", json!({"text": "Hallo!"})).await?;
    next_event(
        &mut realtime,
        "the message",
        |e| matches!(&e.data, EventData::Message { text, .. } if text == "Hallo!"),
    )
    .await;
    browser.call("reload", json!({})).await?;
    browser
        .call(
            "wait_message",
            json!({"text": "Hallo!", "from": "end_user"}),
        )
        .await?;
    let after_reload = browser.call("messages", json!({})).await?;
    let hallos = after_reload.as_array().map_or(0, |m| {
        m.iter().filter(|b| b["text"] == json!("Hallo!")).count()
    });
    assert_eq!(
        hallos, 1,
        "after a reload the chat shows each message once: {after_reload}"
    );

    browser.call("end", json!({})).await?;
    let ended = next_event(&mut realtime, "the end", |e| {
        matches!(e.data, EventData::SessionEnded { .. })
    })
    .await;
    assert!(matches!(
        ended.data,
        EventData::SessionEnded { by: Party::EndUser }
    ));
    let err = technician
        .send_message(session.id, Uuid::new_v4(), "still there?")
        .await
        .expect_err("ended");
    assert_eq!(err.code(), Some(lifeline_protocol::ErrorCode::SessionEnded));

    browser.close().await?;
    service.terminate().await?;
    Ok(())
}

#[tokio::test]
async fn the_link_of_an_ended_session_says_so() -> anyhow::Result<()> {
    let Scene {
        _data,
        service,
        technician,
        realtime,
        mut browser,
    } = scene().await?;
    realtime.close();
    let session = technician.create_session(false).await?;
    technician.end_session(session.id).await?;
    let opened = browser
        .call("open", json!({"url": session.join_url}))
        .await?;
    assert_eq!(
        opened["view"],
        json!("key"),
        "the page offers to enter another key: {opened}"
    );
    let text = browser.call("text", json!({"testid": "key-state"})).await?;
    assert!(
        text.as_str().unwrap_or_default().contains("has ended"),
        "the page explains the session ended: {text}"
    );
    browser.close().await?;
    let status = service.terminate().await?;
    assert!(
        status.success(),
        "SIGTERM shuts the service down cleanly: {status:?}"
    );
    Ok(())
}

/// The events of each kind that `rt` receives within `window`, as `type/by` counts.
async fn marks_received_within(
    rt: &mut RealtimeClient,
    window: Duration,
) -> std::collections::BTreeMap<String, u32> {
    let mut counts = std::collections::BTreeMap::new();
    let deadline = tokio::time::Instant::now() + window;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, rt.next()).await {
        if let RealtimeEvent::Event(event) = event {
            let key = match event.data {
                EventData::Read { by, .. } => format!("read/{}", by.as_str()),
                EventData::Delivered { by, .. } => format!("delivered/{}", by.as_str()),
                _ => "other".to_owned(),
            };
            *counts.entry(key).or_default() += 1;
        }
    }
    counts
}

#[tokio::test]
async fn an_idle_visible_join_page_sends_one_read_mark_and_then_nothing() -> anyhow::Result<()> {
    let Scene {
        _data,
        service,
        technician,
        mut realtime,
        mut browser,
    } = scene().await?;
    let session = technician.create_session(false).await?;
    browser
        .call("open", json!({"url": session.join_url}))
        .await?;
    browser.call("join", json!({"name": "Erika"})).await?;
    let focus = browser.call("focus_state", json!({})).await?;
    assert_eq!(
        focus,
        json!({"visible": true, "focused": true}),
        "the page is in front, as a person reading it"
    );

    technician
        .send_message(session.id, Uuid::new_v4(), "Is the printer on?")
        .await?;
    next_event(&mut realtime, "the page's read mark", |e| {
        matches!(
            e.data,
            EventData::Read {
                by: Party::EndUser,
                ..
            }
        )
    })
    .await;
    browser.call("send", json!({"text": "Yes, it is."})).await?;
    let reply = next_event(&mut realtime, "the end user's reply", |e| {
        matches!(
            e.data,
            EventData::Message {
                from: Party::EndUser,
                ..
            }
        )
    })
    .await;
    realtime.read(session.id, reply.seq);
    next_event(
        &mut realtime,
        "the technician's own read mark, stored",
        |e| {
            matches!(
                e.data,
                EventData::Read {
                    by: Party::Technician,
                    ..
                }
            )
        },
    )
    .await;

    // From here on nobody does anything: nothing may be stored or sent.
    let before = technician.events(session.id, 0).await?;
    let seen_by_technician = marks_received_within(&mut realtime, Duration::from_secs(10)).await;
    let after = technician.events(session.id, 0).await?;
    assert_eq!(
        after.len(),
        before.len(),
        "10 s idle add no event: {:?}",
        &after[before.len().min(after.len())..]
    );
    assert_eq!(
        seen_by_technician.get("read/end_user"),
        None,
        "the page answers no mark with a mark: {seen_by_technician:?}"
    );
    let received = browser.call("received_events", json!({})).await?;
    assert_eq!(
        received["read/technician"],
        json!(1),
        "the page received one read mark, not a stream: {received}"
    );
    assert_eq!(
        received["read/end_user"],
        json!(1),
        "the page's own read mark was stored once: {received}"
    );
    browser.close().await?;
    service.terminate().await?;
    Ok(())
}
