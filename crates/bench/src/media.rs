//! Screen view figures. One real stream first: headless Chromium shares its own tab
//! through the join page (its real encoder, H.264), the service relays it, and this
//! bench decodes every picture with OpenH264 and reads the paint time the page stamped
//! into it. Then the relay at scale: many senders replaying that real stream at 30 fps
//! to as many viewers, through the same service.

use std::time::{Duration, Instant};

use anyhow::Context;
use lifeline_bench::progress;
use lifeline_bench::server::{CpuMeter, Server};
use lifeline_client::{ApiClient, MediaEvent, MediaSocket};
use lifeline_e2e::puppet::Puppet;
use lifeline_protocol::{ChunkHeader, ConsentKind, EventData, MediaRole, StreamFormat, VideoCodec};
use openh264::decoder::Decoder;
use openh264::formats::YUVSource;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

const STAMP_BITS: usize = 42;
const STAMP_ROW: usize = 40;
/// Stream time replayed per sender in the scale phase.
const RECORD_SECS: f64 = 3.0;
const REPLAY_FPS: f64 = 30.0;
const SENDER_IN_FLIGHT: u64 = 2;

#[derive(Debug, Default, Serialize)]
pub struct MediaResult {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
    pub full_change_fps: f64,
    pub full_change_mbit_per_sec: f64,
    pub still_kbit_per_sec: f64,
    pub typing_mbit_per_sec: f64,
    pub typing_latency_p50_ms: f64,
    pub relay_cpu_pct_one_stream: f64,
    pub streams: usize,
    pub scale_fps_min: f64,
    pub scale_fps_median: f64,
    pub scale_server_cpu_pct: f64,
    pub scale_rss_per_stream_kib: f64,
}

/// Reads the paint time from the picture's top row of black and white cells, in the
/// decoded luma plane: converting every picture to RGB would take the bench's CPU from
/// the browser it measures, on the same two cores.
fn stamp_of(luma: &[u8], stride: usize, width: usize) -> u64 {
    let cell = width / STAMP_BITS;
    let y = STAMP_ROW / 2;
    (0..STAMP_BITS).fold(0u64, |value, bit| {
        let x = bit * cell + cell / 2;
        if luma.get(y * stride + x).copied().unwrap_or(0) > 128 {
            value | (1 << bit)
        } else {
            value
        }
    })
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let index = ((values.len() as f64 - 1.0) * p).round() as usize;
    values[index.min(values.len() - 1)]
}

/// Where the page's offered pictures went during the full-change stretch, from the
/// join page's counters before and after it: what limits the frame rate.
fn share_stats_delta(before: &serde_json::Value, after: &serde_json::Value) -> String {
    let delta =
        |key: &str| after[key].as_f64().unwrap_or(0.0) - before[key].as_f64().unwrap_or(0.0);
    let encoded = delta("encoded").max(1.0);
    format!(
        "page: {} pictures offered, {} sent; skipped {} with two in flight, {} before the interval, {} while the encoder was busy; encode {:.1} ms a picture",
        delta("offered"),
        delta("sent"),
        delta("skippedInFlight"),
        delta("skippedInterval"),
        delta("skippedEncoderBusy"),
        delta("encodeMs") / encoded
    )
}

/// What one stretch of the real stream gave.
#[derive(Default)]
struct Stretch {
    pictures: usize,
    bytes: usize,
    latencies_ms: Vec<f64>,
    secs: f64,
}

/// Receives, decodes and acknowledges for `secs`; keeps the chunks when `record`.
async fn watch(
    viewer: &mut MediaSocket,
    decoder: &mut Decoder,
    secs: f64,
    mut record: Option<&mut Vec<(bool, Vec<u8>)>>,
) -> anyhow::Result<Stretch> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
    let mut stretch = Stretch::default();
    let mut last_stamp = 0;
    while let Ok(event) = tokio::time::timeout_at(deadline, viewer.next()).await {
        let Some(MediaEvent::Chunk { header, data }) = event else {
            if event.is_none() {
                anyhow::bail!("the media socket closed");
            }
            continue;
        };
        stretch.bytes += data.len();
        let mut stamp = None;
        for unit in openh264::nal_units(&data) {
            if let Ok(Some(yuv)) = decoder.decode(unit) {
                let (width, _) = yuv.dimensions();
                stamp = Some(stamp_of(yuv.y(), yuv.strides().0, width));
            }
        }
        if let Some(stamp) = stamp {
            stretch.pictures += 1;
            // A picture whose stamp did not change shows no new paint to time.
            if stamp != last_stamp {
                last_stamp = stamp;
                let age = now_ms().saturating_sub(stamp);
                if age < 60_000 {
                    stretch.latencies_ms.push(age as f64);
                }
            }
        }
        if let Some(chunks) = record.as_deref_mut() {
            chunks.push((header.key, data.to_vec()));
        }
        viewer.ack(header.seq)?;
    }
    stretch.secs = started.elapsed().as_secs_f64();
    Ok(stretch)
}

