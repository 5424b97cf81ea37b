//! Presence on a realtime connection: telling the other side this one came or went,
//! and telling this client who of the other side is connected (at the start, and when
//! a peer's node died).

use lifeline_protocol::{Party, ServerFrame};
use uuid::Uuid;

use super::hub::Live;
use super::socket::{send_frame, Connection, Peer, SocketError};
use crate::cluster::PresenceKind;
use crate::error::AppError;

impl Connection {
    /// Tells the other side of each of this connection's sessions that it came or went.
    pub(super) fn announce_presence(&self, online: bool) {
        let party = self.peer.party();
        for &session_id in self.sent.keys() {
            let presence = Live::Presence {
                session_id,
                party,
                online,
            };
            self.state.hub.publish(self.peer.technician_id(), presence);
        }
    }

    /// Tells the client that a peer whose node died is offline, if it is its peer.
    pub(super) async fn report_lapsed(
        &mut self,
        lapsed: &[(PresenceKind, Uuid)],
    ) -> Result<(), SocketError> {
        let hub = self.state.hub.clone();
        let frames: Vec<ServerFrame> = match self.peer {
            Peer::EndUser {
                technician_id,
                session_id,
            } if lapsed.contains(&(PresenceKind::Technician, technician_id)) => {
                vec![ServerFrame::Presence {
                    session_id,
                    party: Party::Technician,
                    online: hub.technician_online(technician_id),
                }]
            }
            Peer::Technician { .. } => lapsed
                .iter()
                .filter(|(kind, id)| *kind == PresenceKind::EndUser && self.sent.contains_key(id))
                .map(|&(_, session_id)| ServerFrame::Presence {
                    session_id,
                    party: Party::EndUser,
                    online: hub.end_user_online(session_id),
                })
                .collect(),
            _ => Vec::new(),
        };
        for frame in frames {
            send_frame(&mut self.socket, &frame).await?;
        }
        Ok(())
    }

    /// Tells the client who of the other side is connected right now; later changes
    /// arrive as presence frames.
    pub(super) async fn report_peer_presence(&mut self) -> Result<(), SocketError> {
        let hub = self.state.hub.clone();
        let frames: Vec<ServerFrame> = match self.peer {
            Peer::EndUser {
                technician_id,
                session_id,
            } => vec![ServerFrame::Presence {
                session_id,
                party: Party::Technician,
                online: hub.technician_online(technician_id),
            }],
            Peer::Technician { .. } => self
                .sent
                .keys()
                .map(|&session_id| ServerFrame::Presence {
                    session_id,
                    party: Party::EndUser,
                    online: hub.end_user_online(session_id),
                })
                .collect(),
            Peer::Agent {
                adhoc_session_id, ..
            } => {
                // The agent learns its session's state first, then every change; the
                // technician's view of the computer turns online.
                let record = self
                    .state
                    .store
                    .adhoc(adhoc_session_id, self.state.now())
                    .await
                    .map_err(AppError::from)?
                    .ok_or(AppError::NotFound("ad hoc session"))?;
                // Tell the technician only: this connection sends its own state below.
                let session = crate::adhoc::summary(&record);
                hub.publish(
                    record.technician_id,
                    Live::Adhoc(std::sync::Arc::new(session.clone())),
                );
                vec![ServerFrame::Adhoc { session }]
            }
        };
        for frame in frames {
            send_frame(&mut self.socket, &frame).await?;
        }
        Ok(())
    }
}
