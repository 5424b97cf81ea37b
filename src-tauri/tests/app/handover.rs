//! The one-time sign-in `scripts/run` hands the app at start: minted by the service's
//! CLI, used once by the app, then kept in the keychain as Remember me keeps a sign-in.

use anyhow::Context;
use lifeline_client::desk::{Handover, SignedIn};
use lifeline_client::protocol::{SessionSummary, SignInHandover};
use lifeline_client::{ApiClient, ClientError};
use serde_json::json;

use crate::support::{service, sign_in_args, Fakes, MockApp, ServiceProcess, ADMIN_EMAIL};

/// What `lifeline-server technician sign-in-token` prints, and its parsed form.
fn mint(service: &ServiceProcess) -> anyhow::Result<(String, SignInHandover)> {
    let line = service.cli(&["technician", "sign-in-token"])?;
    let parsed = serde_json::from_str(line.trim()).context("the CLI prints one JSON object")?;
    Ok((line, parsed))
}

/// Presents a refresh token to the service directly, as a thief would.
fn replay(service: &ServiceProcess, token: &str) -> anyhow::Result<Result<(), ClientError>> {
    let runtime = tokio::runtime::Runtime::new()?;
    Ok(runtime
        .block_on(ApiClient::new(&service.url)?.resume(token))
        .map(drop))
}

#[test]
fn a_handed_over_sign_in_signs_the_app_in_once_and_is_kept_in_the_keychain() -> anyhow::Result<()> {
    let service = service()?;
    let (line, printed) = mint(&service)?;
    assert_eq!(line.lines().count(), 1, "one line, for a pipe");
    assert_eq!(printed.email, ADMIN_EMAIL, "the first admin by default");

    let fakes = Fakes::default();
    let app = MockApp::with_handover(&fakes, Handover::parse(&line))?;
    let signed_in: Option<SignedIn> = app.ok("sign_in_handed_over", json!({}))?;
    let signed_in = signed_in.context("the handover signs in")?;
    assert_eq!(signed_in.technician.email, ADMIN_EMAIL);
    assert_eq!(
        signed_in.server_url,
        service.url.trim_end_matches('/'),
        "the UI learns where it is signed in, to keep for the next start"
    );
    assert!(signed_in.remembered, "kept as Remember me keeps a sign-in");
    assert_eq!(
        fakes.keychain.len(),
        1,
        "its refresh token is in the keychain"
    );
    app.ok::<Vec<SessionSummary>>("list_sessions", json!({}))?;
    let again: Option<SignedIn> = app.ok("sign_in_handed_over", json!({}))?;
    assert!(again.is_none(), "the app uses a handover once");
    drop(app);

    let restarted = MockApp::new(&fakes)?;
    let resumed: Option<SignedIn> = restarted.ok(
        "resume_sign_in",
        json!({ "serverUrl": signed_in.server_url, "email": ADMIN_EMAIL }),
    )?;
    assert!(
        resumed.is_some(),
        "the next start signs in from the keychain, without a handover"
    );
    assert!(
        replay(&service, &printed.refresh_token)?.is_err(),
        "the printed token is spent: nobody else can sign in with it"
    );
    Ok(())
}

#[test]
fn with_a_remembered_sign_in_the_handover_is_revoked_instead_of_used() -> anyhow::Result<()> {
    let service = service()?;
    let fakes = Fakes::default();
    MockApp::new(&fakes)?.ok::<SignedIn>("sign_in", sign_in_args(&service, true))?;
    let (line, printed) = mint(&service)?;

    let app = MockApp::with_handover(&fakes, Handover::parse(&line))?;
    let signed_in: Option<SignedIn> = app.ok("sign_in_handed_over", json!({}))?;
    assert!(
        signed_in.is_some_and(|s| s.remembered),
        "the remembered sign-in resumes"
    );
    assert_eq!(fakes.keychain.len(), 1);
    assert!(
        replay(&service, &printed.refresh_token)?.is_err(),
        "the unused handover does not linger until it expires"
    );
    app.ok::<Vec<SessionSummary>>("list_sessions", json!({}))
        .context("revoking the handover leaves the app's own sign-in alone")?;
    Ok(())
}

#[test]
fn a_spent_or_garbled_handover_is_refused_with_a_readable_message_and_the_password_still_works(
) -> anyhow::Result<()> {
    let service = service()?;
    let (line, printed) = mint(&service)?;
    replay(&service, &printed.refresh_token)?.context("someone else used it first")?;

    let app = MockApp::with_handover(&Fakes::default(), Handover::parse(&line))?;
    let error = app
        .invoke::<Option<SignedIn>>("sign_in_handed_over", json!({}))?
        .expect_err("a spent handover cannot sign in");
    assert_eq!(
        error["code"], "handover",
        "the UI says what failed: {error}"
    );
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("works once")),
        "the message says why: {error}"
    );
    assert!(
        !error.to_string().contains(&printed.refresh_token),
        "an error never shows the token"
    );
    app.ok::<SignedIn>("sign_in", sign_in_args(&service, false))
        .context("the sign-in form still works")?;

    let garbled = "llr_not-the-cli-line";
    let app = MockApp::with_handover(&Fakes::default(), Handover::parse(garbled))?;
    let error = app
        .invoke::<Option<SignedIn>>("sign_in_handed_over", json!({}))?
        .expect_err("garbage is not a handover");
    assert_eq!(error["code"], "handover", "{error}");
    assert!(
        !error.to_string().contains(garbled),
        "an error never repeats the input: {error}"
    );
    Ok(())
}
