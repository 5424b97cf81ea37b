//! The console at a busy hour, in the real window: fifteen sessions, each with an end user
//! who joined and wrote, some answered. The side list names each person, shows how long
//! each has waited for an answer and puts the longest wait first; Ctrl+Tab and Ctrl+3
//! switch sessions; Settings stays in reach. `src-tauri/e2e/run` provides the desktop.

use lifeline_client::ApiClient;
use serde_json::json;
use uuid::Uuid;

use crate::in_window::{shot, signed_in_window};
use crate::support::{first_admin, ADMIN_EMAIL, ADMIN_PASSWORD};
use lifeline_e2e::harness::InProcessService;
use lifeline_e2e::webdriver::{Driver, Window};

const PEOPLE: [&str; 15] = [
    "Erika", "Max", "Sabine", "Jonas", "Lea", "Paul", "Mia", "Felix", "Emma", "Noah", "Hanna",
    "Ben", "Lina", "Elias", "Clara",
];

/// The ids of the session list's entries, top to bottom.
async fn listed(window: &Window) -> anyhow::Result<Vec<String>> {
    let ids = window
        .run(
            "return [...document.querySelectorAll('.session-list .session-tab')].map((e) => e.dataset.session);",
            json!([]),
        )
        .await?;
    Ok(serde_json::from_value(ids)?)
}

async fn front(window: &Window) -> anyhow::Result<String> {
    let id = window
        .run(
            "return document.querySelector('.session-tab[aria-current=true]')?.dataset.session ?? null;",
            json!([]),
        )
        .await?;
    Ok(id.as_str().unwrap_or_default().to_owned())
}

async fn press(window: &Window, key: &str, shift: bool) -> anyhow::Result<()> {
    window
        .run(
            "const [key, shiftKey] = arguments; \
             window.dispatchEvent(new KeyboardEvent('keydown', { key, ctrlKey: true, shiftKey, bubbles: true }));",
            json!([key, shift]),
        )
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb, a session bus, gnome-keyring, dunst and tauri-driver: run src-tauri/e2e/run"]
async fn fifteen_sessions_fit_the_list_the_longest_wait_first_and_keys_switch_between_them(
) -> anyhow::Result<()> {
    let service = InProcessService::start(|_| {}).await?;
    service.add_technician("Acme IT", first_admin()).await?;
    let technician = ApiClient::new(&service.url)?;
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    // Fifteen people join and write, one after the other, so the first has waited longest;
    // every third is answered and waits no more.
    let mut sessions: Vec<(Uuid, &str, bool)> = Vec::new();
    for (index, name) in PEOPLE.iter().enumerate() {
        let session = technician.create_session(false).await?;
        let end_user = ApiClient::new(&service.url)?;
        let joined = end_user
            .join(session.support_key.as_str(), Some(name))
            .await?;
        end_user
            .send_message(
                joined.session_id,
                Uuid::new_v4(),
                &format!("{name} needs help"),
            )
            .await?;
        let answered = index % 3 == 2;
        if answered {
            technician
                .send_message(session.id, Uuid::new_v4(), "On it")
                .await?;
        }
        sessions.push((session.id, name, answered));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let driver = Driver::start()?;
    let (window, shots) = signed_in_window(&driver, &service.url).await?;
    window
        .wait_for(
            "document.querySelectorAll('.session-list .session-tab').length === 15",
            "all fifteen sessions listed",
        )
        .await?;

    // Those waiting for an answer first, longest first; then the answered ones.
    let waiting: Vec<String> = sessions
        .iter()
        .filter(|(_, _, answered)| !answered)
        .map(|(id, _, _)| id.to_string())
        .collect();
    let order = listed(&window).await?;
    assert_eq!(
        order[..waiting.len()],
        waiting[..],
        "the longest wait first"
    );
    let names = window
        .run(
            "return [...document.querySelectorAll('.session-list .session-tab')].map((e) => \
             [e.dataset.session, e.querySelector('.entry-name').textContent, \
              e.querySelector('.waiting') !== null]);",
            json!([]),
        )
        .await?;
    let names: Vec<(String, String, bool)> = serde_json::from_value(names)?;
    for (id, name, answered) in &sessions {
        let entry = names
            .iter()
            .find(|(listed, _, _)| *listed == id.to_string())
            .expect("listed");
        assert_eq!(entry.1, *name, "each entry names its person");
        assert_eq!(
            entry.2, !answered,
            "a waiting time only while unanswered: {name}"
        );
    }
    shot(&window, &shots, "20-console-fifteen").await?;

    // Settings is in reach (inside the window) with fifteen sessions listed.
    assert!(
        window
            .holds(
                "(() => { const r = document.getElementById('tab-settings').getBoundingClientRect(); \
                 return r.bottom <= window.innerHeight && r.top >= 0 && r.height > 0; })()"
            )
            .await?,
        "Settings is visible"
    );

    // Ctrl+Tab from a page goes to the first session, again to the second; Ctrl+3 to the
    // third; Ctrl+Shift+Tab back to the second. The session in front is in view.
    press(&window, "Tab", false).await?;
    window
        .wait_for(
            "document.getElementById('message') !== null",
            "a session in front",
        )
        .await?;
    assert_eq!(front(&window).await?, order[0]);
    press(&window, "Tab", false).await?;
    assert_eq!(front(&window).await?, order[1]);
    press(&window, "3", false).await?;
    assert_eq!(front(&window).await?, order[2]);
    press(&window, "Tab", true).await?;
    assert_eq!(front(&window).await?, order[1]);
    press(&window, "9", false).await?;
    assert_eq!(front(&window).await?, order[8]);
    assert!(
        window
            .holds(
                "(() => { const e = document.querySelector('.session-tab[aria-current=true]'); \
                 const list = document.querySelector('.session-list').getBoundingClientRect(); \
                 const r = e.getBoundingClientRect(); return r.top >= list.top && r.bottom <= list.bottom; })()"
            )
            .await?,
        "the session in front is in view in the list"
    );
    window.click("#tab-settings").await?;
    window.find("#wait-warn").await?;
    window.close().await?;
    Ok(())
}
