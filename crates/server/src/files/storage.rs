//! How much the relay may keep: a quota per session and for the service, a floor of
//! free disk space checked before an upload is accepted, and the retention rule that
//! deletes a session's files some days after it ended (the transcript says so).

use std::collections::BTreeMap;
use std::path::Path;

use lifeline_protocol::EventData;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

/// Refuses an announcement of `size` bytes in `session_id` that would pass a quota or
/// leave the disk with less than its floor of free space (counting what announced
/// uploads will still write).
pub async fn ensure_room(state: &AppState, session_id: Uuid, size: u64) -> AppResult<()> {
    let limits = &state.config.limits;
    let in_session = state.store.session_file_bytes(session_id).await?;
    if in_session.saturating_add(size) > limits.max_session_upload_bytes {
        return Err(AppError::QuotaExceeded(format!(
            "this session's files may take {} together; {} are taken, so this file does not fit",
            gib(limits.max_session_upload_bytes),
            gib(in_session)
        )));
    }
    let (total, outstanding) = state.store.file_bytes().await?;
    if total.saturating_add(size) > limits.max_total_upload_bytes {
        return Err(AppError::QuotaExceeded(format!(
            "the service keeps at most {} of files and has no room for this one now",
            gib(limits.max_total_upload_bytes)
        )));
    }
    if !state.files.on_local_disk() {
        // The shared store keeps its own limits; the quotas above still hold.
        return Ok(());
    }
    let free = free_disk_bytes(&state.config.data_dir)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reading the free disk space: {e}")))?;
    let needed = outstanding
        .saturating_add(size)
        .saturating_add(limits.min_free_disk_bytes);
    if free < needed {
        tracing::warn!(free, needed, "upload refused: the disk is nearly full");
        return Err(AppError::InsufficientStorage);
    }
    Ok(())
}

/// Bytes an unprivileged process may still write on the file system holding `dir`.
pub fn free_disk_bytes(dir: &Path) -> std::io::Result<u64> {
    #[cfg(unix)]
    {
        let stats = rustix::fs::statvfs(dir)?;
        Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(u64::MAX)
    }
}

/// Deletes the bytes of files whose session ended `file_retention_days` ago, keeps
/// their records, and notes in each session's transcript how many went. Returns how
/// many files were deleted.
pub async fn expire_old_files(state: &AppState) -> AppResult<u64> {
    let days = state.config.limits.file_retention_days;
    if days == 0 {
        return Ok(0);
    }
    let now = state.now();
    let cutoff = now - i64::from(days) * 86_400_000;
    let due = state.store.files_due_for_expiry(cutoff).await?;
    let mut per_session: BTreeMap<Uuid, u32> = BTreeMap::new();
    for file in &due {
        let Some(record) = state.store.file(file.id).await? else {
            continue;
        };
        if let Err(err) = state.files.delete(&state.store, &record).await {
            tracing::warn!(file = %file.id, error = %err, "deleting an expired file failed");
            continue;
        }
        state.store.mark_file_expired(file.id, now).await?;
        *per_session.entry(file.session_id).or_default() += 1;
    }
    for (session_id, count) in per_session {
        state.files.forget_session(session_id).await;
        if let Some(session) = state.store.session(session_id).await? {
            let data = EventData::FilesExpired {
                count,
                after_days: days,
            };
            crate::sessions::record_event(state, &session, None, None, data).await?;
        }
        tracing::info!(session = %session_id, count, "session files expired");
    }
    Ok(due.len() as u64)
}
