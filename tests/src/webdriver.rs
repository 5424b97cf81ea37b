//! Just enough of the W3C WebDriver protocol to drive a real Tauri app window through
//! `tauri-driver` (which hands the session to WebKitWebDriver): the desktop app's
//! real-window test and `lifeline-bench-desktop` both use it.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use base64::Engine;
use serde_json::{json, Value};

use crate::ports::free_port;

/// The key WebDriver uses for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The WebDriver code point for the Enter key.
pub const ENTER: &str = "\u{E007}";

/// A running `tauri-driver`, killed on drop.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with_env(std::iter::empty::<(&str, &OsStr)>())
    }

    /// Starts the driver with extra environment variables, which every app it starts
    /// inherits (through WebKitWebDriver).
    pub fn start_with_env<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> anyhow::Result<Self>
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let port = free_port()?;
        let native = free_port()?;
        let child = Command::new("tauri-driver")
            .envs(vars)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("tauri-driver (cargo install tauri-driver --version '^2' --locked)")?;
        Ok(Self { child, port })
    }

    /// The driver's process id: the apps it starts are its descendants.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts the app binary in a new WebDriver session.
    pub async fn open(&self, app: &Path) -> anyhow::Result<Window> {
        self.open_with_args(app, &[]).await
    }

    /// Starts the app binary with these arguments in a new WebDriver session.
    pub async fn open_with_args(&self, app: &Path, args: &[String]) -> anyhow::Result<Window> {
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{}", self.port);
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {
            "application": app.display().to_string(),
            "args": args,
        }}}});
        let started = Instant::now();
        // The driver and WebKitWebDriver take a moment to listen.
        let answer = loop {
            match http
                .post(format!("{base}/session"))
                .json(&caps)
                .send()
                .await
            {
                Ok(response) => break response.json::<Value>().await?,
                Err(_) if started.elapsed() < Duration::from_secs(20) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(err) => return Err(err).context("no WebDriver session"),
            }
        };
        let id = answer["value"]["sessionId"]
            .as_str()
            .with_context(|| format!("no session id in {answer}"))?;
        Ok(Window {
            http,
            session: format!("{base}/session/{id}"),
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One app window in a WebDriver session.
pub struct Window {
    http: reqwest::Client,
    session: String,
}

impl Window {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let request = self.http.request(method, format!("{}{path}", self.session));
        let request = if body.is_null() {
            request
        } else {
            request.json(&body)
        };
        let answer: Value = request.send().await?.json().await?;
        if let Some(error) = answer["value"]["error"].as_str() {
            bail!("{path}: {error}: {}", answer["value"]["message"]);
        }
        Ok(answer["value"].clone())
    }

    /// Waits up to 20 s for an element matching `css`.
    pub async fn find(&self, css: &str) -> anyhow::Result<String> {
        let started = Instant::now();
        loop {
            let found = self
                .call(
                    reqwest::Method::POST,
                    "/element",
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            match found {
                Ok(value) => {
                    return value[ELEMENT]
                        .as_str()
                        .map(str::to_owned)
                        .with_context(|| format!("no element reference in {value}"));
                }
                Err(_) if started.elapsed() < Duration::from_secs(20) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(err) => return Err(err.context(format!("waiting for {css}"))),
            }
        }
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let id = self.find(css).await?;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await?;
        Ok(())
    }

    /// Clicks inside the element matching `css`, `dx` and `dy` CSS pixels from its
    /// centre, with WebDriver's pointer actions (real input events, not scripted ones).
    pub async fn click_at(&self, css: &str, dx: i64, dy: i64) -> anyhow::Result<()> {
        let id = self.find(css).await?;
        let actions = json!({"actions": [{
            "type": "pointer",
            "id": "mouse",
            "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "origin": {ELEMENT: id}, "x": dx, "y": dy},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerUp", "button": 0}
            ]
        }]});
        self.call(reqwest::Method::POST, "/actions", actions)
            .await?;
        Ok(())
    }

    pub async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let id = self.find(css).await?;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            json!({}),
        )
        .await?;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        )
        .await?;
        Ok(())
    }

    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        let id = self.find(css).await?;
        let value = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{id}/text"),
                Value::Null,
            )
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Runs `script` (an async function body; `arguments` ends with the callback).
    pub async fn run_async(&self, script: &str, args: Value) -> anyhow::Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            json!({ "script": script, "args": args }),
        )
        .await
    }

    /// Runs `script` (a function body) and returns what it returns.
    pub async fn run(&self, script: &str, args: Value) -> anyhow::Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
        .await
    }

    /// Whether `predicate` (a JS expression) is true in the page now.
    pub async fn holds(&self, predicate: &str) -> anyhow::Result<bool> {
        let value = self
            .run(&format!("return Boolean({predicate});"), json!([]))
            .await?;
        Ok(value.as_bool() == Some(true))
    }

    /// Waits until `predicate` (a JS expression) is true in the page.
    pub async fn wait_for(&self, predicate: &str, what: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if self.holds(predicate).await? {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(20) {
                // What the window showed instead, so a failure explains itself.
                let shown = self
                    .run("return document.body.innerText;", json!([]))
                    .await
                    .unwrap_or_default();
                bail!("timed out waiting for {what}; the window shows: {shown}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Saves a PNG of the window. WebKit takes it from the next frame it renders; without
    /// the DMA-BUF renderer (what the app uses on machines without a GPU, such as this
    /// Xvfb) a page that does not change renders no next frame, so a nearly transparent
    /// 1-pixel element changes every 16 ms until the picture is taken.
    pub async fn screenshot(&self, dest: &Path) -> anyhow::Result<()> {
        self.run(
            "window.__wdRepaint = setInterval(() => { \
               const dot = document.getElementById('__wd_repaint') ?? document.body.appendChild( \
                 Object.assign(document.createElement('div'), { id: '__wd_repaint' })); \
               dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;opacity:' \
                 + (0.005 + Math.random() * 0.005); }, 16);",
            json!([]),
        )
        .await?;
        let taken = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        self.run(
            "clearInterval(window.__wdRepaint); document.getElementById('__wd_repaint')?.remove();",
            json!([]),
        )
        .await?;
        let value = taken?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(value.as_str().context("screenshot data")?)?;
        std::fs::write(dest, png)?;
        Ok(())
    }

    /// Ends the session, which closes the app.
    pub async fn close(self) -> anyhow::Result<()> {
        self.http.delete(&self.session).send().await?;
        Ok(())
    }
}
