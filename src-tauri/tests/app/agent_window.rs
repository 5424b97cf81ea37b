//! The agent's own window, as the person at the computer uses it: the security code (a
//! wrong one refused in place), the status with the technician and the end time, that
//! status again after a restart without the code, a wrong password reported, the
//! technician connected now, chat and files both ways, and End session, after which
//! everything the agent created is gone and the licence slot is free; then a second
//! session whose 24 hours run out while the window is open. The technician side is
//! `lifeline-client`, the service runs in-process so the test can move its clock.
//! `src-tauri/e2e/run` provides the desktop session.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use lifeline_client::protocol::{AdhocStatus, EventData, Party};
use lifeline_client::ApiClient;
use lifeline_e2e::agent::{event_in, Computer};
use lifeline_e2e::webdriver::{Driver, Window};
use serde_json::json;
use uuid::Uuid;

use crate::in_window::{invoke, sha256, shot};
use crate::support::{binary, first_admin, ADMIN_EMAIL, ADMIN_PASSWORD};
use lifeline_e2e::harness::InProcessService;

const PASSWORD: &str = "Sunny-Day-42";

/// The agent's window for `computer`, enrolling in `session` at `server`.
async fn open_agent(
    driver: &Driver,
    computer: &Computer,
    server: &str,
    session: Uuid,
) -> anyhow::Result<Window> {
    let mut args = vec![
        "--server".to_owned(),
        server.to_owned(),
        "--session".to_owned(),
        session.to_string(),
    ];
    args.extend(computer.folder_args());
    driver
        .open_with_args(&binary("lifeline-agent")?, &args)
        .await
}

