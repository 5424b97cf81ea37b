//! Canned replies in the real window: a technician adds one in Settings, an admin's
//! company-wide one is there too, and in a session `/` and a few letters in the message
//! box put a reply into it with its variables filled in; Enter sends it to the end user.

use lifeline_client::protocol::{EventData, ReplyScope, SaveCannedReply};
use lifeline_client::ApiClient;
use serde_json::json;

use crate::in_window::{joined_session, shot, signed_in_window};
use crate::support::{first_admin, ADMIN_EMAIL, ADMIN_PASSWORD};
use lifeline_e2e::harness::InProcessService;
use lifeline_e2e::webdriver::{Driver, ENTER};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb, a session bus, gnome-keyring, dunst and tauri-driver: run src-tauri/e2e/run"]
async fn a_canned_reply_is_picked_with_a_slash_filled_in_and_sent() -> anyhow::Result<()> {
    let service = InProcessService::start(|_| {}).await?;
    service.add_technician("Acme IT", first_admin()).await?;
    let technician = ApiClient::new(&service.url)?;
    let me = technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    technician
        .add_canned_reply(&SaveCannedReply {
            title: "Greeting".into(),
            text_en:
                "Hello {end_user}, this is {technician} from {company}. Your key: {support_key}"
                    .into(),
            text_de: "Hallo {end_user}, hier ist {technician} von {company}.".into(),
            scope: ReplyScope::Company,
        })
        .await?;
    let (session, end_user, joined) =
        joined_session(&technician, &service.url, "Erika", "My printer is stuck").await?;

    let driver = Driver::start()?;
    let (window, shots) = signed_in_window(&driver, &service.url).await?;

    // A reply of one's own, added in Settings.
    window.click("#tab-settings").await?;
    window.type_into("#reply-title", "Printer").await?;
    window
        .type_into("#reply-text-en", "Please restart the printer, {end_user}.")
        .await?;
    window.click("#reply-save").await?;
    window
        .wait_for(
            "[...document.querySelectorAll('.reply strong')].map((e) => e.textContent).join() === 'Greeting,Printer'",
            "both replies listed in Settings",
        )
        .await?;

    // In the session: "/gre" finds the company's greeting; Enter puts it in, filled in.
    window.click(".session-tab").await?;
    window.type_into("#message", "/gre").await?;
    window
        .wait_for(
            "document.querySelectorAll('#reply-menu [role=option]').length === 1",
            "the greeting offered",
        )
        .await?;
    shot(&window, &shots, "21-canned-reply-menu").await?;
    window.type_into("#message", ENTER).await?;
    let company = &me.technician.company_name;
    let name = &me.technician.display_name;
    let filled = format!(
        "Hello Erika, this is {name} from {company}. Your key: {}",
        session.support_key_display
    );
    let value = window
        .run(
            "return document.getElementById('message').value;",
            json!([]),
        )
        .await?;
    assert_eq!(value.as_str(), Some(filled.as_str()));
    window.type_into("#message", ENTER).await?;

    // The end user gets the filled-in text.
    let mut received = false;
    for _ in 0..50 {
        let events = end_user.events(joined.session_id, 0).await?;
        received = events
            .iter()
            .any(|e| matches!(&e.data, EventData::Message { text, .. } if *text == filled));
        if received {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(received, "the end user received {filled:?}");

    // The technician's own reply is there too, from the menu.
    window.type_into("#message", "/print").await?;
    window.type_into("#message", ENTER).await?;
    let value = window
        .run(
            "return document.getElementById('message').value;",
            json!([]),
        )
        .await?;
    assert_eq!(value.as_str(), Some("Please restart the printer, Erika."));
    window.close().await?;
    Ok(())
}
