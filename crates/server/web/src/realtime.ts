// The end user's one WebSocket: hello with a cursor, then events; reconnects by itself
// with backoff and resumes after the last event the page processed.
import type { ApiError, ClientFrame, ServerFrame } from './wire';

export type ConnState = 'connecting' | 'online' | 'reconnecting';

export interface RealtimeOptions {
  token: string;
  sessionId: string;
  /** The last seq the page has processed; the service replays what follows. */
  cursor: () => number;
  onFrame: (frame: ServerFrame) => void;
  onState: (state: ConnState) => void;
  /** The service refused us for good (bad token, ended session); no more retries. */
  onFatal: (error: ApiError) => void;
}

const FATAL: ReadonlyArray<string> = ['unauthorized', 'forbidden', 'not_found', 'session_ended'];
const MAX_DELAY_MS = 15_000;

export class Realtime {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: number | undefined;
  private stopped = false;
  private fatal = false;
  private everOnline = false;
  private readonly opts: RealtimeOptions;

  constructor(opts: RealtimeOptions) {
    this.opts = opts;
    window.addEventListener('online', () => this.kick());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.kick();
    });
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000);
  }

  /** Sends a frame if the socket is up and welcomed; reports whether it went out. */
  send(frame: ClientFrame): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || this.attempt !== 0) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  get online(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN && this.attempt === 0;
  }

  /** Reconnect now rather than at the end of the backoff (network came back, tab shown). */
  private kick(): void {
    if (this.stopped || this.fatal) return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    window.clearTimeout(this.timer);
    this.connect();
  }

  private connect(): void {
    if (this.stopped || this.fatal) return;
    this.opts.onState(this.attempt === 0 && !this.everOnline ? 'connecting' : 'reconnecting');
    // `attempt` stays non-zero until a welcome arrives, so `send` waits for it.
    this.attempt = Math.max(this.attempt, 1);
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${scheme}//${location.host}/api/v1/realtime`);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const hello: ClientFrame = {
        type: 'hello',
        token: this.opts.token,
        cursors: [{ session_id: this.opts.sessionId, seq: this.opts.cursor() }],
      };
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (msg: MessageEvent) => {
      if (this.ws !== ws || typeof msg.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(msg.data) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'welcome') {
        this.attempt = 0;
        this.everOnline = true;
        this.opts.onState('online');
      } else if (frame.type === 'error' && this.attempt !== 0) {
        // The hello was refused.
        if (FATAL.includes(frame.error.code)) {
          this.fatal = true;
          this.opts.onFatal(frame.error);
          ws.close(1000);
          return;
        }
        if (frame.error.code === 'rate_limited') this.attempt = Math.max(this.attempt, 4);
      }
      this.opts.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped || this.fatal) return;
    this.opts.onState('reconnecting');
    const base = Math.min(MAX_DELAY_MS, 500 * 2 ** Math.min(this.attempt, 6));
    this.attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.connect(), delay);
  }
}
