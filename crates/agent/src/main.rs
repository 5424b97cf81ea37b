//! `lifeline-agent`: parses the command line, then runs the agent in its window, or in
//! the terminal when asked to (`--headless`, `--code`, `--end`) or when there is no
//! display to show a window on (on Windows: no WebView2 to show it with).
// A window program on Windows (no console of its own beside the window); the terminal
// mode attaches or opens one (console_windows.rs).
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Parser;
use std::sync::Arc;

use lifeline_agent::attended::AttendedTarget;
use lifeline_agent::connection::{Notice, Request};
use lifeline_agent::credentials;
use lifeline_agent::run::{self, Finish, Places};
use lifeline_agent::session::{AgentSession, AgentSetup, NoTarget};
use lifeline_agent::trailer::Trailer;
use lifeline_agent::view::AgentView;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "lifeline-agent",
    version,
    about = "Lifeline support session app (ad hoc support)"
)]
struct Cli {
    /// The Lifeline service; read from the download when not given.
    #[arg(long)]
    server: Option<String>,
    /// The ad hoc session to enroll in; read from the download when not given.
    #[arg(long)]
    session: Option<Uuid>,
    /// The download to read the service and session from, when it is not this program
    /// (the Windows download is an installer that passes itself here).
    #[arg(long)]
    download: Option<PathBuf>,
    /// This copy runs from the folder the Windows download installed it into; that
    /// folder is removed at the end too.
    #[arg(long)]
    installed: bool,
    /// The security code the technician reads to you; asked for when not given.
    #[arg(long)]
    code: Option<String>,
    /// Where the session is kept while it lasts.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// The autostart entry to create: a .desktop file (default: in the user's XDG
    /// autostart folder); on Windows the name of the value under HKCU's
    /// Software\Microsoft\Windows\CurrentVersion\Run (default: "Lifeline support
    /// session").
    #[arg(long)]
    autostart_entry: Option<PathBuf>,
    /// Do not start again after a reboot.
    #[arg(long)]
    no_autostart: bool,
    /// End the session now and remove everything.
    #[arg(long)]
    end: bool,
    /// Where files from the technician are saved (default: the user's Downloads folder).
    #[arg(long)]
    downloads: Option<PathBuf>,
    /// Run in the terminal, without the window.
    #[arg(long)]
    headless: bool,
    /// Seconds without keyboard or mouse input after which this computer counts as
    /// unattended (a technician may then be let in without asking, if the company's
    /// setting says so).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    away_after: u64,
    /// Seconds the person at the computer has to answer a technician's request before
    /// it is declined by itself.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(2..=3600))]
    answer_within: u64,
}

impl Cli {
    fn places(&self) -> anyhow::Result<Places> {
        let state_dir = match &self.state_dir {
            Some(dir) => dir.clone(),
            None => credentials::default_state_dir()?,
        };
        let autostart_entry = match &self.autostart_entry {
            Some(entry) => entry.clone(),
            None => lifeline_agent::autostart::default_entry_path()?,
        };
        let installed_copy = if self.installed {
            Some(installed_folder()?)
        } else {
            None
        };
        Ok(Places {
            state_dir,
            autostart_entry,
            installed_copy,
        })
    }

    fn downloads(&self) -> PathBuf {
        self.downloads.clone().unwrap_or_else(default_downloads)
    }

    /// The program the autostart entry starts, unless the user said not to.
    fn autostart_program(&self) -> anyhow::Result<Option<PathBuf>> {
        if self.no_autostart {
            return Ok(None);
        }
        Ok(Some(
            std::env::current_exe().context("finding this program")?,
        ))
    }

    /// The download (`--download`, else this program) and its trailer, if it has one.
    /// Read once at start: both the attended and the ad-hoc target come from it.
    fn downloaded(&self) -> Option<(PathBuf, Trailer)> {
        let download = self
            .download
            .clone()
            .or_else(|| std::env::current_exe().ok())?;
        let trailer = lifeline_agent::trailer::read(&download).ok().flatten()?;
        Some((download, trailer))
    }

