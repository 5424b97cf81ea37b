//! The support-session app on a test's computer: the real `lifeline-agent` process with
//! its own state, autostart and downloads folders, and what it shows its user.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

/// `lifeline-agent` beside the running test binary (in `target/<profile>/`).
pub fn agent_binary() -> PathBuf {
    crate::harness::binary("lifeline-agent").expect("run `cargo build --bins` first")
}

/// One end user's computer: a folder holding everything the agent may create.
pub struct Computer {
    pub dir: tempfile::TempDir,
}

impl Computer {
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            dir: tempfile::tempdir()?,
        })
    }
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }
    pub fn autostart_entry(&self) -> PathBuf {
        self.dir
            .path()
            .join("autostart")
            .join("lifeline-agent.desktop")
    }
    pub fn downloads(&self) -> PathBuf {
        self.dir.path().join("Downloads")
    }
    /// The arguments that keep the agent's state, autostart entry and downloads in
    /// this computer's folder.
    pub fn folder_args(&self) -> Vec<String> {
        let path = |p: PathBuf| p.display().to_string();
        vec![
            "--state-dir".to_owned(),
            path(self.state_dir()),
            "--autostart-entry".to_owned(),
            path(self.autostart_entry()),
            "--downloads".to_owned(),
            path(self.downloads()),
        ]
    }

    /// The agent in the terminal with these arguments and this computer's folders;
    /// stdin and stdout are piped, so a test types and reads as the person at the
    /// computer.
    pub fn agent(&self, args: &[&str]) -> Command {
        let mut command = Command::new(agent_binary());
        command
            .arg("--headless")
            .args(args)
            .args(self.folder_args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }
    /// The agent enrolling in `session` at `server` with `code`, as the end user runs it.
    pub fn enroll(&self, server: &str, session: &str, code: &str) -> Command {
        self.agent(&["--server", server, "--session", session, "--code", code])
    }
}

/// Polls `check` every 50 ms for up to 10 s.
pub async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    mut check: impl FnMut() -> F,
) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Everything the agent has printed for the person at the computer, prompts without a
/// line end included.
#[derive(Clone, Default)]
pub struct Screen(Arc<Mutex<Vec<u8>>>);

impl Screen {
    pub fn watch(child: &mut Child) -> Self {
        Self::of(child.stdout.take().expect("piped stdout"))
    }
    /// Everything written to `output`, as it arrives.
    pub fn of(mut output: impl tokio::io::AsyncRead + Unpin + Send + 'static) -> Self {
        let screen = Screen::default();
        let sink = screen.clone();
        tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            while let Ok(read @ 1..) = output.read(&mut chunk).await {
                sink.0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(&chunk[..read]);
            }
        });
        screen
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
    pub async fn shows(&self, what: &str) {
        wait_until(&format!("the agent shows {what:?}"), || {
            let shown = self.text().contains(what);
            async move { shown }
        })
        .await;
    }
}

/// Waits for the agent to exit, for up to 15 s.
pub async fn exits(child: &mut Child, what: &str) -> std::process::ExitStatus {
    tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .unwrap_or_else(|_| panic!("the agent did not exit after {what}"))
        .expect("wait")
}

