//! The technician's desk: everything the desktop app does, as one object the Tauri
//! commands call once each. It owns the sign-in (and Remember me), the one realtime
//! connection, file transfers and the OS integrations, and pushes [`DeskEvent`]s.
//!
//! It knows nothing of Tauri or windows: the shell tells it when the window is in the
//! foreground and forwards its events.

mod account;
mod adhoc;
mod events;
mod handover;
mod replies;
mod screen;
mod sending;
mod transfers;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use lifeline_protocol::{
    ConsentKind, InviteSent, SessionEvent, SessionSummary, TokenPair, UnixMillis,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{oneshot, watch, RwLock};
use uuid::Uuid;

pub use events::{
    DeskEvent, EventSink, SignedIn, TransferDirection, TransferState, TransferUpdate,
};
pub use handover::{Handover, HandoverError};
pub use screen::{ScreenMessage, ScreenNote};

use crate::clipboard::{Clipboard, ClipboardError};
use crate::keychain::{Keychain, KeychainError, RefreshTokenEntry};
use crate::notifications::Notifier;
use crate::realtime::RealtimeHandle;
use crate::{ApiClient, ClientError, RealtimeClient, RealtimeOptions};

/// What can go wrong at the desk.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(transparent)]
    Clipboard(#[from] ClipboardError),
    #[error("{0}")]
    InvalidInput(String),
    #[error("there is no such transfer")]
    UnknownTransfer,
    #[error(transparent)]
    Handover(#[from] HandoverError),
}

/// The OS integrations a desk uses; real ones in the app, fakes in tests.
#[derive(Clone)]
pub struct DeskOs {
    pub keychain: Keychain,
    pub clipboard: Clipboard,
    pub notifier: Notifier,
}

/// Settings the desk acts on by itself.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Preferences {
    /// Show a system notification when an end user arrives while the app is not focused.
    pub notifications: bool,
    /// `en` or `de`: the language of notifications and invites.
    pub locale: String,
}

/// The parts of the desk its background tasks share.
pub(crate) struct DeskShared {
    sink: EventSink,
    notifier: Notifier,
    foreground: AtomicBool,
    notifications: AtomicBool,
    german: AtomicBool,
    /// Messages sent on the realtime connection, waiting to come back stored.
    outbox: sending::Outbox,
}

impl DeskShared {
    /// Notifies only while the window is in the background and notifications are on.
    fn notify(&self, title: &str, body: &str) {
        self.notify_with(title, body, None);
    }

    /// As `notify`; a click on the notification runs `on_click`.
    fn notify_with(
        &self,
        title: &str,
        body: &str,
        on_click: Option<crate::notifications::OnClick>,
    ) {
        if self.foreground.load(Ordering::SeqCst) || !self.notifications.load(Ordering::SeqCst) {
            return;
        }
        let shown = match on_click {
            Some(on_click) => self.notifier.notify_clickable(title, body, on_click),
            None => self.notifier.notify(title, body),
        };
        if let Err(err) = shown {
            // The app itself still shows what happened; a missing daemon is not fatal.
            tracing::warn!(error = %err, "system notification failed");
        }
    }

    fn announce_activation(&self, end_user_email: &str) {
        if self.german.load(Ordering::SeqCst) {
            self.notify(
                "Ad-hoc-Sitzung aktiviert",
                &format!("Der Computer von {end_user_email} ist jetzt 24 Stunden lang erreichbar."),
            );
        } else {
            self.notify(
                "Ad hoc session activated",
                &format!("The computer of {end_user_email} is now available for 24 hours."),
            );
        }
    }

