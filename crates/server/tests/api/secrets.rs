//! The server's secret lives outside the database: a copy of the database holds
//! nothing that checks a security code or signs a link, a rotation keeps what was just
//! issued working, and an older installation's secret leaves the database.

use crate::adhoc::{activate, prepare};
use crate::helpers::{spawn_app, spawn_app_with};

async fn database_bytes(app: &crate::helpers::TestApp) -> Vec<u8> {
    app.database.dump().await.expect("database dump")
}

fn key_file_hexes(app: &crate::helpers::TestApp) -> Vec<String> {
    let text = std::fs::read_to_string(lifeline_server::secrets::key_file(&app.config.data_dir))
        .expect("the key file");
    text.lines()
        .filter_map(|line| {
            line.split_once('=')
                .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        })
        .collect()
}

#[tokio::test]
async fn the_database_holds_no_secret_and_a_rotation_keeps_issued_codes_and_links_working() {
    let mut app = spawn_app().await;
    let prepared = prepare(&app, &app.technician, "erika@example.test")
        .await
        .expect("prepared");
    let session = app.new_session().await;
    let work = tempfile::tempdir().expect("dir");
    let path = work.path().join("a.txt");
    std::fs::write(&path, b"hello").expect("write");
    let file = app
        .technician
        .upload_file(session.id, &path, |_| {})
        .await
        .expect("uploaded");
    let link = app.technician.download_link(file.id).await.expect("link");

    let keys = key_file_hexes(&app);
    assert_eq!(keys.len(), 1, "one current secret");
    let database = database_bytes(&app).await;
    for key in &keys {
        assert!(
            !database.windows(key.len()).any(|w| w == key.as_bytes()),
            "the secret is not in the database"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(lifeline_server::secrets::key_file(&app.config.data_dir))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    lifeline_server::secrets::rotate(&app.config.data_dir).expect("rotated");
    app.restart().await;
    assert_eq!(key_file_hexes(&app).len(), 2, "current and previous");
    let response = app.http.get(app.api(&link.url)).send().await.expect("get");
    assert_eq!(
        response.status(),
        200,
        "a link signed before the rotation works"
    );
    activate(&app, prepared.session.id, &prepared.security_code)
        .await
        .expect("a code issued before the rotation works");
    let fresh = app.technician.download_link(file.id).await.expect("link");
    assert_ne!(fresh.url, link.url);
    let response = app.http.get(app.api(&fresh.url)).send().await.expect("get");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_older_installations_secret_leaves_the_database() {
    let dir = tempfile::tempdir().expect("dir");
    let legacy = "ab".repeat(32);
    {
        let store = lifeline_server::store::Store::connect(&format!(
            "sqlite://{}",
            dir.path().join("lifeline.db").display()
        ))
        .await
        .expect("store");
        store
            .insert_legacy_setting("link_secret", &legacy)
            .await
            .expect("kept");
        store.close().await;
    }
    let data_dir = dir.path().to_owned();
    let app = spawn_app_with(move |c| {
        c.data_dir = data_dir.clone();
        c.database_url = format!("sqlite://{}", data_dir.join("lifeline.db").display()).into();
    })
    .await;
    assert_eq!(
        app.state()
            .store
            .setting("link_secret")
            .await
            .expect("read"),
        None,
        "gone from the database"
    );
    assert!(
        key_file_hexes(&app).contains(&legacy),
        "kept as the previous key, so what it signed still verifies"
    );
    drop(dir);
}
