//! Figure 3: file relay throughput, technician → service → end user, against a raw
//! loopback TCP copy measured in the same run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use lifeline_client::{ApiClient, Progress};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::server::{CpuMeter, Server};
use crate::{mib, progress};

const MIB: u64 = 1024 * 1024;
const TCP_BLOCK: usize = 256 * 1024;
const TCP_RUNS: usize = 3;

#[derive(Debug, serde::Serialize)]
pub struct FileResult {
    pub bytes: u64,
    /// The best of three raw copies.
    pub tcp_secs: f64,
    pub tcp_mib_per_sec: f64,
    pub tcp_runs_mib_per_sec: Vec<f64>,
    /// `ApiClient::upload_file` from call to return: hashing the file, announcing it,
    /// sending it, and the service's write, fsync and check.
    pub upload_secs: f64,
    pub upload_mib_per_sec: f64,
    /// From the call until the first body chunk was read (the client's SHA-256 pass).
    pub upload_before_first_byte_secs: f64,
    /// From the first body chunk until the call returned.
    pub upload_sending_secs: f64,
    /// CPU during the upload, in % of one core (200% is both cores).
    pub upload_server_cpu_pct: f64,
    pub upload_bench_cpu_pct: f64,
    /// `ApiClient::download_file` from call to return: receiving into `<dest>.part`,
    /// hashing it, renaming it.
    pub download_secs: f64,
    pub download_mib_per_sec: f64,
    /// From the call until the last chunk was written.
    pub download_receiving_secs: f64,
    pub download_server_cpu_pct: f64,
    pub download_bench_cpu_pct: f64,
    /// A plain GET of the same file with the body thrown away: the service's side of
    /// a download without the client's disk write and SHA-256 pass.
    pub download_discarding_mib_per_sec: f64,
    /// Both legs: 2 × size / (upload + download time), the rate at which the relay
    /// moves bytes over its two TCP connections.
    pub relay_mib_per_sec: f64,
    pub relay_to_tcp_ratio: f64,
    /// The same ratio counting only the time on the wire (no client-side hashing).
    pub relay_wire_to_tcp_ratio: f64,
    pub server_rss_before_kib: u64,
    /// VmHWM after resetting it just before the upload; 0 if the reset failed.
    pub server_peak_rss_kib: u64,
    /// The highest VmRSS seen by sampling every 50 ms.
    pub server_sampled_peak_rss_kib: u64,
}

/// Writes `size` bytes of xorshift noise (incompressible, so nothing in the path can
/// shortcut it).
fn generate(path: &Path, size: u64) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(MIB as usize, std::fs::File::create(path)?);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; MIB as usize];
    let mut left = size;
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let take = usize::try_from(left.min(MIB)).unwrap_or(block.len());
        out.write_all(&block[..take])?;
        left -= take as u64;
    }
    out.flush()?;
    Ok(())
}

/// A raw copy of `size` bytes from memory over one loopback TCP connection.
async fn tcp_copy(size: u64) -> anyhow::Result<f64> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let reader = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await?;
        let mut buffer = vec![0u8; TCP_BLOCK];
        let mut total = 0u64;
        loop {
            let n = socket.read(&mut buffer).await?;
            if n == 0 {
                return Ok::<u64, std::io::Error>(total);
            }
            total += n as u64;
        }
    });
    let block: Vec<u8> = (0..TCP_BLOCK).map(|i| (i * 31 % 251) as u8).collect();
    let started = Instant::now();
    let mut socket = tokio::net::TcpStream::connect(addr).await?;
    let mut left = size;
    while left > 0 {
        let take = usize::try_from(left.min(TCP_BLOCK as u64)).unwrap_or(TCP_BLOCK);
        socket.write_all(&block[..take]).await?;
        left -= take as u64;
    }
    socket.shutdown().await?;
    let received = reader.await??;
    let secs = started.elapsed().as_secs_f64();
    if received != size {
        bail!("the TCP copy received {received} of {size} bytes");
    }
    Ok(secs)
}

