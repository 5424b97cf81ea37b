//! The technician's app answers an ad-hoc agent's enrollment by itself, whatever it
//! shows, and an app that was closed while the person typed the code answers as soon as
//! it starts again: it kept the code and the verifier in the keychain, never on the
//! service.

use std::time::Duration;

use lifeline_client::desk::SignedIn;
use lifeline_client::protocol::{AdhocPrepared, AdhocStatus, ComputerInfo};
use lifeline_client::ApiClient;
use serde_json::json;

use crate::support::{service, sign_in_args, Fakes, MockApp, ADHOC_PASSWORD, ADMIN_EMAIL};

fn computer() -> ComputerInfo {
    ComputerInfo {
        hostname: "erika-laptop".into(),
        os: "Linux".into(),
        os_version: "Debian 12".into(),
        user: "erika".into(),
        agent_version: "0.1.0".into(),
    }
}

#[test]
fn a_closed_app_answers_the_waiting_agent_when_it_starts_again() -> anyhow::Result<()> {
    let service = service()?;
    let fakes = Fakes::default();
    let first = MockApp::new(&fakes)?;
    let _: SignedIn = first.ok("sign_in", sign_in_args(&service, true))?;
    let prepared: AdhocPrepared = first.ok(
        "prepare_adhoc",
        json!({"email": "erika@example.test", "password": ADHOC_PASSWORD, "confirmation": ADHOC_PASSWORD}),
    )?;
    assert_eq!(
        fakes.keychain.len(),
        2,
        "the sign-in, and the session's code and verifier"
    );
    drop(first);

    // The person types the code while the app is closed: the agent waits, and says for
    // whom.
    let runtime = tokio::runtime::Runtime::new()?;
    let agent = ApiClient::new(&service.url)?;
    let (told, heard) = std::sync::mpsc::channel();
    let id = prepared.session.id;
    let code = prepared.security_code.clone();
    let enrolling = runtime.spawn(async move {
        agent
            .enroll_adhoc(id, &code, computer(), move |started| {
                let _ = told.send(started.technician_name.clone());
            })
            .await
    });
    assert_eq!(
        heard.recv_timeout(Duration::from_secs(20))?,
        "Lifeline Admin"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !enrolling.is_finished(),
        "no app, no answer: the agent waits"
    );

    // The app starts again, signs in silently and answers the waiting run by itself.
    let second = MockApp::new(&fakes)?;
    let resumed: Option<SignedIn> = second.ok(
        "resume_sign_in",
        json!({ "serverUrl": service.url, "email": ADMIN_EMAIL }),
    )?;
    assert!(resumed.is_some(), "signed in silently");
    let (activated, _verifier) = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(30), enrolling).await })???;
    assert_eq!(activated.session_id, id);
    assert_eq!(activated.technician_name, "Lifeline Admin");

    // Once the session is active the app forgets the code: only the sign-in is kept.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while fakes.keychain.len() != 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(fakes.keychain.len(), 1, "the enrollment secret is gone");
    let technician = ApiClient::new(&service.url)?;
    let session = runtime.block_on(async {
        technician
            .login(ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
            .await?;
        technician.adhoc_sessions().await
    })?;
    assert_eq!(session[0].status, AdhocStatus::Active);
    Ok(())
}
