//! The real app window, end to end: a real service, the real keychain (gnome-keyring),
//! notification daemon (dunst) and X clipboard, driven over WebDriver, with the end user
//! in the real join page (headless Chromium through Playwright). `src-tauri/e2e/run`
//! provides the desktop session.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use lifeline_client::ApiClient;
use lifeline_e2e::puppet::Puppet;
use lifeline_e2e::webdriver::{Driver, ENTER};
use serde_json::json;

use crate::in_window::{save_file, send_file, sha256, shot};
use crate::support::{binary, service, ServiceProcess, ADMIN_EMAIL, ADMIN_PASSWORD};

fn output(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running {program}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Records the bodies of `Notify` calls on the session bus.
fn watch_notifications() -> anyhow::Result<(std::process::Child, Arc<Mutex<String>>)> {
    let mut child = Command::new("dbus-monitor")
        .args([
            "--session",
            "interface='org.freedesktop.Notifications',member='Notify'",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .context("dbus-monitor")?;
    let seen = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&seen);
    let stdout = child.stdout.take().context("stdout")?;
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let mut seen = sink.lock().unwrap_or_else(PoisonError::into_inner);
            seen.push_str(&line);
            seen.push('\n');
        }
    });
    Ok((child, seen))
}

/// An `xdg-open` that appends each URL it is given to `log`.
fn fake_xdg_open(dir: &Path, log: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;

    std::fs::create_dir_all(dir)?;
    let script = dir.join("xdg-open");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()),
    )?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// The first line written to `path`, waiting up to 20 s for it.
