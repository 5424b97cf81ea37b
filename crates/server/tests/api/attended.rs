//! The attended app: once the end user allows control, the page gets a single-use
//! ticket for the app's download, which carries a token of its own. The app joins with
//! it, takes the screen over from the browser (the consent stands), and its access ends
//! when the technician cancels it, when it leaves, and when the session ends.

use lifeline_client::{ApiClient, MediaEvent, MediaSocket};
use lifeline_protocol::{
    ConsentKind, ErrorCode, EventData, InputEvent, MediaRole, MediaSource, Party, StopReason,
};
use uuid::Uuid;

use crate::helpers::{code, spawn_app, TestApp};
use crate::media::{allowed_session_for, format, next_matching};

const FAKE_BUILD: &[u8] = b"\x7fELF fake agent";

fn with_build(app: &TestApp) {
    let agents = app.config.data_dir.join("agents");
    std::fs::create_dir_all(&agents).expect("agents dir");
    std::fs::write(agents.join("lifeline-agent-linux-x86_64"), FAKE_BUILD).expect("build");
}

/// A joined session whose end user allowed control: `(session, end user)`.
async fn control_allowed(app: &TestApp) -> (Uuid, ApiClient) {
    allowed_session_for(app, ConsentKind::Control).await
}

/// Posts the download form: the status, and the body.
async fn download(app: &TestApp, ticket: &str, platform: &str) -> (u16, bytes::Bytes) {
    let response = app
        .http
        .post(app.api("/attended/download"))
        .form(&[("ticket", ticket), ("platform", platform)])
        .send()
        .await
        .expect("download");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body"))
}

/// The JSON trailer of a downloaded build.
fn trailer(bytes: &[u8]) -> serde_json::Value {
    assert!(bytes.ends_with(lifeline_server::adhoc::TRAILER_MAGIC));
    let length_at = bytes.len() - 12;
    let length =
        u32::from_le_bytes(bytes[length_at..length_at + 4].try_into().expect("4 bytes")) as usize;
    serde_json::from_slice(&bytes[length_at - length..length_at]).expect("trailer JSON")
}

/// The app's client, with the token from a fresh download.
async fn downloaded_app(app: &TestApp, session_id: Uuid, end_user: &ApiClient) -> ApiClient {
    let offer = end_user
        .agent_download_offer(session_id)
        .await
        .expect("offer");
    let (status, bytes) = download(app, &offer.ticket, "linux-x86_64").await;
    assert_eq!(status, 200);
    let token = trailer(&bytes)["attended_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let client = ApiClient::new(&app.url).expect("client");
    client.use_end_user_token(&token, session_id).await;
    client
}

fn hello() -> lifeline_protocol::AttendedHello {
    lifeline_protocol::AttendedHello {
        hostname: "erika-pc".into(),
        os: "Debian GNU/Linux 13 (linux)".into(),
    }
}

async fn event_types(app: &TestApp, session_id: Uuid) -> Vec<EventData> {
    app.technician
        .events(session_id, 0)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.data)
        .collect()
}

