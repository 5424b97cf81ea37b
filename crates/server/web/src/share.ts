// Sharing the screen from the join page: the browser's own picker, a realtime encoder,
// and a media socket of its own that carries the encoded pictures to the technician
// through the service. Flow control: at most a couple of pictures are in flight; the
// rest are skipped at capture, and the frame rate steps down when acknowledgements slow.

import { afterAck, framesPerSecond, type Pace, slower, startPace } from './pace';
import type {
  ChunkHeader,
  MediaClientFrame,
  MediaServerFrame,
  ShareFailure,
  ShareSurface,
  StopReason,
  StreamFormat,
  VideoCodec,
} from './wire';

/** Pictures sent and not yet decoded by a viewer, at most. */
const MAX_IN_FLIGHT = 2;
/** With nobody watching, a picture now and then keeps the stream alive. */
const UNWATCHED_FPS = 1;
/** The JPEG fallback's highest rate: whole pictures are large. */
const JPEG_FPS = 5;
const MAX_WIDTH = 1920;
const MAX_HEIGHT = 1080;
const BITRATE = 2_500_000;
/**
 * A picture is taken once this share of the frame interval has passed: captures come
 * with jitter, and a strict interval would skip every late one (30 fps became 20).
 */
const INTERVAL_SLACK = 0.75;

/** Chromium's frame reader; not in TypeScript's DOM types. */
declare class MediaStreamTrackProcessor {
  constructor(init: { track: MediaStreamTrack });
  readonly readable: ReadableStream<VideoFrame>;
}

export function canShareScreen(): boolean {
  return typeof navigator.mediaDevices?.getDisplayMedia === 'function';
}

/** Opens the browser's screen picker; a closed picker is `picker_cancelled`. */
export async function pickScreen(): Promise<MediaStream | ShareFailure> {
  if (!canShareScreen()) return 'unsupported';
  try {
    return await navigator.mediaDevices.getDisplayMedia({
      video: { frameRate: { ideal: 30 } },
      audio: false,
    });
  } catch (err) {
    if (err instanceof DOMException && (err.name === 'NotAllowedError' || err.name === 'AbortError')) {
      return 'picker_cancelled';
    }
    return 'failed';
  }
}

/** Where a stream ended, as the page tells the person. */
export type ShareEnd = StopReason | 'refused';

export interface ShareOptions {
  token: string;
  sessionId: string;
  /** Frames flow: show the bar. */
  onLive: () => void;
  /** The share is over, for `reason`; called once. */
  onEnd: (reason: ShareEnd, by: 'technician' | 'end_user') => void;
}

function surfaceOf(track: MediaStreamTrack): ShareSurface {
  const surface = (track.getSettings() as { displaySurface?: string }).displaySurface;
  return surface === 'monitor' || surface === 'window' || surface === 'browser' ? surface : 'unknown';
}

/** Fits a picture inside MAX_WIDTH × MAX_HEIGHT, in even numbers as H.264 wants. */
function encodedSize(width: number, height: number): [number, number] {
  const scale = Math.min(1, MAX_WIDTH / width, MAX_HEIGHT / height);
  const even = (n: number): number => Math.max(2, Math.floor((n * scale) / 2) * 2);
  return [even(width), even(height)];
}

function codecString(codec: VideoCodec, width: number, height: number): string {
  if (codec === 'vp8') return 'vp8';
  if (codec === 'jpeg') return '';
  // Baseline profile; level 3.1 holds 1280×720, level 4.0 1920×1080.
  return width * height > 1280 * 720 ? 'avc1.42E028' : 'avc1.42E01F';
}

async function encoderConfig(
  codec: VideoCodec,
  width: number,
  height: number,
): Promise<VideoEncoderConfig | null> {
  if (codec === 'jpeg' || typeof VideoEncoder === 'undefined') return null;
  const config: VideoEncoderConfig = {
    codec: codecString(codec, width, height),
    width,
    height,
    bitrate: BITRATE,
    framerate: 30,
    latencyMode: 'realtime',
    ...(codec === 'h264' ? { avc: { format: 'annexb' as const } } : {}),
  };
  try {
    const { supported } = await VideoEncoder.isConfigSupported(config);
    return supported ? config : null;
  } catch {
    return null;
  }
}

function encodeChunk(header: ChunkHeader, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const frame = new Uint8Array(2 + json.length + payload.length);
  new DataView(frame.buffer).setUint16(0, json.length);
  frame.set(json, 2);
  frame.set(payload, 2 + json.length);
  return frame;
}

