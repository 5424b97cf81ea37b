//! The UI's TypeScript types are generated from the Rust types the commands take and
//! return; this test fails when the committed `src-tauri/bindings` is stale.
//! Regenerate with `LIFELINE_UPDATE_BINDINGS=1 cargo test -p lifeline-desktop bindings`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lifeline_client::desk::{DeskEvent, Preferences, SignedIn};
use lifeline_client::protocol::{
    AdhocConnectionRecord, AdhocPrepared, AdhocSessionSummary, ComputerGroup, ConsentKind,
    FileInfo, InviteSent, ServerInfo, SessionEvent, SessionSummary,
};
use lifeline_desktop::error::{IpcError, IpcErrorCode};
use ts_rs::TS;

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
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bindings");
    if std::env::var_os("LIFELINE_UPDATE_BINDINGS").is_some() {
        if committed.exists() {
            std::fs::remove_dir_all(&committed)?;
        }
        export_all(&committed)?;
    }
    let fresh = tempfile::tempdir()?;
    export_all(fresh.path())?;
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
        "src-tauri/bindings is stale ({stale:?}): run \
         LIFELINE_UPDATE_BINDINGS=1 cargo test -p lifeline-desktop bindings and commit it"
    );
    Ok(())
}

/// Deny by default: every permission is listed by name, no wildcard, and no remote
/// origin is given any IPC.
#[test]
fn capabilities_list_each_permission_and_give_remote_pages_nothing() -> anyhow::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("capabilities");
    for entry in std::fs::read_dir(dir)? {
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
