//! The smallest Tauri app: one window showing one button. It is the baseline that
//! `lifeline-bench-desktop` measures the technician app's start time and memory against,
//! built from the same `tauri` in the same target directory.
//!
//! It must stay minimal: no plugins, commands, state, tray or script. Whatever it gains
//! is hidden from the comparison.

fn main() {
    if let Err(err) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("bench-tauri-minimal could not start: {err}");
        std::process::exit(1);
    }
}
