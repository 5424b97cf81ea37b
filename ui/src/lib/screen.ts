// Decoding a screen stream onto a canvas with WebCodecs (JPEG pictures through
// createImageBitmap). It knows nothing of where the pictures come from: the browser's
// screen share today, the agent's capture next.
import type { StreamInfo, VideoCodec } from './backend/types';

/** One picture as framed on the media socket. */
export interface Chunk {
  seq: number;
  key: boolean;
  timestampUs: number;
  data: Uint8Array;
}

/** Reads a framed picture: a big-endian u16 header length, the JSON header, the bytes. */
export function readChunk(buffer: ArrayBuffer): Chunk | null {
  if (buffer.byteLength < 2) return null;
  const length = new DataView(buffer).getUint16(0);
  if (buffer.byteLength < 2 + length) return null;
  try {
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 2, length))) as {
      seq?: unknown;
      key?: unknown;
      timestamp_us?: unknown;
    };
    if (typeof header.seq !== 'number' || typeof header.key !== 'boolean') return null;
    const timestampUs = typeof header.timestamp_us === 'number' ? header.timestamp_us : 0;
    return { seq: header.seq, key: header.key, timestampUs, data: new Uint8Array(buffer, 2 + length) };
  } catch {
    return null;
  }
}

const VIDEO_CODECS: ReadonlyArray<[VideoCodec, string]> = [
  ['h264', 'avc1.42E01F'],
  ['vp8', 'vp8'],
];

/** The codecs this webview decodes, best first; JPEG always. */
export async function decodableCodecs(): Promise<VideoCodec[]> {
  const codecs: VideoCodec[] = [];
  if (typeof VideoDecoder !== 'undefined') {
    for (const [codec, codecString] of VIDEO_CODECS) {
      try {
        const { supported } = await VideoDecoder.isConfigSupported({
          codec: codecString,
          optimizeForLatency: true,
        });
        if (supported) codecs.push(codec);
      } catch {
        // Not this one.
      }
    }
  }
  codecs.push('jpeg');
  return codecs;
}

export interface DecoderHooks {
  /** A picture is on the canvas; everything up to `seq` is decoded. */
  drawn: (seq: number) => void;
  /** The decoder lost its place: a keyframe is needed. */
  broken: () => void;
}

/** Pictures waiting in the decoder beyond which deltas are dropped until a keyframe. */
const MAX_DECODE_QUEUE = 3;

/** Draws one stream's pictures on a canvas of the stream's size. */
export class ScreenDecoder {
  private decoder: VideoDecoder | null = null;
  /** Seqs handed to the decoder, in order; its outputs come back in the same order. */
  private readonly pending: number[] = [];
  private needKey = true;
  private jpegChain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly context: CanvasRenderingContext2D | null;

  constructor(
    private readonly stream: StreamInfo,
    private readonly canvas: HTMLCanvasElement,
    private readonly hooks: DecoderHooks,
  ) {
    canvas.width = stream.format.width;
    canvas.height = stream.format.height;
    this.context = canvas.getContext('2d');
    if (stream.format.codec !== 'jpeg') this.decoder = this.newDecoder();
  }

  private newDecoder(): VideoDecoder {
    const decoder = new VideoDecoder({
      output: (frame) => {
        this.draw(frame);
        frame.close();
        const seq = this.pending.shift();
        if (seq !== undefined) this.hooks.drawn(seq);
      },
      error: () => {
        // A broken decoder is replaced; it resumes at the next keyframe.
        this.decoder = null;
        this.pending.length = 0;
        this.needKey = true;
        if (!this.closed) this.hooks.broken();
      },
    });
    decoder.configure({
      codec: this.stream.format.codec_string,
      codedWidth: this.stream.format.width,
      codedHeight: this.stream.format.height,
      optimizeForLatency: true,
    });
    return decoder;
  }

  private draw(source: CanvasImageSource): void {
    if (!this.closed) this.context?.drawImage(source, 0, 0, this.canvas.width, this.canvas.height);
  }

  /** Takes one framed picture from the stream. */
  push(buffer: ArrayBuffer): void {
    const chunk = readChunk(buffer);
    if (!chunk || this.closed) return;
    if (this.stream.format.codec === 'jpeg') {
      this.jpegChain = this.jpegChain.then(() => this.drawJpeg(chunk));
      return;
    }
    if (!chunk.key && (this.needKey || (this.decoder?.decodeQueueSize ?? 0) > MAX_DECODE_QUEUE)) {
      // Without its keyframe a delta decodes to garbage: wait for the next one.
      if (!this.needKey) this.hooks.broken();
      this.needKey = true;
      return;
    }
    if (!this.decoder || this.decoder.state === 'closed') this.decoder = this.newDecoder();
    this.needKey = false;
    this.pending.push(chunk.seq);
    this.decoder.decode(
      new EncodedVideoChunk({
        type: chunk.key ? 'key' : 'delta',
        timestamp: chunk.timestampUs,
        data: chunk.data,
      }),
    );
  }

  private async drawJpeg(chunk: Chunk): Promise<void> {
    try {
      const bitmap = await createImageBitmap(new Blob([chunk.data.slice()], { type: 'image/jpeg' }));
      this.draw(bitmap);
      bitmap.close();
      if (!this.closed) this.hooks.drawn(chunk.seq);
    } catch {
      if (!this.closed) this.hooks.broken();
    }
  }

  close(): void {
    this.closed = true;
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
  }
}
