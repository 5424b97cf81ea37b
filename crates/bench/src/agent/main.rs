//! `lifeline-bench-agent`: the agent's screen and control on a 1920×1080 X display of its
//! own (Xvfb). A real `lifeline-server` relays; the agent's sending loop (capture, tiles,
//! encoder, pacing, input) runs in this process as the end user's side of a session whose
//! end user allowed control; a Rust viewer decodes every picture with OpenH264 and
//! acknowledges it. Figures: frame rate and bit rate while the screen scrolls, while
//! someone types, and still; this process's CPU while still; and input to picture, a
//! key press flipping a square's colour. It asserts nothing.

mod scene;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use lifeline_agent::control::Injector;
use lifeline_agent::screen::send_screen;
use lifeline_bench::progress;
use lifeline_bench::server::{self, own_cpu_secs, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use lifeline_client::protocol::{ConsentKind, EventData, InputEvent, MediaRole, VideoCodec};
use lifeline_client::{ApiClient, MediaEvent, MediaSocket};
use openh264::decoder::Decoder;
use openh264::formats::YUVSource;
use serde_json::json;

#[derive(Debug, Parser)]
#[command(
    name = "lifeline-bench-agent",
    about = "The agent's screen and control at 1920×1080"
)]
struct Args {
    /// The lifeline-server binary to start.
    #[arg(long, default_value = "target/release/lifeline-server")]
    server_bin: PathBuf,
    /// Seconds of each measurement.
    #[arg(long, default_value_t = 10.0)]
    secs: f64,
    /// Key presses timed from input to picture.
    #[arg(long, default_value_t = 20)]
    presses: usize,
}

