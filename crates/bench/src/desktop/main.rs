//! `lifeline-bench-desktop`: the technician desktop app's start time and idle memory,
//! each as a ratio to a minimal Tauri app (`crates/bench-tauri-minimal`) measured in the
//! same run on the same display.
//!
//! - **Start**: from asking `tauri-driver` for a new session (which starts the app)
//!   until the sign-in form can be used (the email field and the Sign in button exist
//!   and are enabled), or for the minimal app until its button is; the median of
//!   `--runs` starts after one warm-up start, the two apps taking turns.
//! - **Memory**: the app process and every process below it (WebKit's web and network
//!   processes), PSS summed from `/proc/<pid>/smaps_rollup`. PSS splits pages shared
//!   between processes, so the sum counts each page once; RSS is printed beside it. The
//!   technician app is measured signed in to a real `lifeline-server` with one session
//!   open; the minimal app showing its button. Both after `--settle-secs`.
//! - **Idle CPU**: the same processes' user + system CPU time over `--cpu-secs` after
//!   that, as % of one core. The technician app has an end user joined to its session
//!   who has written one message, the session's tab in front and the window focused:
//!   the state in which an idle tab once traded read marks with the service forever.
//!
//! - **The busy console** (issue: fifteen sessions at once): the technician app signed in
//!   with fifteen joined sessions, each with an end-user message. Its PSS, the cost of each
//!   session beyond the first against the one-session reading above, and for
//!   `--console-messages` messages the time from an end user sending one until its entry
//!   in the session list shows it (see `console.rs`).
//!
//! It prints a table and one JSON line. It is a measuring tool, not a test: it asserts
//! nothing about the figures. It needs a display, a session bus and `tauri-driver`:
//! `xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- target/debug/lifeline-bench-desktop`
//! after `cargo build --workspace --bins` (or `--release`).

mod console;
mod procs;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use lifeline_bench::server::{load_average, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use lifeline_bench::{mib, progress};
use lifeline_e2e::webdriver::{Driver, Window};
use serde_json::json;

use crate::procs::{AppMemory, AppProcesses};

#[derive(Debug, Parser)]
#[command(
    name = "lifeline-bench-desktop",
    about = "Start time and idle memory of the technician app against a minimal Tauri app"
)]
struct Args {
    /// The technician app; defaults to lifeline-desktop beside this binary.
    #[arg(long)]
    app_bin: Option<PathBuf>,
    /// The minimal Tauri app; defaults to bench-tauri-minimal beside this binary.
    #[arg(long)]
    baseline_bin: Option<PathBuf>,
    /// The service the technician app signs in to; defaults to lifeline-server beside
    /// this binary.
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Timed starts of each app (after one warm-up start each).
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Memory readings of each app, each in a fresh start.
    #[arg(long, default_value_t = 3)]
    memory_runs: usize,
    /// Seconds an app stays idle before its memory is read.
    #[arg(long, default_value_t = 5)]
    settle_secs: u64,
    /// Seconds over which idle CPU is measured, after the memory reading.
    #[arg(long, default_value_t = 10)]
    cpu_secs: u64,
    /// Messages timed from an end user to their entry in the busy console's list.
    #[arg(long, default_value_t = 30)]
    console_messages: usize,
}

/// The design's target for both ratios.
const TARGET_RATIO: f64 = 1.2;
/// How often readiness is checked while an app starts: the resolution of the figure.
const POLL: Duration = Duration::from_millis(10);
/// Longest an app may take to become ready before the run fails.
const START_LIMIT: Duration = Duration::from_secs(60);

/// One app under measurement, with its own driver (so its own empty profile).
struct Subject {
    name: &'static str,
    bin: PathBuf,
    /// A JS expression that is true once the app can be used.
    ready: &'static str,
    driver: Driver,
    _profile: tempfile::TempDir,
}

impl Subject {
    fn new(name: &'static str, bin: PathBuf, ready: &'static str) -> anyhow::Result<Self> {
        if !bin.is_file() {
            bail!(
                "{} not found: build with `cargo build --workspace --bins` or pass its path",
                bin.display()
            );
        }
        // A fresh profile per app: no kept sign-in, caches or local storage from earlier
        // runs, the same for both.
        let profile = tempfile::Builder::new()
            .prefix("lifeline-bench-desktop-")
            .tempdir()?;
        let driver = Driver::start_with_env([
            ("XDG_DATA_HOME", profile.path().join("data")),
            ("XDG_CONFIG_HOME", profile.path().join("config")),
            ("XDG_CACHE_HOME", profile.path().join("cache")),
        ])?;
        Ok(Self {
            name,
            bin,
            ready,
            driver,
            _profile: profile,
        })
    }

