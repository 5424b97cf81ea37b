//! The page an ad-hoc invitation links to: in the browser's language, with a download
//! for every agent build the service has, every value escaped, and a plain "no longer
//! valid" once the session is over.

use lifeline_client::ApiClient;
use lifeline_protocol::NewTechnician;

use crate::adhoc::prepare;
use crate::helpers::{spawn_app_with, PASSWORD};

async fn page(app: &crate::helpers::TestApp, path: &str, language: &str) -> String {
    let response = app
        .http
        .get(format!("{}{path}", app.url))
        .header("accept-language", language)
        .send()
        .await
        .expect("page");
    assert_eq!(response.status(), 200);
    response.text().await.expect("body")
}

#[tokio::test]
async fn the_invitation_page_lists_the_downloads_in_the_browsers_language() {
    let agents = tempfile::tempdir().expect("agents");
    for name in [
        "lifeline-agent-linux-x86_64",
        "lifeline-agent-windows-x86_64.exe",
    ] {
        std::fs::write(agents.path().join(name), b"agent").expect("agent build");
    }
    let agents_dir = agents.path().to_owned();
    let app = spawn_app_with(|config| config.agents_dir = agents_dir).await;
    lifeline_server::admin::add_technician(
        &app.state().store,
        "Acme IT",
        NewTechnician {
            email: "mallory@acme.test".into(),
            display_name: "Mallory <script>alert(1)</script> & Co".into(),
            password: PASSWORD.into(),
            is_admin: false,
        },
        app.state().now(),
    )
    .await
    .expect("technician added");
    let technician = ApiClient::new(&app.url).expect("client");
    technician
        .login("mallory@acme.test", PASSWORD)
        .await
        .expect("signs in");
    let prepared = prepare(&app, &technician, "erika@example.test")
        .await
        .expect("prepared");
    let path = format!("/adhoc/{}", prepared.session.id);

    let english = page(&app, &path, "en-GB,en;q=0.9").await;
    assert!(english.contains("<html lang=\"en\""), "{english}");
    assert!(
        english.contains(
            "Ad hoc support with Mallory &#60;script&#62;alert(1)&#60;/script&#62; &#38; Co"
        ),
        "the name, escaped: {english}"
    );
    assert!(!english.contains("<script>"), "nothing of the name runs");
    for platform in ["linux-x86_64", "windows-x86_64"] {
        assert!(
            english.contains(&format!("href=\"{path}/agent/{platform}\" download")),
            "a download for {platform}: {english}"
        );
    }
    assert!(english.contains("Enter the security code"));

    let german = page(&app, &path, "de-AT,de;q=0.9").await;
    assert!(german.contains("<html lang=\"de\""));
    assert!(
        german.contains("Laden Sie die Supportsitzungs-App herunter"),
        "{german}"
    );

    technician
        .end_adhoc(prepared.session.id)
        .await
        .expect("ended");
    let over = page(&app, &path, "en").await;
    assert!(over.contains("This link is no longer valid"), "{over}");
    assert!(!over.contains("/agent/"), "no downloads any more");
}
