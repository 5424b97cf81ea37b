//! Screen view in the real window: the end user's page (headless Chromium) shares its
//! own tab, which paints a known pattern; the desktop app under Xvfb decodes the stream
//! with WebCodecs onto its canvas. Stop sharing on the page clears it; a second share
//! ends with the session. `src-tauri/e2e/run` provides the desktop session.

use std::path::PathBuf;

use lifeline_e2e::puppet::Puppet;
use lifeline_e2e::webdriver::{Driver, Window};
use serde_json::{json, Value};

use crate::in_window::shot;
use crate::support::{binary, service, ADMIN_EMAIL, ADMIN_PASSWORD};

/// The pattern's colours as the canvas shows them at each quarter's middle, away from
/// the marker's row: `[r, g, b]` for top-left, top-right, bottom-left, bottom-right.
async fn canvas_quarters(window: &Window) -> anyhow::Result<Value> {
    window
        .run(
            "const c = document.getElementById('screen-canvas'); \
             const ctx = c.getContext('2d'); \
             return [[0.25, 0.08], [0.75, 0.08], [0.25, 0.52], [0.75, 0.52]].map(([fx, fy]) => \
               Array.from(ctx.getImageData(Math.floor(c.width * fx), Math.floor(c.height * fy), 1, 1).data.slice(0, 3)));",
            json!([]),
        )
        .await
}

fn colour(rgb: &Value) -> lifeline_e2e::pattern::Colour {
    let channel = |i: usize| rgb[i].as_u64().unwrap_or(0).min(255) as u8;
    lifeline_e2e::pattern::classify(channel(0), channel(1), channel(2))
}

/// Waits until the canvas has drawn more than `pictures` pictures.
async fn pictures_beyond(window: &Window, pictures: u32) -> anyhow::Result<()> {
    window
        .wait_for(
            &format!(
                "Number(document.getElementById('screen-canvas')?.dataset.pictures ?? 0) > {pictures}"
            ),
            "pictures on the canvas",
        )
        .await
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb, a session bus, gnome-keyring, dunst and tauri-driver: run src-tauri/e2e/run"]
async fn the_technician_watches_the_end_users_screen_live_in_the_real_window() -> anyhow::Result<()>
{
    use lifeline_e2e::pattern::Colour;

    let service = service()?;
    let shots = std::env::var_os("LIFELINE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("lifeline-window-shots"));
    std::fs::create_dir_all(&shots)?;
    let driver = Driver::start()?;
    let window = driver.open(&binary("lifeline-desktop")?).await?;
    window.type_into("#server-url", &service.url).await?;
    window.type_into("#email", ADMIN_EMAIL).await?;
    window.type_into("#password", ADMIN_PASSWORD).await?;
    window.click("#sign-in").await?;
    window.click("#start-session").await?;
    let join_url = window.text("#join-url").await?;

    let mut end_user = Puppet::start().await?;
    end_user
        .call("open", json!({ "url": join_url.trim(), "screen": "tab" }))
        .await?;
    end_user.call("join", json!({ "name": "Erika" })).await?;
    end_user.call("paint_pattern", json!({})).await?;
    window.click("#request-view").await?;
    end_user.call("share_screen", json!({})).await?;

    // The screen shows beside the chat, decoded by the webview's WebCodecs.
    pictures_beyond(&window, 5).await?;
    let codec = window
        .run(
            "return document.getElementById('screen-canvas').dataset.codec;",
            json!([]),
        )
        .await?;
    assert!(
        codec == json!("h264") || codec == json!("vp8"),
        "a video codec, not the JPEG fallback: {codec}"
    );
    let quarters = canvas_quarters(&window).await?;
    let seen: Vec<Colour> = quarters
        .as_array()
        .map(|q| q.iter().map(colour).collect())
        .unwrap_or_default();
    assert_eq!(
        seen,
        [Colour::Red, Colour::Green, Colour::Blue, Colour::Yellow],
        "the canvas shows the page's colours where the page painted them: {quarters}"
    );
    let size = window.text("#screen-size").await?;
    assert!(
        size.contains('×'),
        "the shared surface's size shows: {size}"
    );
    window.find("#screen-fps").await?;
    // 1:1 shows the picture at its own size, with scrolling; fit brings it back.
    window.click("#screen-fit").await?;
    window
        .wait_for(
            "document.getElementById('screen-canvas').clientWidth === 1280",
            "the picture at its actual size",
        )
        .await?;
    window.click("#screen-fit").await?;
    window
        .wait_for(
            "document.getElementById('screen-canvas').clientWidth < 1280",
            "the picture fitted to the view",
        )
        .await?;
    shot(&window, &shots, "screen-view").await?;
    eprintln!("the window decoded {codec}");

    // Stop sharing on the page clears the view at once.
    end_user.call("stop_sharing", json!({})).await?;
    window
        .wait_for(
            "!document.getElementById('screen-canvas') && document.querySelector('[data-screen=stopped]')",
            "the view to clear and the chat to say so",
        )
        .await?;

    // The technician asks again; ending the session stops the new share on both sides.
    window.click("#request-view").await?;
    end_user.call("share_screen", json!({})).await?;
    pictures_beyond(&window, 2).await?;
    window.click("#end-session").await?;
    window.click("#end-confirm").await?;
    end_user.call("wait_ended", json!({})).await?;
    end_user
        .call(
            "wait_testid",
            json!({ "testid": "share-bar", "state": "hidden" }),
        )
        .await?;
    window
        .wait_for(
            "!document.getElementById('screen-canvas')",
            "the view to close with the session",
        )
        .await?;
    let transcript = window.text("#transcript").await?;
    assert!(
        transcript.contains("Screen view stopped by Lifeline Admin (the session ended)"),
        "{transcript}"
    );
    end_user.close().await?;
    window.close().await?;
    Ok(())
}
