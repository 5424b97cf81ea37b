//! Attended control end to end under Xvfb: the end user of a chat session allows
//! control on the join page (headless Chromium), downloads the Lifeline app it offers,
//! and runs it. The app joins the session without a code, takes the screen over from
//! the browser, shows it to the technician's viewer and takes a click, and when the
//! technician ends the session it exits and removes itself. A real `lifeline-server`
//! process hands out the `lifeline-agent` built beside it.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use anyhow::Context;
use lifeline_client::protocol::{
    ConsentKind, EventData, InputEvent, MediaRole, MediaSource, PointerButton, StopReason,
};
use lifeline_client::{ApiClient, MediaEvent, MediaSocket};
use lifeline_e2e::agent::{event_in, exits, wait_until, Screen};
use lifeline_e2e::puppet::Puppet;
use serde_json::json;

use crate::agent_screen::{logged, pointer_at, xev_window};
use crate::in_window::shot;
use crate::support::{binary, service, ADMIN_EMAIL, ADMIN_PASSWORD};

/// Runs a downloaded app in the terminal, with a home of its own in `home`.
fn run_download(
    program: &std::path::Path,
    home: &std::path::Path,
) -> anyhow::Result<tokio::process::Child> {
    std::fs::set_permissions(program, std::fs::Permissions::from_mode(0o755))?;
    Ok(tokio::process::Command::new(program)
        .arg("--headless")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?)
}

