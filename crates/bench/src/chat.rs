//! Figure 2: chat latency technician → end user, and the highest sustained rate.
//!
//! Each session's technician sends messages, as `send` frames on the technician's
//! WebSocket (or, with `--chat-over rest`, as POSTs); the session's end user has a
//! WebSocket open and receives them as `event` frames. A message carries its send
//! time, so latency is the receive time minus the moment it was sent.
//!
//! On several nodes, technician `t` posts to node `t mod n` and each end user's socket
//! is on the next node, so every message crosses the cluster's bus; the CPU figures are
//! summed over the nodes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::{stream, SinkExt, StreamExt, TryStreamExt};
use lifeline_client::ApiClient;
use lifeline_protocol::{ClientFrame, EventData, NewTechnician, ServerFrame};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::idle::sessions_joined;
use crate::progress;
use crate::server::{CpuMeter, Server};
use crate::ws;

const TECHNICIAN_PASSWORD: &str = "bench-technician-password-0";
/// A step holds while its p99 stays at or under this...
const HOLD_P99_MS: f64 = 100.0;
/// ...and at least this share of the offered messages arrives.
const HOLD_DELIVERED_SHARE: f64 = 0.9;
/// How long after a step's last send its messages may still arrive.
const DRAIN: Duration = Duration::from_secs(2);
const MAX_SEARCH_STEPS: usize = 8;
const MAX_BISECTIONS: usize = 2;

/// Latencies in microseconds, per step (the step's index travels in the message).
struct Recorder {
    epoch: Instant,
    steps: Mutex<Vec<Vec<u32>>>,
    /// `send_failed` frames the technicians' sockets got, and the first one's error.
    refused: AtomicUsize,
    first_refusal: Mutex<Option<String>>,
}

impl Recorder {
    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn record(&self, step: usize, latency_us: u64) {
        let mut steps = self.steps.lock().unwrap_or_else(PoisonError::into_inner);
        if steps.len() <= step {
            steps.resize_with(step + 1, Vec::new);
        }
        steps[step].push(u32::try_from(latency_us).unwrap_or(u32::MAX));
    }

    fn count(&self, step: usize) -> usize {
        let steps = self.steps.lock().unwrap_or_else(PoisonError::into_inner);
        steps.get(step).map_or(0, Vec::len)
    }

    fn take(&self, step: usize) -> Vec<u32> {
        let mut steps = self.steps.lock().unwrap_or_else(PoisonError::into_inner);
        steps.get_mut(step).map(std::mem::take).unwrap_or_default()
    }
}

/// `bench <step> <send time in µs since the recorder's epoch>`
fn message_text(step: usize, send_us: u64) -> String {
    format!("bench {step} {send_us}")
}

fn parse_message_text(text: &str) -> Option<(usize, u64)> {
    let mut parts = text.split(' ');
    (parts.next()? == "bench").then_some(())?;
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    pub offered_per_sec: f64,
    pub secs: f64,
    pub sent: usize,
    pub errors: usize,
    pub received: usize,
    pub achieved_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// All nodes together, in % of one core.
    pub server_cpu_pct: f64,
    /// Each node, in % of one core.
    pub node_cpu_pct: Vec<f64>,
    /// Server CPU time (all nodes) per message delivered, in µs.
    pub cpu_us_per_message: f64,
    /// PostgreSQL and NATS together, in % of one core (with SQLite, NATS only).
    pub shared_cpu_pct: f64,
    pub bench_cpu_pct: f64,
    pub held: bool,
    pub first_error: Option<String>,
}

/// How the technicians send their messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ChatOver {
    /// `send` frames on the technician's realtime WebSocket.
    Websocket,
    /// `POST /api/v1/sessions/{id}/messages`, a request each.
    Rest,
}

#[derive(Debug, serde::Serialize)]
pub struct ChatResult {
    pub over: ChatOver,
    pub sessions: usize,
    pub technicians: usize,
    pub base: Step,
    pub ramp: Vec<Step>,
    /// The highest offered rate that held, if any did.
    pub highest_sustained_per_sec: Option<f64>,
    /// The lowest offered rate that did not hold, if one was reached.
    pub first_failing_per_sec: Option<f64>,
}

