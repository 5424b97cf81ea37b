//! One node's files: each a single file in the data folder, appended in place. The
//! bytes on disk are the truth for how much arrived (a crash can leave the database a
//! little behind); downloads are served by `ServeFile`, which handles `Range` itself.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::store::{FileRecord, Store};

#[derive(Clone, Debug)]
pub struct FolderFiles {
    root: PathBuf,
}

fn internal(err: std::io::Error) -> AppError {
    AppError::Internal(err.into())
}

impl FolderFiles {
    /// Files under `root`, one folder per session.
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn path(&self, session_id: Uuid, file_id: Uuid) -> PathBuf {
        self.root
            .join(session_id.to_string())
            .join(file_id.to_string())
    }

    pub async fn create(&self, file: &FileRecord) -> AppResult<()> {
        let path = self.path(file.session_id, file.id);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(internal)?;
        }
        tokio::fs::File::create(&path).await.map_err(internal)?;
        Ok(())
    }

    pub async fn offset(&self, file: &FileRecord) -> AppResult<u64> {
        bytes_on_disk(&self.path(file.session_id, file.id)).await
    }

    pub async fn writer(&self, store: &Store, file: &FileRecord) -> AppResult<FolderWriter> {
        let handle = tokio::fs::OpenOptions::new()
            .append(true)
            .open(self.path(file.session_id, file.id))
            .await
            .map_err(internal)?;
        let received = handle.metadata().await.map_err(internal)?.len();
        Ok(FolderWriter {
            // Each tokio::fs write is a hop to the blocking pool; batch network chunks
            // into 1 MiB.
            file: tokio::io::BufWriter::with_capacity(1 << 20, handle),
            store: store.clone(),
            file_id: file.id,
            received,
        })
    }

    pub async fn hash(&self, file: &FileRecord) -> AppResult<String> {
        let path = self.path(file.session_id, file.id);
        tokio::task::spawn_blocking(move || hash_file(&path))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(internal)
    }

    /// Deletes a file's bytes; gone already is fine.
    pub async fn delete(&self, file: &FileRecord) -> AppResult<()> {
        match tokio::fs::remove_file(self.path(file.session_id, file.id)).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(internal(err)),
        }
    }

    /// Removes a session's folder once its files are gone.
    pub async fn forget_session(&self, session_id: Uuid) {
        // Fails, harmlessly, while a file is left in it.
        let _ = tokio::fs::remove_dir(self.root.join(session_id.to_string())).await;
    }
}

async fn bytes_on_disk(path: &Path) -> AppResult<u64> {
    match tokio::fs::metadata(path).await {
        Ok(meta) => Ok(meta.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(internal(e)),
    }
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buffer[..n]);
    }
}

/// Appends to a file in the folder.
pub struct FolderWriter {
    file: tokio::io::BufWriter<tokio::fs::File>,
    store: Store,
    file_id: Uuid,
    received: u64,
}

impl FolderWriter {
    pub fn offset(&self) -> u64 {
        self.received
    }

    pub async fn write(&mut self, bytes: &[u8]) -> AppResult<()> {
        self.file.write_all(bytes).await.map_err(internal)?;
        self.received += bytes.len() as u64;
        Ok(())
    }

    /// Makes what arrived durable and records it; returns the bytes the file holds.
    pub async fn finish(mut self) -> AppResult<u64> {
        self.file.flush().await.map_err(internal)?;
        self.file.get_ref().sync_data().await.map_err(internal)?;
        self.store
            .set_file_received(self.file_id, self.received)
            .await?;
        Ok(self.received)
    }
}
