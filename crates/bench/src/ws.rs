//! Raw WebSocket clients with small buffers, so ten thousand of them stay cheap.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use lifeline_protocol::{ClientFrame, ServerFrame, REALTIME_PATH};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<TcpStream>;

const WELCOME_TIMEOUT: Duration = Duration::from_secs(30);

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(64 * 1024)
        .max_message_size(Some(1 << 20))
        .max_frame_size(Some(1 << 20))
}

/// Opens `/api/v1/realtime`, sends `hello` with `token` and no cursors, and returns
/// once `welcome` arrived. `source` picks the local address (127.0.0.x) to connect from.
pub async fn connect(
    server: SocketAddr,
    source: Option<IpAddr>,
    token: &str,
) -> anyhow::Result<Ws> {
    let stream = match source {
        Some(ip) => {
            let socket = TcpSocket::new_v4()?;
            socket
                .bind(SocketAddr::new(ip, 0))
                .with_context(|| format!("binding to {ip}"))?;
            socket.connect(server).await?
        }
        None => TcpStream::connect(server).await?,
    };
    stream.set_nodelay(true)?;
    let url = format!("ws://{server}{REALTIME_PATH}");
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(url, stream, Some(config())).await?;
    let hello = ClientFrame::Hello {
        token: token.into(),
        cursors: Vec::new(),
    };
    ws.send(Message::text(serde_json::to_string(&hello)?))
        .await?;
    loop {
        let frame = tokio::time::timeout(WELCOME_TIMEOUT, ws.next())
            .await
            .context("no welcome within 30 s")?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                match serde_json::from_str::<ServerFrame>(text.as_str())? {
                    ServerFrame::Welcome { .. } => return Ok(ws),
                    ServerFrame::Error { error } => bail!("hello refused: {error}"),
                    _ => {}
                }
            }
            Some(Ok(Message::Close(close))) => bail!("closed before welcome: {close:?}"),
            Some(Ok(_)) => {}
            Some(Err(err)) => return Err(err.into()),
            None => bail!("closed before welcome"),
        }
    }
}

/// Source addresses to spread sockets over: `count` of them from 127.0.0.1 up, or the
/// kernel's choice when `count` is 1.
pub fn source_for(index: usize, count: u8) -> Option<IpAddr> {
    if count <= 1 {
        return None;
    }
    let last = u8::try_from(index % usize::from(count)).unwrap_or(0) + 1;
    Some(IpAddr::from([127, 0, 0, last]))
}
