//! The error every command returns: the one both apps share, from `lifeline-client`.

pub use lifeline_client::ipc::{IpcError, IpcErrorCode, IpcResult};
