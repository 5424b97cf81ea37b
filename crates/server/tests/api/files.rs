use std::io::Write;

use futures_util::stream;
use lifeline_protocol::{ErrorCode, EventData, Party, UPLOAD_OFFSET_HEADER};
use sha2::{Digest, Sha256};

use crate::helpers::{code, realtime, spawn_app, spawn_app_with, wait_for_event};

fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn write_temp(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write sample");
    path
}

/// One append as a plain HTTP request, to send what the client library never would.
async fn append_raw(
    app: &crate::helpers::TestApp,
    upload_url: &str,
    offset: u64,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let token = app.technician.access_token().await.expect("token");
    app.http
        .patch(app.api(upload_url))
        .bearer_auth(token.expose())
        .header(UPLOAD_OFFSET_HEADER, offset)
        .header("content-type", "application/offset+octet-stream")
        .body(body)
        .send()
        .await
        .expect("request")
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test]
async fn files_travel_both_ways_with_equal_checksums() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let (end_user, joined) = app.end_user(&session).await;
    let mut end_user_rt = realtime(&end_user);
    let work = tempfile::tempdir().expect("dir");

    let report = sample(3 * 1024 * 1024 + 17);
    let path = write_temp(work.path(), "report.pdf", &report);
    let progress = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = progress.clone();
    let shared = app
        .technician
        .upload_file(session.id, &path, move |p| {
            seen.lock().expect("lock").push(p.done)
        })
        .await
        .expect("uploaded");
    assert_eq!(shared.sha256, sha256(&report));
    assert_eq!(
        progress.lock().expect("lock").last().copied(),
        Some(report.len() as u64),
        "progress reaches 100%"
    );

    let offered = wait_for_event(&mut end_user_rt, "the file", |e| {
        matches!(e.data, EventData::FileShared { .. })
    })
    .await;
    let EventData::FileShared { file } = offered.data else {
        unreachable!()
    };
    assert_eq!(file.from, Party::Technician);
    let dest = work.path().join("downloaded.pdf");
    end_user
        .download_file(&file, &dest, |_| {})
        .await
        .expect("downloaded");
    assert_eq!(
        sha256(&std::fs::read(&dest).expect("read")),
        file.sha256,
        "same bytes arrived"
    );

    let photo = sample(100_000);
    let photo_path = write_temp(work.path(), "screen.png", &photo);
    let from_user = end_user
        .upload_file(joined.session_id, &photo_path, |_| {})
        .await
        .expect("uploaded");
    assert_eq!(from_user.from, Party::EndUser);
    let back = work.path().join("back.png");
    app.technician
        .download_file(&from_user, &back, |_| {})
        .await
        .expect("downloaded");
    assert_eq!(std::fs::read(&back).expect("read"), photo);
}

#[tokio::test]
async fn an_interrupted_upload_resumes_from_the_last_stored_byte() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    app.end_user(&session).await;
    let work = tempfile::tempdir().expect("dir");
    let bytes = sample(2 * 1024 * 1024);
    let path = write_temp(work.path(), "big.bin", &bytes);
    let created = app
        .technician
        .create_upload(session.id, "big.bin", bytes.len() as u64, &sha256(&bytes))
        .await
        .expect("created");

    // Send the first megabyte, then break the connection mid-body.
    let first_half = bytes[..1024 * 1024].to_vec();
    let body = stream::iter(vec![
        Ok::<_, std::io::Error>(bytes::Bytes::from(first_half)),
        Err(std::io::Error::other("cable pulled")),
    ]);
    let token = app.technician.access_token().await.expect("token");
    let broken = app
        .http
        .patch(app.api(&created.upload_url))
        .bearer_auth(token.expose())
        .header(UPLOAD_OFFSET_HEADER, 0)
        .header("content-type", "application/offset+octet-stream")
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await;
    assert!(broken.is_err(), "the request failed mid-way");

    // Wait until the service has stored what arrived and the offset stops moving.
    let mut offset = 0;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let now = app
            .technician
            .upload_offset(created.file_id)
            .await
            .expect("HEAD");
        if now > 0 && now == offset {
            break;
        }
        offset = now;
    }
    assert!(
        offset > 0 && offset <= 1024 * 1024,
        "the service kept the bytes that arrived: {offset}"
    );

    let done = app
        .technician
        .continue_upload(created.file_id, &path, |_| {})
        .await
        .expect("resumed");
    assert_eq!(done.sha256, sha256(&bytes));
    let dest = work.path().join("check.bin");
    app.technician
        .download_file(&done, &dest, |_| {})
        .await
        .expect("downloaded");
    assert_eq!(
        std::fs::read(&dest).expect("read"),
        bytes,
        "resumed file is whole and correct"
    );
}

