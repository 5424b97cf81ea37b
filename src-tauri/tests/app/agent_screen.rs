//! The agent as a screen sender under Xvfb: a technician connected to an ad-hoc
//! computer asks to see it, the person at the computer allows it, and a Rust viewer
//! decodes the agent's H.264 stream and sees the X screen's colours change; the
//! person's Stop ends it on both sides, and the transcript shows when it started and
//! stopped. `src-tauri/e2e/run` provides the display.

use std::time::Duration;

use anyhow::Context;
use lifeline_client::protocol::{
    ConsentKind, EventData, InputEvent, MediaRole, MediaSource, Party, PointerButton, ShareSurface,
    VideoCodec,
};
use lifeline_client::{MediaEvent, MediaSocket};
use lifeline_e2e::agent::{event_in, wait_until, Computer, Screen};
use openh264::decoder::Decoder;
use openh264::formats::YUVSource;
use tokio::io::AsyncWriteExt;

use crate::support::{prepared_adhoc, ADHOC_PASSWORD};

/// An enrolled agent in the terminal with a technician connected to its computer.
struct Connected {
    _service: lifeline_e2e::harness::InProcessService,
    technician: lifeline_client::ApiClient,
    connection: lifeline_client::protocol::SessionSummary,
    agent: tokio::process::Child,
    screen: Screen,
    keyboard: tokio::process::ChildStdin,
    _computer: Computer,
}

async fn connected_agent() -> anyhow::Result<Connected> {
    connected_agent_with(&[]).await
}

/// As [`connected_agent`], with more arguments for the agent.
async fn connected_agent_with(args: &[&str]) -> anyhow::Result<Connected> {
    let (service, technician, prepared) = prepared_adhoc().await?;
    let computer = Computer::new()?;
    let mut agent = computer
        .enroll(
            &service.url,
            &prepared.session.id.to_string(),
            &prepared.security_code,
        )
        .args(args)
        .spawn()?;
    let screen = Screen::watch(&mut agent);
    let keyboard = agent.stdin.take().context("piped stdin")?;
    screen.shows("Support session with").await;
    wait_until("the computer is online", || {
        let technician = technician.clone();
        async move {
            technician.computers().await.ok().is_some_and(|groups| {
                groups
                    .iter()
                    .any(|g| g.computers.iter().any(|c| c.online && c.live))
            })
        }
    })
    .await;
    let connection = technician
        .connect_adhoc(prepared.session.id, ADHOC_PASSWORD)
        .await?;
    screen.shows("is connected to this computer now").await;
    Ok(Connected {
        _service: service,
        technician,
        connection,
        agent,
        screen,
        keyboard,
        _computer: computer,
    })
}

/// The agent's stream, as the viewer hears of it within 20 s.
async fn stream_from_agent(
    viewer: &mut MediaSocket,
    screen: &Screen,
) -> anyhow::Result<lifeline_client::protocol::StreamInfo> {
    loop {
        match tokio::time::timeout(Duration::from_secs(20), viewer.next()).await {
            Ok(Some(MediaEvent::Stream(stream))) => return Ok(stream),
            Ok(Some(_)) => {}
            other => anyhow::bail!("no stream from the agent: {other:?}\n{}", screen.text()),
        }
    }
}

/// Paints the whole X screen one colour (the root window's background).
pub fn paint_root(colour: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new("xsetroot")
        .args(["-solid", colour])
        .status()
        .context("xsetroot (x11-xserver-utils)")?;
    anyhow::ensure!(status.success(), "xsetroot failed");
    Ok(())
}

