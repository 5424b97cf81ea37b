//! Reads `tauri.conf.json` beside this file and embeds `dist/`.

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new())
        .unwrap_or_else(|err| panic!("tauri build: {err:#}"));
}