    /// Where this copy enrolls: the flags, else what its download says.
    fn enrollment_target(&self, trailer: Option<&Trailer>) -> Result<(String, Uuid), NoTarget> {
        let server = self
            .server
            .clone()
            .or_else(|| trailer.map(|t| t.server.clone()));
        let session = self.session.or_else(|| trailer.map(|t| t.session_id));
        match (server, session) {
            (Some(server), Some(session)) => Ok((server, session)),
            _ => Err(NoTarget::NotInDownload),
        }
    }

    /// The window, unless the terminal was asked for or there is no display.
    fn wants_window(&self) -> bool {
        let has_display = !cfg!(unix)
            || cfg!(target_os = "macos")
            || ["DISPLAY", "WAYLAND_DISPLAY"]
                .iter()
                .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
        !self.headless && self.code.is_none() && !self.end && has_display
    }
}

/// The folder the Windows download installs into (packaging/windows/support-session.nsi).
const INSTALL_FOLDER: &str = "Lifeline support session";

/// This copy's folder, when it is the one the Windows download made: that folder is
/// removed at the end, so no other (a typo, a system folder) is ever taken for it.
fn installed_folder() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("finding this program")?;
    let folder = exe.parent().map(PathBuf::from);
    match folder {
        Some(folder)
            if cfg!(windows)
                && folder.file_name() == Some(std::ffi::OsStr::new(INSTALL_FOLDER)) =>
        {
            Ok(folder)
        }
        _ => bail!(
            "--installed is only for the copy the Windows download puts in %LOCALAPPDATA%\\{INSTALL_FOLDER}"
        ),
    }
}

/// Whether a window can be shown: on Windows only with the WebView2 runtime (Windows
/// 11 has it; an older or stripped system, or Wine, may not).
fn can_show_window() -> bool {
    #[cfg(windows)]
    if let Err(err) = tauri::webview_version() {
        eprintln!("The window needs Microsoft Edge WebView2, which this computer lacks ({err}); the app goes on here instead.");
        return false;
    }
    true
}

/// The user's Downloads folder (as the desktop names it), else `~/Downloads`.
fn default_downloads() -> PathBuf {
    dirs::download_dir()
        .or_else(|| dirs::home_dir().map(|home| home.join("Downloads")))
        .unwrap_or_else(std::env::temp_dir)
}

/// Lines typed at the terminal go to the session: chat, `/send <path>` for a file,
/// `/end` to end it. What it refuses is printed, and typing goes on.
fn forward_typing(session: Arc<AgentSession>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            let done = match line.trim() {
                "/allow" => session.answer_consent(true),
                "/deny" => session.answer_consent(false),
                "/stop" => session.stop_sharing(),
                _ => typed(&session, &line),
            };
            if let Err(err) = done {
                println!("{}", Notice::Problem(err.to_string()));
            }
        }
    });
}

/// Chat, a file or the end, as typed.
fn typed(session: &AgentSession, line: &str) -> Result<(), lifeline_agent::AgentError> {
    match Request::from_line(line) {
        Some(Request::Say(text)) => session.say(&text),
        Some(Request::SendFile(path)) => session.send_file(path),
        Some(Request::End) => session.end(),
        Some(Request::AnswerConsent { .. } | Request::StopSharing) | None => Ok(()),
    }
}

