// The UI's view of the generated IPC types: the app's own (src-tauri/bindings) and the
// wire protocol's (crates/protocol/bindings), both generated from Rust.

export type { DeskEvent } from '$bindings/DeskEvent';
export type { IpcError } from '$bindings/IpcError';
export type { IpcErrorCode } from '$bindings/IpcErrorCode';
export type { Preferences } from '$bindings/Preferences';
export type { ScreenNote } from '$bindings/ScreenNote';
export type { SignedIn } from '$bindings/SignedIn';
export type { TransferUpdate } from '$bindings/TransferUpdate';
export type { AdhocConnectionRecord } from '$protocol/AdhocConnectionRecord';
export type { AdhocPolicy } from '$protocol/AdhocPolicy';
export type { AdhocPrepared } from '$protocol/AdhocPrepared';
export type { AdhocSessionSummary } from '$protocol/AdhocSessionSummary';
export type { ComputerGroup } from '$protocol/ComputerGroup';
export type { ComputerSummary } from '$protocol/ComputerSummary';
export type { ConsentKind } from '$protocol/ConsentKind';
export type { ControlBlock } from '$protocol/ControlBlock';
export type { ControlConfirmation } from '$protocol/ControlConfirmation';
export type { DisplayChoice } from '$protocol/DisplayChoice';
export type { EventData } from '$protocol/EventData';
export type { FileInfo } from '$protocol/FileInfo';
export type { InputEvent } from '$protocol/InputEvent';
export type { InviteSent } from '$protocol/InviteSent';
export type { Party } from '$protocol/Party';
export type { ServerInfo } from '$protocol/ServerInfo';
export type { SessionEvent } from '$protocol/SessionEvent';
export type { SessionStatus } from '$protocol/SessionStatus';
export type { SessionSummary } from '$protocol/SessionSummary';
export type { ShareFailure } from '$protocol/ShareFailure';
export type { SpecialKeys } from '$protocol/SpecialKeys';
export type { StopReason } from '$protocol/StopReason';
export type { StreamInfo } from '$protocol/StreamInfo';
export type { SystemInfo } from '$protocol/SystemInfo';
export type { TechnicianProfile } from '$protocol/TechnicianProfile';
export type { VideoCodec } from '$protocol/VideoCodec';
