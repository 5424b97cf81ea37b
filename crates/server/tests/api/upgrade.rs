//! Upgrades: a database and files written by the previous release of the schema
//! (`tests/fixtures/release-0010`, made by `tests/e2e/upgrade.rs` with that release's
//! binary) are migrated forward at start and read back whole: the technicians sign in,
//! the sessions, their messages and their file are there. Migrations are never edited
//! once released: sqlx refuses a database whose applied migrations' checksums changed,
//! which this test would then show.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lifeline_client::ApiClient;
use lifeline_protocol::{EventData, SessionStatus};
use sha2::{Digest, Sha256};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::helpers::spawn_app_with;

const FIXTURE: &str = "tests/fixtures/release-0010";

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("fixture folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A data directory as the previous release left it.
async fn previous_release_data(dir: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let data = dir.join("data");
    copy_tree(&fixture.join("files"), &data.join("files"));
    let sql = std::fs::read_to_string(fixture.join("lifeline.sql")).expect("the fixture's SQL");
    let mut connection = SqliteConnectOptions::from_str("sqlite://")
        .expect("options")
        .filename(data.join("lifeline.db"))
        .create_if_missing(true)
        .connect()
        .await
        .expect("a new database file");
    sqlx::raw_sql(&sql)
        .execute(&mut connection)
        .await
        .expect("the fixture loads");
    connection.close().await.expect("closed");
    data
}

#[tokio::test]
async fn a_database_of_the_previous_release_migrates_forward_and_reads_back() {
    let dir = tempfile::tempdir().expect("dir");
    let data = previous_release_data(dir.path()).await;
    let app = spawn_app_with(|config| {
        config.database_url = format!("sqlite://{}", data.join("lifeline.db").display()).into();
        config.data_dir = data.clone();
    })
    .await;

    let tina = ApiClient::new(&app.url).expect("client");
    tina.login("tina@example.org", "tina's fixture password")
        .await
        .expect("a technician of the old release signs in");
    let admin = ApiClient::new(&app.url).expect("client");
    admin
        .login("admin@lifeline.local", "first admin password")
        .await
        .expect("the first admin signs in");

    let sessions = tina.sessions().await.expect("sessions");
    let ended = sessions
        .iter()
        .find(|s| s.status == SessionStatus::Ended)
        .expect("the ended session");
    assert!(
        sessions.iter().any(|s| s.id != ended.id),
        "both sessions: {sessions:?}"
    );
    let events = tina.events(ended.id, 0).await.expect("events");
    let messages: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Message { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        messages,
        [
            "Hello Erika, this is Tina.",
            "Hi Tina, the printer is offline."
        ]
    );
    let file = events
        .iter()
        .find_map(|e| match &e.data {
            EventData::FileShared { file } => Some(file.clone()),
            _ => None,
        })
        .expect("the shared file");
    let saved = dir.path().join("log.txt");
    tina.download_file(&file, &saved, |_| {})
        .await
        .expect("the old file downloads");
    let bytes = std::fs::read(&saved).expect("read");
    assert_eq!(bytes, b"fixture printer log\n".repeat(300));
    assert_eq!(hex::encode(Sha256::digest(&bytes)), file.sha256);

    // What the newer schema added works on the migrated database.
    let reply = tina
        .add_canned_reply(&lifeline_protocol::SaveCannedReply {
            title: "Restart".into(),
            text_en: "Please restart the printer.".into(),
            text_de: String::new(),
            scope: lifeline_protocol::ReplyScope::Personal,
        })
        .await
        .expect("a canned reply on the migrated database");
    assert_eq!(reply.title, "Restart");
}