fn ask_code() -> anyhow::Result<String> {
    print!("Security code: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the security code")?;
    Ok(line.trim().to_owned())
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let places = cli.places()?;
    if cli.end {
        let Some(saved) = credentials::load(&places.state_dir)? else {
            bail!("there is no session to end on this computer")
        };
        run::end_now(&saved, &places).await?;
        println!("The session has ended and everything this app set up was removed.");
        return Ok(ExitCode::SUCCESS);
    }
    let session = AgentSession::new(
        agent_setup(&cli)?,
        tokio::runtime::Handle::current(),
        |update| {
            if let AgentView::Waiting { technician, .. } = &update.view {
                println!("Waiting for {technician} to confirm from their Lifeline app…");
            }
            if let Some(notice) = update.notice {
                println!("{notice}");
            }
        },
    );
    if session.is_attended() {
        return run_attended(&session).await;
    }
    if !session.resume() {
        if let AgentView::Enroll {
            problem: Some(problem),
        } = session.view()
        {
            bail!(problem)
        }
        let code = match cli.code.clone() {
            Some(code) => code,
            None => ask_code()?,
        };
        match session.enroll(&code).await {
            Ok(_) => {}
            Err(err) if err.is_wrong_code() => {
                eprintln!("{err}");
                return Ok(ExitCode::from(2));
            }
            Err(err) => return Err(err.into()),
        }
    }
    if let AgentView::Active {
        technician, until, ..
    } = session.view()
    {
        println!(
            "Support session with {technician} until {}. Press Ctrl-C to leave it running in the background, or run with --end to end it.",
            run::local_time(until)
        );
    }
    println!("While a technician is connected, type to chat; \"/send <file>\" sends a file; \"/allow\" or \"/deny\" answers a request to see the screen, \"/stop\" stops showing it. \"/end\" ends the session.");
    forward_typing(Arc::clone(&session));
    let AgentView::Ended { finish, problem } = session.ended().await else {
        bail!("the session stopped without ending")
    };
    if let Some(problem) = problem {
        bail!(problem)
    }
    println!(
        "{} Everything this app set up was removed.",
        match finish {
            Finish::Ended => "The session was ended.",
            Finish::Expired => "The session's 24 hours are over.",
            Finish::Refused => "The session is no longer valid.",
            Finish::Left | Finish::Cancelled => "You left the session.",
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// An attended download in the terminal: it joins its session, shows the screen while
/// control is allowed, and removes itself at the end.
async fn run_attended(session: &Arc<AgentSession>) -> anyhow::Result<ExitCode> {
    session.resume();
    println!("Joining the support session. While the technician controls this computer, type /stop to stop it; /end closes this app.");
    forward_typing(Arc::clone(session));
    let AgentView::Ended { finish, problem } = session.ended().await else {
        bail!("the session stopped without ending")
    };
    if let Some(problem) = problem {
        bail!(problem)
    }
    println!(
        "{} This app removed itself.",
        match finish {
            Finish::Ended | Finish::Expired | Finish::Refused => "The support session has ended.",
            Finish::Left => "You closed the app; the chat goes on in your browser.",
            Finish::Cancelled => "The technician closed this app's access.",
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    #[cfg(windows)]
    console::attach_to_parent();
    let cli = Cli::parse();
    let outcome = if cli.wants_window() && can_show_window() {
        agent_setup(&cli).map(run_window)
    } else {
        #[cfg(windows)]
        console::open();
        tokio::runtime::Runtime::new()
            .context("starting the runtime")
            .and_then(|runtime| runtime.block_on(run(cli)))
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(windows)]
#[path = "console_windows.rs"]
mod console;

/// The session of an attended download: what its trailer says, with the download to
/// remove at the end (it holds the session's token).
fn attended_target((download, trailer): (PathBuf, Trailer)) -> Option<AttendedTarget> {
    Some(AttendedTarget {
        server: trailer.server,
        session_id: trailer.session_id,
        token: trailer.attended_token?,
        program: Some(download),
    })
}

fn agent_setup(cli: &Cli) -> anyhow::Result<AgentSetup> {
    let downloaded = cli.downloaded();
    Ok(AgentSetup {
        places: cli.places()?,
        downloads: cli.downloads(),
        target: cli.enrollment_target(downloaded.as_ref().map(|(_, trailer)| trailer)),
        autostart_program: cli.autostart_program()?,
        asking: lifeline_agent::run::AskingRule {
            away_after: std::time::Duration::from_secs(cli.away_after),
            answer_within: std::time::Duration::from_secs(cli.answer_within),
        },
        attended: downloaded.and_then(attended_target),
    })
}

/// Opens the window and runs until it is closed after the session is over.
fn run_window(setup: AgentSetup) -> ExitCode {
    match lifeline_agent::shell::app(tauri::Builder::default(), setup)
        .build(tauri::generate_context!())
    {
        Ok(app) => {
            app.run(|_, _| {});
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: the window could not open: {err}");
            ExitCode::FAILURE
        }
    }
}
