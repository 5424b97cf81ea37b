//! The UI's TypeScript is generated from Rust, and these tests fail when what is
//! committed is stale:
//! - the types the commands take and return, for both windows: the desktop app's
//!   (`src-tauri/bindings`) and the agent's (`crates/agent/bindings`). Types of the wire
//!   protocol are not copied there: the files import them from `crates/protocol/bindings`;
//! - the desktop app's command contract (`src-tauri/src/commands/table.rs`): the typed
//!   calls in `ui/src/lib/backend/commands.ts` and the permission for each command in
//!   `src-tauri/capabilities/commands.json`.
//!
//! Regenerate with `LIFELINE_UPDATE_BINDINGS=1 cargo test --test app bindings`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use lifeline_agent::view::{AgentUpdate, AgentView};
use lifeline_client::desk::{DeskEvent, Preferences, ScreenNote, SignedIn};
use lifeline_desktop::commands::{contract, CommandSpec};
use lifeline_desktop::error::{IpcError, IpcErrorCode};
use ts_rs::TS;

/// Where the protocol crate's own bindings are, from the repository root.
const PROTOCOL_BINDINGS: &str = "crates/protocol/bindings";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn export_agent(dir: &Path) -> anyhow::Result<()> {
    let all = tempfile::tempdir()?;
    AgentUpdate::export_all_to(all.path())?;
    AgentView::export_all_to(all.path())?;
    IpcError::export_all_to(all.path())?;
    IpcErrorCode::export_all_to(all.path())?;
    keep_own_types(all.path(), dir, "../../protocol/bindings")
}

fn export_all(dir: &Path) -> anyhow::Result<()> {
    // Everything the commands and events carry; ts-rs follows their dependencies.
    let all = tempfile::tempdir()?;
    IpcError::export_all_to(all.path())?;
    IpcErrorCode::export_all_to(all.path())?;
    DeskEvent::export_all_to(all.path())?;
    SignedIn::export_all_to(all.path())?;
    Preferences::export_all_to(all.path())?;
    ScreenNote::export_all_to(all.path())?;
    keep_own_types(all.path(), dir, "../../crates/protocol/bindings")
}

/// Copies the files of `all` to `dir`, except those of the wire protocol's types: those
/// the copied files import from the protocol's bindings (`protocol`, relative to `dir`).
/// A protocol type whose file differs from the protocol's is an error: its bindings are
/// stale (`cargo test -p lifeline-protocol --features ts export_bindings`).
fn keep_own_types(all: &Path, dir: &Path, protocol: &str) -> anyhow::Result<()> {
    let generated = read_dir(all)?;
    let shared = read_dir(&root().join(PROTOCOL_BINDINGS))?;
    let mut protocol_types = BTreeSet::new();
    for (name, text) in &generated {
        if let Some(theirs) = shared.get(name) {
            anyhow::ensure!(
                theirs == text,
                "{PROTOCOL_BINDINGS}/{name} is stale: regenerate them with `cargo test -p lifeline-protocol --features ts`"
            );
            protocol_types.insert(name.trim_end_matches(".ts").to_owned());
        }
    }
    std::fs::create_dir_all(dir)?;
    for (name, text) in &generated {
        if protocol_types.contains(name.trim_end_matches(".ts")) {
            continue;
        }
        let mut text = text.clone();
        for ty in &protocol_types {
            text = text.replace(
                &format!("from \"./{ty}\";"),
                &format!("from \"{protocol}/{ty}\";"),
            );
        }
        std::fs::write(dir.join(name), text)?;
    }
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
    let committed = root().join(dir);
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
    let root = root();
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
                    url.starts_with("mailto:"),
                    "the opener may open mailto: only, the one kind the app opens, not {url}"
                );
            }
        }
    }
    Ok(())
}

