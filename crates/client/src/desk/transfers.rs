//! File transfers of the desk: each runs as its own task, reports progress as
//! [`DeskEvent::Transfer`], and can be cancelled.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use lifeline_protocol::{ErrorCode, FileInfo};
use tokio::task::AbortHandle;
use uuid::Uuid;

use super::{DeskError, DeskEvent, DeskShared, TransferDirection, TransferState, TransferUpdate};
use crate::files::hash_file;
use crate::{ApiClient, ClientError, Progress};

/// Progress events at most this often per transfer: the UI needs no more.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// How long a cancel waits for the service to notice the upload request it stopped.
const CANCEL_PATIENCE: Duration = Duration::from_secs(5);

struct Running {
    task: AbortHandle,
    update: TransferUpdate,
    /// The service's upload id, once announced, so a cancel can delete the partial file.
    file_id: Arc<Mutex<Option<Uuid>>>,
    partial: Option<PathBuf>,
}

#[derive(Default)]
pub(super) struct Transfers {
    running: Arc<Mutex<HashMap<Uuid, Running>>>,
}

fn emit(shared: &DeskShared, update: TransferUpdate) {
    (shared.sink)(DeskEvent::Transfer { transfer: update });
}

/// A progress callback that emits at most every [`PROGRESS_EVERY`].
fn reporter(
    shared: Arc<DeskShared>,
    base: TransferUpdate,
) -> impl Fn(Progress) + Send + Sync + 'static {
    let last = Mutex::new(Instant::now() - PROGRESS_EVERY);
    move |progress: Progress| {
        let mut last = last.lock().unwrap_or_else(PoisonError::into_inner);
        if last.elapsed() < PROGRESS_EVERY && progress.done < progress.total {
            return;
        }
        *last = Instant::now();
        emit(
            &shared,
            TransferUpdate {
                done: progress.done,
                total: progress.total,
                ..base.clone()
            },
        );
    }
}

/// Deletes what arrived of a stopped upload. Until the service sees the aborted request's
/// connection close, its append still holds the file and the delete is refused with
/// `conflict`; so it is retried for a while.
async fn delete_partial_upload(api: &ApiClient, file_id: Uuid) {
    let started = Instant::now();
    loop {
        match api.cancel_upload(file_id).await {
            Ok(()) => return,
            Err(err)
                if err.code() == Some(ErrorCode::Conflict)
                    && started.elapsed() < CANCEL_PATIENCE =>
            {
                tokio::time::sleep(PROGRESS_EVERY).await;
            }
            Err(err) => {
                // A finished upload cannot be cancelled; the file stays shared.
                tracing::debug!(error = %err, %file_id, "the partial upload was not deleted");
                return;
            }
        }
    }
}

impl Transfers {
    fn finish(&self, shared: &DeskShared, id: Uuid, result: Result<u64, ClientError>) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        let Some(running) = running else { return };
        let mut update = running.update;
        match result {
            Ok(total) => {
                update.done = total;
                update.total = total;
                update.state = TransferState::Done;
            }
            Err(err) => {
                let error = crate::ipc::IpcError::from(err);
                update.state = TransferState::Failed {
                    code: error.code,
                    message: error.message,
                };
            }
        }
        emit(shared, update);
    }

    fn register(
        &self,
        shared: &Arc<DeskShared>,
        update: TransferUpdate,
        file_id: Arc<Mutex<Option<Uuid>>>,
        partial: Option<PathBuf>,
        work: impl std::future::Future<Output = Result<u64, ClientError>> + Send + 'static,
    ) -> Uuid {
        let id = update.id;
        // Hold the table while spawning, so the task cannot finish before it is listed.
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let this = Transfers {
            running: Arc::clone(&self.running),
        };
        let task_shared = Arc::clone(shared);
        let task = tokio::spawn(async move {
            let result = work.await;
            this.finish(&task_shared, id, result);
        });
        emit(shared, update.clone());
        running.insert(
            id,
            Running {
                task: task.abort_handle(),
                update,
                file_id,
                partial,
            },
        );
        id
    }

    pub(super) fn send(
        &self,
        api: ApiClient,
        shared: Arc<DeskShared>,
        session_id: Uuid,
        path: &Path,
    ) -> Uuid {
        let update = TransferUpdate {
            id: Uuid::new_v4(),
            session_id,
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".to_owned()),
            direction: TransferDirection::Send,
            done: 0,
            total: 0,
            state: TransferState::Running,
        };
        let file_id = Arc::new(Mutex::new(None));
        let progress = reporter(Arc::clone(&shared), update.clone());
        let path = path.to_owned();
        let name = update.name.clone();
        let task_file_id = Arc::clone(&file_id);
        let work = async move {
            // The same steps as `ApiClient::upload_file`, split so a cancel knows the id.
            let (sha256, size) = hash_file(&path).await?;
            let created = api.create_upload(session_id, &name, size, &sha256).await?;
            *task_file_id.lock().unwrap_or_else(PoisonError::into_inner) = Some(created.file_id);
            if size > 0 {
                api.continue_upload(created.file_id, &path, progress)
                    .await?;
            }
            Ok(size)
        };
        self.register(&shared, update, file_id, None, work)
    }

    pub(super) fn receive(
        &self,
        api: ApiClient,
        shared: Arc<DeskShared>,
        session_id: Uuid,
        file: FileInfo,
        dest: &Path,
    ) -> Uuid {
        let update = TransferUpdate {
            id: Uuid::new_v4(),
            session_id,
            name: file.name.clone(),
            direction: TransferDirection::Receive,
            done: 0,
            total: file.size,
            state: TransferState::Running,
        };
        let progress = reporter(Arc::clone(&shared), update.clone());
        let dest = dest.to_owned();
        let mut partial = dest.as_os_str().to_owned();
        partial.push(".part");
        let work = async move {
            api.download_file(&file, &dest, progress).await?;
            Ok(file.size)
        };
        self.register(
            &shared,
            update,
            Arc::new(Mutex::new(None)),
            Some(PathBuf::from(partial)),
            work,
        )
    }

    /// Stops a transfer and removes what it left: the partial upload on the service, or
    /// the partial download on disk.
    pub(super) async fn cancel(
        &self,
        api: &ApiClient,
        shared: &DeskShared,
        id: Uuid,
    ) -> Result<(), DeskError> {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id)
            .ok_or(DeskError::UnknownTransfer)?;
        running.task.abort();
        let file_id = *running
            .file_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(file_id) = file_id {
            delete_partial_upload(api, file_id).await;
        }
        if let Some(partial) = &running.partial {
            let _ = tokio::fs::remove_file(partial).await;
        }
        let mut update = running.update;
        update.state = TransferState::Cancelled;
        emit(shared, update);
        Ok(())
    }

    pub(super) fn cancel_all(&self) {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        for (_, transfer) in running.drain() {
            transfer.task.abort();
        }
    }
}
