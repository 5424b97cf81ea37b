//! System notifications, e.g. "the end user has arrived" while the app is in the
//! background.

use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
#[error("cannot show a notification: {0}")]
pub struct NotifyError(pub String);

pub trait NotifierBackend: Send + Sync {
    fn notify(&self, title: &str, body: &str) -> Result<(), NotifyError>;
}

/// The notifier the app uses: cheap to clone, backed by one [`NotifierBackend`].
#[derive(Clone)]
pub struct Notifier {
    backend: Arc<dyn NotifierBackend>,
}

impl Notifier {
    pub fn new(backend: impl NotifierBackend + 'static) -> Self {
        Self {
            backend: Arc::new(backend),
        }
    }

    #[cfg(feature = "notifications")]
    pub fn os() -> Self {
        Self::new(os::OsNotifier)
    }

    pub fn notify(&self, title: &str, body: &str) -> Result<(), NotifyError> {
        self.backend.notify(title, body)
    }
}

#[cfg(feature = "notifications")]
mod os {
    use super::*;

    /// notify-rust over D-Bus (org.freedesktop.Notifications).
    pub(super) struct OsNotifier;

    impl NotifierBackend for OsNotifier {
        fn notify(&self, title: &str, body: &str) -> Result<(), NotifyError> {
            notify_rust::Notification::new()
                .appname("Lifeline")
                .summary(title)
                .body(body)
                .show()
                .map(drop)
                .map_err(|e| NotifyError(e.to_string()))
        }
    }
}

#[cfg(any(test, feature = "fakes"))]
pub use fake::MemoryNotifier;

#[cfg(any(test, feature = "fakes"))]
mod fake {
    use std::sync::{Arc, Mutex, PoisonError};

    use super::*;

    /// Records every notification as `(title, body)`, for tests.
    #[derive(Clone, Default)]
    pub struct MemoryNotifier {
        shown: Arc<Mutex<Vec<(String, String)>>>,
    }

    impl MemoryNotifier {
        pub fn shown(&self) -> Vec<(String, String)> {
            self.shown
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }
    }

    impl NotifierBackend for MemoryNotifier {
        fn notify(&self, title: &str, body: &str) -> Result<(), NotifyError> {
            self.shown
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((title.to_owned(), body.to_owned()));
            Ok(())
        }
    }
}
