//! The Windows support-session download under Wine (Debian's `wine64`): the one file the
//! service hands out, renamed by the browser, installs for the user alone and runs the
//! agent, which falls back to its terminal without WebView2, enrolls with the security
//! code, chats, sends files both ways and, at the end, removes its autostart value, its
//! credentials folder and the installed copy. `scripts/package` builds the download
//! and runs this:
//!
//! ```sh
//! LIFELINE_WINDOWS_DOWNLOAD=target/packages/lifeline-support-session-setup.exe \
//! LIFELINE_WINE_SYSTEM_DLLS=target/packaging/windows/bcryptprimitives.dll \
//!   cargo test -p lifeline-e2e --test e2e windows -- --ignored
//! ```

use std::path::PathBuf;
use std::process::Stdio;

use anyhow::Context;
use lifeline_e2e::agent::{
    after_24_hours, chat_both_ways, exits, files_both_ways, listed_online, tina, wait_until, Screen,
};
use lifeline_e2e::harness::InProcessService;
use lifeline_e2e::wine::{windows_path, WinePrefix};
use tokio::io::AsyncWriteExt;

const PASSWORD: &str = "Sunny-Day-42";
const RUN_KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";
const RUN_VALUE: &str = "Lifeline support session";

fn env_path(name: &str) -> anyhow::Result<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .with_context(|| format!("{name} names the file to test"))
}

/// Whether a program whose command line holds all of `parts` runs (Wine shows the
/// Windows command line as the process's arguments).
fn running(parts: &[&str]) -> bool {
    std::process::Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .is_ok_and(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|line| parts.iter().all(|part| line.contains(part)))
        })
}

#[tokio::test]
#[ignore = "needs the Windows download and wine64: scripts/package runs it"]
async fn the_windows_download_enrolls_chats_sends_files_and_removes_itself_under_wine(
) -> anyhow::Result<()> {
    let installer = env_path("LIFELINE_WINDOWS_DOWNLOAD")?;
    let system_dlls: Vec<PathBuf> = std::env::var_os("LIFELINE_WINE_SYSTEM_DLLS")
        .map(|dlls| std::env::split_paths(&dlls).collect())
        .unwrap_or_default();
    let agents = tempfile::tempdir()?;
    std::fs::copy(
        &installer,
        agents.path().join("lifeline-agent-windows-x86_64.exe"),
    )?;
    let agents_dir = agents.path().to_owned();
    let service = InProcessService::start(|config| config.agents_dir = agents_dir).await?;
    let (url, clock) = (service.url.clone(), &service.clock);
    let technician = tina(&service).await?;
    let prepared = technician
        .prepare_adhoc("erika@example.test", PASSWORD, PASSWORD, None)
        .await?;
    technician.answer_enrollments_in_background(prepared.session.id, prepared.secret.clone());
    let adhoc_id = prepared.session.id;

    // The end user downloads the app from the invitation's page; the browser already
    // had one, so this one is "(1)".
    let windows = WinePrefix::new(&system_dlls).await?;
    let user_downloads = windows.profile()?.join("Downloads");
    std::fs::create_dir_all(&user_downloads)?;
    let download = user_downloads.join("lifeline-agent (1).exe");
    let bytes = reqwest::get(format!("{url}/adhoc/{adhoc_id}/agent/windows-x86_64"))
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    std::fs::write(&download, &bytes)?;

    // Run as it is: it installs into the user's local app data and starts the agent
    // with the download's path. Without WebView2 the agent asks in a console.
    let installed = windows.local_app_data()?.join("Lifeline support session");
    // (Under Wine the agent inherits the installer's input and output: the test keeps
    // its input open, so the agent waits for the code, and reads what it says.)
    let mut installer = windows
        .command(&download)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let _unanswered = installer.stdin.take();
    let said = Screen::of(installer.stderr.take().context("piped stderr")?);
    let asked = Screen::watch(&mut installer);
    let status = installer.wait().await?;
    assert!(status.success(), "the installer ran: {status:?}");
    assert!(
        installed.join("lifeline-agent.exe").is_file()
            && installed.join("WebView2Loader.dll").is_file(),
        "installed with its loader into {}",
        installed.display()
    );
    said.shows("Microsoft Edge WebView2, which this computer lacks")
        .await;
    asked.shows("Security code:").await;
    assert!(
        running(&["lifeline-agent.exe", "--installed", "--download", "(1).exe"]),
        "the installer started the installed agent with the download's path, and the \
         agent read its session from that renamed file and waits for the code: {}",
        said.text()
    );
    windows.stop_all().await;

    // The same agent, with its console's input and output in the test's hands.
    let received_dir = tempfile::tempdir()?;
    let mut agent = windows
        .command(installed.join("lifeline-agent.exe"))
        .arg("--installed")
        .arg("--download")
        .arg(windows_path(&download))
        .arg("--downloads")
        .arg(windows_path(received_dir.path()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let screen = Screen::watch(&mut agent);
    let mut keyboard = agent.stdin.take().context("piped stdin")?;
    keyboard
        .write_all(format!("{}\n", prepared.security_code).as_bytes())
        .await?;
    screen.shows("Support session with Tina Tech until").await;
    assert!(
        screen.text().contains("Security code:"),
        "it asked for the code in the terminal: {}",
        screen.text()
    );
    listed_online(&technician).await;
    let state_dir = windows.local_app_data()?.join("lifeline-agent");
    assert!(
        state_dir.join("session.json").is_file(),
        "credentials kept under %LOCALAPPDATA%"
    );
    let autostart = windows
        .registry_value(RUN_KEY, RUN_VALUE)
        .await?
        .context("an autostart value under HKCU\\...\\Run")?;
    assert!(
        autostart.contains(r"Lifeline support session\lifeline-agent.exe")
            && autostart.contains("--state-dir")
            && autostart.contains("--installed"),
        "it starts the installed copy again after a reboot: {autostart}"
    );

    // The technician connects: chat both ways.
    let session = technician.connect_adhoc(adhoc_id, PASSWORD).await?;
    screen
        .shows("Tina Tech is connected to this computer now")
        .await;
    chat_both_ways(
        &technician,
        session.id,
        (&screen, &mut keyboard),
        "Hi Tina, Outlook will not start",
    )
    .await?;

    // Files both ways, with equal SHA-256s.
    let work = tempfile::tempdir()?;
    files_both_ways(
        &technician,
        session.id,
        (&screen, &mut keyboard),
        (work.path(), received_dir.path()),
        windows_path,
    )
    .await?;
    technician.end_session(session.id).await?;

    // 24 hours later the session is over: the agent removes what it set up and exits.
    after_24_hours(clock, &technician).await?;
    let status = exits(&mut agent, "the end of the session").await;
    assert!(
        status.success(),
        "the agent exits cleanly: {status:?}: {}",
        screen.text()
    );
    assert!(
        windows.registry_value(RUN_KEY, RUN_VALUE).await?.is_none(),
        "the autostart value is gone"
    );
    assert!(!state_dir.exists(), "the credentials folder is gone");
    wait_until("the installed copy is removed", || {
        let gone = !installed.exists();
        async move { gone }
    })
    .await;
    assert!(
        download.exists(),
        "the download stays the user's to keep or delete"
    );
    windows.stop_all().await;
    service.shutdown().await
}
