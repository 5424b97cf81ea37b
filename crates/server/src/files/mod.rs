//! File relay in both directions: resumable streaming uploads (tus-style `HEAD` for the
//! offset, `PATCH` to append), SHA-256 checked on arrival, and downloads with `Range`.
//! Files live under ids the service chose (the name people gave is display-only): on
//! one node in the data folder, in a cluster in a NATS object store every node reads.

mod download;
mod folder;
mod names;
mod shared;
mod storage;
mod upload;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::error::AppResult;
use crate::state::AppState;
use crate::store::{FileRecord, Store};

pub use folder::{FolderFiles, FolderWriter};
pub use lifeline_protocol::text::sanitize_file_name;
pub use names::content_disposition;
pub use shared::{SharedFiles, SharedFilesError, SharedWriter, PART_BYTES};
pub use storage::{expire_old_files, free_disk_bytes};

pub fn router() -> OpenApiRouter<AppState> {
    upload::router().merge(download::router())
}

/// Where files' bytes live: the data folder on one node, a NATS object store bucket
/// shared by a cluster's nodes.
#[derive(Clone, Debug)]
pub enum FileStore {
    Folder(FolderFiles),
    Shared(SharedFiles),
}

/// Appends to one file, wherever it lives.
pub enum FileWriter {
    Folder(FolderWriter),
    Shared(SharedWriter),
}

impl FileStore {
    /// Whether the bytes are on this machine's disk, whose free space then limits them.
    pub fn on_local_disk(&self) -> bool {
        matches!(self, FileStore::Folder(_))
    }

    /// Makes room for a new file's bytes.
    pub async fn create(&self, file: &FileRecord) -> AppResult<()> {
        match self {
            FileStore::Folder(folder) => folder.create(file).await,
            FileStore::Shared(_) => Ok(()),
        }
    }

    /// How many bytes of the file are stored: where an upload resumes.
    pub async fn offset(&self, file: &FileRecord) -> AppResult<u64> {
        match self {
            FileStore::Folder(folder) => folder.offset(file).await,
            FileStore::Shared(_) => Ok(file.received()),
        }
    }

    pub async fn writer(&self, store: &Store, file: &FileRecord) -> AppResult<FileWriter> {
        Ok(match self {
            FileStore::Folder(folder) => FileWriter::Folder(folder.writer(store, file).await?),
            FileStore::Shared(shared) => FileWriter::Shared(shared.writer(store, file)),
        })
    }

    /// The stored bytes' SHA-256.
    pub async fn hash(&self, store: &Store, file: &FileRecord) -> AppResult<String> {
        match self {
            FileStore::Folder(folder) => folder.hash(file).await,
            FileStore::Shared(shared) => shared.hash(store, file).await,
        }
    }

    /// Deletes the file's bytes; its record is the caller's.
    pub async fn delete(&self, store: &Store, file: &FileRecord) -> AppResult<()> {
        match self {
            FileStore::Folder(folder) => folder.delete(file).await,
            FileStore::Shared(shared) => shared.delete(store, file).await,
        }
    }

    /// After a session's files were deleted.
    pub async fn forget_session(&self, session_id: Uuid) {
        if let FileStore::Folder(folder) = self {
            folder.forget_session(session_id).await;
        }
    }
}

impl FileWriter {
    /// Where the stored bytes end, so where this append must start.
    pub fn offset(&self) -> u64 {
        match self {
            FileWriter::Folder(writer) => writer.offset(),
            FileWriter::Shared(writer) => writer.offset(),
        }
    }

    pub async fn write(&mut self, bytes: &[u8]) -> AppResult<()> {
        match self {
            FileWriter::Folder(writer) => writer.write(bytes).await,
            FileWriter::Shared(writer) => writer.write(bytes).await,
        }
    }

    /// Makes what arrived durable and records it; returns the bytes the file holds.
    pub async fn finish(self) -> AppResult<u64> {
        match self {
            FileWriter::Folder(writer) => writer.finish().await,
            FileWriter::Shared(writer) => writer.finish().await,
        }
    }
}

/// Files with an append running on this node, so two appends here cannot interleave
/// (across nodes, the shared store's conditional commit does).
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