async fn wait_for_line(path: &Path) -> anyhow::Result<String> {
    let started = std::time::Instant::now();
    loop {
        if let Some(line) = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| text.lines().next().map(str::to_owned))
        {
            return Ok(line);
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(20),
            "nothing was opened"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The session's tab is in front and the window has the focus: the app marks the end
/// user's message read once, and then, while nobody does anything, neither it nor the
/// page sends anything that the service stores (counts, not timings).
async fn idle_front_tab_stores_nothing(
    service: &ServiceProcess,
    session_id: uuid::Uuid,
    end_user: &mut Puppet,
) -> anyhow::Result<()> {
    use lifeline_client::protocol::{EventData, Party};

    let admin = ApiClient::new(&service.url)?;
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    // Idle starts once each side has read the other's last message: a mark still on its
    // way (the page sends its marks 250 ms after an event) is not idle traffic.
    let events = admin.events(session_id, 0).await?;
    for (reader, author) in [
        (Party::Technician, Party::EndUser),
        (Party::EndUser, Party::Technician),
    ] {
        let message = events
            .iter()
            .rev()
            .find(|e| matches!(&e.data, EventData::Message { from, .. } if *from == author))
            .map(|e| e.seq)
            .context("a message from each side")?;
        lifeline_e2e::agent::event_in(&admin, session_id, "the read mark", |e| {
            matches!(&e.data, EventData::Read { by, up_to_seq } if *by == reader && *up_to_seq >= message)
        })
        .await?;
    }
    let before = admin.events(session_id, 0).await?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after = admin.events(session_id, 0).await?;
    assert_eq!(
        after.len(),
        before.len(),
        "10 s idle with the tab in front add no event: {:?}",
        &after[before.len().min(after.len())..]
    );
    let received = end_user.call("received_events", json!({})).await?;
    assert_eq!(
        received["read/technician"],
        json!(1),
        "the end user's page received one read mark, not a stream: {received}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb, a session bus, gnome-keyring, dunst and tauri-driver: run src-tauri/e2e/run"]
async fn a_technician_runs_a_whole_support_session_in_the_real_window() -> anyhow::Result<()> {
    let mut service = service()?;
    let app = binary("lifeline-desktop")?;
    let shots = std::env::var_os("LIFELINE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("lifeline-window-shots"));
    std::fs::create_dir_all(&shots)?;
    let files = tempfile::tempdir()?;
    // The OS's URL handler is replaced by one that writes down what it is asked to open,
    // so the opener plugin's real path (permission scope, then xdg-open) can be seen.
    let opened = files.path().join("opened.txt");
    let handlers = files.path().join("bin");
    fake_xdg_open(&handlers, &opened)?;
    let path = std::env::join_paths(std::iter::once(handlers).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))?;
    let driver = Driver::start_with_env([("PATH", path)])?;

    // Sign in with Remember me: the refresh token goes to the Secret Service.
    let window = driver.open(&app).await?;
    window.type_into("#server-url", &service.url).await?;
    window.type_into("#email", ADMIN_EMAIL).await?;
    window.type_into("#password", ADMIN_PASSWORD).await?;
    window.click("#remember").await?;
    shot(&window, &shots, "01-sign-in").await?;
    window.click("#sign-in").await?;
    window.find("#start-session").await?;
    shot(&window, &shots, "02-support").await?;
    let account = format!("{ADMIN_EMAIL}@{}", service.url);
    let token = output(
        "secret-tool",
        &["lookup", "service", "Lifeline", "username", &account],
    )?;
    assert!(token.len() > 20, "secret-tool reads the refresh token back");

    // A restart signs in silently.
    window.close().await?;
    let window = driver.open(&app).await?;
    window.find("#start-session").await?;

    // Start a session; copy its link to the X clipboard.
    window.click("#start-session").await?;
    let join_url = window.text("#join-url").await?;
    window.find("#countdown").await?;
    shot(&window, &shots, "03-session-waiting").await?;
    window.click("#copy-link").await?;
    window.find("#copied").await?;
    let clipboard = output("xclip", &["-o", "-selection", "clipboard"])?;
    assert_eq!(clipboard.trim(), join_url.trim(), "xclip -o gives the link");

    // Send SMS: a bad number is refused in place, a good one is confirmed by name.
    window.click("#send-sms").await?;
    window.type_into("#invite-to", "12").await?;
    window.click("#invite-send").await?;
    window
        .wait_for(
            "document.querySelector('#invite-to[aria-invalid=true]')",
            "the refusal",
        )
        .await?;
    window.type_into("#invite-to", "+49 151 12345678").await?;
    window.click("#invite-send").await?;
    let confirmation = window.text("#invite-sent").await?;
    assert!(confirmation.contains("+4915112345678"), "{confirmation}");
    shot(&window, &shots, "04-sms-sent").await?;
    window.click("#invite-done").await?;

    // Send email opens the OS mail client with a mailto: message holding the link; the
    // opener refuses every other kind of URL.
    window.click("#send-email").await?;
    let mailto = wait_for_line(&opened).await?;
    assert!(mailto.starts_with("mailto:?subject="), "{mailto}");
    // The link as encodeURIComponent writes it (it holds only letters, digits, `.`, `:`
    // and `/`).
    let encoded_link = join_url.trim().replace(':', "%3A").replace('/', "%2F");
    assert!(
        mailto.contains(&encoded_link),
        "the message holds the join link {encoded_link}: {mailto}"
    );
    for forbidden in [
        "file:///etc/passwd",
        "http://example.com/",
        "https://example.com/",
        "javascript:alert(1)",
    ] {
        let answer = window
            .run_async(
                "const [url, done] = arguments; \
                 window.__TAURI_INTERNALS__.invoke('plugin:opener|open_url', { url }) \
                 .then(() => done('opened'), (e) => done(String(e)));",
                json!([forbidden]),
            )
            .await?;
        assert_ne!(
            answer,
            json!("opened"),
            "the opener must refuse {forbidden}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&opened)?.lines().count(),
        1,
        "only the mailto: URL reached the OS"
    );

    let admin = ApiClient::new(&service.url)?;
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let outbox = admin.outbox().await?;
    assert!(
        outbox.iter().any(|m| m.to == "+4915112345678"),
        "the SMS is in the outbox"
    );

    // The end user arrives while another window has the focus: a notification. The app
    // has the focus first, wherever an earlier test left the pointer (with no window
    // manager, X gives the focus to the window under the pointer until one is set).
    output(
        "xdotool",
        &[
            "search",
            "--sync",
            "--name",
            "^Lifeline$",
            "windowfocus",
            "--sync",
        ],
    )?;
    let (mut monitor, notifications) = watch_notifications()?;
    let mut other = Command::new("xeyes").spawn().context("xeyes")?;
    output(
        "xdotool",
        &[
            "search",
            "--sync",
            "--class",
            "xeyes",
            "windowfocus",
            "--sync",
        ],
    )?;
    let key = join_url
        .rsplit('/')
        .next()
        .context("key in link")?
        .to_owned();
    let mut end_user = Puppet::start().await?;
    end_user.call("open", json!({ "url": join_url })).await?;
    let joined = end_user.call("join", json!({ "name": "Erika" })).await?;
    let session_id: uuid::Uuid = joined["session_id"]
        .as_str()
        .context("the page names its session")?
        .parse()?;
    anyhow::ensure!(join_url.ends_with(&key), "joined through the copied link");
    let started = std::time::Instant::now();
    while !notifications
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .contains("End user arrived")
    {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(15),
            "no arrival notification on D-Bus"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // It names the person and the session; a click on it (dunst's default action)
    // brings the app and that session to the front, wherever the app was.
    let said = notifications
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert!(
        said.contains(&format!(
            "Erika joined your support session {}",
            spaced(&key)
        )),
        "{said}"
    );
    window.click("#tab-support").await?;
    output("dunstctl", &["action", "0"])?;
    window
        .wait_for(
            &format!(
                "document.querySelector('.session-tab[aria-current=true]')?.dataset.session === '{session_id}'"
            ),
            "the session of the clicked notification in front",
        )
        .await?;
    let _ = other.kill();
    let _ = monitor.kill();
    output(
        "xdotool",
        &["search", "--sync", "--name", "^Lifeline$", "windowfocus"],
    )?;

    // Chat both ways.
    window.type_into("#message", "Hello Erika").await?;
    window.type_into("#message", ENTER).await?;
    end_user
        .call(
            "wait_message",
            json!({ "text": "Hello Erika", "from": "technician" }),
        )
        .await
        .context("Enter sends the message box")?;
    end_user
        .call("send", json!({ "text": "My <b>printer</b> is stuck" }))
        .await?;
    window
        .wait_for(
            "[...document.querySelectorAll('.message .text')].some(e => e.textContent === 'My <b>printer</b> is stuck')",
            "the end user's message, as text",
        )
        .await?;
    idle_front_tab_stores_nothing(&service, session_id, &mut end_user).await?;

    // The service goes away: the banner shows, the app reconnects and resumes by itself.
    service.restart_blocking()?;
    window
        .wait_for(
            "document.querySelector('#connection-lost')",
            "the connection-lost banner",
        )
        .await
        .or_else(|err| {
            // A fast restart may beat the banner; what counts is the resume below.
            eprintln!("{err:#}");
            anyhow::Ok(())
        })?;
    window
        .wait_for(
            "!document.querySelector('#connection-lost')",
            "the reconnect",
        )
        .await?;
    end_user
        .call("send", json!({ "text": "Still there?" }))
        .await?;
    window
        .wait_for(
            "[...document.querySelectorAll('.message .text')].some(e => e.textContent === 'Still there?')",
            "a message sent after the restart",
        )
        .await?;

    // Files both ways, with equal SHA-256s. The native pickers are replaced by calling
    // the same commands the pickers lead to.
    let outgoing = files.path().join("diagnostics.bin");
    std::fs::write(
        &outgoing,
        (0..1_500_000u32)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<_>>(),
    )?;
    send_file(&window, &session_id, &outgoing).await?;
    let received = end_user
        .call("download", json!({ "name": "diagnostics.bin" }))
        .await?;
    assert_eq!(
        received["sha256"],
        json!(sha256(&outgoing)?),
        "the end user's browser got the same bytes"
    );

    let incoming = files.path().join("screenshot-from-erika.bin");
    std::fs::write(
        &incoming,
        (0..700_000u32).map(|i| (i % 13) as u8).collect::<Vec<_>>(),
    )?;
    let uploaded = end_user.call("upload", json!({ "path": incoming })).await?;
    let file = json!({
        "id": uploaded["file_id"],
        "name": "screenshot-from-erika.bin",
        "size": 700_000,
        "sha256": sha256(&incoming)?,
        "from": "end_user",
    });
    window.find(".save-file").await?;
    let saved = files.path().join("saved-by-technician.bin");
    save_file(&window, &session_id, &file, &saved, 2).await?;
    assert_eq!(sha256(&saved)?, sha256(&incoming)?);
    shot(&window, &shots, "05-chat-and-files").await?;

    // Request a screen view; the end user declines.
    window.click("#request-view").await?;
    end_user.call("consent", json!({ "accept": false })).await?;
    window
        .wait_for(
            "document.querySelector('[data-consent=declined]')",
            "the declined view",
        )
        .await?;
    shot(&window, &shots, "06-view-declined").await?;

    // End the session after confirming; the transcript follows.
    window.click("#end-session").await?;
    window.click("#end-confirm").await?;
    let transcript = window.text("#transcript").await?;
    assert!(transcript.contains("Hello Erika"), "{transcript}");
    shot(&window, &shots, "07-transcript").await?;
    end_user.call("wait_ended", json!({})).await?;
    end_user.close().await?;

    // Change the password in Settings: a guessable one is refused in place, a good one
    // is taken, and it is the one that signs in from now on.
    window.click("#tab-settings").await?;
    let new_password = "lantern orbit velvet 42";
    window
        .type_into("#password-current", ADMIN_PASSWORD)
        .await?;
    window.type_into("#password-new", "Password1!").await?;
    window.type_into("#password-confirm", "Password1!").await?;
    window.click("#password-change").await?;
    let refused = window.text("#password-problem").await?;
    assert!(refused.contains("refused"), "{refused}");
    window.type_into("#password-new", new_password).await?;
    window.type_into("#password-confirm", new_password).await?;
    window.click("#password-change").await?;
    window.find("#password-changed").await?;
    shot(&window, &shots, "08-password-changed").await?;
    let check = lifeline_client::ApiClient::new(&service.url)?;
    assert!(check.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.is_err());
    check.login(ADMIN_EMAIL, new_password).await?;
    window.close().await?;
    Ok(())
}

/// A support key as people read it: `482 913 605`.
fn spaced(key: &str) -> String {
    key.as_bytes()
        .chunks(3)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