/// The UI's typed calls, one per command of the table.
fn commands_typescript(contract: &[CommandSpec]) -> String {
    let mut out = String::from(
        "// Generated from src-tauri/src/commands/table.rs by the `bindings` test; do not edit.\n\
         // Regenerate with `LIFELINE_UPDATE_BINDINGS=1 cargo test --test app bindings`.\n",
    );
    let mut types = BTreeSet::new();
    for command in contract {
        let texts = command.args.iter().map(|arg| arg.typescript.as_str());
        for text in texts.chain([command.returns.as_str()]) {
            for word in text.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
                if word.starts_with(|c: char| c.is_ascii_uppercase()) {
                    types.insert(word.to_owned());
                }
            }
        }
    }
    // Types of the platform and of Tauri; the rest are generated bindings.
    types.remove("Array");
    types.remove("ArrayBuffer");
    if types.remove("Channel") {
        out.push_str("import type { Channel } from '@tauri-apps/api/core';\n");
    }
    let types: Vec<_> = types.into_iter().collect();
    out.push_str(&format!(
        "import type {{ {} }} from './types';\n\n",
        types.join(", ")
    ));
    out.push_str(
        "/** Invokes one command by name; the app's turns a failure into a `BackendError`. */\n\
         export type Invoke = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;\n\n\
         /** Every command of the desktop app, typed as its table declares it. */\n\
         export function commands(invoke: Invoke) {\n  return {\n",
    );
    for command in contract {
        let docs: Vec<_> = command.docs.iter().map(|line| line.trim()).collect();
        if !docs.is_empty() {
            out.push_str(&format!("    /** {} */\n", docs.join(" ")));
        }
        let params: Vec<_> = command
            .args
            .iter()
            .map(|arg| format!("{}: {}", camel_case(arg.name), arg.typescript))
            .collect();
        let names: Vec<_> = command
            .args
            .iter()
            .map(|arg| camel_case(arg.name))
            .collect();
        let args = if names.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", names.join(", "))
        };
        out.push_str(&format!(
            "    {}: ({}) => invoke<{}>('{}'{}),\n",
            camel_case(command.name),
            params.join(", "),
            command.returns,
            command.name,
            args
        ));
    }
    out.push_str("  };\n}\n\nexport type Commands = ReturnType<typeof commands>;\n");
    out
}

/// The permission for each command of the table, for the main window.
fn commands_capability(contract: &[CommandSpec]) -> anyhow::Result<String> {
    let permissions: Vec<_> = contract
        .iter()
        .map(|command| format!("allow-{}", command.name.replace('_', "-")))
        .collect();
    let capability = serde_json::json!({
        "$schema": "../gen/schemas/desktop-schema.json",
        "identifier": "commands",
        "description": "Generated from src/commands/table.rs by the bindings test; do not edit. \
                        The main window may invoke each of the app's own commands.",
        "windows": ["main"],
        "permissions": permissions,
    });
    Ok(serde_json::to_string_pretty(&capability)? + "\n")
}

/// `sign_in` → `signIn`, as Tauri names command arguments and as the UI names calls.
fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Compares the committed file `path` (from the repository root) with `want`, after
/// rewriting it when `LIFELINE_UPDATE_BINDINGS` is set.
fn check_file(path: &str, want: &str) -> anyhow::Result<()> {
    let committed = root().join(path);
    if std::env::var_os("LIFELINE_UPDATE_BINDINGS").is_some() {
        std::fs::write(&committed, want)?;
    }
    let have = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        have == want,
        "{path} is stale: run LIFELINE_UPDATE_BINDINGS=1 cargo test --test app bindings \
         and commit it"
    );
    Ok(())
}

#[test]
fn committed_command_contract_matches_the_table() -> anyhow::Result<()> {
    let contract = contract();
    let mut names = BTreeSet::new();
    for command in &contract {
        assert!(
            names.insert(command.name),
            "{} is listed twice",
            command.name
        );
    }
    check_file(
        "ui/src/lib/backend/commands.ts",
        &commands_typescript(&contract),
    )?;
    check_file(
        "src-tauri/capabilities/commands.json",
        &commands_capability(&contract)?,
    )
}