/// An Xvfb of its own, killed on drop.
struct Display(std::process::Child);

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_display() -> anyhow::Result<(Display, String)> {
    for number in 91..99 {
        if std::path::Path::new(&format!("/tmp/.X11-unix/X{number}")).exists() {
            continue;
        }
        let child = std::process::Command::new("Xvfb")
            .args([
                &format!(":{number}"),
                "-screen",
                "0",
                "1920x1080x24",
                "-nolisten",
                "tcp",
            ])
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("Xvfb")?;
        let socket = format!("/tmp/.X11-unix/X{number}");
        for _ in 0..100 {
            if std::path::Path::new(&socket).exists() {
                return Ok((Display(child), format!(":{number}")));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("Xvfb :{number} did not start");
    }
    bail!("no free X display number in :91–:98")
}

/// What one stretch gave the viewer.
#[derive(Default)]
struct Stretch {
    pictures: usize,
    bytes: usize,
    secs: f64,
    /// The key square's luma in the last picture decoded.
    last_luma: Option<u8>,
}

/// Mean luma of the key square's middle in a decoded picture.
fn square_luma(yuv: &openh264::decoder::DecodedYUV<'_>) -> u8 {
    let (x, y, side) = scene::SQUARE;
    let (stride, _, _) = yuv.strides();
    let at = (y as usize + side as usize / 2) * stride + x as usize + side as usize / 2;
    yuv.y().get(at).copied().unwrap_or(0)
}

/// Receives, decodes and acknowledges for `secs`; with `changed`, notes the time the
/// key square's luma first differs from `changed`'s value.
async fn watch(
    viewer: &mut MediaSocket,
    decoder: &mut Decoder,
    secs: f64,
    mut square: Option<&mut (u8, Option<Instant>)>,
) -> anyhow::Result<Stretch> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
    let mut stretch = Stretch::default();
    while let Ok(event) = tokio::time::timeout_at(deadline, viewer.next()).await {
        let Some(MediaEvent::Chunk { header, data }) = event else {
            if event.is_none() {
                bail!("the viewer's socket closed");
            }
            continue;
        };
        stretch.bytes += data.len();
        for unit in openh264::nal_units(&data) {
            if let Ok(Some(yuv)) = decoder.decode(unit) {
                stretch.pictures += 1;
                let luma = square_luma(&yuv);
                stretch.last_luma = Some(luma);
                if let Some(square) = square.as_deref_mut() {
                    if square.1.is_none() && luma.abs_diff(square.0) > 30 {
                        square.1 = Some(Instant::now());
                    }
                }
            }
        }
        viewer.ack(header.seq)?;
        if square.as_ref().is_some_and(|s| s.1.is_some()) {
            break;
        }
    }
    stretch.secs = started.elapsed().as_secs_f64();
    Ok(stretch)
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (_display, name) = start_display()?;
    // Before any thread opens the display: the capture, the input thread and the
    // scene all read it from here.
    std::env::set_var("DISPLAY", &name);
    let mode = Arc::new(AtomicU8::new(scene::STILL));
    scene::start(Arc::clone(&mode))?;
    let server = Server::start(&args.server_bin, 64 << 20).await?;
    progress(&format!(
        "server on {}, X display {name} at 1920×1080",
        server.addr
    ));
    let technician = ApiClient::new(&server.base)?;
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let session = technician.create_session(false).await?;
    let end_user = ApiClient::new(&server.base)?;
    let joined = end_user.join(session.support_key.as_str(), None).await?;
    let asked = technician
        .request_consent(session.id, ConsentKind::Control)
        .await?;
    let EventData::ConsentRequested { request_id, .. } = asked.data else {
        bail!("not a consent request: {asked:?}");
    };
    end_user
        .answer_consent(joined.session_id, request_id, true)
        .await?;

    let mut viewer = MediaSocket::connect(
        &technician,
        session.id,
        MediaRole::Viewer,
        vec![VideoCodec::H264],
    )
    .await?;
    let sender = MediaSocket::connect(&end_user, session.id, MediaRole::Sender, vec![]).await?;
    let injector = Injector::start().context("input")?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let agent = tokio::spawn(send_screen(sender, None, Some(injector), stopped));
    let stream = loop {
        match tokio::time::timeout(Duration::from_secs(20), viewer.next()).await {
            Ok(Some(MediaEvent::Stream(stream))) => break stream,
            Ok(Some(_)) => {}
            other => bail!("no stream: {other:?}"),
        }
    };
    progress(&format!(
        "stream {}×{} {:?}",
        stream.format.width, stream.format.height, stream.format.codec
    ));
    let mut decoder = Decoder::new()?;
    watch(&mut viewer, &mut decoder, 2.0, None).await?; // settle

    mode.store(scene::SCROLLING, Ordering::Relaxed);
    watch(&mut viewer, &mut decoder, 1.0, None).await?;
    let scrolling = watch(&mut viewer, &mut decoder, args.secs, None).await?;
    let scroll_fps = scrolling.pictures as f64 / scrolling.secs;
    let scroll_mbit = scrolling.bytes as f64 * 8.0 / scrolling.secs / 1e6;
    progress(&format!(
        "scrolling: {scroll_fps:.1} fps, {scroll_mbit:.2} Mbit/s"
    ));

    mode.store(scene::TYPING, Ordering::Relaxed);
    watch(&mut viewer, &mut decoder, 1.0, None).await?;
    let typing = watch(&mut viewer, &mut decoder, args.secs, None).await?;
    let typing_mbit = typing.bytes as f64 * 8.0 / typing.secs / 1e6;
    progress(&format!("typing: {typing_mbit:.3} Mbit/s"));

    mode.store(scene::STILL, Ordering::Relaxed);
    // The agent looks at a still screen less often after 1 s and again after 5 s: the
    // idle cost is what it settles to.
    watch(&mut viewer, &mut decoder, 6.0, None).await?;
    let cpu_before = own_cpu_secs()?;
    let still = watch(&mut viewer, &mut decoder, args.secs, None).await?;
    let still_cpu = (own_cpu_secs()? - cpu_before) / still.secs * 100.0;
    let still_kbit = still.bytes as f64 * 8.0 / still.secs / 1e3;
    progress(&format!(
        "still: {still_kbit:.2} kbit/s, this process {still_cpu:.1}% of a core"
    ));

    let control = viewer.control();
    let mut latencies = Vec::new();
    let mut last_luma = still.last_luma;
    for _ in 0..args.presses {
        // The square as the viewer last saw it, so a flip shows as a change; a still
        // screen still sends a picture a second.
        let before = match last_luma {
            Some(luma) => luma,
            None => watch(&mut viewer, &mut decoder, 1.5, None)
                .await?
                .last_luma
                .context("no picture of the still screen")?,
        };
        let mut square = (before, None);
        let sent = Instant::now();
        for pressed in [true, false] {
            control.send_input(InputEvent::Key {
                code: "KeyA".into(),
                key: "a".into(),
                pressed,
            })?;
        }
        let seen = watch(&mut viewer, &mut decoder, 3.0, Some(&mut square)).await?;
        last_luma = seen.last_luma;
        match square.1 {
            Some(at) => latencies.push(at.duration_since(sent).as_secs_f64() * 1000.0),
            None => progress("a key press did not show within 3 s"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Pictures that came during the pause move the square's last known state on.
        let settled = watch(&mut viewer, &mut decoder, 0.05, None).await?;
        last_luma = settled.last_luma.or(last_luma);
    }
    let p50 = percentile(&mut latencies, 0.5);
    let p95 = percentile(&mut latencies, 0.95);
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(3), agent).await;

    println!();
    println!(
        "== Lifeline agent bench (1920×1080 Xvfb; load average now {}) ==",
        server::load_average()
    );
    println!("frame rate while scrolling        {scroll_fps:6.1} fps at {scroll_mbit:.2} Mbit/s   target >= 15 fps, <= 3 Mbit/s");
    println!("input to picture ({} presses)     p50 {p50:.0} ms, p95 {p95:.0} ms   target p50 <= 100, p95 <= 250", latencies.len());
    println!("typing                            {typing_mbit:.3} Mbit/s");
    println!("still screen                      {still_kbit:.2} kbit/s; agent side {still_cpu:.1}% of a core   target <= 2%");
    println!(
        "{}",
        json!({
            "bench": "agent",
            "scroll_fps": scroll_fps,
            "scroll_mbit_per_sec": scroll_mbit,
            "typing_mbit_per_sec": typing_mbit,
            "still_kbit_per_sec": still_kbit,
            "still_cpu_percent": still_cpu,
            "input_to_picture_ms": {"p50": p50, "p95": p95, "presses": latencies.len()},
        })
    );
    Ok(())
}