#[tokio::test]
async fn a_wrong_checksum_is_refused_and_nothing_is_shared() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    app.end_user(&session).await;
    let bytes = sample(1000);
    let created = app
        .technician
        .create_upload(session.id, "x.bin", 1000, &sha256(b"other"))
        .await
        .expect("created");
    let response = append_raw(&app, &created.upload_url, 0, bytes).await;
    assert_eq!(response.status(), 422);
    let error: lifeline_protocol::ApiError = response.json().await.expect("typed error");
    assert_eq!(error.code, ErrorCode::ChecksumMismatch);
    let events = app.technician.events(session.id, 0).await.expect("events");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.data, EventData::FileShared { .. })),
        "a damaged file is not offered"
    );
    assert_eq!(
        code(
            app.technician
                .upload_offset(created.file_id)
                .await
                .expect_err("deleted")
        ),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn uploads_over_the_limit_and_past_their_size_are_refused() {
    let app = spawn_app_with(|c| c.limits.max_upload_bytes = 1000).await;
    let session = app.new_session().await;
    let err = app
        .technician
        .create_upload(session.id, "big", 1001, &sha256(b""))
        .await
        .expect_err("too big");
    assert_eq!(code(err), ErrorCode::PayloadTooLarge);
    let err = app
        .technician
        .create_upload(session.id, "bad", 10, "nothex")
        .await
        .expect_err("bad hash");
    assert_eq!(code(err), ErrorCode::InvalidInput);

    let created = app
        .technician
        .create_upload(session.id, "small", 10, &sha256(&[0; 10]))
        .await
        .expect("created");
    let response = append_raw(&app, &created.upload_url, 0, vec![0u8; 20]).await;
    assert_eq!(
        response.status(),
        413,
        "bytes past the announced size are refused"
    );
    let response = append_raw(&app, &created.upload_url, 3, vec![0u8; 2]).await;
    assert_eq!(
        response.status(),
        409,
        "a wrong offset is a conflict that names the right one"
    );
}

#[tokio::test]
async fn downloads_support_ranges_safe_names_and_expiring_links() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let (end_user, _) = app.end_user(&session).await;
    let work = tempfile::tempdir().expect("dir");
    let bytes = sample(10_000);
    let path = write_temp(work.path(), "plain.txt", &bytes);
    let created = app
        .technician
        .create_upload(
            session.id,
            "../../etc/\u{202e}passwd\"; x=.txt",
            bytes.len() as u64,
            &sha256(&bytes),
        )
        .await
        .expect("created");
    let file = app
        .technician
        .continue_upload(created.file_id, &path, |_| {})
        .await
        .expect("uploaded");
    assert_eq!(
        file.name, "passwd; x=.txt",
        "path parts, direction marks and quotes are gone"
    );

    let link = end_user.download_link(file.id).await.expect("link");
    let response = app
        .http
        .get(app.api(&link.url))
        .header("range", "bytes=100-199")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 206);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"passwd_ x_.txt\""),
        "{disposition}"
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        &bytes[100..200]
    );

    let tampered = link.url.replace("ticket=", "ticket=1");
    let response = app.http.get(app.api(&tampered)).send().await.expect("get");
    assert_eq!(
        response.status(),
        403,
        "a forged ticket does not open the file"
    );
    let no_auth = app
        .http
        .get(app.api(&format!("/api/v1/files/{}/content", file.id)))
        .send()
        .await
        .expect("get");
    assert_eq!(no_auth.status(), 401);

    app.clock.advance(std::time::Duration::from_secs(6 * 60));
    let expired = app.http.get(app.api(&link.url)).send().await.expect("get");
    assert_eq!(expired.status(), 403, "links expire after five minutes");
}

