//! Reads the app config from the repository root, where the design keeps it, and
//! declares the app's commands (from `src/commands/table.rs`) so that each needs its own
//! permission in `capabilities/` (deny by default).

/// The names of the commands in `src/commands/table.rs`, the one place they are listed.
macro_rules! command_table {
    ($( $(#[$attribute:meta])* $module:ident :: $name:ident ($($argument:tt)*) -> $returns:ty; )*) => {
        const COMMANDS: &[&str] = &[$(stringify!($name)),*];
    };
}

include!("src/commands/table.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/commands/table.rs");
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS))
        // The Windows build's icon resource; paths here are relative to this crate.
        .windows_attributes(
            tauri_build::WindowsAttributes::new().window_icon_path("../icons/icon.ico"),
        );
    tauri_build::try_build(attributes).unwrap_or_else(|err| panic!("tauri build: {err:#}"));
}
