//! Ad hoc support in the real window: the invite email through a real SMTP server, the
//! real `lifeline-agent` enrolling with the code read off the screen, the Computers page,
//! Connect with a wrong and then the right password, chat, files and system
//! information, and End session from the Computers page, after which the agent removes
//! itself; then a second session whose 24 hours run out (the service runs in-process so
//! the test can move its clock). `src-tauri/e2e/run` provides the desktop session.

use std::path::PathBuf;

use anyhow::Context;
use lifeline_client::ApiClient;
use lifeline_e2e::agent::{exits, Computer, Screen};
use lifeline_e2e::smtp::SmtpServer;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::in_window::{save_file, send_file, sha256, shot};
use crate::support::{binary, first_admin, ADMIN_EMAIL, ADMIN_PASSWORD};
use lifeline_e2e::harness::InProcessService;
use lifeline_e2e::webdriver::{Driver, ENTER};
use lifeline_server::config::{SmtpConfig, SmtpTls};

const PASSWORD: &str = "Sunny-Day-42";

/// The ad-hoc session id from the download link in the invite email.
fn session_in(mail: &str) -> anyhow::Result<String> {
    // Quoted-printable bodies break long lines with a trailing "=".
    let mail = mail.replace("=\r\n", "").replace("=\n", "");
    let at = mail
        .find("/adhoc/")
        .context("a download link in the email")?;
    let id: String = mail[at + "/adhoc/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
        .collect();
    anyhow::ensure!(id.len() == 36, "a session id in the link: {id}");
    Ok(id)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb, a session bus, gnome-keyring, dunst and tauri-driver: run src-tauri/e2e/run"]
async fn a_technician_gives_adhoc_support_through_the_wizard_and_the_computers_page_in_the_real_window(
) -> anyhow::Result<()> {
    let mut smtp = SmtpServer::start().await?;
    let service = InProcessService::start(|config| {
        config.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: smtp.port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "Lifeline <support@acme.test>".into(),
        });
    })
    .await?;
    service.add_technician("Acme IT", first_admin()).await?;
    let app = binary("lifeline-desktop")?;
    let shots = std::env::var_os("LIFELINE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("lifeline-window-shots"));
    std::fs::create_dir_all(&shots)?;
    let driver = Driver::start()?;
    let window = driver.open(&app).await?;
    window.type_into("#server-url", &service.url).await?;
    window.type_into("#email", ADMIN_EMAIL).await?;
    window.type_into("#password", ADMIN_PASSWORD).await?;
    window.click("#sign-in").await?;
    window.find("#start-session").await?;

    // The wizard: email, password twice; a weak password is refused in place.
    window.click("#tab-adhoc").await?;
    window
        .type_into("#adhoc-email", "erika@example.test")
        .await?;
    window.type_into("#adhoc-password", "password12").await?;
    window
        .type_into("#adhoc-confirmation", "password12")
        .await?;
    window.click("#adhoc-submit").await?;
    let refusal = window.text("#adhoc-error").await?;
    assert!(refusal.contains("too easy to guess"), "{refusal}");
    window
        .run_async(
            "const [done] = arguments; for (const id of ['adhoc-password', 'adhoc-confirmation']) { \
             const input = document.getElementById(id); input.value = ''; \
             input.dispatchEvent(new Event('input', { bubbles: true })); } done();",
            json!([]),
        )
        .await?;
    window.type_into("#adhoc-password", PASSWORD).await?;
    window.type_into("#adhoc-confirmation", PASSWORD).await?;
    shot(&window, &shots, "08-adhoc-wizard").await?;
    window.click("#adhoc-submit").await?;
    let code = window.text("#security-code").await?;
    window.find("#code-warning").await?;
    window.find("#adhoc-waiting").await?;
    shot(&window, &shots, "09-adhoc-code").await?;

    // Leaving asks first, because the code will not be shown again.
    window.click("#tab-support").await?;
    window.find("#leave-dialog").await?;
    window.click("#leave-stay").await?;
    window.find("#security-code").await?;

    // The invite went out through SMTP with the download link.
    let mail = smtp.received_text("/adhoc/").await?;
    assert!(mail.contains("erika@example.test"), "{mail}");
    let session = session_in(&mail)?;

    // The real agent: a wrong code is refused, the right one enrolls.
    let computer = Computer::new()?;
    let wrong = computer
        .enroll(&service.url, &session, "000 000 000")
        .output()
        .await?;
    assert_eq!(wrong.status.code(), Some(2), "a wrong code is refused");
    let mut agent = computer.enroll(&service.url, &session, &code).spawn()?;
    let screen = Screen::watch(&mut agent);
    let mut keyboard = agent.stdin.take().context("piped stdin")?;
    window.find("#adhoc-activated").await?;

    // The computer is listed online under Ad Hoc Support Sessions, with its time left.
    window.click("#open-computers").await?;
    window
        .wait_for(
            "document.querySelector('[data-group=adhoc] .computer [data-online=true]')",
            "the computer online in Ad Hoc Support Sessions",
        )
        .await?;
    let left = window.text("[data-group=adhoc] .time-left").await?;
    assert!(left.contains("24 h") || left.contains("23 h"), "{left}");
    shot(&window, &shots, "10-computers").await?;

    // Connect: a wrong password is refused by the agent, the right one opens a tab.
    window.click("[data-group=adhoc] .connect").await?;
    window
        .type_into("#connect-password", "Rainy-Day-42")
        .await?;
    window.click("#connect-submit").await?;
    let refused = window.text("#connect-error").await?;
    assert!(refused.contains("refused the password"), "{refused}");
    screen.shows("was refused: the password was wrong").await;
    window.type_into("#connect-password", PASSWORD).await?;
    window.click("#connect-submit").await?;
    window.find("#sys-user").await?;
    screen.shows("is connected to this computer now").await;
    let user = window.text("#sys-user").await?;
    assert!(!user.trim().is_empty(), "the logged-in user is shown");
    assert!(!window.text("#sys-memory").await?.is_empty());

    // Chat both ways.
    window.type_into("#message", "Hello Erika").await?;
    window.type_into("#message", ENTER).await?;
    screen.shows("Hello Erika").await;
    keyboard
        .write_all(b"Hi Tina, the printer is stuck\n")
        .await?;
    window
        .wait_for(
            "[...document.querySelectorAll('.message .text')].some(e => e.textContent === 'Hi Tina, the printer is stuck')",
            "the reply typed at the computer",
        )
        .await?;

    // Screen view: the person at the computer allows it, and the tab shows the agent's
    // X screen. The app's own window covers the screen's top-left, so the bottom-right
    // corner shows the root window's colour.
    crate::agent_screen::paint_root("#20a040")?;
    window.click("#request-view").await?;
    screen.shows("asks to see your screen").await;
    keyboard.write_all(b"/allow\n").await?;
    window
        .wait_for(
            "Number(document.getElementById('screen-canvas')?.dataset.pictures ?? 0) > 0",
            "the agent's screen on the canvas",
        )
        .await?;
    let corner = window
        .run(
            "const c = document.getElementById('screen-canvas'); \
             return Array.from(c.getContext('2d').getImageData(c.width - 8, c.height - 8, 1, 1).data.slice(0, 3));",
            json!([]),
        )
        .await?;
    let near = |rgb: &serde_json::Value, want: [u64; 3]| {
        (0..3).all(|i| rgb[i].as_u64().unwrap_or(999).abs_diff(want[i]) < 40)
    };
    assert!(
        near(&corner, [0x20, 0xa0, 0x40]),
        "the root's green: {corner}"
    );
    shot(&window, &shots, "11a-agent-screen").await?;
    keyboard.write_all(b"/stop\n").await?;
    window
        .wait_for(
            "!document.getElementById('screen-canvas')",
            "the view stopped at the computer",
        )
        .await?;

    // Control: a click in the viewer lands in a test window on the computer's screen.
    // The app's own window covers the top-left 1180 × 760 of the 1280 × 800 screen, so
    // the test window sits in the strip to its right.
    let xev_log = computer.dir.path().join("xev.log");
    let mut xev = crate::agent_screen::xev_window(&xev_log, "80x300+1195+50")?;
    window.click("#request-control").await?;
    screen.shows("asks to control your screen").await;
    keyboard.write_all(b"/allow\n").await?;
    window
        .wait_for(
            "document.getElementById('screen-canvas')?.dataset.control === 'true' \
             && Number(document.getElementById('screen-canvas').dataset.pictures) > 0",
            "the agent's screen under control",
        )
        .await?;
    // A click where the screen's point (1235, 200) is drawn.
    crate::in_window::click_screen_point(&window, 1235, 200).await?;
    crate::agent_screen::logged(&xev_log, &["ButtonPress event", "ButtonRelease event"]).await?;
    shot(&window, &shots, "11b-agent-control").await?;
    keyboard.write_all(b"/stop\n").await?;
    window
        .wait_for(
            "!document.getElementById('screen-canvas')",
            "control stopped at the computer",
        )
        .await?;
    let _ = xev.kill();

    // Files both ways, with equal SHA-256s (the native pickers replaced by their commands).
    let session_id = window
        .run_async(
            "const [done] = arguments; done(document.querySelector('.session-tab').dataset.session);",
            json!([]),
        )
        .await?;
    let outgoing = computer.dir.path().join("driver-notes.bin");
    std::fs::write(
        &outgoing,
        (0..900_000u32).map(|i| (i % 239) as u8).collect::<Vec<_>>(),
    )?;
    send_file(&window, &session_id, &outgoing).await?;
    screen.shows("Received the file driver-notes.bin").await;
    assert_eq!(
        sha256(&computer.downloads().join("driver-notes.bin"))?,
        sha256(&outgoing)?,
        "the computer got the same bytes"
    );
    let log = computer.dir.path().join("printer.log");
    std::fs::write(&log, "error 0x0000011b at spooler\n".repeat(4000))?;
    keyboard
        .write_all(format!("/send {}\n", log.display()).as_bytes())
        .await?;
    window.find(".save-file").await?;
    let technician = ApiClient::new(&service.url)?;
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let session_id: uuid::Uuid = session_id.as_str().context("session id")?.parse()?;
    let events = technician.events(session_id, 0).await?;
    let file = events
        .iter()
        .find_map(|e| match &e.data {
            lifeline_client::protocol::EventData::FileShared { file }
                if file.from == lifeline_client::protocol::Party::EndUser =>
            {
                Some(file.clone())
            }
            _ => None,
        })
        .context("the computer's file in the session")?;
    let saved = computer.dir.path().join("saved-by-technician.log");
    save_file(&window, &session_id, &file, &saved, 2).await?;
    assert_eq!(sha256(&saved)?, sha256(&log)?);
    shot(&window, &shots, "11-computer-connection").await?;

    // End session from the Computers page: the agent removes everything and exits, the
    // computer leaves the group and the licence slot is free again.
    window.click("#tab-computers").await?;
    window.click("[data-group=adhoc] .end-adhoc").await?;
    window.click("#end-adhoc-confirm").await?;
    let status = exits(&mut agent, "the technician ended the session").await;
    assert!(status.success(), "{status:?}");
    assert!(!computer.state_dir().exists() && !computer.autostart_entry().exists());
    window
        .wait_for(
            "!document.querySelector('[data-group=adhoc] .computer')",
            "the computer leaving Ad Hoc Support Sessions",
        )
        .await?;
    assert_eq!(technician.licence_slots().await?.used, 0);

    // A second session runs out: 24 hours after activation the computer leaves the
    // group in the window, the agent removes everything and exits, the slot is free.
    let again = technician
        .prepare_adhoc("erika@example.test", PASSWORD, PASSWORD, None)
        .await?;
    // The technician's app answers the agent's enrollment, as the desktop app does.
    technician.answer_enrollments_in_background(again.session.id, again.secret.clone());
    let mut agent = computer
        .enroll(
            &service.url,
            &again.session.id.to_string(),
            &again.security_code,
        )
        .spawn()?;
    window
        .wait_for(
            "document.querySelector('[data-group=adhoc] .computer [data-online=true]')",
            "the second session's computer online",
        )
        .await?;
    service
        .clock
        .advance(std::time::Duration::from_secs(24 * 3600 + 60));
    // The service expires sessions every minute and before answering; this asks now.
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    technician.computers().await?;
    window
        .wait_for(
            "!document.querySelector('[data-group=adhoc] .computer')",
            "the computer leaving Ad Hoc Support Sessions at expiry",
        )
        .await?;
    let status = exits(&mut agent, "the 24 hours ran out").await;
    assert!(status.success(), "{status:?}");
    assert!(
        !computer.state_dir().exists() && !computer.autostart_entry().exists(),
        "the agent's files and autostart entry are gone"
    );
    assert_eq!(technician.licence_slots().await?.used, 0);
    window.close().await?;
    Ok(())
}
