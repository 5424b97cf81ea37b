//! The `lifeline-server` process under measurement, and what `/proc` tells about it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tempfile::TempDir;

/// The bootstrap admin every fresh data directory gets (set through the environment).
pub const ADMIN_EMAIL: &str = "admin@lifeline.local";
pub const ADMIN_PASSWORD: &str = "bench-admin-password-0";

/// Kernel clock ticks per second for `/proc/<pid>/stat` times (USER_HZ, 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// A running `lifeline-server`, killed when dropped. Field order matters: the process
/// goes before its data directory is removed.
pub struct Server {
    child: tokio::process::Child,
    pub pid: u32,
    pub addr: SocketAddr,
    pub base: String,
    log_path: PathBuf,
    pub data_dir: PathBuf,
    _dir: TempDir,
}

/// Memory of a process from `/proc/<pid>/smaps_rollup`, in KiB.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Mem {
    pub rss_kib: u64,
    pub pss_kib: u64,
    /// Private_Clean + Private_Dirty: pages only this process maps.
    pub private_kib: u64,
    pub anonymous_kib: u64,
}

use lifeline_e2e::ports::free_port;

/// What a node of a cluster gets besides the defaults: its settings as `LIFELINE_*`
/// variables, and the first node's key file.
#[derive(Default)]
pub struct NodeSetup {
    pub environment: Vec<(String, String)>,
    pub key_file: Option<PathBuf>,
}

impl Server {
    /// Starts the binary on a fresh data directory with limits raised for load, and
    /// waits until `/healthz` answers.
    pub async fn start(bin: &Path, max_upload_bytes: u64) -> anyhow::Result<Self> {
        Self::start_node(bin, max_upload_bytes, &NodeSetup::default()).await
    }

    /// [`Server::start`] with what `node` adds.
    pub async fn start_node(
        bin: &Path,
        max_upload_bytes: u64,
        node: &NodeSetup,
    ) -> anyhow::Result<Self> {
        if !bin.is_file() {
            bail!(
                "{} not found: build it with `cargo build --release -p lifeline-server` or pass --server-bin",
                bin.display()
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("lifeline-bench-")
            .tempdir()?;
        let data_dir = dir.path().join("data");
        let config_path = dir.path().join("bench.toml");
        // Joins are limited per IP and overall through the durable limiter; the bench
        // joins thousands of sessions from one address within a minute. Ten logins
        // from one IP would also hit the per-IP sign-in limit.
        std::fs::write(
            &config_path,
            "[limits]\n\
             key_lookups_per_ip_per_minute = 1000000\n\
             key_failures_per_minute = 1000000\n\
             login_per_ip_per_minute = 1000\n\
             login_failures_per_minute = 1000\n",
        )?;
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log_path = dir.path().join("server.log");
        let log = std::fs::File::create(&log_path)?;
        let mut command = tokio::process::Command::new(bin);
        command
            .arg("--config")
            .arg(&config_path)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--max-upload-bytes")
            .arg(max_upload_bytes.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("LIFELINE_") {
                command.env_remove(name);
            }
        }
        command.env("LIFELINE_FIRST_PASSWORD", ADMIN_PASSWORD);
        command.envs(node.environment.iter().map(|(k, v)| (k, v)));
        if let Some(key_file) = &node.key_file {
            std::fs::create_dir_all(&data_dir)?;
            let name = key_file.file_name().context("the key file's name")?;
            std::fs::copy(key_file, data_dir.join(name))?;
        }
        if std::env::var_os("RUST_LOG").is_none() {
            // Per-request info lines for 10,000 sessions would measure the logger.
            command.env("RUST_LOG", "warn");
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let mut server = Self {
            child,
            pid,
            addr,
            base: format!("http://{addr}"),
            log_path,
            data_dir,
            _dir: dir,
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited with {status} before it was healthy:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(response) = http.get(&url).send().await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "the server did not answer /healthz within 30 s:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fails with the log's end when the server has died.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("the server exited with {status}:\n{}", self.log_tail());
        }
        Ok(())
    }

    /// The last lines the server printed.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn proc_path(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/{name}", self.pid))
    }

    pub fn mem(&self) -> anyhow::Result<Mem> {
        mem_of(self.pid)
    }

    /// A field of `/proc/<pid>/status` given in kB (VmRSS, VmHWM, ...).
    pub fn status_kib(&self, field: &str) -> anyhow::Result<u64> {
        let text = std::fs::read_to_string(self.proc_path("status"))?;
        text.lines()
            .find_map(|line| {
                let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                rest.trim().trim_end_matches("kB").trim().parse().ok()
            })
            .with_context(|| format!("no {field} in /proc/{}/status", self.pid))
    }

    /// Resets VmHWM to the current RSS, so a later VmHWM is the peak since now.
    pub fn reset_peak_rss(&self) -> anyhow::Result<()> {
        std::fs::write(self.proc_path("clear_refs"), "5").context("writing 5 to clear_refs")
    }

    /// User + system CPU time the server has used, in seconds.
    pub fn cpu_secs(&self) -> anyhow::Result<f64> {
        cpu_secs_of(&self.proc_path("stat"))
    }

    /// Open file descriptors of the server (sockets included).
    pub fn open_fds(&self) -> anyhow::Result<usize> {
        Ok(std::fs::read_dir(self.proc_path("fd"))?.count())
    }

    /// The server's (soft, hard) open-file limit.
    pub fn nofile_limit(&self) -> anyhow::Result<(String, String)> {
        let text = std::fs::read_to_string(self.proc_path("limits"))?;
        let line = text
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .context("no open-file limit in /proc/<pid>/limits")?;
        let mut fields = line["Max open files".len()..].split_whitespace();
        let soft = fields.next().unwrap_or("?").to_owned();
        let hard = fields.next().unwrap_or("?").to_owned();
        Ok((soft, hard))
    }
}

/// Memory of any process from `/proc/<pid>/smaps_rollup`.
pub fn mem_of(pid: u32) -> anyhow::Result<Mem> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .with_context(|| format!("reading /proc/{pid}/smaps_rollup"))?;
    let mut mem = Mem::default();
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let kib: u64 = rest
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .unwrap_or(0);
        match key {
            "Rss" => mem.rss_kib = kib,
            "Pss" => mem.pss_kib = kib,
            "Private_Clean" | "Private_Dirty" => mem.private_kib += kib,
            "Anonymous" => mem.anonymous_kib = kib,
            _ => {}
        }
    }
    Ok(mem)
}