    /// The end user joined `session_id` (support key `key`): a notification that names
    /// the person and the session; clicking it brings that session to the front.
    fn announce_arrival(self: &Arc<Self>, name: Option<&str>, session_id: Uuid, key: &str) {
        let german = self.german.load(Ordering::SeqCst);
        let title = if german {
            "Endbenutzer ist da"
        } else {
            "End user arrived"
        };
        let body = match (name, german) {
            (Some(name), false) => format!("{name} joined your support session {key}."),
            (Some(name), true) => format!("{name} ist Ihrer Supportsitzung {key} beigetreten."),
            (None, false) => format!("The end user joined your support session {key}."),
            (None, true) => format!("Der Endbenutzer ist Ihrer Supportsitzung {key} beigetreten."),
        };
        let shared = Arc::clone(self);
        let show = Box::new(move || (shared.sink)(DeskEvent::ShowSession { session_id }));
        self.notify_with(title, &body, Some(show));
    }
}

/// A running realtime connection and what keeps the keychain in step with it.
struct Live {
    handle: RealtimeHandle,
    stop: oneshot::Sender<()>,
    keeper: tokio::task::JoinHandle<()>,
}

pub struct Desk {
    os: DeskOs,
    shared: Arc<DeskShared>,
    api: RwLock<Option<ApiClient>>,
    live: Mutex<Option<Live>>,
    remembered: Arc<Mutex<Option<RefreshTokenEntry>>>,
    transfers: transfers::Transfers,
    /// The screen views open now, by session.
    screens: Arc<screen::Screens>,
    /// A sign-in handed over at start, kept until the UI asks for it once.
    handover: Mutex<Option<Result<Handover, HandoverError>>>,
    /// The ad-hoc enrollments this app answers.
    enrollments: adhoc::Enrollments,
}

pub(crate) fn now_ms() -> UnixMillis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

impl Desk {
    pub fn new(os: DeskOs, sink: EventSink) -> Self {
        let shared = Arc::new(DeskShared {
            sink,
            notifier: os.notifier.clone(),
            foreground: AtomicBool::new(true),
            notifications: AtomicBool::new(true),
            german: AtomicBool::new(false),
            outbox: sending::Outbox::default(),
        });
        let enrollments = adhoc::Enrollments::new(os.keychain.clone());
        Self {
            os,
            shared,
            api: RwLock::new(None),
            live: Mutex::new(None),
            remembered: Arc::new(Mutex::new(None)),
            transfers: transfers::Transfers::default(),
            screens: Arc::default(),
            handover: Mutex::new(None),
            enrollments,
        }
    }

    pub(crate) async fn api(&self) -> Result<ApiClient, DeskError> {
        self.api
            .read()
            .await
            .clone()
            .ok_or(DeskError::Client(ClientError::NotSignedIn))
    }

    fn locale(&self) -> &'static str {
        if self.shared.german.load(Ordering::SeqCst) {
            "de"
        } else {
            "en"
        }
    }

    // --- sign-in ---

    /// Signs in with a password; with `remember`, keeps the refresh token in the OS
    /// keychain.
    pub async fn sign_in(
        &self,
        server_url: &str,
        email: &str,
        password: SecretString,
        second_factor: Option<SecretString>,
        remember: bool,
    ) -> Result<SignedIn, DeskError> {
        let api = ApiClient::new(server_url.trim())?;
        let pair = api
            .login_with(
                email.trim(),
                password.expose_secret(),
                second_factor.as_ref().map(|code| code.expose_secret()),
            )
            .await?;
        self.start_new(api, server_url, pair, remember).await
    }

    /// Starts a sign-in made here (with a password or a handover); with `remember`,
    /// keeps its refresh token in the OS keychain. A keychain failure is reported in the
    /// result, not as an error.
    async fn start_new(
        &self,
        api: ApiClient,
        server_url: &str,
        pair: TokenPair,
        remember: bool,
    ) -> Result<SignedIn, DeskError> {
        let entry = RefreshTokenEntry::new(server_url, &pair.technician.email);
        let keychain_error = if remember {
            self.os
                .keychain
                .save_refresh_token(&entry, pair.refresh_token.expose())
                .err()
                .map(|e| e.to_string())
        } else {
            // Unticking Remember me also forgets an older sign-in of this account.
            let _ = self.os.keychain.forget(&entry);
            None
        };
        let remembered = remember && keychain_error.is_none();
        self.start(api, pair, remembered.then_some(entry), keychain_error)
            .await
    }

    /// Signs in silently with the refresh token the keychain holds for this server and
    /// account. `Ok(None)`: nothing remembered, or the service no longer accepts it.
    pub async fn resume(
        &self,
        server_url: &str,
        email: &str,
    ) -> Result<Option<SignedIn>, DeskError> {
        let entry = RefreshTokenEntry::new(server_url, email);
        let Some(token) = self.os.keychain.refresh_token(&entry)? else {
            return Ok(None);
        };
        let api = ApiClient::new(server_url.trim())?;
        let pair = match api.resume(token.expose_secret()).await {
            Ok(pair) => pair,
            Err(err) if err.code().is_some() && !err.is_transient() => {
                // Revoked or expired: the token is useless, so do not keep it around.
                let _ = self.os.keychain.forget(&entry);
                return Ok(None);
            }
            Err(err) => return Err(err.into()),
        };
        // The refresh rotated the token; the keeper saves the new one.
        self.start(api, pair, Some(entry), None).await.map(Some)
    }

