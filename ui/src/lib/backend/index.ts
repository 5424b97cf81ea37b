import type {
  AdhocConnectionRecord,
  AdhocPrepared,
  AdhocSessionSummary,
  ComputerGroup,
  ConsentKind,
  DeskEvent,
  FileInfo,
  InviteSent,
  IpcError,
  IpcErrorCode,
  Preferences,
  ScreenNote,
  ServerInfo,
  SessionEvent,
  SessionSummary,
  SignedIn,
  VideoCodec,
} from './types';

/** A command failed: `code` is what the UI branches on, `message` is for people. */
export class BackendError extends Error {
  readonly code: IpcErrorCode;
  constructor(error: IpcError) {
    super(error.message);
    this.code = error.code;
  }
}

export function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/**
 * Everything the UI asks of the app, in one typed interface. The Tauri implementation
 * is the only one the app uses; tests pass a fake.
 */
export interface Backend {
  signIn(serverUrl: string, email: string, password: string, remember: boolean): Promise<SignedIn>;
  resumeSignIn(serverUrl: string, email: string): Promise<SignedIn | null>;
  /** The sign-in handed over when the app was started (scripts/run), once; `null` without one. */
  signInHandedOver(): Promise<SignedIn | null>;
  signOut(): Promise<void>;
  serverInfo(): Promise<ServerInfo>;

  listSessions(): Promise<SessionSummary[]>;
  startSession(requestControlOnArrival: boolean): Promise<SessionSummary>;
  setRequestControlOnArrival(sessionId: string, value: boolean): Promise<SessionSummary>;
  sessionEvents(sessionId: string, since: number): Promise<SessionEvent[]>;
  requestConsent(sessionId: string, kind: ConsentKind): Promise<SessionEvent>;
  endSession(sessionId: string): Promise<SessionEvent>;
  transcriptText(sessionId: string): Promise<string>;
  exportTranscript(sessionId: string, path: string): Promise<void>;

  sendMessage(sessionId: string, text: string): Promise<SessionEvent>;
  setTyping(sessionId: string, typing: boolean): Promise<void>;
  markRead(sessionId: string, upToSeq: number): Promise<void>;

  copyToClipboard(text: string): Promise<void>;
  sendSms(sessionId: string, to: string): Promise<InviteSent>;
  sendEmail(sessionId: string, to: string): Promise<InviteSent>;
  /** Opens a `mailto:` or `https:` URL with the OS default handler. */
  openUrl(url: string): Promise<void>;

  sendFile(sessionId: string, path: string): Promise<string>;
  saveFile(sessionId: string, file: FileInfo, dest: string): Promise<string>;
  cancelTransfer(transferId: string): Promise<void>;
  /** The OS file picker; empty when cancelled. */
  pickFiles(): Promise<string[]>;
  /** The OS save dialog; `null` when cancelled. */
  pickSavePath(suggestedName: string): Promise<string | null>;

  /** Prepares an ad-hoc session; the password stays on this computer (only its verifier goes out). */
  prepareAdhoc(email: string, password: string, confirmation: string): Promise<AdhocPrepared>;
  listAdhocSessions(): Promise<AdhocSessionSummary[]>;
  listComputers(): Promise<ComputerGroup[]>;
  /** Connects to an ad-hoc computer; its agent checks the password. Opens as a session. */
  connectComputer(adhocSessionId: string, password: string): Promise<SessionSummary>;
  adhocConnections(adhocSessionId: string): Promise<AdhocConnectionRecord[]>;
  endAdhoc(adhocSessionId: string): Promise<AdhocSessionSummary>;

  /**
   * Watches the session's screen until its stream stops: notes as objects, pictures as
   * `ArrayBuffer`s framed as on the media socket. `codecs`: what the decoder reads.
   */
  watchScreen(
    sessionId: string,
    codecs: VideoCodec[],
    onMessage: (message: ScreenNote | ArrayBuffer) => void,
  ): Promise<void>;
  /** Everything up to `seq` was decoded and drawn. */
  screenDecoded(sessionId: string, seq: number): Promise<void>;
  screenKeyframe(sessionId: string): Promise<void>;
  /** The screen is no longer shown (its tab went to the back); the stream goes on. */
  closeScreen(sessionId: string): Promise<void>;
  /** Stop viewing: the stream ends on both sides. */
  stopViewing(sessionId: string): Promise<void>;

  setPreferences(preferences: Preferences): Promise<void>;
  /** App badge with the unread count (0 clears it) and a taskbar hint; best effort. */
  setBadge(count: number): Promise<void>;

  onEvent(handler: (event: DeskEvent) => void): Promise<() => void>;
  /** Files dropped on the window, as paths. */
  onFileDrop(handler: (paths: string[]) => void): Promise<() => void>;
}
