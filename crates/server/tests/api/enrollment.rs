//! The ad-hoc enrollment is authenticated end to end: the technician's client makes the
//! security code, the agent and the client agree on a key from it (SPAKE2) over the
//! service, and the verifier travels sealed under that key. The service relays and
//! counts, and can neither check the code nor swap the verifier.

use std::time::Duration;

use lifeline_adhoc_key::enrollment::AgentEnrollment;
use lifeline_client::{ApiClient, EnrollmentSecret};
use lifeline_protocol::{
    AdhocSessionSummary, AdhocStatus, EnrollmentStarted, ErrorCode, StartEnrollment, SupportKey,
    MAX_CODE_ATTEMPTS,
};

use crate::adhoc::{activate, adhoc_group, call, computer, prepare, typed, verifier};
use crate::helpers::spawn_app;

async fn session(app: &crate::helpers::TestApp, id: uuid::Uuid) -> AdhocSessionSummary {
    app.technician
        .adhoc_sessions()
        .await
        .expect("list")
        .into_iter()
        .find(|s| s.id == id)
        .expect("listed")
}

#[tokio::test]
async fn an_answer_not_made_with_the_code_opens_nothing() {
    let app = spawn_app().await;
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let id = prepared.session.id;
    // Whoever answers without the code (a compromised service making its own verifier
    // answers exactly like this) gets the agent to refuse: the seal does not open.
    let forger = EnrollmentSecret::new(
        lifeline_adhoc_key::new_verifier("a verifier of the attacker's own").expect("verifier"),
    );
    assert_ne!(forger.code, prepared.secret.code);
    let technician = app.technician.clone();
    let answering = tokio::spawn(async move { technician.answer_enrollments(id, forger).await });
    let agent = ApiClient::new(&app.url).expect("client");
    let err = agent
        .enroll_adhoc(id, &prepared.security_code, computer(), |_| {})
        .await
        .expect_err("the agent refuses a verifier not sealed with its code");
    answering.abort();
    assert_eq!(typed(err).1.code, ErrorCode::CodeInvalid);
    let after = session(&app, id).await;
    assert_eq!(after.status, AdhocStatus::Prepared, "nothing activated");
    assert_eq!(
        after.code_attempts_left,
        MAX_CODE_ATTEMPTS - 1,
        "the run counted"
    );
    assert!(adhoc_group(&app).await.computers.is_empty());

    // The real client's answer still works, with the runs left.
    let activated = activate(&app, id, &prepared.security_code)
        .await
        .expect("the right answer");
    assert_eq!(activated.verifier, verifier());
}

#[tokio::test]
async fn the_service_keeps_nothing_that_checks_the_code() {
    let app = spawn_app().await;
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let digits = prepared.secret.code.clone();
    activate(&app, prepared.session.id, &prepared.security_code)
        .await
        .expect("activated");
    let database = app.database.inspect().await.expect("database");
    let (code_hash, verifier_json): (Option<String>, String) =
        sqlx::query_as("SELECT code_hash, password_verifier FROM adhoc_sessions")
            .fetch_one(&database)
            .await
            .expect("row");
    assert_eq!(
        code_hash, None,
        "no hash of the code to test guesses against"
    );
    assert!(!verifier_json.contains(&verifier().public_key));
    let dump = app.database.dump().await.expect("dump");
    assert!(
        !dump.windows(digits.len()).any(|w| w == digits.as_bytes()),
        "the code's digits are nowhere in the database"
    );
}

/// The agent's first step by hand, to play a hostile agent.
async fn try_start(
    app: &crate::helpers::TestApp,
    id: uuid::Uuid,
    code: &str,
) -> Result<(AgentEnrollment, EnrollmentStarted), (u16, lifeline_protocol::ApiError)> {
    let (run, message) = AgentEnrollment::start(&SupportKey::parse(code).expect("code"), id);
    let started: EnrollmentStarted = call(
        app,
        None,
        reqwest::Method::POST,
        &format!("/api/v1/adhoc/{id}/enrollment"),
        Some(
            serde_json::to_value(StartEnrollment {
                message,
                computer: computer(),
            })
            .expect("json"),
        ),
    )
    .await?;
    Ok((run, started))
}