/** Reads the track's pictures: MediaStreamTrackProcessor where it exists, else a video. */
async function* pictures(track: MediaStreamTrack, stopped: () => boolean): AsyncGenerator<VideoFrame> {
  if (typeof MediaStreamTrackProcessor !== 'undefined') {
    const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    try {
      while (!stopped()) {
        const { value, done } = await reader.read();
        if (done || !value) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
    return;
  }
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = new MediaStream([track]);
  await video.play();
  while (!stopped() && track.readyState === 'live') {
    await new Promise<void>((resolve) => {
      if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(() => resolve());
      else window.setTimeout(resolve, 1000 / 30);
    });
    if (video.videoWidth > 0)
      yield new VideoFrame(video, { timestamp: Math.round(performance.now() * 1000) });
  }
}

/**
 * Where the pictures the browser offered went, for the screen-view bench (which reads
 * `window.__lifelineShareStats`): sent, or skipped and why. Counts only, no pixels.
 */
export interface ShareStats {
  offered: number;
  sent: number;
  skippedInFlight: number;
  skippedInterval: number;
  skippedEncoderBusy: number;
  /** Summed time (ms) from handing a picture to the encoder to its chunk. */
  encodeMs: number;
  encoded: number;
}

/** One screen share, from the picked stream until it ends. */
export class ScreenShare {
  private readonly track: MediaStreamTrack;
  private ws: WebSocket | null = null;
  private encoder: VideoEncoder | null = null;
  private codec: VideoCodec = 'h264';
  private accepted: VideoCodec[] = ['h264', 'vp8', 'jpeg'];
  private size: [number, number] = [0, 0];
  private seq = 0;
  private acked = 0;
  private readonly sentAt = new Map<number, number>();
  private pace: Pace = startPace;
  private viewers = 0;
  /** The service said who watches and what they decode: only then is a codec chosen. */
  private viewersKnown = false;
  private needKey = true;
  private lastCapture = 0;
  private ended = false;
  private stopping = false;
  private live = false;
  private readonly canvas = document.createElement('canvas');
  private encodeStartedAt: number | null = null;
  readonly stats: ShareStats = {
    offered: 0,
    sent: 0,
    skippedInFlight: 0,
    skippedInterval: 0,
    skippedEncoderBusy: 0,
    encodeMs: 0,
    encoded: 0,
  };

  constructor(
    private readonly stream: MediaStream,
    private readonly opts: ShareOptions,
  ) {
    const [track] = stream.getVideoTracks();
    if (!track) throw new Error('the picked stream has no video');
    this.track = track;
    (window as { __lifelineShareStats?: ShareStats }).__lifelineShareStats = this.stats;
    // The browser's own "Stop sharing" control.
    track.addEventListener('ended', () => this.stop());
  }

  /** Opens the media socket and starts sending; resolves once the socket is up. */
  async start(): Promise<void> {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/api/v1/media`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('the media connection failed'));
    });
    ws.onmessage = (message) => {
      if (typeof message.data === 'string') this.onFrame(JSON.parse(message.data) as MediaServerFrame);
    };
    ws.onclose = () => this.finish('connection_lost', 'end_user');
    this.send({
      type: 'hello',
      token: this.opts.token,
      session_id: this.opts.sessionId,
      role: 'sender',
      codecs: [],
    });
    void this.pump();
  }

  /** The person stops sharing here or in the browser's own control. */
  stop(): void {
    if (this.ended || this.stopping) return;
    this.stopping = true;
    this.send({ type: 'stop' });
    // The service answers with `stopped`; if it cannot, end here anyway.
    window.setTimeout(() => this.finish('stopped_sharing', 'end_user'), 1500);
    this.releaseCapture();
  }

  private send(frame: MediaClientFrame): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private onFrame(frame: MediaServerFrame): void {
    switch (frame.type) {
      case 'ack':
        this.onAck(frame.seq);
        break;
      case 'keyframe_needed':
        this.needKey = true;
        break;
      case 'viewers':
        this.viewers = frame.count;
        this.viewersKnown = true;
        if (frame.codecs.length > 0) {
          this.accepted = frame.codecs;
          // A viewer that cannot read the current codec: switch, with a keyframe.
          if (!frame.codecs.includes(this.codec)) this.size = [0, 0];
        }
        break;
      case 'stopped':
        this.finish(frame.reason, frame.by);
        break;
      case 'error':
        if (frame.error.code === 'consent_required') this.finish('refused', 'end_user');
        else if (frame.error.code === 'rate_limited') this.slower();
        break;
      default:
        break;
    }
  }

  private onAck(seq: number): void {
    if (seq <= this.acked) return;
    this.acked = seq;
    const sent = this.sentAt.get(seq);
    for (const key of this.sentAt.keys()) if (key <= seq) this.sentAt.delete(key);
    if (sent === undefined) return;
    this.pace = afterAck(this.pace, performance.now() - sent, performance.now());
  }

  private slower(): void {
    this.pace = slower(this.pace);
  }

  private fps(): number {
    if (this.viewers === 0) return UNWATCHED_FPS;
    const rate = framesPerSecond(this.pace);
    return this.codec === 'jpeg' ? Math.min(rate, JPEG_FPS) : rate;
  }

  /** Takes pictures as they come, and skips those that would queue. */
  private async pump(): Promise<void> {
    try {
      for await (const picture of pictures(this.track, () => this.ended)) {
        try {
          await this.offer(picture);
        } finally {
          picture.close();
        }
      }
    } catch {
      this.finish('connection_lost', 'end_user');
    }
  }

  private async offer(picture: VideoFrame): Promise<void> {
    const now = performance.now();
    if (this.ended || !this.viewersKnown) return;
    const stats = this.stats;
    stats.offered += 1;
    if (this.seq - this.acked >= MAX_IN_FLIGHT) {
      stats.skippedInFlight += 1;
      return;
    }
    if (now - this.lastCapture < (1000 / this.fps()) * INTERVAL_SLACK) {
      stats.skippedInterval += 1;
      return;
    }
    if (this.encoder && this.encoder.encodeQueueSize > 0) {
      stats.skippedEncoderBusy += 1;
      return;
    }
    const size = encodedSize(picture.displayWidth, picture.displayHeight);
    if (size[0] !== this.size[0] || size[1] !== this.size[1]) await this.configure(size);
    this.lastCapture = now;
    if (this.codec === 'jpeg') {
      await this.sendJpeg(picture);
      return;
    }
    this.encodeStartedAt = performance.now();
    this.encoder?.encode(picture, { keyFrame: this.needKey });
    this.needKey = false;
  }

  /** Picks the best codec every viewer reads and this browser encodes; tells the service. */
  private async configure(size: [number, number]): Promise<void> {
    this.encoder?.close();
    this.encoder = null;
    let config: VideoEncoderConfig | null = null;
    this.codec = 'jpeg';
    for (const codec of this.accepted) {
      config = await encoderConfig(codec, size[0], size[1]);
      if (config || codec === 'jpeg') {
        this.codec = codec;
        break;
      }
    }
    if (config) {
      const encoder = new VideoEncoder({
        output: (chunk) => this.sendEncoded(chunk),
        error: () => this.finish('connection_lost', 'end_user'),
      });
      encoder.configure(config);
      this.encoder = encoder;
    }
    this.size = size;
    this.needKey = true;
    const format: StreamFormat = {
      source: 'browser',
      display_id: '0',
      codec: this.codec,
      codec_string: config?.codec ?? '',
      width: size[0],
      height: size[1],
      surface: surfaceOf(this.track),
    };
    this.send({ type: 'start', format });
  }

  private sendEncoded(chunk: EncodedVideoChunk): void {
    if (this.encodeStartedAt !== null) {
      this.stats.encodeMs += performance.now() - this.encodeStartedAt;
      this.stats.encoded += 1;
      this.encodeStartedAt = null;
    }
    const payload = new Uint8Array(chunk.byteLength);
    chunk.copyTo(payload);
    this.sendPicture(chunk.type === 'key', chunk.timestamp, payload);
  }

  private async sendJpeg(picture: VideoFrame): Promise<void> {
    const [width, height] = this.size;
    this.canvas.width = width;
    this.canvas.height = height;
    this.canvas.getContext('2d')?.drawImage(picture, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((resolve) => this.canvas.toBlob(resolve, 'image/jpeg', 0.75));
    if (!blob || this.ended) return;
    this.sendPicture(true, picture.timestamp, new Uint8Array(await blob.arrayBuffer()));
  }

  private sendPicture(key: boolean, timestampUs: number, payload: Uint8Array): void {
    if (this.ended || this.ws?.readyState !== WebSocket.OPEN) return;
    this.seq += 1;
    this.stats.sent += 1;
    this.sentAt.set(this.seq, performance.now());
    const header: ChunkHeader = { seq: this.seq, key, timestamp_us: Math.max(0, Math.round(timestampUs)) };
    this.ws.send(encodeChunk(header, payload));
    if (!this.live) {
      this.live = true;
      this.opts.onLive();
    }
  }

  private releaseCapture(): void {
    for (const track of this.stream.getTracks()) track.stop();
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = null;
  }

  private finish(reason: ShareEnd, by: 'technician' | 'end_user'): void {
    if (this.ended) return;
    this.ended = true;
    this.releaseCapture();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close(1000);
    }
    this.opts.onEnd(reason, by);
  }
}