struct Setup {
    technicians: Vec<ApiClient>,
    /// Per technician, frames for its WebSocket's writer.
    outboxes: Vec<mpsc::UnboundedSender<String>>,
    /// (technician index, session id)
    sessions: Vec<(usize, Uuid)>,
    recorder: Arc<Recorder>,
    readers: Vec<JoinHandle<()>>,
}

async fn setup(
    servers: &[Server],
    admin: &ApiClient,
    sessions: usize,
    technician_count: usize,
) -> anyhow::Result<Setup> {
    let started = Instant::now();
    let technician_count = technician_count.clamp(1, sessions.max(1));
    let mut technicians = Vec::with_capacity(technician_count);
    for i in 0..technician_count {
        let email = format!("bench-{i}@lifeline.local");
        admin
            .add_technician(&NewTechnician {
                email: email.clone(),
                display_name: format!("Bench technician {i}"),
                password: TECHNICIAN_PASSWORD.into(),
                is_admin: false,
            })
            .await?;
        let client = ApiClient::new(&servers[i % servers.len()].base)?;
        client.login(&email, TECHNICIAN_PASSWORD).await?;
        technicians.push(client);
    }
    let mut joined = Vec::with_capacity(sessions);
    for (t, client) in technicians.iter().enumerate() {
        let share = sessions / technician_count + usize::from(t < sessions % technician_count);
        for (session_id, token) in sessions_joined(&servers[0], client, share).await? {
            joined.push((t, session_id, token));
        }
    }
    let recorder = Arc::new(Recorder {
        epoch: Instant::now(),
        steps: Mutex::new(Vec::new()),
        refused: AtomicUsize::new(0),
        first_refusal: Mutex::new(None),
    });
    let addrs: Vec<_> = servers.iter().map(|server| server.addr).collect();
    let addrs = &addrs;
    let sockets: Vec<ws::Ws> = stream::iter(joined.iter())
        .map(|(technician, _, token)| async move {
            // The node after the technician's: on one node, the same.
            ws::connect(addrs[(technician + 1) % addrs.len()], None, token).await
        })
        .buffer_unordered(128)
        .try_collect()
        .await?;
    let mut readers = Vec::with_capacity(sockets.len() + technicians.len());
    for mut socket in sockets {
        let recorder = Arc::clone(&recorder);
        readers.push(tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let received_us = recorder.now_us();
                let Ok(ServerFrame::Event { event }) =
                    serde_json::from_str::<ServerFrame>(text.as_str())
                else {
                    continue;
                };
                if let EventData::Message { text, .. } = event.data {
                    if let Some((step, sent_us)) = parse_message_text(&text) {
                        recorder.record(step, received_us.saturating_sub(sent_us));
                    }
                }
            }
        }));
    }
    // Technicians are online too, as they would be: each message also reaches them, and
    // they send on the same socket.
    let mut outboxes = Vec::with_capacity(technicians.len());
    for (t, client) in technicians.iter().enumerate() {
        let addr = addrs[t % addrs.len()];
        let socket = ws::connect(addr, None, client.access_token().await?.expose()).await?;
        let (mut sink, mut stream) = socket.split();
        let (outbox, mut outgoing) = mpsc::unbounded_channel::<String>();
        outboxes.push(outbox);
        readers.push(tokio::spawn(async move {
            while let Some(text) = outgoing.recv().await {
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
        }));
        let recorder = Arc::clone(&recorder);
        readers.push(tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                if let Ok(ServerFrame::SendFailed { error, .. }) =
                    serde_json::from_str::<ServerFrame>(text.as_str())
                {
                    recorder.refused.fetch_add(1, Ordering::Relaxed);
                    let mut first = recorder
                        .first_refusal
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    first.get_or_insert_with(|| error.to_string());
                }
            }
        }));
    }
    progress(&format!(
        "{technician_count} technicians, {} sessions joined, {} end-user sockets open in {:.1} s",
        joined.len(),
        joined.len(),
        started.elapsed().as_secs_f64()
    ));
    let sessions = joined.into_iter().map(|(t, s, _)| (t, s)).collect();
    Ok(Setup {
        technicians,
        outboxes,
        sessions,
        recorder,
        readers,
    })
}

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1]) / 1000.0
}

