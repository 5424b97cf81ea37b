//! Each command group once, through the real IPC path on the mock runtime, against a
//! real service.

use anyhow::Context;
use lifeline_client::desk::SignedIn;
use lifeline_client::protocol::{InviteChannel, InviteSent, SessionEvent, SessionSummary};
use lifeline_client::ApiClient;
use serde_json::json;

use crate::support::{service, sign_in_args, Fakes, MockApp, ADMIN_EMAIL, ADMIN_PASSWORD};

#[test]
fn remember_me_keeps_the_token_so_the_next_start_signs_in_silently_until_sign_out(
) -> anyhow::Result<()> {
    let service = service()?;
    let fakes = Fakes::default();
    let first = MockApp::new(&fakes)?;
    let signed_in: SignedIn = first.ok("sign_in", sign_in_args(&service, true))?;
    assert!(signed_in.remembered, "the keychain took the token");
    assert_eq!(fakes.keychain.len(), 1, "one entry per server and account");
    drop(first);

    let second = MockApp::new(&fakes)?;
    let args = json!({ "serverUrl": service.url, "email": ADMIN_EMAIL });
    let resumed: Option<SignedIn> = second.ok("resume_sign_in", args.clone())?;
    assert_eq!(
        resumed.map(|s| s.technician.email).as_deref(),
        Some(ADMIN_EMAIL),
        "a restart signs in silently with the kept (and rotated) refresh token"
    );

    second.ok::<()>("sign_out", json!({}))?;
    assert!(fakes.keychain.is_empty(), "sign out deletes the kept token");
    let third = MockApp::new(&fakes)?;
    let resumed: Option<SignedIn> = third.ok("resume_sign_in", args)?;
    assert!(
        resumed.is_none(),
        "after sign out nothing signs in silently"
    );
    Ok(())
}

#[test]
fn sign_in_goes_on_without_remember_me_when_the_keychain_is_unavailable() -> anyhow::Result<()> {
    let service = service()?;
    let fakes = Fakes::default();
    fakes.keychain.set_unavailable(true);
    let app = MockApp::new(&fakes)?;
    let signed_in: SignedIn = app.ok("sign_in", sign_in_args(&service, true))?;
    assert!(!signed_in.remembered);
    assert!(
        signed_in.keychain_error.is_some(),
        "the UI must be able to say that the keychain failed"
    );
    Ok(())
}

#[test]
fn a_wrong_password_is_refused_with_the_code_unauthorized() -> anyhow::Result<()> {
    let service = service()?;
    let app = MockApp::new(&Fakes::default())?;
    let mut args = sign_in_args(&service, false);
    args["password"] = json!("not the password");
    let error = app
        .invoke::<SignedIn>("sign_in", args)?
        .expect_err("a wrong password cannot sign in");
    assert_eq!(
        error["code"], "unauthorized",
        "the UI branches on the code: {error}"
    );
    let error = app
        .invoke::<Vec<SessionSummary>>("list_sessions", json!({}))?
        .expect_err("nothing works before sign-in");
    assert_eq!(error["code"], "not_signed_in");
    Ok(())
}

#[test]
fn a_session_is_started_invited_chatted_in_and_ended_with_a_transcript() -> anyhow::Result<()> {
    let service = service()?;
    let fakes = Fakes::default();
    let app = MockApp::new(&fakes)?;
    app.ok::<SignedIn>("sign_in", sign_in_args(&service, false))?;

    let session: SessionSummary =
        app.ok("start_session", json!({ "requestControlOnArrival": false }))?;
    assert!(!session.request_control_on_arrival, "off by default");
    app.ok::<()>("copy_to_clipboard", json!({ "text": session.join_url }))?;
    assert_eq!(fakes.clipboard.text(), Some(session.join_url.clone()));

    let error = app
        .invoke::<InviteSent>("send_sms", json!({ "sessionId": session.id, "to": "12" }))?
        .expect_err("a number that is not a phone number is refused");
    assert_eq!(error["code"], "invalid_input");
    let sent: InviteSent = app.ok(
        "send_sms",
        json!({ "sessionId": session.id, "to": "+49 151 12345678" }),
    )?;
    assert_eq!(
        sent.to, "+4915112345678",
        "the confirmation names the number"
    );

    let runtime = tokio::runtime::Runtime::new()?;
    let end_user = ApiClient::new(&service.url)?;
    runtime.block_on(end_user.join(session.support_key.as_str(), Some("Erika")))?;

    let sent: SessionEvent = app.ok(
        "send_message",
        json!({ "sessionId": session.id, "text": "Hello <b>Erika</b>" }),
    )?;
    assert!(sent.seq > 0);
    app.ok::<SessionEvent>("end_session", json!({ "sessionId": session.id }))?;
    let transcript: String = app.ok("transcript_text", json!({ "sessionId": session.id }))?;
    assert!(
        transcript.contains("Hello <b>Erika</b>"),
        "the transcript keeps the chat as text: {transcript}"
    );
    Ok(())
}