/// A session with a joined end user who allowed a screen view, as `(session, end user)`.
async fn allowed_session(admin: &ApiClient, base: &str) -> anyhow::Result<(Uuid, ApiClient)> {
    let session = admin.create_session(false).await?;
    let end_user = ApiClient::new(base)?;
    let joined = end_user.join(session.support_key.as_str(), None).await?;
    let asked = admin
        .request_consent(session.id, ConsentKind::ViewScreen)
        .await?;
    let EventData::ConsentRequested { request_id, .. } = asked.data else {
        anyhow::bail!("not a consent request: {asked:?}");
    };
    end_user
        .answer_consent(joined.session_id, request_id, true)
        .await?;
    Ok((session.id, end_user))
}

/// One sender replaying `chunks` at 30 fps with at most two in flight, for `secs`.
async fn replay(
    mut sender: MediaSocket,
    format: StreamFormat,
    chunks: std::sync::Arc<Vec<(bool, Vec<u8>)>>,
    secs: f64,
) -> anyhow::Result<()> {
    sender.start(format)?;
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / REPLAY_FPS));
    let (mut seq, mut acked, mut next) = (0u64, 0u64, 0usize);
    while Instant::now() < deadline {
        tokio::select! {
            _ = ticker.tick() => {
                if seq - acked >= SENDER_IN_FLIGHT {
                    continue; // skip this capture, as the page does
                }
                let (key, data) = &chunks[next];
                next = (next + 1) % chunks.len();
                seq += 1;
                sender.send_chunk(&ChunkHeader { seq, key: *key, timestamp_us: seq * 33_333 }, data)?;
            }
            event = sender.next() => match event {
                Some(MediaEvent::Ack(seq)) => acked = acked.max(seq),
                Some(MediaEvent::Closed) | None => anyhow::bail!("a sender's socket closed"),
                Some(_) => {}
            },
        }
    }
    sender.stop()?;
    Ok(())
}

/// One viewer acknowledging every picture on arrival; returns how many it got.
async fn count(mut viewer: MediaSocket, secs: f64) -> anyhow::Result<usize> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
    let mut pictures = 0;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, viewer.next()).await {
        if let MediaEvent::Chunk { header, .. } = event {
            pictures += 1;
            viewer.ack(header.seq)?;
        }
    }
    Ok(pictures)
}

