// What every part of the join page shares: the joined session (kept across reloads),
// the realtime socket, where the page stands in the session's events, and the error
// banner. Modules read and write it here rather than each keeping a copy.
import type { AttendedApp } from '../../../protocol/ts/session';
import { RequestFailed } from './api';
import { byId } from './dom';
import { t } from './i18n';
import type { Realtime } from './realtime';

const STORE_KEY = 'lifeline.session';

export interface Outgoing {
  client_id: string;
  text: string;
}

/** What survives a reload, in sessionStorage. */
export interface Saved {
  session_id: string;
  end_user_token: string;
  /** The last seq this tab processed. */
  last_seq: number;
  key: string | null;
  technician_name: string;
  company_name: string;
  end_user_name: string | null;
  /** Messages not yet acknowledged; resent with the same client_id after a reload. */
  outbox: Outgoing[];
}

export const page = {
  session: null as Saved | null,
  rt: null as Realtime | null,
  /** Highest seq processed in this page; the resume cursor. */
  lastSeq: 0,
  /** Events up to here were seen before a reload: shown, but not announced again. */
  announcedUpTo: 0,
  /** Seqs already on screen. */
  shown: new Set<number>(),
  /** Client ids of messages being sent now. */
  inflight: new Set<string>(),
  ended: false,
  /** Where the attended app stands (see the shared rule attendedApp). */
  app: 'none' as AttendedApp,
  maxUpload: Number.POSITIVE_INFINITY,
  /** Technician events that arrived while the page was not looked at. */
  unseen: 0,
};

const errorBanner = byId('error-banner');
const errorText = byId('error-text');
const input = byId<HTMLTextAreaElement>('message-input');

export function tech(): string {
  return page.session?.technician_name ?? '';
}

export function persist(): void {
  if (!page.session) return;
  page.session.last_seq = Math.max(page.session.last_seq, page.lastSeq);
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(page.session));
  } catch {
    // Without storage a reload needs a new key; everything else still works.
  }
}

export function loadSaved(): Saved | null {
  try {
    const raw = sessionStorage.getItem(STORE_KEY);
    if (!raw) return null;
    const saved = JSON.parse(raw) as Saved;
    if (typeof saved.session_id !== 'string' || typeof saved.end_user_token !== 'string') return null;
    saved.outbox = Array.isArray(saved.outbox) ? saved.outbox : [];
    saved.last_seq = Number(saved.last_seq) || 0;
    return saved;
  } catch {
    return null;
  }
}

export function clearSaved(): void {
  try {
    sessionStorage.removeItem(STORE_KEY);
  } catch {
    // Nothing to clear.
  }
}

export function showError(message: string): void {
  errorText.textContent = message;
  errorBanner.hidden = false;
}

export function hideError(): void {
  errorBanner.hidden = true;
}

export function describe(err: unknown): string {
  if (err instanceof RequestFailed) {
    if (err.code === 'network') return t('error_network');
    if (err.code !== 'unknown' && err.message) return err.message;
  }
  return t('error_generic');
}

/** Focus the message box, except on touch screens where that pops up the keyboard. */
export function focusComposer(): void {
  if (!page.ended && matchMedia('(pointer: fine)').matches) input.focus();
}
