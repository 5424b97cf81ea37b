//! Event numbers stay whole when several writers, on separate connection pools as
//! separate nodes would hold them, append to one session at once: every message gets
//! its own `seq`, none is lost as a false duplicate, the numbers have no gap, and a
//! resend racing its original is stored once. Run with `LIFELINE_TEST_DATABASE_URL` it
//! proves this on PostgreSQL, where a `MAX(seq) + 1` insert would drop messages.
//!
//! Also what else many requests at once share: group commits, where a failing append
//! fails alone; grouped look-ups, where each request gets its own answer; and the
//! lease that runs a job once per cluster.

use std::collections::HashSet;

use futures_util::future::try_join_all;
use lifeline_protocol::{EventData, Party};
use lifeline_server::store::Store;
use uuid::Uuid;

use crate::helpers::spawn_app;

const NODES: usize = 4;
const WRITERS_PER_NODE: usize = 8;
const MESSAGES_PER_WRITER: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_several_pools_get_every_number_once() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let _ = app.end_user(&session).await;
    let mut nodes = Vec::new();
    for _ in 0..NODES {
        nodes.push(
            Store::connect(app.database.url())
                .await
                .expect("a node's pool"),
        );
    }
    let before = app
        .state()
        .store
        .events_since(session.id, 0, 10_000)
        .await
        .expect("events")
        .len();

    // Each message is sent twice at once, as a client resending on a reconnect would.
    let writers = nodes.iter().enumerate().flat_map(|(node, store)| {
        (0..WRITERS_PER_NODE).map(move |writer| {
            let store = store.clone();
            async move {
                for n in 0..MESSAGES_PER_WRITER {
                    let client_id = Uuid::new_v4();
                    let data = EventData::Message {
                        from: Party::Technician,
                        client_id,
                        text: format!("{node}-{writer}-{n}"),
                    };
                    let send = || {
                        store.append_event(
                            session.id,
                            Some(Party::Technician),
                            Some(client_id),
                            &data,
                            1,
                        )
                    };
                    let (first, resend) = tokio::join!(send(), send());
                    let (first, resend) = (first?, resend?);
                    assert_eq!(first.event.seq, resend.event.seq, "one copy per client id");
                    assert_ne!(
                        first.created, resend.created,
                        "exactly one of them stored it"
                    );
                }
                anyhow::Ok(())
            }
        })
    });
    try_join_all(writers).await.expect("every append succeeds");

    let events = app
        .state()
        .store
        .events_since(session.id, 0, 10_000)
        .await
        .expect("events");
    let sent = NODES * WRITERS_PER_NODE * MESSAGES_PER_WRITER;
    assert_eq!(events.len(), before + sent, "no message lost, none doubled");
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event.seq, index as u64 + 1, "numbers run without a gap");
    }
    let texts: HashSet<String> = events
        .iter()
        .filter_map(|event| match &event.data {
            EventData::Message { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(texts.len(), sent, "every message is there once");
}

/// Appends that wait together are stored in one transaction (a group commit). One that
/// can't be stored, for a session that does not exist, fails alone: the others in its
/// batch are stored, numbered without a gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_append_fails_alone_in_its_group_commit() {
    let app = spawn_app().await;
    let session = app.new_session().await;
    let _ = app.end_user(&session).await;
    let store = &app.state().store;
    let before = store
        .events_since(session.id, 0, 10_000)
        .await
        .expect("events")
        .len();
    let message = |n: usize| EventData::Message {
        from: Party::Technician,
        client_id: Uuid::new_v4(),
        text: format!("message {n}"),
    };
    let appends = (0..64).map(|n| {
        // Every eighth goes to a session nobody created.
        let target = if n % 8 == 0 {
            Uuid::new_v4()
        } else {
            session.id
        };
        let data = message(n);
        async move {
            store
                .append_event(target, Some(Party::Technician), None, &data, 1)
                .await
                .map(|outcome| outcome.event.seq)
        }
    });
    let outcomes = futures_util::future::join_all(appends).await;
    for (n, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome.is_err(), n % 8 == 0, "append {n}: {outcome:?}");
    }
    let events = store
        .events_since(session.id, 0, 10_000)
        .await
        .expect("events");
    assert_eq!(events.len(), before + 56, "every good append is stored");
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event.seq, index as u64 + 1, "numbers run without a gap");
    }
}

