//! The real `lifeline-agent` process against the service, in-process on a real socket so
//! the test can move the service's clock 24 hours ahead.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use lifeline_client::ApiClient;
use lifeline_protocol::{NewTechnician, PrepareAdhocRequest};
use lifeline_server::clock::ShiftedClock;
use tokio::process::{Child, Command};

const PASSWORD: &str = "Sunny-Day-42";

fn agent_binary() -> PathBuf {
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

struct Computer {
    dir: tempfile::TempDir,
}

impl Computer {
    fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }
    fn autostart_entry(&self) -> PathBuf {
        self.dir
            .path()
            .join("autostart")
            .join("lifeline-agent.desktop")
    }
    fn agent(&self, args: &[&str]) -> Command {
        let mut command = Command::new(agent_binary());
        command
            .args(args)
            .arg("--state-dir")
            .arg(self.state_dir())
            .arg("--autostart-entry")
            .arg(self.autostart_entry())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }
}

async fn wait_until<F: std::future::Future<Output = bool>>(
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

async fn exits(child: &mut Child, what: &str) -> std::process::ExitStatus {
    tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .unwrap_or_else(|_| panic!("the agent did not exit after {what}"))
        .expect("wait")
}

#[tokio::test]
async fn the_agent_enrolls_stays_listed_and_removes_itself_when_the_24_hours_are_over(
) -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let mut config = lifeline_server::Config::for_data_dir(data.path());
    config.listen = "127.0.0.1:0".parse()?;
    config.public_url = "http://127.0.0.1:0".parse()?;
    let clock = ShiftedClock::default();
    let listener = lifeline_server::bind(&mut config).await?;
    let state = lifeline_server::build_state(config, Arc::new(clock.clone())).await?;
    let server = lifeline_server::start(listener, state).await?;
    let url = server.url();
    let new = NewTechnician {
        email: "tina@acme.test".into(),
        display_name: "Tina Tech".into(),
        password: "correct horse battery".into(),
        is_admin: true,
    };
    lifeline_server::admin::add_technician(&server.state.store, "Acme IT", new, server.state.now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let technician = ApiClient::new(&url)?;
    technician
        .login("tina@acme.test", "correct horse battery")
        .await?;

    let prepared = technician
        .prepare_adhoc(&PrepareAdhocRequest {
            email: "erika@example.test".into(),
            password: PASSWORD.into(),
            password_confirmation: PASSWORD.into(),
            locale: None,
        })
        .await?;
    let session = prepared.session.id.to_string();
    let computer = Computer {
        dir: tempfile::tempdir()?,
    };

    // A wrong code is refused, and nothing is left on the computer.
    let wrong = computer
        .agent(&[
            "--server",
            &url,
            "--session",
            &session,
            "--code",
            "000 000 000",
        ])
        .output()
        .await?;
    assert_eq!(
        wrong.status.code(),
        Some(2),
        "a wrong code fails: {}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("security code"),
        "and says why"
    );
    assert!(
        !computer.state_dir().exists() && !computer.autostart_entry().exists(),
        "nothing created"
    );

    // The right code enrolls; the agent stays connected and the computer is listed.
    let mut agent = computer
        .agent(&[
            "--server",
            &url,
            "--session",
            &session,
            "--code",
            &prepared.security_code,
        ])
        .spawn()?;
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
    assert!(
        computer.state_dir().join("session.json").exists(),
        "credentials kept for the 24 hours"
    );
    let entry = std::fs::read_to_string(computer.autostart_entry())?;
    assert!(
        entry.contains("Exec=") && entry.contains("--state-dir"),
        "starts again after a reboot: {entry}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(computer.state_dir().join("session.json"))?
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "credentials are readable by this user only"
        );
    }

    // 24 hours later the session expires: the agent removes everything and exits.
    clock.advance(Duration::from_secs(24 * 3600 + 60));
    technician
        .login("tina@acme.test", "correct horse battery")
        .await?;
    let groups = technician.computers().await?;
    assert!(
        groups[0].computers.is_empty(),
        "the computer left Ad Hoc Support Sessions"
    );
    let status = exits(&mut agent, "expiry").await;
    assert!(status.success(), "the agent exits cleanly: {status:?}");
    assert!(!computer.state_dir().exists(), "its files are gone");
    assert!(
        !computer.autostart_entry().exists(),
        "its autostart entry is gone"
    );
    assert_eq!(
        technician.licence_slots().await?.used,
        0,
        "the slot is free again"
    );

    // The person at the computer can end a session too.
    let again = technician
        .prepare_adhoc(&PrepareAdhocRequest {
            email: "erika@example.test".into(),
            password: PASSWORD.into(),
            password_confirmation: PASSWORD.into(),
            locale: Some("de".into()),
        })
        .await?;
    let session = again.session.id.to_string();
    let mut agent = computer
        .agent(&[
            "--server",
            &url,
            "--session",
            &session,
            "--code",
            &again.security_code,
        ])
        .spawn()?;
    wait_until("enrolled", || {
        let path = computer.state_dir().join("session.json");
        async move { path.exists() }
    })
    .await;
    let ended = computer.agent(&["--end"]).output().await?;
    assert!(
        ended.status.success(),
        "--end works: {}",
        String::from_utf8_lossy(&ended.stderr)
    );
    let status = exits(&mut agent, "the end user ended it").await;
    assert!(status.success());
    assert!(!computer.state_dir().exists() && !computer.autostart_entry().exists());
    assert_eq!(technician.licence_slots().await?.used, 0);
    server
        .shutdown()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