#[tokio::test]
async fn allowing_control_offers_the_app_whose_ticket_works_once_and_whose_token_joins() {
    let app = spawn_app().await;
    with_build(&app);
    let session = app.new_session().await;
    let (end_user, _) = app.end_user(&session).await;
    let refused = end_user
        .agent_download_offer(session.id)
        .await
        .expect_err("no consent yet");
    assert_eq!(code(refused), ErrorCode::ConsentRequired);
    let (session_id, end_user) = control_allowed(&app).await;

    let offer = end_user
        .agent_download_offer(session_id)
        .await
        .expect("offer");
    assert_eq!(offer.platforms, vec!["linux-x86_64".to_owned()]);
    assert!(
        !format!("{offer:?}").contains(&offer.ticket),
        "never printed"
    );
    let (status, _) = download(&app, &offer.ticket, "plan9-mips").await;
    assert_eq!(status, 404, "an unknown platform does not spend the ticket");
    let (status, bytes) = download(&app, &offer.ticket, "linux-x86_64").await;
    assert_eq!(status, 200);
    assert!(bytes.starts_with(FAKE_BUILD), "the build comes first");
    let trailer = trailer(&bytes);
    assert_eq!(trailer["session_id"], session_id.to_string());
    assert_eq!(trailer["server"], app.url.trim_end_matches('/'));
    let token = trailer["attended_token"].as_str().expect("a token");
    assert!(token.starts_with("llh_") && token.len() > 40);
    let (again, _) = download(&app, &offer.ticket, "linux-x86_64").await;
    assert_eq!(again, 401, "a ticket works once");

    let attended = ApiClient::new(&app.url).expect("client");
    attended.use_end_user_token(token, session_id).await;
    let welcome = attended.attended_join(&hello()).await.expect("joins");
    assert_eq!(welcome.session_id, session_id);
    assert_eq!(welcome.technician_name, "Tina Tech");
    attended.attended_join(&hello()).await.expect("joins again");
    assert!(attended.attended_status().await.expect("status").control);
    let mut long = hello();
    long.hostname = "x".repeat(121);
    assert_eq!(
        code(attended.attended_join(&long).await.expect_err("too long")),
        ErrorCode::InvalidInput
    );

    let events = event_types(&app, session_id).await;
    let downloads = events
        .iter()
        .filter(
            |e| matches!(e, EventData::AgentDownloaded { platform } if platform == "linux-x86_64"),
        )
        .count();
    let joins = events
        .iter()
        .filter(|e| matches!(e, EventData::AgentJoined { hostname, .. } if hostname == "erika-pc"))
        .count();
    assert_eq!((downloads, joins), (1, 1), "{events:?}");

    // The end user's own token is no app token, and an app token is no end user's.
    assert_eq!(
        code(end_user.attended_status().await.expect_err("not the app")),
        ErrorCode::Unauthorized
    );
    assert_eq!(
        code(
            attended
                .send_message(session_id, Uuid::new_v4(), "hi")
                .await
                .expect_err("the app does not chat")
        ),
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn the_app_takes_the_screen_over_with_control_and_its_access_ends_when_cancelled() {
    let app = spawn_app().await;
    with_build(&app);
    let (session_id, end_user) = control_allowed(&app).await;
    let attended = downloaded_app(&app, session_id, &end_user).await;
    attended.attended_join(&hello()).await.expect("joins");

    let mut viewer =
        MediaSocket::connect(&app.technician, session_id, MediaRole::Viewer, Vec::new())
            .await
            .expect("views");
    let mut browser = MediaSocket::connect(&end_user, session_id, MediaRole::Sender, Vec::new())
        .await
        .expect("the browser shares");
    browser.start(format()).expect("start");
    next_matching(
        &mut viewer,
        "the browser's stream",
        |e| matches!(e, MediaEvent::Stream(s) if s.format.source == MediaSource::Browser),
    )
    .await;

    // The app attaches: the browser hears it was handed over, and the viewer (on a new
    // socket, as the app does after a stop) gets the app's stream, with control.
    let mut app_sender = MediaSocket::connect(&attended, session_id, MediaRole::Sender, Vec::new())
        .await
        .expect("the app takes over");
    let stopped = next_matching(&mut browser, "the handover", |e| {
        matches!(e, MediaEvent::Stopped { .. })
    })
    .await;
    assert!(
        matches!(
            stopped,
            MediaEvent::Stopped {
                reason: StopReason::HandedToApp,
                by: Party::EndUser,
                ..
            }
        ),
        "{stopped:?}"
    );
    app_sender.start(format()).expect("sent");
    next_matching(
        &mut app_sender,
        "the refusal of a browser format",
        |e| matches!(e, MediaEvent::Refused(err) if err.code == ErrorCode::InvalidInput),
    )
    .await;
    let mut agent_format = format();
    agent_format.source = MediaSource::Agent;
    app_sender.start(agent_format).expect("start");
    let mut viewer =
        MediaSocket::connect(&app.technician, session_id, MediaRole::Viewer, Vec::new())
            .await
            .expect("views again");
    next_matching(
        &mut viewer,
        "the app's stream",
        |e| matches!(e, MediaEvent::Stream(s) if s.format.source == MediaSource::Agent),
    )
    .await;
    let click = InputEvent::PointerMove {
        display_id: "0".into(),
        x: 0.5,
        y: 0.5,
    };
    viewer.send_input(click.clone()).expect("sent");
    let arrived = next_matching(&mut app_sender, "the input", |e| {
        matches!(e, MediaEvent::Input(_))
    })
    .await;
    assert!(
        matches!(arrived, MediaEvent::Input(event) if event == click),
        "control stands"
    );

    // The technician closes the app's access: its stream stops, its token is refused.
    app.technician
        .cancel_attended_app(session_id)
        .await
        .expect("cancelled");
    let stopped = next_matching(&mut app_sender, "the stop", |e| {
        matches!(e, MediaEvent::Stopped { .. })
    })
    .await;
    assert!(
        matches!(
            stopped,
            MediaEvent::Stopped {
                by: Party::Technician,
                ..
            }
        ),
        "{stopped:?}"
    );
    assert_eq!(
        code(attended.attended_status().await.expect_err("revoked")),
        ErrorCode::Unauthorized
    );
    assert!(event_types(&app, session_id)
        .await
        .contains(&EventData::AgentLeft {
            by: Party::Technician
        }));
}

#[tokio::test]
async fn the_apps_access_ends_when_it_leaves_and_when_the_session_ends() {
    let app = spawn_app().await;
    with_build(&app);
    let (session_id, end_user) = control_allowed(&app).await;
    let leaving = downloaded_app(&app, session_id, &end_user).await;
    leaving.attended_join(&hello()).await.expect("joins");
    leaving.attended_leave().await.expect("leaves");
    assert_eq!(
        code(leaving.attended_status().await.expect_err("left")),
        ErrorCode::Unauthorized
    );
    assert!(event_types(&app, session_id)
        .await
        .contains(&EventData::AgentLeft { by: Party::EndUser }));

    let staying = downloaded_app(&app, session_id, &end_user).await;
    staying.attended_join(&hello()).await.expect("joins");
    app.technician.end_session(session_id).await.expect("ended");
    assert_eq!(
        code(staying.attended_status().await.expect_err("over")),
        ErrorCode::SessionEnded
    );
    let Err(refused) =
        MediaSocket::connect(&staying, session_id, MediaRole::Sender, Vec::new()).await
    else {
        panic!("no screen after the end");
    };
    assert_eq!(code(refused), ErrorCode::SessionEnded);
    assert_eq!(
        code(
            end_user
                .agent_download_offer(session_id)
                .await
                .expect_err("no offer after the end")
        ),
        ErrorCode::SessionEnded
    );
}

#[tokio::test]
async fn without_a_build_there_is_no_offer_and_an_ad_hoc_connection_gets_none() {
    let app = spawn_app().await;
    let (session_id, end_user) = control_allowed(&app).await;
    assert_eq!(
        code(
            end_user
                .agent_download_offer(session_id)
                .await
                .expect_err("no build")
        ),
        ErrorCode::NotFound
    );
    let (status, _) = download(&app, "lld_forged", "linux-x86_64").await;
    assert_eq!(status, 404, "no build for a forged ticket either");
    with_build(&app);
    let (status, _) = download(&app, "lld_forged", "linux-x86_64").await;
    assert_eq!(status, 401, "a forged ticket is refused");
    let response = app
        .http
        .post(app.api("/attended/download"))
        .form(&[("ticket", "lld_x")])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
    let error: lifeline_protocol::ApiError = response.json().await.expect("a typed error");
    assert_eq!(
        error.code,
        ErrorCode::InvalidInput,
        "a form without its platform"
    );
}
