// The UI's view of the generated IPC types (from Rust, see src-tauri/bindings).
export type { ConsentKind } from '$bindings/ConsentKind';
export type { DeskEvent } from '$bindings/DeskEvent';
export type { EventData } from '$bindings/EventData';
export type { FileInfo } from '$bindings/FileInfo';
export type { InviteSent } from '$bindings/InviteSent';
export type { IpcError } from '$bindings/IpcError';
export type { IpcErrorCode } from '$bindings/IpcErrorCode';
export type { Party } from '$bindings/Party';
export type { Preferences } from '$bindings/Preferences';
export type { ServerInfo } from '$bindings/ServerInfo';
export type { SessionEvent } from '$bindings/SessionEvent';
export type { SessionStatus } from '$bindings/SessionStatus';
export type { SessionSummary } from '$bindings/SessionSummary';
export type { SignedIn } from '$bindings/SignedIn';
export type { TechnicianProfile } from '$bindings/TechnicianProfile';
export type { TransferUpdate } from '$bindings/TransferUpdate';