/// Jobs that run once per cluster follow a lease: one holder at a time, renewed by
/// its holder, taken over when it runs out.
#[tokio::test]
async fn a_lease_has_one_holder_until_it_runs_out() {
    let app = spawn_app().await;
    let node_a = Store::connect(app.database.url()).await.expect("node a");
    let node_b = Store::connect(app.database.url()).await.expect("node b");
    let taken = |store: &Store, holder: &'static str, now: i64| {
        let store = store.clone();
        async move {
            store
                .take_lease("test-job", holder, now, 90_000)
                .await
                .expect("lease")
        }
    };
    let (a, b) = tokio::join!(taken(&node_a, "a", 1_000), taken(&node_b, "b", 1_000));
    assert!(a != b, "exactly one of two racing nodes holds it");
    let (holder, other, other_store) = if a {
        ("a", "b", &node_b)
    } else {
        ("b", "a", &node_a)
    };
    let holder_store = if a { &node_a } else { &node_b };
    assert!(
        taken(holder_store, holder, 60_000).await,
        "its holder renews it"
    );
    assert!(
        !taken(other_store, other, 149_000).await,
        "renewed until 150 s"
    );
    assert!(
        taken(other_store, other, 150_000).await,
        "taken over once it ran out"
    );
    assert!(
        !taken(holder_store, holder, 150_001).await,
        "the old holder lost it"
    );
}

/// Look-ups that every request makes (the technician behind a token, a session) are
/// answered in groups on SQLite. Many requests at once, from several technicians and
/// one signed out, each get their own answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn grouped_look_ups_answer_each_request_with_its_own_record() {
    let app = spawn_app().await;
    let mut technicians = vec![app.technician.clone()];
    for n in 0..3 {
        technicians.push(
            app.add_technician(&format!("grouped-{n}@acme.test"), false)
                .await,
        );
    }
    let mut sessions = Vec::new();
    for technician in &technicians {
        sessions.push(technician.create_session(false).await.expect("session").id);
    }
    let signed_out = app.add_technician("signed-out@acme.test", false).await;
    let emails: Vec<String> = futures_util::future::join_all(
        technicians
            .iter()
            .map(|technician| async move { technician.me().await.expect("profile").email }),
    )
    .await;
    let spent = signed_out
        .access_token()
        .await
        .expect("token")
        .expose()
        .to_owned();
    signed_out.logout().await.expect("signs out");
    let me = app.api("/api/v1/me");

    let (technicians, sessions, emails, spent) = (&technicians, &sessions, &emails, &spent);
    let asks = (0..200).map(|n| {
        let which = n % technicians.len();
        let (technician, session_id, email) =
            (&technicians[which], sessions[which], &emails[which]);
        let (app, me) = (&app, &me);
        async move {
            if n % 10 == 0 {
                let refused = app
                    .http
                    .get(me.as_str())
                    .bearer_auth(spent)
                    .send()
                    .await
                    .expect("answered");
                assert_eq!(refused.status(), 401, "a spent token is refused");
            }
            assert_eq!(&technician.me().await.expect("profile").email, email);
            let session = technician.session(session_id).await.expect("own session");
            assert_eq!(session.id, session_id);
            let other = sessions[(which + 1) % sessions.len()];
            let refused = technician.session(other).await.expect_err("not theirs");
            assert_eq!(
                crate::helpers::code(refused),
                lifeline_protocol::ErrorCode::NotFound
            );
        }
    });
    futures_util::future::join_all(asks).await;
}

/// On SQLite no commit checkpoints the WAL (an append would wait behind it); a task of
/// the store's own copies it into the database file within about a second. A copy of
/// the file alone, without its WAL, shows the messages.
#[tokio::test]
async fn stored_messages_reach_the_sqlite_file_itself_without_a_commit_checkpointing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("own.db");
    let url = format!("sqlite://{}", file.display());
    let app =
        crate::helpers::spawn_app_with(|config| config.database_url = url.as_str().into()).await;
    let session = app.new_session().await;
    let _ = app.end_user(&session).await;
    for n in 0..20 {
        app.technician
            .send_message(session.id, Uuid::new_v4(), &format!("checkpointed {n}"))
            .await
            .expect("sent");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let copy = dir.path().join("copy.db");
        std::fs::copy(&file, &copy).expect("file copied without its WAL");
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", copy.display()))
            .await
            .expect("the copy opens");
        let in_file: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE data LIKE '%checkpointed%'")
                .fetch_one(&pool)
                .await
                // Before the first checkpoint the file has no tables yet.
                .unwrap_or(0);
        pool.close().await;
        if in_file == 20 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{in_file} of 20 messages in the file itself"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