async fn start(
    app: &crate::helpers::TestApp,
    id: uuid::Uuid,
    code: &str,
) -> (AgentEnrollment, EnrollmentStarted) {
    try_start(app, id, code).await.expect("started")
}

#[tokio::test]
async fn a_grant_that_does_not_match_activates_nothing_and_runs_are_counted() {
    let app = spawn_app().await;
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let id = prepared.session.id;
    let (_, started) = start(&app, id, &prepared.secret.code).await;
    assert_eq!(
        started.technician_name, "Tina Tech",
        "the agent says whom it waits for"
    );
    assert_eq!(started.attempts_left, MAX_CODE_ATTEMPTS - 1);
    let waiting = session(&app, id).await;
    let pending = waiting
        .enrollment
        .expect("the technician's app sees the run");
    assert_eq!(pending.id, started.enrollment_id);
    assert_eq!(pending.computer.hostname, "erika-laptop");

    // Not answered yet: the poll says so after its wait.
    let poll = format!("/api/v1/adhoc/{id}/enrollment/{}", started.enrollment_id);
    let response = app.http.get(app.api(&poll)).send().await.expect("poll");
    assert_eq!(response.status(), 204);

    let mut secret = prepared.secret.clone();
    app.technician
        .answer_waiting_enrollment(id, &mut secret)
        .await
        .expect("answered");
    assert_eq!(secret.answers, 1, "the app counts its answers");
    let again = app
        .technician
        .answer_enrollment(id, &pending, &secret)
        .await
        .expect_err("a run is answered once");
    assert_eq!(again.code(), Some(ErrorCode::Conflict));
    let colleague = app.add_technician("colleague@acme.test", false).await;
    let foreign = colleague
        .answer_enrollment(id, &pending, &secret)
        .await
        .expect_err("only the technician who prepared it answers");
    assert_eq!(foreign.code(), Some(ErrorCode::NotFound));

    let grant = format!(
        "/api/v1/adhoc/{id}/enrollment/{}/grant",
        started.enrollment_id
    );
    let err = call::<serde_json::Value>(
        &app,
        None,
        reqwest::Method::POST,
        &grant,
        Some(serde_json::json!({"grant": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})),
    )
    .await
    .expect_err("a guessed grant");
    assert_eq!((err.0, err.1.code), (403, ErrorCode::CodeInvalid));
    let response = app.http.get(app.api(&poll)).send().await.expect("poll");
    assert_eq!(response.status(), 404, "the run is over");
    assert_eq!(session(&app, id).await.status, AdhocStatus::Prepared);

    // Every run counts, right or wrong: after the last one the code takes no more.
    for _ in 1..MAX_CODE_ATTEMPTS {
        start(&app, id, &prepared.secret.code).await;
    }
    let err = try_start(&app, id, &prepared.secret.code)
        .await
        .err()
        .expect("no runs left");
    assert_eq!((err.0, err.1.code), (403, ErrorCode::CodeInvalid));
    assert_eq!(session(&app, id).await.code_attempts_left, 0);
}

#[tokio::test]
async fn the_agent_waits_until_the_technicians_app_answers() {
    let app = spawn_app().await;
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let id = prepared.session.id;
    let (told, mut waiting) = tokio::sync::oneshot::channel();
    let agent = ApiClient::new(&app.url).expect("client");
    let code = prepared.security_code.clone();
    let enrolling = tokio::spawn(async move {
        agent
            .enroll_adhoc(id, &code, computer(), move |started| {
                let _ = told.send(started.technician_name.clone());
            })
            .await
    });
    let technician = tokio::time::timeout(Duration::from_secs(10), &mut waiting)
        .await
        .expect("told in time")
        .expect("told");
    assert_eq!(technician, "Tina Tech");
    // The app is away for a while; the agent keeps waiting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!enrolling.is_finished(), "still waiting for the technician");
    let session = app
        .technician
        .answer_enrollments(id, prepared.secret.clone())
        .await
        .expect("answered");
    assert_eq!(session.status, AdhocStatus::Active);
    let (activated, verifier_got) = enrolling.await.expect("task").expect("enrolled");
    assert_eq!(activated.session_id, id);
    assert_eq!(verifier_got, verifier());
}