pub async fn run(
    server: &mut Server,
    admin: &ApiClient,
    secs: f64,
    streams: usize,
) -> anyhow::Result<MediaResult> {
    let mut result = MediaResult {
        streams,
        ..MediaResult::default()
    };
    let session = admin.create_session(false).await?;
    let mut browser = Puppet::start().await?;
    browser
        .call(
            "open",
            json!({"url": session.join_url, "screen": "tab", "viewport": {"width": 1280, "height": 720}}),
        )
        .await?;
    browser.call("join", json!({})).await?;
    admin
        .request_consent(session.id, ConsentKind::ViewScreen)
        .await?;
    let mut viewer =
        MediaSocket::connect(admin, session.id, MediaRole::Viewer, vec![VideoCodec::H264]).await?;
    browser.call("share_screen", json!({})).await?;
    let stream = loop {
        match tokio::time::timeout(Duration::from_secs(20), viewer.next()).await {
            Ok(Some(MediaEvent::Stream(stream))) => break stream,
            Ok(Some(_)) => {}
            _ => anyhow::bail!("no stream from the page"),
        }
    };
    result.codec = format!("{:?}", stream.format.codec);
    (result.width, result.height) = (stream.format.width, stream.format.height);
    let mut decoder = Decoder::new().context("an OpenH264 decoder")?;

    browser.call("paint_clock", json!({"mode": "full"})).await?;
    watch(&mut viewer, &mut decoder, 2.0, None).await?; // settle
    let cpu = CpuMeter::start(server);
    let mut recorded = Vec::new();
    let stats_before = browser.call("share_stats", json!({})).await?;
    let mut full = watch(&mut viewer, &mut decoder, secs, Some(&mut recorded)).await?;
    let stats_after = browser.call("share_stats", json!({})).await?;
    progress(&share_stats_delta(&stats_before, &stats_after));
    result.relay_cpu_pct_one_stream = cpu.read(server).0;
    result.latency_p50_ms = percentile(&mut full.latencies_ms, 0.50);
    result.latency_p95_ms = percentile(&mut full.latencies_ms, 0.95);
    result.full_change_fps = full.pictures as f64 / full.secs;
    result.full_change_mbit_per_sec = full.bytes as f64 * 8.0 / full.secs / 1e6;
    progress(&format!(
        "full change: {} pictures in {:.1} s, latency p50 {:.0} ms p95 {:.0} ms",
        full.pictures, full.secs, result.latency_p50_ms, result.latency_p95_ms
    ));

    browser
        .call("paint_clock", json!({"mode": "still"}))
        .await?;
    watch(&mut viewer, &mut decoder, 2.0, None).await?;
    let still = watch(&mut viewer, &mut decoder, secs / 2.0, None).await?;
    result.still_kbit_per_sec = still.bytes as f64 * 8.0 / still.secs / 1e3;
    browser
        .call("paint_clock", json!({"mode": "typing"}))
        .await?;
    watch(&mut viewer, &mut decoder, 1.0, None).await?;
    let mut typing = watch(&mut viewer, &mut decoder, secs, None).await?;
    result.typing_mbit_per_sec = typing.bytes as f64 * 8.0 / typing.secs / 1e6;
    result.typing_latency_p50_ms = percentile(&mut typing.latencies_ms, 0.50);
    browser.call("stop_sharing", json!({})).await?;
    browser.close().await?;
    drop(viewer);

    // The relay at scale: the recorded stream, from its first keyframe, replayed.
    let start = recorded.iter().position(|(key, _)| *key).unwrap_or(0);
    let end =
        (start + (RECORD_SECS * result.full_change_fps.max(1.0)) as usize).min(recorded.len());
    let chunks = std::sync::Arc::new(recorded[start..end].to_vec());
    anyhow::ensure!(!chunks.is_empty(), "nothing was recorded to replay");
    progress(&format!(
        "replaying {} recorded pictures in {streams} streams",
        chunks.len()
    ));
    let rss_before = server.mem()?.rss_kib;
    let mut senders = Vec::new();
    let mut viewers = Vec::new();
    for _ in 0..streams {
        let (session_id, end_user) = allowed_session(admin, &server.base).await?;
        viewers.push(MediaSocket::connect(admin, session_id, MediaRole::Viewer, Vec::new()).await?);
        senders.push(
            MediaSocket::connect(&end_user, session_id, MediaRole::Sender, Vec::new()).await?,
        );
    }
    let cpu = CpuMeter::start(server);
    let counting: Vec<_> = viewers
        .into_iter()
        .map(|v| tokio::spawn(count(v, secs)))
        .collect();
    let sending: Vec<_> = senders
        .into_iter()
        .map(|s| tokio::spawn(replay(s, stream.format.clone(), chunks.clone(), secs)))
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(secs * 0.8)).await;
    let rss_during = server.mem()?.rss_kib;
    let mut rates = Vec::new();
    for task in counting {
        rates.push(task.await?? as f64 / secs);
    }
    for task in sending {
        task.await??;
    }
    result.scale_server_cpu_pct = cpu.read(server).0;
    result.scale_rss_per_stream_kib =
        rss_during.saturating_sub(rss_before) as f64 / streams.max(1) as f64;
    result.scale_fps_min = rates.iter().copied().fold(f64::INFINITY, f64::min);
    result.scale_fps_median = percentile(&mut rates, 0.5);
    Ok(result)
}