    async fn start(
        &self,
        api: ApiClient,
        pair: TokenPair,
        remembered: Option<RefreshTokenEntry>,
        keychain_error: Option<String>,
    ) -> Result<SignedIn, DeskError> {
        let server = api.info().await?;
        self.stop_live();
        *self
            .remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = remembered.clone();
        if let Some(entry) = &remembered {
            self.os
                .keychain
                .save_refresh_token(entry, pair.refresh_token.expose())?;
        }
        let keeper = tokio::spawn(keep_token(
            api.token_updates(),
            self.os.keychain.clone(),
            Arc::clone(&self.remembered),
        ));
        let realtime = RealtimeClient::connect(api.clone(), RealtimeOptions::default());
        let handle = realtime.handle();
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(events::pump(
            realtime,
            Arc::clone(&self.shared),
            (self.enrollments.clone(), api.clone()),
            stopped,
        ));
        *self.live.lock().unwrap_or_else(PoisonError::into_inner) = Some(Live {
            handle,
            stop,
            keeper,
        });
        let server_url = api.base_url().as_str().trim_end_matches('/').to_owned();
        *self.api.write().await = Some(api);
        Ok(SignedIn {
            server_url,
            technician: pair.technician,
            server,
            remembered: remembered.is_some(),
            keychain_error,
        })
    }

    fn stop_live(&self) {
        let live = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(live) = live {
            let _ = live.stop.send(());
            live.keeper.abort();
        }
    }

    /// The app quits: its realtime connection and everything riding on it (the
    /// notifications, answering enrollments) stop; the sign-in stays remembered.
    pub fn quit(&self) {
        self.stop_live();
        self.transfers.cancel_all();
    }

    /// Revokes the sign-in on the service and deletes the remembered token.
    pub async fn sign_out(&self) -> Result<(), DeskError> {
        self.stop_live();
        self.transfers.cancel_all();
        let entry = self
            .remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let api = self.api.write().await.take();
        let forgotten = match &entry {
            Some(entry) => self.os.keychain.forget(entry),
            None => Ok(()),
        };
        if let Some(api) = api {
            // Offline sign-out still forgets locally; the token expires on its own.
            if let Err(err) = api.logout().await {
                tracing::warn!(error = %err, "sign-out could not reach the service");
            }
        }
        Ok(forgotten?)
    }

    // --- preferences and window state ---

    pub fn set_preferences(&self, preferences: &Preferences) {
        self.shared
            .notifications
            .store(preferences.notifications, Ordering::SeqCst);
        self.shared
            .german
            .store(preferences.locale.starts_with("de"), Ordering::SeqCst);
    }

    /// The shell reports window focus: arrivals notify only while in the background.
    pub fn set_foreground(&self, foreground: bool) {
        self.shared.foreground.store(foreground, Ordering::SeqCst);
    }

    // --- sessions ---

    pub async fn sessions(&self) -> Result<Vec<SessionSummary>, DeskError> {
        Ok(self.api().await?.sessions().await?)
    }

    /// Creates a support key (valid 60 minutes) and its waiting session.
    pub async fn start_session(
        &self,
        request_control_on_arrival: bool,
    ) -> Result<SessionSummary, DeskError> {
        Ok(self
            .api()
            .await?
            .create_session(request_control_on_arrival)
            .await?)
    }

    pub async fn set_request_control_on_arrival(
        &self,
        session_id: Uuid,
        value: bool,
    ) -> Result<SessionSummary, DeskError> {
        Ok(self
            .api()
            .await?
            .set_request_control_on_arrival(session_id, value)
            .await?)
    }

    /// Stored events after `since`, to fill a tab opened after they were pushed.
    pub async fn events(
        &self,
        session_id: Uuid,
        since: u64,
    ) -> Result<Vec<SessionEvent>, DeskError> {
        Ok(self.api().await?.events(session_id, since).await?)
    }

    fn with_live(&self, f: impl FnOnce(&RealtimeHandle)) {
        if let Some(live) = &*self.live.lock().unwrap_or_else(PoisonError::into_inner) {
            f(&live.handle);
        }
    }

