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
//!
//! It prints a table and one JSON line. It is a measuring tool, not a test: it asserts
//! nothing about the figures. It needs a display, a session bus and `tauri-driver`:
//! `xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- target/debug/lifeline-bench-desktop`
//! after `cargo build --workspace --bins` (or `--release`).

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
                return Ok((window, started.elapsed()));
            }
            if started.elapsed() > START_LIMIT {
                bail!("{} was not ready within {START_LIMIT:?}", self.name);
            }
            tokio::time::sleep(POLL).await;
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

/// The technician app signed in to `server` with one session open.
async fn open_one_session(window: &Window, server: &Server) -> anyhow::Result<()> {
    window.type_into("#server-url", &server.base).await?;
    window.type_into("#email", ADMIN_EMAIL).await?;
    window.type_into("#password", ADMIN_PASSWORD).await?;
    window.click("#sign-in").await?;
    window.click("#start-session").await?;
    window.find("#join-url").await?;
    Ok(())
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
    let mut processes: [usize; 2] = [0, 0];
    for _ in 0..args.memory_runs {
        let server = Server::start(&server_bin, 64 * 1024 * 1024).await?;
        for (i, subject) in subjects.iter().enumerate() {
            let (window, _) = subject.start().await?;
            if i == 0 {
                open_one_session(&window, &server).await?;
            }
            let memory = subject.memory_after(settle).await?;
            subject.stop(window).await?;
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
        "(Lifeline signed in with one session open; {} and {} processes; {} s settled)",
        processes[0], processes[1], args.settle_secs
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
            "target_ratio": TARGET_RATIO,
        })
    );
    Ok(())
}