#[test]
fn the_adhoc_wizard_and_computers_commands_prepare_list_refuse_and_end() -> anyhow::Result<()> {
    use lifeline_client::protocol::{
        AdhocPrepared, AdhocSessionSummary, AdhocStatus, ComputerGroup,
    };
    let service = service()?;
    let app = MockApp::new(&Fakes::default())?;
    let _: SignedIn = app.ok("sign_in", sign_in_args(&service, false))?;

    for (password, confirmation) in [
        ("password12", "password12"),
        ("Sunny-Day-42", "Sunny-Day-43"),
    ] {
        let error = app
            .invoke::<AdhocPrepared>(
                "prepare_adhoc",
                json!({ "email": "erika@example.test", "password": password, "confirmation": confirmation }),
            )?
            .expect_err("refused before anything is sent");
        assert_eq!(error["code"], "invalid_input", "{error}");
    }
    let args = json!({ "email": "erika@example.test", "password": "Sunny-Day-42", "confirmation": "Sunny-Day-42" });
    let prepared: AdhocPrepared = app.ok("prepare_adhoc", args.clone())?;
    let digits: String = prepared
        .security_code
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(digits.len(), 9, "nine digits: {}", prepared.security_code);
    assert_eq!(prepared.security_code.len(), 11, "grouped 3-3-3");
    let error = app
        .invoke::<AdhocPrepared>("prepare_adhoc", args)?
        .expect_err("one live session per technician");
    assert_eq!(error["code"], "conflict");

    let listed: Vec<AdhocSessionSummary> = app.ok("list_adhoc_sessions", json!({}))?;
    assert_eq!(listed[0].status, AdhocStatus::Prepared);
    let groups: Vec<ComputerGroup> = app.ok("list_computers", json!({}))?;
    assert!(
        groups[0].system && groups[0].computers.is_empty(),
        "{groups:?}"
    );
    let error = app
        .invoke::<SessionSummary>(
            "connect_computer",
            json!({ "adhocSessionId": prepared.session.id, "password": "Sunny-Day-42" }),
        )?
        .expect_err("nothing to connect to before the code is entered");
    assert_eq!(error["code"], "computer_offline");

    let ended: AdhocSessionSummary = app.ok(
        "end_adhoc",
        json!({ "adhocSessionId": prepared.session.id }),
    )?;
    assert_eq!(ended.status, AdhocStatus::Ended);
    let admin = tokio::runtime::Runtime::new()?;
    let outbox = admin.block_on(async {
        let client = ApiClient::new(&service.url)?;
        client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        anyhow::Ok(client.outbox().await?)
    })?;
    assert!(
        outbox
            .iter()
            .any(|m| m.to == "erika@example.test" && m.body.contains("/adhoc/")),
        "the invite email with its download link is in the outbox"
    );
    Ok(())
}

#[test]
fn the_transcript_is_exported_to_the_chosen_file_and_a_bad_place_is_a_file_error(
) -> anyhow::Result<()> {
    let service = service()?;
    let app = MockApp::signed_in(&service, &Fakes::default())?;
    let session = app.joined_session(&service)?;
    app.ok::<SessionEvent>(
        "send_message",
        json!({ "sessionId": session.id, "text": "The printer queue is cleared" }),
    )?;
    app.ok::<SessionEvent>("end_session", json!({ "sessionId": session.id }))?;

    let dir = tempfile::tempdir()?;
    let dest = dir.path().join("transcript.txt");
    app.ok::<()>(
        "export_transcript",
        json!({ "sessionId": session.id, "path": dest }),
    )?;
    let exported = std::fs::read_to_string(&dest)?;
    let shown: String = app.ok("transcript_text", json!({ "sessionId": session.id }))?;
    assert_eq!(
        exported, shown,
        "the file holds the transcript the tab shows"
    );
    assert!(
        exported.contains("The printer queue is cleared") && exported.contains("Erika"),
        "the transcript names the end user and keeps the chat: {exported}"
    );

    let nowhere = dir.path().join("no such folder").join("transcript.txt");
    let error = app
        .invoke::<()>(
            "export_transcript",
            json!({ "sessionId": session.id, "path": nowhere }),
        )?
        .expect_err("a folder that does not exist cannot take the file");
    assert_eq!(error["code"], "file", "the UI says a file failed: {error}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "with a message to show: {error}"
    );
    Ok(())
}

#[test]
fn send_by_server_puts_the_invite_with_its_link_in_the_services_outbox() -> anyhow::Result<()> {
    let service = service()?;
    let app = MockApp::signed_in(&service, &Fakes::default())?;
    let session: SessionSummary =
        app.ok("start_session", json!({ "requestControlOnArrival": false }))?;

    let error = app
        .invoke::<InviteSent>(
            "send_email",
            json!({ "sessionId": session.id, "to": "not an address" }),
        )?
        .expect_err("the service refuses what is not an email address");
    assert_eq!(error["code"], "invalid_input", "{error}");

    let sent: InviteSent = app.ok(
        "send_email",
        json!({ "sessionId": session.id, "to": "erika@example.com" }),
    )?;
    assert_eq!(
        sent.to, "erika@example.com",
        "the confirmation names the address"
    );
    assert_eq!(sent.channel, InviteChannel::Email);

    // Without SMTP the service keeps email invites in its outbox, which admins read.
    let admin = ApiClient::new(&service.url)?;
    let outbox = tokio::runtime::Runtime::new()?.block_on(async {
        admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        admin.outbox().await
    })?;
    let mail = outbox
        .iter()
        .find(|m| m.to == "erika@example.com")
        .context("the email invite is in the outbox")?;
    assert_eq!(mail.channel, InviteChannel::Email);
    assert!(
        mail.body.contains(&session.join_url),
        "the email holds the join link: {}",
        mail.body
    );
    Ok(())
}
