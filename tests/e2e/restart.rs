use std::time::Duration;

use lifeline_client::{ApiClient, RealtimeClient, RealtimeEvent, RealtimeOptions};
use lifeline_protocol::{EventData, Party};
use uuid::Uuid;

use lifeline_e2e::harness::ServiceProcess;

/// Collects the other party's chat texts until `count` arrived; fails on a duplicate seq.
async fn collect_texts(rt: &mut RealtimeClient, from: Party, count: usize) -> Vec<String> {
    let mut seqs = std::collections::HashSet::new();
    let mut texts = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while texts.len() < count {
        let event = tokio::time::timeout_at(deadline, rt.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "only {} of {count} messages arrived: {texts:?}",
                    texts.len()
                )
            })
            .expect("stream open");
        if let RealtimeEvent::Event(event) = event {
            assert!(
                seqs.insert(event.seq),
                "seq {} was delivered twice",
                event.seq
            );
            if let EventData::Message {
                from: sender, text, ..
            } = event.data
            {
                if sender == from {
                    texts.push(text);
                }
            }
        }
    }
    texts
}

/// A message is acknowledged when the send returns; keep trying across the outage with
/// the same client id, as a real client does.
pub(crate) async fn send_acknowledged(client: &ApiClient, session: Uuid, text: &str) {
    let client_id = Uuid::new_v4();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match client.send_message(session, client_id, text).await {
            Ok(_) => return,
            Err(err) if err.is_transient() && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => panic!("sending {text:?} failed: {err}"),
        }
    }
}

#[tokio::test]
async fn a_killed_service_comes_back_and_both_sides_resume_with_nothing_lost_or_doubled(
) -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let service = ServiceProcess::start(data.path(), 0).await?;
    let port = service.port;
    let technician = service.admin().await?;
    let session = technician.create_session(false).await?;
    let end_user = ApiClient::new(&service.url)?;
    end_user
        .join(session.support_key.as_str(), Some("Erika"))
        .await?;
    let mut technician_rt = RealtimeClient::connect(technician.clone(), RealtimeOptions::default());
    let mut end_user_rt = RealtimeClient::connect(end_user.clone(), RealtimeOptions::default());

    let mut from_technician = Vec::new();
    let mut from_end_user = Vec::new();
    let mut service = Some(service);
    for round in 0..10 {
        if round == 5 {
            // Mid-chat: kill -9, then start again on the same port and database.
            service.take().expect("running").kill().await?;
            let send_during_outage = {
                let technician = technician.clone();
                tokio::spawn(async move {
                    send_acknowledged(&technician, session.id, "sent while down").await
                })
            };
            tokio::time::sleep(Duration::from_millis(300)).await;
            service = Some(ServiceProcess::start(data.path(), port).await?);
            send_during_outage.await?;
            from_technician.push("sent while down".to_owned());
        }
        let text = format!("technician {round}");
        send_acknowledged(&technician, session.id, &text).await;
        from_technician.push(text);
        let text = format!("end user {round}");
        send_acknowledged(&end_user, session.id, &text).await;
        from_end_user.push(text);
    }

    let seen_by_end_user =
        collect_texts(&mut end_user_rt, Party::Technician, from_technician.len()).await;
    let seen_by_technician =
        collect_texts(&mut technician_rt, Party::EndUser, from_end_user.len()).await;
    assert_eq!(
        seen_by_end_user, from_technician,
        "the end user got every technician message once, in order"
    );
    assert_eq!(
        seen_by_technician, from_end_user,
        "the technician got every end-user message once, in order"
    );

    let stored = technician.events(session.id, 0).await?;
    let messages = stored
        .iter()
        .filter(|e| matches!(e.data, EventData::Message { .. }))
        .count();
    assert_eq!(
        messages,
        from_technician.len() + from_end_user.len(),
        "each message stored exactly once"
    );
    service.take().expect("running").terminate().await?;
    Ok(())
}
