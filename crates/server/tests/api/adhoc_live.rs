//! Ad-hoc sessions once live: the technician's and the agent's connections hear of the
//! activation and the end at once, the agent hears its day end, the person at the computer ends it, invite emails
//! count against the technician's limit, only the owner and admins manage a session, and
//! forwarded addresses are believed only from trusted proxies.

use std::time::Duration;

use lifeline_protocol::{AdhocStatus, ErrorCode};

use crate::adhoc::{activate, adhoc_group, call, computer, enrolled, listed, prepare, slots};
use crate::helpers::{spawn_app, TestApp};

#[tokio::test]
async fn the_technician_hears_of_the_activation_and_the_end_at_once() {
    use lifeline_client::RealtimeEvent;
    let app = spawn_app().await;
    let mut rt = crate::helpers::realtime(&app.technician);
    crate::helpers::wait_for(&mut rt, "connected", |e| {
        matches!(e, RealtimeEvent::Connected { .. })
    })
    .await;
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    activate(&app, prepared.session.id, &prepared.security_code)
        .await
        .expect("activated");
    let activated = crate::helpers::wait_for(
        &mut rt,
        "the activation",
        |e| matches!(e, RealtimeEvent::Adhoc(s) if s.status == AdhocStatus::Active),
    )
    .await;
    let RealtimeEvent::Adhoc(session) = activated else {
        unreachable!()
    };
    assert_eq!(session.id, prepared.session.id);
    assert!(session.computer_id.is_some(), "names the enrolled computer");

    call::<lifeline_protocol::AdhocSessionSummary>(
        &app,
        Some(&app.technician),
        reqwest::Method::POST,
        &format!("/api/v1/adhoc/{}/end", prepared.session.id),
        None,
    )
    .await
    .expect("ended");
    crate::helpers::wait_for(
        &mut rt,
        "the end",
        |e| matches!(e, RealtimeEvent::Adhoc(s) if s.status == AdhocStatus::Ended),
    )
    .await;
}

async fn next_frame(
    socket: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> lifeline_protocol::ServerFrame {
    use futures_util::StreamExt;
    let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("a frame")
        .expect("open")
        .expect("ok");
    serde_json::from_str(message.to_text().expect("text")).expect("frame")
}

/// The agent's realtime connection, past its welcome and its session's active state.
async fn agent_connected(
    app: &TestApp,
    agent_token: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let url = format!("{}/api/v1/realtime", app.url.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("agent connects");
    let hello = serde_json::json!({"type": "hello", "token": agent_token, "cursors": []});
    socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .expect("hello");
    assert!(matches!(
        next_frame(&mut socket).await,
        lifeline_protocol::ServerFrame::Welcome { .. }
    ));
    assert!(
        matches!(next_frame(&mut socket).await, lifeline_protocol::ServerFrame::Adhoc { session } if session.status == AdhocStatus::Active)
    );
    socket
}

/// The agent's side: its connection shows it online, it hears the technician end the
/// session, and the person at the computer can end it too.
#[tokio::test]
async fn the_agent_is_online_hears_the_end_and_can_end_the_session_itself() {
    let app = spawn_app().await;
    let (prepared, activated) = enrolled(&app).await;

    let mut socket = agent_connected(&app, &activated.agent_token).await;
    let listed = adhoc_group(&app)
        .await
        .computers
        .into_iter()
        .next()
        .expect("listed");
    assert!(
        listed.online,
        "the agent's connection shows the computer online"
    );

    call::<lifeline_protocol::AdhocSessionSummary>(
        &app,
        Some(&app.technician),
        reqwest::Method::POST,
        &format!("/api/v1/adhoc/{}/end", prepared.session.id),
        None,
    )
    .await
    .expect("ended");
    let frame = next_frame(&mut socket).await;
    assert!(
        matches!(frame, lifeline_protocol::ServerFrame::Adhoc { ref session } if session.status == AdhocStatus::Ended),
        "the agent hears the end: {frame:?}"
    );
}

/// Nobody asks anything when the 24 hours run out: the service's sweep tells the agent
/// on its own, and the technician's list shows the session expired.
#[tokio::test]
async fn when_the_day_is_over_the_agent_hears_it_without_anyone_asking() {
    let app = spawn_app().await;
    let (prepared, activated) = enrolled(&app).await;
    let mut socket = agent_connected(&app, &activated.agent_token).await;

    app.clock.advance(Duration::from_secs(24 * 3600 + 1));
    let frame = next_frame(&mut socket).await;
    assert!(
        matches!(frame, lifeline_protocol::ServerFrame::Adhoc { ref session } if session.status == AdhocStatus::Expired),
        "the agent hears the session expire: {frame:?}"
    );
    app.advance_clock(Duration::ZERO).await;
    let listed = listed(&app).await;
    let session = listed
        .iter()
        .find(|s| s.id == prepared.session.id)
        .expect("the session is listed");
    assert_eq!(session.status, AdhocStatus::Expired);
}

#[tokio::test]
async fn the_person_at_the_computer_ends_the_session_from_the_agent() {
    let app = spawn_app().await;
    let (prepared, activated) = enrolled(&app).await;
    let agent_get = |path: &'static str| {
        app.http
            .get(app.api(path))
            .bearer_auth(&activated.agent_token)
            .send()
    };
    let session: lifeline_protocol::AdhocSessionSummary = agent_get("/api/v1/agent/session")
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (session.id, session.status),
        (prepared.session.id, AdhocStatus::Active)
    );
    let ended = app
        .http
        .post(app.api("/api/v1/agent/end"))
        .bearer_auth(&activated.agent_token)
        .send()
        .await
        .expect("post");
    assert_eq!(ended.status(), 200);
    assert_eq!(slots(&app).await.used, 0, "the slot is free again");
    let after = agent_get("/api/v1/agent/session").await.expect("get");
    assert_eq!(
        after.status(),
        410,
        "an ended session's agent token no longer works"
    );
}