#[tokio::test]
async fn files_of_another_session_cannot_be_reached() {
    let app = spawn_app().await;
    let first = app.new_session().await;
    let second = app.new_session().await;
    let (stranger, _) = app.end_user(&second).await;
    let work = tempfile::tempdir().expect("dir");
    let path = write_temp(work.path(), "secret.txt", b"secret");
    let file = app
        .technician
        .upload_file(first.id, &path, |_| {})
        .await
        .expect("uploaded");
    let err = stranger
        .download_link(file.id)
        .await
        .expect_err("not their session");
    assert_eq!(code(err), ErrorCode::NotFound);
}

/// A range past the end is a typed 416 naming the size; a range that cannot be parsed
/// is ignored and the whole file comes back (RFC 9110 §14.2).
#[tokio::test]
async fn ranges_past_the_end_are_typed_and_unparseable_ones_ignored() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let work = tempfile::tempdir().expect("dir");
    let bytes = sample(1_000);
    let path = write_temp(work.path(), "r.bin", &bytes);
    let file = app
        .technician
        .upload_file(session.id, &path, |_| {})
        .await
        .expect("uploaded");
    let link = app.technician.download_link(file.id).await.expect("link");
    let get = |range: &'static str| {
        app.http
            .get(app.api(&link.url))
            .header("range", range)
            .send()
    };

    let past_end = get("bytes=5000-6000").await.expect("sent");
    assert_eq!(past_end.status(), 416);
    assert_eq!(past_end.headers()["content-range"], "bytes */1000");
    let error: lifeline_protocol::ApiError = past_end.json().await.expect("typed body");
    assert_eq!(error.code, ErrorCode::RangeNotSatisfiable);

    for garbage in ["bytes=abc", "pages=1-2", "bytes=10-5", "bytes="] {
        let whole = get(garbage).await.expect("sent");
        assert_eq!(whole.status(), 200, "{garbage} is ignored");
        assert_eq!(whole.bytes().await.expect("body").as_ref(), &bytes[..]);
    }
}

/// Everything in the data directory is the service's alone: what an older installation
/// left open is tightened at start, and what it creates is private from the start.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_database_and_uploads_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app_with(|c| {
        let open = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(&c.data_dir, open).expect("chmod");
        let left = c.data_dir.join("files/old-session");
        std::fs::create_dir_all(&left).expect("mkdir");
        std::fs::write(left.join("old-upload"), b"old").expect("write");
        std::fs::set_permissions(
            left.join("old-upload"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
    })
    .await;
    let session = app.new_session().await;
    let work = tempfile::tempdir().expect("dir");
    let path = write_temp(work.path(), "new.bin", &sample(5000));
    app.technician
        .upload_file(session.id, &path, |_| {})
        .await
        .expect("uploaded");
    let mut seen = (0, 0);
    let mut pending = vec![app.config.data_dir.clone()];
    while let Some(path) = pending.pop() {
        let metadata = std::fs::symlink_metadata(&path).expect("metadata");
        let mode = metadata.permissions().mode() & 0o777;
        if metadata.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            seen.0 += 1;
            for entry in std::fs::read_dir(&path).expect("read dir") {
                pending.push(entry.expect("entry").path());
            }
        } else {
            assert_eq!(mode, 0o600, "{}", path.display());
            seen.1 += 1;
        }
    }
    assert!(
        seen.0 >= 4 && seen.1 >= 3,
        "the database, the old and the new upload were checked: {seen:?}"
    );
}

async fn announce(
    app: &crate::helpers::TestApp,
    session_id: uuid::Uuid,
    size: u64,
) -> Result<(), (u16, lifeline_protocol::ApiError)> {
    let token = app.technician.access_token().await.expect("token");
    let response = app
        .http
        .post(app.api(&format!("/api/v1/sessions/{session_id}/files")))
        .bearer_auth(token.expose())
        .json(&serde_json::json!({"name": "big.bin", "size": size, "sha256": "a".repeat(64)}))
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    if response.status().is_success() {
        Ok(())
    } else {
        Err((status, response.json().await.expect("typed error")))
    }
}

