//! Step 4 of the cluster proof: an upload through the balancer is cut off by killing
//! the node that takes it (SIGKILL), and resumes on another node, from the parts the
//! dead node had recorded in the shared store. The file both sides then download
//! through the balancer has the announced SHA-256.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::cluster::TestCluster;

const MIB: u64 = 1024 * 1024;

/// Bytes that don't repeat within a part, so a part put in the wrong place shows.
fn sample(len: u64) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn sha256_of(path: &std::path::Path) -> anyhow::Result<String> {
    Ok(hex::encode(Sha256::digest(std::fs::read(path)?)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_off_by_killing_its_node_resumes_on_another() -> anyhow::Result<()> {
    let mut cluster = TestCluster::start().await?;
    let (technician, end_user, session) = cluster.session_through_balancer().await?;
    let work = tempfile::tempdir()?;
    let original = work.path().join("disk-image.bin");
    let size = 40 * MIB;
    std::fs::write(&original, sample(size))?;
    let sha256 = sha256_of(&original)?;
    let created = technician
        .create_upload(session.id, "disk-image.bin", size, &sha256)
        .await?;

    // The upload stops sending after 20 MiB until the node taking it is dead, so the
    // kill lands mid-upload. (The progress callback runs on the client's sending
    // task; holding it there holds the body.)
    let sent = Arc::new(Mutex::new(Vec::<u64>::new()));
    let paused = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let progress = {
        let (sent, paused, killed) = (sent.clone(), paused.clone(), killed.clone());
        move |progress: lifeline_client::Progress| {
            sent.lock().expect("lock").push(progress.done);
            if progress.done >= 20 * MIB && !paused.swap(true, Ordering::SeqCst) {
                let until = Instant::now() + Duration::from_secs(60);
                while !killed.load(Ordering::SeqCst) && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    };
    let upload = {
        let technician = technician.clone();
        let original = original.clone();
        tokio::spawn(async move {
            technician
                .continue_upload(created.file_id, &original, progress)
                .await
        })
    };

    // Once the service has recorded a part, kill the node receiving the rest.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !paused.load(Ordering::SeqCst)
        || technician.upload_offset(created.file_id).await? < 8 * MIB
    {
        anyhow::ensure!(Instant::now() < deadline, "the upload never got going");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let taker = cluster
        .node_whose_metrics_show("lifeline_uploads_in_progress 1")
        .await?;
    let recorded = technician.upload_offset(created.file_id).await?;
    cluster.kill(taker).await?;
    killed.store(true, Ordering::SeqCst);

    let shared = upload.await??;
    assert_eq!(shared.sha256, sha256, "the service checked the whole file");

    // The client went on from where the dead node's recorded parts end, not from 0.
    let sent = sent.lock().expect("lock").clone();
    let before_kill = sent
        .iter()
        .position(|&done| done >= 20 * MIB)
        .expect("paused at 20 MiB");
    let resumed_at = sent[before_kill + 1..]
        .iter()
        .copied()
        .find(|&done| done < 20 * MIB)
        .expect("the upload started again after the kill");
    assert!(
        resumed_at > recorded && resumed_at <= 20 * MIB,
        "resumed past the {recorded} bytes recorded before the kill: {resumed_at}"
    );

    // Whichever node answers, both sides get the same bytes.
    for (who, client) in [("technician", &technician), ("end user", &end_user)] {
        let copy = work.path().join(format!("{who}.bin"));
        client.download_file(&shared, &copy, |_| {}).await?;
        assert_eq!(sha256_of(&copy)?, sha256, "{who}'s download is whole");
    }
    Ok(())
}
