// A small JSON client for the service's REST API under /api/v1.
import type { ApiError, ErrorCode } from './wire';

/** `network` when no answer arrived at all; `unknown` when the answer was no ApiError. */
export type FailureCode = ErrorCode | 'network' | 'unknown';

export class RequestFailed extends Error {
  readonly status: number;
  readonly code: FailureCode;
  constructor(status: number, code: FailureCode, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** Worth trying again later with the same request (it is idempotent for us). */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export interface RequestOptions {
  body?: unknown;
  token?: string | null;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Raw body (for uploads); sent as is. */
  raw?: Blob;
}

function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ApiError).code === 'string' &&
    typeof (value as ApiError).message === 'string'
  );
}

/** Performs one request; resolves with the Response when it is 2xx, else throws. */
export async function request(method: string, url: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body: BodyInit | undefined;
  if (opts.raw) {
    body = opts.raw;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body,
      signal: opts.signal,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new RequestFailed(0, 'network', err instanceof Error ? err.message : String(err));
  }
  if (res.ok) return res;
  let parsed: unknown = null;
  try {
    parsed = await res.json();
  } catch {
    // Not JSON: a proxy page or similar.
  }
  if (isApiError(parsed)) throw new RequestFailed(res.status, parsed.code, parsed.message);
  throw new RequestFailed(res.status, 'unknown', `HTTP ${res.status}`);
}

/** A request whose 2xx answer is JSON of type T (or nothing, for 204). */
export async function api<T>(method: string, url: string, opts: RequestOptions = {}): Promise<T> {
  const res = await request(method, url, opts);
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch {
    throw new RequestFailed(res.status, 'unknown', 'The server sent an unreadable answer.');
  }
}
