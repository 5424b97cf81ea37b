//! HTTPS with built-in TLS: a certificate from a CA the test makes, the technician's
//! client and the end user's Chromium told to trust that CA, and the page on a host name
//! that is not localhost, where browsers let a page share the screen only over HTTPS.
//! Also: the redirect from plain HTTP, HSTS, a certificate renewed under load with
//! SIGHUP, and the clear refusal of a key that does not match its certificate.

use std::time::Duration;

use lifeline_client::{
    ApiClient, MediaEvent, MediaSocket, RealtimeClient, RealtimeEvent, RealtimeOptions, Trust,
};
use lifeline_e2e::puppet::{BrowserSetup, Puppet};
use lifeline_e2e::tls::TestCa;
use lifeline_protocol::{ConsentKind, EventData, MediaRole, Party, VideoCodec};
use serde_json::json;
use uuid::Uuid;

use lifeline_e2e::harness::{server_binary, ServiceProcess};

/// The name end users reach the service by: not localhost, so only HTTPS makes the page
/// a secure context.
pub const HOST: &str = "lifeline.test";

/// A client that trusts `ca` and does not follow redirects (a test looks at them).
pub fn trusting_client(ca: &TestCa) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes())?)
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// `/healthz` answers over HTTPS at `base`, with a year of HSTS.
pub async fn healthy_with_hsts(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let health = client.get(format!("{base}/healthz")).send().await?;
    assert_eq!(health.status(), 200, "{base} answers");
    assert_eq!(
        health
            .headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000"),
        "HSTS for an https:// public URL"
    );
    Ok(())
}

