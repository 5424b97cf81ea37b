//! The desktop app for everyone: axe-core (WCAG 2.1 A and AA) finds no serious or critical
//! problem on any page, in English and German, in the light and the dark theme, and each
//! page has one `main` landmark and a level-1 heading. `src-tauri/e2e/run` provides the
//! desktop session.

use lifeline_client::ApiClient;
use serde_json::json;
use uuid::Uuid;

use crate::in_window::{accessibility_problems, joined_session, shot, signed_in_window};
use crate::support::{first_admin, ADMIN_EMAIL, ADMIN_PASSWORD};
use lifeline_e2e::harness::InProcessService;
use lifeline_e2e::webdriver::{Driver, Window};

/// Chooses `value` in the Settings page's select `id`, as a person would.
async fn choose(window: &Window, id: &str, value: &str) -> anyhow::Result<()> {
    window
        .run(
            "const [id, value] = arguments; const select = document.getElementById(id); \
             select.value = value; select.dispatchEvent(new Event('change', { bubbles: true }));",
            json!([id, value]),
        )
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb, a session bus, gnome-keyring, dunst and tauri-driver: run src-tauri/e2e/run"]
async fn every_page_passes_axe_in_both_languages_and_both_themes() -> anyhow::Result<()> {
    let service = InProcessService::start(|_| {}).await?;
    service.add_technician("Acme IT", first_admin()).await?;
    let technician = ApiClient::new(&service.url)?;
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    // A session with a message from each side, so the chat shows both kinds of line.
    let (session, _end_user, _joined) =
        joined_session(&technician, &service.url, "Erika", "The printer is stuck").await?;
    technician
        .send_message(session.id, Uuid::new_v4(), "Let me have a look")
        .await?;

    let driver = Driver::start()?;
    let (window, shots) = signed_in_window(&driver, &service.url).await?;
    window
        .wait_for(
            "document.querySelector('.session-tab') !== null",
            "the session listed",
        )
        .await?;
    let pages = [
        ("#tab-support", "support"),
        ("#tab-adhoc", "ad hoc"),
        ("#tab-computers", "computers"),
        ("#tab-settings", "settings"),
        (".session-tab", "a session"),
    ];
    for (language, theme) in [
        ("en", "light"),
        ("de", "dark"),
        ("de", "light"),
        ("en", "dark"),
    ] {
        window.click("#tab-settings").await?;
        choose(&window, "language", language).await?;
        choose(&window, "theme", theme).await?;
        for (control, page) in pages {
            window.click(control).await?;
            window
                .wait_for(
                    "document.querySelectorAll('main').length === 1 && document.querySelector('main h1') !== null",
                    "one main landmark with a level-1 heading",
                )
                .await?;
            let problems = accessibility_problems(&window).await?;
            assert!(
                problems.is_empty(),
                "{page} in {language}, {theme} theme: {problems:#?}"
            );
        }
        shot(
            &window,
            &shots,
            &format!("30-a11y-session-{language}-{theme}"),
        )
        .await?;
    }
    window.close().await?;
    Ok(())
}