/// User + system CPU time process `pid` has used, in seconds.
pub fn cpu_secs_of_pid(pid: u32) -> anyhow::Result<f64> {
    cpu_secs_of(Path::new(&format!("/proc/{pid}/stat")))
}

/// CPU seconds of this bench process.
pub fn own_cpu_secs() -> anyhow::Result<f64> {
    cpu_secs_of(Path::new("/proc/self/stat"))
}

fn cpu_secs_of(path: &Path) -> anyhow::Result<f64> {
    let text = std::fs::read_to_string(path)?;
    // The command name may contain spaces; fields after it are separated plainly.
    let after = text
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("malformed stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime is field 14 and stime field 15.
    let utime: f64 = fields
        .get(11)
        .and_then(|f| f.parse().ok())
        .context("no utime")?;
    let stime: f64 = fields
        .get(12)
        .and_then(|f| f.parse().ok())
        .context("no stime")?;
    Ok((utime + stime) / TICKS_PER_SEC)
}

/// CPU use of the server and of the bench over a stretch of time, in % of one core.
pub struct CpuMeter {
    start: Instant,
    server: f64,
    bench: f64,
}

impl CpuMeter {
    pub fn start(server: &Server) -> Self {
        Self {
            start: Instant::now(),
            server: server.cpu_secs().unwrap_or(0.0),
            bench: own_cpu_secs().unwrap_or(0.0),
        }
    }

    /// Seconds since `start`.
    pub fn elapsed_secs(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// (server %, bench %) since `start`.
    pub fn read(&self, server: &Server) -> (f64, f64) {
        let wall = self.start.elapsed().as_secs_f64().max(1e-9);
        let server_pct = (server.cpu_secs().unwrap_or(0.0) - self.server) / wall * 100.0;
        let bench_pct = (own_cpu_secs().unwrap_or(0.0) - self.bench) / wall * 100.0;
        (server_pct, bench_pct)
    }
}

/// The 1-minute load average: others' work on the machine skews every figure.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}
