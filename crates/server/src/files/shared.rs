//! A cluster's files, in a NATS JetStream object store bucket every node reads and
//! writes. A file arrives in parts of at most [`PART_BYTES`], each an object of its
//! own, streamed in as the bytes come. A part counts once the database records it,
//! right after the part before it; until then it is nobody's. So:
//! - after a node dies mid-upload, the client asks any node for the offset and gets the
//!   end of the last recorded part, losing at most one part;
//! - two appends to one file on different nodes can both stream, but only the one
//!   whose part starts at the recorded offset counts; the other is told to resume, and
//!   its object is deleted. That conditional commit is the cluster-wide upload lock.
//!
//! Downloads read the parts in order, skipping whole parts before a `Range`.

use std::sync::Arc;

use async_nats::jetstream::object_store::{self, ObjectStore};
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::store::{FilePart, FileRecord, Store};

/// The most one interrupted part can lose, and what one upload buffers in flight.
pub const PART_BYTES: u64 = 8 << 20;
/// The object store's chunk: one NATS message, well under the default 1 MiB payload.
const CHUNK_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub struct SharedFiles {
    // Boxed: the handle is large, and cloned into every writer.
    bucket: Arc<ObjectStore>,
}

impl std::fmt::Debug for SharedFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedFiles").finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SharedFilesError {
    #[error(
        "creating the file bucket {bucket} in NATS JetStream (is JetStream enabled?): {source}"
    )]
    Create {
        bucket: String,
        source: async_nats::jetstream::context::CreateObjectStoreError,
    },
}

fn bus_error(what: &str, err: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{what} in the shared file store: {err}"))
}

impl SharedFiles {
    /// Opens the bucket, creating it on first use (by whichever node comes first; the
    /// same configuration twice is no conflict).
    pub async fn open(
        client: async_nats::Client,
        bucket: &str,
        replicas: usize,
    ) -> Result<Self, SharedFilesError> {
        let jetstream = async_nats::jetstream::new(client);
        if let Ok(bucket) = jetstream.get_object_store(bucket).await {
            return Ok(Self {
                bucket: Arc::new(bucket),
            });
        }
        let bucket = jetstream
            .create_object_store(object_store::Config {
                bucket: bucket.to_owned(),
                description: Some("Lifeline: files shared in sessions".into()),
                num_replicas: replicas,
                ..Default::default()
            })
            .await
            .map_err(|source| SharedFilesError::Create {
                bucket: bucket.to_owned(),
                source,
            })?;
        Ok(Self {
            bucket: Arc::new(bucket),
        })
    }

    pub fn writer(&self, store: &Store, file: &FileRecord) -> SharedWriter {
        SharedWriter {
            bucket: self.bucket.clone(),
            store: store.clone(),
            file_id: file.id,
            next_byte: file.received(),
            part: None,
        }
    }

    /// The whole file's SHA-256, read back from its parts.
    pub async fn hash(&self, store: &Store, file: &FileRecord) -> AppResult<String> {
        let mut hasher = Sha256::new();
        let mut bytes = Box::pin(self.read(store, file, 0, file.size()).await?);
        while let Some(chunk) = bytes.next().await {
            hasher.update(chunk.map_err(|e| bus_error("reading a file back", e))?);
        }
        Ok(hex::encode(hasher.finalize()))
    }

    /// Bytes `first .. end` of the file, streamed part by part.
    pub async fn read(
        &self,
        store: &Store,
        file: &FileRecord,
        first: u64,
        end: u64,
    ) -> AppResult<impl Stream<Item = std::io::Result<Bytes>> + Send + 'static> {
        let wanted: Vec<(FilePart, u64, u64)> = store
            .file_parts(file.id)
            .await?
            .into_iter()
            .filter_map(|part| {
                let (start, stop) = (part.first_byte(), part.first_byte() + part.length());
                (stop > first && start < end)
                    .then(|| (first.max(start) - start, end.min(stop) - first.max(start)))
                    .map(|(skip, take)| (part, skip, take))
            })
            .collect();
        let bucket = self.bucket.clone();
        Ok(futures_util::stream::iter(wanted)
            .then(move |(part, skip, take)| {
                let bucket = bucket.clone();
                async move {
                    let object = bucket
                        .get(&part.object)
                        .await
                        .map_err(std::io::Error::other)?;
                    let mut object = Box::pin(object);
                    if skip > 0 {
                        let mut before = (&mut object).take(skip);
                        tokio::io::copy(&mut before, &mut tokio::io::sink()).await?;
                    }
                    Ok::<_, std::io::Error>(ReaderStream::with_capacity(
                        object.take(take),
                        CHUNK_BYTES,
                    ))
                }
            })
            .try_flatten())
    }

    /// Deletes a file's parts; the record stays with the caller.
    pub async fn delete(&self, store: &Store, file: &FileRecord) -> AppResult<()> {
        for part in store.file_parts(file.id).await? {
            delete_object(&self.bucket, &part.object).await?;
        }
        store.delete_file_parts(file.id).await?;
        Ok(())
    }
}

