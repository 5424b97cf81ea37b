//! File relay in both directions: resumable streaming uploads (tus-style `HEAD` for the
//! offset, `PATCH` to append), SHA-256 checked on arrival, and downloads with `Range`.
//! Files live on disk under ids the service chose; the name people gave is display-only.

mod download;
mod names;
mod storage;
mod upload;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::state::AppState;

pub use lifeline_protocol::text::sanitize_file_name;
pub use names::content_disposition;
pub use storage::{expire_old_files, free_disk_bytes};

pub fn router() -> OpenApiRouter<AppState> {
    upload::router().merge(download::router())
}

pub fn file_path(state: &AppState, session_id: Uuid, file_id: Uuid) -> PathBuf {
    state
        .config
        .data_dir
        .join("files")
        .join(session_id.to_string())
        .join(file_id.to_string())
}

/// Files with an append running, so two appends cannot interleave.
#[derive(Clone, Default)]
pub struct UploadLocks(Arc<Mutex<HashSet<Uuid>>>);

pub struct UploadGuard {
    locks: UploadLocks,
    id: Uuid,
}

impl UploadLocks {
    /// Uploads receiving bytes now.
    pub fn in_progress(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn try_lock(&self, id: Uuid) -> Option<UploadGuard> {
        let mut set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        set.insert(id).then(|| UploadGuard {
            locks: self.clone(),
            id,
        })
    }
}

impl Drop for UploadGuard {
    fn drop(&mut self) {
        let mut set = self.locks.0.lock().unwrap_or_else(PoisonError::into_inner);
        set.remove(&self.id);
    }
}