async fn run_step(
    servers: &[Server],
    setup: &Setup,
    over: ChatOver,
    step: usize,
    rate: f64,
    secs: f64,
) -> anyhow::Result<Step> {
    let count = setup.sessions.len();
    let period = Duration::from_secs_f64(count as f64 / rate);
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let end = start + Duration::from_secs_f64(secs);
    let sent = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let meters: Vec<CpuMeter> = servers.iter().map(CpuMeter::start).collect();
    let shared_before = lifeline_bench::cluster::shared_cpu_secs();
    let refused_before = setup.recorder.refused.load(Ordering::Relaxed);
    let mut senders = Vec::with_capacity(count);
    for (i, &(technician, session_id)) in setup.sessions.iter().enumerate() {
        let client = setup.technicians[technician].clone();
        let outbox = setup.outboxes[technician].clone();
        let recorder = Arc::clone(&setup.recorder);
        let (sent, errors, first_error) = (
            Arc::clone(&sent),
            Arc::clone(&errors),
            Arc::clone(&first_error),
        );
        // Spread the sessions' sends evenly over one period.
        let offset = period.mul_f64(i as f64 / count as f64);
        senders.push(tokio::spawn(async move {
            let mut ticker = tokio::time::interval_at(start + offset, period);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                if ticker.tick().await >= end {
                    break;
                }
                let text = message_text(step, recorder.now_us());
                sent.fetch_add(1, Ordering::Relaxed);
                let result = match over {
                    ChatOver::Websocket => {
                        let frame = ClientFrame::Send {
                            session_id,
                            client_id: Uuid::new_v4(),
                            text,
                        };
                        let frame = serde_json::to_string(&frame).unwrap_or_default();
                        outbox
                            .send(frame)
                            .map_err(|_| "the technician's socket is closed".to_string())
                    }
                    ChatOver::Rest => client
                        .send_message(session_id, Uuid::new_v4(), &text)
                        .await
                        .map(drop)
                        .map_err(|err| err.to_string()),
                };
                if let Err(err) = result {
                    errors.fetch_add(1, Ordering::Relaxed);
                    let mut first = first_error.lock().unwrap_or_else(PoisonError::into_inner);
                    first.get_or_insert(err);
                }
            }
        }));
    }
    for sender in senders {
        sender.await?;
    }
    let readings: Vec<(f64, f64)> = meters
        .iter()
        .zip(servers)
        .map(|(meter, server)| meter.read(server))
        .collect();
    let node_cpu_pct: Vec<f64> = readings.iter().map(|(node, _)| *node).collect();
    let server_cpu_pct: f64 = node_cpu_pct.iter().sum();
    let bench_cpu_pct = readings.first().map_or(0.0, |(_, bench)| *bench);
    let sending_secs = meters.first().map_or(secs, CpuMeter::elapsed_secs);
    let shared_cpu_pct = (lifeline_bench::cluster::shared_cpu_secs() - shared_before)
        / sending_secs.max(1e-9)
        * 100.0;
    let sent = sent.load(Ordering::Relaxed);
    let refused = || setup.recorder.refused.load(Ordering::Relaxed) - refused_before;
    let deadline = Instant::now() + DRAIN;
    while setup.recorder.count(step) + refused() < sent - errors.load(Ordering::Relaxed)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let errors = errors.load(Ordering::Relaxed) + refused();
    let mut latencies = setup.recorder.take(step);
    latencies.sort_unstable();
    let received = latencies.len();
    let achieved_per_sec = received as f64 / secs;
    let p99_ms = percentile(&latencies, 0.99);
    let held = p99_ms <= HOLD_P99_MS && achieved_per_sec >= HOLD_DELIVERED_SHARE * rate;
    let first_error = first_error
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .or_else(|| {
            setup
                .recorder
                .first_refusal
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
        });
    Ok(Step {
        offered_per_sec: rate,
        secs,
        sent,
        errors,
        received,
        achieved_per_sec,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms,
        max_ms: latencies
            .last()
            .map_or(f64::NAN, |&us| f64::from(us) / 1000.0),
        server_cpu_pct,
        cpu_us_per_message: server_cpu_pct / 100.0 * sending_secs / (received.max(1) as f64) * 1e6,
        node_cpu_pct,
        shared_cpu_pct,
        bench_cpu_pct,
        held,
        first_error,
    })
}