async fn delete_object(bucket: &ObjectStore, name: &str) -> AppResult<()> {
    match bucket.delete(name).await {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == object_store::DeleteErrorKind::NotFound => Ok(()),
        Err(err) => Err(bus_error("deleting a part", err)),
    }
}

/// The part being streamed into the bucket now.
struct OpenPart {
    name: String,
    written: u64,
    pipe: DuplexStream,
    put: JoinHandle<Result<object_store::ObjectInfo, object_store::PutError>>,
}

/// Appends to a file in the bucket, one part at a time.
pub struct SharedWriter {
    bucket: Arc<ObjectStore>,
    store: Store,
    file_id: Uuid,
    /// Where the open part starts: the end of the recorded parts.
    next_byte: u64,
    part: Option<OpenPart>,
}

impl SharedWriter {
    /// The open part, or a new one starting at `next_byte`.
    fn open_part(&mut self) -> &mut OpenPart {
        let (bucket, file_id, first_byte) = (&self.bucket, self.file_id, self.next_byte);
        self.part.get_or_insert_with(|| {
            let bucket = bucket.clone();
            let name = format!("{file_id}/{first_byte}-{}", Uuid::new_v4());
            let (pipe, mut source) = tokio::io::duplex(2 * CHUNK_BYTES);
            let meta = object_store::ObjectMetadata {
                name: name.clone(),
                chunk_size: Some(CHUNK_BYTES),
                ..Default::default()
            };
            let put = tokio::spawn(async move { bucket.put(meta, &mut source).await });
            OpenPart {
                name,
                written: 0,
                pipe,
                put,
            }
        })
    }

    /// Where the recorded parts end (the open part, if any, is not counted yet).
    pub fn offset(&self) -> u64 {
        self.next_byte
    }

    pub async fn write(&mut self, mut bytes: &[u8]) -> AppResult<()> {
        while !bytes.is_empty() {
            let part = self.open_part();
            let room = usize::try_from(PART_BYTES - part.written).unwrap_or(usize::MAX);
            let take = bytes.len().min(room);
            if part.pipe.write_all(&bytes[..take]).await.is_err() {
                // The put stopped reading: it failed, and says why.
                let part = self.part.take().expect("opened above");
                return Err(match part.put.await {
                    Ok(Err(err)) => bus_error("storing a part", err),
                    Ok(Ok(_)) => bus_error("storing a part", "ended early"),
                    Err(err) => bus_error("storing a part", err),
                });
            }
            part.written += take as u64;
            bytes = &bytes[take..];
            if part.written == PART_BYTES {
                self.seal().await?;
            }
        }
        Ok(())
    }

    /// Ends the open part and records it after the others.
    async fn seal(&mut self) -> AppResult<()> {
        let Some(OpenPart {
            name,
            written,
            mut pipe,
            put,
        }) = self.part.take()
        else {
            return Ok(());
        };
        let _ = pipe.shutdown().await;
        drop(pipe);
        let info = put
            .await
            .map_err(|e| bus_error("storing a part", e))?
            .map_err(|e| bus_error("storing a part", e))?;
        if written == 0 || info.size as u64 != written {
            delete_object(&self.bucket, &name).await?;
            if written == 0 {
                return Ok(());
            }
            return Err(bus_error("storing a part", "the stored size differs"));
        }
        let part = FilePart {
            first_byte: crate::store::to_i64(self.next_byte),
            length: crate::store::to_i64(written),
            object: name,
        };
        if !self.store.add_file_part(self.file_id, &part).await? {
            delete_object(&self.bucket, &part.object).await?;
            return Err(AppError::Conflict(
                "another append to this file counted first; resume from Upload-Offset".into(),
            ));
        }
        self.next_byte += written;
        Ok(())
    }

    /// Records what arrived; returns the bytes the file holds.
    pub async fn finish(mut self) -> AppResult<u64> {
        self.seal().await?;
        Ok(self.next_byte)
    }
}

impl Drop for SharedWriter {
    /// A writer dropped on an error: its open part never counts, so delete it.
    fn drop(&mut self) {
        if let Some(part) = self.part.take() {
            let bucket = self.bucket.clone();
            tokio::spawn(async move {
                drop(part.pipe);
                if let Ok(Ok(_)) = part.put.await {
                    let _ = delete_object(&bucket, &part.name).await;
                }
            });
        }
    }
}
