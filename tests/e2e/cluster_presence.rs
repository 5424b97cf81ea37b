//! A node dies with a party's socket, and that party never comes back: the other side,
//! connected to another node, is told it went offline once no node vouches for it.

use std::time::Duration;

use anyhow::Context;
use lifeline_client::{ApiClient, RealtimeClient, RealtimeEvent, RealtimeOptions};
use lifeline_protocol::Party;
use uuid::Uuid;

use crate::cluster::TestCluster;

/// The next presence of `party` in `session_id` this realtime client hears.
async fn next_presence(
    realtime: &mut RealtimeClient,
    session_id: Uuid,
    party: Party,
    within: Duration,
) -> anyhow::Result<bool> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let event = tokio::time::timeout_at(deadline, realtime.next())
            .await
            .context("no presence frame in time")?
            .context("the realtime client ended")?;
        if let RealtimeEvent::Presence {
            session_id: id,
            party: who,
            online,
        } = event
        {
            if id == session_id && who == party {
                return Ok(online);
            }
        }
    }
}

/// A node dies with the end user's socket, and the end user never comes back: the
/// technician, on another node, hears that the end user went offline once no node has
/// vouched for them for 15 s, without reconnecting.
#[tokio::test]
async fn a_peer_whose_node_dies_goes_offline_for_the_other_side() -> anyhow::Result<()> {
    let mut cluster = TestCluster::start().await?;
    let (technician, end_user, session) = cluster.session_through_balancer().await?;
    let mut technician_reads =
        RealtimeClient::connect(technician.clone(), RealtimeOptions::default());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let technician_node = loop {
        if let Ok(index) = cluster.node_holding("technician").await {
            break index;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "no technician socket"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The end user's socket goes straight to another node, so it can't come back
    // through the balancer once that node is dead.
    let doomed = (technician_node + 1) % cluster.node_count();
    let direct = ApiClient::new(&cluster.node_url(doomed))?;
    direct
        .use_end_user_token(end_user.access_token().await?.expose(), session.id)
        .await;
    let _end_user_reads = RealtimeClient::connect(direct, RealtimeOptions::default());
    while !next_presence(
        &mut technician_reads,
        session.id,
        Party::EndUser,
        Duration::from_secs(15),
    )
    .await?
    {}

    cluster.kill(doomed).await?;
    let online = next_presence(
        &mut technician_reads,
        session.id,
        Party::EndUser,
        Duration::from_secs(40),
    )
    .await?;
    assert!(!online, "the end user shows offline");
    Ok(())
}