pub async fn event_of(
    rt: &mut RealtimeClient,
    what: &str,
    matches: impl Fn(&EventData) -> bool,
) -> anyhow::Result<EventData> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let event = tokio::time::timeout_at(deadline, rt.next())
            .await
            .map_err(|_| anyhow::anyhow!("timed out waiting for {what}"))?
            .ok_or_else(|| anyhow::anyhow!("realtime ended while waiting for {what}"))?;
        if let RealtimeEvent::Event(event) = event {
            if matches(&event.data) {
                return Ok(event.data);
            }
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The end user joins by the link in a browser trusting `ca`, checks the page is a
/// secure context on `origin`, chats, sends files both ways and shares the screen, which the
/// technician receives over the same TLS.
pub async fn join_chat_and_share(
    technician: &ApiClient,
    ca: &TestCa,
    origin: &str,
) -> anyhow::Result<()> {
    let mut realtime = RealtimeClient::connect(technician.clone(), RealtimeOptions::default());
    let session = technician.create_session(false).await?;
    assert!(
        session.join_url.starts_with(&format!("{origin}/join/")),
        "the link is on the public HTTPS address: {}",
        session.join_url
    );
    let mut browser = Puppet::start_with(&BrowserSetup {
        trusted_ca: Some(ca.file.clone()),
        loopback_hosts: vec![HOST.to_owned()],
    })
    .await?;
    browser
        .call("open", json!({"url": session.join_url, "screen": "tab"}))
        .await?;
    let context = browser.call("secure_context", json!({})).await?;
    assert_eq!(
        context,
        json!({"secure": true, "origin": origin}),
        "the browser accepted the certificate and treats the page as secure"
    );
    browser.call("join", json!({"name": "Erika"})).await?;
    technician
        .send_message(session.id, Uuid::new_v4(), "Hello over HTTPS")
        .await?;
    browser
        .call(
            "wait_message",
            json!({"text": "Hello over HTTPS", "from": "technician"}),
        )
        .await?;
    browser
        .call("send", json!({"text": "Hi, I can read you"}))
        .await?;
    let reply = event_of(&mut realtime, "the end user's message", |d| {
        matches!(
            d,
            EventData::Message {
                from: Party::EndUser,
                ..
            }
        )
    })
    .await?;
    assert!(
        matches!(reply, EventData::Message { ref text, .. } if text == "Hi, I can read you"),
        "{reply:?}"
    );

    // Files both ways, larger than a proxy's default body limit.
    let work = tempfile::tempdir()?;
    let outgoing: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let outgoing_path = work.path().join("driver.bin");
    std::fs::write(&outgoing_path, &outgoing)?;
    technician
        .upload_file(session.id, &outgoing_path, |_| {})
        .await?;
    let downloaded = browser
        .call("download", json!({"name": "driver.bin"}))
        .await?;
    assert_eq!(downloaded["sha256"], json!(sha256_hex(&outgoing)));
    let incoming: Vec<u8> = (0..2_500_000u32).map(|i| (i % 241) as u8).collect();
    let incoming_path = work.path().join("report.bin");
    std::fs::write(&incoming_path, &incoming)?;
    browser
        .call("upload", json!({"path": incoming_path}))
        .await?;
    let offered = event_of(
        &mut realtime,
        "the end user's file",
        |d| matches!(d, EventData::FileShared { file } if file.from == Party::EndUser),
    )
    .await?;
    let EventData::FileShared { file } = offered else {
        anyhow::bail!("not a file: {offered:?}");
    };
    let saved = work.path().join("received.bin");
    technician.download_file(&file, &saved, |_| {}).await?;
    assert_eq!(sha256_hex(&std::fs::read(&saved)?), sha256_hex(&incoming));

    technician
        .request_consent(session.id, ConsentKind::ViewScreen)
        .await?;
    let mut viewer = MediaSocket::connect(
        technician,
        session.id,
        MediaRole::Viewer,
        vec![VideoCodec::Jpeg],
    )
    .await?;
    browser.call("paint_pattern", json!({})).await?;
    browser
        .call("wait_testid", json!({"testid": "consent-prompt"}))
        .await?;
    browser.call("share_screen", json!({})).await?;
    let mut pictures = 0;
    while pictures < 3 {
        let event = tokio::time::timeout(Duration::from_secs(20), viewer.next())
            .await
            .map_err(|_| anyhow::anyhow!("no picture over HTTPS"))?
            .ok_or_else(|| anyhow::anyhow!("the media socket closed"))?;
        if let MediaEvent::Chunk { header, data } = event {
            assert!(!data.is_empty(), "a picture has bytes");
            viewer.ack(header.seq)?;
            pictures += 1;
        }
    }
    Ok(())
}

#[tokio::test]
async fn built_in_https_serves_the_whole_session_redirects_plain_http_and_reloads_its_certificate(
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = TestCa::new(dir.path())?;
    let leaf = ca.issue("service", &[HOST, "127.0.0.1"])?;
    let service = ServiceProcess::start_with(&dir.path().join("data"), 0, |command| {
        command
            .arg("--tls-cert")
            .arg(&leaf.cert)
            .arg("--tls-key")
            .arg(&leaf.key)
            .args(["--public-url", &format!("https://{HOST}:0")])
            .env("LIFELINE_TLS__REDIRECT_FROM", "127.0.0.1:0");
    })
    .await?;
    assert!(service.url.starts_with("https://"), "{}", service.url);
    let origin = format!("https://{HOST}:{}", service.port);

    // Nothing is trusted that should not be: a client without the CA is refused.
    let stranger = reqwest::Client::new()
        .get(format!("{}/healthz", service.url))
        .send()
        .await;
    assert!(
        stranger.is_err(),
        "an unknown CA's certificate must not pass"
    );
    let trusting = trusting_client(&ca)?;
    healthy_with_hsts(&trusting, &service.url).await?;

    // Plain HTTP sends the browser to the same place over HTTPS.
    let plain = service
        .redirect_url
        .clone()
        .ok_or_else(|| anyhow::anyhow!("no redirect listener"))?;
    let redirected = trusting
        .get(format!("{plain}/join/482913605?lang=de"))
        .send()
        .await?;
    assert_eq!(redirected.status(), 308);
    assert_eq!(
        redirected
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(format!("{origin}/join/482913605?lang=de").as_str())
    );

    let trust = Trust::with_pem(ca.pem.as_bytes())?;
    let technician = service.admin_trusting(&trust).await?;
    join_chat_and_share(&technician, &ca, &origin).await?;

    // A renewal that adds a name: before SIGHUP the name is refused, after it new
    // connections get the new certificate, while the signed-in technician goes on.
    let renewed_name = "renewed.lifeline.test";
    let by_new_name = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes())?)
        .resolve(renewed_name, ([127, 0, 0, 1], service.port).into())
        .build()?;
    let new_name_url = format!("https://{renewed_name}:{}/healthz", service.port);
    assert!(
        by_new_name.get(&new_name_url).send().await.is_err(),
        "the first certificate does not name it"
    );
    let renewed = ca.issue("renewed", &[HOST, "127.0.0.1", renewed_name])?;
    std::fs::copy(&renewed.cert, &leaf.cert)?;
    std::fs::copy(&renewed.key, &leaf.key)?;
    service.signal("HUP")?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match by_new_name.get(&new_name_url).send().await {
            Ok(response) => {
                assert_eq!(response.status(), 200);
                break;
            }
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(err) => anyhow::bail!("the renewed certificate was not served: {err}"),
        }
    }
    let after_renewal = technician.create_session(false).await?;
    assert!(
        after_renewal.join_url.starts_with(&origin),
        "the signed-in technician goes on"
    );
    Ok(())
}

#[tokio::test]
async fn a_key_that_does_not_match_its_certificate_stops_the_start_and_check_config_names_it(
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = TestCa::new(dir.path())?;
    let one = ca.issue("one", &["127.0.0.1"])?;
    let other = ca.issue("other", &["127.0.0.1"])?;
    let config = dir.path().join("lifeline.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = {:?}\n[tls]\ncert = {:?}\nkey = {:?}\n",
            dir.path().join("data"),
            one.cert,
            other.key
        ),
    )?;
    let start = tokio::process::Command::new(server_binary()?)
        .arg("--config")
        .arg(&config)
        .output()
        .await?;
    assert!(!start.status.success(), "the service must not start");
    let said = String::from_utf8_lossy(&start.stderr);
    assert!(
        said.contains("does not belong to the certificate") && said.contains("other.key"),
        "the error names the key: {said}"
    );

    let checked = lifeline_e2e::harness::check_config(&config).await?;
    assert!(!checked.status.success());
    assert!(
        String::from_utf8_lossy(&checked.stderr).contains("other.key"),
        "check-config names the key too"
    );

    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:8443\"\npublic_url = \"https://{HOST}:8443\"\n[tls]\ncert = {:?}\nkey = {:?}\n",
            one.cert, one.key
        ),
    )?;
    let checked = lifeline_e2e::harness::check_config(&config).await?;
    let out = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{out}");
    assert!(out.contains("The configuration is valid."), "{out}");
    assert!(out.contains("(they match)"), "{out}");
    Ok(())
}
