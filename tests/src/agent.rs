//! The support-session app on a test's computer: the real `lifeline-agent` process with
//! its own state, autostart and downloads folders, and what it shows its user.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// `lifeline-agent` beside the running test binary (in `target/<profile>/`).
pub fn agent_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("lifeline-agent");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --bins` first",
        bin.display()
    );
    bin
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

/// Everything the agent has printed for the person at the computer.
#[derive(Clone, Default)]
pub struct Screen(Arc<Mutex<String>>);

impl Screen {
    pub fn watch(child: &mut Child) -> Self {
        let screen = Screen::default();
        let sink = screen.clone();
        let stdout = child.stdout.take().expect("piped stdout");
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut text = sink.0.lock().unwrap_or_else(PoisonError::into_inner);
                text.push_str(&line);
                text.push('\n');
            }
        });
        screen
    }
    pub fn text(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
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