/// First and last progress report of a transfer.
#[derive(Default)]
struct Marks {
    first: Option<Instant>,
    last: Option<Instant>,
}

fn marker() -> (Arc<Mutex<Marks>>, impl Fn(Progress) + Send + Sync + 'static) {
    let marks = Arc::new(Mutex::new(Marks::default()));
    let writer = Arc::clone(&marks);
    let report = move |_: Progress| {
        let now = Instant::now();
        let mut marks = writer.lock().unwrap_or_else(PoisonError::into_inner);
        marks.first.get_or_insert(now);
        marks.last = Some(now);
    };
    (marks, report)
}

fn rate(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / MIB as f64 / secs.max(1e-9)
}

/// Samples the server's VmRSS every 50 ms and keeps the highest.
struct RssSampler {
    peak: Arc<AtomicU64>,
    running: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    fn start(server: &Server, initial_kib: u64) -> Self {
        let peak = Arc::new(AtomicU64::new(initial_kib));
        let running = Arc::new(AtomicBool::new(true));
        let status = PathBuf::from(format!("/proc/{}/status", server.pid));
        let task = {
            let (peak, running) = (Arc::clone(&peak), Arc::clone(&running));
            tokio::spawn(async move {
                while running.load(Ordering::Relaxed) {
                    if let Ok(text) = tokio::fs::read_to_string(&status).await {
                        let rss = text
                            .lines()
                            .find_map(|l| l.strip_prefix("VmRSS:"))
                            .and_then(|v| {
                                v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()
                            });
                        if let Some(rss) = rss {
                            peak.fetch_max(rss, Ordering::Relaxed);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        Self {
            peak,
            running,
            task,
        }
    }

    async fn stop(self) -> u64 {
        self.running.store(false, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.load(Ordering::Relaxed)
    }
}

pub async fn run(
    server: &mut Server,
    admin: &ApiClient,
    file_mib: u64,
) -> anyhow::Result<FileResult> {
    let bytes = file_mib * MIB;
    let dir = tempfile::Builder::new()
        .prefix("lifeline-bench-files-")
        .tempdir()?;
    let source: PathBuf = dir.path().join("relay.bin");
    let started = Instant::now();
    {
        let source = source.clone();
        tokio::task::spawn_blocking(move || generate(&source, bytes)).await??;
    }
    progress(&format!(
        "{file_mib} MiB of test data written in {:.1} s",
        started.elapsed().as_secs_f64()
    ));

    // The best of a few: the baseline is what loopback TCP can do on this machine.
    let mut tcp_runs = Vec::with_capacity(TCP_RUNS);
    for _ in 0..TCP_RUNS {
        tcp_runs.push(rate(bytes, tcp_copy(bytes).await?));
    }
    let tcp_mib_per_sec = tcp_runs.iter().copied().fold(0.0, f64::max);
    let tcp_secs = bytes as f64 / MIB as f64 / tcp_mib_per_sec;
    let runs: Vec<String> = tcp_runs.iter().map(|r| format!("{r:.0}")).collect();
    progress(&format!(
        "raw loopback TCP copy: best {tcp_mib_per_sec:.0} MiB/s of {} MiB/s",
        runs.join(", ")
    ));

    let session = admin.create_session(false).await?;
    let end_user = ApiClient::new(&server.base)?;
    end_user
        .join(session.support_key.as_str(), Some("Bench end user"))
        .await?;

    let server_rss_before_kib = server.status_kib("VmRSS")?;
    let hwm_reset = server.reset_peak_rss().is_ok();
    let sampler = RssSampler::start(server, server_rss_before_kib);

    let (up_marks, up_report) = marker();
    let cpu = CpuMeter::start(server);
    let started = Instant::now();
    let file = admin
        .upload_file(session.id, &source, up_report)
        .await
        .context("uploading through ApiClient::upload_file")?;
    let upload_secs = started.elapsed().as_secs_f64();
    let (upload_server_cpu_pct, upload_bench_cpu_pct) = cpu.read(server);
    let upload_first = up_marks
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .first;
    let upload_before_first_byte_secs =
        upload_first.map_or(f64::NAN, |t| (t - started).as_secs_f64());
    progress(&format!(
        "upload: {:.0} MiB/s ({upload_secs:.1} s, {upload_before_first_byte_secs:.1} s of it before the first byte); \
         cpu server {upload_server_cpu_pct:.0}% bench {upload_bench_cpu_pct:.0}%",
        rate(bytes, upload_secs)
    ));
    server.ensure_running()?;

    let dest = dir.path().join("relay.downloaded");
    let (down_marks, down_report) = marker();
    let cpu = CpuMeter::start(server);
    let started = Instant::now();
    end_user
        .download_file(&file, &dest, down_report)
        .await
        .context("downloading through ApiClient::download_file")?;
    let download_secs = started.elapsed().as_secs_f64();
    let (download_server_cpu_pct, download_bench_cpu_pct) = cpu.read(server);
    let download_last = down_marks
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .last;
    let download_receiving_secs = download_last.map_or(f64::NAN, |t| (t - started).as_secs_f64());
    progress(&format!(
        "download: {:.0} MiB/s ({download_secs:.1} s, {download_receiving_secs:.1} s of it receiving); \
         cpu server {download_server_cpu_pct:.0}% bench {download_bench_cpu_pct:.0}%",
        rate(bytes, download_secs)
    ));

    // The same bytes fetched with the body discarded: what the service's download
    // path delivers when the client neither writes nor hashes.
    let token = end_user.access_token().await?;
    let url = format!("{}/api/v1/files/{}/content", server.base, file.id);
    let started = Instant::now();
    let mut response = reqwest::Client::new()
        .get(url)
        .bearer_auth(token.expose())
        .send()
        .await?
        .error_for_status()?;
    let mut discarded = 0u64;
    while let Some(chunk) = response.chunk().await? {
        discarded += chunk.len() as u64;
    }
    let discarding_secs = started.elapsed().as_secs_f64();
    if discarded != bytes {
        bail!("the discarding download got {discarded} of {bytes} bytes");
    }
    let download_discarding_mib_per_sec = rate(bytes, discarding_secs);
    progress(&format!(
        "download with the body discarded: {download_discarding_mib_per_sec:.0} MiB/s"
    ));

    let server_sampled_peak_rss_kib = sampler.stop().await;
    let server_peak_rss_kib = if hwm_reset {
        server.status_kib("VmHWM")?
    } else {
        0
    };
    if std::fs::metadata(&dest)?.len() != bytes {
        bail!("the downloaded file has the wrong size");
    }

    let upload_sending_secs = upload_secs - upload_before_first_byte_secs;
    let relay_mib_per_sec = rate(2 * bytes, upload_secs + download_secs);
    let relay_wire = rate(2 * bytes, upload_sending_secs + download_receiving_secs);
    progress(&format!(
        "server RSS {:.1} MiB before, peak {:.1} MiB during the transfer",
        mib(server_rss_before_kib),
        mib(server_peak_rss_kib.max(server_sampled_peak_rss_kib))
    ));
    Ok(FileResult {
        bytes,
        tcp_secs,
        tcp_mib_per_sec,
        tcp_runs_mib_per_sec: tcp_runs,
        upload_secs,
        upload_mib_per_sec: rate(bytes, upload_secs),
        upload_before_first_byte_secs,
        upload_sending_secs,
        upload_server_cpu_pct,
        upload_bench_cpu_pct,
        download_secs,
        download_mib_per_sec: rate(bytes, download_secs),
        download_receiving_secs,
        download_server_cpu_pct,
        download_bench_cpu_pct,
        download_discarding_mib_per_sec,
        relay_mib_per_sec,
        relay_to_tcp_ratio: relay_mib_per_sec / tcp_mib_per_sec,
        relay_wire_to_tcp_ratio: relay_wire / tcp_mib_per_sec,
        server_rss_before_kib,
        server_peak_rss_kib,
        server_sampled_peak_rss_kib,
    })
}
