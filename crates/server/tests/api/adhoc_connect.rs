//! Connecting to an ad-hoc computer. The test plays the agent with the client crate and
//! `lifeline-adhoc-key`, exactly as `lifeline-agent` does: it publishes challenges,
//! checks proofs itself and gives verdicts.

use lifeline_client::{ApiClient, RealtimeClient, RealtimeEvent};
use lifeline_protocol::{
    AdhocConnectionRecord, AdhocPolicy, ConnectVerdict, ConnectionOutcome, ControlConfirmation,
    DiskInfo, ErrorCode, EventData, Party, SessionStatus, SystemInfo,
};
use uuid::Uuid;

use crate::adhoc::{activate, call, enrolled, prepare, PASSWORD};
use crate::helpers::{
    code, realtime, spawn_app, two_nodes_with, wait_for, wait_for_event, Bus, TestApp,
};

/// The agent's half, as the real agent keeps it.
struct FakeAgent {
    api: ApiClient,
    realtime: RealtimeClient,
    activated: crate::adhoc::Activated,
    nonce: String,
    /// The company's rule as the last connection request carried it.
    confirmation: Option<ControlConfirmation>,
}

impl FakeAgent {
    async fn connect(app: &TestApp, activated: crate::adhoc::Activated) -> Self {
        let api = ApiClient::new(&app.url).expect("client");
        api.use_end_user_token(&activated.agent_token, activated.session_id)
            .await;
        let mut realtime = realtime(&api);
        wait_for(&mut realtime, "the agent's connection", |e| {
            matches!(e, RealtimeEvent::Connected { .. })
        })
        .await;
        let nonce = lifeline_adhoc_key::new_nonce();
        api.agent_publish_challenge(&nonce)
            .await
            .expect("challenge published");
        Self {
            api,
            realtime,
            activated,
            nonce,
            confirmation: None,
        }
    }

    /// Waits for the next attempt, checks it, answers, and returns the verdict given
    /// and the ticket when accepted.
    async fn answer_next(&mut self) -> (bool, Option<lifeline_protocol::AgentConnection>) {
        let api = self.api.clone();
        self.answer_next_through(&api).await
    }

    /// [`Self::answer_next`], with the verdict sent through `api` (another node).
    async fn answer_next_through(
        &mut self,
        api: &ApiClient,
    ) -> (bool, Option<lifeline_protocol::AgentConnection>) {
        let request = wait_for(&mut self.realtime, "a connection request", |e| {
            matches!(e, RealtimeEvent::ConnectRequested { .. })
        })
        .await;
        let RealtimeEvent::ConnectRequested {
            connection_id,
            technician_name,
            nonce,
            proof,
            control_confirmation,
        } = request
        else {
            unreachable!("filtered")
        };
        self.confirmation = Some(control_confirmation);
        assert_eq!(technician_name, "Tina Tech", "the agent is told who asks");
        let accepted = nonce == self.nonce
            && lifeline_adhoc_key::verify(
                &self.activated.verifier,
                self.activated.session_id,
                &nonce,
                &proof,
            );
        self.nonce = lifeline_adhoc_key::new_nonce();
        let recorded = api
            .agent_verdict(
                connection_id,
                &ConnectVerdict {
                    accepted,
                    next_nonce: self.nonce.clone(),
                },
            )
            .await
            .expect("verdict recorded");
        assert_eq!(recorded.connection.is_some(), accepted);
        (accepted, recorded.connection)
    }
}

fn system_info() -> SystemInfo {
    SystemInfo {
        hostname: "erika-laptop".into(),
        os: "Debian GNU/Linux".into(),
        os_version: "12".into(),
        kernel_version: "6.1.0".into(),
        cpu: "Test CPU".into(),
        cpu_cores: 4,
        memory_total_bytes: 8 << 30,
        memory_available_bytes: 3 << 30,
        disks: vec![DiskInfo {
            mount_point: "/".into(),
            file_system: "ext4".into(),
            total_bytes: 100 << 30,
            available_bytes: 40 << 30,
        }],
        uptime_seconds: 7200,
        logged_in_user: "erika".into(),
    }
}

async fn audit(app: &TestApp, id: Uuid) -> Vec<AdhocConnectionRecord> {
    app.technician.adhoc_connections(id).await.expect("audit")
}