fn ensure_running(servers: &mut [Server]) -> anyhow::Result<()> {
    servers.iter_mut().try_for_each(Server::ensure_running)
}

pub fn describe(step: &Step) -> String {
    format!(
        "offered {:>6.0}/s  achieved {:>6.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  \
         sent {} errors {} lost {}  cpu server {:.0}% ({:.0} µs/msg) bench {:.0}%  {}",
        step.offered_per_sec,
        step.achieved_per_sec,
        step.p50_ms,
        step.p99_ms,
        step.max_ms,
        step.sent,
        step.errors,
        (step.sent - step.errors).saturating_sub(step.received),
        step.server_cpu_pct,
        step.cpu_us_per_message,
        step.bench_cpu_pct,
        if step.held { "held" } else { "did not hold" }
    )
}

pub async fn run(
    servers: &mut [Server],
    admin: &ApiClient,
    over: ChatOver,
    sessions: usize,
    technicians: usize,
    base_secs: f64,
    ramp_secs: f64,
) -> anyhow::Result<ChatResult> {
    let setup = setup(servers, admin, sessions, technicians).await?;
    let base_rate = setup.sessions.len() as f64;
    let base = run_step(servers, &setup, over, 0, base_rate, base_secs).await?;
    progress(&format!("base   {}", describe(&base)));
    ensure_running(servers)?;

    // Ramp by doubling until a rate does not hold, then bisect between the last rate
    // that held and the first that did not.
    let mut held = base.held.then_some(base_rate);
    let mut failed = (!base.held).then_some(base_rate);
    let mut ramp = Vec::new();
    let mut bisections = 0;
    for step in 1..=MAX_SEARCH_STEPS {
        let rate = match (held, failed) {
            (Some(ok), None) => ok * 2.0,
            (None, Some(bad)) => bad / 2.0,
            (Some(ok), Some(bad)) => {
                let mid = ((ok + bad) / 2.0 / 50.0).round() * 50.0;
                if bisections >= MAX_BISECTIONS || mid <= ok || mid >= bad {
                    break;
                }
                bisections += 1;
                mid
            }
            (None, None) => break,
        };
        if rate < 10.0 {
            break;
        }
        let result = run_step(servers, &setup, over, step, rate, ramp_secs).await?;
        progress(&format!("ramp   {}", describe(&result)));
        if result.held {
            held = Some(held.map_or(rate, |ok| ok.max(rate)));
        } else {
            failed = Some(failed.map_or(rate, |bad| bad.min(rate)));
        }
        ramp.push(result);
        ensure_running(servers)?;
    }
    for reader in &setup.readers {
        reader.abort();
    }
    for reader in setup.readers {
        let _ = reader.await;
    }
    Ok(ChatResult {
        over,
        sessions: setup.sessions.len(),
        technicians: setup.technicians.len(),
        base,
        ramp,
        highest_sustained_per_sec: held,
        first_failing_per_sec: failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_text_round_trips() {
        assert_eq!(
            parse_message_text(&message_text(3, 123_456)),
            Some((3, 123_456))
        );
        assert_eq!(parse_message_text("hello there"), None);
    }

    #[test]
    fn percentiles_pick_the_rank() {
        let sorted: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert!((percentile(&sorted, 0.99) - 99.0).abs() < 1e-9);
        assert!((percentile(&sorted, 0.50) - 50.0).abs() < 1e-9);
    }
}
