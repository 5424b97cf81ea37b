import { describe, expect, it } from 'vitest';
import { readChunk } from './screen';

/** Frames a picture as the media socket does. */
function frame(header: object, payload: number[]): ArrayBuffer {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(2 + json.length + payload.length);
  new DataView(bytes.buffer).setUint16(0, json.length);
  bytes.set(json, 2);
  bytes.set(payload, 2 + json.length);
  return bytes.buffer;
}

describe('readChunk', () => {
  it('reads the header and leaves the payload as sent', () => {
    const chunk = readChunk(frame({ seq: 7, key: true, timestamp_us: 1234 }, [0, 0, 0, 1, 103]));
    expect(chunk?.seq).toBe(7);
    expect(chunk?.key).toBe(true);
    expect(chunk?.timestampUs).toBe(1234);
    expect([...(chunk?.data ?? [])]).toEqual([0, 0, 0, 1, 103]);
  });

  it('refuses truncated or malformed frames instead of decoding garbage', () => {
    expect(readChunk(new ArrayBuffer(1))).toBeNull();
    const truncated = new Uint8Array([0, 50, 123]).buffer;
    expect(readChunk(truncated)).toBeNull();
    expect(readChunk(frame({ seq: 'one', key: true }, []))).toBeNull();
    const notJson = new Uint8Array([0, 2, 123, 123]).buffer;
    expect(readChunk(notJson)).toBeNull();
  });
});
