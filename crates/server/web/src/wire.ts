// Wire types mirroring crates/protocol (stand-in until crates/protocol/bindings exists).
export type Party = 'technician' | 'end_user';
export type ConsentKind = 'view_screen' | 'control';
export type ErrorCode =
  | 'invalid_input'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'key_unknown'
  | 'key_expired'
  | 'key_used'
  | 'session_ended'
  | 'conflict'
  | 'rate_limited'
  | 'payload_too_large'
  | 'checksum_mismatch'
  | 'email_not_configured'
  | 'delivery_failed'
  | 'internal';
export type ApiError = { code: ErrorCode; message: string };
export type SessionStatus = 'waiting' | 'active' | 'ended' | 'expired';
export type FileInfo = { id: string; name: string; size: number; sha256: string; from: Party };
export type EventData =
  | { type: 'end_user_joined'; name: string | null }
  | { type: 'message'; from: Party; client_id: string; text: string }
  | { type: 'file_shared'; file: FileInfo }
  | { type: 'delivered'; by: Party; up_to_seq: number }
  | { type: 'read'; by: Party; up_to_seq: number }
  | { type: 'consent_requested'; request_id: string; kind: ConsentKind }
  | { type: 'consent_answered'; request_id: string; kind: ConsentKind; accepted: boolean }
  | { type: 'session_ended'; by: Party };
export type SessionEvent = { session_id: string; seq: number; at: number; data: EventData };
export type Cursor = { session_id: string; seq: number };
export type ClientFrame =
  | { type: 'hello'; token: string; cursors: Array<Cursor> }
  | { type: 'typing'; session_id: string; typing: boolean }
  | { type: 'delivered'; session_id: string; up_to_seq: number }
  | { type: 'read'; session_id: string; up_to_seq: number };
export type ServerFrame =
  | { type: 'welcome'; party: Party }
  | { type: 'event'; event: SessionEvent }
  | { type: 'typing'; session_id: string; from: Party; typing: boolean }
  | { type: 'presence'; session_id: string; party: Party; online: boolean }
  | { type: 'error'; error: ApiError };
export type JoinInfo = { technician_name: string; company_name: string; key_expires_at: number };
export type JoinRequest = { key: string; name: string | null };
export type JoinResponse = {
  session_id: string;
  end_user_token: string;
  technician_name: string;
  company_name: string;
  end_user_name: string | null;
};
export type EndUserSessionView = {
  session_id: string;
  status: SessionStatus;
  technician_name: string;
  company_name: string;
  end_user_name: string | null;
  last_seq: number;
};
export type SendMessage = { client_id: string; text: string };
export type ConsentAnswer = { accepted: boolean };
export type ServerInfo = {
  version: string;
  public_url: string;
  email_enabled: boolean;
  max_upload_bytes: number;
};
export type CreateUpload = { name: string; size: number; sha256: string };
export type UploadCreated = { file_id: string; upload_url: string; offset: number };
export type UploadStatus = { offset: number; size: number; file: FileInfo | null };
export type DownloadLink = { url: string; expires_at: number };
