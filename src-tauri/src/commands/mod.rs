//! The commands the UI invokes, one module per feature. Each is a one-call adapter onto
//! [`lifeline_client::desk::Desk`]: no logic lives here.
//!
//! The contract is written once, in `table.rs`: the `#[tauri::command]` functions in
//! [`ipc`], the [`handler`] that registers them, and the [`contract`] the `bindings`
//! test turns into the UI's TypeScript and the capability file are all generated from
//! it, so a command can't be registered, permitted or typed differently in two places.

pub mod adhoc;
pub mod auth;
pub mod chat;
pub mod files;
pub mod invites;
pub mod replies;
pub mod screen;
pub mod sessions;
pub mod settings;

use std::any::TypeId;

/// What the TypeScript side sees of one command.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    /// The command's name on the IPC path, as in `invoke('sign_in')`.
    pub name: &'static str,
    /// Its doc comment's lines.
    pub docs: Vec<&'static str>,
    pub args: Vec<ArgSpec>,
    /// The TypeScript type the command's promise resolves to (`void` for none).
    pub returns: String,
}

/// One argument: its Rust name (camelCased on the IPC path, as Tauri does) and its
/// TypeScript type.
#[derive(Debug, Clone)]
pub struct ArgSpec {
    pub name: &'static str,
    pub typescript: String,
}

/// The TypeScript type a command resolves to: ts-rs's name, or `void` for `()`.
fn returned_typescript<T: ts_rs::TS + 'static>() -> String {
    if TypeId::of::<T>() == TypeId::of::<()>() {
        "void".to_owned()
    } else {
        T::name()
    }
}

/// An argument's TypeScript type: the table's `as "..."` when it gives one, else ts-rs's.
macro_rules! argument_typescript {
    ($ty:ty) => {
        <$ty as ts_rs::TS>::name()
    };
    ($ty:ty, $typescript:literal) => {
        String::from($typescript)
    };
}

/// Generates the adapters, the handler and the contract from `table.rs`.
macro_rules! command_table {
    ($(
        $(#[doc = $doc:literal])*
        $module:ident :: $name:ident (
            $( $arg:ident : $ty:ty $(as $typescript:literal)? ),* $(,)?
        ) -> $returns:ty;
    )*) => {
        /// The `#[tauri::command]` adapters: each takes the managed `Desk` and the
        /// table's arguments and calls its module's function once.
        pub mod ipc {
            use super::table_types::*;
            $(
                $(#[doc = $doc])*
                #[tauri::command]
                pub async fn $name(
                    desk: tauri::State<'_, Desk>,
                    $($arg: $ty),*
                ) -> IpcResult<$returns> {
                    super::$module::$name(&desk, $($arg),*).await
                }
            )*
        }

        /// The invoke handler for every command in the table, on any runtime.
        pub fn handler<R: tauri::Runtime>(
        ) -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$(ipc::$name),*]
        }

        /// Every command in the table, in its order, as the TypeScript side sees it.
        pub fn contract() -> Vec<CommandSpec> {
            use table_types::*;
            vec![$(
                CommandSpec {
                    name: stringify!($name),
                    docs: vec![$($doc),*],
                    args: vec![$(
                        ArgSpec {
                            name: stringify!($arg),
                            typescript: argument_typescript!($ty $(, $typescript)?),
                        }
                    ),*],
                    returns: returned_typescript::<$returns>(),
                }
            ),*]
        }
    };
}

/// The types the table names, in scope for what it generates.
mod table_types {
    pub use std::path::PathBuf;

    pub use lifeline_client::desk::{Desk, Preferences, SignedIn};
    pub use lifeline_client::protocol::{
        AdhocConnectionRecord, AdhocPolicy, AdhocPrepared, AdhocSessionSummary, CannedReply,
        ComputerGroup, ConsentKind, FileInfo, InputEvent, InviteSent, RecoveryCodes,
        SaveCannedReply, SecondFactorSetup, SecurityPolicy, ServerInfo, SessionEvent,
        SessionSummary, VideoCodec,
    };
    pub use tauri::ipc::{Channel, InvokeResponseBody};
    pub use uuid::Uuid;

    pub use crate::error::IpcResult;
}

include!("table.rs");
