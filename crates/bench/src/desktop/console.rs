//! The console at a busy hour: the technician app signed in with fifteen sessions open,
//! each joined by an end user who wrote a message. Measured: the memory (against one
//! session, per extra session) and how long after an end user sends a message its
//! entry in the session list shows it (the unread count changing), from the page's own
//! clock against the moment the message was sent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use lifeline_bench::server::{Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use lifeline_client::ApiClient;
use lifeline_e2e::webdriver::Window;
use serde_json::json;
use uuid::Uuid;

/// Sessions the console holds while measured.
pub const SESSIONS: usize = 15;

/// One end user in one of the technician's sessions.
pub struct EndUser {
    client: ApiClient,
    session_id: Uuid,
}

/// Fifteen sessions of the first admin at `server`, each joined by an end user who wrote
/// one message: what the app opens when it signs in.
pub async fn busy_sessions(server: &Server) -> anyhow::Result<Vec<EndUser>> {
    let technician = ApiClient::new(&server.base)?;
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let mut end_users = Vec::new();
    for n in 0..SESSIONS {
        let session = technician.create_session(false).await?;
        let client = ApiClient::new(&server.base)?;
        let joined = client
            .join(session.support_key.as_str(), Some(&format!("End user {n}")))
            .await?;
        client
            .send_message(joined.session_id, Uuid::new_v4(), "Hello?")
            .await?;
        end_users.push(EndUser {
            client,
            session_id: joined.session_id,
        });
    }
    Ok(end_users)
}

/// Signs the app in, waits until all fifteen sessions are in the list, and brings the
/// first to the front.
pub async fn sign_in_to_busy_console(window: &Window, server: &Server) -> anyhow::Result<()> {
    window.type_into("#server-url", &server.base).await?;
    window.type_into("#email", ADMIN_EMAIL).await?;
    window.type_into("#password", ADMIN_PASSWORD).await?;
    window.click("#sign-in").await?;
    window
        .wait_for(
            &format!(
                "document.querySelectorAll('.session-list .session-tab').length === {SESSIONS}"
            ),
            "all sessions listed",
        )
        .await?;
    // One session in front, as in the one-session reading it is compared with.
    window.click(".session-list .session-tab").await?;
    window
        .wait_for(
            "document.getElementById('message') !== null",
            "a session in front",
        )
        .await
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

/// For `messages` messages, each from the next end user in turn: milliseconds from
/// sending until that session's entry in the list shows one more unread message.
pub async fn list_update_ms(
    window: &Window,
    end_users: &[EndUser],
    messages: usize,
) -> anyhow::Result<Vec<f64>> {
    let mut took = Vec::with_capacity(messages);
    for n in 0..messages {
        // The first end user's session is in front (it waited longest, so it heads the
        // list): its messages are read at once and show no unread count.
        let end_user = &end_users[1 + n % (end_users.len() - 1)];
        // Watches the entry before the message goes out, so no change is missed.
        window
            .run(
                "const [id] = arguments; window.__entryChangedAt = null; \
                 const entry = document.querySelector(`.session-tab[data-session='${id}']`); \
                 const count = () => entry.querySelector('.badge')?.textContent ?? '0'; \
                 const before = count(); \
                 const observer = new MutationObserver(() => { \
                   if (count() !== before && window.__entryChangedAt === null) { \
                     window.__entryChangedAt = Date.now(); observer.disconnect(); } }); \
                 observer.observe(entry, { subtree: true, childList: true, characterData: true }); \
                 return before;",
                json!([end_user.session_id]),
            )
            .await?;
        let sent_at = now_ms();
        end_user
            .client
            .send_message(end_user.session_id, Uuid::new_v4(), &format!("Message {n}"))
            .await?;
        let started = std::time::Instant::now();
        let changed_at = loop {
            let at = window
                .run("return window.__entryChangedAt;", json!([]))
                .await?;
            if let Some(at) = at.as_f64() {
                break at;
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!("the entry of message {n} did not change within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        took.push((changed_at - sent_at).max(0.0));
    }
    Ok(took)
}

/// The `q`th quantile (0 to 1) of `values`, nearest rank.
pub fn quantile(values: &[f64], q: f64) -> anyhow::Result<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().context("no values")
}