/// The viewer's socket once it shows the app's stream: earlier streams (the browser's)
/// stop when the app takes over, and the viewer connects again, as the session tab does.
async fn app_stream(
    technician: &ApiClient,
    session_id: uuid::Uuid,
    screen: &Screen,
) -> anyhow::Result<(MediaSocket, lifeline_client::protocol::StreamInfo)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut viewer =
            MediaSocket::connect(technician, session_id, MediaRole::Viewer, Vec::new()).await?;
        loop {
            let event = tokio::time::timeout_at(deadline, viewer.next())
                .await
                .with_context(|| format!("no stream from the app; it shows:\n{}", screen.text()))?;
            match event {
                Some(MediaEvent::Stream(stream)) if stream.format.source == MediaSource::Agent => {
                    return Ok((viewer, stream))
                }
                Some(MediaEvent::Stopped { .. } | MediaEvent::Closed) | None => break,
                Some(_) => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb, Chromium, xev and xdotool: run src-tauri/e2e/run"]
async fn request_control_hands_the_session_to_the_downloaded_app_which_removes_itself(
) -> anyhow::Result<()> {
    let service = service()?;
    let technician = ApiClient::new(&service.url)?;
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let session = technician.create_session(false).await?;
    let mut browser = Puppet::start().await?;
    browser
        .call("open", json!({"url": session.join_url, "screen": "tab"}))
        .await?;
    browser.call("join", json!({"name": "Erika"})).await?;

    // The technician asks for control; the end user allows it in the page, which shares
    // the tab and offers the app.
    technician
        .request_consent(session.id, ConsentKind::Control)
        .await?;
    browser.call("consent", json!({"accept": true})).await?;
    let downloaded = browser.call("download_app", json!({})).await?;
    let program = std::path::PathBuf::from(
        downloaded["path"]
            .as_str()
            .context("the saved download's path")?,
    );
    assert_eq!(downloaded["suggested_filename"], "lifeline-agent");
    event_in(&technician, session.id, "the download", |e| {
        matches!(e.data, EventData::AgentDownloaded { .. })
    })
    .await?;

    // It runs without a code and joins; the technician's viewer gets its screen.
    let dir = tempfile::tempdir()?;
    let log = dir.path().join("xev.log");
    let mut xev = xev_window(&log, "400x300+100+100")?;
    let mut app = run_download(&program, dir.path())?;
    let screen = Screen::watch(&mut app);
    let joined = event_in(&technician, session.id, "the app's arrival", |e| {
        matches!(e.data, EventData::AgentJoined { .. })
    })
    .await?;
    browser
        .call("wait_text", json!({"text": "The Lifeline app joined from"}))
        .await?;
    let (mut viewer, stream) = app_stream(&technician, session.id, &screen).await?;
    screen.shows("is controlling this screen").await;
    // The page shared its tab before the app arrived: the app took that over.
    let handover = event_in(&technician, session.id, "the handover", |e| {
        matches!(
            e.data,
            EventData::ScreenShareStopped {
                reason: StopReason::HandedToApp,
                ..
            }
        )
    })
    .await?;
    assert!(handover.seq > joined.seq, "the app joined, then took over");
    browser
        .call(
            "wait_text",
            json!({"text": "The Lifeline app shows your screen"}),
        )
        .await?;

    // The technician clicks in the test window, through the app.
    let display = stream.format.display_id.clone();
    let (width, height) = (
        f64::from(stream.format.width),
        f64::from(stream.format.height),
    );
    let acks = viewer.control();
    let control = viewer.control();
    let reader = tokio::spawn(async move {
        while let Some(event) = viewer.next().await {
            match event {
                MediaEvent::Chunk { header, .. } => {
                    let _ = acks.ack(header.seq);
                }
                MediaEvent::Stopped { reason, .. } => return Some(reason),
                MediaEvent::Closed => break,
                _ => {}
            }
        }
        None
    });
    let (x, y) = (250.0 / (width - 1.0), 200.0 / (height - 1.0));
    control.send_input(InputEvent::PointerMove {
        display_id: display.clone(),
        x,
        y,
    })?;
    wait_until("the pointer moved", || async {
        pointer_at().is_ok_and(|p| p == (250, 200))
    })
    .await;
    for pressed in [true, false] {
        control.send_input(InputEvent::PointerButton {
            display_id: display.clone(),
            x,
            y,
            button: PointerButton::Left,
            pressed,
        })?;
    }
    logged(&log, &["ButtonPress event", "ButtonRelease event"]).await?;
    let _ = xev.kill();

    // The technician ends the session: the stream stops, the app exits, and the
    // downloaded program is gone.
    technician.end_session(session.id).await?;
    let stopped = tokio::time::timeout(Duration::from_secs(10), reader).await??;
    assert_eq!(stopped, Some(StopReason::SessionEnded));
    let status = exits(&mut app, "the session's end").await;
    assert!(status.success(), "{status}; it showed:\n{}", screen.text());
    assert!(
        screen.text().contains("This app removed itself"),
        "{}",
        screen.text()
    );
    assert!(!program.exists(), "the download removed itself");
    let transcript = technician.transcript_text(session.id).await?;
    for line in [
        "Erika downloaded the Lifeline app (linux-x86_64)",
        "The Lifeline app joined from",
        "Screen view stopped by Erika (handed over to the Lifeline app)",
        "Remote control started: Lifeline Admin sees and controls Erika's screen",
        "Remote control ended by Lifeline Admin (the session ended)",
    ] {
        assert!(transcript.contains(line), "{line:?} in:\n{transcript}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())?
        .flatten()
        .map(|e| e.file_name())
        .filter(|name| name != "xev.log")
        .collect();
    assert!(leftovers.is_empty(), "the app created {leftovers:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb, a session bus, gnome-keyring, Chromium, xev and tauri-driver: run src-tauri/e2e/run"]
async fn the_session_tab_waits_for_the_app_then_controls_the_computer_through_it(
) -> anyhow::Result<()> {
    let service = service()?;
    let shots = std::env::var_os("LIFELINE_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("lifeline-window-shots"));
    std::fs::create_dir_all(&shots)?;
    let driver = lifeline_e2e::webdriver::Driver::start()?;
    let window = driver.open(&binary("lifeline-desktop")?).await?;
    window.type_into("#server-url", &service.url).await?;
    window.type_into("#email", ADMIN_EMAIL).await?;
    window.type_into("#password", ADMIN_PASSWORD).await?;
    window.click("#sign-in").await?;
    window.click("#start-session").await?;
    let join_url = window.text("#join-url").await?;
    let mut browser = Puppet::start().await?;
    browser
        .call("open", json!({"url": join_url.trim(), "screen": "tab"}))
        .await?;
    browser.call("join", json!({"name": "Erika"})).await?;

    // Request control: the end user allows it; the tab shows the browser's screen and
    // waits for the app.
    window.click("#request-control").await?;
    browser.call("consent", json!({"accept": true})).await?;
    window.find("#app-waiting").await?;
    let downloaded = browser.call("download_app", json!({})).await?;
    let program = std::path::PathBuf::from(downloaded["path"].as_str().context("a path")?);
    shot(&window, &shots, "12a-waiting-for-the-app").await?;

    // The app runs: the tab names the computer and shows its screen under control. The
    // app's window is not shown (terminal mode), so a test window sits in the strip
    // right of the desktop app's window.
    let dir = tempfile::tempdir()?;
    let log = dir.path().join("xev.log");
    let mut xev = xev_window(&log, "80x300+1195+50")?;
    let mut app = run_download(&program, dir.path())?;
    let screen = Screen::watch(&mut app);
    window.find("#app-running").await?;
    window
        .wait_for(
            "document.getElementById('screen-canvas')?.dataset.control === 'true' \
             && Number(document.getElementById('screen-canvas').dataset.pictures) > 0",
            "the app's screen under control",
        )
        .await?;
    crate::in_window::click_screen_point(&window, 1235, 200).await?;
    logged(&log, &["ButtonPress event", "ButtonRelease event"]).await?;
    shot(&window, &shots, "12b-controlling-through-the-app").await?;
    let _ = xev.kill();

    // Disconnect app: its screen goes, it exits and removes itself; the chat goes on.
    window.click("#cancel-app").await?;
    window
        .wait_for(
            "!document.getElementById('screen-canvas') && !document.getElementById('app-running')",
            "the app's screen and state gone",
        )
        .await?;
    let status = exits(&mut app, "Disconnect app").await;
    assert!(status.success(), "{status}; it showed:\n{}", screen.text());
    assert!(
        screen
            .text()
            .contains("The technician closed this app's access"),
        "{}",
        screen.text()
    );
    assert!(!program.exists(), "the download removed itself");
    browser
        .call(
            "wait_text",
            json!({"text": "no longer waits for the Lifeline app"}),
        )
        .await?;
    browser.close().await?;
    window.close().await?;
    Ok(())
}
