// The composer and the outbox: messages the end user writes are kept (across reloads)
// until the service stores them, resent with the same client id, and typing is told.
import { api, RequestFailed } from './api';
import { byId, el, uuidv4 } from './dom';
import { setText, t } from './i18n';
import { acknowledge, findPending, renderPending, setStatus } from './log';
import { describe, type Outgoing, page, persist, showError } from './page';
import type { SendMessage, SessionEvent } from './wire';

const MAX_MESSAGE_CHARS = 4000;
const TYPING_IDLE_MS = 3000;

const input = byId<HTMLTextAreaElement>('message-input');
const counter = byId('counter');

function charCount(text: string): number {
  return Array.from(text).length;
}

export function flushOutbox(): void {
  for (const out of page.session?.outbox ?? []) {
    if (!page.inflight.has(out.client_id)) void deliver(out, 0);
  }
}

async function deliver(out: Outgoing, attempt: number): Promise<void> {
  const s = page.session;
  if (!s || page.ended) return;
  page.inflight.add(out.client_id);
  const node = findPending(out.client_id);
  if (node) {
    setStatus(node, 'pending');
    node.querySelector('.retry')?.remove();
    node.querySelector('.msg-error')?.remove();
  }
  const body: SendMessage = { client_id: out.client_id, text: out.text };
  try {
    const ev = await api<SessionEvent>('POST', `/api/v1/sessions/${s.session_id}/messages`, {
      body,
      token: s.end_user_token,
    });
    acknowledge(out.client_id, ev);
  } catch (err) {
    if (err instanceof RequestFailed && err.retryable && attempt < 6 && !page.ended) {
      // Same client_id: the service stores the message once however often it arrives.
      window.setTimeout(() => void deliver(out, attempt + 1), Math.min(15_000, 1000 * 2 ** attempt));
      return;
    }
    page.inflight.delete(out.client_id);
    failMessage(out, err);
  }
}

function failMessage(out: Outgoing, err: unknown): void {
  const node = findPending(out.client_id);
  const permanent = err instanceof RequestFailed && !err.retryable;
  if (permanent && page.session) {
    page.session.outbox = page.session.outbox.filter((o) => o.client_id !== out.client_id);
    persist();
  }
  if (!node) return;
  setStatus(node, 'failed');
  node.append(el('p', { class: 'msg-error', role: 'alert' }, describe(err)));
  if (!permanent) {
    const retry = el('button', { type: 'button', class: 'btn btn-sm btn-link retry' });
    setText(retry, 'retry');
    retry.addEventListener('click', () => void deliver(out, 0));
    node.append(retry);
  }
}

export function sendMessage(): void {
  const s = page.session;
  if (!s || page.ended) return;
  const text = input.value.trim();
  if (!text) return;
  if (charCount(text) > MAX_MESSAGE_CHARS) {
    showError(t('too_long', { max: String(MAX_MESSAGE_CHARS) }));
    return;
  }
  const out: Outgoing = { client_id: uuidv4(), text };
  s.outbox.push(out);
  persist();
  input.value = '';
  updateCounter();
  stopTyping();
  renderPending(out);
  void deliver(out, 0);
}

function updateCounter(): void {
  const n = charCount(input.value);
  counter.hidden = n < MAX_MESSAGE_CHARS - 500;
  counter.textContent = `${n} / ${MAX_MESSAGE_CHARS}`;
  counter.dataset.over = String(n > MAX_MESSAGE_CHARS);
}

let typingSent = false;
let typingIdle: number | undefined;

function sendTyping(typing: boolean): void {
  const s = page.session;
  if (!s || !page.rt) return;
  if (page.rt.send({ type: 'typing', session_id: s.session_id, typing })) typingSent = typing;
}

export function stopTyping(): void {
  window.clearTimeout(typingIdle);
  if (typingSent) sendTyping(false);
  typingSent = false;
}

export function onInput(): void {
  updateCounter();
  if (!input.value.trim()) {
    stopTyping();
    return;
  }
  if (!typingSent) sendTyping(true);
  window.clearTimeout(typingIdle);
  typingIdle = window.setTimeout(stopTyping, TYPING_IDLE_MS);
}

/** The session is over: no typing notice is due any more. */
export function cancelTyping(): void {
  window.clearTimeout(typingIdle);
}
