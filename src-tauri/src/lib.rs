//! The technician desktop app's Tauri shell. It registers plugins, manages one
//! [`Desk`] (from `lifeline-client`), lists the command handlers, and forwards the
//! desk's events to the UI as the app event [`DESK_EVENT`].
//!
//! It must not hold logic: commands live in [`commands`], one call each. The builder is
//! generic over [`Runtime`] so the commands run on `tauri::test::mock_builder()` too.

pub mod commands;
pub mod error;
mod tray;

use std::sync::{Arc, OnceLock};

use lifeline_client::desk::{Desk, DeskEvent, DeskOs, Handover, HandoverError};
use tauri::{AppHandle, Emitter, Manager, Runtime, WindowEvent};

/// The app event that carries every [`DeskEvent`] to the UI.
pub const DESK_EVENT: &str = "desk";

/// Names an inherited file descriptor to read a one-time sign-in from at start (one JSON
/// line from `lifeline-server technician sign-in-token`; `scripts/run` sets it).
pub const SIGN_IN_FD_ENV: &str = "LIFELINE_SIGN_IN_FD";

/// Adds the app's plugins, state and commands to `builder`, on any runtime (the tests
/// pass `tauri::test::mock_builder()`). A `handover` is kept for the UI's first
/// `sign_in_handed_over`.
pub fn app<R: Runtime>(
    builder: tauri::Builder<R>,
    os: DeskOs,
    handover: Option<Result<Handover, HandoverError>>,
) -> tauri::Builder<R> {
    // The desk is managed from the start so every command finds it; its events reach
    // the UI once setup has handed over the app handle.
    let app_handle: Arc<OnceLock<AppHandle<R>>> = Arc::default();
    let emitter = Arc::clone(&app_handle);
    let sink = Arc::new(move |event: DeskEvent| {
        if let Some(handle) = emitter.get() {
            if let DeskEvent::ShowSession { .. } = event {
                // A click on a notification: the app comes to the front (the UI then
                // shows the session).
                if let Some(window) = handle.get_webview_window("main") {
                    let _ = window.unminimize();
                    let _ = window.show();
                    let _ = window.set_focus();
                }
            }
            if let Err(err) = handle.emit(DESK_EVENT, &event) {
                tracing::warn!(error = %err, "could not forward a desk event");
            }
        }
    });
    let desk = Desk::new(os, sink);
    let handing_over = handover.is_some();
    if let Some(handover) = handover {
        desk.hand_over(handover);
    }
    builder
        .plugin(start_facts(handing_over))
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(desk)
        .setup(move |app| {
            let _ = app_handle.set(app.handle().clone());
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::Focused(focused) = event {
                window.state::<Desk>().set_foreground(*focused);
            }
        })
        .invoke_handler(commands::handler())
}

/// What the UI may know before its first call, set on `window` before its scripts run:
/// whether a sign-in was handed over. Without one the sign-in form is usable at once
/// instead of waiting for a round trip that would answer "none".
fn start_facts<R: Runtime>(handing_over: bool) -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("start-facts")
        .js_init_script(format!("window.__LIFELINE_HANDOVER__ = {handing_over};"))
        .build()
}

/// Reads the sign-in handed over through [`SIGN_IN_FD_ENV`], if one is.
fn handover_from_env() -> Option<Result<Handover, HandoverError>> {
    let fd = std::env::var(SIGN_IN_FD_ENV).ok()?;
    // Read once: the processes the app starts (WebKit's) have no business with it.
    std::env::remove_var(SIGN_IN_FD_ENV);
    Some(Handover::read_fd(&fd))
}

/// Runs the UI's JavaScript without JavaScriptCore's JIT, unless the environment says
/// otherwise. The UI reacts to a few events a second and decodes video natively
/// (WebCodecs), so the interpreter keeps up, while the JIT's code and profiling data
/// cost the web process about 14 MiB (`lifeline-bench-desktop`). WebKit reads the
/// variable when it starts the web process; call before any thread starts.
fn without_javascript_jit() {
    const JIT: &str = "JSC_useJIT";
    if std::env::var_os(JIT).is_none() {
        std::env::set_var(JIT, "0");
    }
}

/// Without a GPU (no DRM render node: a virtual machine, a remote desktop, Xvfb),
/// WebKitGTK's DMA-BUF renderer has no device to share buffers with and keeps its
/// frames in ordinary memory on top of its own copies: the web process measured 195 MiB
/// with it and 107 MiB without it here (`lifeline-bench-desktop`), with the same
/// pictures, canvas and WebCodecs video. Where a GPU exists, WebKit's default stays.
/// An explicit `WEBKIT_DISABLE_DMABUF_RENDERER` wins. Call before any thread starts.
fn without_dmabuf_renderer_when_no_gpu() {
    const DMABUF: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    if !cfg!(target_os = "linux") || std::env::var_os(DMABUF).is_some() {
        return;
    }
    let has_render_node = std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
    });
    if !has_render_node {
        std::env::set_var(DMABUF, "1");
    }
}

/// Says in a message box (the app is a window program, with no console to print to)
/// that the window needs the WebView2 runtime, which Windows 11 ships and older or
/// stripped systems may lack.
#[cfg(windows)]
fn without_webview2(err: &dyn std::fmt::Display) {
    const NEEDS: &str = "Lifeline needs the Microsoft Edge WebView2 Runtime, which this computer lacks. Install it from Microsoft (the Evergreen runtime), then start Lifeline again.";
    tracing::error!(error = %err, "no WebView2 runtime");
    eprintln!("{NEEDS}");
    rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title("Lifeline")
        .set_description(NEEDS)
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
}

/// Starts the app with the real keychain, clipboard and notifications.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,lifeline=info".into()),
        )
        .init();
    #[cfg(windows)]
    if let Err(err) = tauri::webview_version() {
        without_webview2(&err);
        std::process::exit(1);
    }
    // Before any thread starts: changing the environment is only sound then.
    let handover = handover_from_env();
    without_javascript_jit();
    without_dmabuf_renderer_when_no_gpu();
    let os = DeskOs {
        keychain: lifeline_client::keychain::Keychain::os(),
        clipboard: lifeline_client::clipboard::Clipboard::os(),
        notifier: lifeline_client::notifications::Notifier::os(),
    };
    let built = app(tauri::Builder::<tauri::Wry>::new(), os, handover)
        .build(tauri::generate_context!("../tauri.conf.json"));
    let app = match built {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(error = %err, "the app could not start");
            std::process::exit(1);
        }
    };
    // The tray is for the real desktop only; the mock runtime's tests do without it.
    if let Err(err) = tray::create(app.handle()) {
        tracing::warn!(error = %err, "no tray icon");
    }
    app.run(|_, _| {});
}
