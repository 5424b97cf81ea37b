use std::io::{Read, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use lifeline_protocol::{
    CreateUpload, DownloadLink, FileInfo, UploadCreated, UploadStatus, UPLOAD_OFFSET_HEADER,
};
use reqwest::header::RANGE;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use crate::api::api_error;
use crate::{ApiClient, ClientError};

/// Bytes done out of the total, reported as a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

const MAX_ATTEMPTS: u32 = 6;

/// SHA-256 (hex) and size of a file, read in 1 MiB blocks.
pub async fn hash_file(path: &Path) -> Result<(String, u64), ClientError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || -> std::io::Result<(String, u64)> {
        let mut file = std::fs::File::open(&path)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                return Ok((hex::encode(hasher.finalize()), size));
            }
            size += n as u64;
            hasher.update(&buffer[..n]);
        }
    })
    .await
    .map_err(|e| ClientError::Io(std::io::Error::other(e)))?
    .map_err(ClientError::Io)
}

async fn backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt.min(6)))).await;
}

impl ApiClient {
    /// Uploads a file into the session: announces name, size and SHA-256, then streams
    /// it, resuming from the service's offset after any network failure.
    pub async fn upload_file(
        &self,
        session_id: Uuid,
        path: &Path,
        progress: impl Fn(Progress) + Send + Sync + 'static,
    ) -> Result<FileInfo, ClientError> {
        let (sha256, size) = hash_file(path).await?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned());
        let created = self.create_upload(session_id, &name, size, &sha256).await?;
        if size == 0 {
            return Ok(FileInfo {
                id: created.file_id,
                name,
                size,
                sha256,
                from: self.party().await,
            });
        }
        self.continue_upload(created.file_id, path, progress).await
    }

    async fn party(&self) -> lifeline_protocol::Party {
        match self.bearer().await {
            crate::Bearer::EndUser { .. } => lifeline_protocol::Party::EndUser,
            _ => lifeline_protocol::Party::Technician,
        }
    }

    pub async fn create_upload(
        &self,
        session_id: Uuid,
        name: &str,
        size: u64,
        sha256: &str,
    ) -> Result<UploadCreated, ClientError> {
        let request = CreateUpload {
            name: name.to_owned(),
            size,
            sha256: sha256.to_owned(),
        };
        self.post_json(&format!("/api/v1/sessions/{session_id}/files"), &request)
            .await
    }

    /// How many bytes of the upload the service holds.
    pub async fn upload_offset(&self, file_id: Uuid) -> Result<u64, ClientError> {
        let url = self.url(&format!("/api/v1/files/{file_id}"))?;
        let response = self.send_authed(|http| Ok(http.head(url.clone()))).await?;
        if !response.status().is_success() {
            return Err(api_error(response).await);
        }
        response
            .headers()
            .get(UPLOAD_OFFSET_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ClientError::Protocol("no Upload-Offset in the answer".into()))
    }

    /// Sends the rest of an upload from the service's offset, retrying and resuming.
    pub async fn continue_upload(
        &self,
        file_id: Uuid,
        path: &Path,
        progress: impl Fn(Progress) + Send + Sync + 'static,
    ) -> Result<FileInfo, ClientError> {
        let progress: ProgressFn = Arc::new(progress);
        let mut attempt = 0;
        loop {
            match self
                .append_from_offset(file_id, path, Arc::clone(&progress))
                .await
            {
                Ok(Some(file)) => return Ok(file),
                Ok(None) => {}
                // A conflict means our offset was stale (an earlier append was still
                // running): read the offset again and go on from there.
                Err(err)
                    if (err.is_transient()
                        || err.code() == Some(lifeline_protocol::ErrorCode::Conflict))
                        && attempt < MAX_ATTEMPTS =>
                {
                    tracing::debug!(error = %err, %file_id, "upload interrupted; resuming");
                }
                Err(err) => return Err(err),
            }
            attempt += 1;
            backoff(attempt).await;
        }
    }

    async fn append_from_offset(
        &self,
        file_id: Uuid,
        path: &Path,
        progress: ProgressFn,
    ) -> Result<Option<FileInfo>, ClientError> {
        let offset = self.upload_offset(file_id).await?;
        let total = tokio::fs::metadata(path).await?.len();
        let url = self.url(&format!("/api/v1/files/{file_id}"))?;
        let path = path.to_owned();
        let response = self
            .send_authed(|http| {
                // A fresh body per attempt: a stream can be sent only once.
                let progress = Arc::clone(&progress);
                let path = path.clone();
                let body_stream = futures_util::stream::once(async move {
                    let mut file = tokio::fs::File::open(&path).await?;
                    file.seek(SeekFrom::Start(offset)).await?;
                    Ok::<_, std::io::Error>(ReaderStream::with_capacity(file, 256 * 1024))
                })
                .try_flatten()
                .scan(offset, move |done, chunk| {
                    if let Ok(bytes) = &chunk {
                        *done += bytes.len() as u64;
                        progress(Progress { done: *done, total });
                    }
                    futures_util::future::ready(Some(chunk))
                });
                Ok(http
                    .patch(url.clone())
                    .header(UPLOAD_OFFSET_HEADER, offset)
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/offset+octet-stream",
                    )
                    .header(reqwest::header::CONTENT_LENGTH, total - offset)
                    .body(reqwest::Body::wrap_stream(body_stream)))
            })
            .await?;
        if !response.status().is_success() {
            return Err(api_error(response).await);
        }
        let status: UploadStatus = response
            .json()
            .await
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        Ok(status.file)
    }

    /// Cancels an unfinished upload.
    pub async fn cancel_upload(&self, file_id: Uuid) -> Result<(), ClientError> {
        self.delete(&format!("/api/v1/files/{file_id}")).await
    }

    /// A short-lived link that downloads without a token (for browsers).
    pub async fn download_link(&self, file_id: Uuid) -> Result<DownloadLink, ClientError> {
        self.post_json(&format!("/api/v1/files/{file_id}/link"), &())
            .await
    }

    /// Downloads a shared file to `dest`, resuming a partial download left at
    /// `<dest>.part`, and checks its SHA-256 before putting it in place.
    pub async fn download_file(
        &self,
        file: &FileInfo,
        dest: &Path,
        progress: impl Fn(Progress) + Send + Sync + 'static,
    ) -> Result<(), ClientError> {
        let mut partial = dest.as_os_str().to_owned();
        partial.push(".part");
        let partial = PathBuf::from(partial);
        // Hashed while receiving, so the file is not read a second time.
        let mut hashed = HashedPrefix::default();
        let mut attempt = 0;
        loop {
            match self
                .fetch_rest(file, &partial, &mut hashed, &progress)
                .await
            {
                Ok(()) => break,
                Err(err) if err.is_transient() && attempt < MAX_ATTEMPTS => {
                    attempt += 1;
                    tracing::debug!(error = %err, file = %file.id, "download interrupted; resuming");
                    backoff(attempt).await;
                }
                Err(err) => return Err(err),
            }
        }
        let actual = hex::encode(hashed.hasher.finalize());
        if actual != file.sha256 {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(ClientError::ChecksumMismatch {
                expected: file.sha256.clone(),
                actual,
            });
        }
        tokio::fs::rename(&partial, dest).await?;
        Ok(())
    }

    async fn fetch_rest(
        &self,
        file: &FileInfo,
        partial: &Path,
        hashed: &mut HashedPrefix,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<(), ClientError> {
        let have = match tokio::fs::metadata(partial).await {
            Ok(meta) => meta.len().min(file.size),
            Err(_) => 0,
        };
        if hashed.len != have {
            // A partial file from an earlier run: hash what is there before appending.
            *hashed = HashedPrefix::of_file(partial, have).await?;
        }
        if have == file.size {
            return Ok(());
        }
        let url = self.url(&format!("/api/v1/files/{}/content", file.id))?;
        let response = self
            .send_authed(|http| {
                let request = http.get(url.clone());
                Ok(if have > 0 {
                    request.header(RANGE, format!("bytes={have}-"))
                } else {
                    request
                })
            })
            .await?;
        let mut out = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(partial)
            .await?;
        let mut done = match response.status() {
            StatusCode::PARTIAL_CONTENT => {
                out.seek(SeekFrom::Start(have)).await?;
                have
            }
            StatusCode::OK => {
                out.set_len(0).await?;
                *hashed = HashedPrefix::default();
                0
            }
            _ => return Err(api_error(response).await),
        };
        let mut out = tokio::io::BufWriter::with_capacity(1 << 20, out);
        let mut stream = response.bytes_stream();
        let received = async {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                out.write_all(&chunk).await?;
                hashed.hasher.update(&chunk);
                hashed.len += chunk.len() as u64;
                done += chunk.len() as u64;
                progress(Progress {
                    done,
                    total: file.size,
                });
            }
            Ok::<_, ClientError>(())
        }
        .await;
        // Keep every byte that arrived, even after a failure, so the next try resumes.
        out.flush().await?;
        received?;
        if done < file.size {
            return Err(ClientError::Interrupted(
                "the download stopped early".into(),
            ));
        }
        Ok(())
    }
}

/// The SHA-256 state of the first `len` bytes of a partial download.
#[derive(Default)]
struct HashedPrefix {
    hasher: Sha256,
    len: u64,
}

impl HashedPrefix {
    async fn of_file(path: &Path, len: u64) -> Result<Self, ClientError> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || -> std::io::Result<Self> {
            let mut reader = std::fs::File::open(&path)?.take(len);
            let mut hasher = Sha256::new();
            std::io::copy(&mut reader, &mut hasher)?;
            Ok(Self { hasher, len })
        })
        .await
        .map_err(|e| ClientError::Io(std::io::Error::other(e)))?
        .map_err(ClientError::Io)
    }
}
