//! The arrival notification on the mock runtime against a real service: it names the
//! person and the session, and a click on it brings that session to the front.

use lifeline_client::desk::DeskEvent;

use crate::support::{service, Fakes, MockApp};

#[test]
fn the_arrival_notification_names_the_person_and_the_session_and_a_click_shows_it(
) -> anyhow::Result<()> {
    let service = service()?;
    let fakes = Fakes::default();
    let app = MockApp::signed_in(&service, &fakes)?;
    app.to_background();
    let session = app.joined_session(&service)?;
    let started = std::time::Instant::now();
    let shown = loop {
        if let Some(shown) = fakes.notifier.shown().into_iter().next() {
            break shown;
        }
        anyhow::ensure!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no arrival notification"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(shown.0, "End user arrived");
    assert_eq!(
        shown.1,
        format!(
            "Erika joined your support session {}.",
            session.support_key_display
        )
    );
    assert!(
        fakes.notifier.click_last(),
        "the notification can be clicked"
    );
    let shown_session =
        app.wait_event("the session brought to the front", |event| match event {
            DeskEvent::ShowSession { session_id } => Some(*session_id),
            _ => None,
        })?;
    assert_eq!(shown_session, session.id);
    Ok(())
}