#[tokio::test]
async fn the_agent_alone_decides_who_connects_and_every_attempt_is_audited() {
    let app = spawn_app().await;
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let id = prepared.session.id;

    let err = app
        .technician
        .connect_adhoc(id, PASSWORD)
        .await
        .expect_err("not enrolled yet");
    assert_eq!(
        code(err),
        ErrorCode::ComputerOffline,
        "a prepared session has no computer yet"
    );

    let activated = activate(&app, id, &prepared.security_code)
        .await
        .expect("activated");
    let err = app
        .technician
        .connect_adhoc(id, PASSWORD)
        .await
        .expect_err("the agent is not connected");
    assert_eq!(code(err), ErrorCode::ComputerOffline);

    let mut agent = FakeAgent::connect(&app, activated).await;

    // The challenge gives the salt and cost to derive the key again, never the public
    // key to test guesses against; the service keeps no copy of it either.
    let challenge = call::<serde_json::Value>(
        &app,
        Some(&app.technician),
        reqwest::Method::GET,
        &format!("/api/v1/adhoc/{id}/challenge"),
        None,
    )
    .await
    .expect("challenge");
    let public_key = &crate::adhoc::verifier().public_key;
    assert!(challenge["key_params"]["salt"].is_string(), "{challenge}");
    assert!(
        !challenge.to_string().contains(public_key.as_str()),
        "{challenge}"
    );
    let database = app.database.inspect().await.expect("database");
    let stored: Vec<String> = sqlx::query_scalar("SELECT password_verifier FROM adhoc_sessions")
        .fetch_all(&database)
        .await
        .expect("verifiers");
    assert!(!stored.is_empty());
    assert!(
        stored
            .iter()
            .all(|v| !v.contains(public_key.as_str()) && !v.contains("public_key")),
        "{stored:?}"
    );

    // A wrong password: the agent refuses, and the technician is told so.
    let technician = app.technician.clone();
    let attempt = tokio::spawn(async move { technician.connect_adhoc(id, "Rainy-Day-42").await });
    let (accepted, _) = agent.answer_next().await;
    assert!(!accepted, "the agent refuses a wrong password");
    let err = attempt.await.expect("task").expect_err("refused");
    assert_eq!(code(err), ErrorCode::WrongPassword);

    // The right one: the connection is a session with the agent already in it.
    let technician = app.technician.clone();
    let attempt = tokio::spawn(async move { technician.connect_adhoc(id, PASSWORD).await });
    let (accepted, ticket) = agent.answer_next().await;
    assert!(accepted, "the agent accepts the right password");
    let session = attempt.await.expect("task").expect("connected");
    let ticket = ticket.expect("the agent's ticket");
    assert_eq!(session.id, ticket.session_id);
    assert_eq!(session.adhoc_session_id, Some(id));
    assert_eq!(session.status, SessionStatus::Active);
    assert_eq!(
        session.end_user_name.as_deref(),
        Some("erika-laptop (erika)")
    );

    // A replayed proof is useless: its challenge is spent.
    let err = call::<serde_json::Value>(
        &app,
        Some(&app.technician),
        reqwest::Method::POST,
        &format!("/api/v1/adhoc/{id}/connections"),
        Some(serde_json::json!({"nonce": lifeline_adhoc_key::new_nonce(), "proof": "AAAA"})),
    )
    .await
    .expect_err("a stale challenge");
    assert_eq!(err.1.code, ErrorCode::Conflict);

    // Chat both ways and system information, over the session machinery.
    let on_computer = ApiClient::new(&app.url).expect("client");
    on_computer
        .use_end_user_token(&ticket.end_user_token, ticket.session_id)
        .await;
    let mut technician_rt = realtime(&app.technician);
    on_computer
        .post_system_info(session.id, &system_info())
        .await
        .expect("system info");
    let reported = wait_for_event(&mut technician_rt, "the system information", |e| {
        matches!(e.data, EventData::SystemInfo { .. })
    })
    .await;
    assert_eq!(
        reported.data,
        EventData::SystemInfo {
            info: system_info()
        }
    );
    app.technician
        .send_message(session.id, Uuid::new_v4(), "Hello Erika")
        .await
        .expect("technician writes");
    on_computer
        .send_message(session.id, Uuid::new_v4(), "Hi, the printer is stuck")
        .await
        .expect("the person at the computer writes");
    let events = app.technician.events(session.id, 0).await.expect("events");
    let said: Vec<(Party, &str)> = events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Message { from, text, .. } => Some((*from, text.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        said,
        [
            (Party::Technician, "Hello Erika"),
            (Party::EndUser, "Hi, the printer is stuck")
        ]
    );
    let refused_info = app
        .http
        .post(app.api(&format!("/api/v1/sessions/{}/system-info", session.id)))
        .bearer_auth(app.technician.access_token().await.expect("token").expose())
        .json(&system_info())
        .send()
        .await
        .expect("post");
    assert_eq!(
        refused_info.status(),
        401,
        "only the computer's agent reports its system"
    );

    // The audit: the refused attempt is closed, the accepted one open until it ends.
    let records = audit(&app, id).await;
    let outcomes: Vec<ConnectionOutcome> = records.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [ConnectionOutcome::Accepted, ConnectionOutcome::Refused]
    );
    assert!(records.iter().all(|r| r.technician_name == "Tina Tech"));
    assert!(records[0].ended_at.is_none() && records[1].ended_at.is_some());
    assert_eq!(records[0].session_id, Some(session.id));
    app.technician
        .end_session(session.id)
        .await
        .expect("the technician disconnects");
    let records = audit(&app, id).await;
    assert!(
        records[0]
            .ended_at
            .is_some_and(|end| end >= records[0].started_at),
        "the connection's length is recorded"
    );

    // Connect again, then end the ad-hoc session: the open connection ends with it.
    let technician = app.technician.clone();
    let attempt = tokio::spawn(async move { technician.connect_adhoc(id, PASSWORD).await });
    let (accepted, _) = agent.answer_next().await;
    assert!(accepted, "any number of connections within the 24 hours");
    let second = attempt.await.expect("task").expect("connected again");
    app.technician.end_adhoc(id).await.expect("ended");
    let second = app.technician.session(second.id).await.expect("session");
    assert_eq!(second.status, SessionStatus::Ended);
    assert_eq!(audit(&app, id).await.len(), 3);
    let err = app
        .technician
        .connect_adhoc(id, PASSWORD)
        .await
        .expect_err("the session is over");
    assert_eq!(code(err), ErrorCode::SessionEnded);
}