    pub fn typing(&self, session_id: Uuid, typing: bool) {
        self.with_live(|h| h.typing(session_id, typing));
    }

    /// The technician has seen everything up to `up_to_seq` (the end user sees "read").
    pub fn mark_read(&self, session_id: Uuid, up_to_seq: u64) {
        self.with_live(|h| h.read(session_id, up_to_seq));
    }

    pub async fn request_consent(
        &self,
        session_id: Uuid,
        kind: ConsentKind,
    ) -> Result<SessionEvent, DeskError> {
        Ok(self.api().await?.request_consent(session_id, kind).await?)
    }

    /// Stops waiting for the end user's Lifeline app, or closes a running app's access.
    pub async fn cancel_attended_app(&self, session_id: Uuid) -> Result<SessionEvent, DeskError> {
        Ok(self.api().await?.cancel_attended_app(session_id).await?)
    }

    pub async fn end_session(&self, session_id: Uuid) -> Result<SessionEvent, DeskError> {
        Ok(self.api().await?.end_session(session_id).await?)
    }

    pub async fn transcript_text(&self, session_id: Uuid) -> Result<String, DeskError> {
        Ok(self.api().await?.transcript_text(session_id).await?)
    }

    /// Saves the readable transcript where the technician chose.
    pub async fn export_transcript(&self, session_id: Uuid, dest: &Path) -> Result<(), DeskError> {
        let text = self.transcript_text(session_id).await?;
        tokio::fs::write(dest, text)
            .await
            .map_err(ClientError::Io)?;
        Ok(())
    }

    // --- invites ---

    pub async fn send_sms(&self, session_id: Uuid, to: &str) -> Result<InviteSent, DeskError> {
        let api = self.api().await?;
        Ok(api
            .send_sms_invite(session_id, to, Some(self.locale()))
            .await?)
    }

    /// Sends the invite through the service's SMTP server (when it has one).
    pub async fn send_email(&self, session_id: Uuid, to: &str) -> Result<InviteSent, DeskError> {
        let api = self.api().await?;
        Ok(api
            .send_email_invite(session_id, to, Some(self.locale()))
            .await?)
    }

    /// The join link as a QR code (an SVG), for an end user who joins on their phone.
    pub fn invite_qr(&self, link: &str) -> Result<String, DeskError> {
        Ok(crate::qr::invite_qr_svg(link)?)
    }

    pub fn copy_to_clipboard(&self, text: &str) -> Result<(), DeskError> {
        Ok(self.os.clipboard.set_text(text)?)
    }

    // --- files ---

    /// Starts sending a file into the session; progress arrives as transfer events.
    pub async fn send_file(&self, session_id: Uuid, path: &Path) -> Result<Uuid, DeskError> {
        let api = self.api().await?;
        Ok(self
            .transfers
            .send(api, Arc::clone(&self.shared), session_id, path))
    }

    /// Starts saving a shared file to `dest`; its SHA-256 is checked before it lands.
    pub async fn save_file(
        &self,
        session_id: Uuid,
        file: lifeline_protocol::FileInfo,
        dest: &Path,
    ) -> Result<Uuid, DeskError> {
        let api = self.api().await?;
        Ok(self
            .transfers
            .receive(api, Arc::clone(&self.shared), session_id, file, dest))
    }

    pub async fn cancel_transfer(&self, transfer_id: Uuid) -> Result<(), DeskError> {
        let api = self.api().await?;
        self.transfers.cancel(&api, &self.shared, transfer_id).await
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        self.stop_live();
    }
}

/// Writes every rotated refresh token to the keychain while Remember me holds: refresh
/// tokens are single-use, so a stale one would fail the next silent sign-in.
async fn keep_token(
    mut updates: watch::Receiver<Option<TokenPair>>,
    keychain: Keychain,
    remembered: Arc<Mutex<Option<RefreshTokenEntry>>>,
) {
    while updates.changed().await.is_ok() {
        let Some(pair) = updates.borrow_and_update().clone() else {
            continue;
        };
        let entry = remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(entry) = entry {
            if let Err(err) = keychain.save_refresh_token(&entry, pair.refresh_token.expose()) {
                tracing::warn!(error = %err, "could not keep the rotated refresh token");
            }
        }
    }
}
