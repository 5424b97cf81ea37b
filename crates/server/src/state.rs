//! The one cheap-to-clone state every handler gets.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::invites::Delivery;
use crate::realtime::Hub;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub config: Config,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub hub: Hub,
    pub delivery: Delivery,
    /// The service's secret (outside the database), a derived key per purpose.
    pub keys: crate::secrets::ServerKeys,
    /// Where files' bytes live: the data folder, or a cluster's shared bucket.
    pub files: crate::files::FileStore,
    pub uploads: crate::files::UploadLocks,
    /// Connection attempts waiting for their agent's verdict.
    pub connects: crate::adhoc::PendingConnections,
    /// The screen streams being relayed, per session.
    pub media: crate::media::MediaHub,
    pub shutdown: tokio_util::sync::CancellationToken,
    pub metrics: crate::metrics::Metrics,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}
