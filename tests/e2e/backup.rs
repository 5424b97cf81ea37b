//! Backup and restore with the real `lifeline-server` processes: a backup taken by the
//! CLI while a technician and an end user chat and upload, restored into a new data
//! directory, and a new service on it that has every message and finished file that
//! was acknowledged before the backup began, and lets the technician sign in.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lifeline_client::ApiClient;
use lifeline_protocol::{EventData, FileInfo};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use uuid::Uuid;

use lifeline_e2e::harness::{server_binary, ServiceProcess};

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What the traffic had acknowledged, in the order it was acknowledged.
#[derive(Default)]
struct Acknowledged {
    messages: Vec<String>,
    files: Vec<(FileInfo, String)>,
}

/// Sends messages from both sides and uploads a file every few messages until `stop`.
async fn traffic(
    technician: ApiClient,
    end_user: ApiClient,
    session_id: Uuid,
    work: &Path,
    acknowledged: Arc<Mutex<Acknowledged>>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let (who, text) = if n.is_multiple_of(2) {
            (&technician, format!("technician message {n}"))
        } else {
            (&end_user, format!("end user message {n}"))
        };
        who.send_message(session_id, Uuid::new_v4(), &text).await?;
        acknowledged.lock().await.messages.push(text);
        if n.is_multiple_of(7) {
            let bytes: Vec<u8> = (0..(40_000 + n * 997)).map(|i| (i * n) as u8).collect();
            let path = work.join(format!("file-{n}.bin"));
            std::fs::write(&path, &bytes)?;
            let shared = who.upload_file(session_id, &path, |_| {}).await?;
            acknowledged
                .lock()
                .await
                .files
                .push((shared, sha256_hex(&bytes)));
        }
    }
    Ok(())
}

async fn cli(args: &[&std::ffi::OsStr]) -> anyhow::Result<String> {
    let output = tokio::process::Command::new(server_binary()?)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    anyhow::ensure!(
        output.status.success(),
        "lifeline-server {args:?} failed: {said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(said)
}

#[tokio::test]
async fn a_backup_under_live_traffic_restores_into_a_working_service() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (live_dir, restored_dir) = (dir.path().join("live"), dir.path().join("restored"));
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work)?;
    let live = ServiceProcess::start(&live_dir, 0).await?;
    let technician = live.admin().await?;
    let session = technician.create_session(false).await?;
    let end_user = ApiClient::new(&live.url)?;
    let joined = end_user
        .join(session.support_key.as_str(), Some("Erika"))
        .await?;

    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let running = {
        let (technician, end_user, acknowledged, stop, work) = (
            technician.clone(),
            end_user.clone(),
            Arc::clone(&acknowledged),
            Arc::clone(&stop),
            work.clone(),
        );
        tokio::spawn(async move {
            traffic(
                technician,
                end_user,
                joined.session_id,
                &work,
                acknowledged,
                stop,
            )
            .await
        })
    };
    // Let traffic build up, then take the backup while it goes on.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = {
        let acknowledged = acknowledged.lock().await;
        (acknowledged.messages.clone(), acknowledged.files.clone())
    };
    let backup_file = dir.path().join("lifeline-backup.tar.gz");
    let said = cli(&[
        "backup".as_ref(),
        "--to".as_ref(),
        backup_file.as_os_str(),
        "--data-dir".as_ref(),
        live_dir.as_os_str(),
    ])
    .await?;
    assert!(said.contains("and the key file"), "{said}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    running.await??;
    let (messages_before, files_before) = before;
    assert!(
        messages_before.len() >= 10 && !files_before.is_empty(),
        "traffic ran before the backup: {} messages, {} files",
        messages_before.len(),
        files_before.len()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup_file)?.permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the backup holds the key: private to its owner"
        );
    }

    let refused = tokio::process::Command::new(server_binary()?)
        .args(["restore", "--from"])
        .arg(&backup_file)
        .arg("--data-dir")
        .arg(&live_dir)
        .output()
        .await?;
    assert!(
        !refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("not empty"),
        "a restore never overwrites a data directory"
    );
    cli(&[
        "restore".as_ref(),
        "--from".as_ref(),
        backup_file.as_os_str(),
        "--data-dir".as_ref(),
        restored_dir.as_os_str(),
    ])
    .await?;
    live.terminate().await?;

    let restored = ServiceProcess::start(&restored_dir, 0).await?;
    let technician = restored.admin().await?;
    let events = technician.events(session.id, 0).await?;
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Message { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    for message in &messages_before {
        assert_eq!(
            texts.iter().filter(|t| *t == message).count(),
            1,
            "{message:?} is in the restored service, once"
        );
    }
    let positions: Vec<usize> = messages_before
        .iter()
        .filter_map(|m| texts.iter().position(|t| t == m))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "in the order they were sent"
    );
    for (file, sha256) in &files_before {
        let saved = work.join(format!("restored-{}", file.id));
        technician.download_file(file, &saved, |_| {}).await?;
        assert_eq!(
            &sha256_hex(&std::fs::read(&saved)?),
            sha256,
            "{} came back byte for byte",
            file.name
        );
    }
    // The restored service keeps its key: a new session works end to end.
    let again = technician.create_session(false).await?;
    let visitor = ApiClient::new(&restored.url)?;
    visitor.join(again.support_key.as_str(), None).await?;
    Ok(())
}
