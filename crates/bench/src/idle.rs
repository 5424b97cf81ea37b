//! Figure 1: server memory per idle end-user WebSocket.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt, TryStreamExt};
use lifeline_client::ApiClient;

use crate::server::{Mem, Server};
use crate::ws;
use crate::{mib, progress};

/// How many requests or handshakes the bench keeps in flight while setting up.
pub const SETUP_CONCURRENCY: usize = 32;
const HANDSHAKE_CONCURRENCY: usize = 128;

#[derive(Debug, serde::Serialize)]
pub struct IdleResult {
    pub requested: usize,
    pub open: usize,
    pub failed: usize,
    pub closed_early: usize,
    pub open_secs: f64,
    pub server_fds: usize,
    pub before: Mem,
    pub after: Mem,
    /// (after − before) RSS per connection.
    pub bytes_per_conn_rss: f64,
    /// (after − before) private pages per connection.
    pub bytes_per_conn_private: f64,
    pub first_error: Option<String>,
}

/// Creates `n` sessions for `technician`, and joins each; returns the end-user tokens.
pub async fn sessions_joined(
    server: &Server,
    technician: &ApiClient,
    n: usize,
) -> anyhow::Result<Vec<(uuid::Uuid, String)>> {
    let keys: Vec<String> = stream::iter(0..n)
        .map(|_| {
            let technician = technician.clone();
            async move {
                technician
                    .create_session(false)
                    .await
                    .map(|s| s.support_key.as_str().to_owned())
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .try_collect()
        .await?;
    // A client of its own: joining makes a client act as that end user.
    let anonymous = ApiClient::new(&server.base)?;
    let joined: Vec<(uuid::Uuid, String)> = stream::iter(keys)
        .map(|key| {
            let anonymous = anonymous.clone();
            async move {
                anonymous
                    .join(&key, None)
                    .await
                    .map(|j| (j.session_id, j.end_user_token))
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(joined)
}

pub async fn run(
    server: &mut Server,
    admin: &ApiClient,
    connections: usize,
    source_ips: u8,
    idle_secs: u64,
) -> anyhow::Result<IdleResult> {
    let started = Instant::now();
    let joined = sessions_joined(server, admin, connections).await?;
    progress(&format!(
        "{connections} sessions created and joined in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = server.mem()?;
    progress(&format!(
        "server before the sockets: RSS {:.1} MiB, private {:.1} MiB, {} fds",
        mib(before.rss_kib),
        mib(before.private_kib),
        server.open_fds().unwrap_or(0)
    ));

    let started = Instant::now();
    let closed_early = Arc::new(AtomicUsize::new(0));
    let addr = server.addr;
    let results: Vec<anyhow::Result<ws::Ws>> = stream::iter(joined.into_iter().enumerate())
        .map(|(i, (_, token))| async move {
            ws::connect(addr, ws::source_for(i, source_ips), &token).await
        })
        .buffer_unordered(HANDSHAKE_CONCURRENCY)
        .collect()
        .await;
    let open_secs = started.elapsed().as_secs_f64();
    let mut readers = Vec::with_capacity(connections);
    let mut failed = 0;
    let mut first_error = None;
    for result in results {
        match result {
            Ok(mut socket) => {
                let closed_early = Arc::clone(&closed_early);
                // Reading answers pings and notices a socket the server drops.
                readers.push(tokio::spawn(async move {
                    while let Some(Ok(_)) = socket.next().await {}
                    closed_early.fetch_add(1, Ordering::Relaxed);
                }));
            }
            Err(err) => {
                failed += 1;
                first_error.get_or_insert_with(|| format!("{err:#}"));
            }
        }
    }
    progress(&format!(
        "{} sockets open in {open_secs:.1} s ({failed} failed); idling {idle_secs} s",
        readers.len()
    ));
    tokio::time::sleep(Duration::from_secs(idle_secs)).await;
    server.ensure_running()?;
    let after = server.mem()?;
    let server_fds = server.open_fds().unwrap_or(0);
    let open = readers.len();
    let per = |a: u64, b: u64| (a as f64 - b as f64) * 1024.0 / open.max(1) as f64;
    let result = IdleResult {
        requested: connections,
        open,
        failed,
        closed_early: closed_early.load(Ordering::Relaxed),
        open_secs,
        server_fds,
        before,
        after,
        bytes_per_conn_rss: per(after.rss_kib, before.rss_kib),
        bytes_per_conn_private: per(after.private_kib, before.private_kib),
        first_error,
    };
    for reader in &readers {
        reader.abort();
    }
    for reader in readers {
        let _ = reader.await;
    }
    // Let the server notice the closes before the next figure.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(result)
}