/// Decodes chunks (acknowledging each) until a picture's centre is near `rgb`.
async fn wait_for_colour(
    viewer: &mut MediaSocket,
    decoder: &mut Decoder,
    rgb: [u8; 3],
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut last = None;
    loop {
        let event = tokio::time::timeout_at(deadline, viewer.next())
            .await
            .with_context(|| format!("no picture of {rgb:?}; the last centre was {last:?}"))?;
        let Some(MediaEvent::Chunk { header, data }) = event else {
            anyhow::ensure!(event.is_some(), "the media socket closed");
            continue;
        };
        for unit in openh264::nal_units(&data) {
            if let Some(yuv) = decoder.decode(unit)? {
                let (width, height) = yuv.dimensions();
                let mut pixels = vec![0u8; width * height * 3];
                yuv.write_rgb8(&mut pixels);
                let at = ((height / 2) * width + width / 2) * 3;
                last = Some([pixels[at], pixels[at + 1], pixels[at + 2]]);
            }
        }
        viewer.ack(header.seq)?;
        if last.is_some_and(|got: [u8; 3]| got.iter().zip(rgb).all(|(g, w)| g.abs_diff(w) < 40)) {
            return Ok(());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb and xsetroot: run src-tauri/e2e/run"]
async fn the_person_at_the_computer_allows_a_screen_view_and_stops_it() -> anyhow::Result<()> {
    paint_root("#d02020")?;
    let Connected {
        _service,
        technician,
        connection,
        mut agent,
        screen,
        mut keyboard,
        ..
    } = connected_agent().await?;

    // Nothing is sent before the person allows it.
    technician
        .request_consent(connection.id, ConsentKind::ViewScreen)
        .await?;
    screen.shows("asks to see your screen").await;
    let mut viewer = MediaSocket::connect(
        &technician,
        connection.id,
        MediaRole::Viewer,
        vec![VideoCodec::H264, VideoCodec::Jpeg],
    )
    .await?;
    keyboard.write_all(b"/allow\n").await?;
    let stream = stream_from_agent(&mut viewer, &screen).await?;
    assert_eq!(stream.format.source, MediaSource::Agent);
    // The picker's list, as a viewer that comes now hears it: the X screen is this
    // computer's one display.
    let mut second =
        MediaSocket::connect(&technician, connection.id, MediaRole::Viewer, Vec::new()).await?;
    let displays = loop {
        match tokio::time::timeout(Duration::from_secs(10), second.next()).await? {
            Some(MediaEvent::Displays(displays)) => break displays,
            Some(_) => {}
            None => anyhow::bail!("the viewer socket closed"),
        }
    };
    assert_eq!(displays.len(), 1, "{displays:?}");
    assert_eq!(displays[0].id, stream.format.display_id);
    assert_eq!((displays[0].width, displays[0].height), (1280, 800));
    second.close();
    assert_eq!(stream.format.surface, ShareSurface::Monitor);
    assert_eq!(
        stream.format.codec,
        VideoCodec::H264,
        "H.264 when the viewer decodes it"
    );
    assert_eq!(
        (stream.format.width, stream.format.height),
        (1280, 800),
        "the whole X screen"
    );
    screen.shows("is viewing this screen").await;

    let mut decoder = Decoder::new()?;
    wait_for_colour(&mut viewer, &mut decoder, [0xd0, 0x20, 0x20]).await?;
    paint_root("#2040e0")?;
    wait_for_colour(&mut viewer, &mut decoder, [0x20, 0x40, 0xe0]).await?;

    // Stop at the computer ends it for the technician at once.
    keyboard.write_all(b"/stop\n").await?;
    let stopped = loop {
        match tokio::time::timeout(Duration::from_secs(10), viewer.next()).await {
            Ok(Some(MediaEvent::Stopped { by, .. })) => break by,
            Ok(Some(_)) => {}
            other => anyhow::bail!("the view did not stop: {other:?}"),
        }
    };
    assert_eq!(stopped, Party::EndUser);
    screen.shows("no longer sees this screen").await;
    let started = event_in(&technician, connection.id, "viewing started", |e| {
        matches!(
            e.data,
            EventData::ScreenShareStarted {
                source: MediaSource::Agent,
                ..
            }
        )
    })
    .await?;
    let ended = event_in(&technician, connection.id, "viewing stopped", |e| {
        matches!(
            e.data,
            EventData::ScreenShareStopped {
                by: Party::EndUser,
                reason: lifeline_client::protocol::StopReason::StoppedSharing,
                ..
            }
        )
    })
    .await?;
    assert!(started.seq < ended.seq);
    viewer.close();
    keyboard.write_all(b"/end\n").await?;
    lifeline_e2e::agent::exits(&mut agent, "the agent after /end").await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb and xdotool: run src-tauri/e2e/run"]
async fn an_unattended_computer_is_shown_without_asking_and_an_attended_one_asks_until_a_timeout(
) -> anyhow::Result<()> {
    // The company's rule by default: ask when someone uses the computer. Here two
    // seconds without input count as nobody.
    let Connected {
        _service,
        technician,
        connection,
        mut agent,
        screen,
        mut keyboard,
        ..
    } = connected_agent_with(&["--away-after", "2", "--answer-within", "3"]).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    technician
        .request_consent(connection.id, ConsentKind::ViewScreen)
        .await?;
    let mut viewer =
        MediaSocket::connect(&technician, connection.id, MediaRole::Viewer, Vec::new()).await?;
    stream_from_agent(&mut viewer, &screen).await?;
    screen
        .shows("was let in without asking: nobody was using this computer")
        .await;
    event_in(&technician, connection.id, "the reason, in the chat", |e| {
        matches!(&e.data, EventData::Message { from: Party::EndUser, text, .. }
            if text.starts_with("Nobody is using this computer now"))
    })
    .await?;
    assert!(
        !screen.text().contains("asks to see your screen"),
        "nobody was asked"
    );
    viewer.stop()?;
    screen.shows("no longer sees this screen").await;

    // Someone moves the mouse: the next request waits for their answer.
    let moved = std::process::Command::new("xdotool")
        .args(["mousemove", "40", "40"])
        .status()
        .context("xdotool")?;
    anyhow::ensure!(moved.success(), "xdotool failed");
    technician
        .request_consent(connection.id, ConsentKind::ViewScreen)
        .await?;
    screen.shows("asks to see your screen").await;
    // Nobody answers: after three seconds the request is declined, and both sides read it.
    screen.shows("request in time, so it was declined").await;
    event_in(&technician, connection.id, "the decline", |e| {
        matches!(
            e.data,
            EventData::ConsentAnswered {
                accepted: false,
                ..
            }
        )
    })
    .await?;
    event_in(&technician, connection.id, "the reason, in the chat", |e| {
        matches!(&e.data, EventData::Message { from: Party::EndUser, text, .. }
            if text.starts_with("Nobody answered at the computer in time"))
    })
    .await?;
    viewer.close();
    keyboard.write_all(b"/end\n").await?;
    lifeline_e2e::agent::exits(&mut agent, "the agent after /end").await;
    Ok(())
}

/// `xev` in a window at `geometry` (`WxH+X+Y`): what it receives is written to `log`.
pub fn xev_window(log: &std::path::Path, geometry: &str) -> anyhow::Result<std::process::Child> {
    let out = std::fs::File::create(log)?;
    std::process::Command::new("xev")
        .args([
            "-geometry",
            geometry,
            "-event",
            "keyboard",
            "-event",
            "button",
        ])
        .stdout(out)
        .spawn()
        .context("xev (x11-utils)")
}

/// Runs `xset` (x11-xserver-utils) with `args`.
fn xset(args: &[&str]) -> anyhow::Result<()> {
    let status = std::process::Command::new("xset")
        .args(args)
        .status()
        .context("xset")?;
    anyhow::ensure!(status.success(), "xset {args:?} failed");
    Ok(())
}

/// The X clipboard's text, from `xclip`.
fn x_clipboard() -> anyhow::Result<String> {
    let out = std::process::Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .output()
        .context("xclip")?;
    Ok(String::from_utf8(out.stdout)?)
}

/// Copies `text` as a program on this computer would (`xclip` keeps it offered).
fn copy_on_x(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut child = std::process::Command::new("xclip")
        .args(["-i", "-selection", "clipboard"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("xclip")?;
    child
        .stdin
        .take()
        .context("xclip's input")?
        .write_all(text.as_bytes())?;
    child.wait()?;
    Ok(())
}

/// Where X has the pointer, from `xdotool getmouselocation`.
pub fn pointer_at() -> anyhow::Result<(i32, i32)> {
    let out = std::process::Command::new("xdotool")
        .arg("getmouselocation")
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |name: &str| -> anyhow::Result<i32> {
        let at = text.find(name).context("a coordinate")? + name.len();
        Ok(text[at..]
            .split_whitespace()
            .next()
            .context("a number")?
            .parse()?)
    };
    Ok((value("x:")?, value("y:")?))
}

/// Waits until `log` holds every one of `wanted`.
pub async fn logged(log: &std::path::Path, wanted: &[&str]) -> anyhow::Result<()> {
    for _ in 0..100 {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if wanted.iter().all(|w| text.contains(w)) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let missing: Vec<_> = wanted.iter().filter(|w| !text.contains(*w)).collect();
    let keys: Vec<&str> = text.lines().filter(|l| l.contains("keysym")).collect();
    anyhow::bail!("the test window never received {missing:?}; its keys: {keys:#?}")
}

fn key(code: &str, key: &str, pressed: bool) -> InputEvent {
    InputEvent::Key {
        code: code.into(),
        key: key.into(),
        pressed,
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb, xev and xdotool: run src-tauri/e2e/run"]
async fn the_technician_controls_the_computer_with_german_characters_until_stop(
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let log = dir.path().join("xev.log");
    let mut xev = xev_window(&log, "400x300+100+100")?;
    let Connected {
        _service,
        technician,
        connection,
        mut agent,
        screen,
        mut keyboard,
        ..
    } = connected_agent().await?;
    technician
        .request_consent(connection.id, ConsentKind::Control)
        .await?;
    screen.shows("asks to control your screen").await;
    let mut viewer =
        MediaSocket::connect(&technician, connection.id, MediaRole::Viewer, Vec::new()).await?;
    keyboard.write_all(b"/allow\n").await?;
    let stream = stream_from_agent(&mut viewer, &screen).await?;
    screen.shows("is controlling this screen").await;
    let display = stream.format.display_id.clone();
    let (width, height) = (
        f64::from(stream.format.width),
        f64::from(stream.format.height),
    );
    // The viewer keeps acknowledging, as a real one does, and sends the input.
    let control = viewer.control();
    let acks = viewer.control();
    let (copied_tx, mut copied) = tokio::sync::mpsc::unbounded_channel();
    let (blocked_tx, mut blocked) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut refusals = Vec::new();
        while let Some(event) = viewer.next().await {
            match event {
                MediaEvent::Chunk { header, .. } => {
                    let _ = acks.ack(header.seq);
                }
                MediaEvent::Clipboard(text) => {
                    let _ = copied_tx.send(text);
                }
                MediaEvent::Blocked(block) => {
                    let _ = blocked_tx.send(block);
                }
                MediaEvent::Refused(error) => refusals.push(error.code),
                MediaEvent::Stopped { by, .. } => return (refusals, Some(by)),
                MediaEvent::Closed => break,
                _ => {}
            }
        }
        (refusals, None)
    });

    // The pointer lands where the technician points, in the screen's own pixels.
    let at = |x: f64, y: f64| (x / (width - 1.0), y / (height - 1.0));
    let (x, y) = at(300.0, 250.0);
    control.send_input(InputEvent::PointerMove {
        display_id: display.clone(),
        x,
        y,
    })?;
    wait_until("the pointer moved", || async {
        pointer_at().is_ok_and(|p| p == (300, 250))
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

    // A German technician types a@€ßä (AltGr+Q, AltGr+E, the ß and ä keys), a dead key
    // that is ignored, then text typed as keys.
    for (code, character) in [
        ("KeyA", "a"),
        ("KeyQ", "@"),
        ("KeyE", "€"),
        ("Minus", "ß"),
        ("Quote", "ä"),
        ("Backquote", "Dead"),
    ] {
        control.send_input(key(code, character, true))?;
        control.send_input(key(code, character, false))?;
    }
    control.send_input(InputEvent::Text { text: "Hö".into() })?;
    logged(
        &log,
        &[
            "keysym 0x61, a)",
            "keysym 0x40, at)",
            "EuroSign)",
            "ssharp)",
            "adiaeresis)",
            "keysym 0x48, H)",
            "odiaeresis)",
        ],
    )
    .await?;

    // The clipboard both ways: the technician's text lands on this computer's clipboard,
    // and what is copied here reaches the technician.
    control.send_input(InputEvent::Clipboard {
        text: "Grüße aus Köln".into(),
    })?;
    wait_until("the technician's text is on the clipboard", || async {
        x_clipboard().is_ok_and(|text| text == "Grüße aus Köln")
    })
    .await;
    copy_on_x("kopiert am Computer")?;
    let from_computer = tokio::time::timeout(Duration::from_secs(10), copied.recv())
        .await
        .context("the computer's clipboard never reached the viewer")?;
    assert_eq!(from_computer.as_deref(), Some("kopiert am Computer"));

    // The screen locks (the X screen saver blanks it, as lockers do): the technician is
    // told in plain words, and told again when it is back.
    xset(&["s", "activate"])?;
    let locked = tokio::time::timeout(Duration::from_secs(10), blocked.recv())
        .await
        .context("the lock was never reported")?;
    assert_eq!(
        locked,
        Some(Some(lifeline_client::protocol::ControlBlock::ScreenLocked))
    );
    xset(&["s", "reset"])?;
    let back = tokio::time::timeout(Duration::from_secs(10), blocked.recv())
        .await
        .context("the unlock was never reported")?;
    assert_eq!(back, Some(None));

    // Stop at the computer ends control at once: the viewer hears it, and input on a
    // new viewer socket is refused with a typed error.
    keyboard.write_all(b"/stop\n").await?;
    let (_, stopped_by) = tokio::time::timeout(Duration::from_secs(10), reader).await??;
    assert_eq!(stopped_by, Some(Party::EndUser));
    screen.shows("no longer sees this screen").await;
    let mut again =
        MediaSocket::connect(&technician, connection.id, MediaRole::Viewer, Vec::new()).await?;
    again.send_input(InputEvent::PointerMove {
        display_id: display,
        x: 0.5,
        y: 0.5,
    })?;
    let refused = loop {
        match tokio::time::timeout(Duration::from_secs(10), again.next()).await? {
            Some(MediaEvent::Refused(error)) => break error.code,
            Some(_) => {}
            None => anyhow::bail!("the viewer socket closed"),
        }
    };
    assert_eq!(
        refused,
        lifeline_client::protocol::ErrorCode::ConsentRequired
    );
    assert_ne!(pointer_at()?, (640, 400), "the refused move did not happen");
    let _ = xev.kill();
    keyboard.write_all(b"/end\n").await?;
    lifeline_e2e::agent::exits(&mut agent, "the agent after /end").await;
    Ok(())
}
