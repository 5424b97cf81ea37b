//! Reads the window's config (`tauri.conf.json` beside this file) and declares the
//! window's commands, so that each needs its own permission in `capabilities/`.

include!("src/shell_commands.rs");

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).unwrap_or_else(|err| panic!("tauri build: {err:#}"));
}