fn lines_contain(text: &str) -> String {
    format!(
        "[...document.querySelectorAll('#lines li')].some(e => e.textContent.includes({}))",
        json!(text)
    )
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb, a session bus, gnome-keyring, dunst and tauri-driver: run src-tauri/e2e/run"]
async fn the_person_at_the_computer_enrolls_chats_and_ends_the_session_in_the_agent_window(
) -> anyhow::Result<()> {
    let service = InProcessService::start(|_| {}).await?;
    service.add_technician("Acme IT", first_admin()).await?;
    let technician = ApiClient::new(&service.url)?;
    let me = technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let prepared = technician
        .prepare_adhoc("erika@example.test", PASSWORD, PASSWORD, None)
        .await?;
    let adhoc_id = prepared.session.id;
    let shots = std::env::var_os("LIFELINE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("lifeline-window-shots"));
    std::fs::create_dir_all(&shots)?;
    let computer = Computer::new()?;
    // The computer's folder is the person's home, so the window names `~/Downloads`.
    let driver = Driver::start_with_env([("HOME", computer.dir.path())])?;

    // The code field. The technician's app is not there yet: the window says whom it
    // waits for. When the app answers (as the desktop app does by itself), a wrong code
    // is refused in place and nothing is created.
    let window = open_agent(&driver, &computer, &service.url, adhoc_id).await?;
    window.type_into("#security-code", "000 000 000").await?;
    window.click("#enroll").await?;
    let waiting = window.text("#enroll-waiting").await?;
    let name = &me.technician.display_name;
    assert!(
        waiting.contains(&format!(
            "Waiting for {name} to confirm from their Lifeline app"
        )),
        "{waiting}"
    );
    shot(&window, &shots, "12-agent-waiting").await?;
    technician.answer_enrollments_in_background(adhoc_id, prepared.secret.clone());
    let refusal = window.text("#agent-error").await?;
    assert!(refusal.contains("security code is not right"), "{refusal}");
    assert!(!computer.state_dir().exists() && !computer.autostart_entry().exists());
    window
        .run_async(
            "const [done] = arguments; const input = document.getElementById('security-code'); \
             input.value = ''; input.dispatchEvent(new Event('input', { bubbles: true })); done();",
            json!([]),
        )
        .await?;
    window
        .type_into("#security-code", &prepared.security_code)
        .await?;
    shot(&window, &shots, "12-agent-code").await?;
    window.click("#enroll").await?;

    // Enrolled: with whom and until when, online, nobody connected yet.
    window
        .wait_for(
            "document.getElementById('connected-now')?.textContent.includes('No technician is connected now')",
            "the agent online with nobody connected",
        )
        .await?;
    let status = window.text("#session-status").await?;
    assert!(
        status.contains(&format!("Connected to {name} until")),
        "{status}"
    );
    assert!(computer.state_dir().join("session.json").exists());
    assert!(computer.autostart_entry().exists());

    // A restart (as after a reboot) needs no code: the saved session carries on.
    window.close().await?;
    let window = open_agent(&driver, &computer, &service.url, adhoc_id).await?;
    window
        .wait_for(
            "document.getElementById('connected-now')?.textContent.includes('No technician is connected now')",
            "the session resumed after a restart",
        )
        .await?;
    assert!(window
        .text("#session-status")
        .await?
        .contains(&format!("Connected to {name} until")));

    // A wrong password is refused by the agent, and the person is told.
    let err = technician
        .connect_adhoc(adhoc_id, "Rainy-Day-42")
        .await
        .expect_err("a wrong password is refused");
    assert_eq!(
        err.code(),
        Some(lifeline_client::protocol::ErrorCode::WrongPassword)
    );
    let warning = window.text("#wrong-password").await?;
    assert!(
        warning.contains(&format!("tried to connect as {name} with a wrong password")),
        "{warning}"
    );

    // The right password: the window says who is connected now.
    let connection = technician.connect_adhoc(adhoc_id, PASSWORD).await?;
    window
        .wait_for(
            &format!(
                "document.getElementById('connected-now')?.textContent.includes({})",
                json!(format!("{name} is connected to this computer now"))
            ),
            "the technician connected now",
        )
        .await?;
    assert!(
        window
            .run(
                "return !document.getElementById('wrong-password');",
                json!([])
            )
            .await?
            .as_bool()
            == Some(true),
        "the warning goes once the right technician is in"
    );

    // Chat both ways.
    technician
        .send_message(connection.id, Uuid::new_v4(), "Hello Erika, Tina here")
        .await?;
    window
        .wait_for(
            &lines_contain("Hello Erika, Tina here"),
            "the technician's message",
        )
        .await?;
    window
        .type_into("#chat-input", "Hi, the printer is stuck")
        .await?;
    window.click("#chat-send").await?;
    event_in(&technician, connection.id, "the reply from the window", |e| {
        matches!(&e.data, EventData::Message { from: Party::EndUser, text, .. } if text == "Hi, the printer is stuck")
    })
    .await?;
    // The window read the technician's message once; idle, it stores nothing more.
    event_in(&technician, connection.id, "the agent's read mark", |e| {
        matches!(
            e.data,
            EventData::Read {
                by: Party::EndUser,
                ..
            }
        )
    })
    .await?;
    let before = technician.events(connection.id, 0).await?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after = technician.events(connection.id, 0).await?;
    assert_eq!(
        after.len(),
        before.len(),
        "10 s idle add no event: {:?}",
        &after[before.len().min(after.len())..]
    );
    let reads = after
        .iter()
        .filter(|e| {
            matches!(
                e.data,
                EventData::Read {
                    by: Party::EndUser,
                    ..
                }
            )
        })
        .count();
    assert_eq!(reads, 1, "one read mark for one message");

    // Files both ways with equal SHA-256s (the native picker replaced by its command).
    let sent = computer.dir.path().join("driver-notes.bin");
    std::fs::write(
        &sent,
        (0..700_000u32).map(|i| (i % 241) as u8).collect::<Vec<_>>(),
    )?;
    technician.upload_file(connection.id, &sent, |_| {}).await?;
    window
        .wait_for(
            &lines_contain("Received driver-notes.bin"),
            "the file arriving",
        )
        .await?;
    assert_eq!(
        sha256(&computer.downloads().join("driver-notes.bin"))?,
        sha256(&sent)?
    );
    let log = computer.dir.path().join("printer.log");
    std::fs::write(&log, "error 0x0000011b at spooler\n".repeat(3000))?;
    let refused = invoke(
        &window,
        "send_file",
        json!({ "path": computer.dir.path().join("missing.txt") }),
    )
    .await?;
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("missing.txt")),
        "a missing file is named: {refused}"
    );
    invoke(&window, "send_file", json!({ "path": log })).await?;
    window
        .wait_for(&lines_contain("Sent printer.log"), "the file sent")
        .await?;
    let shared = event_in(
        &technician,
        connection.id,
        "the computer's file",
        |e| matches!(&e.data, EventData::FileShared { file } if file.from == Party::EndUser),
    )
    .await?;
    let EventData::FileShared { file } = shared.data else {
        unreachable!("filtered")
    };
    let fetched = computer.dir.path().join("fetched.log");
    technician.download_file(&file, &fetched, |_| {}).await?;
    assert_eq!(sha256(&fetched)?, sha256(&log)?);
    shot(&window, &shots, "13-agent-connected").await?;

    // End session, after a confirmation: everything goes and the slot is free.
    window.click("#end-session").await?;
    window.click("#end-keep").await?;
    window.find("#session-status").await?;
    window.click("#end-session").await?;
    window.find("#end-dialog").await?;
    window.click("#end-confirm").await?;
    let ended = window.text("#ended").await?;
    assert!(ended.contains("The session has ended"), "{ended}");
    assert!(
        !computer.state_dir().exists() && !computer.autostart_entry().exists(),
        "the credentials and the autostart entry are gone"
    );
    shot(&window, &shots, "14-agent-ended").await?;
    let sessions = technician.adhoc_sessions().await?;
    let session = sessions
        .iter()
        .find(|s| s.id == adhoc_id)
        .context("the ad-hoc session")?;
    assert_eq!(session.status, AdhocStatus::Ended);
    assert_eq!(technician.licence_slots().await?.used, 0);
    window.close().await?;

    // A second session, left running: when its 24 hours are over the window says so,
    // and everything is gone again.
    let again = technician
        .prepare_adhoc("erika@example.test", PASSWORD, PASSWORD, None)
        .await?;
    // The technician's app answers the agent's enrollment, as the desktop app does.
    technician.answer_enrollments_in_background(again.session.id, again.secret.clone());
    let window = open_agent(&driver, &computer, &service.url, again.session.id).await?;
    window
        .type_into("#security-code", &again.security_code)
        .await?;
    window.click("#enroll").await?;
    window.find("#session-status").await?;
    service.clock.advance(Duration::from_secs(24 * 3600 + 60));
    // The session reads as expired at once; the service's sweep tells the agent within
    // a second. The technician signs in again: their tokens ran out with the day.
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    technician.computers().await?;
    let expired = window.text("#ended").await?;
    assert!(expired.contains("24 hours are over"), "{expired}");
    assert!(!computer.state_dir().exists() && !computer.autostart_entry().exists());
    assert_eq!(technician.licence_slots().await?.used, 0);

    // Close: the app exits.
    let state_dir = computer.state_dir().display().to_string();
    assert!(
        agent_running(&state_dir),
        "the agent runs until it is closed"
    );
    // The click's answer may be lost with the window; the process is what counts.
    if let Err(err) = window.click("#close-window").await {
        eprintln!("closing the window: {err}");
    }
    for _ in 0..100 {
        if !agent_running(&state_dir) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the agent still runs after its window was closed")
}

/// Whether a process runs with `arg` on its command line (the agent of one computer).
fn agent_running(arg: &str) -> bool {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return false;
    };
    processes.flatten().any(|process| {
        std::fs::read(process.path().join("cmdline")).is_ok_and(|cmdline| {
            cmdline
                .split(|&b| b == 0)
                .any(|part| part == arg.as_bytes())
        })
    })
}
