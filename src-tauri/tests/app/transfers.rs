//! File transfers through the commands, against a real service: an upload cancelled
//! while it runs.

use lifeline_client::desk::{DeskEvent, TransferState, TransferUpdate};
use lifeline_client::protocol::{EventData, SessionEvent};
use serde_json::json;
use uuid::Uuid;

use crate::support::{service, Fakes, MockApp};

fn update_of(event: &DeskEvent, id: Uuid) -> Option<&TransferUpdate> {
    match event {
        DeskEvent::Transfer { transfer } if transfer.id == id => Some(transfer),
        _ => None,
    }
}

#[test]
fn cancelling_an_upload_in_progress_stops_it_and_leaves_nothing_on_the_service(
) -> anyhow::Result<()> {
    let service = service()?;
    let app = MockApp::signed_in(&service, &Fakes::default())?;
    let session = app.joined_session(&service)?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("disk-image.bin");
    // Sparse, so the test writes nothing to disk, yet far too big to finish before the
    // cancel arrives.
    std::fs::File::create(&path)?.set_len(1 << 30)?;

    let id: Uuid = app.ok(
        "send_file",
        json!({ "sessionId": session.id, "path": path }),
    )?;
    let running = app.wait_event("upload progress", |e| {
        update_of(e, id).filter(|t| t.done > 0).cloned()
    })?;
    app.ok::<()>("cancel_transfer", json!({ "transferId": id }))?;
    assert!(
        running.done < running.total,
        "the cancel came while bytes were still going up: {running:?}"
    );
    app.wait_event("the cancelled state", |e| {
        update_of(e, id)
            .filter(|t| t.state == TransferState::Cancelled)
            .map(drop)
    })?;

    let events: Vec<SessionEvent> = app.ok(
        "session_events",
        json!({ "sessionId": session.id, "since": 0 }),
    )?;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.data, EventData::FileShared { .. })),
        "the end user is never offered the file"
    );
    let uploads = service
        .data_dir()
        .join("files")
        .join(session.id.to_string());
    let left: Vec<_> = std::fs::read_dir(&uploads)
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "the partial upload is deleted on the service: {left:?}"
    );
    assert!(
        !app.events()
            .iter()
            .filter_map(|e| update_of(e, id))
            .any(|t| t.state == TransferState::Done),
        "a cancelled upload is never reported done"
    );
    let error = app
        .invoke::<()>("cancel_transfer", json!({ "transferId": id }))?
        .expect_err("a cancelled transfer is gone");
    assert_eq!(error["code"], "unknown_transfer", "{error}");
    Ok(())
}
