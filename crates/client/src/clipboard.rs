//! The OS clipboard: the join link goes on it, and a controlled computer's clipboard
//! comes from and goes to it.

use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
#[error("the clipboard is not available: {0}")]
pub struct ClipboardError(pub String);

/// Something that holds text for other programs to paste.
pub trait ClipboardBackend: Send + Sync {
    fn set_text(&self, text: &str) -> Result<(), ClipboardError>;
    /// The text on the clipboard; empty when it holds none.
    fn text(&self) -> Result<String, ClipboardError>;
}

/// The clipboard the app uses: cheap to clone, backed by one [`ClipboardBackend`].
#[derive(Clone)]
pub struct Clipboard {
    backend: Arc<dyn ClipboardBackend>,
}

impl Clipboard {
    pub fn new(backend: impl ClipboardBackend + 'static) -> Self {
        Self {
            backend: Arc::new(backend),
        }
    }

    #[cfg(feature = "clipboard")]
    pub fn os() -> Self {
        Self::new(os::OsClipboard::default())
    }

    pub fn set_text(&self, text: &str) -> Result<(), ClipboardError> {
        self.backend.set_text(text)
    }

    pub fn text(&self) -> Result<String, ClipboardError> {
        self.backend.text()
    }
}

#[cfg(feature = "clipboard")]
mod os {
    use std::sync::{Mutex, PoisonError};

    use super::*;

    /// arboard, with one handle kept for the app's lifetime: on X11 the copied text lives
    /// only as long as a handle does (unless a clipboard manager takes it over).
    #[derive(Default)]
    pub(super) struct OsClipboard {
        handle: Mutex<Option<arboard::Clipboard>>,
    }

    impl OsClipboard {
        /// Runs `act` on the kept handle, made on first use; a handle that failed (e.g.
        /// the X server went away) is replaced next time.
        fn with<T>(
            &self,
            act: impl FnOnce(&mut arboard::Clipboard) -> Result<T, arboard::Error>,
        ) -> Result<T, ClipboardError> {
            let mut handle = self.handle.lock().unwrap_or_else(PoisonError::into_inner);
            if handle.is_none() {
                *handle =
                    Some(arboard::Clipboard::new().map_err(|e| ClipboardError(e.to_string()))?);
            }
            let clipboard = handle
                .as_mut()
                .ok_or_else(|| ClipboardError("no clipboard handle".into()))?;
            let result = act(clipboard).map_err(|e| ClipboardError(e.to_string()));
            if result.is_err() {
                *handle = None;
            }
            result
        }
    }

    impl ClipboardBackend for OsClipboard {
        fn set_text(&self, text: &str) -> Result<(), ClipboardError> {
            self.with(|clipboard| clipboard.set_text(text))
        }

        fn text(&self) -> Result<String, ClipboardError> {
            match self.with(|clipboard| clipboard.get_text()) {
                Err(ClipboardError(message)) if message.contains("empty") => Ok(String::new()),
                other => other,
            }
        }
    }
}

#[cfg(any(test, feature = "fakes"))]
pub use fake::MemoryClipboard;

#[cfg(any(test, feature = "fakes"))]
mod fake {
    use std::sync::{Arc, Mutex, PoisonError};

    use super::*;

    /// Remembers the last text set, for tests.
    #[derive(Clone, Default)]
    pub struct MemoryClipboard {
        text: Arc<Mutex<Option<String>>>,
    }

    impl MemoryClipboard {
        pub fn text(&self) -> Option<String> {
            self.text
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }
    }

    impl ClipboardBackend for MemoryClipboard {
        fn set_text(&self, text: &str) -> Result<(), ClipboardError> {
            *self.text.lock().unwrap_or_else(PoisonError::into_inner) = Some(text.to_owned());
            Ok(())
        }

        fn text(&self) -> Result<String, ClipboardError> {
            Ok(self.text().unwrap_or_default())
        }
    }
}
