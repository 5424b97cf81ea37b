use std::time::Duration;

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use lifeline_client::{ApiClient, ClientError, EnrollmentSecret, PreparedAdhoc};
use lifeline_protocol::{
    AdhocSessionSummary, AdhocStatus, AdhocVerifier, ApiError, ComputerGroup, ComputerInfo,
    ErrorCode, LicenceSlots, PrepareAdhocRequest, ADHOC_GROUP_NAME,
};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::helpers::{spawn_app, TestApp};

pub const PASSWORD: &str = "Sunny-Day-42";

/// One verifier for the whole binary: deriving it is slow on purpose.
pub fn verifier() -> lifeline_protocol::AdhocVerifier {
    static VERIFIER: std::sync::OnceLock<lifeline_protocol::AdhocVerifier> =
        std::sync::OnceLock::new();
    VERIFIER
        .get_or_init(|| lifeline_adhoc_key::new_verifier(PASSWORD).expect("verifier"))
        .clone()
}

pub async fn call<T: DeserializeOwned>(
    app: &TestApp,
    client: Option<&ApiClient>,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, (u16, ApiError)> {
    let mut request = app.http.request(method, app.api(path));
    if let Some(client) = client {
        request = request.bearer_auth(client.access_token().await.expect("token").expose());
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    if response.status().is_success() {
        Ok(response.json().await.expect("json"))
    } else {
        Err((status, response.json().await.expect("typed error")))
    }
}

/// What the technician's client kept of each session these tests prepared, as the
/// desktop app keeps it in the keychain: the code it made and the verifier.
static KEPT: LazyLock<Mutex<HashMap<Uuid, EnrollmentSecret>>> = LazyLock::new(Mutex::default);

/// Prepares as the technician's client does (the shared verifier's salt and cost to the
/// service; the code made here and kept), through the raw API so errors are typed.
pub async fn prepare(
    app: &TestApp,
    technician: &ApiClient,
    email: &str,
) -> Result<PreparedAdhoc, (u16, ApiError)> {
    let request = PrepareAdhocRequest {
        email: email.into(),
        key_params: verifier().params(),
        locale: None,
    };
    let session: AdhocSessionSummary = call(
        app,
        Some(technician),
        reqwest::Method::POST,
        "/api/v1/adhoc",
        Some(serde_json::to_value(request).expect("json")),
    )
    .await?;
    let secret = EnrollmentSecret::new(verifier());
    KEPT.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(session.id, secret.clone());
    Ok(PreparedAdhoc {
        security_code: secret.grouped(),
        session,
        secret,
    })
}

/// The agent's credentials after enrolling, with the verifier it received sealed.
#[derive(Debug, Clone)]
pub struct Activated {
    pub session_id: Uuid,
    pub agent_token: String,
    pub expires_at: i64,
    pub verifier: AdhocVerifier,
}

/// A prepared session whose agent has enrolled with the code.
pub async fn enrolled(app: &TestApp) -> (PreparedAdhoc, Activated) {
    let prepared = prepare(app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let activated = activate(app, prepared.session.id, &prepared.security_code)
        .await
        .expect("activated");
    (prepared, activated)
}

pub fn computer() -> ComputerInfo {
    ComputerInfo {
        hostname: "erika-laptop".into(),
        os: "Linux".into(),
        os_version: "Debian 12".into(),
        user: "erika".into(),
        agent_version: "0.1.0".into(),
    }
}

/// A client error as the service's status and typed error (a code the agent found
/// wrong reads as the service's `code_invalid`).
pub fn typed(err: ClientError) -> (u16, ApiError) {
    match err {
        ClientError::Api { status, error } => (status, error),
        ClientError::CodeRefused => (
            403,
            ApiError::new(ErrorCode::CodeInvalid, "the agent found the code wrong"),
        ),
        other => panic!("not a typed refusal: {other}"),
    }
}

/// The agent enrolls with `code` while the technician's client (`app.technician`, with
/// what it kept at preparing) answers, as the desktop app does from any page.
pub async fn activate(app: &TestApp, id: Uuid, code: &str) -> Result<Activated, (u16, ApiError)> {
    let secret = KEPT
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&id)
        .cloned()
        .expect("prepared by these tests");
    let technician = app.technician.clone();
    let answering = tokio::spawn(async move { technician.answer_enrollments(id, secret).await });
    let agent = ApiClient::new(&app.url).expect("client");
    let enrolled = agent.enroll_adhoc(id, code, computer(), |_| {}).await;
    answering.abort();
    let (activated, verifier) = enrolled.map_err(typed)?;
    Ok(Activated {
        session_id: activated.session_id,
        agent_token: activated.agent_token,
        expires_at: activated.expires_at,
        verifier,
    })
}

/// The technician's ad-hoc sessions, newest first.
pub async fn listed(app: &TestApp) -> Vec<AdhocSessionSummary> {
    call(
        app,
        Some(&app.technician),
        reqwest::Method::GET,
        "/api/v1/adhoc",
        None,
    )
    .await
    .expect("listed")
}

pub async fn slots(app: &TestApp) -> LicenceSlots {
    call(
        app,
        Some(&app.technician),
        reqwest::Method::GET,
        "/api/v1/admin/licence-slots",
        None,
    )
    .await
    .expect("slots")
}

pub async fn adhoc_group(app: &TestApp) -> ComputerGroup {
    let groups: Vec<ComputerGroup> = call(
        app,
        Some(&app.technician),
        reqwest::Method::GET,
        "/api/v1/computers",
        None,
    )
    .await
    .expect("groups");
    let first = groups
        .into_iter()
        .next()
        .expect("at least the system group");
    assert_eq!(first.name, ADHOC_GROUP_NAME, "the ad hoc group comes first");
    first
}

fn wrong(code: &str) -> String {
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    let last = digits
        .chars()
        .last()
        .and_then(|c| c.to_digit(10))
        .unwrap_or(0);
    format!("{}{}", &digits[..8], (last + 1) % 10)
}

#[tokio::test]
async fn preparing_emails_the_user_and_shows_the_code_once() {
    let app = spawn_app().await;
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let code = &prepared.security_code;
    assert_eq!(code.len(), 11, "nine digits grouped 3-3-3: {code}");
    assert_eq!(prepared.session.status, AdhocStatus::Prepared);
    assert_eq!(
        slots(&app).await,
        LicenceSlots { total: 1, used: 1 },
        "a prepared session holds a slot"
    );
    let outbox = app.technician.outbox().await.expect("outbox");
    let mail = &outbox[0];
    assert_eq!(mail.to, "erika@example.test");
    assert!(
        mail.body
            .contains(&format!("/adhoc/{}", prepared.session.id)),
        "the download link: {}",
        mail.body
    );
    assert!(
        !mail.body.contains(&code.replace(' ', "")) && !mail.body.contains(code.as_str()),
        "the code is never emailed"
    );
    let listed = listed(&app).await;
    let json = serde_json::to_string(&listed).expect("json");
    assert!(
        !json.contains(&code.replace(' ', "")),
        "the code is not shown again"
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_created() {
    let app = spawn_app().await;
    let params = serde_json::to_value(verifier().params()).expect("json");
    let mut cheap = params.clone();
    cheap["memory_kib"] = 64.into();
    let mut with_public_key = params.clone();
    with_public_key["public_key"] = verifier().public_key.into();
    for (email, key_params, why) in [
        ("not-an-email", params.clone(), "malformed email"),
        (
            "erika@example.test",
            cheap,
            "a derivation cheaper than the minimum",
        ),
        (
            "erika@example.test",
            with_public_key,
            "a public key: the service does not keep one",
        ),
    ] {
        let body = serde_json::json!({"email": email, "key_params": key_params});
        let err = call::<AdhocSessionSummary>(
            &app,
            Some(&app.technician),
            reqwest::Method::POST,
            "/api/v1/adhoc",
            Some(body),
        )
        .await
        .expect_err("refused");
        assert_eq!(
            (err.0, err.1.code),
            (400, ErrorCode::InvalidInput),
            "{why}: {}",
            err.1.message
        );
    }
    let sent_a_password = serde_json::json!({"email": "erika@example.test",
        "password": PASSWORD, "password_confirmation": PASSWORD});
    let err = call::<AdhocSessionSummary>(
        &app,
        Some(&app.technician),
        reqwest::Method::POST,
        "/api/v1/adhoc",
        Some(sent_a_password),
    )
    .await
    .expect_err("the service does not take passwords");
    assert_eq!(err.1.code, ErrorCode::InvalidInput, "{}", err.1.message);
    // Weak or mismatched passwords are refused by the client before anything is sent.
    for (password, confirmation, expected) in [
        ("password12", "password12", "too easy to guess"),
        ("Password1!", "Password1!", "too easy to guess"),
        (PASSWORD, "Sunny-Day-43", "not the same"),
    ] {
        let err = app
            .technician
            .prepare_adhoc("erika@example.test", password, confirmation, None)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Some(ErrorCode::InvalidInput));
        assert!(err.to_string().contains(expected), "{password}: {err}");
    }
    assert_eq!(slots(&app).await.used, 0, "no slot taken");
    assert!(
        app.technician.outbox().await.expect("outbox").is_empty(),
        "no email sent"
    );
}

#[tokio::test]
async fn one_live_session_per_technician_and_none_without_a_free_slot() {
    let app = spawn_app().await;
    call::<LicenceSlots>(
        &app,
        Some(&app.technician),
        reqwest::Method::PUT,
        "/api/v1/admin/licence-slots",
        Some(serde_json::json!({"total": 2})),
    )
    .await
    .expect("slots set");
    prepare(&app, &app.technician, "a@example.test")
        .await
        .expect("first");
    let err = prepare(&app, &app.technician, "b@example.test")
        .await
        .expect_err("second for the same technician");
    assert_eq!(err.1.code, ErrorCode::Conflict);
    assert!(err.1.message.contains("already have"), "{}", err.1.message);

    let colleague = app.add_technician("colleague@acme.test", false).await;
    prepare(&app, &colleague, "c@example.test")
        .await
        .expect("a second technician uses the second slot");
    let third = app.add_technician("third@acme.test", false).await;
    let err = prepare(&app, &third, "d@example.test")
        .await
        .expect_err("no slot left");
    assert_eq!((err.0, err.1.code), (409, ErrorCode::NoFreeSlot));
    assert!(
        err.1.message.contains("no ad-hoc licence slot is free"),
        "{}",
        err.1.message
    );
    assert_eq!(slots(&app).await, LicenceSlots { total: 2, used: 2 });
}

#[tokio::test]
async fn the_agent_enrolls_with_the_code_and_the_computer_is_listed_for_24_hours() {
    let app = spawn_app().await;
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let id = prepared.session.id;
    let err = activate(&app, id, &wrong(&prepared.security_code))
        .await
        .expect_err("wrong code");
    assert_eq!((err.0, err.1.code), (403, ErrorCode::CodeInvalid));

    let activated = activate(&app, id, &prepared.security_code)
        .await
        .expect("right code");
    assert_eq!(
        activated.verifier,
        verifier(),
        "the agent gets the technician's verifier, sealed by their client, to check connections against"
    );
    assert!(activated.agent_token.starts_with("llg_"));
    let group = adhoc_group(&app).await;
    let listed = group.computers.first().expect("the computer is listed");
    assert_eq!(listed.hostname, "erika-laptop");
    assert!(listed.live);
    assert_eq!(listed.expires_at, Some(activated.expires_at));

    let err = activate(&app, id, &prepared.security_code)
        .await
        .expect_err("an active session takes no enrollment");
    assert_eq!(err.1.code, ErrorCode::SessionEnded);

    app.advance_clock(Duration::from_secs(23 * 3600)).await;
    assert_eq!(
        adhoc_group(&app).await.computers.len(),
        1,
        "still there after 23 hours"
    );
    app.advance_clock(Duration::from_secs(3601)).await;
    assert!(
        adhoc_group(&app).await.computers.is_empty(),
        "gone after 24 hours"
    );
    assert_eq!(slots(&app).await.used, 0, "the slot is free again");
    prepare(&app, &app.technician, "next@example.test")
        .await
        .expect("the technician can prepare again");
}

#[tokio::test]
async fn five_wrong_codes_burn_the_code_and_an_unused_code_times_out() {
    let app = spawn_app().await;
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    for _ in 0..5 {
        activate(&app, prepared.session.id, &wrong(&prepared.security_code))
            .await
            .expect_err("wrong");
    }
    let err = activate(&app, prepared.session.id, &prepared.security_code)
        .await
        .expect_err("burnt after five tries");
    assert_eq!(err.1.code, ErrorCode::CodeInvalid);
    call::<lifeline_protocol::AdhocSessionSummary>(
        &app,
        Some(&app.technician),
        reqwest::Method::POST,
        &format!("/api/v1/adhoc/{}/end", prepared.session.id),
        None,
    )
    .await
    .expect("ended");

    let second = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared again");
    app.advance_clock(Duration::from_secs(25 * 3600)).await;
    let err = activate(&app, second.session.id, &second.security_code)
        .await
        .expect_err("timed out");
    assert_eq!(err.1.code, ErrorCode::SessionEnded);
    assert_eq!(
        slots(&app).await.used,
        0,
        "a timed-out session frees its slot"
    );
}

#[tokio::test]
async fn ending_removes_the_computer_and_frees_the_slot() {
    let app = spawn_app().await;
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    activate(&app, prepared.session.id, &prepared.security_code)
        .await
        .expect("activated");
    let ended: lifeline_protocol::AdhocSessionSummary = call(
        &app,
        Some(&app.technician),
        reqwest::Method::POST,
        &format!("/api/v1/adhoc/{}/end", prepared.session.id),
        None,
    )
    .await
    .expect("ended");
    assert_eq!(ended.status, AdhocStatus::Ended);
    assert!(adhoc_group(&app).await.computers.is_empty());
    assert_eq!(slots(&app).await.used, 0);

    let group: ComputerGroup = call(
        &app,
        Some(&app.technician),
        reqwest::Method::POST,
        "/api/v1/admin/computer-groups",
        Some(serde_json::json!({"name": "Accounting"})),
    )
    .await
    .expect("group created");
    assert!(!group.system);
    let err = call::<ComputerGroup>(
        &app,
        Some(&app.technician),
        reqwest::Method::POST,
        "/api/v1/admin/computer-groups",
        Some(serde_json::json!({"name": "Accounting"})),
    )
    .await
    .expect_err("duplicate");
    assert_eq!(err.1.code, ErrorCode::Conflict);
}

#[tokio::test]
async fn the_invite_link_offers_the_agent_with_the_session_in_its_trailer() {
    let app = spawn_app().await;
    let agents = app.config.data_dir.join("agents");
    std::fs::create_dir_all(&agents).expect("agents dir");
    std::fs::write(
        agents.join("lifeline-agent-linux-x86_64"),
        b"\x7fELF fake agent",
    )
    .expect("build");
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let id = prepared.session.id;

    let page = app
        .http
        .get(app.api(&format!("/adhoc/{id}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(&format!("/adhoc/{id}/agent/linux-x86_64")),
        "the page links the build: {page}"
    );
    assert!(page.contains("Tina Tech"), "names the technician");

    let response = app
        .http
        .get(app.api(&format!("/adhoc/{id}/agent/linux-x86_64")))
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("body");
    assert!(
        bytes.starts_with(b"\x7fELF fake agent"),
        "the build itself comes first"
    );
    assert!(bytes.ends_with(lifeline_server::adhoc::TRAILER_MAGIC));
    let length_at = bytes.len() - 12;
    let length =
        u32::from_le_bytes(bytes[length_at..length_at + 4].try_into().expect("4 bytes")) as usize;
    let trailer: serde_json::Value =
        serde_json::from_slice(&bytes[length_at - length..length_at]).expect("trailer JSON");
    assert_eq!(trailer["session_id"], serde_json::json!(id.to_string()));
    assert_eq!(trailer["server"], serde_json::json!(app.url));

    activate(&app, id, &prepared.security_code)
        .await
        .expect("activated");
    let gone = app
        .http
        .get(app.api(&format!("/adhoc/{id}/agent/linux-x86_64")))
        .send()
        .await
        .expect("download");
    assert_eq!(
        gone.status(),
        410,
        "an activated session's link no longer hands out agents"
    );
}
