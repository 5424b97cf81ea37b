//! What both real-window tests do: screenshots, checksums, and the file commands that
//! the native pickers lead to (native dialogs cannot be driven over WebDriver).

use std::path::{Path, PathBuf};

use lifeline_e2e::webdriver::{Driver, Window};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

pub fn sha256(path: &Path) -> anyhow::Result<String> {
    Ok(hex::encode(Sha256::digest(std::fs::read(path)?)))
}

pub async fn shot(window: &Window, dir: &Path, name: &str) -> anyhow::Result<()> {
    window.screenshot(&dir.join(format!("{name}.png"))).await
}

/// Invokes the app's `command` with `args` from the page, as the UI would; returns
/// what it answered, its result or its `{code, message}` error.
pub async fn invoke(
    window: &Window,
    command: &str,
    args: impl Serialize,
) -> anyhow::Result<serde_json::Value> {
    window
        .run_async(
            "const [command, args, done] = arguments; \
             window.__TAURI_INTERNALS__.invoke(command, args).then(done, done);",
            json!([command, args]),
        )
        .await
}

/// Sends `path` into the session, as the file picker would.
pub async fn send_file(
    window: &Window,
    session_id: impl Serialize,
    path: &Path,
) -> anyhow::Result<()> {
    invoke(
        window,
        "send_file",
        json!({ "sessionId": session_id, "path": path }),
    )
    .await?;
    Ok(())
}

/// Saves a received file to `dest`, as the save dialog would, and waits until the tab
/// shows `transfers` finished transfers.
pub async fn save_file(
    window: &Window,
    session_id: impl Serialize,
    file: impl Serialize,
    dest: &Path,
    transfers: usize,
) -> anyhow::Result<()> {
    invoke(
        window,
        "save_file",
        json!({ "sessionId": session_id, "file": file, "dest": dest }),
    )
    .await?;
    window
        .wait_for(
            &format!(
                "[...document.querySelectorAll('.transfer')].filter(e => e.dataset.state === 'done').length >= {transfers}"
            ),
            "the transfers done",
        )
        .await
}

/// Clicks the screen view's canvas where the remote screen's point (`x`, `y`) is drawn
/// (the picture is fitted into the canvas box and centred).
pub async fn click_screen_point(window: &Window, x: i64, y: i64) -> anyhow::Result<()> {
    use anyhow::Context;
    let offset = window
        .run(
            "const [x, y] = arguments; const c = document.getElementById('screen-canvas'); \
             const r = c.getBoundingClientRect(); \
             const s = Math.min(r.width / c.width, r.height / c.height); \
             return [Math.round((x - c.width / 2) * s), Math.round((y - c.height / 2) * s)];",
            serde_json::json!([x, y]),
        )
        .await?;
    let (dx, dy) = (
        offset[0].as_i64().context("dx")?,
        offset[1].as_i64().context("dy")?,
    );
    window.click_at("#screen-canvas", dx, dy).await
}

/// Where the window tests leave their screenshots.
pub fn screenshots_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::var_os("LIFELINE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("lifeline-window-shots"));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The desktop app in a real window, signed in to `service_url` as the first admin through
/// its sign-in form; and where screenshots go.
pub async fn signed_in_window(
    driver: &Driver,
    service_url: &str,
) -> anyhow::Result<(Window, PathBuf)> {
    let window = driver
        .open(&crate::support::binary("lifeline-desktop")?)
        .await?;
    window.type_into("#server-url", service_url).await?;
    window
        .type_into("#email", crate::support::ADMIN_EMAIL)
        .await?;
    window
        .type_into("#password", crate::support::ADMIN_PASSWORD)
        .await?;
    window.click("#sign-in").await?;
    window.find("#start-session").await?;
    Ok((window, screenshots_dir()?))
}

/// What axe-core (WCAG 2.1 A and AA rules) finds serious or critical on the page the
/// window shows now, one line per rule with the elements it found.
pub async fn accessibility_problems(window: &Window) -> anyhow::Result<Vec<String>> {
    let axe_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/node_modules/axe-core/axe.min.js");
    let axe = std::fs::read_to_string(&axe_path)
        .map_err(|e| anyhow::anyhow!("{}: {e} (npm install in ui/)", axe_path.display()))?;
    window
        .run(&format!("{axe}\nwindow.axe = axe; return true;"), json!([]))
        .await?;
    let found = window
        .run_async(
            "const [done] = arguments; \
             window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }) \
               .then((result) => done(result.passes.length === 0 ? ['axe checked nothing'] : result.violations \
                 .filter((v) => v.impact === 'serious' || v.impact === 'critical') \
                 .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)), \
                 (err) => done([`axe failed: ${err}`]));",
            json!([]),
        )
        .await?;
    Ok(serde_json::from_value(found)?)
}

/// A new session of `technician` that an end user named `name` joined and wrote `said`
/// in, through the API: the session, the end user's client, and where they joined.
pub async fn joined_session(
    technician: &lifeline_client::ApiClient,
    service_url: &str,
    name: &str,
    said: &str,
) -> anyhow::Result<(
    lifeline_client::protocol::SessionSummary,
    lifeline_client::ApiClient,
    lifeline_client::protocol::JoinResponse,
)> {
    let session = technician.create_session(false).await?;
    let end_user = lifeline_client::ApiClient::new(service_url)?;
    let joined = end_user
        .join(session.support_key.as_str(), Some(name))
        .await?;
    end_user
        .send_message(joined.session_id, uuid::Uuid::new_v4(), said)
        .await?;
    Ok((session, end_user, joined))
}
