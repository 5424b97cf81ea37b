//! The service behind a real nginx from Debian's packages, run with the repository's
//! own `deploy/nginx/lifeline.conf` (its name, certificate and ports changed for the
//! test): TLS ends at nginx, the service speaks plain HTTP on loopback and believes
//! nginx's forwarded headers. The end user's Chromium and the technician's client go
//! through it for the whole session: join, chat, files both ways, the screen.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use lifeline_client::Trust;
use lifeline_e2e::tls::{Leaf, TestCa};
use tokio::process::{Child, Command};

use crate::https::{healthy_with_hsts, join_chat_and_share, trusting_client, HOST};
use lifeline_e2e::harness::ServiceProcess;

// nginx needs a number in its file.
use lifeline_e2e::ports::free_port;

/// The repository's nginx site with the test's name, certificate and ports.
fn site(leaf: &Leaf, https_port: u16, http_port: u16, service_port: u16) -> anyhow::Result<String> {
    let upstream = [(
        "server 127.0.0.1:8080;".to_owned(),
        format!("server 127.0.0.1:{service_port};"),
    )];
    shipped_site("lifeline.conf", leaf, (https_port, http_port), &upstream)
}

/// One of the repository's nginx files in `deploy/nginx`, with the test's name,
/// certificate and ports, and its upstream servers replaced as `upstream` says.
pub(crate) fn shipped_site(
    file: &str,
    leaf: &Leaf,
    (https_port, http_port): (u16, u16),
    upstream: &[(String, String)],
) -> anyhow::Result<String> {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let template = std::fs::read_to_string(repository.join("deploy/nginx").join(file))?;
    let mut replacements = vec![
        (
            "/etc/letsencrypt/live/support.example.com/fullchain.pem".to_owned(),
            leaf.cert.display().to_string(),
        ),
        (
            "/etc/letsencrypt/live/support.example.com/privkey.pem".to_owned(),
            leaf.key.display().to_string(),
        ),
        ("support.example.com".to_owned(), HOST.to_owned()),
        (
            "listen 443 ssl http2;".to_owned(),
            format!("listen 127.0.0.1:{https_port} ssl http2;"),
        ),
        ("listen [::]:443 ssl http2;".to_owned(), String::new()),
        (
            "listen 80;".to_owned(),
            format!("listen 127.0.0.1:{http_port};"),
        ),
        ("listen [::]:80;".to_owned(), String::new()),
    ];
    replacements.extend(upstream.iter().cloned());
    let mut site = template;
    for (from, to) in replacements {
        anyhow::ensure!(
            site.contains(&from),
            "the nginx file {file} no longer says {from:?}"
        );
        site = site.replace(&from, &to);
    }
    Ok(site)
}

pub(crate) struct Nginx {
    _child: Child,
}

impl Nginx {
    /// nginx in the foreground with everything (pid, logs, buffers) under `dir`.
    pub(crate) async fn start(dir: &Path, site: &str, https_port: u16) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir.join("temp"))?;
        std::fs::write(dir.join("lifeline.conf"), site)?;
        let d = dir.display();
        let main = format!(
            "daemon off;\nuser root;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\nevents {{}}\nhttp {{\n  access_log {d}/access.log;\n  \
             client_body_temp_path {d}/temp/body;\n  proxy_temp_path {d}/temp/proxy;\n  \
             fastcgi_temp_path {d}/temp/fastcgi;\n  uwsgi_temp_path {d}/temp/uwsgi;\n  \
             scgi_temp_path {d}/temp/scgi;\n  include {d}/lifeline.conf;\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), main)?;
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting nginx (apt install nginx-light)")?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", https_port))
            .await
            .is_err()
        {
            if tokio::time::Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                anyhow::bail!("nginx did not listen: {log}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self { _child: child })
    }
}

#[tokio::test]
async fn behind_nginx_the_whole_session_works_over_https() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = TestCa::new(dir.path())?;
    let leaf = ca.issue("proxy", &[HOST, "127.0.0.1"])?;
    let (https_port, http_port) = (free_port()?, free_port()?);
    let service = ServiceProcess::start_with(&dir.path().join("data"), 0, |command| {
        command
            .args(["--public-url", &format!("https://{HOST}:{https_port}")])
            .args(["--trusted-proxies", "127.0.0.1"]);
    })
    .await?;
    let _nginx = Nginx::start(
        &dir.path().join("nginx"),
        &site(&leaf, https_port, http_port, service.port)?,
        https_port,
    )
    .await?;

    let through_proxy = trusting_client(&ca)?;
    healthy_with_hsts(&through_proxy, &format!("https://127.0.0.1:{https_port}")).await?;
    let plain = through_proxy
        .get(format!("http://127.0.0.1:{http_port}/join"))
        .header("host", HOST)
        .send()
        .await?;
    assert_eq!(plain.status(), 301);
    assert_eq!(
        plain
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(format!("https://{HOST}/join").as_str()),
        "plain HTTP goes to HTTPS"
    );

    let technician = {
        let client = lifeline_client::ApiClient::with_trust(
            &format!("https://127.0.0.1:{https_port}"),
            &Trust::with_pem(ca.pem.as_bytes())?,
        )?;
        client
            .login(
                lifeline_e2e::harness::ADMIN_EMAIL,
                lifeline_e2e::harness::ADMIN_PASSWORD,
            )
            .await?;
        client
    };
    join_chat_and_share(&technician, &ca, &format!("https://{HOST}:{https_port}")).await?;
    Ok(())
}