/// Ad-hoc invitations are emails like any other: they share the technician's hourly
/// budget with session invites.
#[tokio::test]
async fn ad_hoc_invite_emails_count_against_the_technicians_email_limit() {
    let app = crate::helpers::spawn_app_with(|c| c.limits.emails_per_technician_per_hour = 2).await;
    let session = app.new_session().await;
    for to in ["a@example.test", "b@example.test"] {
        app.technician
            .send_email_invite(session.id, to, None)
            .await
            .expect("within the budget");
    }
    let (status, error) = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect_err("the budget is spent");
    assert_eq!((status, error.code), (429, ErrorCode::RateLimited));
    assert_eq!(slots(&app).await.used, 0, "nothing was prepared");

    let fresh =
        crate::helpers::spawn_app_with(|c| c.limits.emails_per_technician_per_hour = 1).await;
    prepare(&fresh, &fresh.technician, "erika@example.test")
        .await
        .expect("the first email");
    let session = fresh.new_session().await;
    let err = fresh
        .technician
        .send_email_invite(session.id, "c@example.test", None)
        .await
        .expect_err("the ad-hoc invitation used the budget");
    assert_eq!(crate::helpers::code(err), ErrorCode::RateLimited);
}

/// A colleague sees the computer but may neither end its session nor read its audit;
/// the technician who prepared it and the company's admins may.
#[tokio::test]
async fn only_the_owner_and_admins_may_end_an_ad_hoc_session_or_read_its_audit() {
    let app = spawn_app().await;
    let owner = app.add_technician("owner@acme.test", false).await;
    let colleague = app.add_technician("colleague@acme.test", false).await;
    let prepared = prepare(&app, &owner, "erika@example.test")
        .await
        .expect("prepared");
    let id = prepared.session.id;
    let audit = format!("/api/v1/adhoc/{id}/connections");
    let end = format!("/api/v1/adhoc/{id}/end");

    let (status, error) =
        call::<serde_json::Value>(&app, Some(&colleague), reqwest::Method::GET, &audit, None)
            .await
            .expect_err("a colleague may not read the audit");
    assert_eq!((status, error.code), (403, ErrorCode::Forbidden));
    let (status, error) =
        call::<serde_json::Value>(&app, Some(&colleague), reqwest::Method::POST, &end, None)
            .await
            .expect_err("a colleague may not end it");
    assert_eq!((status, error.code), (403, ErrorCode::Forbidden));

    let records: Vec<serde_json::Value> = call(
        &app,
        Some(&app.technician),
        reqwest::Method::GET,
        &audit,
        None,
    )
    .await
    .expect("an admin reads the audit");
    assert!(records.is_empty(), "no connection yet: {records:?}");
    let ended: serde_json::Value = call(&app, Some(&owner), reqwest::Method::POST, &end, None)
        .await
        .expect("the owner ends it");
    assert_eq!(ended["status"], "ended");
}

/// Enrolls with an `X-Forwarded-For` header on the agent's requests and returns the
/// address the computer is listed with.
async fn activated_from(app: &TestApp, forwarded_for: &str) -> String {
    use lifeline_adhoc_key::enrollment::AgentEnrollment;
    use lifeline_protocol::{EnrollmentAnswer, EnrollmentStarted, StartEnrollment, SupportKey};
    let prepared = prepare(app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let id = prepared.session.id;
    let code = SupportKey::parse(&prepared.secret.code).expect("code");
    let (run, message) = AgentEnrollment::start(&code, id);
    let started: EnrollmentStarted = app
        .http
        .post(app.api(&format!("/api/v1/adhoc/{id}/enrollment")))
        .header("x-forwarded-for", forwarded_for)
        .json(&StartEnrollment {
            message,
            computer: computer(),
        })
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("started");
    let mut secret = prepared.secret.clone();
    app.technician
        .answer_waiting_enrollment(id, &mut secret)
        .await
        .expect("answered");
    let run_path = format!("/api/v1/adhoc/{id}/enrollment/{}", started.enrollment_id);
    let answer: EnrollmentAnswer = app
        .http
        .get(app.api(&run_path))
        .send()
        .await
        .expect("polled")
        .json()
        .await
        .expect("answer");
    let enrolled = run
        .finish(&answer.message, &answer.sealed_verifier)
        .expect("the right code");
    let response = app
        .http
        .post(app.api(&format!("{run_path}/grant")))
        .header("x-forwarded-for", forwarded_for)
        .json(&serde_json::json!({"grant": enrolled.grant}))
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success(), "{}", response.status());
    adhoc_group(app).await.computers[0].ip.clone()
}

/// Forwarded headers name the client only when they come from a trusted proxy, and then
/// the first untrusted hop from the right counts; otherwise the peer is the client.
#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let direct = spawn_app().await;
    assert_eq!(
        activated_from(&direct, "198.51.100.7").await,
        "127.0.0.1",
        "without trusted_proxies the header is ignored"
    );
    let proxied = crate::helpers::spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.0/8".parse().expect("cidr")];
    })
    .await;
    assert_eq!(
        activated_from(&proxied, "6.6.6.6, 198.51.100.7, 127.0.0.2").await,
        "198.51.100.7",
        "a forged first hop is passed over"
    );
}