/// Announcements count against the session's and the service's quota, typed 413s.
#[tokio::test]
async fn announcements_past_a_session_or_service_quota_are_refused() {
    let app = spawn_app_with(|c| {
        c.limits.max_session_upload_bytes = 10_000;
        c.limits.max_total_upload_bytes = 15_000;
        c.limits.min_free_disk_bytes = 0;
    })
    .await;
    let first = app.new_session().await;
    announce(&app, first.id, 6_000).await.expect("fits");
    let (status, error) = announce(&app, first.id, 5_000)
        .await
        .expect_err("past the session's quota");
    assert_eq!((status, error.code), (413, ErrorCode::QuotaExceeded));
    assert!(error.message.contains("session"), "{}", error.message);
    let second = app.new_session().await;
    announce(&app, second.id, 6_000).await.expect("fits");
    let (status, error) = announce(&app, second.id, 4_000)
        .await
        .expect_err("past the service's quota");
    assert_eq!((status, error.code), (413, ErrorCode::QuotaExceeded));
    assert!(error.message.contains("service"), "{}", error.message);
}

/// Fifty 2 GiB announcements are not all taken: the defaults stop them well before.
#[tokio::test]
async fn fifty_two_gib_announcements_are_not_all_accepted() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let mut accepted = 0;
    for _ in 0..50 {
        match announce(&app, session.id, 2 * 1024 * 1024 * 1024).await {
            Ok(()) => accepted += 1,
            Err((_, error)) => assert!(
                matches!(
                    error.code,
                    ErrorCode::QuotaExceeded | ErrorCode::InsufficientStorage
                ),
                "{error:?}"
            ),
        }
    }
    assert!(accepted <= 5, "{accepted} accepted");
}

/// The free space of the real disk is checked before an upload is accepted.
#[tokio::test]
async fn an_upload_the_disk_has_no_room_for_is_refused_before_it_starts() {
    let app = spawn_app_with(|c| c.limits.min_free_disk_bytes = u64::MAX / 2).await;
    let session = app.new_session().await;
    let (status, error) = announce(&app, session.id, 1_000)
        .await
        .expect_err("no room");
    assert_eq!((status, error.code), (507, ErrorCode::InsufficientStorage));
    assert!(error.message.contains("disk"), "{}", error.message);
}

/// Thirty days after a session ended its files are deleted, the transcript says so,
/// and their links stop working.
#[tokio::test]
async fn files_are_deleted_thirty_days_after_their_session_ended() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let work = tempfile::tempdir().expect("dir");
    let path = write_temp(work.path(), "log.txt", &sample(3000));
    let file = app
        .technician
        .upload_file(session.id, &path, |_| {})
        .await
        .expect("uploaded");
    let on_disk = app
        .config
        .data_dir
        .join("files")
        .join(session.id.to_string())
        .join(file.id.to_string());
    assert!(on_disk.exists());
    app.technician.end_session(session.id).await.expect("ended");

    app.clock
        .advance(std::time::Duration::from_secs(29 * 86_400));
    assert_eq!(
        lifeline_server::files::expire_old_files(app.state())
            .await
            .expect("ran"),
        0,
        "kept for thirty days"
    );
    assert!(on_disk.exists());
    app.clock
        .advance(std::time::Duration::from_secs(2 * 86_400));
    assert_eq!(
        lifeline_server::files::expire_old_files(app.state())
            .await
            .expect("ran"),
        1
    );
    assert!(!on_disk.exists(), "the bytes are gone");
    // A month on, the technician signs in again.
    let technician = lifeline_client::ApiClient::new(&app.url).expect("client");
    technician
        .login("tech@acme.test", crate::helpers::PASSWORD)
        .await
        .expect("signs in");
    let err = technician
        .download_link(file.id)
        .await
        .expect_err("no more links");
    assert_eq!(code(err), ErrorCode::NotFound);
    let events = technician.events(session.id, 0).await.expect("events");
    assert!(events.iter().any(|e| matches!(
        e.data,
        EventData::FilesExpired {
            count: 1,
            after_days: 30
        }
    )));
    let text = technician
        .transcript_text(session.id)
        .await
        .expect("transcript");
    assert!(
        text.contains("1 file(s) of this session were deleted, 30 days after it ended"),
        "{text}"
    );
    assert!(text.contains("log.txt"), "the file's record stays: {text}");
}
