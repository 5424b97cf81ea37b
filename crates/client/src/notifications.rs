//! System notifications, e.g. "the end user has arrived" while the app is in the
//! background.

use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
#[error("cannot show a notification: {0}")]
pub struct NotifyError(pub String);

/// What runs when the person clicks a notification.
pub type OnClick = Box<dyn FnOnce() + Send>;

pub trait NotifierBackend: Send + Sync {
    fn notify(&self, title: &str, body: &str) -> Result<(), NotifyError>;

    /// As `notify`, and `on_click` runs when the person clicks the notification (its
    /// default action). A backend without actions shows it plainly.
    fn notify_clickable(
        &self,
        title: &str,
        body: &str,
        on_click: OnClick,
    ) -> Result<(), NotifyError> {
        drop(on_click);
        self.notify(title, body)
    }
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

    /// Shows a notification whose click runs `on_click`.
    pub fn notify_clickable(
        &self,
        title: &str,
        body: &str,
        on_click: OnClick,
    ) -> Result<(), NotifyError> {
        self.backend.notify_clickable(title, body, on_click)
    }
}

#[cfg(feature = "notifications")]
mod os {
    use super::*;

    /// notify-rust over D-Bus (org.freedesktop.Notifications).
    pub(super) struct OsNotifier;

    fn notification(title: &str, body: &str) -> notify_rust::Notification {
        let mut notification = notify_rust::Notification::new();
        notification.appname("Lifeline").summary(title).body(body);
        notification
    }

    impl NotifierBackend for OsNotifier {
        fn notify(&self, title: &str, body: &str) -> Result<(), NotifyError> {
            notification(title, body)
                .show()
                .map(drop)
                .map_err(|e| NotifyError(e.to_string()))
        }

        /// The notification's default action is the click. The D-Bus connection that
        /// waits for it cannot move between threads, so one thread shows the
        /// notification, says whether that worked, and waits for the click (or for the
        /// notification to close) to run `on_click` once.
        #[cfg(all(unix, not(target_os = "macos")))]
        fn notify_clickable(
            &self,
            title: &str,
            body: &str,
            on_click: OnClick,
        ) -> Result<(), NotifyError> {
            let (title, body) = (title.to_owned(), body.to_owned());
            let (shown, outcome) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let handle = notification(&title, &body).action("default", &title).show();
                match handle {
                    Ok(handle) => {
                        let _ = shown.send(Ok(()));
                        handle.wait_for_action(|action| {
                            if action == "default" {
                                on_click();
                            }
                        });
                    }
                    Err(err) => {
                        let _ = shown.send(Err(NotifyError(err.to_string())));
                    }
                }
            });
            outcome
                .recv()
                .unwrap_or_else(|_| Err(NotifyError("the notification thread stopped".into())))
        }
    }
}

#[cfg(any(test, feature = "fakes"))]
pub use fake::MemoryNotifier;

#[cfg(any(test, feature = "fakes"))]
mod fake {
    use std::sync::{Arc, Mutex, PoisonError};

    use super::*;

    /// Records every notification as `(title, body)`, and keeps the last click action,
    /// for tests.
    #[derive(Clone, Default)]
    pub struct MemoryNotifier {
        shown: Arc<Mutex<Vec<(String, String)>>>,
        last_click: Arc<Mutex<Option<OnClick>>>,
    }

    impl MemoryNotifier {
        /// Clicks the newest clickable notification, as the person would; false when
        /// there is none.
        pub fn click_last(&self) -> bool {
            let click = self
                .last_click
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            click.map(|click| click()).is_some()
        }

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

        fn notify_clickable(
            &self,
            title: &str,
            body: &str,
            on_click: OnClick,
        ) -> Result<(), NotifyError> {
            *self
                .last_click
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(on_click);
            self.notify(title, body)
        }
    }
}
