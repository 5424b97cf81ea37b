//! The UI's TypeScript types are generated from the Rust types the commands take and
//! return, for both windows: the desktop app's (`src-tauri/bindings`) and the agent's
//! (`crates/agent/bindings`); these tests fail when the committed ones are stale.
//! Regenerate with `LIFELINE_UPDATE_BINDINGS=1 cargo test --test app bindings`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lifeline_agent::view::{AgentUpdate, AgentView};
use lifeline_client::desk::{DeskEvent, Preferences, ScreenNote, SignedIn};
use lifeline_client::protocol::{
    AdhocConnectionRecord, AdhocPrepared, AdhocSessionSummary, ComputerGroup, ConsentKind,
    FileInfo, InviteSent, ServerInfo, SessionEvent, SessionSummary, VideoCodec,
};
use lifeline_desktop::error::{IpcError, IpcErrorCode};
use ts_rs::TS;

fn export_agent(dir: &Path) -> anyhow::Result<()> {
    AgentUpdate::export_all_to(dir)?;
    AgentView::export_all_to(dir)?;
    IpcError::export_all_to(dir)?;
    IpcErrorCode::export_all_to(dir)?;
    Ok(())
}

fn export_all(dir: &Path) -> anyhow::Result<()> {
    IpcError::export_all_to(dir)?;
    IpcErrorCode::export_all_to(dir)?;
    DeskEvent::export_all_to(dir)?;
    SignedIn::export_all_to(dir)?;
    Preferences::export_all_to(dir)?;
    SessionSummary::export_all_to(dir)?;
    SessionEvent::export_all_to(dir)?;
    FileInfo::export_all_to(dir)?;
    InviteSent::export_all_to(dir)?;
    ServerInfo::export_all_to(dir)?;
    ConsentKind::export_all_to(dir)?;
    AdhocPrepared::export_all_to(dir)?;
    AdhocSessionSummary::export_all_to(dir)?;
    ComputerGroup::export_all_to(dir)?;
    AdhocConnectionRecord::export_all_to(dir)?;
    ScreenNote::export_all_to(dir)?;
    VideoCodec::export_all_to(dir)?;
    Ok(())
}

fn read_dir(dir: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".ts") {
            files.insert(name, std::fs::read_to_string(entry.path())?);
        }
    }
    Ok(files)
}

#[test]
fn committed_typescript_bindings_match_the_rust_types() -> anyhow::Result<()> {
    check_fresh("src-tauri/bindings", export_all)
}

#[test]
fn committed_agent_window_bindings_match_the_rust_types() -> anyhow::Result<()> {
    check_fresh("crates/agent/bindings", export_agent)
}

/// Compares `dir` (from the repository root) with a fresh export, after rewriting it
/// when `LIFELINE_UPDATE_BINDINGS` is set.
fn check_fresh(dir: &str, export: fn(&Path) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(dir);
    if std::env::var_os("LIFELINE_UPDATE_BINDINGS").is_some() {
        if committed.exists() {
            std::fs::remove_dir_all(&committed)?;
        }
        export(&committed)?;
    }
    let fresh = tempfile::tempdir()?;
    export(fresh.path())?;
    let want = read_dir(fresh.path())?;
    let have = read_dir(&committed)?;
    let stale: Vec<_> = want
        .iter()
        .filter(|(name, text)| have.get(*name) != Some(*text))
        .map(|(name, _)| name.as_str())
        .chain(
            have.keys()
                .filter(|name| !want.contains_key(*name))
                .map(String::as_str),
        )
        .collect();
    assert!(
        stale.is_empty(),
        "{dir} is stale ({stale:?}): run \
         LIFELINE_UPDATE_BINDINGS=1 cargo test --test app bindings and commit it"
    );
    Ok(())
}

/// Deny by default: every permission is listed by name, no wildcard, and no remote
/// origin is given any IPC.
#[test]
fn capabilities_list_each_permission_and_give_remote_pages_nothing() -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let desktop = std::fs::read_dir(root.join("src-tauri/capabilities"))?;
    let agent = std::fs::read_dir(root.join("crates/agent/capabilities"))?;
    for entry in desktop.chain(agent) {
        let path = entry?.path();
        let capability: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        assert!(
            capability.get("remote").is_none(),
            "{} gives remote pages IPC",
            path.display()
        );
        let permissions = capability["permissions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for permission in permissions {
            let id = permission
                .as_str()
                .or_else(|| permission["identifier"].as_str())
                .unwrap_or_default()
                .to_owned();
            assert!(
                !id.ends_with(":default") && !id.contains('*'),
                "{id} in {} is not one named permission",
                path.display()
            );
            for url in permission["allow"].as_array().into_iter().flatten() {
                let url = url["url"].as_str().unwrap_or_default();
                assert!(
                    url.starts_with("mailto:") || url.starts_with("https://"),
                    "the opener may open mailto: and https: only, not {url}"
                );
            }
        }
    }
    Ok(())
}