    /// Starts the app and waits until it is ready; returns the window and the time taken.
    async fn start(&self) -> anyhow::Result<(Window, Duration)> {
        let started = Instant::now();
        let window = self.driver.open(&self.bin).await?;
        loop {
            // The page may still be loading, when scripts fail: that is "not yet".
            if window.holds(self.ready).await.unwrap_or(false) {
                let took = started.elapsed();
                self.report_page_timing(&window, took).await;
                return Ok((window, took));
            }
            if started.elapsed() > START_LIMIT {
                bail!("{} was not ready within {START_LIMIT:?}", self.name);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Splits a start into the time before the page's navigation began (process, window
    /// and web process) and the time in the page (load, scripts, first IPC), from the
    /// page's own clock.
    async fn report_page_timing(&self, window: &Window, took: Duration) {
        let script = "const nav = performance.getEntriesByType('navigation')[0]; \
                      const marks = performance.getEntriesByType('mark') \
                        .map((m) => `${m.name} ${m.startTime.toFixed(0)}`).join(', '); \
                      return [performance.now(), nav ? nav.domInteractive : null, marks];";
        if let Ok(value) = window.run(script, json!([])).await {
            let in_page = value[0].as_f64().unwrap_or(0.0);
            let interactive = value[1].as_f64().unwrap_or(0.0);
            let marks = value[2].as_str().unwrap_or_default();
            let before = took.as_secs_f64() * 1000.0 - in_page;
            progress(&format!(
                "{}: {before:.0} ms before the page, DOM interactive after {interactive:.0} ms, \
                 ready by {in_page:.0} ms in the page ({marks})",
                self.name
            ));
        }
    }

    fn processes(&self) -> anyhow::Result<AppProcesses> {
        AppProcesses::find(self.driver.pid(), &self.bin)
    }

    /// Ends the session and waits until the app's processes are gone, so the next start
    /// is a real one.
    async fn stop(&self, window: Window) -> anyhow::Result<()> {
        window.close().await?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.processes()?.is_empty() {
            if Instant::now() > deadline {
                bail!("{} did not exit after its session ended", self.name);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// The app's memory after it has been left alone for `settle`.
    async fn memory_after(&self, settle: Duration) -> anyhow::Result<AppMemory> {
        tokio::time::sleep(settle).await;
        self.processes()?.memory()
    }

    /// The app's CPU use over `span` while nothing happens, in % of one core.
    async fn idle_cpu_percent(&self, span: Duration) -> anyhow::Result<f64> {
        let processes = self.processes()?;
        let (before, started) = (processes.cpu_secs(), Instant::now());
        tokio::time::sleep(span).await;
        let used = processes.cpu_secs() - before;
        Ok(used / started.elapsed().as_secs_f64() * 100.0)
    }
}

fn beside_this_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating this binary")?;
    Ok(exe.parent().context("this binary's directory")?.join(name))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The technician app signed in to `server` with one session open, in front, which an
/// end user has joined and written one message in. Returns the end user's client, which
/// must live as long as the measurement.
async fn open_one_joined_session(
    window: &Window,
    server: &Server,
) -> anyhow::Result<lifeline_client::ApiClient> {
    window.type_into("#server-url", &server.base).await?;
    window.type_into("#email", ADMIN_EMAIL).await?;
    window.type_into("#password", ADMIN_PASSWORD).await?;
    window.click("#sign-in").await?;
    window.click("#start-session").await?;
    let join_url = window.text("#join-url").await?;
    let key = join_url
        .trim()
        .rsplit('/')
        .next()
        .context("the join link ends in the key")?
        .to_owned();
    // The window gets the focus, as a technician working in it; without a window
    // manager nothing else gives it. Best effort: without xdotool it may stay unfocused.
    let focused = std::process::Command::new("xdotool")
        .args(["search", "--sync", "--name", "^Lifeline$", "windowfocus"])
        .status();
    if !focused.is_ok_and(|s| s.success()) {
        progress("could not focus the window (xdotool): the idle CPU is for a window in the back");
    }
    let end_user = lifeline_client::ApiClient::new(&server.base)?;
    let joined = end_user.join(&key, Some("Erika")).await?;
    end_user
        .send_message(
            joined.session_id,
            uuid::Uuid::new_v4(),
            "The printer is stuck",
        )
        .await?;
    window
        .wait_for(
            "[...document.querySelectorAll('.message .text')].some(e => e.textContent === 'The printer is stuck')",
            "the end user's message",
        )
        .await?;
    Ok(end_user)
}

/// The build profile the apps come from, read from their directory (`target/<profile>`).
fn profile_of(bin: &Path) -> String {
    bin.parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "?".into())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!(
            "no display: run under xvfb-run -a -s \"-screen 0 1280x800x24\" dbus-run-session -- {}",
            std::env::args().next().unwrap_or_default()
        );
    }
    let app_bin = match args.app_bin {
        Some(bin) => bin,
        None => beside_this_binary("lifeline-desktop")?,
    };
    let baseline_bin = match args.baseline_bin {
        Some(bin) => bin,
        None => beside_this_binary("bench-tauri-minimal")?,
    };
    let server_bin = match args.server_bin {
        Some(bin) => bin,
        None => beside_this_binary("lifeline-server")?,
    };
    let profile = profile_of(&app_bin);
    let load_before = load_average();

    let app = Subject::new(
        "Lifeline",
        app_bin,
        "document.querySelector('#email:enabled') && document.querySelector('#sign-in:enabled')",
    )?;
    let baseline = Subject::new(
        "minimal Tauri app",
        baseline_bin,
        "document.querySelector('#ready:enabled')",
    )?;
    let subjects = [&app, &baseline];

    eprintln!("1. start to interactive, {} runs each", args.runs);
    let mut starts: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..=args.runs {
        // Taking turns spreads drift in the machine's load over both apps alike.
        for (i, subject) in subjects.iter().enumerate() {
            let (window, took) = subject.start().await?;
            subject.stop(window).await?;
            let ms = took.as_secs_f64() * 1000.0;
            if round == 0 {
                progress(&format!(
                    "{}: warm-up start {ms:.0} ms (not counted)",
                    subject.name
                ));
            } else {
                progress(&format!("{}: {ms:.0} ms", subject.name));
                starts[i].push(ms);
            }
        }
    }

    eprintln!("2. idle memory, {} readings each", args.memory_runs);
    let settle = Duration::from_secs(args.settle_secs);
    let mut pss: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut rss: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut cpu: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut processes: [usize; 2] = [0, 0];
    for _ in 0..args.memory_runs {
        let server = Server::start(&server_bin, 64 * 1024 * 1024).await?;
        for (i, subject) in subjects.iter().enumerate() {
            let (window, _) = subject.start().await?;
            let _end_user = if i == 0 {
                Some(open_one_joined_session(&window, &server).await?)
            } else {
                None
            };
            let memory = subject.memory_after(settle).await?;
            let idle_cpu = subject
                .idle_cpu_percent(Duration::from_secs(args.cpu_secs))
                .await?;
            subject.stop(window).await?;
            progress(&format!("{}: idle CPU {idle_cpu:.1}%", subject.name));
            cpu[i].push(idle_cpu);
            progress(&format!(
                "{}: PSS {:.1} MiB, RSS {:.1} MiB over {} processes ({})",
                subject.name,
                mib(memory.pss_kib),
                mib(memory.rss_kib),
                memory.processes.len(),
                memory.processes.join(", ")
            ));
            pss[i].push(mib(memory.pss_kib));
            rss[i].push(mib(memory.rss_kib));
            processes[i] = memory.processes.len();
        }
    }

    let start_ms = [median(&mut starts[0]), median(&mut starts[1])];
    let pss_mib = [median(&mut pss[0]), median(&mut pss[1])];
    let rss_mib = [median(&mut rss[0]), median(&mut rss[1])];
    let cpu_pct = [median(&mut cpu[0]), median(&mut cpu[1])];
    eprintln!(
        "3. the console with {} sessions, {} messages timed",
        console::SESSIONS,
        args.console_messages
    );
    let server = Server::start(&server_bin, 64 * 1024 * 1024).await?;
    let end_users = console::busy_sessions(&server).await?;
    let (window, _) = app.start().await?;
    console::sign_in_to_busy_console(&window, &server).await?;
    let busy = app.memory_after(settle).await?;
    let update_ms = console::list_update_ms(&window, &end_users, args.console_messages).await?;
    app.stop(window).await?;
    drop(end_users);
    drop(server);
    let busy_pss = mib(busy.pss_kib);
    let per_session = (busy_pss - pss_mib[0]) / (console::SESSIONS - 1) as f64;
    let update = [
        console::quantile(&update_ms, 0.5)?,
        console::quantile(&update_ms, 0.95)?,
        console::quantile(&update_ms, 1.0)?,
    ];
    progress(&format!(
        "busy console: PSS {busy_pss:.1} MiB, {per_session:.2} MiB a session; list updated after p50 {:.0} ms, p95 {:.0} ms",
        update[0], update[1]
    ));

    let start_ratio = start_ms[0] / start_ms[1];
    let memory_ratio = pss_mib[0] / pss_mib[1];
    let verdict = |ratio: f64| {
        if ratio <= TARGET_RATIO {
            "MET"
        } else {
            "MISSED"
        }
    };
    let load_after = load_average();

    println!();
    println!(
        "== Lifeline desktop bench ({profile} build; load average {load_before} at start, {load_after} at end) =="
    );
    println!(
        "{:<44} {:>12} {:>14} {:>7}   target",
        "figure", "Lifeline", "minimal Tauri", "ratio"
    );
    println!(
        "{:<44} {:>9.0} ms {:>11.0} ms {:>7.2}   <= {TARGET_RATIO}: {}",
        format!("start to interactive (median of {})", args.runs),
        start_ms[0],
        start_ms[1],
        start_ratio,
        verdict(start_ratio)
    );
    println!(
        "{:<44} {:>8.1} MiB {:>10.1} MiB {:>7.2}   <= {TARGET_RATIO}: {}",
        format!("idle memory, PSS sum (median of {})", args.memory_runs),
        pss_mib[0],
        pss_mib[1],
        memory_ratio,
        verdict(memory_ratio)
    );
    println!(
        "{:<44} {:>8.1} MiB {:>10.1} MiB {:>7.2}",
        "idle memory, RSS sum (shared pages repeat)",
        rss_mib[0],
        rss_mib[1],
        rss_mib[0] / rss_mib[1]
    );
    println!(
        "{:<44} {:>10.1} % {:>12.1} % {:>7}",
        format!("idle CPU over {} s, % of a core (median)", args.cpu_secs),
        cpu_pct[0],
        cpu_pct[1],
        "",
    );
    println!(
        "(Lifeline signed in, a joined session with one end-user message in front; {} and {} processes; {} s settled)",
        processes[0], processes[1], args.settle_secs
    );
    println!(
        "{:<44} {:>8.1} MiB   ({:.2} MiB a session beyond the first)",
        format!("console with {} sessions, PSS sum", console::SESSIONS),
        busy_pss,
        per_session
    );
    println!(
        "{:<44} {:>9.0} ms   (p95 {:.0} ms, max {:.0} ms)",
        format!("message to its list entry, p50 of {}", update_ms.len()),
        update[0],
        update[1],
        update[2]
    );
    println!(
        "{}",
        json!({
            "bench": "desktop",
            "profile": profile,
            "load_average": { "start": load_before, "end": load_after },
            "runs": args.runs,
            "memory_runs": args.memory_runs,
            "settle_secs": args.settle_secs,
            "start_ms": { "lifeline": start_ms[0], "minimal": start_ms[1], "ratio": start_ratio },
            "idle_pss_mib": { "lifeline": pss_mib[0], "minimal": pss_mib[1], "ratio": memory_ratio },
            "idle_rss_mib": { "lifeline": rss_mib[0], "minimal": rss_mib[1] },
            "idle_cpu_percent": { "lifeline": cpu_pct[0], "minimal": cpu_pct[1], "secs": args.cpu_secs },
            "target_ratio": TARGET_RATIO,
            "console": {
                "sessions": console::SESSIONS,
                "pss_mib": busy_pss,
                "per_session_mib": per_session,
                "list_update_ms": { "p50": update[0], "p95": update[1], "max": update[2], "messages": update_ms.len() },
            },
        })
    );
    Ok(())
}