/// The first event in `session_id` that `matches`, as `technician` sees it, waiting up
/// to 10 s.
pub async fn event_in(
    technician: &lifeline_client::ApiClient,
    session_id: uuid::Uuid,
    what: &str,
    matches: impl Fn(&lifeline_protocol::SessionEvent) -> bool,
) -> anyhow::Result<lifeline_protocol::SessionEvent> {
    for _ in 0..200 {
        if let Ok(events) = technician.events(session_id, 0).await {
            if let Some(event) = events.into_iter().find(|e| matches(e)) {
                return Ok(event);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("timed out waiting for {what}")
}

/// The SHA-256 of a file, in hex.
pub fn sha256(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(
        std::fs::read(path).expect("read file"),
    ))
}

/// Tina, an admin of Acme IT, signed in to `service`.
pub async fn tina(
    service: &crate::harness::InProcessService,
) -> anyhow::Result<lifeline_client::ApiClient> {
    let new = lifeline_protocol::NewTechnician {
        email: "tina@acme.test".into(),
        display_name: "Tina Tech".into(),
        password: "correct horse battery".into(),
        is_admin: true,
    };
    service.add_technician("Acme IT", new).await?;
    let technician = lifeline_client::ApiClient::new(&service.url)?;
    technician
        .login("tina@acme.test", "correct horse battery")
        .await?;
    Ok(technician)
}

/// Waits until `technician` sees a computer online in Ad Hoc Support Sessions.
pub async fn listed_online(technician: &lifeline_client::ApiClient) {
    wait_until("the computer is listed online", || {
        let technician = technician.clone();
        async move {
            technician
                .computers()
                .await
                .ok()
                .and_then(|groups| groups.into_iter().next())
                .is_some_and(|group| group.computers.iter().any(|c| c.online && c.live))
        }
    })
    .await;
}

/// A file each way between `technician` and the agent on `screen`, checked by SHA-256:
/// the technician's file must arrive in `received` on the computer, and the agent sends
/// a file of its own when typed `/send <as_agent_sees(path)>` on `keyboard`. The files
/// are written in `work`.
pub async fn files_both_ways(
    technician: &lifeline_client::ApiClient,
    session_id: uuid::Uuid,
    (screen, keyboard): (&Screen, &mut tokio::process::ChildStdin),
    (work, received): (&Path, &Path),
    as_agent_sees: impl Fn(&Path) -> String,
) -> anyhow::Result<()> {
    use lifeline_protocol::{EventData, Party};
    use tokio::io::AsyncWriteExt;
    let sent = work.join("driver-notes.txt");
    std::fs::write(
        &sent,
        "Reinstall the driver, then restart the spooler.\n".repeat(5000),
    )?;
    technician.upload_file(session_id, &sent, |_| {}).await?;
    screen.shows("Received the file driver-notes.txt").await;
    anyhow::ensure!(
        sha256(&received.join("driver-notes.txt")) == sha256(&sent),
        "the computer got the file intact"
    );

    let log = work.join("printer.log");
    std::fs::write(&log, "error 0x0000011b at spooler\n".repeat(3000))?;
    keyboard
        .write_all(format!("/send {}\n", as_agent_sees(&log)).as_bytes())
        .await?;
    let shared = event_in(
        technician,
        session_id,
        "the computer's file",
        |e| matches!(&e.data, EventData::FileShared { file } if file.from == Party::EndUser),
    )
    .await?;
    let EventData::FileShared { file } = shared.data else {
        unreachable!("filtered")
    };
    let fetched = work.join("fetched.log");
    technician.download_file(&file, &fetched, |_| {}).await?;
    anyhow::ensure!(
        sha256(&fetched) == sha256(&log),
        "the technician got the file intact"
    );
    Ok(())
}

/// A line each way between `technician` and the agent on `screen`: the technician's
/// greeting shows on the computer, and `reply` typed there reaches the technician.
pub async fn chat_both_ways(
    technician: &lifeline_client::ApiClient,
    session_id: uuid::Uuid,
    (screen, keyboard): (&Screen, &mut tokio::process::ChildStdin),
    reply: &str,
) -> anyhow::Result<()> {
    use lifeline_protocol::{EventData, Party};
    use tokio::io::AsyncWriteExt;
    // The greeting names the session, so on a screen that already showed an earlier
    // connection's greeting only this session's counts.
    let name = technician.me().await?.display_name;
    let greeting = format!(
        "Hello Erika, Tina here ({})",
        &session_id.simple().to_string()[..8]
    );
    technician
        .send_message(session_id, uuid::Uuid::new_v4(), &greeting)
        .await?;
    screen.shows(&format!("{name}: {greeting}")).await;
    keyboard.write_all(format!("{reply}\n").as_bytes()).await?;
    event_in(technician, session_id, "the reply from the computer", |e| {
        matches!(&e.data, EventData::Message { from: Party::EndUser, text, .. } if text == reply)
    })
    .await?;
    Ok(())
}

/// Moves `clock` past the 24 hours and has the service notice (Tina signs in again and
/// lists the computers): the computer must have left Ad Hoc Support Sessions.
pub async fn after_24_hours(
    clock: &lifeline_server::clock::ShiftedClock,
    technician: &lifeline_client::ApiClient,
) -> anyhow::Result<()> {
    clock.advance(Duration::from_secs(24 * 3600 + 60));
    technician
        .login("tina@acme.test", "correct horse battery")
        .await?;
    let groups = technician.computers().await?;
    anyhow::ensure!(
        groups[0].computers.is_empty(),
        "the computer left Ad Hoc Support Sessions"
    );
    Ok(())
}
