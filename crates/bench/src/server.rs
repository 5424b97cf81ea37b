//! The `lifeline-server` process under measurement, and what `/proc` tells about it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use lifeline_e2e::harness::{NodeOptions, ServiceProcess};

pub use lifeline_e2e::harness::{ADMIN_EMAIL, ADMIN_PASSWORD};

/// Kernel clock ticks per second for `/proc/<pid>/stat` times (USER_HZ, 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// A running `lifeline-server` from the test harness, and where to find it.
pub struct Server {
    pub node: ServiceProcess,
    pub pid: u32,
    pub addr: SocketAddr,
    pub base: String,
    pub data_dir: PathBuf,
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

/// How the bench starts a node: `bin`, with limits raised for load. Joins are limited
/// per IP and overall through the durable limiter, and the bench joins thousands of
/// sessions from one address within a minute; ten logins from one IP would also hit
/// the per-IP sign-in limit. Only these settings reach the node, and its log goes to a
/// file, so the figures don't measure a terminal.
pub fn node_options(bin: &Path, max_upload_bytes: u64) -> anyhow::Result<NodeOptions> {
    if !bin.is_file() {
        bail!(
            "{} not found: build it with `cargo build --release -p lifeline-server` or pass --server-bin",
            bin.display()
        );
    }
    let mut options = NodeOptions::default();
    options.binary = Some(bin.to_owned());
    options.clean_environment = true;
    options.log_to_file = true;
    options
        .args(["--max-upload-bytes", &max_upload_bytes.to_string()])
        .envs([
            ("LIFELINE_LIMITS__KEY_LOOKUPS_PER_IP_PER_MINUTE", "1000000"),
            ("LIFELINE_LIMITS__KEY_FAILURES_PER_MINUTE", "1000000"),
            ("LIFELINE_LIMITS__LOGIN_PER_IP_PER_MINUTE", "1000"),
            ("LIFELINE_LIMITS__LOGIN_FAILURES_PER_MINUTE", "1000"),
        ]);
    Ok(options)
}

impl Server {
    /// Starts `bin` on a fresh data directory and waits until it listens.
    pub async fn start(bin: &Path, max_upload_bytes: u64) -> anyhow::Result<Self> {
        let node = ServiceProcess::start_fresh(node_options(bin, max_upload_bytes)?).await?;
        Ok(Self::of(node))
    }

    /// A node the harness started, for measuring.
    pub fn of(node: ServiceProcess) -> Self {
        Self {
            pid: node.pid(),
            addr: node.addr(),
            base: node.url.trim_end_matches('/').to_owned(),
            data_dir: node.data_dir().to_owned(),
            node,
        }
    }

    /// Fails with the log's end when the server has died.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        self.node.ensure_running()
    }

    /// The last lines the server printed.
    pub fn log_tail(&self) -> String {
        self.node.log_tail()
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
