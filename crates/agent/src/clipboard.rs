//! The computer's clipboard while a technician controls it: text the technician sends
//! goes on it, and text copied here goes to the technician. arboard lives on a thread of
//! its own that keeps its handle (on X11 copied text lasts only as long as a handle),
//! sets what comes in, and looks for changes once a second. Only changes after control
//! began are passed on, never what the clipboard held before.

use std::sync::mpsc;
use std::time::Duration;

/// How often the clipboard is looked at for a change.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// Changes waiting to be sent, at most; the newest is what matters.
const CHANGES: usize = 4;

/// The clipboard shared with the technician for one stream's control.
pub struct SharedClipboard {
    set: mpsc::Sender<String>,
    changes: tokio::sync::mpsc::Receiver<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("the clipboard is not available here: {0}")]
pub struct ClipboardUnavailable(String);

impl SharedClipboard {
    /// Opens the clipboard and starts watching it; stops when dropped.
    pub fn start() -> Result<Self, ClipboardUnavailable> {
        let (set, incoming) = mpsc::channel::<String>();
        let (changed, changes) = tokio::sync::mpsc::channel(CHANGES);
        let (ready, started) = mpsc::channel();
        std::thread::Builder::new()
            .name("lifeline-clipboard".into())
            .spawn(move || {
                let mut clipboard = match arboard::Clipboard::new() {
                    Ok(clipboard) => {
                        let _ = ready.send(Ok(()));
                        clipboard
                    }
                    Err(err) => {
                        let _ = ready.send(Err(err.to_string()));
                        return;
                    }
                };
                // What the clipboard held when control began is not the technician's.
                let mut last = clipboard.get_text().ok();
                loop {
                    match incoming.recv_timeout(WATCH_INTERVAL) {
                        Ok(text) => {
                            if let Err(err) = clipboard.set_text(text.clone()) {
                                tracing::debug!(error = %err, "setting the clipboard");
                            }
                            last = Some(text);
                        }
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            let now = clipboard.get_text().ok();
                            if now.is_some() && now != last {
                                last.clone_from(&now);
                                if let Some(text) = now {
                                    let _ = changed.try_send(text);
                                }
                            }
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
            })
            .map_err(|err| ClipboardUnavailable(err.to_string()))?;
        match started.recv() {
            Ok(Ok(())) => Ok(Self { set, changes }),
            Ok(Err(err)) => Err(ClipboardUnavailable(err)),
            Err(_) => Err(ClipboardUnavailable("the clipboard thread stopped".into())),
        }
    }

    /// Puts the technician's text on the clipboard.
    pub fn set(&self, text: String) {
        let _ = self.set.send(text);
    }

    /// The next text copied here.
    pub async fn changed(&mut self) -> Option<String> {
        self.changes.recv().await
    }
}
