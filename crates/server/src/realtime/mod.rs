//! Realtime delivery: one WebSocket per party. Events are stored first (see `store`),
//! then published here; each connection replays from the database after its cursor and
//! fills any gap from there too, so nothing is lost or sent twice.

pub(crate) mod closing;
mod cursors;
mod frames;
mod hub;
mod marks;
pub(crate) mod origin;
mod presence;
mod published;
mod sends;
mod socket;

pub use hub::{Hub, Live, SignInEnded};
pub use published::PublishedEvent;
pub use socket::router;
