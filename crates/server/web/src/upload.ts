// Sending a file: SHA-256 in 1 MiB slices (crypto.subtle is missing on plain-http LAN
// servers), then a tus-style upload in 1 MiB appends that resumes after interruptions.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { api, RequestFailed, request } from './api';
import type { CreateUpload, FileInfo, UploadCreated, UploadStatus } from './wire';

export const CHUNK_BYTES = 1024 * 1024;
const MAX_FAILURES = 8;

export type UploadPhase = 'hashing' | 'sending' | 'retrying' | 'verifying';

export interface UploadHooks {
  /** `fraction` is 0..1 within the phase. */
  progress: (phase: UploadPhase, fraction: number) => void;
  created: (fileId: string, uploadUrl: string) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      window.clearTimeout(timer);
      reject(new DOMException('Aborted', 'AbortError'));
    });
  });
}

function aborted(signal: AbortSignal): void {
  if (signal.aborted) throw new DOMException('Aborted', 'AbortError');
}

/** Lowercase hex SHA-256 of a file, read slice by slice. */
export async function hashFile(
  file: Blob,
  signal: AbortSignal,
  progress: (fraction: number) => void,
): Promise<string> {
  const hash = sha256.create();
  for (let offset = 0; offset < file.size; offset += CHUNK_BYTES) {
    aborted(signal);
    const buf = await file.slice(offset, offset + CHUNK_BYTES).arrayBuffer();
    hash.update(new Uint8Array(buf));
    progress(Math.min(1, (offset + buf.byteLength) / file.size));
  }
  return bytesToHex(hash.digest());
}

/** Where the service stands with an upload, after an interruption. */
async function serverOffset(url: string, token: string, signal: AbortSignal): Promise<number> {
  const res = await request('HEAD', url, { token, signal });
  const value = Number(res.headers.get('Upload-Offset'));
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RequestFailed(res.status, 'unknown', 'The server did not say where the upload stands.');
  }
  return value;
}

/**
 * Uploads a file into a session. Resolves with the file once the service has every byte
 * and verified the SHA-256 (or null when a lost answer hid that moment; the
 * `file_shared` event then tells).
 */
export async function uploadFile(
  file: File,
  sessionId: string,
  token: string,
  signal: AbortSignal,
  hooks: UploadHooks,
): Promise<FileInfo | null> {
  const digest = await hashFile(file, signal, (f) => hooks.progress('hashing', f));
  aborted(signal);
  const announce: CreateUpload = { name: file.name, size: file.size, sha256: digest };
  const created = await api<UploadCreated>('POST', `/api/v1/sessions/${sessionId}/files`, {
    body: announce,
    token,
    signal,
  });
  hooks.created(created.file_id, created.upload_url);
  const url = created.upload_url;
  let offset = created.offset;
  let failures = 0;
  hooks.progress('sending', file.size ? offset / file.size : 0);
  // An empty file still needs one append to be completed.
  let first = true;
  while (offset < file.size || first) {
    first = false;
    aborted(signal);
    const end = Math.min(file.size, offset + CHUNK_BYTES);
    try {
      const res = await request('PATCH', url, {
        token,
        signal,
        raw: file.slice(offset, end),
        headers: {
          'Upload-Offset': String(offset),
          'Content-Type': 'application/offset+octet-stream',
        },
      });
      const status = (await res.json()) as UploadStatus;
      failures = 0;
      offset = status.offset;
      if (status.file) {
        hooks.progress('sending', 1);
        return status.file;
      }
      hooks.progress(offset >= file.size ? 'verifying' : 'sending', file.size ? offset / file.size : 1);
    } catch (err) {
      if (!(err instanceof RequestFailed)) throw err;
      // 409: our offset is stale; anything else must be worth retrying.
      if (err.status !== 409 && !err.retryable) throw err;
      failures += 1;
      if (failures > MAX_FAILURES) throw err;
      hooks.progress('retrying', file.size ? offset / file.size : 0);
      await sleep(Math.min(10_000, 500 * 2 ** failures), signal);
      try {
        offset = await serverOffset(url, token, signal);
      } catch (headErr) {
        if (!(headErr instanceof RequestFailed) || !headErr.retryable) throw headErr;
        // Try the HEAD again on the next round, from the same offset.
      }
      if (offset >= file.size && file.size > 0) {
        // Everything arrived; only the answer was lost.
        return null;
      }
      first = file.size === 0;
    }
  }
  return null;
}

/** Best effort: tell the service to drop an unfinished upload. */
export function cancelUpload(url: string, token: string): void {
  request('DELETE', url, { token }).catch(() => undefined);
}