#[tokio::test]
async fn another_technician_cannot_connect_or_read_the_audit() {
    let app = spawn_app().await;
    let (prepared, activated) = enrolled(&app).await;
    let _agent = FakeAgent::connect(&app, activated).await;
    let other = app.add_technician("other@acme.test", false).await;
    let err = other
        .connect_adhoc(prepared.session.id, PASSWORD)
        .await
        .expect_err("not theirs");
    assert_eq!(code(err), ErrorCode::NotFound);
    let rival = lifeline_server::admin::add_technician(
        &app.state().store,
        "Rival Ltd",
        lifeline_protocol::NewTechnician {
            email: "rival@rival.test".into(),
            display_name: "Rival".into(),
            password: "correct horse battery".into(),
            is_admin: true,
        },
        app.state().now(),
    )
    .await;
    assert!(rival.is_ok(), "a second company");
    let rival_client = ApiClient::new(&app.url).expect("client");
    rival_client
        .login("rival@rival.test", "correct horse battery")
        .await
        .expect("login");
    let err = rival_client
        .adhoc_connections(prepared.session.id)
        .await
        .expect_err("another company's audit");
    assert_eq!(code(err), ErrorCode::NotFound);
}

#[tokio::test]
async fn admins_set_whether_the_person_at_the_computer_is_asked_and_each_request_carries_it() {
    let app = spawn_app().await;
    let policy = app.technician.adhoc_policy().await.expect("policy");
    assert_eq!(
        policy.control_confirmation,
        ControlConfirmation::WhenPresent,
        "ask when someone is there, by default"
    );
    let colleague = app.add_technician("max@example.test", false).await;
    let refused = colleague
        .set_adhoc_policy(&AdhocPolicy {
            control_confirmation: ControlConfirmation::Never,
        })
        .await
        .expect_err("only admins");
    assert_eq!(code(refused), ErrorCode::Forbidden);
    let bad = call::<serde_json::Value>(
        &app,
        Some(&app.technician),
        reqwest::Method::PUT,
        "/api/v1/admin/adhoc-policy",
        Some(serde_json::json!({"control_confirmation": "sometimes"})),
    )
    .await
    .expect_err("not a rule");
    assert_eq!(bad.1.code, ErrorCode::InvalidInput);

    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let id = prepared.session.id;
    let activated = activate(&app, id, &prepared.security_code)
        .await
        .expect("activated");
    let mut agent = FakeAgent::connect(&app, activated).await;
    for rule in [ControlConfirmation::Never, ControlConfirmation::Always] {
        app.technician
            .set_adhoc_policy(&AdhocPolicy {
                control_confirmation: rule,
            })
            .await
            .expect("set");
        let technician = app.technician.clone();
        let attempt = tokio::spawn(async move { technician.connect_adhoc(id, PASSWORD).await });
        let (accepted, _) = agent.answer_next().await;
        assert!(accepted);
        attempt.await.expect("task").expect("connected");
        assert_eq!(agent.confirmation, Some(rule), "the agent hears the rule");
    }
}

/// The agent accepts through a node whose word never reaches the technician's (the bus
/// lost it): when the technician's wait runs out, the stored verdict stands, and the
/// technician gets the connection instead of "did not answer".
#[tokio::test]
async fn a_verdict_stored_as_the_wait_runs_out_stands() {
    let nodes = two_nodes_with(
        |config| config.limits.adhoc_connect_timeout_secs = 2,
        Bus::Deaf,
    )
    .await;
    let app = &nodes.first;
    let prepared = prepare(app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let id = prepared.session.id;
    let activated = activate(app, id, &prepared.security_code)
        .await
        .expect("activated");
    let agent_elsewhere = ApiClient::new(&nodes.second.url()).expect("client");
    agent_elsewhere
        .use_end_user_token(&activated.agent_token, activated.session_id)
        .await;
    let mut agent = FakeAgent::connect(app, activated).await;

    let technician = app.technician.clone();
    let attempt = tokio::spawn(async move { technician.connect_adhoc(id, PASSWORD).await });
    let (accepted, ticket) = agent.answer_next_through(&agent_elsewhere).await;
    assert!(accepted);
    let session = attempt
        .await
        .expect("task")
        .expect("connected, though the verdict's message never came");
    assert_eq!(Some(session.id), ticket.map(|t| t.session_id));
    assert_eq!(session.status, SessionStatus::Active);
    let audit = audit(app, id).await;
    assert_eq!(audit[0].outcome, ConnectionOutcome::Accepted, "{audit:?}");
}
