//! A stored event on its way to live connections. Its `event` frame is written once,
//! by the first connection that sends it, and the others send the same bytes: a
//! message reaches at least the end user's and the technician's sockets.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use lifeline_protocol::SessionEvent;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Crosses nodes as the plain event (the frame is written again where it arrives).
#[derive(Debug, Clone)]
pub struct PublishedEvent(Arc<Published>);

#[derive(Debug)]
struct Published {
    event: SessionEvent,
    frame: OnceLock<Utf8Bytes>,
}

impl PublishedEvent {
    pub fn new(event: SessionEvent) -> Self {
        Self(Arc::new(Published {
            event,
            frame: OnceLock::new(),
        }))
    }

    /// The `event` frame's text, shared by every connection that sends it.
    pub fn frame(&self) -> Result<Utf8Bytes, serde_json::Error> {
        if let Some(frame) = self.0.frame.get() {
            return Ok(frame.clone());
        }
        let text = serde_json::to_string(&EventFrame::Event {
            event: &self.0.event,
        })?;
        Ok(self.0.frame.get_or_init(|| text.into()).clone())
    }
}

/// `ServerFrame::Event`, borrowing the event (a test holds the two to one shape).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum EventFrame<'a> {
    Event { event: &'a SessionEvent },
}

impl Deref for PublishedEvent {
    type Target = SessionEvent;

    fn deref(&self) -> &SessionEvent {
        &self.0.event
    }
}

impl Serialize for PublishedEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.event.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PublishedEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SessionEvent::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use lifeline_protocol::{EventData, Party, ServerFrame};
    use uuid::Uuid;

    use super::*;

    #[test]
    fn the_frame_is_the_event_frame_and_the_bus_carries_the_plain_event() {
        let event = SessionEvent {
            session_id: Uuid::new_v4(),
            seq: 7,
            at: 1_700_000_000_000,
            data: EventData::Message {
                from: Party::Technician,
                client_id: Uuid::new_v4(),
                text: "Grüße \"quoted\"".into(),
            },
        };
        let published = PublishedEvent::new(event.clone());
        let frame = published.frame().expect("frame");
        let parsed: ServerFrame = serde_json::from_str(frame.as_str()).expect("parses");
        assert_eq!(
            parsed,
            ServerFrame::Event {
                event: event.clone()
            }
        );
        // A second connection gets the same bytes, not a second serialization.
        assert_eq!(published.frame().expect("frame").as_str(), frame.as_str());
        let wire = serde_json::to_string(&published).expect("serializes");
        assert_eq!(wire, serde_json::to_string(&event).expect("plain"));
        let back: PublishedEvent = serde_json::from_str(&wire).expect("deserializes");
        assert_eq!(*back, event);
    }
}
