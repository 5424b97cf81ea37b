//! The agent's window shell on Tauri's mock runtime against an in-process service: each
//! command is one call on the `AgentSession` facade, refusals arrive as typed codes,
//! and every change reaches the page as an `agent` event. The real window is tested in
//! `agent_window.rs`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use lifeline_agent::run::Places;
use lifeline_agent::session::{AgentSetup, NoTarget};
use lifeline_agent::shell::{self, AGENT_EVENT};
use lifeline_client::protocol::{EventData, Party};
use lifeline_e2e::agent::{event_in, Computer};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::{App, Listener, WebviewWindow, WebviewWindowBuilder};
use uuid::Uuid;

use crate::support::{invoke_in, prepared_adhoc, ADHOC_PASSWORD};

/// The agent's shell on the mock runtime, with the updates it sent to the page.
struct MockAgent {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    updates: Arc<Mutex<Vec<Value>>>,
}

impl MockAgent {
    fn new(setup: AgentSetup) -> anyhow::Result<Self> {
        let mut app = shell::app(mock_builder(), setup).build(mock_context(noop_assets()))?;
        // One iteration runs the app's setup, where the session is made (see
        // support.rs for why this deprecated call is right here).
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        let updates: Arc<Mutex<Vec<Value>>> = Arc::default();
        let sink = Arc::clone(&updates);
        app.listen_any(AGENT_EVENT, move |event| {
            if let Ok(update) = serde_json::from_str(event.payload()) {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(update);
            }
        });
        let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build()?;
        Ok(Self {
            _app: app,
            window,
            updates,
        })
    }

    fn invoke<T: DeserializeOwned>(
        &self,
        cmd: &str,
        args: Value,
    ) -> anyhow::Result<Result<T, Value>> {
        invoke_in(&self.window, cmd, args)
    }

    /// The error code of a command that must fail.
    fn refused(&self, cmd: &str, args: Value) -> anyhow::Result<String> {
        match self.invoke::<Value>(cmd, args)? {
            Ok(answer) => anyhow::bail!("{cmd} was accepted: {answer}"),
            Err(error) => Ok(error["code"].as_str().unwrap_or_default().to_owned()),
        }
    }

    fn view(&self) -> anyhow::Result<Value> {
        self.invoke("agent_view", json!({}))?
            .map_err(|e| anyhow::anyhow!("agent_view: {e}"))
    }

    /// Waits up to 20 s for an update the predicate accepts.
    async fn update(&self, what: &str, matches: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
        let started = Instant::now();
        loop {
            let found = self
                .updates
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .find(|u| matches(u))
                .cloned();
            if let Some(update) = found {
                return Ok(update);
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(20),
                "no update: {what}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn setup(computer: &Computer, target: Result<(String, Uuid), NoTarget>) -> AgentSetup {
    AgentSetup {
        places: Places {
            state_dir: computer.state_dir(),
            autostart_entry: computer.autostart_entry(),
            installed_copy: None,
        },
        downloads: computer.downloads(),
        target,
        autostart_program: Some(PathBuf::from("/usr/bin/lifeline-agent")),
        asking: lifeline_agent::run::AskingRule {
            away_after: lifeline_agent::presence::DEFAULT_AWAY_AFTER,
            answer_within: std::time::Duration::from_secs(60),
        },
        attended: None,
    }
}

#[test]
fn a_copy_that_does_not_know_its_session_says_why_and_enrolls_nowhere() -> anyhow::Result<()> {
    let computer = Computer::new()?;
    let agent = MockAgent::new(setup(&computer, Err(NoTarget::NotInDownload)))?;
    assert_eq!(
        agent.view()?,
        json!({"phase": "enroll", "problem": NoTarget::NotInDownload.to_string()})
    );
    assert_eq!(
        agent.refused("enroll", json!({"code": "123 456 789"}))?,
        "invalid_input"
    );
    assert!(!computer.state_dir().exists());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shell_enrolls_chats_and_ends_through_the_facade_with_typed_refusals(
) -> anyhow::Result<()> {
    let (service, technician, prepared) = prepared_adhoc().await?;
    let adhoc_id = prepared.session.id;
    let computer = Computer::new()?;
    let agent = MockAgent::new(setup(&computer, Ok((service.url.clone(), adhoc_id))))?;
    assert_eq!(agent.view()?, json!({"phase": "enroll", "problem": null}));

    // Before enrollment: nothing to say, end or send, each with its code.
    assert_eq!(
        agent.refused("say", json!({"text": "hello"}))?,
        "invalid_input"
    );
    assert_eq!(agent.refused("end_session", json!({}))?, "invalid_input");
    assert_eq!(
        agent.refused("send_file", json!({"path": "/nonexistent/file.txt"}))?,
        "file"
    );
    // A code that is no code, and a wrong one, are refused alike; nothing is created.
    assert_eq!(
        agent.refused("enroll", json!({"code": "   "}))?,
        "code_invalid"
    );
    assert_eq!(
        agent.refused("enroll", json!({"code": "x".repeat(10_000)}))?,
        "code_invalid"
    );
    assert_eq!(
        agent.refused("enroll", json!({"code": "000 000 000"}))?,
        "code_invalid"
    );
    assert!(!computer.state_dir().exists());

    let view: Value = agent
        .invoke("enroll", json!({"code": prepared.security_code}))?
        .map_err(|e| anyhow::anyhow!("enroll: {e}"))?;
    assert_eq!(view["phase"], "active");
    assert!(computer.state_dir().join("session.json").exists());
    assert_eq!(
        agent.refused("enroll", json!({"code": prepared.security_code}))?,
        "invalid_input"
    );
    agent
        .update("online", |u| u["view"]["online"] == true)
        .await?;
    // Online, but nobody connected: chat is refused until a technician is in.
    assert_eq!(
        agent.refused("say", json!({"text": "hello"}))?,
        "invalid_input"
    );

    let connection = technician.connect_adhoc(adhoc_id, ADHOC_PASSWORD).await?;
    agent
        .update("the technician connected", |u| {
            u["notice"]["kind"] == "technicianConnected"
        })
        .await?;
    assert_eq!(
        agent.refused("say", json!({"text": "  "}))?,
        "invalid_input"
    );
    assert_eq!(
        agent.refused(
            "say",
            json!({"text": "x".repeat(lifeline_client::protocol::MAX_MESSAGE_CHARS + 1)})
        )?,
        "invalid_input"
    );
    agent
        .invoke::<()>("say", json!({"text": "Hi, the printer is stuck"}))?
        .map_err(|e| anyhow::anyhow!("say: {e}"))?;
    event_in(&technician, connection.id, "the message from the shell", |e| {
        matches!(&e.data, EventData::Message { from: Party::EndUser, text, .. } if text == "Hi, the printer is stuck")
    })
    .await?;

    agent
        .invoke::<()>("end_session", json!({}))?
        .map_err(|e| anyhow::anyhow!("end_session: {e}"))?;
    let ended = agent
        .update("the end", |u| u["view"]["phase"] == "ended")
        .await?;
    assert_eq!(ended["view"]["finish"], "ended");
    assert!(!computer.state_dir().exists() && !computer.autostart_entry().exists());
    assert_eq!(
        agent.refused("say", json!({"text": "hello"}))?,
        "invalid_input"
    );
    Ok(())
}
