import type { Commands } from './commands';
import type { DeskEvent, IpcError, IpcErrorCode, ScreenNote, VideoCodec } from './types';

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
 * Everything the UI asks of the app, in one typed interface: the shell's commands as
 * their table declares them (generated, see `commands.ts`), and what the UI does through
 * Tauri's own API. The Tauri implementation is the only one the app uses; tests pass a
 * fake.
 */
export interface Backend extends Omit<Commands, 'watchScreen'> {
  /** Opens a `mailto:` or `https:` URL with the OS default handler. */
  openUrl(url: string): Promise<void>;
  /** The OS file picker; empty when cancelled. */
  pickFiles(): Promise<string[]>;
  /** The OS save dialog; `null` when cancelled. */
  pickSavePath(suggestedName: string): Promise<string | null>;

  /**
   * Watches the session's screen until its stream stops: notes as objects, pictures as
   * `ArrayBuffer`s framed as on the media socket. `codecs`: what the decoder reads.
   */
  watchScreen(
    sessionId: string,
    codecs: VideoCodec[],
    onMessage: (message: ScreenNote | ArrayBuffer) => void,
  ): Promise<void>;

  /** App badge with the unread count (0 clears it) and a taskbar hint; best effort. */
  setBadge(count: number): Promise<void>;

  onEvent(handler: (event: DeskEvent) => void): Promise<() => void>;
  /** Files dropped on the window, as paths. */
  onFileDrop(handler: (paths: string[]) => void): Promise<() => void>;
}
