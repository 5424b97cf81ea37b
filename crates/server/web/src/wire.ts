// Wire types, generated from crates/protocol (ts-rs) into crates/protocol/bindings.
// The rest of the page imports them from here, type-only.
export type { ApiError } from '../../../protocol/bindings/ApiError';
export type { ClientFrame } from '../../../protocol/bindings/ClientFrame';
export type { ConsentAnswer } from '../../../protocol/bindings/ConsentAnswer';
export type { ConsentKind } from '../../../protocol/bindings/ConsentKind';
export type { CreateUpload } from '../../../protocol/bindings/CreateUpload';
export type { DownloadLink } from '../../../protocol/bindings/DownloadLink';
export type { EndUserSessionView } from '../../../protocol/bindings/EndUserSessionView';
export type { ErrorCode } from '../../../protocol/bindings/ErrorCode';
export type { EventData } from '../../../protocol/bindings/EventData';
export type { FileInfo } from '../../../protocol/bindings/FileInfo';
export type { JoinInfo } from '../../../protocol/bindings/JoinInfo';
export type { JoinRequest } from '../../../protocol/bindings/JoinRequest';
export type { JoinResponse } from '../../../protocol/bindings/JoinResponse';
export type { Party } from '../../../protocol/bindings/Party';
export type { SendMessage } from '../../../protocol/bindings/SendMessage';
export type { ServerFrame } from '../../../protocol/bindings/ServerFrame';
export type { ServerInfo } from '../../../protocol/bindings/ServerInfo';
export type { SessionEvent } from '../../../protocol/bindings/SessionEvent';
export type { SessionStatus } from '../../../protocol/bindings/SessionStatus';
export type { UploadCreated } from '../../../protocol/bindings/UploadCreated';
export type { UploadStatus } from '../../../protocol/bindings/UploadStatus';
